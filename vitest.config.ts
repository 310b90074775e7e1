import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'server/**/*.test.ts'],
    // One temporary folder per run, which must be empty at the end (nothing left behind).
    globalSetup: ['test/setup/temp-root.ts'],
    setupFiles: ['test/setup/cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests spawn real MCP servers; two workers match the 2-core machines we run on.
    maxWorkers: 2,
  },
});
