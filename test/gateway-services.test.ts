// The gateway owns the call pipeline (issue 16): `startGateway` builds the ToolCaller, the metrics,
// the pairings and the event bus; `buildApp` only receives them. Two apps built on one gateway
// therefore share its calls and metrics, and the bus carries what happened (calls finished,
// servers changed, revocations) to whoever follows it, with the revocations' sessions ended by
// the wiring in startGateway. The caller itself speaks no HTTP: `start` gives a RunningCall whose
// `accepted` and `done` promises settle with how it went (a result or a domain error), and each
// surface decides the status and body of that.
import http, { type ServerResponse } from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { RunningCall } from '../server/calls/running-call.js';
import type { ServerChange } from '../server/events.js';
import { gatewayServices } from '../server/gateway.js';
import { buildApp } from '../server/http/app.js';
import { createLogger } from '../server/logging/logger.js';
import { callKit, results } from './helpers/calls.js';
import { waitUntil } from './helpers/process.js';

const { gateway } = callKit();

describe('the gateway owns the call pipeline', () => {
  it('two apps on one gateway share its calls, its metrics and its events', async () => {
    const started = await gateway({ r: results() });
    const other = buildApp({ ...gatewayServices(started.gateway), logger: createLogger('silent'), version: 'test', security: {} });
    const finished: RunningCall[] = [];
    started.gateway.events.on('call.finished', (call) => finished.push(call));

    // A call started through one app is known to the other (one ToolCaller, one registry).
    const accepted = await request(started.app).post('/r/wait').set('Prefer', 'respond-async').send({ ms: 60_000 }).expect(202);
    const id = accepted.body.id as string;
    expect((await request(other).get(`/api/calls/${id}`).expect(200)).body).toMatchObject({ id, state: 'running' });
    expect(started.gateway.caller.load('r')).toEqual({ inFlight: 1, queued: 0 });
    expect((await request(other).delete(`/api/calls/${id}`).expect(200)).body.state).toBe('cancelled');

    // The bus told its followers; the other app's metrics counted the call.
    await waitUntil(() => finished.length === 1, 5000, 'the call.finished event');
    expect(finished[0]!.id).toBe(id);
    const metrics = (await request(other).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/mcp_gateway_tool_calls_total\{server="r",tool="wait",outcome="cancelled"\} 1/);
    expect(metrics).toContain('mcp_gateway_info{version="test"} 1');
  });

  it('answers a call before it records it, and records it before the next request is read', async () => {
    const started = await gateway({ r: results() });
    const server = http.createServer(started.app);
    const answers: ServerResponse[] = [];
    server.prependListener('request', (_req, res: ServerResponse) => answers.push(res));
    // Whether the call's answer was written when the call was recorded (the bus follows the record).
    const answeredWhenRecorded: boolean[] = [];
    started.gateway.events.on('call.finished', () => answeredWhenRecorded.push(answers.at(-1)!.writableEnded));

    const answer = await request(server).post('/api/tools/r/plain_text').send({}).expect(200);
    expect(answeredWhenRecorded).toEqual([true]);
    // Right after the answer, the next request sees the call recorded: its row is finished and counted.
    const row = (await request(server).get(`/api/activity/${answer.body.id}`).expect(200)).body;
    expect(row).toMatchObject({ outcome: 'ok', status: 200 });
    expect((await request(server).get('/metrics').expect(200)).text).toMatch(
      /mcp_gateway_tool_calls_total\{server="r",tool="plain_text",outcome="ok"\} 1/,
    );
  });

  it('carries server changes and revocations on the bus, and a revoked key or device ends its sessions', async () => {
    const started = await gateway({ r: results() });
    const { events, keys, devices, sessions, supervisor } = started.gateway;
    const changes: ServerChange[] = [];
    const revoked: string[] = [];
    const ended: string[] = [];
    events.on('server.changed', (change) => changes.push(change));
    events.on('key.revoked', (key) => revoked.push(`key:${key.id}`));
    events.on('device.revoked', (device) => revoked.push(`device:${device.id}`));
    events.on('session.ended', (tokenHash) => ended.push(tokenHash));

    await supervisor.setEnabled('r', false);
    await waitUntil(
      () => changes.some((change) => change.kind === 'state' && change.status.state === 'disabled'),
      5000,
      'the server.changed event',
    );

    const { key } = keys.create('k', ['admin']);
    const keySession = sessions.create({ caller: `key:${key.id}`, label: 'k', scopes: ['admin'], subject: `key:${key.id}` }).session;
    const { device, token } = devices.pair('phone', 'admin');
    keys.revoke(key.id);
    devices.revoke(device.id);
    expect(revoked).toEqual([`key:${key.id}`, `device:${device.id}`]);
    expect(ended).toContain(keySession.tokenHash);
    expect(sessions.find(token)).toBeUndefined();
  });
});

describe('caller.start', () => {
  const base = { args: {}, surface: 'mcpo' as const, mode: 'sync' as const, caller: 'test', requestId: 'r1' };

  it('returns the call at once; accepted and done settle with its result or its error, and no HTTP status', async () => {
    const started = await gateway({ r: results() });
    const { caller } = started.gateway;

    const ok = caller.start({ ...base, server: 'r', tool: 'plain_text' });
    expect(ok.finished).toBe(false);
    expect(await ok.accepted).toBe(true);
    const end = await ok.done;
    expect(Object.keys(end).sort()).toEqual(['outcome', 'result']);
    expect(end).toMatchObject({
      outcome: 'ok',
      result: { result: { content: [{ type: 'text', text: 'hello there' }] }, bytes: expect.any(Number) },
    });
    expect(JSON.parse(end.result!.json)).toEqual(end.result!.result);

    // An isError result is a result on every surface: the mcpo route makes it a 502 problem itself.
    const failed = await caller.start({ ...base, server: 'r', tool: 'fail' }).done;
    expect(failed.outcome).toBe('tool_error');
    expect(failed.result!.result.isError).toBe(true);
    expect(failed.error).toBeUndefined();
    expect((await request(started.app).post('/r/fail').send({})).status).toBe(502);

    // Refused before it is accepted: accepted is false, done holds the domain error.
    const refused = caller.start({ ...base, server: 'r', tool: 'nope' });
    expect(await refused.accepted).toBe(false);
    const missing = await refused.done;
    expect(missing.outcome).toBe('unavailable');
    expect(missing.error).toMatchObject({ type: 'tool-not-found' });
    expect(Object.keys(missing).sort()).toEqual(['error', 'outcome']);
  });
});
