/**
 * Other projects' programs for the interop tests, fetched into temporary folders outside this
 * repository (nothing of theirs is committed): npm packages installed from the registry, a
 * Node.js 22 for tools that need it, and long-running processes of theirs that are stopped
 * (with their process group) after the test file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import { signalGroup } from '../../server/upstream/process-table.js';
import { tempDir } from '../helpers/temp.js';
import { waitUntil } from '../helpers/process.js';

/** Installs `packages` (npm specs) into a new temporary folder; returns the folder. */
export function npmInstall(packages: string[], env: NodeJS.ProcessEnv = {}): string {
  const dir = tempDir('mcp-gateway-interop-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'interop-tools', private: true }));
  npm(dir, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], env);
  return dir;
}

/** Runs npm in `dir` (e.g. `ci` in a copied project). */
export function npm(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  execFileSync('npm', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

/**
 * A Node.js of at least `major`: `CONFORMANCE_NODE` when set (a path to its `node`), this test's
 * own Node when it is recent enough, else the newest `node-linux-<arch>@<major>` package from the
 * npm registry (as scripts/test-node.sh takes it), unpacked into a temporary folder.
 */
export function nodeOfAtLeast(major: number): string {
  const given = process.env.CONFORMANCE_NODE;
  if (given) return given;
  if (Number(process.versions.node.split('.')[0]) >= major) return process.execPath;
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const dir = tempDir('mcp-gateway-node-');
  const tarball = execFileSync('npm', ['pack', '--silent', `node-linux-${arch}@${major}`], { cwd: dir, encoding: 'utf8' }).trim();
  execFileSync('tar', ['-xzf', tarball, '--strip-components=1'], { cwd: dir });
  return path.join(dir, 'bin', 'node');
}

export interface Started {
  child: ChildProcess;
  output(): string;
}

const started: ChildProcess[] = [];

afterAll(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    signalGroup(child.pid!, 'SIGTERM');
    await exited;
  }
});

/**
 * Starts `command args` in its own process group (stopped after the test file), with its own
 * TMPDIR, and resolves once its output (stdout and stderr) matches `ready`, with the match.
 */
export async function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<Started & { match: RegExpExecArray }> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    // Its own temporary folder (e.g. tsx's cache), removed with the test file's.
    env: { ...process.env, TMPDIR: tempDir('mcp-gateway-interop-tmp-'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const match = await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`${command} ${args.join(' ')} exited (${child.exitCode}): ${output}`);
      return options.ready.exec(output);
    },
    options.timeoutMs ?? 60_000,
    `${path.basename(command)} ${args.join(' ')} to print ${options.ready}`,
  );
  return { child, output: () => output, match };
}

/** A Python with the MCP Python SDK: `python` (in a virtual environment) and the `PYTHONPATH` holding the SDK. */
export interface PythonMcp {
  python: string;
  pythonPath: string;
}

/**
 * The MCP Python SDK's `mcp` package at `ref` of `sdkDir` (a clone, or bare git directory, of
 * github.com/modelcontextprotocol/python-sdk) in `dir/site`, with the metadata `version("mcp")`
 * reads (as `version`), and its dependencies, as its pyproject.toml states them, from pip (its
 * configured index or wheelhouse) into a virtual environment in `dir/venv`.
 */
export function pythonWithMcp(sdkDir: string, ref: string, version: string, dir: string): PythonMcp {
  const site = path.join(dir, 'site');
  fs.mkdirSync(path.join(site, `mcp-${version}.dist-info`), { recursive: true });
  execFileSync('tar', ['-x', '--strip-components=1'], {
    cwd: site,
    input: execFileSync('git', ['-C', sdkDir, 'archive', ref, 'src/mcp'], { maxBuffer: 64 * 1024 * 1024 }),
  });
  fs.writeFileSync(path.join(site, `mcp-${version}.dist-info/METADATA`), `Metadata-Version: 2.1\nName: mcp\nVersion: ${version}\n`);
  fs.writeFileSync(
    path.join(site, 'pyproject.toml'),
    execFileSync('git', ['-C', sdkDir, 'show', `${ref}:pyproject.toml`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }),
  );
  const dependencies = JSON.parse(
    execFileSync(
      'python3',
      [
        '-c',
        'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))',
        path.join(site, 'pyproject.toml'),
      ],
      { encoding: 'utf8' },
    ),
  ) as string[];
  return { python: pythonWith(dependencies, dir), pythonPath: site };
}

/**
 * A virtual environment in `dir/venv` with `requirements` (pip specs) installed from pip's
 * configured index or wheelhouse; returns its `python`.
 */
export function pythonWith(requirements: string[], dir: string): string {
  execFileSync('python3', ['-m', 'venv', path.join(dir, 'venv')]);
  const python = path.join(dir, 'venv/bin/python');
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // An index that cannot be reached is not retried for minutes: the configured wheelhouse answers.
    env: { ...process.env, PIP_RETRIES: '0' },
  });
  return python;
}
