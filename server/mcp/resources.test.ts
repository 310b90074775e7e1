import { describe, expect, it } from 'vitest';
import type { UpstreamConnection } from '../upstream/connection.js';
import { ListenWatches, subscribedUris } from './resources.js';

/** A server that records its watches (the part of a connection ListenWatches uses). */
function watchedServer(name: string) {
  const log: string[] = [];
  const listeners = new Map<string, (uri: string) => void>();
  const connection = {
    name,
    async watchResource(uri: string, listener: (uri: string) => void) {
      log.push(`watch ${uri}`);
      listeners.set(uri, listener);
      return () => log.push(`end ${uri}`);
    },
  } as unknown as UpstreamConnection;
  return { connection, log, update: (uri: string) => listeners.get(uri)?.(uri) };
}

const listen = (uris: unknown) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'subscriptions/listen',
  params: { notifications: { resourceSubscriptions: uris } },
});
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the watches of listen streams', () => {
  it('watch a URI once for every stream naming it, and end it when the last stream closes', async () => {
    const server = watchedServer('a');
    const updated: string[] = [];
    const watches = new ListenWatches((uri) => updated.push(uri));
    const closeFirst = watches.watch(listen(['mcpgw://a/note://x']), () => [server.connection], true);
    const closeSecond = watches.watch(listen(['mcpgw://a/note://x', 'mcpgw://a/note://x']), () => [server.connection], true);
    await settle();
    expect(server.log).toEqual(['watch note://x']);
    server.update('note://x');
    expect(updated).toEqual(['mcpgw://a/note://x']);
    closeFirst();
    closeFirst();
    await settle();
    expect(server.log).toEqual(['watch note://x']);
    closeSecond();
    await settle();
    expect(server.log).toEqual(['watch note://x', 'end note://x']);
  });

  it('skip URIs no server behind the endpoint has, and messages that are not listen requests', async () => {
    const server = watchedServer('a');
    const watches = new ListenWatches(() => undefined);
    let asked = 0;
    const connections = () => {
      asked++;
      return [server.connection];
    };
    watches.watch({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, connections, true)();
    expect(asked).toBe(0);
    watches.watch(listen(['note://x', 'mcpgw://b/note://x']), connections, true)();
    await settle();
    expect(server.log).toEqual([]);
    expect(subscribedUris(listen('note://x'))).toEqual([]);
  });
});
