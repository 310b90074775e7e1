/**
 * A stdio message larger than the transport's limit (`gateway.maxMessageBytes`) is dropped
 * unread, but the request it answers must not wait for its timeout: this keeps the first and last
 * few KiB of the dropped line, finds the response's JSON-RPC `id` there, and makes the error
 * response that answers that request at once.
 *
 * Where the id is: the TypeScript SDK writes `{"result":…,"jsonrpc":"2.0","id":7}` (at the end),
 * Python's pydantic `{"jsonrpc":"2.0","id":7,"result":…}` (at the start). Only a line whose start
 * shows a response (`result` or `error` among the first members) counts: a huge request or
 * notification from the server carries an id of the server's own, not one of ours.
 *
 * The answer's code, -32099, is in the range servers may use for errors of their own: what tells
 * the gateway's answer apart is its `data` object, which only this module makes
 * ({@link isOversizedAnswer}); no server can send that very object.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** The JSON-RPC error code of the answer made for a dropped response (implementation-defined range). */
export const MESSAGE_TOO_LARGE = -32099;

/** The `data` objects of the answers made here. */
const answersMadeHere = new WeakSet<object>();

/** Whether a JSON-RPC error (its `code` and `data`) is the answer made here for a dropped message, not a server's own error. */
export function isOversizedAnswer(code: number, data: unknown): boolean {
  return code === MESSAGE_TOO_LARGE && typeof data === 'object' && data !== null && answersMadeHere.has(data);
}

/** Bytes kept of the start and of the end of a dropped line. */
const KEPT_BYTES = 4096;

const ID = String.raw`(-?\d{1,16}|"(?:[^"\\]|\\.){0,256}")`;
const JSONRPC = String.raw`"jsonrpc"\s*:\s*"2\.0"\s*,\s*`;
/** The start of a response: optional `jsonrpc` and `id` members, then `result` or `error`. */
const RESPONSE_START = new RegExp(String.raw`^\s*\{\s*(?:${JSONRPC})?(?:"id"\s*:\s*${ID}\s*,\s*)?(?:${JSONRPC})?"(?:result|error)"\s*:`);
/**
 * The end of a message whose last member is its `id` (possibly followed by `jsonrpc`). A nested
 * object's `"id":…}` is followed by at least one more `}`, so this is the top-level one.
 */
const ID_AT_END = new RegExp(String.raw`[{,]\s*"id"\s*:\s*${ID}\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$`);

/** Reported through the transport's `onerror` when a line is dropped. */
export class OversizedMessageError extends Error {
  constructor(
    /** Bytes seen so far (the line may go on). */
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`dropped a message of more than ${bytes} bytes from stdout (limit ${limit})`);
    this.name = 'OversizedMessageError';
  }
}

/** The line being dropped: its start, its end so far, and whether its request has been answered. */
export class DroppedLine {
  private readonly head: string;
  private tail: Buffer;
  private answered = false;

  /** `pieces` is the line so far (more than `limit` bytes together). */
  constructor(
    pieces: Buffer[],
    readonly limit: number,
  ) {
    this.head = Buffer.concat(firstBytes(pieces, KEPT_BYTES)).toString('utf8');
    this.tail = Buffer.alloc(0);
    for (const piece of pieces) this.append(piece);
  }

  /** Keeps the last bytes of the line. */
  append(piece: Buffer): void {
    this.tail = piece.length >= KEPT_BYTES ? piece.subarray(piece.length - KEPT_BYTES) : lastBytes(this.tail, piece);
  }

  /**
   * The error response for the request this line answers, once its id is known (from the start
   * at once; from the end once `ended`); at most once per line.
   */
  answer(ended: boolean): JSONRPCMessage | undefined {
    if (this.answered) return undefined;
    const start = RESPONSE_START.exec(this.head);
    if (!start) return undefined;
    const idText = start[1] ?? (ended ? ID_AT_END.exec(this.tail.toString('utf8'))?.[1] : undefined);
    if (idText === undefined) return undefined;
    const id = JSON.parse(idText) as string | number;
    this.answered = true;
    const data = { limit: this.limit };
    answersMadeHere.add(data);
    return {
      jsonrpc: '2.0',
      id,
      error: {
        code: MESSAGE_TOO_LARGE,
        message: `the answer is larger than ${this.limit} bytes, the most the gateway reads in one message (gateway.maxMessageBytes)`,
        data,
      },
    };
  }
}

function firstBytes(pieces: Buffer[], count: number): Buffer[] {
  const kept: Buffer[] = [];
  let left = count;
  for (const piece of pieces) {
    if (left <= 0) break;
    kept.push(piece.subarray(0, left));
    left -= piece.length;
  }
  return kept;
}

function lastBytes(tail: Buffer, piece: Buffer): Buffer {
  const joined = Buffer.concat([tail, piece]);
  return joined.length > KEPT_BYTES ? joined.subarray(joined.length - KEPT_BYTES) : joined;
}
