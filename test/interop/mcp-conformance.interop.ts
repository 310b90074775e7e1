// The official MCP conformance suite (`npm run test:interop`, not part of `npm test`), server mode,
// against the conformance repository's own everything-server: every scenario run DIRECTLY against
// that server, then THROUGH the gateway's `/mcp/{server}` (the server behind it as a
// streamable-http upstream; the input_required scenarios and server-stateless through
// `/mcp/everything-2026`, the same server as a 2026-07-28 upstream), in both protocol eras (the suite's default wires, and
// `--spec-version 2026-07-28`). Every lifecycle, ping, tools, resources, prompts, completion,
// logging, progress, sampling, elicitation and DNS-rebinding check that passes directly must pass
// through the gateway (the suite's client answers the server's sampling and elicitation requests,
// which the gateway passes on to it);
// the table (scenario | direct | through the gateway | note) is printed, for README's "Conformance".
//
// Needs npm (the registry, or npm's cache) and:
//   CONFORMANCE_DIR   a clone (or bare git directory) of github.com/modelcontextprotocol/conformance;
//   CONFORMANCE_REF   the commit to read (default c321dd3, v0.2.0-alpha.11); the suite is the npm
//                     package @modelcontextprotocol/conformance of the version that commit names;
//   CONFORMANCE_NODE  a Node.js 22 or later for the suite (default: this Node if it is one, else the
//                     `node-linux-<arch>@22` package from the npm registry);
//   CONFORMANCE_SCENARIO  run only this scenario (e.g. server-sse-polling) in each era instead of
//                     `--suite all` (default: all); the checks that need the whole suite are skipped.
// The server (examples/servers/typescript) is copied into a temporary folder, gets `npm ci` there
// and runs with its own tsx; its last lines are changed to listen on 127.0.0.1 on a free port.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, tempDir, waitForServer, type TestGateway } from '../helpers/gateway.js';
import { nodeOfAtLeast, npm, npmInstall, startProcess } from './fetched-tools.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const SERVER_DIR = 'examples/servers/typescript';
const LISTEN = 'const PORT = process.env.PORT || 3000;\napp.listen(PORT, () => {';
const LISTEN_HERE =
  "const PORT = 0;\nconst listening = app.listen(PORT, '127.0.0.1', () => {\n  console.log(`CONFORMANCE SERVER PORT ${(listening.address() as { port: number }).port}`);";

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
/** A scenario's checks: id → its worst status (INFO lines left out). */
type Checks = Map<string, Status>;
type Run = Map<string, Checks>;

/**
 * The input_required scenarios (SEP-2322) and server-stateless (SEP-2575) call tools the server has
 * only on its 2026-07-28 path (its `input_required` results, its diagnostic tools such as
 * `test_missing_capability`): through the gateway they are run against `/mcp/everything-2026`, the
 * same server behind the gateway as an upstream spoken to in the 2026-07-28 era
 * (`protocol: "2026-07-28"`, server/upstream/modern-client.ts).
 */
const THROUGH_2026_UPSTREAM = /^input-required-result-|^server-stateless$/;
/**
 * Of those, the ones whose every check passes through as directly (per era): all of them. The
 * server's own `input_required` results of `tools/call` and `prompts/get` pass through to the
 * suite, a 2026-07-28 client that declared elicitation, sampling and roots, under the gateway's
 * sealed `requestState` (server/mcp/input-relay.ts); a call declares upstream only the capabilities
 * someone answers for it (server/upstream/input-relay.ts `callCapabilities`), and the server's
 * -32021 reaches the suite as the server gives it (HTTP 400).
 */
const PASSES_THROUGH_2026: Record<string, RegExp> = {
  default: THROUGH_2026_UPSTREAM,
  '2026-07-28': THROUGH_2026_UPSTREAM,
};
const EXTENSION = /^tasks-/;
/**
 * Checks that pass directly but not through the gateway, and why; everything else of issue 17
 * that passes directly must pass through. A check listed here that passes is reported too.
 */
const LOST_UPSTREAM = 'the server’s SDK (1.29) drops the result it sends while the call’s stream is closed (SEP-1699, SHOULD)';
const UNLISTED_HOOK = 'the server’s trigger hook is not in its tools/list (SHOULD)';
const KNOWN: Record<string, Record<string, string>> = {
  // Through /mcp/everything-2026 (SHOULD, warnings): the checks mutate the lists by calling the
  // server's hooks `test_trigger_tool_change` and `test_trigger_prompt_change`, which it serves but
  // does not list in tools/list; the gateway calls only the tools a server lists ("Unknown tool").
  'server-stateless': {
    'sep-2575-server-sends-tools-list-changed-on-subscription': UNLISTED_HOOK,
    'sep-2575-server-sends-prompts-list-changed-on-subscription': UNLISTED_HOOK,
  },
  // SEP-1699 (SHOULD): the gateway's streams are resumable (priming event, `retry`, Last-Event-ID:
  // server/mcp/event-store.ts), but test_reconnection's result never reaches the gateway: the server
  // closes the call's stream upstream and sends the result 100 ms later, which its SDK (1.29) keeps
  // only for a connected stream; the gateway's upstream client (SDK 1.x) reconnects with
  // Last-Event-ID after the server's `retry: 5000`, and the server replays nothing (the same client
  // directly against the server gets no result either; the suite reconnects at once).
  'server-sse-polling': {
    'server-sse-disconnect-resume': LOST_UPSTREAM,
  },
  // The check sends inputResponses with a first call (no requestState): the gateway forwards a
  // client's responses only to the keys of a round it relayed, under its seal, so that nobody
  // pre-answers a round the gateway (or a person) answers; the server asks then (SEP-2322, SHOULD).
  'input-required-result-ignore-extra-params': {
    'sep-2322-ignore-unexpected-params': 'inputResponses without a relayed round are dropped (SHOULD)',
  },
};

/** The one scenario to run (`CONFORMANCE_SCENARIO`), or undefined for the whole suite. */
const ONLY = process.env.CONFORMANCE_SCENARIO || undefined;

const RANK: Status[] = ['INFO', 'SUCCESS', 'SKIPPED', 'WARNING', 'FAILURE'];

function readRun(dir: string): Run {
  const run: Run = new Map();
  for (const entry of fs.readdirSync(dir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry)?.[1];
    // A scenario not in the run's revision (run alone with CONFORMANCE_SCENARIO) writes no checks.
    const file = path.join(dir, entry, 'checks.json');
    if (!scenario || !fs.existsSync(file)) continue;
    const checks: Checks = new Map();
    for (const check of JSON.parse(fs.readFileSync(file, 'utf8')) as { id: string; status: Status }[]) {
      if (check.status === 'INFO') continue;
      const before = checks.get(check.id);
      if (!before || RANK.indexOf(check.status) > RANK.indexOf(before)) checks.set(check.id, check.status);
    }
    run.set(scenario, checks);
  }
  return run;
}

const failed = (checks: Checks | undefined) => [...(checks ?? [])].filter(([, status]) => status === 'FAILURE').map(([id]) => id);
const passed = (checks: Checks | undefined) => [...(checks ?? [])].filter(([, status]) => status === 'SUCCESS').map(([id]) => id);
const warned = (checks: Checks | undefined) => [...(checks ?? [])].filter(([, status]) => status === 'WARNING').length;
const summary = (checks: Checks | undefined) =>
  checks
    ? `${failed(checks).length ? '✗' : '✓'} ${passed(checks).length}/${passed(checks).length + failed(checks).length}${warned(checks) ? ` (${warned(checks)} warnings)` : ''}`
    : '—';

describe('the MCP conformance suite (server mode) through /mcp/{server}', () => {
  const eras = { default: [] as string[], '2026-07-28': ['--spec-version', '2026-07-28'] };
  const runs: Record<string, { direct: Run; gateway: Run }> = {};
  let gateway: TestGateway | undefined;
  let listener: http.Server | undefined;

  beforeAll(async () => {
    const repo = process.env.CONFORMANCE_DIR;
    if (!repo)
      throw new Error('Set CONFORMANCE_DIR to a clone (or bare git directory) of the conformance repository: see README "Development"');
    const ref = process.env.CONFORMANCE_REF || 'c321dd3';
    const version = (
      JSON.parse(execFileSync('git', ['-C', repo, 'show', `${ref}:package.json`], { encoding: 'utf8' })) as { version: string }
    ).version;

    // The everything-server: a copy, its own dependencies, on 127.0.0.1 and a free port.
    const serverDir = tempDir('mcp-gateway-conformance-server-');
    const archive = execFileSync('git', ['-C', repo, 'archive', ref, SERVER_DIR], { maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '--strip-components=3'], { cwd: serverDir, input: archive });
    const source = fs.readFileSync(path.join(serverDir, 'everything-server.ts'), 'utf8');
    if (!source.includes(LISTEN)) throw new Error(`everything-server.ts at ${ref} no longer ends with ${JSON.stringify(LISTEN)}`);
    fs.writeFileSync(path.join(serverDir, 'everything-server.ts'), source.replace(LISTEN, LISTEN_HERE));
    npm(serverDir, ['ci', '--no-audit', '--no-fund', '--prefer-offline']);
    const server = await startProcess(process.execPath, ['--import', 'tsx', 'everything-server.ts'], {
      cwd: serverDir,
      ready: /CONFORMANCE SERVER PORT (\d+)/,
    });
    const direct = `http://127.0.0.1:${server.match[1]}/mcp`;

    // The gateway, with that server as a streamable-http upstream, on 127.0.0.1 and a free port.
    gateway = await startTestGateway({
      approval: { default: 'allow' },
      mcpServers: {
        everything: { type: 'streamable-http', url: direct },
        'everything-2026': { type: 'streamable-http', url: direct, protocol: '2026-07-28' },
      },
    });
    await waitForServer(gateway.supervisor, 'everything', 'ready');
    await waitForServer(gateway.supervisor, 'everything-2026', 'ready');
    listener = http.createServer(gateway.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => listener!.once('listening', resolve));
    const through = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/mcp/everything`;
    const through2026 = `${through}-2026`;

    // The suite, on Node 22.
    const suite = path.join(
      npmInstall([`@modelcontextprotocol/conformance@${version}`]),
      'node_modules/@modelcontextprotocol/conformance/dist/index.js',
    );
    const node22 = nodeOfAtLeast(22);
    const output = tempDir('mcp-gateway-conformance-results-');
    for (const [era, args] of Object.entries(eras)) {
      runs[era] = { direct: new Map(), gateway: new Map() };
      for (const [side, url] of [
        ['direct', direct],
        ['gateway', through],
      ] as const) {
        const dir = path.join(output, `${era}-${side}`);
        await runSuite(url, [...(ONLY ? ['--scenario', ONLY] : ['--suite', 'all']), ...args], dir);
        runs[era]![side] = readRun(dir);
      }
      // The input_required scenarios and server-stateless again, one by one, through the 2026-07-28 upstream: theirs are those results.
      const dir = path.join(output, `${era}-gateway-2026`);
      for (const scenario of [...runs[era]!.direct.keys()].filter((name) => THROUGH_2026_UPSTREAM.test(name)))
        await runSuite(through2026, ['--scenario', scenario, ...args], dir);
      // (None of them with CONFORMANCE_SCENARIO naming another scenario.)
      if (fs.existsSync(dir)) for (const [scenario, checks] of readRun(dir)) runs[era]!.gateway.set(scenario, checks);
    }

    async function runSuite(url: string, args: string[], dir: string): Promise<void> {
      // The suite exits with 1 when a scenario fails: the checks it writes are what counts.
      await promisify(execFile)(node22, [suite, 'server', '--url', url, ...args, '-o', dir], { maxBuffer: 64 * 1024 * 1024 }).catch(
        (error: { code?: number }) => {
          if (error.code !== 1) throw error;
        },
      );
    }
  }, 1_200_000);

  afterAll(async () => {
    listener?.closeAllConnections();
    await new Promise((resolve) => (listener ? listener.close(resolve) : resolve(undefined)));
    await gateway?.close();
  });

  function scope(scenario: string, era: string): string {
    if (THROUGH_2026_UPSTREAM.test(scenario) && !PASSES_THROUGH_2026[era]!.test(scenario))
      return 'the server’s own input_required result is not passed through (the gateway answers it and asks its client itself)';
    if (EXTENSION.test(scenario)) return 'extension (tasks), not implemented by the server';
    return '';
  }

  it('runs the server scenarios in both eras, directly and through the gateway', () => {
    const rows = ['| scenario | era | direct | through the gateway | note |', '| --- | --- | --- | --- | --- |'];
    for (const [era, { direct, gateway: through }] of Object.entries(runs)) {
      if (!ONLY) expect(direct.size, era).toBeGreaterThan(0);
      for (const scenario of new Set([...direct.keys(), ...through.keys()])) {
        const lost = passed(direct.get(scenario)).filter((id) => through.get(scenario)?.get(id) !== 'SUCCESS');
        const note = scope(scenario, era) || lost.map((id) => `${id}: ${KNOWN[scenario]?.[id] ?? 'FAILS THROUGH THE GATEWAY'}`).join('; ');
        rows.push(`| ${scenario} | ${era} | ${summary(direct.get(scenario))} | ${summary(through.get(scenario))} | ${note} |`);
      }
    }
    console.log(rows.join('\n'));
    if (ONLY) return;
    expect(runs.default!.direct.has('dns-rebinding-protection')).toBe(true);
    expect(runs['2026-07-28']!.direct.has('tools-call-with-progress')).toBe(true);
  });

  it('passes through the gateway every check of issues 17 and 18 (resources, prompts, completions, sampling, elicitation) that passes directly', () => {
    const lostChecks: string[] = [];
    for (const [era, { direct, gateway: through }] of Object.entries(runs)) {
      for (const [scenario, checks] of direct) {
        if (scope(scenario, era)) continue;
        for (const id of passed(checks)) {
          if (through.get(scenario)?.get(id) !== 'SUCCESS' && !KNOWN[scenario]?.[id])
            lostChecks.push(`${era} ${scenario} ${id}: ${through.get(scenario)?.get(id) ?? 'not run'}`);
        }
      }
    }
    expect(lostChecks).toEqual([]);
  });
});
