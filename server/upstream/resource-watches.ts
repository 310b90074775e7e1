/**
 * Who watches which resource of one server (`resources/subscribe`): the first watcher of a URI
 * subscribes upstream, the last one to leave unsubscribes, and after a reconnect every watched URI
 * is subscribed again (a new session knows nothing of the old one's subscriptions). Watchers hear
 * `notifications/resources/updated` for their URI. The connection supplies the requests
 * (`connection.ts`); this file only keeps the books.
 */

export type ResourceUpdated = (uri: string) => void;

export interface WatchRequests {
  subscribe(uri: string): Promise<void>;
  unsubscribe(uri: string): Promise<void>;
}

export class ResourceWatches {
  private readonly watchers = new Map<string, Set<ResourceUpdated>>();
  /** The upstream subscription of each watched URI, while it is being made and once it is made. */
  private readonly subscribed = new Map<string, Promise<void>>();

  constructor(private readonly requests: WatchRequests) {}

  /**
   * Adds a watcher of `uri`; resolves once the server has accepted the subscription (the first
   * watcher's request, which later watchers wait for too), rejects if it refused (and then no
   * watcher of that request is kept). The returned function ends this watcher; ending it twice
   * does nothing.
   */
  async watch(uri: string, listener: ResourceUpdated): Promise<() => void> {
    let set = this.watchers.get(uri);
    if (!set) {
      set = new Set();
      this.watchers.set(uri, set);
    }
    set.add(listener);
    let subscription = this.subscribed.get(uri);
    if (!subscription) {
      subscription = this.requests.subscribe(uri);
      this.subscribed.set(uri, subscription);
    }
    try {
      await subscription;
    } catch (error) {
      if (this.subscribed.get(uri) === subscription) {
        this.subscribed.delete(uri);
        this.watchers.delete(uri);
      }
      throw error;
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const current = this.watchers.get(uri);
      if (!current) return;
      current.delete(listener);
      if (current.size > 0) return;
      this.watchers.delete(uri);
      this.subscribed.delete(uri);
      this.requests.unsubscribe(uri).catch(() => undefined); // the server may be gone already
    };
  }

  /** Tells the watchers of `uri` that it changed. */
  updated(uri: string): void {
    for (const listener of this.watchers.get(uri) ?? []) listener(uri);
  }

  /** The URIs watched now (to subscribe again after a reconnect). */
  uris(): string[] {
    return [...this.watchers.keys()];
  }

  get size(): number {
    return this.watchers.size;
  }
}
