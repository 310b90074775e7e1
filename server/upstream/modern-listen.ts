/**
 * The change notifications of a server spoken to in the 2026-07-28 era (modern-client.ts): that
 * revision sends them only on a `subscriptions/listen` stream the client opens, whose filter names
 * what it wants — the list changes the server offers (`tools`, `prompts`, `resources` with
 * `listChanged`) and the resources watched now (`resourceSubscriptions`, when the server offers
 * `resources.subscribe`; resource-watches.ts keeps who watches what). The notifications reach the
 * client's ordinary notification handlers, as on a 2025 session.
 *
 * One stream at a time: a change of the watched resources opens a new one with the new filter and
 * closes the old one after the new one is acknowledged (nothing is missed in between). A stream the
 * server ends is opened again after `RELISTEN_DELAY_MS`, and then `resync` runs (lists and watched
 * resources may have changed while no stream was open); a server that refuses it is left alone
 * until the connection reconnects (its health check notices a server that is gone).
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

/** The wait before a stream the server ended is opened again. */
export const RELISTEN_DELAY_MS = 1000;

export class ModernListener {
  private readonly uris = new Set<string>();
  private current: ListenSubscription | undefined;
  /** Filter changes, one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
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

  /** Adds `uri` to the watched resources; resolves once the server acknowledged the new stream. */
  watch(uri: string): Promise<void> {
    this.uris.add(uri);
    return this.change();
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

  private relisten(): void {
    this.current = undefined;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.change().then(
        () => {
          if (!this.stopped) this.resync();
        },
        (error: unknown) => this.onError(error),
      );
    }, RELISTEN_DELAY_MS);
    this.timer.unref();
  }
}
