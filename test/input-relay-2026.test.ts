// A 2026-07-28 server's own `input_required` passed through /mcp to a 2026-07-28 client that
// declared what it asks for (server/mcp/input-relay.ts, server/upstream/input-relay.ts): the 2.x
// client SDK, pinned to 2026-07-28, in its manual mode (`allowInputRequired`), against
// test/fixtures/modern-only-server.mjs behind the gateway as a `protocol: "2026-07-28"` upstream.
// The server's keys come back as they are, its requestState round-trips inside the gateway's sealed
// wrapper, a tampered or foreign wrapper is refused, an approved call is not asked twice on its
// retry while a retry without the wrapper is, and REST callers still get question cards.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, results } from './helpers/calls.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { answerQuestion } from './helpers/questions.js';
import { pendingApprovals } from './helpers/ui-session.js';

const kit = callKit();
const KEY = 'input-relay-2026-test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };

async function modernGateway(approval?: Record<string, unknown>, config: Record<string, unknown> = {}) {
  const server = await startHttpFixture(['modern-only-server.mjs'], '/mcp');
  kit.defer(() => server.stop());
  return kit.gateway({ m: { url: server.url, protocol: '2026-07-28', ...config } }, {}, { apiKey: KEY, ...(approval && { approval }) });
}

/** A 2.x client pinned to 2026-07-28 on `/mcp/m`, declaring `capabilities`. */
async function modernClient(app: Parameters<typeof kit.listen>[0], capabilities: Record<string, unknown>) {
  const base = await kit.listen(app);
  const client = new Client(
    { name: 'relay-client', version: '1' },
    { capabilities: capabilities as never, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
  kit.defer(() => client.close());
  return client;
}

interface Round {
  resultType?: string;
  inputRequests?: Record<string, { method: string; params?: Record<string, unknown> }>;
  requestState?: string;
  content?: { text: string }[];
}

const call = (
  client: Client,
  name: string,
  retry: { inputResponses?: Record<string, unknown>; requestState?: string } = {},
  args: Record<string, unknown> = {},
) => client.callTool({ name, arguments: args, ...retry } as never, { allowInputRequired: true }) as Promise<Round>;

const textOf = (result: Round) => (result.content ?? []).map((item) => item.text).join('\n');
const ADA = { name: { action: 'accept', content: { name: 'Ada' } } };

describe('input_required of a 2026-07-28 server, passed through to a 2026-07-28 /mcp client', () => {
  it('comes back with the server’s keys, and the retry takes its requestState upstream unchanged', async () => {
    const { app, gateway } = await modernGateway();
    const client = await modernClient(app, { elicitation: { form: {} } });
    const first = await call(client, 'ask-with-state');
    expect(first).toMatchObject({
      resultType: 'input_required',
      inputRequests: { name: { method: 'elicitation/create', params: { message: 'Your name, please?' } } },
    });
    // The gateway's seal around the server's state, not the server's state bare.
    expect(first.requestState).toEqual(expect.any(String));
    expect(first.requestState).not.toBe('fixture-state:1');
    const done = await call(client, 'ask-with-state', { inputResponses: ADA, requestState: first.requestState });
    expect(textOf(done)).toBe('hello Ada, state fixture-state:1');
    // Nobody was asked on the orchestrator.
    expect(gateway.questions.list()).toEqual([]);
    // The round's activity preview names its keys and methods only: not the server's state or its questions.
    const rows = () => gateway.activity.list({ limit: 10 }).items;
    await waitUntil(() => rows().filter((row) => row.outcome === 'ok').length === 2, 15_000, 'both activity rows');
    const round = rows()[1]!;
    expect(round.preview).toContain('"name":"elicitation/create"');
    expect(round.preview).not.toContain('fixture-state');
    expect(round.preview).not.toContain('Your name');

    // A round without the server's requestState: the responses alone go upstream.
    const asked = await call(client, 'ask-name');
    expect(Object.keys(asked.inputRequests ?? {})).toEqual(['name']);
    expect(textOf(await call(client, 'ask-name', { inputResponses: ADA, requestState: asked.requestState }))).toBe('hello Ada');
  });

  it('refuses a tampered wrapper, and one of another tool', async () => {
    const { app } = await modernGateway();
    const client = await modernClient(app, { elicitation: {} });
    const first = await call(client, 'ask-with-state');
    await expect(call(client, 'ask-with-state', { inputResponses: ADA, requestState: `${first.requestState}-TAMPERED` })).rejects.toThrow();
    await expect(call(client, 'ask-name', { inputResponses: ADA, requestState: first.requestState })).rejects.toThrow(
      /does not belong to this request/,
    );
  });

  it('does not ask for approval again on the retry of an approved call, but does without the wrapper', async () => {
    const { app } = await modernGateway({ default: 'ask' });
    const client = await modernClient(app, { elicitation: { form: {} } });
    const approve = async () => {
      const [approval] = await pendingApprovals(app, KEY);
      await request(app).post(`/api/approvals/${approval!.id}/approve`).set(auth).send({ binding: approval!.binding }).expect(200);
    };
    const firstCall = call(client, 'ask-with-state');
    await approve();
    const first = await firstCall;
    expect(first.resultType).toBe('input_required');
    // The retry runs at once: no second approval.
    const done = await call(client, 'ask-with-state', { inputResponses: ADA, requestState: first.requestState });
    expect(textOf(done)).toBe('hello Ada, state fixture-state:1');
    const list = await request(app).get('/api/approvals').set(auth).expect(200);
    expect(list.body.items).toHaveLength(1);

    // The server's own state bare is no wrapper of the gateway's: refused before anything runs.
    await expect(call(client, 'ask-with-state', { inputResponses: ADA, requestState: 'fixture-state:1' })).rejects.toThrow(/requestState/);
    // The same answers without a wrapper are a new call: the policy asks again.
    const bare = call(client, 'ask-with-state', { inputResponses: ADA });
    const [again] = await pendingApprovals(app, KEY);
    expect(again).toMatchObject({ tool: 'ask-with-state', state: 'pending' });
    await request(app).post(`/api/approvals/${again!.id}/deny`).set(auth).send({ reason: 'no' }).expect(200);
    expect(textOf(await bare)).toContain('denied');
  });

  it('counts a sealed approval once, for a retry that relays, and names it on the retry’s activity row', async () => {
    const { app, gateway } = await modernGateway({ default: 'ask' });
    const client = await modernClient(app, { elicitation: { form: {} } });
    const firstCall = call(client, 'ask-with-state');
    const [approval] = await pendingApprovals(app, KEY);
    await request(app).post(`/api/approvals/${approval!.id}/approve`).set(auth).send({ binding: approval!.binding }).expect(200);
    const first = await firstCall;
    const retry = { inputResponses: ADA, requestState: first.requestState };
    expect(textOf(await call(client, 'ask-with-state', retry))).toBe('hello Ada, state fixture-state:1');
    const rows = () => gateway.activity.list({ limit: 10 }).items;
    await waitUntil(() => rows().filter((row) => row.outcome === 'ok').length === 2, 15_000, 'the retry’s activity row');
    const [retried] = rows();
    expect(retried).toMatchObject({ tool: 'ask-with-state', outcome: 'ok', approvalId: approval!.id });

    // The same seal again: the policy asks again.
    const replay = call(client, 'ask-with-state', retry);
    const [again] = await pendingApprovals(app, KEY);
    expect(again).toMatchObject({ tool: 'ask-with-state', state: 'pending' });
    await request(app).post(`/api/approvals/${again!.id}/deny`).set(auth).send({ reason: 'replayed' }).expect(200);
    expect(textOf(await replay)).toContain('denied');

    // A fresh approved seal, sent back by a client that declares nothing it relays: no approval carried.
    const secondCall = call(client, 'ask-with-state');
    const [second] = await pendingApprovals(app, KEY);
    await request(app).post(`/api/approvals/${second!.id}/approve`).set(auth).send({ binding: second!.binding }).expect(200);
    const sealed = await secondCall;
    const bare = await modernClient(app, {});
    const unrelayed = call(bare, 'ask-with-state', { inputResponses: ADA, requestState: sealed.requestState });
    const [third] = await pendingApprovals(app, KEY);
    expect(third).toMatchObject({ tool: 'ask-with-state', state: 'pending' });
    await request(app).post(`/api/approvals/${third!.id}/deny`).set(auth).send({ reason: 'no relay' }).expect(200);
    expect(textOf(await unrelayed)).toContain('denied');
  });

  it('refuses to resume a call parked for approval as another tool, and keeps it for its own', async () => {
    const { app } = await modernGateway({ default: 'ask' });
    const client = await modernClient(app, { elicitation: { form: {}, url: {} } });
    const parked = await call(client, 'ask-with-state');
    expect(parked).toMatchObject({ resultType: 'input_required', inputRequests: { approval: { params: { mode: 'url' } } } });
    const [approval] = await pendingApprovals(app, KEY);
    await request(app).post(`/api/approvals/${approval!.id}/approve`).set(auth).send({ binding: approval!.binding }).expect(200);
    // The approval of ask-with-state is not one of ask-name's.
    await expect(call(client, 'ask-name', { requestState: parked.requestState })).rejects.toThrow(/does not belong to this request/);
    const own = await call(client, 'ask-with-state', { requestState: parked.requestState });
    expect(own).toMatchObject({ resultType: 'input_required', inputRequests: { name: { method: 'elicitation/create' } } });
  });

  it('drops responses the gateway did not relay: a first call’s, and keys of no relayed round', async () => {
    const { app } = await modernGateway();
    const client = await modernClient(app, { elicitation: { form: {} } });
    // Pre-answered on a first call: the server still asks.
    const first = await call(client, 'ask-name', { inputResponses: ADA });
    expect(first).toMatchObject({ resultType: 'input_required', inputRequests: { name: { method: 'elicitation/create' } } });
    expect(textOf(await call(client, 'ask-name', { inputResponses: ADA, requestState: first.requestState }))).toBe('hello Ada');
  });

  it('declares no sampling upstream when the policy denies all of it, though the client declared sampling', async () => {
    const deny = { default: 'allow', rules: [{ server: 'm', tool: 'sampling/createMessage', action: 'deny' }] };
    const { app } = await modernGateway(deny);
    const client = await modernClient(app, { sampling: {} });
    const refused = await call(client, 'ask-sample');
    expect(refused.resultType).not.toBe('input_required');
    // The call does not declare sampling upstream at all (the policy denies all of it), so the server refuses
    // it with -32021: an error result that says what the policy must allow.
    expect(textOf(refused)).toContain('missing-client-capability: the server requires the client capabilities sampling');
    expect(textOf(refused)).toContain('an approval policy that does not deny sampling/createMessage');
  });

  it('refuses a sampling round a conditional deny of the policy matches, though the client declared sampling', async () => {
    // The fixture asks with maxTokens 5: sampling is declared (some request may pass), this one is refused.
    const rule = { server: 'm', tool: 'sampling/createMessage', action: 'deny', when: [{ pointer: '/maxTokens', equals: 5 }] };
    const { app } = await modernGateway({ default: 'allow', rules: [rule] });
    const client = await modernClient(app, { sampling: {} });
    const refused = await call(client, 'ask-sample');
    expect(refused.resultType).not.toBe('input_required');
    expect(textOf(refused)).toContain('refuses sampling');
  });

  it('declines a URL elicitation of a URL that is not http(s), though the client declared URL mode', async () => {
    const { app } = await modernGateway();
    const client = await modernClient(app, { elicitation: { url: {} } });
    expect(textOf(await call(client, 'ask-url', {}, { url: 'javascript:alert(1)' }))).toBe('url decline');
    const web = await call(client, 'ask-url', {}, { url: 'https://example.test/' });
    expect(web).toMatchObject({ resultType: 'input_required', inputRequests: { it: { params: { url: 'https://example.test/' } } } });
  });

  it('refuses an elicitation round of a server configured elicitation: false', async () => {
    const { app } = await modernGateway(undefined, { elicitation: false });
    const client = await modernClient(app, { elicitation: { form: {} } });
    // A server that asks anyway (the SDK's own servers do not ask a client that did not declare elicitation).
    const refused = await call(client, 'ask-regardless');
    expect(refused.resultType).not.toBe('input_required');
    expect(textOf(refused)).toContain('does not declare');
  });

  it('is answered by the gateway for a client that did not declare what it asks for, and for REST callers', async () => {
    const { app, gateway } = await modernGateway();
    // Declares sampling only: the server's question is a person's question card, as before.
    const client = await modernClient(app, { sampling: {} });
    const answer = call(client, 'ask-with-state');
    await answerQuestion({ app, gateway }, auth, { name: 'Grace' });
    expect(textOf(await answer)).toBe('hello Grace, state fixture-state:1');

    const rest = request(app).post('/m/ask-with-state').set(auth).send({});
    const pending = rest.then((res) => res);
    await answerQuestion({ app, gateway }, auth, { name: 'Lin' }, 'the REST call’s question card');
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.stringify(res.body)).toContain('hello Lin, state fixture-state:1');
  });
});

describe('input_required of a 2026-07-28 server’s prompts/get, passed through', () => {
  it('comes back with the server’s keys, and the retry takes its requestState upstream unchanged', async () => {
    const { app, gateway } = await modernGateway();
    const client = await modernClient(app, { elicitation: {} });
    const get = (retry: Record<string, unknown> = {}) =>
      client.getPrompt({ name: 'greeting', ...retry } as never, { allowInputRequired: true }) as Promise<
        Round & { messages?: { content: { text: string } }[] }
      >;
    const first = await get();
    expect(first).toMatchObject({
      resultType: 'input_required',
      inputRequests: { name: { method: 'elicitation/create', params: { message: 'Whom shall I greet?' } } },
    });
    const done = await get({ inputResponses: ADA, requestState: first.requestState });
    expect(done.messages?.[0]?.content.text).toBe('Greet Ada (state prompt-state:1)');
    expect(gateway.questions.list()).toEqual([]);
    // A prompt's seal is no tool call's.
    await expect(call(client, 'ask-with-state', { inputResponses: ADA, requestState: first.requestState })).rejects.toThrow(
      /does not belong/,
    );
  });
});

describe('an input_required shape from a call that relays nothing', () => {
  it('is an upstream error, not a round (a 2025-era server)', async () => {
    const { app } = await kit.gateway({ r: results() }, {}, { apiKey: KEY });
    const res = await request(app).post('/r/input_required').set(auth).send({});
    expect(res.status, JSON.stringify(res.body)).toBe(502);
    expect(JSON.stringify(res.body)).toContain('input_required');
  });
});
