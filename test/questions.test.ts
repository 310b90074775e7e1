// Questions from servers (elicitation) answered by a person, over REST: server-everything's
// `trigger-elicitation-request` (a form with a required `name`, an integer in 1…100, enums…)
// called through the management API. The call waits (`waiting_for_input`), its question appears
// in `/api/questions`, and the answer (checked against the form) reaches the server, whose result
// repeats it; decline, expiry (answered `cancel`), a paired device answering, the tool's timeout
// held while a person answers. A real gateway, server-everything over stdio, real HTTP.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem } from './helpers/calls.js';
import { createLogger } from '../server/logging/logger.js';
import { EVERYTHING_BIN, fixture } from './helpers/gateway.js';
import { startEverythingHttp } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { csrfOf } from './helpers/ui-session.js';

const KEY = 'questions-test-start-up-key-01';
const auth = { Authorization: `Bearer ${KEY}` };
const everything = { e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } };
type App = Parameters<typeof request>[0];

/** Starts the elicitation tool as an async call; resolves with the call's id. */
async function startAsking(app: App): Promise<string> {
  const accepted = await request(app)
    .post('/api/tools/e/trigger-elicitation-request')
    .set(auth)
    .set('Prefer', 'respond-async')
    .send({})
    .expect(202);
  return accepted.body.id as string;
}

/** Starts a long call (a minute of progress) as an async call; resolves with its id once it runs. */
async function startLongCall(app: App): Promise<string> {
  const long = await request(app)
    .post('/api/tools/e/trigger-long-running-operation')
    .set(auth)
    .set('Prefer', 'respond-async')
    .send({ duration: 60, steps: 60 })
    .expect(202);
  const id = long.body.id as string;
  await waitUntil(
    async () => (await request(app).get(`/api/calls/${id}`).set(auth)).body.progress !== null,
    15_000,
    'the long call to run',
  );
  return id;
}

/** Waits until call `id` waits for input; resolves with its question's id. */
async function questionOf(app: App, id: string): Promise<string> {
  return waitUntil(
    async () => {
      const snapshot = (await request(app).get(`/api/calls/${id}`).set(auth)).body;
      return snapshot.state === 'waiting_for_input' ? (snapshot.question.id as string) : undefined;
    },
    15_000,
    'the call to wait for input',
  );
}

/** Waits until call `id` ends; resolves with its result's text. */
async function resultText(app: App, id: string): Promise<string> {
  const snapshot = await waitUntil(
    async () => {
      const body = (await request(app).get(`/api/calls/${id}`).set(auth)).body;
      return body.endedAt ? body : undefined;
    },
    15_000,
    'the call to end',
  );
  expect(snapshot.state).toBe('succeeded');
  return (snapshot.result.content as { text: string }[]).map((item) => item.text).join('\n');
}

describe('questions from servers, over REST', () => {
  const kit = callKit();

  it('holds the call while a person answers the generated form; the answer, checked, reaches the server', async () => {
    const { app } = await kit.gateway(everything, {}, { apiKey: KEY });
    const id = await startAsking(app);
    const questionId = await questionOf(app, id);

    const listed = await request(app).get('/api/questions').set(auth).expect(200);
    expect(listed.body.pending).toBe(1);
    const question = listed.body.items[0];
    expect(question).toMatchObject({
      id: questionId,
      server: 'e',
      tool: 'trigger-elicitation-request',
      callId: id,
      mode: 'form',
      state: 'pending',
      message: 'Please provide inputs for the following fields:',
      answeredBy: null,
    });
    expect(question.requestedSchema.required).toEqual(['name']);
    // The call's activity page shows that it waits, and the question it waits on.
    const waitingPage = (await request(app).get(`/activity/${id}`).set(auth).set('Accept', 'text/html').expect(200)).text;
    expect(waitingPage).toContain("This call waits for a person's answer to its server's question.");
    expect(waitingPage).toContain('waiting for input');
    expect(waitingPage).toMatch(
      /<section class="call-questions"[\s\S]*Please provide inputs for the following fields:[\s\S]*data-state="pending"/,
    );

    // An answer that does not fit the form names the field, and changes nothing.
    const invalid = await request(app)
      .post(`/api/questions/${questionId}`)
      .set(auth)
      .send({ action: 'accept', content: { name: 'Ada', integer: 500 } });
    expectProblem(invalid, 422, 'invalid-request');
    expect(invalid.body.errors).toEqual([expect.objectContaining({ field: 'content.integer' })]);
    const missing = await request(app).post(`/api/questions/${questionId}`).set(auth).send({ action: 'accept', content: {} });
    expectProblem(missing, 422, 'invalid-request');
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'content.name', message: 'is required' })]);

    const answered = await request(app)
      .post(`/api/questions/${questionId}`)
      .set(auth)
      .send({ action: 'accept', content: { name: 'Ada Lovelace', integer: 7, check: true } })
      .expect(200);
    expect(answered.body).toMatchObject({ state: 'accepted', answeredVia: 'api', fields: ['name', 'integer', 'check'] });
    expect(JSON.stringify(answered.body)).not.toContain('Ada');

    const text = await resultText(app, id);
    expect(text).toContain('- Name: Ada Lovelace');
    expect(text).toContain('- Favorite Integer: 7');
    // The first answer wins.
    const late = await request(app).post(`/api/questions/${questionId}`).set(auth).send({ action: 'decline' });
    expectProblem(late, 409, 'question-answered');
    expect(late.body.state).toBe('accepted');
    const after = await request(app).get(`/api/calls/${id}`).set(auth).expect(200);
    expect(after.body.question).toMatchObject({ id: questionId, state: 'accepted' });
    // The activity log records who answered and how, and which fields: never the values.
    const entry = await waitUntil(
      async () => {
        const body = (await request(app).get(`/api/activity/${id}`).set(auth)).body;
        return body.questions ? body : undefined;
      },
      10_000,
      'the activity entry with its question',
    );
    expect(entry.questions).toEqual([
      {
        id: questionId,
        mode: 'form',
        message: 'Please provide inputs for the following fields:',
        state: 'accepted',
        answeredBy: 'start-up key',
        answeredVia: 'api',
        fields: ['name', 'integer', 'check'],
      },
    ]);
    expect(JSON.stringify(entry.questions)).not.toContain('Ada');
  });

  it("passes a decline upstream, and shows the question on the call's event stream", async () => {
    const { app } = await kit.gateway(everything, {}, { apiKey: KEY });
    const url = await kit.listen(app);
    const stream = await fetch(`${url}/api/tools/e/trigger-elicitation-request`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: '{}',
    });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      return text;
    };
    const waiting = await readUntil(/event: question\ndata: .*"status":"waiting"/);
    const questionId = /"id":"(q_[^"]+)"/.exec(waiting)![1]!;
    await request(app).post(`/api/questions/${questionId}`).set(auth).send({ action: 'decline' }).expect(200);
    const all = await readUntil(/event: result/);
    expect(all).toMatch(/event: question\ndata: .*"status":"declined".*"answeredBy":"start-up key"/);
    await readUntil(/event: result\ndata: .*\n\n/);
    expect(text).toContain('User declined to provide the requested information');
  });

  it('answers cancel upstream when nobody answers within gateway.questionTimeoutMs', async () => {
    const { app } = await kit.gateway(everything, { questionTimeoutMs: 300 }, { apiKey: KEY });
    const id = await startAsking(app);
    const text = await resultText(app, id);
    expect(text).toContain('User cancelled the elicitation dialog');
    const [question] = (await request(app).get('/api/questions?state=expired').set(auth).expect(200)).body.items;
    expect(question).toMatchObject({
      callId: id,
      state: 'expired',
      answeredBy: 'gateway',
      reason: expect.stringContaining('questionTimeoutMs'),
    });
  });

  it('lets a paired device answer, and holds the tool timeout while a person answers', async () => {
    // The call's timeout (time without progress) is shorter than the person takes to answer.
    const { app, gateway } = await kit.gateway(everything, { toolTimeoutMs: 400 }, { apiKey: KEY });
    const { token } = gateway.devices.pair('Pixel 8', 'test');
    const cookie = `mcpgw_session=${token}`;
    const csrf = csrfOf((await request(app).get('/approvals').set('Cookie', cookie).set('Accept', 'text/html').expect(200)).text);
    const id = await startAsking(app);
    const questionId = await questionOf(app, id);
    // A person's time: longer than the tool's timeout, which must not count it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await request(app).get(`/api/calls/${id}`).set(auth)).body.state).toBe('waiting_for_input');
    const answered = await request(app)
      .post(`/api/questions/${questionId}`)
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .send({ action: 'accept', content: { name: 'From the phone' } })
      .expect(200);
    expect(answered.body).toMatchObject({ state: 'accepted', answeredBy: expect.stringMatching(/^device:/), answeredByLabel: 'Pixel 8' });
    expect(await resultText(app, id)).toContain('- Name: From the phone');
  });

  it('makes a question about the server when several calls are in flight (MCP does not say which one asked)', async () => {
    const { app } = await kit.gateway(everything, {}, { apiKey: KEY });
    const longId = await startLongCall(app);
    const id = await startAsking(app);
    const question = await waitUntil(
      async () => (await request(app).get('/api/questions?state=pending').set(auth)).body.items[0],
      15_000,
      'the question',
    );
    expect(question).toMatchObject({ server: 'e', callId: null, tool: null, caller: null });
    expect((await request(app).get(`/api/calls/${id}`).set(auth)).body.state).toBe('running');
    await request(app).post(`/api/questions/${question.id}`).set(auth).send({ action: 'decline' }).expect(200);
    expect(await resultText(app, id)).toContain('User declined');
    await request(app).delete(`/api/calls/${longId}`).set(auth).expect(200);
  });

  it('attaches the question to exactly the call that asked when other calls are in flight (streamable HTTP: the stream it came on)', async () => {
    const upstream = await startEverythingHttp('streamable-http');
    kit.defer(() => upstream.stop());
    const { app } = await kit.gateway({ e: { type: 'streamable-http', url: upstream.url } }, {}, { apiKey: KEY });
    const longId = await startLongCall(app);
    const id = await startAsking(app);
    const questionId = await questionOf(app, id);
    const question = (await request(app).get(`/api/questions/${questionId}`).set(auth).expect(200)).body;
    expect(question).toMatchObject({ server: 'e', callId: id, tool: 'trigger-elicitation-request' });
    // The other call is not the one asking.
    expect((await request(app).get(`/api/calls/${longId}`).set(auth)).body.state).toBe('running');
    await request(app).post(`/api/questions/${questionId}`).set(auth).send({ action: 'decline' }).expect(200);
    expect(await resultText(app, id)).toContain('User declined');
    await request(app).delete(`/api/calls/${longId}`).set(auth).expect(200);
  });

  it("attaches a task's question (input_required, on the stream of tasks/result) to its call over streamable HTTP", async () => {
    const upstream = await startEverythingHttp('streamable-http');
    kit.defer(() => upstream.stop());
    const { app } = await kit.gateway({ e: { type: 'streamable-http', url: upstream.url } }, {}, { apiKey: KEY });
    const accepted = await request(app)
      .post('/api/tools/e/simulate-research-query')
      .set(auth)
      .set('Prefer', 'respond-async')
      .send({ topic: 'python', ambiguous: true })
      .expect(202);
    const id = accepted.body.id as string;
    const questionId = await questionOf(app, id);
    const question = (await request(app).get(`/api/questions/${questionId}`).set(auth).expect(200)).body;
    expect(question).toMatchObject({ server: 'e', callId: id, tool: 'simulate-research-query' });
    await request(app)
      .post(`/api/questions/${questionId}`)
      .set(auth)
      .send({ action: 'accept', content: { interpretation: 'snake' } })
      .expect(200);
    expect(await resultText(app, id)).toContain('Research Report: python (snake)');
  });

  it('declares elicitation to servers unless a server says elicitation: false (server-everything then hides its asking tools)', async () => {
    const { gateway } = await kit.gateway({ on: everything.e, off: { ...everything.e, elicitation: false } }, {}, { apiKey: KEY });
    const names = (server: string) =>
      gateway.supervisor
        .get(server)!
        .tools()
        .map((tool) => tool.name);
    expect(names('on')).toContain('trigger-elicitation-request');
    expect(names('off')).not.toContain('trigger-elicitation-request');
    expect(names('off')).toContain('echo');
  });

  it('refuses unknown questions, bad actions, and callers without approvals:decide', async () => {
    const { app } = await kit.gateway(everything, {}, { apiKey: KEY });
    expectProblem(await request(app).post('/api/questions/q_nothing').set(auth).send({ action: 'decline' }), 404, 'question-not-found');
    expectProblem(await request(app).get('/api/questions/q_nothing').set(auth), 404, 'question-not-found');
    const bad = await request(app).post('/api/questions/q_nothing').set(auth).send({ action: 'maybe' });
    expectProblem(bad, 422, 'invalid-request');
    const caller = (
      await request(app)
        .post('/api/keys')
        .set(auth)
        .send({ label: 'caller', scopes: ['tools:call'] })
    ).body.token;
    expectProblem(await request(app).get('/api/questions').set('Authorization', `Bearer ${caller}`), 403, 'forbidden');
  });
});

describe('questions from servers: URL mode, untrusted text, secrets', () => {
  const kit = callKit();
  const asker = { q: { command: process.execPath, args: [fixture('elicit-server.mjs')] } };

  /** Runs `tool` of the fixture as an async call; resolves with its id. */
  const start = async (app: App, tool: string, args: object) =>
    (await request(app).post(`/api/tools/q/${tool}`).set(auth).set('Prefer', 'respond-async').send(args).expect(202)).body.id as string;
  const answerOf = async (app: App, id: string) => JSON.parse(await resultText(app, id));

  it('shows a URL question as a link with a warning; Done answers accept; a URL that is not http(s) is declined at once', async () => {
    const { app, gateway } = await kit.gateway(asker, {}, { apiKey: KEY });
    const { token } = gateway.devices.pair('Pixel 8', 'test');
    const id = await start(app, 'ask_url', { url: 'https://login.example.com/device?code=1', message: 'Sign in to <b>Example</b>' });
    const questionId = await questionOf(app, id);
    const question = (await request(app).get(`/api/questions/${questionId}`).set(auth).expect(200)).body;
    expect(question).toMatchObject({ mode: 'url', url: 'https://login.example.com/device?code=1', elicitationId: 'fixture-1' });
    const page = (await request(app).get('/approvals').set('Cookie', `mcpgw_session=${token}`).set('Accept', 'text/html').expect(200)).text;
    expect(page).toContain('href="https://login.example.com/device?code=1"');
    expect(page).toContain('It is not part of the gateway');
    expect(page).toContain('Sign in to &lt;b&gt;Example&lt;/b&gt;');
    expect(page).not.toContain('<b>Example</b>');
    await request(app).post(`/api/questions/${questionId}`).set(auth).send({ action: 'accept' }).expect(200);
    expect(await answerOf(app, id)).toEqual({ action: 'accept' });

    const refused = await start(app, 'ask_url', { url: 'javascript:alert(1)' });
    expect(await answerOf(app, refused)).toEqual({ action: 'decline' });
    const [declined] = (await request(app).get('/api/questions?state=declined').set(auth).expect(200)).body.items;
    expect(declined).toMatchObject({ callId: refused, answeredBy: 'gateway', reason: expect.stringContaining('not an http or https URL') });
    expect(gateway.questions.pendingCount).toBe(0);
  });

  it("escapes the server's message and field titles on the card, and never keeps or logs the values answered", async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const { app, gateway } = await kit.gateway(asker, {}, { apiKey: KEY, logger });
    const { token } = gateway.devices.pair('Pixel 8', 'test');
    const schema = {
      type: 'object',
      properties: {
        user: { type: 'string', title: '<img src=x onerror=alert(1)>' },
        // MCP allows no `format: password`: a secret is known by its name.
        password: { type: 'string', title: 'Password' },
      },
      required: ['user', 'password'],
    };
    const id = await start(app, 'ask_form', { message: '<script>alert(1)</script>Unlock the door?', schema });
    const questionId = await questionOf(app, id);
    const page = (await request(app).get('/approvals').set('Cookie', `mcpgw_session=${token}`).set('Accept', 'text/html').expect(200)).text;
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;Unlock the door?');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<img src=x');
    expect(page).toMatch(/<input type="password" name="[^"]*password"/);

    const answered = await request(app)
      .post(`/api/questions/${questionId}`)
      .set(auth)
      .send({ action: 'accept', content: { user: 'ada', password: '4711' } })
      .expect(200);
    expect(answered.body.fields).toEqual(['user', 'password']);
    expect(await answerOf(app, id)).toEqual({ action: 'accept', content: { user: 'ada', password: '4711' } });
    const listed = JSON.stringify((await request(app).get('/api/questions').set(auth).expect(200)).body);
    expect(listed).not.toContain('4711');
    // The call's activity page shows the question: its words escaped, the outcome, who answered
    // and through what, the fields' names — never their values.
    await waitUntil(async () => (await request(app).get(`/api/activity/${id}`).set(auth)).body.questions, 10_000, 'the activity entry');
    const entryPage = (
      await request(app).get(`/activity/${id}`).set('Cookie', `mcpgw_session=${token}`).set('Accept', 'text/html').expect(200)
    ).text;
    const section = /<section class="call-questions"[\s\S]*?<\/section>/.exec(entryPage)?.[0] ?? '';
    expect(section).toContain('&lt;script&gt;alert(1)&lt;/script&gt;Unlock the door?');
    expect(section).not.toContain('<script>alert(1)');
    expect(section).toContain('data-state="accepted"');
    expect(section).toContain('start-up key');
    expect(section).toContain('the API');
    expect(section).toContain('user, password');
    expect(section).not.toContain('4711');
    expect(entryPage).not.toContain('<script>alert(1)');
    expect(lines.join('\n')).toContain('question accepted');
    expect(
      lines
        .join('\n')
        .split('\n')
        .filter((line) => line.includes('question') && line.includes('4711')),
    ).toEqual([]);
  });
});
