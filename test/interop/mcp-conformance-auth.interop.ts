// The official MCP conformance suite in CLIENT mode (`npm run test:interop`, not part of `npm test`):
// its auth/* scenarios with the BUILT gateway as the OAuth client under test. The suite starts each
// scenario's MCP server and authorization server and runs test/interop/conformance-oauth-client.mjs
// with the server's URL; that wrapper starts the gateway on it, completes the sign-in where a person
// would (the suite's authorization server approves at once and redirects to the gateway's callback),
// and calls the server's tools through REST. The table (scenario | result | checks | note) is printed,
// for README's "Conformance"; every scenario the suite requires for tier 1 (its auth list) must pass,
// and so must the back-compat, extension and draft ones (all pass since issue 19's protocol extras).
//
// Needs the build (`npm run test:interop` builds), npm, and:
//   CONFORMANCE_DIR   a clone (or bare git directory) of github.com/modelcontextprotocol/conformance;
//   CONFORMANCE_REF   the commit to read (default c321dd3, v0.2.0-alpha.11): the suite is the npm
//                     package @modelcontextprotocol/conformance of the version that commit names;
//   CONFORMANCE_NODE  a Node.js 22 or later for the suite (default: this Node if it is one, else the
//                     `node-linux-<arch>@22` package from the npm registry).
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gateway.js';
import { nodeOfAtLeast, npmInstall } from './fetched-tools.js';

const WRAPPER = path.resolve(import.meta.dirname, 'conformance-oauth-client.mjs');

/** The suite's auth scenarios required for tier 1 (src/scenarios/client/auth/index.ts, `authScenariosList`). */
const REQUIRED = [
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
];
/**
 * Back-compat, extension and draft scenarios (the draft ones' servers speak only 2026-07-28: the
 * wrapper configures `protocol: "2026-07-28"` for them). Not required by the suite, but every one
 * passes now, and must go on passing.
 */
const OPTIONAL: Record<string, string> = {
  'auth/2025-03-26-oauth-metadata-backcompat': 'back-compat',
  'auth/2025-03-26-oauth-endpoint-fallback': 'back-compat',
  'auth/client-credentials-basic': 'extension',
  'auth/client-credentials-jwt': 'extension (private_key_jwt: `auth.clientKeyFile`)',
  'auth/resource-mismatch': 'draft',
  'auth/offline-access-scope': 'draft',
  'auth/offline-access-not-supported': 'draft',
  'auth/authorization-server-migration': 'draft (SEP-2352: registered anew with the new authorization server)',
  'auth/iss-supported': 'draft (RFC 9207)',
  'auth/iss-not-advertised': 'draft (RFC 9207)',
  'auth/iss-supported-missing': 'draft (RFC 9207)',
  'auth/iss-wrong-issuer': 'draft (RFC 9207)',
  'auth/iss-unexpected': 'draft (RFC 9207)',
  'auth/iss-normalized': 'draft (RFC 9207)',
  'auth/metadata-issuer-mismatch': 'draft (SEP-2468: the metadata names the issuer its URL was made from)',
};

interface Outcome {
  passed: boolean;
  checks: string;
}

describe('the MCP conformance suite (client mode, auth/*) with the gateway as the OAuth client', () => {
  const outcomes = new Map<string, Outcome>();

  beforeAll(async () => {
    const repo = process.env.CONFORMANCE_DIR;
    if (!repo)
      throw new Error('Set CONFORMANCE_DIR to a clone (or bare git directory) of the conformance repository: see README "Development"');
    const ref = process.env.CONFORMANCE_REF || 'c321dd3';
    const { version } = JSON.parse(execFileSync('git', ['-C', repo, 'show', `${ref}:package.json`], { encoding: 'utf8' })) as {
      version: string;
    };
    const suite = path.join(
      npmInstall([`@modelcontextprotocol/conformance@${version}`]),
      'node_modules/@modelcontextprotocol/conformance/dist/index.js',
    );
    const node22 = nodeOfAtLeast(22);
    const output = tempDir('mcp-gateway-conformance-auth-');
    for (const scenario of [...REQUIRED, ...Object.keys(OPTIONAL)]) {
      const dir = path.join(output, scenario.replace('/', '-'));
      const run = await promisify(execFile)(
        node22,
        [suite, 'client', '--command', `${process.execPath} ${WRAPPER}`, '--scenario', scenario, '-o', dir],
        // The wrapper's folders (and anything of a client the suite had to end) stay inside this test's own.
        { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TMPDIR: output } },
      ).then(
        (result) => ({ code: 0, output: `${result.stdout}${result.stderr}` }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code ?? 1,
          output: `${error.stdout}${error.stderr}`,
        }),
      );
      const text = run.output.replace(/\x1b\[[0-9;]*m/g, '');
      outcomes.set(scenario, { passed: run.code === 0, checks: /Passed: (\d+\/\d+)/.exec(text)?.[1] ?? '—' });
    }
  }, 1_200_000);

  it('passes every scenario the suite requires, and the others it reports', () => {
    const rows = ['| scenario | result | checks | note |', '| --- | --- | --- | --- |'];
    for (const [scenario, outcome] of outcomes) {
      rows.push(`| ${scenario} | ${outcome.passed ? 'pass' : 'FAIL'} | ${outcome.checks} | ${OPTIONAL[scenario] ?? 'required'} |`);
    }
    console.log(rows.join('\n'));
    expect(REQUIRED.filter((scenario) => !outcomes.get(scenario)?.passed)).toEqual([]);
    expect(Object.keys(OPTIONAL).filter((scenario) => !outcomes.get(scenario)?.passed)).toEqual([]);
  });
});
