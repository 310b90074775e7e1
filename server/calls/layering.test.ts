// calls/ is the call pipeline of every surface (the mcpo routes, the management API, the UI, and
// surfaces to come): it returns outcomes, results and domain errors, and imports nothing of HTTP.
// Each surface (server/http/, server/ui/) decides its status codes and bodies.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CALLS = import.meta.dirname;
const SERVER = path.dirname(CALLS);

/** Every module specifier a TypeScript file imports or re-exports (static and dynamic). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

function filesUnder(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(folder, name));
}

describe('server/calls', () => {
  it('imports nothing from server/http/, nor node:http', () => {
    const files = filesUnder(CALLS);
    expect(files.length).toBeGreaterThan(5);
    const offending: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(fs.readFileSync(file, 'utf8'))) {
        const target = specifier.startsWith('.') ? path.resolve(path.dirname(file), specifier) : specifier;
        const inHttp = path.isAbsolute(target) && path.relative(path.join(SERVER, 'http'), target).split(path.sep)[0] !== '..';
        if (inHttp || /^(node:)?https?$/.test(target) || target === 'express')
          offending.push(`${path.relative(SERVER, file)} imports ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
