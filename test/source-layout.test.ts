// Where things are declared in the source, as README's "Development" section and the modules'
// own comments say: the fields the gateway keeps on a request are declared in one module, and
// the MCP SDK is imported by the upstream connections (its client) and the demo server only.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../server/package-info.js';

/** Every TypeScript file under server/ that is not a test, as a path relative to the package, with its text. */
function serverSources(): { file: string; text: string }[] {
  const root = path.join(PACKAGE_ROOT, 'server');
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => ({
      file: path.posix.join('server', file.split(path.sep).join('/')),
      text: fs.readFileSync(path.join(root, file), 'utf8'),
    }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

describe('the source layout', () => {
  it("declares the request's fields in one module, server/http/request-context.ts", () => {
    const declaring = serverSources()
      .filter(({ text }) => /declare module ['"](?:node:)?http['"]/.test(text))
      .map(({ file }) => file);
    expect(declaring).toEqual(['server/http/request-context.ts']);
  });

  it("imports the MCP SDK's client in server/upstream/ only, and its server side in server/demo/ only", () => {
    const importers = (side: RegExp) =>
      serverSources()
        .filter(({ text }) => side.test(text))
        .map(({ file }) => file.split('/').slice(0, 2).join('/'));
    const sdk = /from '@modelcontextprotocol\/sdk\//;
    expect(new Set(importers(sdk))).toEqual(new Set(['server/upstream', 'server/demo']));
    expect(new Set(importers(/from '@modelcontextprotocol\/sdk\/server\//))).toEqual(new Set(['server/demo']));
    expect(importers(/from '@modelcontextprotocol\/sdk\/client\//).every((folder) => folder === 'server/upstream')).toBe(true);
  });

  it("imports the 2.x SDK's serving side (the gateway's own MCP endpoint) in server/mcp/ only, and its client in server/upstream/ only (the 2026-07-28 client)", () => {
    const importers = (side: RegExp) =>
      serverSources()
        .filter(({ file }) => !file.endsWith('.test.ts'))
        .filter(({ text }) => side.test(text))
        .map(({ file }) => file.split('/').slice(0, 2).join('/'));
    expect(new Set(importers(/from '@modelcontextprotocol\/(?:server|node)['/]/))).toEqual(new Set(['server/mcp']));
    expect(
      serverSources()
        .filter(({ file, text }) => !file.endsWith('.test.ts') && /from '@modelcontextprotocol\/client['/]/.test(text))
        .map(({ file }) => file),
    ).toEqual(['server/upstream/modern-client.ts']);
  });
});

describe('every route is declared', () => {
  it('registers routes on Express only through server/http/route.ts (defineRoute, pages.get/post), so each has its declared scope', () => {
    // A route registration with a literal path (`x.get('/…'`) or a path constant (`x.post(LOGIN_PATH`), not through `pages`.
    const registration = /\b(?!pages\b)\w+\s*\.\s*(?:get|post|put|patch|delete|all|head|options|route)\(\s*(?:['"`]\/|[A-Z_]+_PATH\b)/;
    const offenders = serverSources()
      .filter(({ text }) => registration.test(text))
      .map(({ file }) => file);
    expect(offenders).toEqual([]);
    // Only route.ts registers by method (`router[method](…)`); only the static files are mounted under a path (and declared).
    expect(
      serverSources()
        .filter(({ text }) => /\w\[(?:route\.)?method\]\(/.test(text))
        .map(({ file }) => file),
    ).toEqual(['server/http/route.ts']);
    expect(
      serverSources()
        .filter(({ text }) => /\.use\(\s*['"`]\//.test(text))
        .map(({ file }) => file),
    ).toEqual(['server/http/api/documents.ts']);
  });
});
