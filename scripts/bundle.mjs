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
//
// `@sindresorhus/transliterate` (operationIds and Open WebUI method names in ASCII) gets no locale
// tables: as it loads it builds, for each of its ~10 locales, a copy of its ~2,000 replacements and
// a regular expression of them all (about 10 ms of CPU), and the gateway never passes a locale.
//
// iconv-lite's encodings (0.55 MB of code and tables that body-parser and raw-body bring) are not in
// the chunks start-up reads: they are a file of their own, dist/server/chunks/iconv-lite-encodings.cjs,
// which iconv-lite requires at its first use (it already loads them lazily: the first request with a
// body, whose charset it looks up); its multi-byte tables (Chinese, Japanese, Korean), which it loads
// only for such a charset, stay JSON files in node_modules. Compiling them at every start cost about
// 10 ms of CPU.
//
// ajv (with ajv-formats, 0.3 MB of CommonJS that runs as it loads) is a file of its own too,
// dist/server/chunks/ajv.cjs: its importers (our argument and default checks, the MCP SDK's output
// schema validator) get stand-ins with the same exports that load it at their first use, which
// comes with the first schema to check (the SDK's client makes its validator then, see
// upstream/connection.ts). Loading it at start cost about 10 ms of CPU.
//
// So are express' body parsers (`express.json()` and the like: body-parser, raw-body, iconv-lite,
// and qs, which express itself takes for its "extended" query parser), 0.1 MB: express takes them as
// it loads, the gateway never calls them (it reads bodies itself: http/json-body.ts), and the MCP
// SDK's own HTTP servers (only in the lazily loaded MCP endpoint) use them. Loading them at start
// cost about 8 ms of CPU.
//
// Express' MIME table is built on first use: `mime-types` builds its maps of about 2,000 types from
// `mime-db` when it loads (about 8 ms of CPU), and express, send, accepts and type-is load it with
// themselves but call it only while answering. It is a file of its own (with mime-db, 0.23 MB) like
// ajv, loaded by the stand-in they get at the first call.
//
// prom-client's process CPU metric takes `@opentelemetry/api` (60 kB that runs as it loads) for
// its exemplars, which the gateway does not turn on: a file of its own too.
import fs from 'node:fs';
import path from 'node:path';
import module from 'node:module';
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

/** Resolves transliterate's `./locale-replacements.js` to no locales (see above); without a locale it uses its own table only. */
const transliterateWithoutLocales = {
  name: 'transliterate-without-locales',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\/locale-replacements\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]@sindresorhus[\\/]transliterate[\\/]/.test(importer)
        ? { path: '@sindresorhus/transliterate/locale-replacements.js', namespace: 'transliterate-without-locales' }
        : undefined,
    );
    bundle.onLoad({ filter: /./, namespace: 'transliterate-without-locales' }, () => ({ contents: 'export default {};' }));
  },
};

/**
 * Modules that start-up need not run, each loaded from a file of its own at its first use: the
 * specifiers its importers name, by file (one file, so that they share one copy of what they share:
 * ajv-formats extends the very ajv it is given).
 */
const LAZY_MODULES = {
  ajv: ['ajv', 'ajv/dist/2020.js', 'ajv-formats'],
  'body-parser': ['body-parser', 'qs'],
  'mime-types': ['mime-types'],
  'opentelemetry-api': ['@opentelemetry/api'],
};

/**
 * The lazily loaded files of their own (see above): dist/server/chunks/<name>.cjs, required at run
 * time: iconv-lite's encodings, and one per file of LAZY_MODULES (its entry made by `lazyModules`).
 */
const SIDE_BUNDLES = {
  'iconv-lite-encodings': 'node_modules/iconv-lite/encodings/index.js',
  ...Object.fromEntries(Object.keys(LAZY_MODULES).map((file) => [file, `side-bundle:${file}`])),
};

/**
 * A stand-in for the CommonJS module `specifier`, with the same exports, that requires the file
 * `file` (see LAZY_MODULES) at the first use of one of them: called (as a function or a class) or
 * read. What the module exports is read here, at build time, since an importer lists the exports
 * as it loads: its functions are forwarded (express takes body-parser's as it loads), the rest
 * (classes, objects) read at first use. A module that is a function (a class) gives one that calls
 * or constructs it (what it makes is an instance of the module's class, and `instanceof` the
 * stand-in says so), not a subclass.
 */
function standIn(specifier, file) {
  const real = module.createRequire(path.resolve('package.json'))(specifier);
  const intrinsic = new Set(['length', 'name', 'prototype', 'arguments', 'caller']);
  const keys = Object.getOwnPropertyNames(real).filter((key) => !intrinsic.has(key) && key !== '__esModule');
  const enumerable = keys.filter((key) => Object.getOwnPropertyDescriptor(real, key).enumerable);
  // Functions (not classes: their names are capitalized) are forwarded, so that an importer may take them as it loads.
  const forwarded = keys.filter((key) => typeof Object.getOwnPropertyDescriptor(real, key).value === 'function' && /^[a-z_$]/.test(key));
  return `let real;
const load = () => (real ??= require(${JSON.stringify(`./${file}.cjs`)})[${JSON.stringify(specifier)}]);
const standIn = ${
    typeof real === 'function'
      ? 'function (...args) { return new.target ? Reflect.construct(load(), args) : load().apply(this, args); }'
      : '{}'
  };
${typeof real === 'function' ? 'Object.defineProperty(standIn, Symbol.hasInstance, { value: (value) => value instanceof load() });\n' : ''}${'__esModule' in real ? "Object.defineProperty(standIn, '__esModule', { value: true });\n" : ''}for (const key of ${JSON.stringify(keys)}) {
  const enumerable = ${JSON.stringify(enumerable)}.includes(key);
  if (${JSON.stringify(forwarded)}.includes(key)) {
    const forward = function (...args) { return new.target ? Reflect.construct(load()[key], args) : load()[key].apply(this, args); };
    Object.defineProperty(standIn, key, { value: forward, enumerable, writable: true, configurable: true });
  } else {
    Object.defineProperty(standIn, key, { get: () => load()[key], enumerable });
  }
}
module.exports = standIn;`;
}

/**
 * Gives the importers of LAZY_MODULES their stand-ins (see above), but for those of the file `own`
 * being built, which gets its modules themselves.
 */
const lazyModules = (own) => ({
  name: 'lazy-modules',
  setup(bundle) {
    const fileOf = new Map(Object.entries(LAZY_MODULES).flatMap(([file, specifiers]) => specifiers.map((specifier) => [specifier, file])));
    bundle.onResolve({ filter: /^side-bundle:/ }, ({ path: entry }) => ({
      path: entry.slice('side-bundle:'.length),
      namespace: 'side-bundle',
    }));
    bundle.onLoad({ filter: /./, namespace: 'side-bundle' }, ({ path: file }) => ({
      contents: `module.exports = { ${LAZY_MODULES[file].map((specifier) => `${JSON.stringify(specifier)}: require(${JSON.stringify(specifier)})`).join(', ')} };`,
      loader: 'js',
      resolveDir: process.cwd(),
    }));
    bundle.onResolve({ filter: /./ }, ({ path: specifier, namespace }) =>
      fileOf.has(specifier) && fileOf.get(specifier) !== own && namespace !== 'side-bundle'
        ? { path: specifier, namespace: 'lazy-module' }
        : undefined,
    );
    bundle.onLoad({ filter: /./, namespace: 'lazy-module' }, ({ path: specifier }) => ({
      contents: standIn(specifier, fileOf.get(specifier)),
      loader: 'js',
      resolveDir: process.cwd(),
    }));
    // The stand-ins' require() of the file: at run time, from the chunk's folder.
    bundle.onResolve({ filter: /^\.\/[\w-]+\.cjs$/ }, ({ path: request, namespace }) =>
      namespace === 'lazy-module' ? { path: request, external: true } : undefined,
    );
  },
});

/** Leaves iconv-lite's `require("../encodings")` to load its file of its own at run time (see above). */
const iconvEncodingsApart = {
  name: 'iconv-encodings-apart',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\.\/encodings$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]iconv-lite[\\/]lib[\\/]/.test(importer) ? { path: './iconv-lite-encodings.cjs', external: true } : undefined,
    );
  },
};

/** In a file of its own: iconv-lite's multi-byte tables stay JSON in node_modules, loaded (by Node) for such a charset only. */
const iconvTablesFromPackage = {
  name: 'iconv-tables-from-package',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\/tables\/.+\.json$/ }, ({ path: request, importer }) =>
      /[\\/]node_modules[\\/]iconv-lite[\\/]encodings[\\/]/.test(importer)
        ? { path: `iconv-lite/encodings/${request.slice(2)}`, external: true }
        : undefined,
    );
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
  plugins: [zodEnglishOnly, transliterateWithoutLocales, iconvEncodingsApart],
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
  build({
    ...common,
    entryPoints: ['server/main.ts'],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [...common.plugins, lazyModules()],
  }),
  build({ ...common, entryPoints: ['server/demo/demo-server.ts'] }),
  // The chunks require them (`require` of the chunk's own folder), so they are written beside them, as CommonJS.
  ...Object.entries(SIDE_BUNDLES).map(([name, entry]) =>
    build({
      entryPoints: { [name]: entry },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: true,
      logLevel: 'warning',
      plugins: [iconvEncodingsApart, iconvTablesFromPackage, lazyModules(name)],
      outdir: 'dist/server/chunks',
      outExtension: { '.js': '.cjs' },
    }),
  ),
]);
