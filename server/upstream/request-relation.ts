/**
 * Which request of the gateway an upstream server's own request (`elicitation/create`,
 * `sampling/createMessage`) belongs to. MCP carries no such link in the message itself: over
 * streamable HTTP a server sends a request that belongs to one of the gateway's requests on that
 * request's response stream (the SDK server's `extra.sendRequest` does), and anything else on the
 * session's standalone stream. The SDK 1.x client does not tell its handlers which stream a message
 * came on, so `StreamRelations.fetch` (the transport's `fetch`) reads each POST's event stream as it
 * passes, before the SDK does, and notes for every server request on it the id of the gateway's
 * request whose stream it is.
 *
 * Over stdio and the old SSE transport every message shares one stream: there is no link, and the
 * connection falls back to "the one call in flight" (connection.ts `callOf`).
 */
import { createParser } from 'eventsource-parser';

type RequestId = string | number;

/** Server requests noted at most at once (their streams still open); beyond it the oldest are forgotten. */
const MAX_NOTED = 1000;
/** Events longer than this are not parsed for a server request (results can be large; requests are not). */
const MAX_REQUEST_CHARS = 256 * 1024;

export class StreamRelations {
  /** A server request's id → the id of the gateway request on whose stream it came. */
  private readonly related = new Map<RequestId, RequestId>();

  /** The transport's `fetch`: a POST of a request answered with an event stream is read as it passes. */
  readonly fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    if (init?.method !== 'POST' || !response.body || !isEventStream(response)) return response;
    const requestId = requestIdOf(init.body);
    if (requestId === undefined) return response;
    return new Response(response.body.pipeThrough(this.noting(requestId)), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  /** The id of the gateway request whose stream server request `id` came on; undefined when it came on no request's stream. */
  relatedRequest(id: RequestId): RequestId | undefined {
    const related = this.related.get(id);
    this.related.delete(id);
    return related;
  }

  /** Passes the stream on unchanged, noting the server requests on it first (so the note is there when the SDK handles them). */
  private noting(requestId: RequestId): TransformStream<Uint8Array, Uint8Array> {
    const noted: RequestId[] = [];
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent: ({ event, data }) => {
        // A server's request is small: a large event (a result) is not looked into.
        if ((event && event !== 'message') || data.length > MAX_REQUEST_CHARS || !data.includes('"method"')) return;
        const id = jsonRpcRequestId(data);
        if (id === undefined) return;
        if (this.related.size >= MAX_NOTED) this.related.delete(this.related.keys().next().value!);
        this.related.set(id, requestId);
        noted.push(id);
      },
    });
    const forget = () => {
      for (const id of noted) if (this.related.get(id) === requestId) this.related.delete(id);
    };
    return new TransformStream({
      transform(chunk, controller) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        controller.enqueue(chunk);
      },
      flush: forget,
    });
  }
}

function isEventStream(response: Response): boolean {
  return response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() === 'text/event-stream';
}

/** The id of the JSON-RPC request a POST sends (the SDK sends a string body); undefined for notifications, responses, batches. */
function requestIdOf(body: RequestInit['body']): RequestId | undefined {
  if (typeof body !== 'string') return undefined;
  return jsonRpcRequestId(body);
}

/** The id of a JSON-RPC request (it has a `method` and an `id`), else undefined. */
function jsonRpcRequestId(text: string): RequestId | undefined {
  try {
    const message = JSON.parse(text) as { method?: unknown; id?: unknown };
    const { method, id } = message;
    return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number') ? id : undefined;
  } catch {
    return undefined;
  }
}
