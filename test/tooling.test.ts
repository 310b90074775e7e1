/**
 * The checks `npm test` runs before the suite (package.json's `pretest`): the type check reports
 * unused code, ESLint reports promises nobody handles, and prettier's settings keep the house style.
 * Each is tried on a small probe, through the project's own configuration files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import config from '../vitest.config.js';
import { tempDir } from './helpers/temp.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('pretest', () => {
  it('runs the build, the type check, ESLint and the format check, in that order', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const steps = pkg.scripts.pretest!.split('&&').map((step) => step.trim());
    expect(steps).toEqual([
      'npm run build --silent',
      'npm run typecheck --silent',
      'npm run lint --silent',
      'npm run format:check --silent',
    ]);
    expect(pkg.scripts.lint).toBe('eslint .');
    expect(pkg.scripts['format:check']).toBe('prettier --check .');
  });
});

describe('the test run', () => {
  it("keeps each worker's modules from one test file to the next, in three workers (vitest.config.ts)", () => {
    // Importing the gateway's modules anew for every file was about a quarter of the run's CPU.
    expect(config.test).toMatchObject({ isolate: false, maxWorkers: 3 });
  });
});

describe('the type check', () => {
  it('reports an unused local and an unused parameter, not a `_` one', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    const probe = path.join(tempDir(), 'probe.ts');
    fs.writeFileSync(
      probe,
      [
        'export function used(kept: number, dropped: string, _ignored: boolean): number {',
        '  const unused = kept + 1;',
        '  return kept;',
        '}',
        '',
      ].join('\n'),
    );
    const program = ts.createProgram([probe], { ...config!.options, rootDir: path.dirname(probe), types: [], noEmit: true });
    const found = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(found.sort()).toEqual([
      "'dropped' is declared but its value is never read.",
      "'unused' is declared but its value is never read.",
    ]);
  });
});

describe('ESLint', () => {
  it('reports a floating promise and an async listener, and accepts an awaited, voided or caught one', async () => {
    // The probe is not on disk, so TypeScript's default project types it (with the project's rules).
    const eslint = new ESLint({
      cwd: ROOT,
      overrideConfig: {
        languageOptions: { parserOptions: { project: null, projectService: { allowDefaultProject: ['test/lint-probe.ts'] } } },
      },
    });
    const code = [
      "import { EventEmitter } from 'node:events';",
      '',
      'async function work(): Promise<void> {}',
      '',
      'export async function probe(events: EventEmitter): Promise<void> {',
      '  work();',
      "  events.on('tick', async () => {",
      '    await work();',
      '  });',
      '  await work();',
      '  // Fire-and-forget on purpose: work() logs its own failures.',
      '  void work();',
      '  work().catch(() => undefined);',
      '}',
      '',
    ].join('\n');
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, 'test', 'lint-probe.ts') });
    const found = result!.messages.map((message) => `${message.line}: ${message.ruleId}`);
    expect(found).toEqual(['6: @typescript-eslint/no-floating-promises', '7: @typescript-eslint/no-misused-promises']);
    // Type-aware linting builds a TypeScript program: seconds on a quiet machine, over 30 s under a load of 17.
  }, 120_000);
});

describe('prettier', () => {
  it('keeps code written in the house style as it is', async () => {
    const file = path.join(ROOT, 'server', 'probe.ts');
    const options = await prettier.resolveConfig(file, { editorconfig: true });
    expect(options).toMatchObject({ singleQuote: true, trailingComma: 'all', printWidth: 140, semi: true });
    const code = [
      "import { describe } from './describe.js';",
      '',
      '/** Says what a setting holds. */',
      'export function settingText(name: string, value: unknown, defaults: Record<string, unknown> = {}): string {',
      "  const shown = typeof value === 'string' ? value : JSON.stringify(value ?? defaults[name] ?? null);",
      '  return describe(`${name} = ${shown}`, {',
      "    kind: 'setting',",
      '    items: [name, shown],',
      '  });',
      '}',
      '',
    ].join('\n');
    expect(await prettier.check(code, { ...options, filepath: file })).toBe(true);
  });
});
