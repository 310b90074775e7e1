import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_RELISTEN_DELAY_MS, ModernListener, RELISTEN_DELAY_MS, STABLE_LISTEN_MS, type ListenFilter } from './modern-listen.js';

/** A fake `listen()`: records each stream's filter and when it is closed; `end(i)` ends stream i from the server's side. */
function fakeServer() {
  const events: string[] = [];
  const enders: ((cause: string) => void)[] = [];
  const filters: ListenFilter[] = [];
  const state = { failing: false };
  const listen = async (filter: ListenFilter) => {
    if (state.failing) throw new Error('refused');
    const index = filters.push(filter) - 1;
    events.push(`open ${index}`);
    let end!: (cause: string) => void;
    const closed = new Promise<string>((resolve) => (end = resolve));
    enders.push(end);
    return {
      closed,
      close: async () => {
        events.push(`close ${index}`);
        end('local');
      },
    };
  };
  return { events, filters, listen, state, end: (index: number) => enders[index]!('remote') };
}

afterEach(() => vi.useRealTimers());

describe('the listen stream of a 2026-07-28 server', () => {
  it('asks for the list changes the server offers, and opens anew for each change of the watched resources (the new one first)', async () => {
    const server = fakeServer();
    const capabilities = { tools: { listChanged: true }, resources: { subscribe: true, listChanged: false } };
    const listener = new ModernListener(server.listen, () => capabilities, vi.fn(), vi.fn());
    await listener.open();
    await listener.watch('note://1');
    await listener.watch('note://2');
    await listener.unwatch('note://1');
    expect(server.filters).toEqual([
      { toolsListChanged: true },
      { toolsListChanged: true, resourceSubscriptions: ['note://1'] },
      { toolsListChanged: true, resourceSubscriptions: ['note://1', 'note://2'] },
      { toolsListChanged: true, resourceSubscriptions: ['note://2'] },
    ]);
    expect(server.events).toEqual(['open 0', 'open 1', 'close 0', 'open 2', 'close 1', 'open 3', 'close 2']);
    listener.stop();
    expect(server.events.at(-1)).toBe('close 3');
  });

  it('opens nothing for a server that offers nothing', async () => {
    const server = fakeServer();
    const listener = new ModernListener(server.listen, () => ({ resources: { listChanged: false } }), vi.fn(), vi.fn());
    await listener.open();
    await listener.watch('note://1');
    expect(server.filters).toEqual([]);
  });

  it('opens a stream the server ended again after a while, then resyncs; stopped, it does not', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const resync = vi.fn();
    const listener = new ModernListener(server.listen, () => ({ prompts: { listChanged: true } }), resync, vi.fn());
    await listener.open();
    server.end(0);
    await vi.advanceTimersByTimeAsync(RELISTEN_DELAY_MS);
    expect(server.filters).toHaveLength(2);
    expect(resync).toHaveBeenCalledTimes(1);
    listener.stop();
    server.end(1);
    await vi.advanceTimersByTimeAsync(RELISTEN_DELAY_MS * 2);
    expect(server.filters).toHaveLength(2);
  });

  it('backs off a server that ends every stream at once (1 s doubling to 60 s), resyncing once per cycle', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const resync = vi.fn();
    const listener = new ModernListener(server.listen, () => ({ tools: { listChanged: true } }), resync, vi.fn());
    await listener.open();
    let delay = RELISTEN_DELAY_MS;
    for (let index = 0; index < 9; index++) {
      server.end(index);
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(server.filters).toHaveLength(index + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(server.filters).toHaveLength(index + 2);
      delay = Math.min(delay * 2, MAX_RELISTEN_DELAY_MS);
    }
    expect(delay).toBe(MAX_RELISTEN_DELAY_MS);
    expect(resync).toHaveBeenCalledTimes(1);
    // A stream that stays open: the resync owed since, and the backoff starts over.
    await vi.advanceTimersByTimeAsync(STABLE_LISTEN_MS);
    expect(resync).toHaveBeenCalledTimes(2);
    server.end(9);
    await vi.advanceTimersByTimeAsync(RELISTEN_DELAY_MS);
    expect(server.filters).toHaveLength(11);
    expect(resync).toHaveBeenCalledTimes(3);
    listener.stop();
  });

  it('tries again, with backoff, to open a stream that failed to open again; stopped, it does not', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const resync = vi.fn();
    const onError = vi.fn();
    const listener = new ModernListener(server.listen, () => ({ tools: { listChanged: true } }), resync, onError);
    await listener.open();
    server.state.failing = true;
    server.end(0);
    await vi.advanceTimersByTimeAsync(RELISTEN_DELAY_MS);
    expect(onError).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2 * RELISTEN_DELAY_MS);
    expect(onError).toHaveBeenCalledTimes(2);
    server.state.failing = false;
    await vi.advanceTimersByTimeAsync(4 * RELISTEN_DELAY_MS);
    expect(server.filters).toHaveLength(2);
    expect(resync).toHaveBeenCalledTimes(1);
    server.state.failing = true;
    server.end(1);
    listener.stop();
    await vi.advanceTimersByTimeAsync(MAX_RELISTEN_DELAY_MS * 2);
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it('forgets a watched resource whose stream failed to open, and watches many on one stream', async () => {
    const server = fakeServer();
    const capabilities = { resources: { subscribe: true } };
    const listener = new ModernListener(server.listen, () => capabilities, vi.fn(), vi.fn());
    await listener.watchAll(['note://1', 'note://2', 'note://3']);
    expect(server.filters).toEqual([{ resourceSubscriptions: ['note://1', 'note://2', 'note://3'] }]);
    server.state.failing = true;
    await expect(listener.watch('note://4')).rejects.toThrow('refused');
    // Failed for one already watched: it stays watched.
    await expect(listener.watch('note://1')).rejects.toThrow('refused');
    server.state.failing = false;
    await listener.unwatch('note://2');
    expect(server.filters.at(-1)).toEqual({ resourceSubscriptions: ['note://1', 'note://3'] });
    listener.stop();
  });
});
