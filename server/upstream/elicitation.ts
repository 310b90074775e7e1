/**
 * An `elicitation/create` request as the rest of the gateway sees it (`ElicitationRequest`, plain
 * data): form mode (`message` and `requestedSchema`; a request without `mode` is a form, as
 * before 2025-11-25) or URL mode (`url`, `elicitationId`). The SDK has validated its shape.
 */
import type { ElicitationRequest } from './types.js';

export function elicitationRequest(params: Record<string, unknown>): ElicitationRequest {
  const message = typeof params.message === 'string' ? params.message : '';
  if (params.mode === 'url') {
    return { mode: 'url', message, url: String(params.url), elicitationId: String(params.elicitationId), params };
  }
  const schema = params.requestedSchema;
  const requestedSchema = schema !== null && typeof schema === 'object' ? (schema as Record<string, unknown>) : { type: 'object' };
  return { mode: 'form', message, requestedSchema, params };
}
