// docs/ARCHITECTURE.md stays true to the tree: every file it names exists.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const page = fs.readFileSync(path.join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

describe('docs/ARCHITECTURE.md', () => {
  it('names only files and folders that exist', () => {
    const named = [...page.matchAll(/`((?:server|static|views|test|openapi)\/[\w./-]+)`/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(40);
    const missing = named.filter((file) => !fs.existsSync(path.join(ROOT, file)));
    expect(missing).toEqual([]);
  });

  it('names every module folder of server/', () => {
    const folders = fs
      .readdirSync(path.join(ROOT, 'server'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `server/${entry.name}/`);
    expect(folders.filter((folder) => !page.includes(`\`${folder}\``))).toEqual([]);
  });
});
