import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:interop`: tests against another project's code fetched by hand (see README "Development").
// The same settings as `npm test`, for other files: `npm test` never runs these.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/interop/**/*.interop.ts'] } });
