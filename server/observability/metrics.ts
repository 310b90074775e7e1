/**
 * Prometheus metrics of the gateway, in a registry of its own (not prom-client's global one), so
 * that several gateways in one process — as in the tests — do not clash.
 *
 * Call metrics are pushed by the call path through `recordCall`; everything about servers (state,
 * restarts, load) is read from the injected sources when Prometheus scrapes, so it always matches
 * the current configuration and a removed server's series disappear with it.
 *
 * Metrics (label names in braces):
 * - `mcp_gateway_tool_calls_total{server,tool,outcome}` counter: finished tool calls, by outcome
 *   (see calls/outcome.ts).
 * - `mcp_gateway_tool_call_duration_seconds{server,tool}` histogram: how long tool calls took,
 *   whatever their outcome; buckets from 1 ms to 10 minutes.
 * - `mcp_gateway_calls_in_flight{server}` gauge: calls running upstream now (read at scrape).
 * - `mcp_gateway_calls_queued{server}` gauge: calls waiting for a concurrency slot now (read at scrape).
 * - `mcp_gateway_server_state{server,state}` gauge: 1 for the server's current state, 0 for every
 *   other state (read at scrape).
 * - `mcp_gateway_server_restarts_total{server}` counter: automatic and manual restarts since the
 *   gateway started (ServerStatus.restarts, read at scrape).
 * - `mcp_gateway_activity_queue_depth` gauge: activity log changes waiting to be written (read at
 *   scrape); it grows while writes fail.
 * - `mcp_gateway_activity_write_failures_total` counter: failed activity log writes (transactions).
 * - `mcp_gateway_activity_dropped_total` counter: activity log changes dropped because the queue
 *   was full while writes failed, or unwritten at shutdown.
 * - `mcp_gateway_mcp_sessions` gauge: sessions of 2025-era clients open on the MCP endpoint now
 *   (read at scrape; 0 until the endpoint has served a request).
 * - `mcp_gateway_info{version}` gauge: always 1; only when `version` is given.
 * - With `collectDefault` (the default): prom-client's process and Node.js metrics, prefixed
 *   `mcp_gateway_` (e.g. `mcp_gateway_process_cpu_seconds_total`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallOutcome } from '../calls/outcome.js';
import { SERVER_STATES, type ServerState } from '../upstream/types.js';

export interface MetricsSources {
  /** Statuses of the configured servers, read at scrape time. */
  servers: () => Array<{ name: string; state: ServerState; restarts: number }>;
  /** In-flight and queued calls of a server, read at scrape time. */
  load: (server: string) => { inFlight: number; queued: number };
  /** The activity log's writing, read at scrape time. Without it, its metrics are left out. */
  activity?: () => { queued: number; writeFailures: number; dropped: number };
}

export interface GatewayMetricsOptions {
  /** Also collect prom-client's process and Node.js metrics, prefixed `mcp_gateway_`. Default true. */
  collectDefault?: boolean;
  /** The gateway's version, exposed as `mcp_gateway_info{version}`. The metric is left out without it. */
  version?: string;
}

/** Tool calls last from under a millisecond to minutes (long-running tools, with progress). */
export const CALL_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

/**
 * The calls of one server+tool, in plain numbers: a call adds to them, and a scrape hands them to
 * Prometheus. prom-client's own children hash their labels and check their values on every
 * observation (about 2 µs of a call's CPU for the two metrics), which a call need not pay.
 */
interface ToolSeries {
  labels: { server: string; tool: string };
  /** Calls per outcome since the last scrape, added to the counter then. */
  unscraped: Partial<Record<CallOutcome, number>>;
  /** Observed durations per bucket of `CALL_DURATION_BUCKETS` (not cumulative); the last one for those above every bound. */
  buckets: number[];
  count: number;
  /** Seconds, added in the order observed (as prom-client adds them). */
  sum: number;
}

/** The index in `CALL_DURATION_BUCKETS` of the first bound at or above `seconds` (its length above them all). */
function bucketOf(seconds: number): number {
  let index = 0;
  while (index < CALL_DURATION_BUCKETS.length && seconds > CALL_DURATION_BUCKETS[index]!) index++;
  return index;
}

/**
 * `mcp_gateway_tool_call_duration_seconds` as a metric of the registry that reads `series` when
 * scraped, and writes what prom-client's `Histogram` would (a test compares the two).
 */
function durationHistogram(name: string, help: string, series: () => Iterable<ToolSeries>) {
  const bounds = CALL_DURATION_BUCKETS;
  const read = () => {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const { labels, buckets, count, sum } of series()) {
      if (count === 0) continue; // never observed (or reset): prom-client has no such series
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += buckets[i]!;
        values.push({ labels: { le: bounds[i]!, ...labels }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${name}_bucket` });
      values.push({ labels, value: sum, metricName: `${name}_sum` });
      values.push({ labels, value: count, metricName: `${name}_count` });
    }
    return values;
  };
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type: 'histogram', values: read(), aggregator: 'sum' }),
    reset: () => {
      for (const one of series()) {
        one.buckets.fill(0);
        one.count = 0;
        one.sum = 0;
      }
    },
  };
}

export class GatewayMetrics {
  readonly registry: Registry;

  /** server → tool → its calls; nested so that recordCall builds no key strings. */
  private readonly series = new Map<string, Map<string, ToolSeries>>();
  /** The same, in the order they were first called. */
  private readonly allSeries: ToolSeries[] = [];

  /** Sessions open on the MCP endpoint (see `observeMcpSessions`). */
  private mcpSessions: () => number = () => 0;

  /** The MCP endpoint, once loaded, says how many sessions it holds. */
  observeMcpSessions(count: () => number): void {
    this.mcpSessions = count;
  }

  constructor(sources: MetricsSources, options: GatewayMetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    const mcpSessions = () => this.mcpSessions();

    new Gauge({
      name: 'mcp_gateway_mcp_sessions',
      help: 'Sessions of 2025-era clients open on the MCP endpoint (/mcp) now.',
      registers: [registry],
      collect() {
        this.set(mcpSessions());
      },
    });

    const allSeries = this.allSeries;
    new Counter({
      name: 'mcp_gateway_tool_calls_total',
      help: 'Finished tool calls, by server, tool and outcome.',
      labelNames: ['server', 'tool', 'outcome'] as const,
      registers: [registry],
      collect() {
        for (const series of allSeries) {
          for (const [outcome, count] of Object.entries(series.unscraped)) this.inc({ ...series.labels, outcome }, count);
          series.unscraped = {};
        }
      },
    });

    // Registered as prom-client's own metrics are (`registerMetric` reads `name`, `get` and `reset`).
    registry.registerMetric(
      durationHistogram(
        'mcp_gateway_tool_call_duration_seconds',
        'Duration of finished tool calls in seconds, whatever their outcome.',
        () => allSeries,
      ) as unknown as Histogram,
    );

    new Gauge({
      name: 'mcp_gateway_calls_in_flight',
      help: 'Tool calls running upstream now, by server.',
      labelNames: ['server'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const server of sources.servers()) this.set({ server: server.name }, sources.load(server.name).inFlight);
      },
    });

    new Gauge({
      name: 'mcp_gateway_calls_queued',
      help: 'Tool calls waiting for a concurrency slot now, by server.',
      labelNames: ['server'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const server of sources.servers()) this.set({ server: server.name }, sources.load(server.name).queued);
      },
    });

    new Gauge({
      name: 'mcp_gateway_server_state',
      help: `1 for the state each server is in, 0 for the others (${SERVER_STATES.join(', ')}).`,
      labelNames: ['server', 'state'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const server of sources.servers()) {
          for (const state of SERVER_STATES) this.set({ server: server.name, state }, server.state === state ? 1 : 0);
        }
      },
    });

    // A Counter whose value is read from the supervisor at scrape time: prom-client counters have
    // no set(), so reset and add the current value. This keeps `# TYPE … counter` in the output.
    new Counter({
      name: 'mcp_gateway_server_restarts_total',
      help: 'Automatic and manual restarts of each server since the gateway started.',
      labelNames: ['server'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const server of sources.servers()) {
          const restarts = Number.isFinite(server.restarts) && server.restarts > 0 ? server.restarts : 0;
          this.inc({ server: server.name }, restarts);
        }
      },
    });

    const activity = sources.activity;
    if (activity) {
      new Gauge({
        name: 'mcp_gateway_activity_queue_depth',
        help: 'Activity log changes waiting to be written (it grows while writes fail).',
        registers: [registry],
        collect() {
          this.set(activity().queued);
        },
      });
      // Counters kept by the activity log, read at scrape time (as the restarts above).
      new Counter({
        name: 'mcp_gateway_activity_write_failures_total',
        help: 'Failed writes (transactions) of the activity log.',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(activity().writeFailures);
        },
      });
      new Counter({
        name: 'mcp_gateway_activity_dropped_total',
        help: 'Activity log changes dropped: the queue was full while writes failed, or they were unwritten at shutdown.',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(activity().dropped);
        },
      });
    }

    if (options.version !== undefined) {
      const info = new Gauge({
        name: 'mcp_gateway_info',
        help: 'Always 1; the version label is the gateway version.',
        labelNames: ['version'] as const,
        registers: [registry],
      });
      info.set({ version: options.version }, 1);
    }

    if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry, prefix: 'mcp_gateway_' });
  }

  /** One finished call: counter +1 and a latency observation, in plain numbers until the next scrape (see `ToolSeries`). */
  recordCall(server: string, tool: string, outcome: CallOutcome, durationMs: number): void {
    let tools = this.series.get(server);
    if (tools === undefined) {
      tools = new Map();
      this.series.set(server, tools);
    }
    let series = tools.get(tool);
    if (series === undefined) {
      series = {
        labels: { server, tool },
        unscraped: {},
        buckets: new Array<number>(CALL_DURATION_BUCKETS.length).fill(0),
        count: 0,
        sum: 0,
      };
      tools.set(tool, series);
      this.allSeries.push(series);
    }
    series.unscraped[outcome] = (series.unscraped[outcome] ?? 0) + 1;
    // A duration that is not a number is not observed (prom-client would throw on it; a metric must never fail a call).
    if (!Number.isFinite(durationMs)) return;
    const seconds = durationMs > 0 ? durationMs / 1000 : 0;
    const bucket = bucketOf(seconds);
    if (bucket < CALL_DURATION_BUCKETS.length) series.buckets[bucket]!++;
    series.count++;
    series.sum += seconds;
  }

  /** Prometheus text exposition (format 0.0.4). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
