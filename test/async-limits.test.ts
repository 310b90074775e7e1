// Async calls are bounded (gateway.asyncCalls), against the results fixture server with ~1 MB
// results: finished calls past a bound are forgotten oldest first, by count and by bytes; a caller
// past its share gets 429 too-many-calls with Retry-After; and another caller is unaffected: its
// results stay, its calls run.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, results } from './helpers/calls.js';
import { waitUntil } from './helpers/process.js';

const { gateway } = callKit();

const KEY = 'async-limits-start-up-key-0001';
const bearer = (token: string) => `Bearer ${token}`;
type App = Parameters<typeof request>[0];

async function makeKey(app: App, label: string): Promise<string> {
  const res = await request(app)
    .post('/api/keys')
    .set('Authorization', bearer(KEY))
    .send({ label, scopes: ['tools:call'] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}

/** Starts an async call as `token` and waits until it has ended; resolves with its location. */
async function finishedCall(app: App, token: string, tool: string, args: object): Promise<string> {
  const accepted = await request(app).post(`/r/${tool}`).set('Authorization', bearer(token)).set('Prefer', 'respond-async').send(args);
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
  const location = accepted.headers.location!;
  await waitUntil(
    async () => {
      const res = await request(app).get(location).set('Authorization', bearer(token)).expect(200);
      return res.body.state !== 'running';
    },
    10_000,
    `${tool} to end`,
  );
  return location;
}

/** Which of `locations` `token` can still read (200), in order. */
async function readable(app: App, token: string, locations: string[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const location of locations) out.push((await request(app).get(location).set('Authorization', bearer(token))).status === 200);
  return out;
}

const MB = 1_000_000;

describe('async calls: bounds and shares (gateway.asyncCalls)', () => {
  it('keeps at most maxFinished finished calls, forgetting the oldest first; a forgotten one is still in the activity log', async () => {
    const { app } = await gateway({ r: results() }, { asyncCalls: { maxFinished: 3, maxPerCaller: 10 } }, { apiKey: KEY });
    const locations: string[] = [];
    for (let i = 0; i < 5; i++) locations.push(await finishedCall(app, KEY, 'plain_text', {}));
    expect(await readable(app, KEY, locations)).toEqual([false, false, true, true, true]);
    expectProblem(await request(app).get(locations[0]!).set('Authorization', bearer(KEY)), 404, 'call-not-found');
    const id = locations[0]!.split('/').pop()!;
    expect((await request(app).get(`/api/activity/${id}`).set('Authorization', bearer(KEY)).expect(200)).body.outcome).toBe('ok');
  });

  it("counts the bytes of kept results: ~1 MB results past a caller's quarter of maxFinishedBytes push out its own oldest, not another caller's", async () => {
    // A caller's share is 2.5 MB: two ~1 MB results fit, a third does not.
    const { app } = await gateway({ r: results() }, { asyncCalls: { maxFinishedBytes: 10 * MB, maxPerCaller: 10 } }, { apiKey: KEY });
    const alice = await makeKey(app, 'alice');
    const bob = await makeKey(app, 'bob');
    const bobs = await finishedCall(app, bob, 'huge', { bytes: MB });
    const alices: string[] = [];
    for (let i = 0; i < 4; i++) alices.push(await finishedCall(app, alice, 'huge', { bytes: MB }));
    // Forgetting gives the bytes back: after four calls the last two are kept, not just the last.
    expect(await readable(app, alice, alices)).toEqual([false, false, true, true]);
    const kept = (await request(app).get(alices[3]!).set('Authorization', bearer(alice)).expect(200)).body;
    expect(kept).toMatchObject({ state: 'succeeded' });
    expect(kept.result.length).toBe(MB);
    // Bob's result was never pushed out by Alice's.
    expect(await readable(app, bob, [bobs])).toEqual([true]);
  });

  it('past maxFinishedBytes of all callers, the oldest-finished result goes first', async () => {
    // 4 MB in all: each caller's share (1 MB) holds one ~0.9 MB result; the fifth caller's pushes out the first one's.
    const { app } = await gateway({ r: results() }, { asyncCalls: { maxFinishedBytes: 4 * MB } }, { apiKey: KEY });
    const callers = [KEY];
    for (let i = 1; i < 5; i++) callers.push(await makeKey(app, `caller ${i}`));
    const locations: string[] = [];
    for (const token of callers) locations.push(await finishedCall(app, token, 'huge', { bytes: 900_000 }));
    const stillThere: boolean[] = [];
    for (let i = 0; i < callers.length; i++) stillThere.push((await readable(app, callers[i]!, [locations[i]!]))[0]!);
    expect(stillThere).toEqual([false, true, true, true, true]);
  });

  it('a caller with its whole share running gets 429 too-many-calls with Retry-After; its finished calls make room; other callers are unaffected', async () => {
    const { app } = await gateway({ r: results() }, { asyncCalls: { maxPerCaller: 2 } }, { apiKey: KEY });
    const alice = await makeKey(app, 'alice');
    const bob = await makeKey(app, 'bob');
    const asAlice = (req: request.Test) => req.set('Authorization', bearer(alice)).set('Prefer', 'respond-async');

    // A finished call of Alice's makes room for a new one: the oldest finished goes.
    const done = await finishedCall(app, alice, 'plain_text', {});
    const running = [
      (await asAlice(request(app).post('/r/wait')).send({ ms: 60_000 }).expect(202)).headers.location!,
      (await asAlice(request(app).post('/r/wait')).send({ ms: 60_000 }).expect(202)).headers.location!,
    ];
    expect(await readable(app, alice, [done])).toEqual([false]);

    const refused = await asAlice(request(app).post('/r/plain_text')).send({});
    expectProblem(refused, 429, 'too-many-calls');
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.detail).toContain('gateway.asyncCalls.maxPerCaller (2)');
    // The refusal is recorded as one.
    const rows = (await request(app).get('/api/activity?outcome=rejected').set('Authorization', bearer(KEY)).expect(200)).body.items;
    expect(rows).toHaveLength(1);

    // Meanwhile Bob's async calls and the admin's plain calls run; so do Alice's plain calls.
    const bobs = await finishedCall(app, bob, 'plain_text', {});
    expect((await request(app).get(bobs).set('Authorization', bearer(bob)).expect(200)).body.result).toBe('hello there');
    expect((await request(app).post('/r/plain_text').set('Authorization', bearer(KEY)).send({}).expect(200)).body).toBe('hello there');
    expect((await request(app).post('/r/plain_text').set('Authorization', bearer(alice)).send({}).expect(200)).body).toBe('hello there');

    // Once one of Alice's calls has ended, she may start another.
    await request(app).delete(running[0]!).set('Authorization', bearer(alice)).expect(200);
    await asAlice(request(app).post('/r/plain_text')).send({}).expect(202);
    await request(app).delete(running[1]!).set('Authorization', bearer(alice)).expect(200);
  });

  it("holds with maxPerCaller 1: the call that forgets the caller's only kept call still counts", async () => {
    const { app } = await gateway({ r: results() }, { asyncCalls: { maxPerCaller: 1 } }, { apiKey: KEY });
    const alice = await makeKey(app, 'alice');
    const asAlice = (req: request.Test) => req.set('Authorization', bearer(alice)).set('Prefer', 'respond-async');
    const done = await finishedCall(app, alice, 'plain_text', {});
    const running = (await asAlice(request(app).post('/r/wait')).send({ ms: 60_000 }).expect(202)).headers.location!;
    expect(await readable(app, alice, [done])).toEqual([false]);
    for (let i = 0; i < 3; i++) expectProblem(await asAlice(request(app).post('/r/wait')).send({ ms: 60_000 }), 429, 'too-many-calls');
    expect((await request(app).get('/api/calls').set('Authorization', bearer(alice)).expect(200)).body.items).toHaveLength(1);
    await request(app).delete(running).set('Authorization', bearer(alice)).expect(200);
  });
});
