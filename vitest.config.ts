import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'server/**/*.test.ts'],
    // One temporary folder per run, which must be empty at the end (nothing left behind).
    globalSetup: ['test/setup/temp-root.ts'],
    setupFiles: ['test/setup/cleanup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // `expect.poll` waits on a condition (a page that updates, an activity row): 5 s rather than
    // vitest's 1 s, which a loaded CI machine overran (a browser test's note came later than that).
    expect: { poll: { timeout: 5_000 } },
    // Integration tests spawn real MCP servers and browsers, and wait on them much of the time
    // (server-everything's tasks take a second a stage, watches and timeouts take what they take):
    // on the 2-core machines we run on, three workers finished wait-heavy and browser-heavy halves
    // of the suite 21% and 28% sooner than two, with the same CPU time.
    maxWorkers: 3,
    // A worker keeps its modules from one test file to the next (default: a fresh module graph per
    // file). Importing the gateway's modules anew for each of ~75 files was about a quarter of the
    // run's CPU. So a test file leaves nothing behind that the next one could see: it closes what it
    // starts, restores what it changes (process.env, fake timers, mocks), and keeps state in
    // the test, not in modules. The setup files still run for every file.
    isolate: false,
  },
});
