/**
 * Tool calls over HTTP, two surfaces on one code path (`ToolCaller`):
 * - `POST /{server}/{tool}`: mcpo-compatible, what Open WebUI calls; answers the unwrapped result,
 *   and an `isError` result as a 502 `tool-error` problem whose detail is the tool's text.
 * - `POST /api/tools/{server}/{tool}`: the full MCP result plus `durationMs`.
 * `X-Timeout-Ms` asks for another timeout (up to `gateway.maxTimeoutMs`); a caller that goes away
 * cancels the call upstream.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { GatewaySettings } from '../config/types.js';
import type { ToolCaller } from '../calls/call-tool.js';
import { errorText, unwrapResult } from '../calls/result-mapping.js';
import { ProblemError } from './problems.js';

function requestedTimeout(req: Request, settings: GatewaySettings): number | undefined {
  const header = req.get('x-timeout-ms');
  if (header === undefined) return undefined;
  const value = /^\d+$/.test(header.trim()) ? Number(header) : Number.NaN;
  if (!(value >= 1 && value <= settings.maxTimeoutMs)) {
    throw new ProblemError('invalid-request', `X-Timeout-Ms must be an integer from 1 to ${settings.maxTimeoutMs}`, {
      errors: [{ field: 'X-Timeout-Ms', message: `must be an integer from 1 to ${settings.maxTimeoutMs}` }],
    });
  }
  return value;
}

/** Aborts when the client disconnects before the answer was sent. */
function disconnectSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function toolCallRoutes(caller: ToolCaller, settings: () => GatewaySettings): Router {
  const router = Router();
  const call = (req: Request<{ server: string; tool: string }>, res: Response) =>
    caller.call({
      server: req.params.server,
      tool: req.params.tool,
      args: req.body,
      timeoutMs: requestedTimeout(req, settings()),
      signal: disconnectSignal(res),
    });

  router.post('/api/tools/:server/:tool', async (req, res) => {
    const id = randomUUID();
    const { result, durationMs } = await call(req, res);
    res.json({ id, ...result, durationMs });
  });

  router.post('/:server/:tool', async (req, res) => {
    const { result } = await call(req, res);
    if (result.isError) throw new ProblemError('tool-error', errorText(result));
    res.json(unwrapResult(result));
  });

  return router;
}
