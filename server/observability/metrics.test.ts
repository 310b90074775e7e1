import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { ServerState } from '../upstream/types.js';
import { METRICS_ROUTES } from '../http/api/metrics.js';
import { RouteTable } from '../http/route.js';
import { Counter, Histogram, Registry } from 'prom-client';
import type { CallOutcome } from '../calls/outcome.js';
import { CALL_DURATION_BUCKETS, GatewayMetrics, type MetricsSources } from './metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a Prometheus text exposition (comments are skipped). */
function parse(body: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels, or undefined. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  const found = samples.filter(
    (sample) =>
      sample.name === name && Object.keys(sample.labels).length === wanted.length && wanted.every(([key, v]) => sample.labels[key] === v),
  );
  if (found.length > 1) throw new Error(`several samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function seriesOf(samples: Sample[], name: string): Sample[] {
  return samples.filter((sample) => sample.name === name);
}

/** Sources backed by plain mutable data, changed by the tests between scrapes. */
function fakeSources() {
  const servers: { name: string; state: ServerState; restarts: number }[] = [
    { name: 'alpha', state: 'ready', restarts: 0 },
    { name: 'beta', state: 'starting', restarts: 3 },
  ];
  const load: Record<string, { inFlight: number; queued: number }> = {
    alpha: { inFlight: 2, queued: 1 },
  };
  const sources: MetricsSources = {
    servers: () => servers.map((server) => ({ ...server })),
    load: (server) => load[server] ?? { inFlight: 0, queued: 0 },
  };
  return { servers, load, sources };
}

async function scrape(metrics: GatewayMetrics): Promise<Sample[]> {
  return parse((await metrics.render()).body);
}

describe('GatewayMetrics', () => {
  it('counts calls by server, tool and outcome and observes their duration', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { collectDefault: false });
    metrics.recordCall('alpha', 'echo', 'ok', 1.5);
    metrics.recordCall('alpha', 'echo', 'ok', 20);
    metrics.recordCall('alpha', 'echo', 'timeout', 60_000);
    metrics.recordCall('beta', 'add', 'tool_error', 0.2);

    const samples = await scrape(metrics);
    const calls = 'mcp_gateway_tool_calls_total';
    expect(value(samples, calls, { server: 'alpha', tool: 'echo', outcome: 'ok' })).toBe(2);
    expect(value(samples, calls, { server: 'alpha', tool: 'echo', outcome: 'timeout' })).toBe(1);
    expect(value(samples, calls, { server: 'beta', tool: 'add', outcome: 'tool_error' })).toBe(1);
    expect(seriesOf(samples, calls)).toHaveLength(3);

    const duration = 'mcp_gateway_tool_call_duration_seconds';
    expect(value(samples, `${duration}_count`, { server: 'alpha', tool: 'echo' })).toBe(3);
    expect(value(samples, `${duration}_sum`, { server: 'alpha', tool: 'echo' })).toBeCloseTo(60.0215, 6);
    expect(value(samples, `${duration}_count`, { server: 'beta', tool: 'add' })).toBe(1);
    expect(value(samples, `${duration}_bucket`, { server: 'alpha', tool: 'echo', le: '60' })).toBe(3);
    expect(value(samples, `${duration}_bucket`, { server: 'alpha', tool: 'echo', le: '30' })).toBe(2);
    expect(value(samples, `${duration}_bucket`, { server: 'alpha', tool: 'echo', le: '+Inf' })).toBe(3);
    expect(
      seriesOf(samples, `${duration}_bucket`)
        .filter((s) => s.labels.server === 'alpha')
        .map((s) => s.labels.le),
    ).toEqual([
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '30',
      '60',
      '120',
      '300',
      '600',
      '+Inf',
    ]);

    // Later calls reuse the cached children and keep counting.
    metrics.recordCall('alpha', 'echo', 'ok', 5);
    const again = await scrape(metrics);
    expect(value(again, calls, { server: 'alpha', tool: 'echo', outcome: 'ok' })).toBe(3);
    expect(value(again, `${duration}_count`, { server: 'alpha', tool: 'echo' })).toBe(4);
  });

  it("writes the calls' counter and duration histogram as prom-client's own Counter and Histogram do", async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { collectDefault: false });
    const registry = new Registry();
    const counter = new Counter({
      name: 'mcp_gateway_tool_calls_total',
      help: 'Finished tool calls, by server, tool and outcome.',
      labelNames: ['server', 'tool', 'outcome'],
      registers: [registry],
    });
    const histogram = new Histogram({
      name: 'mcp_gateway_tool_call_duration_seconds',
      help: 'Duration of finished tool calls in seconds, whatever their outcome.',
      labelNames: ['server', 'tool'],
      buckets: [...CALL_DURATION_BUCKETS],
      registers: [registry],
    });
    const calls: [string, string, CallOutcome, number][] = [
      ['alpha', 'echo', 'ok', 0.3],
      ['beta', 'say "hi"\n', 'tool_error', 2.5],
      ['alpha', 'echo', 'timeout', 60_000],
      ['alpha', 'echo', 'ok', 1000 * 601],
      ['alpha', 'echo', 'ok', 1],
      ['beta', 'say "hi"\n', 'ok', 0],
      ['gamma', 'nan', 'ok', Number.NaN],
      ['alpha', 'other', 'cancelled', -3],
      ...Array.from({ length: 50 }, (_, i): [string, string, CallOutcome, number] => ['alpha', 'echo', 'ok', 0.1 + i * 7.3]),
    ];
    const sections = (text: string) =>
      text
        .split('\n\n')
        .filter((section) => /tool_call/.test(section))
        .map((section) => section.trimEnd());
    const compare = async () => {
      const ours = sections((await metrics.render()).body);
      const theirs = sections(await registry.metrics());
      expect(ours).toHaveLength(2);
      expect(ours[1]).toBe(theirs[1]); // the histogram, line for line
      expect(ours[0]!.split('\n').sort()).toEqual(theirs[0]!.split('\n').sort()); // the counter, in another order
    };
    for (const [index, [server, tool, outcome, ms]] of calls.entries()) {
      metrics.recordCall(server, tool, outcome, ms);
      counter.inc({ server, tool, outcome });
      if (Number.isFinite(ms)) histogram.observe({ server, tool }, ms > 0 ? ms / 1000 : 0);
      if (index === 3) await compare(); // a scrape between calls
    }
    await compare();
    await compare();
  });

  it('puts a 1.5 ms call in the 0.0025 bucket', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { collectDefault: false });
    metrics.recordCall('alpha', 'echo', 'ok', 1.5);
    const samples = await scrape(metrics);
    const bucket = (le: string) => value(samples, 'mcp_gateway_tool_call_duration_seconds_bucket', { server: 'alpha', tool: 'echo', le });
    expect(bucket('0.001')).toBe(0);
    expect(bucket('0.0025')).toBe(1);
    expect(bucket('0.005')).toBe(1);
  });

  it('does not throw on a non-finite or negative duration', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { collectDefault: false });
    expect(() => metrics.recordCall('alpha', 'echo', 'ok', Number.NaN)).not.toThrow();
    expect(() => metrics.recordCall('alpha', 'echo', 'ok', -3)).not.toThrow();
    const samples = await scrape(metrics);
    expect(value(samples, 'mcp_gateway_tool_calls_total', { server: 'alpha', tool: 'echo', outcome: 'ok' })).toBe(2);
    expect(value(samples, 'mcp_gateway_tool_call_duration_seconds_count', { server: 'alpha', tool: 'echo' })).toBe(1);
    expect(value(samples, 'mcp_gateway_tool_call_duration_seconds_bucket', { server: 'alpha', tool: 'echo', le: '0.001' })).toBe(1);
  });

  it('reads load, state and restarts from the sources at each scrape', async () => {
    const { servers, load, sources } = fakeSources();
    const metrics = new GatewayMetrics(sources, { collectDefault: false });

    let samples = await scrape(metrics);
    expect(value(samples, 'mcp_gateway_calls_in_flight', { server: 'alpha' })).toBe(2);
    expect(value(samples, 'mcp_gateway_calls_queued', { server: 'alpha' })).toBe(1);
    expect(value(samples, 'mcp_gateway_calls_in_flight', { server: 'beta' })).toBe(0);
    expect(value(samples, 'mcp_gateway_calls_queued', { server: 'beta' })).toBe(0);

    const state = (server: string, s: ServerState) => value(samples, 'mcp_gateway_server_state', { server, state: s });
    expect(state('alpha', 'ready')).toBe(1);
    expect(state('beta', 'starting')).toBe(1);
    expect(state('beta', 'ready')).toBe(0);
    const allStates: ServerState[] = ['disabled', 'starting', 'ready', 'error', 'backoff', 'stopped', 'needs-sign-in'];
    for (const server of ['alpha', 'beta']) {
      expect(
        seriesOf(samples, 'mcp_gateway_server_state')
          .filter((s) => s.labels.server === server)
          .map((s) => s.labels.state)
          .sort(),
      ).toEqual([...allStates].sort());
      expect(seriesOf(samples, 'mcp_gateway_server_state').filter((s) => s.labels.server === server && s.value === 1)).toHaveLength(1);
    }

    expect(value(samples, 'mcp_gateway_server_restarts_total', { server: 'alpha' })).toBe(0);
    expect(value(samples, 'mcp_gateway_server_restarts_total', { server: 'beta' })).toBe(3);

    // The sources change: the next scrape shows the new values, not accumulated ones.
    servers[1]!.state = 'backoff';
    servers[1]!.restarts = 4;
    load.alpha = { inFlight: 0, queued: 0 };
    samples = await scrape(metrics);
    expect(state('beta', 'starting')).toBe(0);
    expect(state('beta', 'backoff')).toBe(1);
    expect(value(samples, 'mcp_gateway_server_restarts_total', { server: 'beta' })).toBe(4);
    expect(value(samples, 'mcp_gateway_calls_in_flight', { server: 'alpha' })).toBe(0);
  });

  it("drops a removed server's series", async () => {
    const { servers, sources } = fakeSources();
    const metrics = new GatewayMetrics(sources, { collectDefault: false });
    expect(value(await scrape(metrics), 'mcp_gateway_server_restarts_total', { server: 'beta' })).toBe(3);

    servers.splice(1, 1);
    const samples = await scrape(metrics);
    for (const name of [
      'mcp_gateway_calls_in_flight',
      'mcp_gateway_calls_queued',
      'mcp_gateway_server_state',
      'mcp_gateway_server_restarts_total',
    ]) {
      expect(
        seriesOf(samples, name).some((s) => s.labels.server === 'beta'),
        name,
      ).toBe(false);
      expect(
        seriesOf(samples, name).some((s) => s.labels.server === 'alpha'),
        name,
      ).toBe(true);
    }
  });

  it('types restarts as a counter and the rest as documented', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { collectDefault: false });
    metrics.recordCall('alpha', 'echo', 'ok', 1);
    const { body } = await metrics.render();
    expect(body).toContain('# TYPE mcp_gateway_server_restarts_total counter');
    expect(body).toContain('# TYPE mcp_gateway_tool_calls_total counter');
    expect(body).toContain('# TYPE mcp_gateway_tool_call_duration_seconds histogram');
    expect(body).toContain('# TYPE mcp_gateway_calls_in_flight gauge');
    expect(body).toContain('# TYPE mcp_gateway_calls_queued gauge');
    expect(body).toContain('# TYPE mcp_gateway_server_state gauge');
    // No process metrics and no info metric unless asked for.
    expect(body).not.toContain('process_cpu');
    expect(body).not.toContain('mcp_gateway_info');
  });

  it('exposes the version and default process metrics when asked', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { version: '1.2.3' });
    const { body } = await metrics.render();
    expect(value(parse(body), 'mcp_gateway_info', { version: '1.2.3' })).toBe(1);
    expect(body).toContain('# TYPE mcp_gateway_process_cpu_seconds_total counter');
    expect(body).toContain('mcp_gateway_nodejs_heap_size_total_bytes');
  });

  it('keeps registries of several gateways apart', async () => {
    const a = new GatewayMetrics(fakeSources().sources);
    const b = new GatewayMetrics(fakeSources().sources);
    a.recordCall('alpha', 'echo', 'ok', 1);
    expect(a.registry).not.toBe(b.registry);
    expect(value(await scrape(a), 'mcp_gateway_tool_calls_total', { server: 'alpha', tool: 'echo', outcome: 'ok' })).toBe(1);
    expect(seriesOf(await scrape(b), 'mcp_gateway_tool_calls_total')).toHaveLength(0);
  });
});

describe('METRICS_ROUTES', () => {
  it('serves GET /metrics as Prometheus text 0.0.4', async () => {
    const metrics = new GatewayMetrics(fakeSources().sources, { collectDefault: false });
    metrics.recordCall('alpha', 'echo', 'ok', 3);
    const app = express();
    new RouteTable().mount(app, METRICS_ROUTES, { metrics });

    const response = await request(app).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(metrics.registry.contentType);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    expect(response.text).toContain('mcp_gateway_tool_calls_total{server="alpha",tool="echo",outcome="ok"} 1');
    expect(value(parse(response.text), 'mcp_gateway_server_state', { server: 'alpha', state: 'ready' })).toBe(1);
  });
});
