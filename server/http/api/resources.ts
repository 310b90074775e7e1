/**
 * `/api/servers/{server}/resources`, `…/resource-templates`, `…/resource` and `…/resource/events`:
 * a server's resources, listed (from the gateway's copy of the server's list, paged), read, and
 * watched as Server-Sent Events. Reading is a read by protocol, so these routes need `tools:read`.
 *
 * A read answers JSON (`{contents}` as the server sent it) or, with `raw=1` or an `Accept` that
 * does not ask for JSON (a browser, an `<img>`), the first content item's bytes with its MIME type.
 * What a server sends is untrusted: the raw answer is sent by `sendResourceBytes` (resource-bytes.ts,
 * as the orchestrator's raw route is): never sniffed, run in no origin, a download unless it is a
 * raster image or plain text.
 */
import type { Request } from 'express';
import { ProblemError, problemBody } from '../../errors.js';
import { RetryAfter, SERVER_NOT_FOUND, json, problem } from '../../openapi/responses.js';
import { ProblemSchema } from '../../openapi/problem-schema.js';
import type { ResourceInfo, ResourceTemplateInfo, ServerStatus } from '../../upstream/types.js';
import {
  ResourceEventStreamSchema,
  ResourceEventsQuery,
  ResourceListQuery,
  ResourcePageSchema,
  ResourceQuery,
  ResourceReadSchema,
  ResourceTemplatePageSchema,
  ServerPathParams,
  decodeListCursor,
  encodeListCursor,
} from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { EventStream } from '../event-stream.js';
import { sendResourceBytes } from '../resource-bytes.js';
import { defineRoute } from '../route.js';
import { limitedJson } from '../../upstream/feature-requests.js';
import { upstreamRequest } from './upstream-request.js';

type Services = Pick<RouteServices, 'supervisor' | 'settings'>;

/** One page of `items` from `cursor` (an index, see api-schemas.ts `decodeListCursor`). */
function page<T>(items: readonly T[], limit: number, cursor: string | undefined) {
  const start = cursor === undefined ? 0 : decodeListCursor(cursor)!;
  const end = start + limit;
  return { items: items.slice(start, end), nextCursor: end < items.length ? encodeListCursor(end) : null };
}

const resourceJson = (resource: ResourceInfo) => ({
  uri: resource.uri,
  name: resource.name,
  title: resource.title ?? null,
  description: resource.description ?? null,
  mimeType: resource.mimeType ?? null,
  size: resource.size ?? null,
});

const templateJson = (template: ResourceTemplateInfo) => ({
  uriTemplate: template.uriTemplate,
  name: template.name,
  title: template.title ?? null,
  description: template.description ?? null,
  mimeType: template.mimeType ?? null,
});

/** Raw bytes unless `raw=0`; with no `raw`, when `Accept` is given and asks for neither JSON nor anything (`*∕*` alone). */
function wantsRaw(req: Request, raw: string | undefined): boolean {
  if (raw !== undefined) return raw === '1' || raw === 'true';
  const accept = req.headers.accept?.trim();
  if (!accept || accept === '*/*') return false;
  return !/json/i.test(accept);
}

const READ_FAILURES = {
  '404': problem(
    '`server-not-found`: no server has this name; `resource-not-found`: the server answered that it has no such resource ' +
      '(or has no content for it).',
  ),
  '502': problem(
    '`upstream-error`: the server failed to answer (it crashed, went away or broke the protocol during the request, or ' +
      'answered with another error); `result-too-large`: the answer is larger than `gateway.maxResultBytes` (default 4 MiB) as JSON; ' +
      '`missing-client-capability`: a 2026-07-28 server requires a client capability nobody answers for the request (`requiredCapabilities`).',
  ),
  '503': problem('`server-unavailable`: the server is disabled, starting or failing.', ProblemSchema, RetryAfter),
  '504': problem('`timeout`: the server did not answer within its `timeoutMs`; the request was cancelled.'),
};

const INVALID_QUERY = problem('`invalid-request`: a parameter is missing, malformed, repeated or unknown (`errors` names each one).');

export const RESOURCE_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/servers/{server}/resources',
    scope: 'tools:read',
    operationId: 'listResources',
    summary: "List a server's resources",
    description:
      "The resources the server lists (the gateway's copy, kept up to date by the server's `list_changed` notices), one page " +
      'at a time: pass `nextCursor` as `cursor` for the next page. A server that offers no resources, or has not listed ' +
      'them yet, has none.',
    tag: 'resources',
    request: { params: ServerPathParams, query: ResourceListQuery },
    responses: { '200': json('One page of resources.', ResourcePageSchema), '404': SERVER_NOT_FOUND, '422': INVALID_QUERY },
    handler: (req, res, input, { supervisor }: Services) => {
      const connection = supervisor.require(req.params.server);
      const { limit, cursor } = input.query();
      const { items, nextCursor } = page(connection.isEnabled ? connection.resources() : [], limit, cursor);
      res.json({ items: items.map(resourceJson), nextCursor });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/servers/{server}/resource-templates',
    scope: 'tools:read',
    operationId: 'listResourceTemplates',
    summary: "List a server's resource templates",
    description:
      'The URI templates the server lists (RFC 6570), one page at a time. Fill one in and read the resource with ' +
      '`GET /api/servers/{server}/resource?uri=`; `POST /api/servers/{server}/complete` suggests values for its variables.',
    tag: 'resources',
    request: { params: ServerPathParams, query: ResourceListQuery },
    responses: { '200': json('One page of templates.', ResourceTemplatePageSchema), '404': SERVER_NOT_FOUND, '422': INVALID_QUERY },
    handler: (req, res, input, { supervisor }: Services) => {
      const connection = supervisor.require(req.params.server);
      const { limit, cursor } = input.query();
      const { items, nextCursor } = page(connection.isEnabled ? connection.resourceTemplates() : [], limit, cursor);
      res.json({ items: items.map(templateJson), nextCursor });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/servers/{server}/resource',
    scope: 'tools:call',
    operationId: 'readResource',
    summary: 'Read a resource',
    description:
      "Reads the resource (`resources/read`) with the server's `timeoutMs`. By default the answer is JSON: `contents` as " +
      'the server sent them (text, or base64 `blob`). With `raw=1`, or an `Accept` header that does not ask for JSON (a ' +
      "browser, an `<img>`), it is the first content item's bytes (text as UTF-8, a blob decoded) with its MIME type, " +
      "`X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox; default-src 'none'` and " +
      '`Referrer-Policy: no-referrer`; raster images and plain text are ' +
      '`Content-Disposition: inline`, anything else (HTML, SVG, PDF, …) `attachment`. The answer is held to ' +
      '`gateway.maxResultBytes` like a tool result. A `resource_link` in a tool result on the REST surfaces carries this ' +
      'route with `raw=1` as its `gatewayUrl`.',
    tag: 'resources',
    request: { params: ServerPathParams, query: ResourceQuery },
    responses: {
      '200': {
        description: "The resource: JSON by default, its first item's bytes with `raw=1`.",
        content: {
          'application/json': { schema: ResourceReadSchema },
          '*/*': { schema: { type: 'string', format: 'binary', description: "The first content item's bytes, with its MIME type." } },
        },
      },
      ...READ_FAILURES,
      '422': INVALID_QUERY,
    },
    handler: async (req, res, input, { supervisor, settings }: Services) => {
      const connection = supervisor.require(req.params.server);
      const { uri, raw } = input.query();
      const what = `reading ${uri}`;
      const result = await upstreamRequest(res, connection, what, (options) => connection.readResource(uri, options), 'resource-not-found');
      const contents = Array.isArray(result.contents) ? result.contents : [];
      const text = limitedJson({ contents }, settings().maxResultBytes, what);
      if (!wantsRaw(req, raw)) {
        res.setHeader('Cache-Control', 'no-store');
        res.type('application/json').send(text);
        return;
      }
      const first = contents[0];
      if (!first) throw new ProblemError('resource-not-found', `server "${connection.name}" has no content for ${uri}`);
      sendResourceBytes(res, first, uri);
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/servers/{server}/resource/events',
    scope: 'tools:read',
    operationId: 'watchResource',
    summary: 'Watch a resource',
    description:
      'Subscribes to the resource (`resources/subscribe`, one upstream subscription however many watch it, renewed when ' +
      'the server reconnects) and answers an event stream: an `updated` event each time the server says the resource ' +
      'changed. The watch ends when the client closes the stream.',
    tag: 'resources',
    request: { params: ServerPathParams, query: ResourceEventsQuery },
    responses: {
      '200': { description: 'The event stream.', content: { 'text/event-stream': { schema: ResourceEventStreamSchema } } },
      '404': SERVER_NOT_FOUND,
      '409': problem('`feature-not-offered`: the server offers no resource subscriptions (`feature` is `resources.subscribe`).'),
      '422': INVALID_QUERY,
      '502': problem('`upstream-error`: the server refused the subscription.'),
      '503': READ_FAILURES['503'],
      '504': READ_FAILURES['504'],
    },
    handler: async (req, res, input, { supervisor, settings }: Services) => {
      const connection = supervisor.require(req.params.server);
      const { uri } = input.query();
      if (connection.currentState === 'ready' && !connection.features().resourceSubscribe) {
        throw new ProblemError('feature-not-offered', `server "${connection.name}" offers no resource subscriptions`, {
          feature: 'resources.subscribe',
        });
      }
      // Updates that come before the stream starts wait for it.
      const early: string[] = [];
      let send = (updated: string): void => void early.push(updated);
      const end = await upstreamRequest(res, connection, `subscribing to ${uri}`, () =>
        connection.watchResource(uri, (updated) => send(updated)),
      );
      if (res.destroyed || res.writableEnded) return end();
      const stream = new EventStream(res, settings().heartbeatMs);
      send = (updated) => stream.send('updated', JSON.stringify({ uri: updated }));
      for (const updated of early) send(updated);
      // A server that reconnects keeps its watches; one that is disabled or removed ends the stream.
      const gone = (detail: string) => {
        stop();
        stream.send('error', JSON.stringify(problemBody('server-unavailable', detail)));
        stream.end();
      };
      const onChange = (status: ServerStatus) => {
        if (status.state === 'disabled') gone(`server "${connection.name}" was disabled`);
      };
      const onRemoved = (name: string) => {
        if (name === connection.name) gone(`server "${connection.name}" was removed`);
      };
      connection.on('change', onChange);
      supervisor.on('removed', onRemoved);
      const stop = () => {
        end();
        connection.off('change', onChange);
        supervisor.off('removed', onRemoved);
      };
      stream.onClose(stop);
    },
  }),
];
