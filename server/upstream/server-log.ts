/**
 * A server's last log messages (`notifications/message`), kept whether or not a call is running,
 * for its page and `GET /api/servers/{name}/logs`: a ring of at most `gateway.serverLogLines`
 * entries (read at each message, so a reload applies it). A message comes from the server and is
 * untrusted: its data is kept as text cut to `MAX_ENTRY_CHARS`, and shown escaped.
 */
import type { LogMessage } from './types.js';

/** Longest text kept of one message's data, in characters. */
export const MAX_ENTRY_CHARS = 4096;

export interface ServerLogEntry {
  /** Epoch ms when the gateway received it. */
  at: number;
  level: string;
  logger?: string;
  /** The message's data: a string as it is, anything else as JSON; cut to `MAX_ENTRY_CHARS` (then `truncated`). */
  text: string;
  truncated?: true;
}

export class ServerLog {
  private ring: ServerLogEntry[] = [];
  /** Index of the oldest entry once the ring is full. */
  private start = 0;

  add(message: LogMessage, capacity: number, at = Date.now()): void {
    if (capacity <= 0) {
      this.ring = [];
      this.start = 0;
      return;
    }
    // A smaller capacity, or a larger one once the ring has wrapped: lay the entries out oldest first again.
    if (this.ring.length > capacity || (this.start !== 0 && this.ring.length !== capacity)) {
      this.ring = this.entries().slice(-capacity);
      this.start = 0;
    }
    const entry = toEntry(message, at);
    if (this.ring.length < capacity) this.ring.push(entry);
    else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % capacity;
    }
  }

  /** Oldest first. */
  entries(): ServerLogEntry[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }
}

function toEntry(message: LogMessage, at: number): ServerLogEntry {
  let text: string;
  if (typeof message.data === 'string') text = message.data;
  else {
    try {
      text = JSON.stringify(message.data) ?? String(message.data);
    } catch {
      text = String(message.data);
    }
  }
  const truncated = text.length > MAX_ENTRY_CHARS;
  return {
    at,
    level: String(message.level),
    ...(typeof message.logger === 'string' && { logger: message.logger }),
    text: truncated ? text.slice(0, MAX_ENTRY_CHARS) : text,
    ...(truncated && { truncated: true as const }),
  };
}
