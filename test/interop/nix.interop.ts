// The Nix files evaluated with nixpkgs' and home-manager's own code (`npm run test:interop`, not part
// of `npm test`): nix/tests/run.sh over nix/tests/eval.nix.
//
// Needs a Nix of 2.18 or later (nixpkgs' lib refuses older ones) as `nix-instantiate` and `nix` on
// PATH, and:
//   NIXPKGS       a nixpkgs checkout, full or sparse (lib/, pkgs/build-support/node/
//                 {import-npm-lock,build-npm-package}/, nixos/lib/utils.nix);
//   HOME_MANAGER  a home-manager checkout.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: see the top of test/interop/nix.interop.ts`);
  return path.resolve(value);
}

function instantiate(expression: string) {
  return spawnSync('nix-instantiate', ['--eval', '--read-write-mode', '--strict', '--json', '-E', expression], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('the Nix files, with nixpkgs and home-manager', () => {
  const nixpkgs = required('NIXPKGS');
  const homeManager = required('HOME_MANAGER');

  it('evaluate with every expectation of nix/tests/eval.nix holding, and say which copies they used', () => {
    const run = spawnSync('bash', [path.join(ROOT, 'nix/tests/run.sh')], {
      encoding: 'utf8',
      env: { ...process.env, NIXPKGS: nixpkgs, HOME_MANAGER: homeManager },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.stderr).toContain('all expectations hold');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.problems).toEqual([]);
    expect(result.sources.homeManager).toBe(homeManager);
    expect(result.sources.nixpkgs).toBe(nixpkgs);
    // All 359-odd lockfile entries got a source, and the derivation instantiated.
    expect(result.results.package.sourcesGiven).toBeGreaterThan(300);
    expect(result.results.package.drvPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-mcp-gateway-[\d.]+\.drv$/);
  });

  it('pass `nix flake check --no-build --offline` with the nixpkgs input replaced by that checkout', () => {
    const run = spawnSync('bash', [path.join(ROOT, 'nix/tests/flake-check.sh')], {
      encoding: 'utf8',
      env: { ...process.env, NIXPKGS: nixpkgs },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.stderr).toContain('checking derivation checks.x86_64-linux.evaluation');
    expect(run.stderr).toContain('checking derivation packages.aarch64-linux.default');
    expect(run.stderr).toContain('nix flake check --no-build: passed');
    expect(run.status).toBe(0);
  });

  it("build a lockfile entry's tarball with Nix, from npm's registry, checked against its integrity", () => {
    // nix/npm-lock-sources.nix's fixed-output derivation for one entry, built for real by Nix with
    // the machine's own node and npm in place of nixpkgs' (stdenvNoCC here runs the build command
    // with /bin/sh); then the same with a wrong integrity, which Nix must refuse.
    const entryKey = 'node_modules/@asteasolutions/zod-to-openapi';
    const build = (integrity: string | null) => {
      const expression = `
        let
          lib = import ${nixpkgs}/lib;
          lock = lib.importJSON ${ROOT}/package-lock.json;
          entry = lock.packages."${entryKey}";
          hostStdenv.hostPlatform = lib.systems.elaborate builtins.currentSystem;
          hostStdenv.mkDerivation = attrs: derivation {
            inherit (attrs) name spec outputHash outputHashMode impureEnvVars;
            system = builtins.currentSystem;
            builder = "/bin/sh";
            args = [ "-c" ("PATH=${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin; " + attrs.buildCommand) ];
          };
          sources = import ${ROOT}/nix/npm-lock-sources.nix {
            inherit lib;
            fetchurl = throw "not this way";
            stdenvNoCC = hostStdenv;
            nodejs = "host";
            cacert = "/etc/ssl";
            packageLock.packages."${entryKey}" = entry // lib.optionalAttrs ${integrity === null ? 'false' : 'true'} { integrity = "${integrity ?? ''}"; };
          };
        in sources.packageSourceOverrides."${entryKey}"`;
      // A tarball already in the store would not be fetched again: take it out first.
      const drv = spawnSync('nix-instantiate', ['-E', expression], { encoding: 'utf8' });
      const output = spawnSync('nix-store', ['--query', '--outputs', drv.stdout.trim()], { encoding: 'utf8' }).stdout.trim();
      spawnSync('nix-store', ['--delete', output], { encoding: 'utf8' });
      expect(spawnSync('nix-store', ['--check-validity', output]).status).not.toBe(0);
      return spawnSync(
        'nix-build',
        [
          '--no-out-link',
          '--option',
          'build-hook',
          '',
          '--option',
          'build-users-group',
          '',
          '--option',
          'sandbox',
          'false',
          '--option',
          'substituters',
          '',
          '-E',
          expression,
        ],
        { encoding: 'utf8', timeout: 180_000 },
      );
    };
    const good = build(null);
    expect(good.stderr).not.toContain('error:');
    expect(good.status).toBe(0);
    expect(good.stdout.trim()).toMatch(/^\/nix\/store\/[a-z0-9]{32}-asteasolutions-zod-to-openapi-[\d.]+\.tgz$/);

    const wrong = build(`sha512-${Buffer.alloc(64, 1).toString('base64')}`);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('hash mismatch');
  });

  it("use an importNpmLock that fails on this lockfile as npm writes it, as nixpkgs' does", () => {
    // What nix/package.nix did before: importNpmLock on the lockfile alone. The faithful copy must
    // refuse it, or the evaluation above proves nothing.
    const bare = instantiate(
      `let pkgs = import ${ROOT}/nix/tests/standin-pkgs.nix { nixpkgs = ${nixpkgs}; }; ` +
        `in (pkgs.importNpmLock { npmRoot = ${ROOT}; }).drvPath`,
    );
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain("attribute 'resolved' missing");
  });

  it('refuse an insecure Node.js, as nixpkgs does with nodejs_20', () => {
    const old = instantiate(
      `let pkgs = import ${ROOT}/nix/tests/standin-pkgs.nix { nixpkgs = ${nixpkgs}; }; ` +
        `in (pkgs.callPackage ${ROOT}/nix/package.nix { nodejs = pkgs.nodejs_20; }).drvPath`,
    );
    expect(old.status).not.toBe(0);
    expect(old.stderr).toContain('marked as insecure');
  });
});
