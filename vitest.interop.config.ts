import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:interop`: tests against another project's code fetched by hand (see README "Development").
// The same settings as `npm test`, for other files: `npm test` never runs these. Hooks get 2 min
// (`npm test`'s 30 s): the temp folders removed after a file hold whole `npm ci` installs
// (the conformance everything-server's), which take longer than that on a busy machine.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/interop/**/*.interop.ts'], hookTimeout: 120_000 } });
