// The gateway owns the call pipeline (issue 16): `startGateway` builds the ToolCaller, the metrics,
// the pairings and the event bus; `buildApp` only receives them. Two apps built on one gateway
// therefore share its calls and metrics, and the bus carries what happened (calls finished,
// servers changed, revocations) to whoever follows it, with the revocations' sessions ended by
// the wiring in startGateway.
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
    await waitUntil(() => changes.some((change) => change.kind === 'state' && change.status.state === 'disabled'), 5000, 'the server.changed event');

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
