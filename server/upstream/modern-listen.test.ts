import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModernListener, RELISTEN_DELAY_MS, type ListenFilter } from './modern-listen.js';

/** A fake `listen()`: records each stream's filter and when it is closed; `end(i)` ends stream i from the server's side. */
function fakeServer() {
  const events: string[] = [];
  const enders: ((cause: string) => void)[] = [];
  const filters: ListenFilter[] = [];
  const listen = async (filter: ListenFilter) => {
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
  return { events, filters, listen, end: (index: number) => enders[index]!('remote') };
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
});
