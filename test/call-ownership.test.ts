// Calls belong to their caller: with two real keys made through /api/keys, one key cannot list,
// read, follow or cancel the other's calls (running or finished, async or plain), nor reach them
// through the UI's call routes; to it they do not exist (404, not 403). An admin sees them all.
// The same holds for the activity log (API, pages, row refreshes, the live `activity` event),
// which a paired device and a decider key read whole as well: they oversee other people's calls.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, makeCallerKey, expectProblem, results } from './helpers/calls.js';
import { tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { allEvents, readSse, type SseItem } from './helpers/sse.js';

const { gateway, listen } = callKit();

const KEY = 'calls-ownership-start-up-key-01';
const bearer = (token: string) => `Bearer ${token}`;

const makeKey = (app: Parameters<typeof makeCallerKey>[0], label: string) => makeCallerKey(app, KEY, label);

describe('calls belong to their caller', () => {
  it('another key gets 404 for every call route of a call it did not make; the owner and an admin get the call', async () => {
    const log = path.join(tempDir(), 'cancel.log');
    const started = () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line.startsWith('started')).length
        : 0;
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log }) }, {}, { apiKey: KEY });
    const base = await listen(app);
    const alice = await makeKey(app, 'alice');
    const bob = await makeKey(app, 'bob');
    const as = (token: string) => ({ Authorization: bearer(token) });

    // Alice: an async call and a plain one, both running.
    const accepted = await request(app).post('/r/wait').set(as(alice)).set('Prefer', 'respond-async').send({ ms: 60_000 }).expect(202);
    const asyncId = accepted.body.id as string;
    const plain = fetch(`${base}/r/wait`, {
      method: 'POST',
      headers: { ...as(alice), 'Content-Type': 'application/json' },
      body: '{"ms":60000}',
    });
    await waitUntil(() => started() === 2, 5000, 'both calls to start');
    const aliceList = (await request(app).get('/api/calls').set(as(alice)).expect(200)).body.items as { id: string; mode: string }[];
    expect(aliceList.map((call) => call.mode).sort()).toEqual(['async', 'sync']);
    const plainId = aliceList.find((call) => call.mode === 'sync')!.id;

    // Bob sees none of them, and cannot reach them by id.
    expect((await request(app).get('/api/calls').set(as(bob)).expect(200)).body.items).toEqual([]);
    for (const id of [asyncId, plainId]) {
      expectProblem(await request(app).get(`/api/calls/${id}`).set(as(bob)), 404, 'call-not-found');
      expectProblem(await request(app).get(`/api/calls/${id}/events`).set(as(bob)), 404, 'call-not-found');
      expectProblem(await request(app).delete(`/api/calls/${id}`).set(as(bob)), 404, 'call-not-found');
      expect((await request(app).get(`/ui/calls/${id}`).set(as(bob))).status).toBe(404);
      expect((await request(app).post(`/ui/calls/${id}/cancel`).set(as(bob))).status).toBe(404);
    }
    // Nothing Bob did touched them.
    expect((await request(app).get(`/api/calls/${asyncId}`).set(as(alice)).expect(200)).body.state).toBe('running');
    expect(fs.readFileSync(log, 'utf8')).not.toContain('cancelled');

    // Alice follows and reads her own; the UI route shows it to her too.
    expect((await request(app).get(`/ui/calls/${asyncId}`).set(as(alice))).status).toBe(200);
    // An admin (the start-up key) sees every caller's calls and may cancel them.
    const adminList = (await request(app).get('/api/calls').set(as(KEY)).expect(200)).body.items as { id: string }[];
    expect(adminList.map((call) => call.id).sort()).toEqual([asyncId, plainId].sort());
    expect((await request(app).delete(`/api/calls/${plainId}`).set(as(KEY)).expect(200)).body.state).toBe('cancelled');
    expect((await plain).status).toBe(499);
    // Alice cancels her async call; its end stays hers to read, not Bob's.
    const events = fetch(`${base}/api/calls/${asyncId}/events`, { headers: as(alice) });
    expect((await request(app).delete(`/api/calls/${asyncId}`).set(as(alice)).expect(200)).body.state).toBe('cancelled');
    expect((await allEvents(await events)).at(-1)).toMatchObject({ event: 'error' });
    expect((await request(app).get(`/api/calls/${asyncId}`).set(as(alice)).expect(200)).body.state).toBe('cancelled');
    expectProblem(await request(app).get(`/api/calls/${asyncId}`).set(as(bob)), 404, 'call-not-found');
  });

  it('a finished async result is readable by its caller only', async () => {
    const { app } = await gateway({ r: results() }, {}, { apiKey: KEY });
    const alice = await makeKey(app, 'alice');
    const bob = await makeKey(app, 'bob');
    const accepted = await request(app)
      .post('/api/tools/r/plain_text')
      .set('Authorization', bearer(alice))
      .set('Prefer', 'respond-async')
      .send({})
      .expect(202);
    const location = accepted.headers.location!;
    const done = await waitUntil(
      async () => {
        const res = await request(app).get(location).set('Authorization', bearer(alice)).expect(200);
        return res.body.state === 'succeeded' ? res.body : undefined;
      },
      5000,
      'the call to end',
    );
    expect(done.result.content).toEqual([{ type: 'text', text: 'hello there' }]);
    const denied = await request(app).get(location).set('Authorization', bearer(bob));
    expectProblem(denied, 404, 'call-not-found');
    expect(JSON.stringify(denied.body)).not.toContain('hello there');
    expectProblem(await request(app).get(`${location}/events`).set('Authorization', bearer(bob)), 404, 'call-not-found');
    expect((await request(app).get(location).set('Authorization', bearer(KEY)).expect(200)).body.result.content).toEqual(
      done.result.content,
    );
  });
});

/** A key with the scopes every new key gets by default (`tools:call`, `tools:read`). */
async function makeDefaultKey(app: Parameters<typeof request>[0], label: string): Promise<{ id: string; token: string }> {
  const res = await request(app).post('/api/keys').set('Authorization', bearer(KEY)).send({ label });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.scopes).toEqual(['tools:call', 'tools:read']);
  return res.body;
}

describe('activity rows belong to their caller too', () => {
  it("a key reads its own rows only (another's is 404), paging stays right; a device, a decider and an admin read every row", async () => {
    const { app, gateway: gw } = await gateway({ r: results() }, {}, { apiKey: KEY });
    const alice = await makeDefaultKey(app, 'alice');
    const bob = await makeDefaultKey(app, 'bob');
    const decider = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'decider', scopes: ['approvals:decide', 'tools:read'] })
    ).body.token as string;
    const device = gw.devices.pair('Pixel 8', 'test');
    const as = (token: string) => ({ Authorization: bearer(token) });
    const asDevice = { Cookie: `mcpgw_session=${device.token}` };
    const call = async (token: string) =>
      (await request(app).post('/api/tools/r/plain_text').set(as(token)).send({}).expect(200)).body.id as string;

    // Interleaved: alice, bob, alice, bob, alice; and a call of alice's still running.
    const aliceIds: string[] = [];
    const bobIds: string[] = [];
    for (let i = 0; i < 5; i++) (i % 2 === 0 ? aliceIds : bobIds).push(await call(i % 2 === 0 ? alice.token : bob.token));
    const running = (
      await request(app).post('/r/wait').set(as(alice.token)).set('Prefer', 'respond-async').send({ ms: 60_000 }).expect(202)
    ).body.id as string;
    const everyId = [...aliceIds, ...bobIds, running];

    const listed = async (headers: Record<string, string>, query = '') =>
      ((await request(app).get(`/api/activity${query}`).set(headers).expect(200)).body.items as { id: string; caller: string }[]).map(
        (item) => item.id,
      );
    // Bob: his two rows, nothing of Alice's — running or not.
    expect(await listed(as(bob.token))).toEqual([...bobIds].reverse());
    expect(await listed(as(bob.token), '?outcome=running')).toEqual([]);
    expect(await listed(as(alice.token), '?outcome=running')).toEqual([running]);
    for (const id of [...aliceIds, running]) {
      const denied = await request(app).get(`/api/activity/${id}`).set(as(bob.token));
      expectProblem(denied, 404, 'activity-not-found');
      expect(JSON.stringify(denied.body)).not.toContain('hello there');
    }
    expect((await request(app).get(`/api/activity/${bobIds[0]}`).set(as(bob.token)).expect(200)).body.caller).toBe(`key:${bob.id}`);
    // A page of one row at a time still walks Bob's rows exactly: the filter is in the query.
    const pages: string[][] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { items: { id: string }[]; nextCursor: string | null } = (
        await request(app)
          .get(`/api/activity?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
          .set(as(bob.token))
          .expect(200)
      ).body;
      pages.push(page.items.map((item) => item.id));
      cursor = page.nextCursor;
    }
    expect(pages).toEqual([[bobIds[1]], [bobIds[0]]]);
    // A caller may not ask for another's rows.
    expectProblem(await request(app).get(`/api/activity?caller=key:${alice.id}`).set(as(bob.token)), 422, 'invalid-request');

    // The pages: the list, the entry, the row refresh, the test form's pre-fill.
    const html = (path: string, headers: Record<string, string>) => request(app).get(path).set(headers).set('Accept', 'text/html');
    const bobsPage = await html('/activity', as(bob.token));
    expect(bobsPage.status).toBe(200);
    for (const id of bobIds) expect(bobsPage.text).toContain(`data-id="${id}"`);
    for (const id of [...aliceIds, running]) expect(bobsPage.text).not.toContain(id);
    expect((await html('/activity?outcome=running', as(bob.token))).text).not.toContain(running);
    expect((await html(`/activity/${aliceIds[0]}`, as(bob.token))).status).toBe(404);
    const refreshed = await html(`/activity?rows=1&id=${aliceIds[0]}&id=${bobIds[0]}&id=${running}`, as(bob.token));
    expect([...refreshed.text.matchAll(/data-id="([^"]+)"/g)].map((match) => match[1])).toEqual([bobIds[0]]);
    expect((await html(`/tools/r/plain_text?from=${aliceIds[0]}`, as(bob.token))).text).not.toContain('Filled in from an earlier call');
    expect((await html(`/tools/r/plain_text?from=${aliceIds[0]}`, as(alice.token))).text).toContain('Filled in from an earlier call');

    // A paired device, a decider key and an admin read every row, the running one with its live state.
    for (const headers of [asDevice, as(decider), as(KEY)]) {
      expect((await listed(headers)).sort()).toEqual([...everyId].sort());
      expect(await listed(headers, '?outcome=running')).toEqual([running]);
      expect((await request(app).get(`/api/activity/${aliceIds[0]}`).set(headers).expect(200)).body.caller).toBe(`key:${alice.id}`);
    }
    const devicePage = await html('/activity', asDevice);
    for (const id of everyId) expect(devicePage.text).toContain(`data-id="${id}"`);
    const deviceRows = await html(`/activity?rows=1&id=${aliceIds[0]}&id=${bobIds[0]}&id=${running}`, asDevice);
    expect([...deviceRows.text.matchAll(/data-id="([^"]+)"/g)].map((match) => match[1])).toEqual([aliceIds[0], bobIds[0], running]);
    expect((await html(`/activity/${bobIds[0]}`, as(decider))).status).toBe(200);
    await request(app).delete(`/api/calls/${running}`).set(as(alice.token)).expect(200);
  });

  it('the live activity event reaches only those who may read the row', async () => {
    const { app, gateway: gw } = await gateway({ r: results() }, {}, { apiKey: KEY });
    const base = await listen(app);
    const alice = await makeDefaultKey(app, 'alice');
    const bob = await makeDefaultKey(app, 'bob');
    const device = gw.devices.pair('Pixel 8', 'test');
    const open = async (headers: Record<string, string>) => {
      const items = readSse(await fetch(`${base}/ui/events`, { headers: { ...headers, Accept: 'text/event-stream' } }));
      // The first event (`versions`) says the stream listens.
      let first = await items.next();
      while (!first.done && !first.value.event) first = await items.next();
      expect(first.value).toMatchObject({ event: 'versions' });
      return items;
    };
    /** The ids of `activity` events, up to and including `last`. */
    const activityUntil = async (items: AsyncGenerator<SseItem>, last: string) => {
      const ids: string[] = [];
      for await (const item of items) {
        if (item.event !== 'activity') continue;
        ids.push(item.data!);
        if (item.data === last) break;
      }
      return ids;
    };
    const bobs = await open({ Authorization: bearer(bob.token) });
    const devices = await open({ Cookie: `mcpgw_session=${device.token}` });
    const call = async (token: string) =>
      (await request(app).post('/api/tools/r/plain_text').set('Authorization', bearer(token)).send({}).expect(200)).body.id as string;
    const aliceId = await call(alice.token);
    const bobId = await call(bob.token);
    // Events come in order: Bob's own call is the first he hears of.
    expect(await activityUntil(bobs, bobId)).toEqual([bobId]);
    expect(await activityUntil(devices, bobId)).toEqual([aliceId, bobId]);
    await bobs.return(undefined);
    await devices.return(undefined);
  });
});
