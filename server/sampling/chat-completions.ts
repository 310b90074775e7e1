/**
 * One sampling request sent to an OpenAI-compatible endpoint (`POST {url}/chat/completions`;
 * Ollama, Open WebUI, vLLM, LM Studio, OpenAI…), and the reply mapped back to MCP.
 *
 * MCP → OpenAI: `systemPrompt` becomes a first `system` message; each message's text items become
 * text parts and image items `image_url` parts with a `data:` URI (a message of text only is sent as
 * one string, which every such endpoint takes); `maxTokens` (capped by `sampling.maxTokens`) →
 * `max_tokens`, `temperature`, `stopSequences` → `stop`. Audio and other items are refused: no
 * common endpoint takes them in chat messages. OpenAI → MCP: the first choice's text, the model
 * that answered, and `finish_reason` `stop` → `endTurn`, `length` → `maxTokens`.
 *
 * The key is read from `apiKeyFile` at each request (a rotated key applies at once) and sent only
 * as `Authorization: Bearer`; it is never logged nor put in an error message.
 */
import { readFile } from 'node:fs/promises';
import type { SamplingSettings } from '../config/types.js';
import type { ContentItem, SamplingRequest, SamplingResult } from '../upstream/types.js';

type ChatPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatPart[];
}

/** Longest part of an endpoint's error answer quoted in the error, in characters. */
const MAX_QUOTED_CHARS = 300;
/** Most bytes of the endpoint's answer read: a chat completion is small; a larger answer fails the request. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export function toChatRequest(request: SamplingRequest, settings: SamplingSettings): Record<string, unknown> {
  const messages: ChatMessage[] = [];
  if (typeof request.systemPrompt === 'string' && request.systemPrompt !== '')
    messages.push({ role: 'system', content: request.systemPrompt });
  for (const message of request.messages) {
    const items = Array.isArray(message.content) ? message.content : [message.content];
    const parts = items.map(toPart);
    const textOnly = parts.every((part) => part.type === 'text');
    messages.push({
      role: message.role,
      content: textOnly ? parts.map((part) => (part as { text: string }).text).join('\n') : parts,
    });
  }
  const asked = typeof request.maxTokens === 'number' && request.maxTokens > 0 ? request.maxTokens : settings.maxTokens;
  return {
    model: settings.model,
    messages,
    max_tokens: Math.min(asked, settings.maxTokens),
    ...(typeof request.temperature === 'number' && { temperature: request.temperature }),
    ...(Array.isArray(request.stopSequences) && request.stopSequences.length > 0 && { stop: request.stopSequences }),
  };
}

function toPart(item: ContentItem): ChatPart {
  if (item.type === 'text' && typeof item.text === 'string') return { type: 'text', text: item.text };
  if (item.type === 'image' && typeof item.data === 'string' && typeof item.mimeType === 'string') {
    return { type: 'image_url', image_url: { url: `data:${item.mimeType};base64,${item.data}` } };
  }
  throw new Error(
    `the gateway's sampling endpoint takes text and images only, not ${JSON.stringify(String(item.type)).slice(0, 40)} content`,
  );
}

interface ChatReply {
  model?: unknown;
  choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
}

const STOP_REASONS: Record<string, string> = { stop: 'endTurn', length: 'maxTokens' };

/** Sends the request; throws an Error saying what went wrong (never the key). */
export async function chatCompletion(request: SamplingRequest, settings: SamplingSettings, signal: AbortSignal): Promise<SamplingResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  let key = '';
  if (settings.apiKeyFile !== undefined) {
    try {
      key = (await readFile(settings.apiKeyFile, 'utf8')).trim();
    } catch (error) {
      throw new Error(`the gateway cannot read its sampling key file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause: error,
      });
    }
    if (key !== '') headers.authorization = `Bearer ${key}`;
  }
  const body = JSON.stringify(toChatRequest(request, settings));
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  let response: Response;
  try {
    response = await fetch(`${settings.url}/chat/completions`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    if (timeout.aborted)
      throw new Error(`the sampling endpoint did not answer within ${settings.timeoutMs} ms (sampling.timeoutMs)`, { cause: error });
    if (signal.aborted) throw new Error('the sampling request was cancelled', { cause: error });
    throw new Error(`the sampling endpoint cannot be reached (${describeFetchError(error)})`, { cause: error });
  }
  const text = await boundedText(response);
  if (!response.ok) {
    // The quote goes back to the (untrusted) server: an endpoint that echoes the key must not leak it.
    const quoted = text.slice(0, MAX_QUOTED_CHARS);
    throw new Error(`the sampling endpoint answered ${response.status}: ${key === '' ? quoted : quoted.split(key).join('[redacted]')}`);
  }
  let reply: ChatReply;
  try {
    reply = JSON.parse(text) as ChatReply;
  } catch {
    throw new Error('the sampling endpoint answered with something other than JSON');
  }
  const choice = reply.choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') throw new Error('the sampling endpoint answered without a message text');
  const finish = typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined;
  return {
    role: 'assistant',
    content: { type: 'text', text: content },
    model: typeof reply.model === 'string' ? reply.model : settings.model,
    ...(finish !== undefined && { stopReason: STOP_REASONS[finish] ?? finish }),
  };
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}

/** The answer's text, at most `MAX_REPLY_BYTES` of it: a larger answer fails the request. */
async function boundedText(response: Response): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of response.body ?? []) {
    bytes += chunk.byteLength;
    // Leaving the loop cancels the rest of the body.
    if (bytes > MAX_REPLY_BYTES) throw new Error(`the sampling endpoint answered with more than ${MAX_REPLY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
