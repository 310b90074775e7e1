// ESLint (flat config) for server/, test/ and bench/: typescript-eslint's recommended rules, plus
// its type-aware promise rules — a promise nobody awaits or catches is a potential unhandled
// rejection (the gateway logs those and carries on, a test run fails on them). `npm run lint`;
// `pretest` runs it after the type check. Formatting is prettier's (.prettierrc.json), not ESLint's.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', 'static/', 'test/fixtures/'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    // One program for tsconfig.json's files (all that is linted); here it costs ~20% less CPU than
    // `projectService`.
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise must be awaited, returned, caught, or marked fire-and-forget with `void` (and a
      // comment saying why that is right).
      '@typescript-eslint/no-floating-promises': 'error',
      // No async callback where a void one is expected (an event listener, forEach): its rejection
      // would go unhandled.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // tsc's noUnusedLocals and noUnusedParameters report these (with `_` for a deliberate unused
      // parameter); once is enough.
      '@typescript-eslint/no-unused-vars': 'off',
      // kill(0) reaches the caller's own process group (in CI: the whole run) and kill(-1) every
      // process: a pid read from an empty pipe is Number('') = 0. Signals go through
      // server/upstream/process-table.ts, which refuses pids 0 and 1.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'kill',
          message: 'Use signalProcess/signalGroup (server/upstream/process-table.ts): they never signal pid 0 or 1.',
        },
      ],
    },
  },
  {
    files: ['server/upstream/process-table.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests assert on parsed JSON bodies as they come; `any` is fine there.
    files: ['test/**/*.ts', 'server/**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
