/**
 * Vitest global setup: the whole run gets one temporary folder of its own (`TMPDIR` for every
 * test file, and through it for every gateway, MCP server and browser the tests start). At the
 * end of the run it must be empty: whatever a test left behind fails the run, by name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's temporary folder (see test/setup/temp-root.ts). */
    tmpRoot: string;
  }
}

export default function setup(project: TestProject): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-run-'));
  process.env.TMPDIR = root;
  project.provide('tmpRoot', root);
  return () => {
    const left = fs.readdirSync(root);
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    if (left.length > 0) {
      // Vitest only logs an error thrown here; the exit code must say it too.
      process.exitCode = 1;
      throw new Error(
        `the tests left ${left.length} entries in their temporary folder: ${left.slice(0, 20).join(', ')}${left.length > 20 ? ', …' : ''}`,
      );
    }
  };
}
