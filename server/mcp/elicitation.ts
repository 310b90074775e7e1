/**
 * Passing an upstream server's question (`elicitation/create`) to the `/mcp` client whose call
 * it came in, when that client declared elicitation in a 2025-era session: the request goes to
 * the client as the server sent it, on the call's stream (`ctx.mcpReq.elicitInput`), and the
 * client's answer goes back upstream. A client that declared only form mode (or a bare
 * `elicitation: {}`, form by the pre-mode rule) does not get URL questions, nor the other way
 * round: those become question cards for a person (server/questions/), as they do for every client
 * without elicitation. A 2026-07-28 client is asked by `input_required` instead (modern-questions.ts).
 */
import type { SurfaceElicitor } from '../calls/call-tool.js';
import type { ElicitationAnswer } from '../upstream/types.js';

/** What the client declared (`capabilities.elicitation`). */
export interface ElicitationCapability {
  form?: unknown;
  url?: unknown;
}

/**
 * The one reading of a client's declared elicitation capability, whichever era declared it (a
 * session's `initialize`, a 2026-07-28 request's envelope): `form` when it names form mode or is a
 * bare `{}` (form, by the pre-mode rule), `url` when it names URL mode. Nothing declared, or
 * something other than an object: neither.
 */
export function elicitationModes(capability: unknown): { form: boolean; url: boolean } {
  if (typeof capability !== 'object' || capability === null || Array.isArray(capability)) return { form: false, url: false };
  const declared = capability as ElicitationCapability;
  return { form: declared.form !== undefined || Object.keys(declared).length === 0, url: declared.url !== undefined };
}

/** Sends the request to the client (the SDK server's `elicitInput` for this call). */
export type SendElicitation = (
  params: Record<string, unknown>,
  options: { signal: AbortSignal; timeout: number },
) => Promise<{ action: ElicitationAnswer['action']; content?: Record<string, unknown> }>;

export function clientElicitor(capability: ElicitationCapability, send: SendElicitation): SurfaceElicitor {
  const { form, url } = elicitationModes(capability);
  return (request, signal, timeoutMs) => {
    if (request.mode === 'form' ? !form : !url) return undefined;
    const { _meta: _, ...params } = request.params;
    return send(params, { signal, timeout: timeoutMs }).then(
      (result) =>
        result.action === 'accept' && result.content ? { action: 'accept', content: result.content } : { action: result.action },
      // A client that fails to answer (it went away, timed out, refused the request): the server hears `cancel`.
      (): ElicitationAnswer => ({ action: 'cancel' }),
    );
  };
}
