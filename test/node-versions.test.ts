// The supported Node.js lines agree everywhere: package.json's `engines` admits the Node running
// the tests and each line CI tests (.ci/run, with scripts/test-node.sh), the README's Quick start
// names them, and whatever the tests start as `node` from PATH runs on the same Node as they do
// (so a run on Node 24 does not quietly start the machine's Node 20 for some of its servers).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

const ENGINES = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
/** The Quick start's first paragraph: the sentence on Node.js versions. */
const QUICK_START_NODE = read('README.md').split('## Quick start\n\n')[1]!.split('\n\n')[0]!.replace(/\s+/g, ' ');
/** The majors `.ci/run` runs the suite on besides the machine's Node. */
const CI_MAJORS = (/for major in ([\d ]+); do\s+(?:setsid --wait )?bash scripts\/test-node\.sh "\$major"/.exec(read('.ci/run'))?.[1] ?? '')
  .split(' ')
  .filter(Boolean);
const RUNNING_MAJOR = String(semver.major(process.version));

describe('supported Node.js versions', () => {
  it('CI runs the whole suite on Node 22 and 24 too', () => {
    expect(CI_MAJORS).toEqual(expect.arrayContaining(['22', '24']));
  });

  it("package.json's engines admits the Node running the tests and every line CI tests", () => {
    expect(semver.satisfies(process.version, ENGINES), `${process.version} in engines.node "${ENGINES}"`).toBe(true);
    for (const major of CI_MAJORS) expect(semver.intersects(ENGINES, `^${major}.0.0`), `Node ${major} in "${ENGINES}"`).toBe(true);
  });

  it("the README's Quick start names the Node running the tests and every line CI tests", () => {
    expect(QUICK_START_NODE).toMatch(/^Node\.js /);
    for (const major of new Set([RUNNING_MAJOR, ...CI_MAJORS])) expect(QUICK_START_NODE).toMatch(new RegExp(`\\b${major}\\b`));
  });

  it('`node` on PATH is the Node running the tests, which is what they start by name', () => {
    const found = spawnSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' });
    expect(found.status, found.stderr).toBe(0);
    expect(fs.realpathSync(found.stdout.trim()), 'put the Node under test first on PATH').toBe(fs.realpathSync(process.execPath));
  });
});
