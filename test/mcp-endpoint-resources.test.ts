// Resources, prompts and completions on the gateway's MCP endpoint, with the SDK's 2.x client in
// both protocol eras (and its 1.x client): server-everything (stdio) and two instances of a small server whose URIs and
// prompt names clash, behind `/mcp` (namespaced), `/mcp/{server}` (transparent) and a group.
// Lists, reads (a listed resource, a template-expanded one, what a tool's resource_link names),
// prompts, completions, subscriptions and list_changed. Real servers, real HTTP.
import fs from 'node:fs';
import path from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { callKit, node } from './helpers/calls.js';
import { EVERYTHING_BIN, FAST, fixture, startTestGateway, tempDir, waitForServer } from './helpers/gateway.js';
import { XSS } from './helpers/hostile.js';
import { waitUntil } from './helpers/process.js';

const kit = callKit();
const KEY = 'mcp-resources-test-key-0123456789';

type Era = 'legacy' | 'modern';

async function connect(url: string, era: Era, token?: string): Promise<ClientV2> {
  const client = new ClientV2(
    { name: 'resources-client', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new HttpV2(new URL(url), { requestInit: { headers } }));
  kit.defer(() => client.close());
  return client;
}

const notes = (name: string) => ({ command: node, args: [fixture('resources-server.mjs')], env: { RESOURCES_NAME: name } });
const everything = { command: node, args: [EVERYTHING_BIN, 'stdio'] };

async function gateway(settings: object = {}, options: object = {}) {
  const started = await kit.gateway({ e: everything, a: notes('a'), b: notes('b') }, settings, options);
  return { ...started, base: await kit.listen(started.app) };
}

/** The first text of a read. */
function textOf(result: { contents: { uri: string; text?: string }[] }): string | undefined {
  return result.contents[0]?.text;
}

/** Resource not found as the SDK answers it on every era (the 2026-07-28 revision's -32602 with the URI; -32002 before). */
const notFound = (uri: string) => ({ code: -32602, data: { uri } });

async function errorOf(promise: Promise<unknown>): Promise<{ code?: number; message: string; data?: unknown }> {
  return promise.then(
    () => ({ message: 'no error' }),
    (error: { code?: number; message: string }) => error,
  );
}

describe('/mcp resources', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`namespaces URIs on /mcp so clashing ones round-trip, and reads listed and template-expanded resources (${era})`, async () => {
      const { base } = await gateway();
      const client = await connect(`${base}/mcp`, era);
      expect(client.getServerCapabilities()).toMatchObject({
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
      });
      const { resources } = await client.listResources();
      const uris = resources.map((resource) => resource.uri);
      expect(uris).toContain('mcpgw://a/note://shared');
      expect(uris).toContain('mcpgw://b/note://shared');
      const shared = resources.find((resource) => resource.uri === 'mcpgw://b/note://shared')!;
      expect(shared._meta).toMatchObject({ 'mcp-gateway/origin': { server: 'b', uri: 'note://shared' } });
      expect(uris.filter((uri) => uri.startsWith('mcpgw://e/demo://')).length).toBeGreaterThan(0);

      const a = await client.readResource({ uri: 'mcpgw://a/note://shared' });
      expect(a.contents).toEqual([{ uri: 'mcpgw://a/note://shared', mimeType: 'text/plain', text: 'shared note of a' }]);
      expect(textOf(await client.readResource({ uri: 'mcpgw://b/note://shared' }))).toBe('shared note of b');

      const { resourceTemplates } = await client.listResourceTemplates();
      const templates = resourceTemplates.map((template) => template.uriTemplate);
      expect(templates).toContain('mcpgw://e/demo://resource/dynamic/text/{resourceId}');
      expect(templates).toContain('mcpgw://a/note://items/{id}');
      // The client expands the namespaced template and reads what it names.
      const item = await client.readResource({ uri: 'mcpgw://a/note://items/{id}'.replace('{id}', '42') });
      expect(item.contents[0]).toMatchObject({ uri: 'mcpgw://a/note://items/42', text: 'item 42 of a' });
      const dynamic = await client.readResource({ uri: 'mcpgw://e/demo://resource/dynamic/text/3' });
      expect(dynamic.contents[0]!.uri).toBe('mcpgw://e/demo://resource/dynamic/text/3');
      expect(textOf(dynamic)).toEqual(expect.any(String));

      // A URI no server behind the endpoint has, and one its server does not know.
      expect(await errorOf(client.readResource({ uri: 'note://shared' }))).toMatchObject(notFound('note://shared'));
      expect(await errorOf(client.readResource({ uri: 'mcpgw://nobody/note://shared' }))).toMatchObject(
        notFound('mcpgw://nobody/note://shared'),
      );
      expect(await errorOf(client.readResource({ uri: 'mcpgw://a/note://nowhere' }))).toMatchObject(notFound('mcpgw://a/note://nowhere'));
    });
  }

  it("takes the SDK's 1.x client's lists, reads, prompts and completions too", async () => {
    const { base } = await gateway();
    const client = new ClientV1({ name: 'v1-client', version: '1.0.0' });
    await client.connect(new HttpV1(new URL(`${base}/mcp`)));
    kit.defer(() => client.close());
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toContain('mcpgw://a/note://shared');
    expect((await client.readResource({ uri: 'mcpgw://b/note://shared' })).contents[0]).toMatchObject({ text: 'shared note of b' });
    expect((await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate)).toContain(
      'mcpgw://a/note://items/{id}',
    );
    expect((await client.getPrompt({ name: 'a__simple-prompt' })).messages[0]!.content).toEqual({ type: 'text', text: 'hello from a' });
    const completed = await client.complete({
      ref: { type: 'ref/prompt', name: 'e__completable-prompt' },
      argument: { name: 'department', value: '' },
    });
    expect(completed.completion.values.length).toBeGreaterThan(0);
  });

  it('passes URIs through unchanged on /mcp/{server}, and declares only what that server offers', async () => {
    const { base } = await gateway();
    const client = await connect(`${base}/mcp/a`, 'legacy');
    expect(client.getServerCapabilities()?.resources).toEqual({ listChanged: true });
    expect(client.getServerCapabilities()?.completions).toBeUndefined();
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toEqual(['note://shared', 'ui://notes/app.html']);
    expect(textOf(await client.readResource({ uri: 'note://shared' }))).toBe('shared note of a');
    expect((await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate)).toEqual(['note://items/{id}']);
    expect(textOf(await client.readResource({ uri: 'note://items/7' }))).toBe('item 7 of a');

    const modern = await connect(`${base}/mcp/e`, 'modern');
    const listed = (await modern.listResources()).resources.map((resource) => resource.uri);
    expect(listed.every((uri) => uri.startsWith('demo://'))).toBe(true);
    expect(textOf(await modern.readResource({ uri: 'demo://resource/dynamic/text/5' }))).toEqual(expect.any(String));
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`rewrites the resource_links of tool results on /mcp, so the client reads what a tool linked (${era})`, async () => {
      const { base } = await gateway();
      const client = await connect(`${base}/mcp`, era);
      const linked = await client.callTool({ name: 'a__link', arguments: {} });
      expect(linked.content).toEqual([{ type: 'resource_link', uri: 'mcpgw://a/note://shared', name: 'shared', mimeType: 'text/plain' }]);
      const read = await client.readResource({ uri: (linked.content as { uri: string }[])[0]!.uri });
      expect(textOf(read)).toBe('shared note of a');

      const links = await client.callTool({ name: 'e__get-resource-links', arguments: { count: 2 } });
      const uris = (links.content as { type: string; uri?: string }[])
        .filter((item) => item.type === 'resource_link')
        .map((item) => item.uri!);
      expect(uris).toHaveLength(2);
      for (const uri of uris) {
        expect(uri).toMatch(/^mcpgw:\/\/e\/demo:\/\//);
        expect((await client.readResource({ uri })).contents[0]!.uri).toBe(uri);
      }
      // On /mcp/{server} the tool's own URI comes through.
      const direct = await connect(`${base}/mcp/a`, era);
      expect((await direct.callTool({ name: 'link', arguments: {} })).content).toMatchObject([{ uri: 'note://shared' }]);
    });
  }

  it("keeps an MCP App's ui:// scheme on /mcp: the tool names its namespaced app, which reads", async () => {
    const { base } = await gateway();
    for (const era of ['legacy', 'modern'] as const) {
      const client = await connect(`${base}/mcp`, era);
      const tool = (await client.listTools()).tools.find((candidate) => candidate.name === 'b__app')!;
      expect(tool._meta).toMatchObject({ ui: { resourceUri: 'ui://b/notes/app.html' } });
      const app = await client.readResource({ uri: (tool._meta as { ui: { resourceUri: string } }).ui.resourceUri });
      expect(app.contents).toEqual([{ uri: 'ui://b/notes/app.html', mimeType: 'text/html;profile=mcp-app', text: '<p>app of b</p>' }]);
      expect((await client.listResources()).resources.map((resource) => resource.uri)).toContain('ui://a/notes/app.html');
    }
    const direct = await connect(`${base}/mcp/b`, 'legacy');
    const tool = (await direct.listTools()).tools.find((candidate) => candidate.name === 'app')!;
    expect(tool._meta).toEqual({ ui: { resourceUri: 'ui://notes/app.html' } });
    expect(textOf(await direct.readResource({ uri: 'ui://notes/app.html' }))).toBe('<p>app of b</p>');
  });

  it('tells a 2025-era session of updates to a resource it subscribed to, by the URI it subscribed with', async () => {
    const { base } = await gateway();
    const client = await connect(`${base}/mcp`, 'legacy');
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updated.push(notification.params.uri);
    });
    const uri = 'mcpgw://e/demo://resource/dynamic/text/1';
    await client.subscribeResource({ uri });
    // server-everything sends updates for its subscribed URIs every 5 s once this is on.
    await client.callTool({ name: 'e__toggle-subscriber-updates', arguments: {} });
    await waitUntil(() => updated.length > 0, 20_000, 'notifications/resources/updated');
    expect(updated[0]).toBe(uri);
    await client.unsubscribeResource({ uri });
    expect(await errorOf(client.subscribeResource({ uri: 'mcpgw://nobody/x://y' }))).toMatchObject(notFound('mcpgw://nobody/x://y'));
  });

  it('tells a 2026-07-28 client of updates to a resource its subscriptions/listen stream names', async () => {
    const { base } = await gateway();
    const client = await connect(`${base}/mcp/e`, 'modern');
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updated.push(notification.params.uri);
    });
    const uri = 'demo://resource/dynamic/text/2';
    const subscription = await client.listen({ resourceSubscriptions: [uri] });
    kit.defer(() => subscription.close());
    expect(subscription.honoredFilter).toEqual({ resourceSubscriptions: [uri] });
    await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await waitUntil(() => updated.length > 0, 20_000, 'notifications/resources/updated on the listen stream');
    expect(updated[0]).toBe(uri);
  });
});

describe('/mcp resource subscriptions end with their client', () => {
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : []);

  it('unsubscribes upstream when a 2025-era session ends, and shares one upstream subscription between 2026-07-28 streams', async () => {
    const log = path.join(tempDir(), 'subscriptions.log');
    const started = await kit.gateway({ a: { ...notes('a'), env: { RESOURCES_NAME: 'a', RESOURCES_SUBSCRIBE_LOG: log } } });
    const base = await kit.listen(started.app);

    const session = new ClientV2({ name: 'resources-client', version: '1.0.0' });
    const transport = new HttpV2(new URL(`${base}/mcp`));
    await session.connect(transport);
    kit.defer(() => session.close());
    await session.subscribeResource({ uri: 'mcpgw://a/note://shared' });
    expect(lines(log)).toEqual(['subscribe note://shared']);
    await transport.terminateSession();
    await waitUntil(() => lines(log).length === 2, 10_000, 'the upstream unsubscribe after the session ended');
    expect(lines(log)[1]).toBe('unsubscribe note://shared');

    const one = await connect(`${base}/mcp/a`, 'modern');
    const two = await connect(`${base}/mcp/a`, 'modern');
    const first = await one.listen({ resourceSubscriptions: ['note://items/1'] });
    const second = await two.listen({ resourceSubscriptions: ['note://items/1'] });
    await waitUntil(() => lines(log).length === 3, 10_000, 'the upstream subscribe of the listen streams');
    await first.close();
    await second.close();
    await waitUntil(() => lines(log).length === 4, 10_000, 'the upstream unsubscribe after the last stream closed');
    expect(lines(log).slice(2)).toEqual(['subscribe note://items/1', 'unsubscribe note://items/1']);
  });
});

describe('/mcp prompts and completions', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`names prompts {server}__{prompt} on /mcp, gets them with their resources namespaced, and completes arguments (${era})`, async () => {
      const { base } = await gateway();
      const client = await connect(`${base}/mcp`, era);
      const { prompts } = await client.listPrompts();
      const names = prompts.map((prompt) => prompt.name);
      expect(names).toEqual(expect.arrayContaining(['e__simple-prompt', 'a__simple-prompt', 'b__simple-prompt', 'e__args-prompt']));
      const b = prompts.find((prompt) => prompt.name === 'b__simple-prompt')!;
      expect(b._meta).toMatchObject({ 'mcp-gateway/origin': { server: 'b', prompt: 'simple-prompt' } });
      expect(b.title).toBe('b/simple-prompt');

      const got = await client.getPrompt({ name: 'b__simple-prompt' });
      expect(got.messages).toEqual([
        { role: 'user', content: { type: 'text', text: 'hello from b' } },
        {
          role: 'user',
          content: { type: 'resource', resource: { uri: 'mcpgw://b/note://shared', mimeType: 'text/plain', text: 'shared note of b' } },
        },
      ]);
      const args = await client.getPrompt({ name: 'e__args-prompt', arguments: { city: 'Lisbon' } });
      expect(JSON.stringify(args.messages)).toContain('Lisbon');
      expect(await errorOf(client.getPrompt({ name: 'simple-prompt' }))).toMatchObject({ code: -32602 });

      const departments = await client.complete({
        ref: { type: 'ref/prompt', name: 'e__completable-prompt' },
        argument: { name: 'department', value: '' },
      });
      expect(departments.completion.values.length).toBeGreaterThan(0);
      const ids = await client.complete({
        ref: { type: 'ref/resource', uri: 'mcpgw://e/demo://resource/dynamic/text/{resourceId}' },
        argument: { name: 'resourceId', value: '1' },
      });
      expect(ids.completion.values).toContain('1');
    });
  }

  it('passes prompt names through on /mcp/{server}', async () => {
    const { base } = await gateway();
    const client = await connect(`${base}/mcp/e`, 'legacy');
    const names = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
    expect(names).toContain('simple-prompt');
    expect(names.some((name) => name.includes('__'))).toBe(false);
    expect((await client.getPrompt({ name: 'simple-prompt' })).messages.length).toBeGreaterThan(0);
    const completed = await client.complete({
      ref: { type: 'ref/prompt', name: 'completable-prompt' },
      argument: { name: 'department', value: 'E' },
    });
    expect(completed.completion.values.every((value) => value.startsWith('E'))).toBe(true);
  });

  it("serves on a group the resources and prompts of the servers its patterns name, and nobody else's", async () => {
    const started = await startTestGateway({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { e: everything, a: notes('a'), b: notes('b') },
      groups: { notes: { tools: ['a/*', 'b/link'] } },
    });
    kit.defer(() => started.close());
    for (const name of ['e', 'a', 'b']) await waitForServer(started.supervisor, name, 'ready');
    const base = await kit.listen(started.app);
    const client = await connect(`${base}/mcp/notes`, 'legacy');
    // Neither notes server offers completions: the group does not declare them.
    expect(client.getServerCapabilities()?.completions).toBeUndefined();
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual([
      'mcpgw://a/note://shared',
      'ui://a/notes/app.html',
      'mcpgw://b/note://shared',
      'ui://b/notes/app.html',
    ]);
    expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual(['a__simple-prompt', 'b__simple-prompt']);
    expect(await errorOf(client.readResource({ uri: 'mcpgw://e/demo://resource/dynamic/text/1' }))).toMatchObject(
      notFound('mcpgw://e/demo://resource/dynamic/text/1'),
    );
  });
});

describe('/mcp resources and prompts: scopes and live lists', () => {
  it('needs tools:read to list, and tools:call to read contents or get a prompt (the data a server hands out)', async () => {
    const { app, base } = await gateway({}, { apiKey: KEY });
    const keyWith = async (scopes: string[]) => {
      const created = await request(app)
        .post('/api/keys')
        .set('Authorization', `Bearer ${KEY}`)
        .send({ label: scopes.join(' '), scopes });
      expect(created.status).toBe(201);
      return created.body.token as string;
    };
    const caller = await connect(`${base}/mcp`, 'legacy', await keyWith(['tools:call']));
    for (const refused of [() => caller.listResources(), () => caller.listPrompts()]) {
      expect(await errorOf(refused())).toMatchObject({ code: -32600, message: expect.stringContaining('tools:read') });
    }
    const reader = await connect(`${base}/mcp`, 'legacy', await keyWith(['tools:read']));
    expect((await reader.listResources()).resources.length).toBeGreaterThan(0);
    expect((await reader.listPrompts()).prompts.length).toBeGreaterThan(0);
    for (const refused of [
      () => reader.readResource({ uri: 'mcpgw://a/note://shared' }),
      () => reader.getPrompt({ name: 'a__simple-prompt' }),
    ]) {
      expect(await errorOf(refused())).toMatchObject({ code: -32600, message: expect.stringContaining('tools:call') });
    }
    const both = await connect(`${base}/mcp`, 'legacy', await keyWith(['tools:read', 'tools:call']));
    expect((await both.readResource({ uri: 'mcpgw://a/note://shared' })).contents[0]).toMatchObject({ text: 'shared note of a' });
  });

  it('needs tools:read to watch resources on a 2026-07-28 listen stream, as resources/subscribe does', async () => {
    const log = path.join(tempDir(), 'subscriptions.log');
    const started = await kit.gateway(
      { a: { ...notes('a'), env: { RESOURCES_NAME: 'a', RESOURCES_SUBSCRIBE_LOG: log } } },
      {},
      { apiKey: KEY },
    );
    const base = await kit.listen(started.app);
    const keyWith = async (scopes: string[]) =>
      (
        await request(started.app)
          .post('/api/keys')
          .set('Authorization', `Bearer ${KEY}`)
          .send({ label: scopes.join(' '), scopes })
      ).body.token as string;
    const caller = await connect(`${base}/mcp/a`, 'modern', await keyWith(['tools:call']));
    expect(await errorOf(caller.listen({ resourceSubscriptions: ['note://shared'] }))).toMatchObject({
      code: -32600,
      message: expect.stringContaining('tools:read'),
    });
    // The same key may still listen for list changes.
    const lists = await caller.listen({});
    kit.defer(() => lists.close());
    const reader = await connect(`${base}/mcp/a`, 'modern', await keyWith(['tools:read']));
    const watching = await reader.listen({ resourceSubscriptions: ['note://items/7'] });
    kit.defer(() => watching.close());
    await waitUntil(() => fs.existsSync(log), 10_000, "the reader's upstream subscribe");
    // Only the reader's watch went upstream.
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['subscribe note://items/7']);
  });

  it("declares an endpoint's resource and prompt capabilities from its servers once per change of them, not per request", async () => {
    const { supervisor, base, gateway: running } = await gateway();
    const client = await connect(`${base}/mcp/a`, 'modern');
    const a = supervisor.require('a');
    const asked = vi.spyOn(a, 'features');
    kit.defer(() => asked.mockRestore());
    // A server's late news (a list or a state that arrives after it is ready, as under load) is a
    // change too, and the endpoint asks anew at the next request. So: a round of requests in which
    // no change came (a first request takes any change before the round) asks nothing.
    let changes = 0;
    const changed = () => void changes++;
    running.events.on('server.changed', changed);
    kit.defer(() => void running.events.off('server.changed', changed));
    await waitUntil(
      async () => {
        changes = 0;
        await client.listResources();
        asked.mockClear();
        for (let i = 0; i < 3; i++) expect((await client.listResources()).resources.length).toBeGreaterThan(0);
        if (changes > 0) return false;
        expect(asked).toHaveBeenCalledTimes(0);
        return true;
      },
      10_000,
      'a round of requests without a change of the servers',
    );
    running.events.off('server.changed', changed);
    // A change of its servers makes the endpoint ask again (once).
    await supervisor.setEnabled('b', false);
    await waitUntil(
      async () => {
        await client.listPrompts();
        return asked.mock.calls.length > 0;
      },
      10_000,
      'the capabilities asked anew',
    );
    const after = asked.mock.calls.length;
    for (let i = 0; i < 3; i++) await client.listPrompts();
    expect(asked.mock.calls.length).toBe(after);
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`tells clients the resource and prompt lists changed when a server is disabled (${era})`, async () => {
      const { supervisor, base } = await gateway();
      const client = await connect(`${base}/mcp`, era);
      const heard = { resources: 0, prompts: 0 };
      client.setNotificationHandler('notifications/resources/list_changed', () => {
        heard.resources++;
      });
      client.setNotificationHandler('notifications/prompts/list_changed', () => {
        heard.prompts++;
      });
      if (era === 'modern') {
        const subscription = await client.listen({ resourcesListChanged: true, promptsListChanged: true });
        kit.defer(() => subscription.close());
        expect(subscription.honoredFilter).toEqual({ resourcesListChanged: true, promptsListChanged: true });
      }
      await supervisor.setEnabled('b', false);
      await waitUntil(() => heard.resources > 0 && heard.prompts > 0, 10_000, 'resources and prompts list_changed');
      expect((await client.listResources()).resources.map((resource) => resource.uri)).not.toContain('mcpgw://b/note://shared');
      expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).not.toContain('b__simple-prompt');
    });
  }
});

describe('/mcp limits on reads and prompts', () => {
  it("holds a read and a prompt to gateway.maxResultBytes and a read to the server's own timeoutMs", async () => {
    const started = await kit.gateway(
      {
        h: {
          command: node,
          args: [fixture('hostile-resources-server.mjs')],
          env: { HOSTILE_PAYLOADS: JSON.stringify(XSS) },
          timeoutMs: 500,
        },
      },
      { maxResultBytes: 4000, toolTimeoutMs: 60_000 },
    );
    const base = await kit.listen(started.app);
    for (const era of ['legacy', 'modern'] as const) {
      const client = await connect(`${base}/mcp/h`, era);
      expect(textOf(await client.readResource({ uri: 'hostile://bidi' }))).toBe('a\u202Eb\u200Bc');
      const big = await errorOf(client.readResource({ uri: 'hostile://big' }));
      expect(big.code, era).toBe(-32603);
      expect(big.message, era).toMatch(
        /server h: the answer to reading hostile:\/\/big is \d+ bytes, larger than gateway.maxResultBytes \(4000 bytes\)/,
      );
      expect((await client.getPrompt({ name: 'probe', arguments: { topic: 'small' } })).messages.length).toBe(4);
      const prompt = await errorOf(client.getPrompt({ name: 'probe', arguments: { topic: 'x'.repeat(5000) } }));
      expect(prompt.code, era).toBe(-32603);
      expect(prompt.message, era).toContain('larger than gateway.maxResultBytes (4000 bytes)');
      // The server's timeoutMs (500 ms), not gateway.toolTimeoutMs (a minute).
      const began = Date.now();
      const slow = await errorOf(client.readResource({ uri: 'hostile://slow' }));
      expect(slow.code, era).toBe(-32603);
      expect(slow.message, era).toMatch(/server h: .*tim/i);
      expect(Date.now() - began, era).toBeLessThan(30_000);
    }
  });
});
