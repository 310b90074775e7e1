/**
 * Passing an upstream server's `sampling/createMessage` to the `/mcp` client whose call it came in,
 * when that client declared sampling in a 2025-era session: the request goes to the client as the
 * server sent it, on the call's stream (`ctx.mcpReq.requestSampling`), and the client's reply (or
 * its refusal, with its JSON-RPC code) goes back upstream. The gateway's approval policy still
 * applies (a `deny` refuses it; server/sampling/sampler.ts), but no approval card is shown: the
 * client is a host that asks its own user. A 2026-07-28 client that declared sampling is asked by
 * `input_required` instead (modern-questions.ts). Clients without sampling and REST calls get the
 * gateway's `sampling` endpoint, when it serves the server.
 */
import type { SurfaceSampler } from '../calls/call-tool.js';
import type { ForwardedSamplingResult } from '../upstream/types.js';

/** Sends the request to the client (the SDK server's `requestSampling` for this call). */
export type SendSampling = (
  params: Record<string, unknown>,
  options: { signal: AbortSignal; timeout: number },
) => Promise<ForwardedSamplingResult>;

export function clientSampler(send: SendSampling): SurfaceSampler {
  return (request, signal, timeoutMs) => {
    // The gateway's own request metadata (the server's progress token and such) stays upstream.
    const { _meta: _, ...params } = request;
    return send(params, { signal, timeout: timeoutMs });
  };
}
