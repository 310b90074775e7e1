// What an upstream connection offers beyond tools, against server-everything over each of the three
// transports (stdio, SSE, streamable HTTP): resource reads (text and blob, listed and from a
// template), prompts, completions and resource watches.
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamCallError } from '../server/upstream/types.js';
import { EVERYTHING_BIN, FAST, startTestGateway, waitForServer, type TestGateway } from './helpers/gateway.js';
import { startEverythingHttp } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Transport = 'stdio' | 'sse' | 'streamable-http';

async function everything(transport: Transport): Promise<TestGateway> {
  let server: object = { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] };
  if (transport !== 'stdio') {
    const upstream = await startEverythingHttp(transport);
    cleanups.push(() => upstream.stop());
    server = { type: transport, url: upstream.url };
  }
  const gateway = await startTestGateway({ approval: { default: 'allow' }, gateway: FAST, mcpServers: { e: server } });
  cleanups.push(() => gateway.close());
  await waitForServer(gateway.supervisor, 'e', 'ready');
  return gateway;
}

const OPTIONS = { timeoutMs: 10_000 };

for (const transport of ['stdio', 'sse', 'streamable-http'] as const)
  describe(`upstream resources, prompts and completions over ${transport}`, () => {
    it('lists resources and templates with what the server declared, and reads text and blobs', async () => {
      const connection = (await everything(transport)).supervisor.get('e')!;
      expect(connection.features()).toEqual({ resources: true, resourceSubscribe: true, prompts: true, completions: true, logging: true });
      const doc = connection.resources().find((resource) => resource.mimeType === 'text/markdown')!;
      expect(doc.definition).toMatchObject({ uri: doc.uri, name: doc.name });
      const text = await connection.readResource(doc.uri, OPTIONS);
      expect(text.contents[0]).toMatchObject({ uri: doc.uri, mimeType: 'text/markdown', text: expect.any(String) });

      const blobTemplate = connection.resourceTemplates().find((template) => template.uriTemplate.includes('/blob/'))!;
      expect(blobTemplate.uriTemplate).toBe('demo://resource/dynamic/blob/{resourceId}');
      const blob = await connection.readResource('demo://resource/dynamic/blob/7', OPTIONS);
      expect(blob.contents[0]!.blob).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(blob.contents[0]!.text).toBeUndefined();
    });

    it('reports a resource the server does not have as the server answered it', async () => {
      const connection = (await everything(transport)).supervisor.get('e')!;
      const error = await connection.readResource('demo://resource/nowhere', OPTIONS).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(UpstreamCallError);
      expect((error as UpstreamCallError).message).toMatch(/nowhere|not found|unknown/i);
    });

    it('gets a prompt with its arguments, and completes an argument from the ones already chosen', async () => {
      const connection = (await everything(transport)).supervisor.get('e')!;
      const prompt = await connection.getPrompt('args-prompt', { city: 'Lisbon' }, OPTIONS);
      expect(prompt.messages[0]!.role).toBe('user');
      expect(JSON.stringify(prompt.messages[0]!.content)).toContain('Lisbon');

      const departments = await connection.complete(
        { type: 'ref/prompt', name: 'completable-prompt' },
        { name: 'department', value: '' },
        undefined,
        OPTIONS,
      );
      expect(departments.values.length).toBeGreaterThan(1);
      const [department] = departments.values;
      const names = await connection.complete(
        { type: 'ref/prompt', name: 'completable-prompt' },
        { name: 'name', value: '' },
        { department: department! },
        OPTIONS,
      );
      expect(names.values.length).toBeGreaterThan(0);
      expect(names.values).not.toEqual(departments.values);
    });

    it('watches a resource: updates reach every watcher until it ends its watch', async () => {
      const gateway = await everything(transport);
      const connection = gateway.supervisor.get('e')!;
      const uri = connection.resources()[0]!.uri;
      const heard: string[] = [];
      const endFirst = await connection.watchResource(uri, (updated) => heard.push(`first ${updated}`));
      const endSecond = await connection.watchResource(uri, (updated) => heard.push(`second ${updated}`));
      // server-everything sends updates of subscribed resources (at once, then every 5 s) once this tool is called.
      await connection.callTool('toggle-subscriber-updates', {}, { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 });
      await waitUntil(() => heard.includes(`first ${uri}`) && heard.includes(`second ${uri}`), 15_000, 'an update for both watchers');
      endFirst();
      heard.length = 0;
      await waitUntil(() => heard.includes(`second ${uri}`), 15_000, 'the next update for the second watcher');
      expect(heard).not.toContain(`first ${uri}`);
      endSecond();
    });
  });

it('refuses every request of a server that is not ready with not-ready', async () => {
  const gateway = await startTestGateway({
    approval: { default: 'allow' },
    gateway: FAST,
    mcpServers: { off: { command: 'true', enabled: false } },
  });
  cleanups.push(() => gateway.close());
  const connection = gateway.supervisor.get('off')!;
  for (const attempt of [
    () => connection.readResource('x://y', OPTIONS),
    () => connection.getPrompt('p', {}, OPTIONS),
    () => connection.complete({ type: 'ref/prompt', name: 'p' }, { name: 'a', value: '' }, undefined, OPTIONS),
    () => connection.watchResource('x://y', () => undefined),
  ]) {
    await expect(attempt()).rejects.toMatchObject({ kind: 'not-ready' });
  }
  expect(connection.features().resources).toBe(false);
});
