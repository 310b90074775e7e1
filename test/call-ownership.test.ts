// Calls belong to their caller: with two real keys made through /api/keys, one key cannot list,
// read, follow or cancel the other's calls (running or finished, async or plain), nor reach them
// through the UI's call routes; to it they do not exist (404, not 403). An admin sees them all.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, results } from './helpers/calls.js';
import { tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { allEvents } from './helpers/sse.js';

const { gateway, listen } = callKit();

const KEY = 'calls-ownership-start-up-key-01';
const bearer = (token: string) => `Bearer ${token}`;

async function makeKey(app: Parameters<typeof request>[0], label: string): Promise<string> {
  const res = await request(app).post('/api/keys').set('Authorization', bearer(KEY)).send({ label, scopes: ['tools:call', 'tools:read'] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}

describe('calls belong to their caller', () => {
  it('another key gets 404 for every call route of a call it did not make; the owner and an admin get the call', async () => {
    const log = path.join(tempDir(), 'cancel.log');
    const started = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('started')).length : 0);
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log }) }, {}, { apiKey: KEY });
    const base = await listen(app);
    const alice = await makeKey(app, 'alice');
    const bob = await makeKey(app, 'bob');
    const as = (token: string) => ({ Authorization: bearer(token) });

    // Alice: an async call and a plain one, both running.
    const accepted = await request(app).post('/r/wait').set(as(alice)).set('Prefer', 'respond-async').send({ ms: 60_000 }).expect(202);
    const asyncId = accepted.body.id as string;
    const plain = fetch(`${base}/r/wait`, { method: 'POST', headers: { ...as(alice), 'Content-Type': 'application/json' }, body: '{"ms":60000}' });
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
    const accepted = await request(app).post('/api/tools/r/plain_text').set('Authorization', bearer(alice)).set('Prefer', 'respond-async').send({}).expect(202);
    const location = accepted.headers.location!;
    const done = await waitUntil(async () => {
      const res = await request(app).get(location).set('Authorization', bearer(alice)).expect(200);
      return res.body.state === 'succeeded' ? res.body : undefined;
    }, 5000, 'the call to end');
    expect(done.result.content).toEqual([{ type: 'text', text: 'hello there' }]);
    const denied = await request(app).get(location).set('Authorization', bearer(bob));
    expectProblem(denied, 404, 'call-not-found');
    expect(JSON.stringify(denied.body)).not.toContain('hello there');
    expectProblem(await request(app).get(`${location}/events`).set('Authorization', bearer(bob)), 404, 'call-not-found');
    expect((await request(app).get(location).set('Authorization', bearer(KEY)).expect(200)).body.result.content).toEqual(done.result.content);
  });
});
