// Resources, resource templates, prompts and completions in the management API, against
// server-everything (over stdio, and over streamable HTTP for a read) and a fixture server whose
// resources try to run script.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser.js';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture } from './helpers/gateway.js';
import { startEverythingHttp } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { allEvents, readSse } from './helpers/sse.js';

const kit = callKit();
const everything = { command: node, args: [EVERYTHING_BIN, 'stdio'] };
const resources = (env: Record<string, string> = {}) => ({ command: node, args: [fixture('media-resources-server.mjs')], env });

describe('resources', () => {
  it('lists resources and templates in pages, and reads text as JSON', async () => {
    const { app } = await kit.gateway({ e: everything });
    const first = await request(app).get('/api/servers/e/resources?limit=4').expect(200);
    expect(first.body.items).toHaveLength(4);
    expect(first.body.items[0]).toEqual({
      uri: expect.any(String),
      name: expect.any(String),
      title: expect.toBeOneOf([null, expect.any(String)]),
      description: expect.toBeOneOf([null, expect.any(String)]),
      mimeType: expect.toBeOneOf([null, expect.any(String)]),
      size: expect.toBeOneOf([null, expect.any(Number)]),
    });
    const rest = await request(app).get(`/api/servers/e/resources?limit=4&cursor=${first.body.nextCursor}`).expect(200);
    expect(rest.body.nextCursor).toBeNull();
    const uris = [...first.body.items, ...rest.body.items].map((item: { uri: string }) => item.uri);
    expect(new Set(uris).size).toBe(7);

    const templates = await request(app).get('/api/servers/e/resource-templates').expect(200);
    expect(templates.body.items.map((item: { uriTemplate: string }) => item.uriTemplate).sort()).toEqual([
      'demo://resource/dynamic/blob/{resourceId}',
      'demo://resource/dynamic/text/{resourceId}',
    ]);
    expectProblem(await request(app).get('/api/servers/e/resources?cursor=nonsense!'), 422, 'invalid-request');
    expectProblem(await request(app).get('/api/servers/nope/resources'), 404, 'server-not-found');

    const doc = first.body.items.concat(rest.body.items).find((item: { mimeType: string }) => item.mimeType === 'text/markdown');
    const read = await request(app).get('/api/servers/e/resource').query({ uri: doc.uri }).expect(200);
    expect(read.headers['content-type']).toMatch(/^application\/json/);
    expect(read.body.contents[0]).toMatchObject({ uri: doc.uri, mimeType: 'text/markdown', text: expect.any(String) });
  });

  it('answers a blob raw, decoded, with its MIME type, from a template and over streamable HTTP', async () => {
    const upstream = await startEverythingHttp('streamable-http');
    kit.defer(() => upstream.stop());
    const { app } = await kit.gateway({ h: { type: 'streamable-http', url: upstream.url } });
    const uri = 'demo://resource/dynamic/blob/3';
    const raw = await request(app).get('/api/servers/h/resource').query({ uri, raw: 1 }).buffer(true).expect(200);
    expect(raw.headers['content-type']).toBe('text/plain');
    expect(raw.text).toMatch(/^Resource 3: This is a base64 blob/);
    const json = await request(app).get('/api/servers/h/resource').query({ uri }).expect(200);
    // The blob names the time it was made: two reads agree up to it.
    const made = /^(Resource 3: This is a base64 blob created at) /;
    expect(made.exec(Buffer.from(json.body.contents[0].blob, 'base64').toString())?.[1]).toBe(made.exec(raw.text)?.[1]);
  });

  it('serves an image inline and script-bearing resources as sandboxed downloads, never sniffed', async () => {
    const { app } = await kit.gateway({ r: resources() });
    const image = await request(app)
      .get('/api/servers/r/resource')
      .query({ uri: 'mem://pictures/pixel.png' })
      .set('Accept', 'image/avif,image/webp,*/*')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect((image.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect(image.headers['x-content-type-options']).toBe('nosniff');
    expect(image.headers['content-security-policy']).toMatch(/^sandbox/);
    expect(image.headers['content-disposition']).toBe('inline; filename="pixel.png"');

    for (const [uri, type, name] of [
      ['mem://pictures/drawing.svg', 'image/svg+xml', 'drawing.svg'],
      ['mem://page.html', 'text/html', 'page.html'],
    ]) {
      const answer = await request(app).get('/api/servers/r/resource').query({ uri, raw: '1' }).buffer(true).expect(200);
      expect(answer.headers['content-type']).toBe(`${type}; charset=utf-8`);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['content-security-policy']).toMatch(/^sandbox/);
      expect(answer.headers['content-disposition']).toBe(`attachment; filename="${name}"`);
    }
    // A browser asking for the page gets the raw bytes too (no JSON in its Accept).
    const browser = await request(app)
      .get('/api/servers/r/resource')
      .query({ uri: 'mem://page.html' })
      .set('Accept', 'text/html,*/*;q=0.8');
    expect(browser.headers['content-disposition']).toMatch(/^attachment/);
  });

  it('refuses a resource larger than maxResultBytes, one the server does not have, and a server that is not ready', async () => {
    const { app } = await kit.gateway(
      { r: resources({ RESOURCES_BIG_BYTES: '5000' }), off: { ...everything, enabled: false } },
      { maxResultBytes: 4000 },
    );
    const big = await request(app).get('/api/servers/r/resource').query({ uri: 'mem://big', raw: 1 });
    expectProblem(big, 502, 'result-too-large');
    expect(big.body).toMatchObject({ limit: 4000 });
    const missing = await request(app).get('/api/servers/r/resource').query({ uri: 'mem://nowhere' });
    expectProblem(missing, 404, 'resource-not-found');
    expect(missing.body.detail).toContain('mem://nowhere');
    expectProblem(await request(app).get('/api/servers/off/resource').query({ uri: 'mem://big' }), 503, 'server-unavailable');
    expectProblem(await request(app).get('/api/servers/r/resource'), 422, 'invalid-request');
  });
});

describe('resource subscriptions', () => {
  it('streams an updated event when the server says the resource changed, and ends the watch on close', async () => {
    const started = await kit.gateway({ e: everything });
    const base = await kit.listen(started.app);
    const connection = started.supervisor.get('e')!;
    const uri = connection.resources()[0]!.uri;
    const aborter = new AbortController();
    const response = await fetch(`${base}/api/servers/e/resource/events?uri=${encodeURIComponent(uri)}`, { signal: aborter.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // server-everything sends updates of subscribed resources once this tool is called.
    await request(started.app).post('/e/toggle-subscriber-updates').send({}).expect(200);
    for await (const item of readSse(response)) {
      if (item.event !== 'updated') continue;
      expect(JSON.parse(item.data!)).toEqual({ uri });
      break;
    }
    const watches = (connection as unknown as { watches: { size: number } }).watches;
    expect(watches.size).toBe(1);
    aborter.abort();
    await waitUntil(() => watches.size === 0, 10_000, 'the watch to end with the stream');
    await request(started.app).post('/e/toggle-subscriber-updates').send({}).expect(200);
  });

  it('ends the stream with an error event when the server is disabled', async () => {
    const started = await kit.gateway({ e: everything });
    const base = await kit.listen(started.app);
    const connection = started.supervisor.get('e')!;
    const uri = connection.resources()[0]!.uri;
    const response = await fetch(`${base}/api/servers/e/resource/events?uri=${encodeURIComponent(uri)}`);
    expect(response.status).toBe(200);
    const events = allEvents(response);
    await request(started.app).patch('/api/servers/e').send({ enabled: false }).expect(200);
    const last = (await events).at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data!)).toMatchObject({ type: 'server-unavailable', detail: 'server "e" was disabled' });
  });

  it('answers 409 feature-not-offered for a server without subscriptions', async () => {
    const { app } = await kit.gateway({ r: resources() });
    const answer = await request(app).get('/api/servers/r/resource/events').query({ uri: 'mem://big' });
    expectProblem(answer, 409, 'feature-not-offered');
    expect(answer.body.feature).toBe('resources.subscribe');
  });
});

describe('prompts and completions', () => {
  it('lists prompts with their arguments and gets one filled in', async () => {
    const { app } = await kit.gateway({ e: everything });
    const list = await request(app).get('/api/servers/e/prompts').expect(200);
    const args = list.body.items.find((prompt: { name: string }) => prompt.name === 'args-prompt');
    expect(args.arguments).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'city', required: true })]));
    const got = await request(app)
      .post('/api/servers/e/prompts/args-prompt')
      .send({ arguments: { city: 'Lisbon' } })
      .expect(200);
    expect(got.body.messages[0].role).toBe('user');
    expect(JSON.stringify(got.body.messages)).toContain('Lisbon');
  });

  it('refuses a missing required argument, an undeclared one and an unknown prompt before going upstream', async () => {
    const { app } = await kit.gateway({ e: everything });
    const missing = await request(app).post('/api/servers/e/prompts/args-prompt').send({ arguments: {} });
    expectProblem(missing, 422, 'invalid-request');
    expect(missing.body.errors).toEqual([{ field: 'arguments.city', message: 'required by the prompt' }]);
    const extra = await request(app)
      .post('/api/servers/e/prompts/args-prompt')
      .send({ arguments: { city: 'Porto', planet: 'Mars' } });
    expectProblem(extra, 422, 'invalid-request');
    expect(extra.body.errors).toEqual([{ field: 'arguments.planet', message: 'not an argument of the prompt' }]);
    const notString = await request(app)
      .post('/api/servers/e/prompts/args-prompt')
      .send({ arguments: { city: 7 } });
    expectProblem(notString, 422, 'invalid-request');
    expectProblem(await request(app).post('/api/servers/e/prompts/nope').send({}), 404, 'prompt-not-found');
  });

  it('completes a prompt argument and a template variable; a server without completions suggests nothing', async () => {
    const { app } = await kit.gateway({ e: everything, r: resources() });
    const departments = await request(app)
      .post('/api/servers/e/complete')
      .send({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: '' } })
      .expect(200);
    expect(departments.body.values.length).toBeGreaterThan(1);
    expect(typeof departments.body.hasMore).toBe('boolean');
    const names = await request(app)
      .post('/api/servers/e/complete')
      .send({
        ref: { type: 'ref/prompt', name: 'completable-prompt' },
        argument: { name: 'name', value: '' },
        context: { department: departments.body.values[0] },
      })
      .expect(200);
    expect(names.body.values.length).toBeGreaterThan(0);
    const ids = await request(app)
      .post('/api/servers/e/complete')
      .send({
        ref: { type: 'ref/resource', uri: 'demo://resource/dynamic/text/{resourceId}' },
        argument: { name: 'resourceId', value: '4' },
      })
      .expect(200);
    expect(ids.body.values).toEqual(['4']);
    const none = await request(app)
      .post('/api/servers/r/complete')
      .send({ ref: { type: 'ref/prompt', name: 'x' }, argument: { name: 'a', value: '' } })
      .expect(200);
    expect(none.body).toEqual({ values: [], total: 0, hasMore: false });
    expectProblem(
      await request(app)
        .post('/api/servers/e/complete')
        .send({ ref: { type: 'ref/tool' } }),
      422,
      'invalid-request',
    );
  });
});

describe('resource links in tool results', () => {
  it('carry a gatewayUrl under the base path on both REST surfaces, and it reads the resource', async () => {
    const { app } = await kit.gateway({ r: resources() }, { basePath: '/gw' });
    const mcpo = await request(app).post('/gw/r/link').send({}).expect(200);
    expect(mcpo.body).toEqual([
      'see the picture',
      {
        uri: 'mem://pictures/pixel.png',
        name: 'pixel',
        mimeType: 'image/png',
        gatewayUrl: '/gw/api/servers/r/resource?uri=mem%3A%2F%2Fpictures%2Fpixel.png&raw=1',
      },
    ]);
    const full = await request(app).post('/gw/api/tools/r/link').send({}).expect(200);
    expect(full.body.content[1]).toMatchObject({ type: 'resource_link', gatewayUrl: mcpo.body[1].gatewayUrl });
    // Streamed and async answers say the same.
    const streamed = await request(app).post('/gw/api/tools/r/link').set('Accept', 'text/event-stream').send({}).buffer(true);
    expect(streamed.text).toContain(JSON.stringify(mcpo.body[1].gatewayUrl).slice(1, -1));
    const image = await request(app).get(mcpo.body[1].gatewayUrl).expect(200);
    expect(image.headers['content-type']).toBe('image/png');
  });
});

describe('scopes', () => {
  it('tools:read lists; reading contents, getting a prompt and completing need tools:call (the data a server hands out)', async () => {
    const admin = 'admin-key-for-scopes-test';
    const { app } = await kit.gateway({ e: everything }, {}, { apiKey: admin });
    const key = async (scopes: string[]) =>
      (
        await request(app)
          .post('/api/keys')
          .set('Authorization', `Bearer ${admin}`)
          .send({ label: scopes.join(' '), scopes })
          .expect(201)
      ).body.token as string;
    const reader = await key(['tools:read']);
    const caller = await key(['tools:call']);
    const lists = [() => request(app).get('/api/servers/e/resources'), () => request(app).get('/api/servers/e/prompts')];
    const reads = [
      () => request(app).get('/api/servers/e/resource').query({ uri: 'demo://resource/dynamic/text/1' }),
      () => request(app).post('/api/servers/e/prompts/simple-prompt').send({}),
      () =>
        request(app)
          .post('/api/servers/e/complete')
          .send({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: '' } }),
    ];
    for (const [allowed, refusedKey, scope, routes] of [
      [reader, caller, 'tools:read', lists],
      [caller, reader, 'tools:call', reads],
    ] as const) {
      for (const route of routes) {
        await route().set('Authorization', `Bearer ${allowed}`).expect(200);
        const refused = await route().set('Authorization', `Bearer ${refusedKey}`);
        expectProblem(refused, 403, 'forbidden');
        expect(refused.body.scope).toBe(scope);
      }
    }
  });
});

describe('raw reads in a browser', () => {
  it('shows an image, and downloads an HTML resource without running it', async () => {
    const started = await kit.gateway({ r: resources() });
    const base = await kit.listen(started.app);
    const browser = await launchBrowser();
    kit.defer(() => browser.close());
    const page = await browser.newPage({ acceptDownloads: true });
    const url = (uri: string) => `${base}/api/servers/r/resource?uri=${encodeURIComponent(uri)}&raw=1`;

    await page.goto(url('mem://pictures/pixel.png'));
    expect(await page.evaluate(() => document.images[0]?.naturalWidth)).toBe(1);

    const download = page.waitForEvent('download');
    await page.goto(url('mem://page.html')).catch(() => undefined); // "Download is starting"
    expect((await download).suggestedFilename()).toBe('page.html');
    await (await download).delete();
    expect(await page.title()).not.toBe('pwned');
  });
});
