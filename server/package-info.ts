/** Where the gateway is installed, and its version, found from this file's location. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate) && JSON.parse(fs.readFileSync(candidate, 'utf8')).name === 'mcp-gateway') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the mcp-gateway package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The package folder (holds package.json, dist/, views/, static/). */
export const PACKAGE_ROOT = findRoot();

export const VERSION: string = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/** The built-in demo MCP server, compiled by `npm run build`. */
export const DEMO_SERVER_SCRIPT = path.join(PACKAGE_ROOT, 'dist', 'server', 'demo', 'demo-server.js');
