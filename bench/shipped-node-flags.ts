/**
 * The Node.js options a build of the `mcp-gateway` command is shipped with: the ones on its
 * `#!/usr/bin/env -S node …` line (server/main.ts; package.json's `start` and the Nix wrapper give
 * the same). The benches start a gateway with them, as it is really started, so that a build is
 * measured as shipped and an older build (`BENCH_COMPARE`) with its own line.
 */
import fs from 'node:fs';

/** The options after `node` on the first line of `main` (a built `dist/server/main.js`); none when it has none. */
export function shippedNodeFlags(main: string): string[] {
  const fd = fs.openSync(main, 'r');
  try {
    const head = Buffer.alloc(256);
    const length = fs.readSync(fd, head, 0, head.length, 0);
    const firstLine = head.subarray(0, length).toString('utf8').split('\n', 1)[0]!;
    const match = /^#!\/usr\/bin\/env(?: -S)? node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(firstLine);
    return match ? match[1]!.split(' ').filter(Boolean) : [];
  } finally {
    fs.closeSync(fd);
  }
}
