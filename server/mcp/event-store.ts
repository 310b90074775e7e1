/**
 * The event store of a 2025-era `/mcp` session (SEP-1699, resumable streams): every message the
 * session sends on an event stream — a POST's answer stream (the SDK's, or the fast path's of a
 * `tools/call`, fast-call.ts) or its GET stream — is kept under an event id (the SSE `id:`), so a
 * client whose connection dropped reconnects with `Last-Event-ID` and gets the messages it missed,
 * then the rest of the stream while it is still under way. A POST stream starts with a priming
 * event (an id, the `retry` hint `RETRY_MS`, empty data), for clients of 2025-11-25 and later.
 *
 * One store per session, made and dropped with it (endpoint.ts): a `Last-Event-ID` is looked up
 * only in the session that the request's `Mcp-Session-Id` and credentials found, so nobody replays
 * another session's (or another key's) events. A store joins the endpoint's budget only when it
 * first keeps an event (an `initialize` that fails keeps none, so it leaves nothing behind).
 *
 * Bounded: at most `EVENT_LIMITS.maxEvents` events and `maxChars` characters of JSON per session,
 * each kept `keepMs`, and `EventBudget.totalChars` of all sessions together (`EVENT_BUDGET_CHARS`);
 * past a cap the oldest go first — of the session, or of all sessions for the total, the newest
 * included: the caps hold. Caps count characters (UTF-16 code units, `string.length`), which is
 * what the JSON takes in memory: 1 byte each for Latin-1 text, 2 otherwise. An event larger than
 * the session's `maxChars` is not kept at all, and its stream's earlier events are dropped with it,
 * so a resume never replays a stream with a hole in it (the spec lets a server resume nothing). A
 * `Last-Event-ID` whose event is gone resumes nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** The `retry` hint of a priming event: how long a client waits before it reconnects, in ms. */
export const RETRY_MS = 1000;

export interface EventLimits {
  /** Most events kept per session. Default 1000. */
  maxEvents: number;
  /** Most characters of JSON kept per session. Default 524288 (512 Ki). */
  maxChars: number;
  /** How long an event is kept, in ms. Default 300000 (5 min). */
  keepMs: number;
}

export const EVENT_LIMITS: EventLimits = { maxEvents: 1000, maxChars: 524_288, keepMs: 300_000 };

/** Most characters of JSON kept by all sessions of the endpoint together. Default 33554432 (32 Mi). */
export const EVENT_BUDGET_CHARS = 33_554_432;

/** How often the events past their time are dropped from idle sessions, in ms. Default 60000. */
const SWEEP_MS = 60_000;

/** The SDK transport's stream id of a session's GET stream. */
const GET_STREAM = '_GET_stream';

/** Whether a GET resumes (`Last-Event-ID`) a stream other than the session's GET stream: a call's. */
export function resumesCallStream(req: IncomingMessage, events: SessionEvents): boolean {
  const lastEventId = req.headers['last-event-id'];
  if (typeof lastEventId !== 'string') return false;
  const stream = events.streamOf(lastEventId);
  return stream !== undefined && stream !== GET_STREAM;
}

/** The JSON of a priming event's (empty) message, as the SDK stores it. */
export const PRIMING = '{}';

interface StoredEvent {
  id: EventId;
  stream: StreamId;
  json: string;
  at: number;
}

/**
 * The characters of JSON all sessions' stores keep together: past `totalChars`, the oldest events
 * of all go first (the newest too, when one alone passes it).
 */
export class EventBudget {
  private readonly stores = new Set<SessionEvents>();
  private chars = 0;
  /** Events kept now by all stores. */
  private count = 0;
  /**
   * Every kept event in the order kept, oldest from `head` on: `fit` drops from the front without
   * looking at every store. An entry whose event its store has dropped since is skipped, and such
   * entries (an id each, not the JSON) are compacted away once they outnumber the kept events.
   */
  private order: { store: SessionEvents; id: EventId }[] = [];
  private head = 0;
  /** Drops the events past their time of idle sessions too (`sweep`), while any store is open. */
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly totalChars: number = EVENT_BUDGET_CHARS) {}

  /** Characters kept now by all stores. */
  get keptChars(): number {
    return this.chars;
  }

  /** Stores that keep (or kept) events and have not been cleared. */
  get storeCount(): number {
    return this.stores.size;
  }

  /** Whether the sweeper runs. */
  get sweeping(): boolean {
    return this.sweeper !== undefined;
  }

  join(store: SessionEvents): void {
    this.stores.add(store);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** Stops the sweeper and forgets every store (the endpoint closed; its sessions have ended). */
  close(): void {
    for (const store of [...this.stores]) store.clear();
    this.stores.clear();
    this.order = [];
    this.head = 0;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  leave(store: SessionEvents): void {
    this.stores.delete(store);
    if (this.stores.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Drops every store's events past their time (a store only looks when it is used). */
  sweep(): void {
    for (const store of this.stores) store.expire();
  }

  /** A store keeps `chars` characters and `events` events more (or fewer). */
  changed(chars: number, events: number): void {
    this.chars += chars;
    this.count += events;
  }

  /** A store kept an event (after `changed`). */
  kept(store: SessionEvents, id: EventId): void {
    this.order.push({ store, id });
    const entries = this.order.length - this.head;
    if (entries > 1024 && entries > 2 * this.count) {
      this.order = this.order.slice(this.head).filter((entry) => entry.store.holds(entry.id));
      this.head = 0;
    }
  }

  /** Drops the oldest events of all stores while the total passes the cap. */
  fit(): void {
    while (this.chars > this.totalChars && this.head < this.order.length) {
      const { store, id } = this.order[this.head++]!;
      store.drop(id);
    }
    if (this.head === this.order.length || this.head > 1024) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

export interface SessionEventsOptions {
  /** The budget of all sessions (default: none but the session's own caps). */
  budget?: EventBudget;
  /** The session's caps. Default `EVENT_LIMITS`. */
  limits?: EventLimits;
  now?: () => number;
}

export class SessionEvents implements EventStore {
  /** Oldest first. */
  private readonly events: StoredEvent[] = [];
  private readonly byId = new Map<EventId, StoredEvent>();
  private chars = 0;
  private seq = 0;
  /** Cleared for good (the session ended): keeps nothing more. */
  private ended = false;
  private readonly budget: EventBudget | undefined;
  private readonly limits: EventLimits;
  private readonly now: () => number;
  /** Whether it has joined the budget (on its first kept event). */
  private joined = false;

  constructor(options: SessionEventsOptions = {}) {
    this.budget = options.budget;
    this.limits = options.limits ?? EVENT_LIMITS;
    this.now = options.now ?? Date.now;
  }

  /** Events kept now. */
  get size(): number {
    return this.events.length;
  }

  /** Characters of JSON kept now. */
  get keptChars(): number {
    return this.chars;
  }

  /** Keeps a message sent on a stream (its JSON); returns its event id. */
  add(stream: StreamId, json: string): EventId {
    const event: StoredEvent = { id: `${stream}.${++this.seq}`, stream, json, at: this.now() };
    if (this.ended) return event.id;
    // Too large to keep: not kept, nor are its stream's earlier events (a resume would skip it).
    if (json.length > this.limits.maxChars) {
      this.dropStream(stream);
      return event.id;
    }
    if (!this.joined && this.budget) {
      this.joined = true;
      this.budget.join(this);
    }
    this.events.push(event);
    this.byId.set(event.id, event);
    this.chars += json.length;
    this.budget?.changed(json.length, 1);
    this.budget?.kept(this, event.id);
    this.trim();
    this.budget?.fit();
    return event.id;
  }

  /** The stream of a kept event, or undefined. */
  streamOf(eventId: EventId): StreamId | undefined {
    this.trim();
    return this.byId.get(eventId)?.stream;
  }

  /** The events of the same stream after a kept one, oldest first (undefined when it is not kept). */
  after(eventId: EventId): { id: EventId; json: string }[] | undefined {
    this.trim();
    const event = this.byId.get(eventId);
    if (!event) return undefined;
    const later: { id: EventId; json: string }[] = [];
    for (let index = this.events.indexOf(event) + 1; index < this.events.length; index++) {
      const candidate = this.events[index]!;
      if (candidate.stream === event.stream && candidate.json !== PRIMING) later.push({ id: candidate.id, json: candidate.json });
    }
    return later;
  }

  /** Forgets every event and keeps none from now on; leaves the budget (the session ended). */
  clear(): void {
    this.budget?.changed(-this.chars, -this.events.length);
    this.events.length = 0;
    this.byId.clear();
    if (this.joined) this.budget?.leave(this);
    this.chars = 0;
    this.ended = true;
  }

  /** Whether it keeps this event. */
  holds(id: EventId): boolean {
    return this.byId.has(id);
  }

  /** Drops an event if it is kept (for the budget: its oldest, as the budget drops in the order kept). */
  drop(id: EventId): void {
    const event = this.byId.get(id);
    if (!event) return;
    const index = this.events[0] === event ? 0 : this.events.indexOf(event);
    this.events.splice(index, 1);
    this.byId.delete(event.id);
    this.chars -= event.json.length;
    this.budget?.changed(-event.json.length, -1);
  }

  // The SDK's side (its transport stores and replays its own streams).

  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    return Promise.resolve(this.add(streamId, JSON.stringify(message)));
  }

  getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return Promise.resolve(this.streamOf(eventId));
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const stream = this.streamOf(lastEventId);
    const later = this.after(lastEventId);
    if (stream === undefined || !later) throw new Error('unknown event id');
    for (const event of later) await send(event.id, JSON.parse(event.json) as JSONRPCMessage);
    return stream;
  }

  /** Drops the events past their time. */
  expire(): void {
    this.trim();
  }

  /** Drops every kept event of a stream. */
  private dropStream(stream: StreamId): void {
    let chars = 0;
    const kept = this.events.filter((event) => {
      if (event.stream !== stream) return true;
      chars += event.json.length;
      this.byId.delete(event.id);
      return false;
    });
    if (kept.length === this.events.length) return;
    this.budget?.changed(-chars, kept.length - this.events.length);
    this.events.splice(0, this.events.length, ...kept);
    this.chars -= chars;
  }

  /** Drops the oldest events past a cap or past their time. */
  private trim(): void {
    const expired = this.now() - this.limits.keepMs;
    let drop = 0;
    let chars = this.chars;
    const count = this.events.length;
    while (drop < count) {
      const oldest = this.events[drop]!;
      if (count - drop <= this.limits.maxEvents && chars <= this.limits.maxChars && oldest.at > expired) break;
      chars -= oldest.json.length;
      this.byId.delete(oldest.id);
      drop++;
    }
    if (drop > 0) this.events.splice(0, drop);
    this.budget?.changed(chars - this.chars, -drop);
    this.chars = chars;
  }
}
