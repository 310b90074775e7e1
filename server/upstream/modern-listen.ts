/**
 * The change notifications of a server spoken to in the 2026-07-28 era (modern-client.ts): that
 * revision sends them only on a `subscriptions/listen` stream the client opens, whose filter names
 * what it wants — the list changes the server offers (`tools`, `prompts`, `resources` with
 * `listChanged`) and the resources watched now (`resourceSubscriptions`, when the server offers
 * `resources.subscribe`; resource-watches.ts keeps who watches what). The notifications reach the
 * client's ordinary notification handlers, as on a 2025 session.
 *
 * One stream at a time: a change of the watched resources opens a new one with the new filter and
 * closes the old one after the new one is acknowledged (nothing is missed in between); the watched
 * resources of a new connection go on one stream together (`watchAll`). A stream the server ends, or
 * that could not be opened again, is opened again after a backoff: `RELISTEN_DELAY_MS`, doubled after
 * each stream that ended (or failed) within `STABLE_LISTEN_MS` of opening, up to `MAX_RELISTEN_DELAY_MS`,
 * and back to the first delay once a stream stayed open `STABLE_LISTEN_MS`. Then `resync` runs (lists
 * and watched resources may have changed while no stream was open), at most once per such cycle:
 * a server that ends its streams at once is resynced on the first reopening, and once more when a
 * stream finally stays open (if it ended again after that first resync). Stopped, nothing reopens.
 */

/** What the stream asks for (SEP-2575 `SubscriptionFilter`). */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** An open stream, as the 2.x client's `listen()` gives it. */
export interface ListenSubscription {
  close(): Promise<void>;
  /** Resolves when the stream ends: `local` (closed here) or `remote`. */
  closed: Promise<unknown>;
}

/** The server's capabilities that decide the filter. */
export interface ListenCapabilities {
  tools?: { listChanged?: boolean };
  prompts?: { listChanged?: boolean };
  resources?: { listChanged?: boolean; subscribe?: boolean };
}

/** The first wait before a stream the server ended (or that failed to open again) is opened again. */
export const RELISTEN_DELAY_MS = 1000;
/** The longest wait before opening again. */
export const MAX_RELISTEN_DELAY_MS = 60_000;
/** How long a stream stays open to count as stable (the backoff starts over). */
export const STABLE_LISTEN_MS = 30_000;

export class ModernListener {
  private readonly uris = new Set<string>();
  private current: ListenSubscription | undefined;
  /** Filter changes, one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Fires when the current stream has stayed open `STABLE_LISTEN_MS` (after a reopening). */
  private stableTimer: NodeJS.Timeout | undefined;
  /** Reopenings in a row without a stable stream (the backoff's exponent). */
  private attempts = 0;
  /** Whether this backoff cycle has resynced already, and whether a stream ended since (a resync owed when it turns stable). */
  private resynced = false;
  private owed = false;
  private stopped = false;

  constructor(
    private readonly listen: (filter: ListenFilter) => Promise<ListenSubscription>,
    private readonly capabilities: () => ListenCapabilities | undefined,
    /** After a stream the server ended is open again: what may have changed meanwhile is looked at anew. */
    private readonly resync: () => void,
    /** A stream that could not be opened again (the server refused it): logged. */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Opens the stream for the list changes the server offers (none: no stream). */
  open(): Promise<void> {
    return this.change();
  }

  /** Adds `uri` to the watched resources; resolves once the server acknowledged the new stream (failed: not added). */
  watch(uri: string): Promise<void> {
    return this.watchAll([uri]);
  }

  /** Adds `uris` to the watched resources, on one new stream; failed: none of those new is added. */
  async watchAll(uris: readonly string[]): Promise<void> {
    const added = uris.filter((uri) => !this.uris.has(uri));
    for (const uri of added) this.uris.add(uri);
    try {
      await this.change();
    } catch (error) {
      for (const uri of added) this.uris.delete(uri);
      throw error;
    }
  }

  /** Removes `uri` from the watched resources. */
  unwatch(uri: string): Promise<void> {
    this.uris.delete(uri);
    return this.change();
  }

  /** Closes the stream for good (the session ends). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.stableTimer);
    const current = this.current;
    this.current = undefined;
    current?.close().catch(() => undefined);
  }

  private filter(): ListenFilter {
    const capabilities = this.capabilities() ?? {};
    const uris = [...this.uris];
    return {
      ...(capabilities.tools?.listChanged && { toolsListChanged: true }),
      ...(capabilities.prompts?.listChanged && { promptsListChanged: true }),
      ...(capabilities.resources?.listChanged && { resourcesListChanged: true }),
      ...(capabilities.resources?.subscribe && uris.length > 0 && { resourceSubscriptions: uris }),
    };
  }

  private change(): Promise<void> {
    const next = this.queue.then(() => this.replace());
    // A failed change does not block the next one; its caller hears the failure.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async replace(): Promise<void> {
    if (this.stopped) return;
    const previous = this.current;
    const filter = this.filter();
    let opened: ListenSubscription | undefined;
    if (Object.keys(filter).length > 0) {
      opened = await this.listen(filter);
      if (this.stopped) {
        await opened.close().catch(() => undefined);
        return;
      }
      const subscription = opened;
      void subscription.closed.then((cause) => {
        if (cause === 'remote' && this.current === subscription && !this.stopped) this.relisten();
      });
    }
    this.current = opened;
    await previous?.close().catch(() => undefined);
  }

  /** Opens the stream again after the backoff's delay (see the file's comment); a failure tries again, later. */
  private relisten(): void {
    this.current = undefined;
    clearTimeout(this.timer);
    clearTimeout(this.stableTimer);
    this.owed ||= this.resynced;
    const delay = Math.min(RELISTEN_DELAY_MS * 2 ** this.attempts, MAX_RELISTEN_DELAY_MS);
    this.attempts++;
    this.timer = setTimeout(() => {
      this.change().then(
        () => {
          if (this.stopped) return;
          this.stableTimer = setTimeout(() => this.stable(), STABLE_LISTEN_MS);
          this.stableTimer.unref();
          if (this.resynced) return;
          this.resynced = true;
          this.resync();
        },
        (error: unknown) => {
          this.onError(error);
          if (!this.stopped) this.relisten();
        },
      );
    }, delay);
    this.timer.unref();
  }

  /** The stream stayed open: the backoff starts over, and a resync owed since this cycle's runs. */
  private stable(): void {
    this.attempts = 0;
    this.resynced = false;
    if (!this.owed || this.stopped) return;
    this.owed = false;
    this.resync();
  }
}
