// The Nix side, as far as it can be checked without nixpkgs: every .nix file parses
// (nix-instantiate from Debian's nix-bin, which .ci/run installs), the README's NixOS section is
// exactly the files the evaluation (nix/tests/eval.nix: `nix flake check`, `npm run check:nix`,
// test/interop/nix.interop.ts) reads and expects, the config file that evaluation expects the
// module to write is one the gateway accepts, and the lockfile entries and the fetcher that
// nix/npm-lock-sources.nix turns them into work on the real registry.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { ConfigError } from '../server/config/types.js';
import { tempDir } from './helpers/temp.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

function nixFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return nixFiles(file);
    return entry.name.endsWith('.nix') ? [file] : [];
  });
}

/** The fenced code blocks of the README's "NixOS" section, in order. */
function nixosSectionBlocks(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('\n## NixOS\n');
  expect(start, 'the README has a "NixOS" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```(?:nix|json)\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('the Nix files', () => {
  it('all parse', () => {
    const files = ['flake.nix', ...nixFiles('nix')];
    expect(files).toEqual(expect.arrayContaining(['flake.nix', 'nix/package.nix', 'nix/module.nix', 'nix/home.nix', 'nix/tests/eval.nix']));
    for (const file of files) {
      const parsed = spawnSync('nix-instantiate', ['--parse', path.join(ROOT, file)], { encoding: 'utf8' });
      expect(parsed.error, 'nix-instantiate is installed (Debian: apt-get install nix-bin)').toBeUndefined();
      expect({ file, status: parsed.status, stderr: parsed.stderr }).toEqual({ file, status: 0, stderr: '' });
    }
  });

  it('are what the README shows: the flake wiring, the server and laptop configurations, and the config they produce', () => {
    const blocks = nixosSectionBlocks();
    expect(blocks).toEqual([
      read('nix/tests/example-flake.nix'),
      read('nix/tests/example-server.nix'),
      read('nix/tests/example-laptop.nix'),
      read('nix/tests/example-server.json'),
    ]);
    // The evaluation reads those very files, and the ExecStart it expects is the README's.
    const evaluation = read('nix/tests/eval.nix');
    for (const file of ['./example-server.nix', './example-laptop.nix', './example-server.json']) expect(evaluation).toContain(file);
    const args = '"--config" "/etc/mcp-gateway/config.json" "--host" "127.0.0.1" "--port" "8085" "--state-dir" "/var/lib/mcp-gateway"';
    expect(evaluation).toContain(`${args} ]} --api-key-file %d/api-key`);
    expect(read('README.md').replace(/\s+/g, ' ')).toContain(`${args} --api-key-file %d/api-key`);
  });

  it('produce a config file the gateway accepts, with the secret left for run time', () => {
    const file = path.join(ROOT, 'nix/tests/example-server.json');
    const config = parseConfigText(read('nix/tests/example-server.json'), file, { GITHUB_TOKEN: 'from-the-environment-file' });
    expect(config.servers.map((server) => server.name).sort()).toEqual(['github', 'memory']);
    expect(config.gateway.allowedHosts).toEqual(['homeserver.tail1234.ts.net']);
    expect(config.approval.rules.map((rule) => rule.action)).toEqual(['allow', 'deny']);
    // Without the environment file, the gateway names the missing variable.
    let problem: unknown;
    try {
      parseConfigText(read('nix/tests/example-server.json'), file, {});
    } catch (error) {
      problem = error;
    }
    expect(problem).toBeInstanceOf(ConfigError);
    expect((problem as ConfigError).lines().join('\n')).toContain('GITHUB_TOKEN');
  });
});

interface LockEntry {
  version?: string;
  integrity?: string;
  resolved?: string;
  name?: string;
  link?: boolean;
  inBundle?: boolean;
}

describe('the npm dependencies, as the Nix package fetches them', () => {
  const lock = JSON.parse(read('package-lock.json')) as { lockfileVersion: number; packages: Record<string, LockEntry> };

  it('are lockfile entries with the version and integrity nix/npm-lock-sources.nix needs', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    const entries = Object.entries(lock.packages).filter(([key]) => key !== '');
    expect(entries.length).toBeGreaterThan(300);
    const lacking = entries.filter(
      ([, entry]) =>
        !entry.link && !entry.inBundle && !entry.resolved && !(entry.version && /^sha(1|256|512)-/.test(entry.integrity ?? '')),
    );
    expect(lacking.map(([key]) => key)).toEqual([]);
    // The package name npm-lock-sources.nix derives from each path (or an alias's own `name`).
    for (const [key, entry] of entries) {
      const name = entry.name ?? key.split('node_modules/').at(-1)!;
      expect(name, key).toMatch(/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i);
    }
  });

  it('come from nix/npm-pack.sh byte for byte as the lockfile records them', () => {
    const key = 'node_modules/@asteasolutions/zod-to-openapi';
    const entry = lock.packages[key]!;
    const out = path.join(tempDir(), 'package.tgz');
    // As the fixed-output derivation runs it: read by the build's shell, with spec and out set.
    const run = spawnSync('sh', ['-c', `. ${JSON.stringify(path.join(ROOT, 'nix/npm-pack.sh'))}`], {
      encoding: 'utf8',
      // Its own TMPDIR: on Node 22 and later npm leaves a compile cache there.
      env: { ...process.env, TMPDIR: tempDir(), spec: `@asteasolutions/zod-to-openapi@${entry.version}`, out },
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [algorithm, expected] = entry.integrity!.split(/-(.*)/s);
    expect(createHash(algorithm!).update(fs.readFileSync(out)).digest('base64')).toBe(expected);
  });
});
