// The second half of `npm run build` (after tsc): bundles the `mcp-gateway` command and the demo
// server with esbuild, so that start-up loads a few files instead of about 760 modules (README,
// "Performance"). better-sqlite3, a native addon, stays outside.
//
// The command is split into chunks (dist/server/chunks/) along its dynamic imports: what start-up
// needs is in main.js and the chunks it imports; the MCP endpoint with the 2.x SDK (about 0.8 MB,
// loaded on the first /mcp request), the management document's generator, QR codes and
// pino-pretty are chunks that start-up never reads, so it compiles about 27% less code. The demo
// server is bundled on its own, as one file: it shares nothing with the command at run time.
//
// zod keeps only its English messages (its default): `zod` re-exports all of its ~50 locales as
// `z.locales`, which no part of the gateway or of the SDKs configures; their 0.34 MB were
// compiled at every start (about 15 ms of CPU).
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** Resolves zod's `../locales/index.js` to a module with `en` alone (see above). */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/]/.test(importer)
        ? {
            path: 'zod/v4/locales/en-only.js',
            namespace: 'zod-english-only',
            pluginData: path.join(path.dirname(importer), '..', 'locales'),
          }
        : undefined,
    );
    bundle.onLoad({ filter: /./, namespace: 'zod-english-only' }, ({ pluginData }) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: pluginData,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  external: ['better-sqlite3'],
  sourcemap: true,
  allowOverwrite: true,
  logLevel: 'warning',
  plugins: [zodEnglishOnly],
  outbase: 'server',
  outdir: 'dist/server',
  // Bundled CommonJS modules call require(); ESM has none of its own.
  banner: {
    js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
  },
};

// Chunk names carry a content hash: the chunks of an earlier build would stay behind.
fs.rmSync('dist/server/chunks', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: ['server/main.ts'], splitting: true, chunkNames: 'chunks/[name]-[hash]' }),
  build({ ...common, entryPoints: ['server/demo/demo-server.ts'] }),
]);
