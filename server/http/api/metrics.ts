/** `GET /metrics`: the Prometheus metrics (server/observability/metrics.ts makes them). */
import { z } from 'zod';
import type { RouteServices } from '../app.js';
import { defineRoute } from '../route.js';

type Services = Pick<RouteServices, 'metrics'>;

export const METRICS_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/metrics',
    scope: 'tools:read',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      "The gateway's metrics in the Prometheus text format: tool calls by outcome, call durations, calls in flight and " +
      'queued, server states and restarts, plus process and Node.js metrics, all prefixed `mcp_gateway_`.',
    tag: 'health',
    responses: {
      '200': {
        description: 'The metrics.',
        content: { 'text/plain': { schema: z.string().meta({ description: 'Prometheus text exposition format 0.0.4.' }) } },
      },
    },
    handler: async (_req, res, _input, { metrics }: Services) => {
      const { contentType, body } = await metrics.render();
      // res.end rather than res.send: send would re-format the Content-Type (reordering its
      // parameters) and compute an ETag over every scrape.
      res.status(200);
      res.setHeader('Content-Type', contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
    },
  }),
];
