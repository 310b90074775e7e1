// What start-up loads (issue 16: ready with the demo server in < 600 ms). Needs `npm run build`
// first (npm test does it via pretest): it reads the built files in dist/.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/temp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = (file: string) => path.join(root, 'dist', 'server', file);

/**
 * The files (ES modules, and CommonJS ones that ES modules import) that `node ...args` loads, as
 * paths from the package root; seen by a module loader hook in the child process.
 */
async function filesLoadedBy(args: string[]): Promise<string[]> {
  const list = path.join(tempDir(), 'loaded.txt');
  const hook = `import fs from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) fs.appendFileSync(process.env.LOADED_LIST, url + '\\n');
  return next(url, context);
}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  // stdin is empty, so the demo server ends at once.
  const child = execFile(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, ...args], {
    env: { ...process.env, LOADED_LIST: list },
  });
  child.stdin?.end();
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  return fs
    .readFileSync(list, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((url) => path.relative(root, fileURLToPath(url)));
}

describe('start-up', () => {
  it('the mcp-gateway command and the demo server are each one bundled file: nothing of ours or of a package is loaded beside them but better-sqlite3', async () => {
    const command = await filesLoadedBy([built('main.js'), '--version']);
    expect(command[0]).toBe(path.join('dist', 'server', 'main.js'));
    expect(command.slice(1).filter((file) => !file.startsWith(path.join('node_modules', 'better-sqlite3') + path.sep))).toEqual([]);
    expect(await filesLoadedBy([built('demo/demo-server.js')])).toEqual([path.join('dist', 'server', 'demo', 'demo-server.js')]);
  });

  it('building the HTTP app loads no management-document generator, QR code or pretty-log library (they load on first use)', async () => {
    const script = [built('http/app.js'), built('logging/logger.js')]
      .map((file) => `await import(${JSON.stringify(pathToFileURL(file).href)});`)
      .join('\n');
    const loaded = await filesLoadedBy(['--input-type=module', '-e', script]);
    // The check sees the modules of the app: express and our own modules are in the list.
    expect(loaded).toContain(path.join('dist', 'server', 'http', 'api', 'documents.js'));
    expect(loaded.some((file) => file.includes(`${path.sep}express${path.sep}`))).toBe(true);
    const lazy = loaded.filter((file) =>
      [
        path.join('dist', 'server', 'openapi', 'management.js'),
        path.join('node_modules', '@asteasolutions', 'zod-to-openapi') + path.sep,
        path.join('node_modules', 'qrcode') + path.sep,
        path.join('node_modules', 'pino-pretty') + path.sep,
      ].some((part) => file.includes(part)),
    );
    expect(lazy).toEqual([]);
  });
});
