/**
 * `${…}` references in server entries:
 *
 * - `${NAME}` is the environment variable NAME (letters, digits and `_`, not starting with a digit);
 * - `${file:PATH}` is the content of PATH with surrounding whitespace trimmed; a relative PATH is
 *   resolved against `baseDir` (the config file's directory);
 * - `$${` is a literal `${`, so `$${NAME}` stays `${NAME}`.
 *
 * Problems never quote the expanded text or the file content: only names, paths and error codes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface ExpandContext {
  env: NodeJS.ProcessEnv;
  baseDir: string;
}

export interface Expansion {
  value: string;
  /** Empty when every reference resolved. */
  problems: string[];
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function expandReferences(raw: string, ctx: ExpandContext): Expansion {
  const problems: string[] = [];
  let value = '';
  let i = 0;
  while (i < raw.length) {
    if (raw.startsWith('$${', i)) {
      value += '${';
      i += 3;
      continue;
    }
    if (!raw.startsWith('${', i)) {
      value += raw[i];
      i += 1;
      continue;
    }
    const end = raw.indexOf('}', i + 2);
    if (end < 0) {
      problems.push(`unterminated "\${" at character ${i + 1} (write "$\${" for a literal "\${")`);
      break;
    }
    const reference = raw.slice(i + 2, end);
    const resolved = resolveReference(reference, i + 1, ctx);
    if (resolved.ok) value += resolved.value;
    else problems.push(resolved.problem);
    i = end + 1;
  }
  return { value, problems };
}

type Resolved = { ok: true; value: string } | { ok: false; problem: string };

function resolveReference(reference: string, character: number, ctx: ExpandContext): Resolved {
  if (reference.startsWith('file:')) {
    const written = reference.slice('file:'.length);
    if (written === '') return { ok: false, problem: `empty path in "\${file:}" at character ${character}` };
    const file = path.resolve(ctx.baseDir, written);
    try {
      return { ok: true, value: readFileSync(file, 'utf8').trim() };
    } catch (err) {
      return { ok: false, problem: `cannot read secret file ${file} (${errorCode(err)})` };
    }
  }
  if (!VARIABLE_NAME.test(reference)) {
    return {
      ok: false,
      problem:
        `invalid reference at character ${character}: expected \${NAME} (letters, digits and "_") or \${file:PATH}` +
        ` (write "$\${" for a literal "\${")`,
    };
  }
  const value = ctx.env[reference];
  if (value === undefined) return { ok: false, problem: `environment variable ${reference} is not set` };
  return { ok: true, value };
}

export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return 'unknown error';
}
