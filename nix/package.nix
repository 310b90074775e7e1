# The gateway as a Nix package, built from this repository with buildNpmPackage.
# importNpmLock reads package-lock.json directly, so no npm dependency hash has to be kept by hand;
# ./npm-lock-sources.nix gives it the tarball of each entry, since npm writes the lockfile without
# `resolved` URLs. better-sqlite3 compiles from source here (the sandbox has no network for
# prebuilt binaries): node-gyp needs python3 and a C++ toolchain (stdenv's), and the headers of the
# very Node.js the wrapper runs (the config hook is built for `nodejs`).
{
  lib,
  buildNpmPackage,
  importNpmLock,
  callPackage,
  # nixpkgs' default Node.js (an LTS line: 22 or 24); `.override { nodejs = pkgs.nodejs_22; }` picks another.
  nodejs,
  python3,
  # Base URL of an npm registry to fetch the dependencies from (e.g. a company mirror). Default
  # null: npm's own default registry, asked through `npm pack` (see ./npm-lock-sources.nix).
  npmRegistry ? null,
}:

let
  root = ../.;
  packageJson = lib.importJSON (root + "/package.json");
  packageLock = lib.importJSON (root + "/package-lock.json");
  # Only what the build reads: a change to the tests or docs does not rebuild the package.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/package.json")
      (root + "/package-lock.json")
      (root + "/tsconfig.json")
      (root + "/tsconfig.build.json")
      (root + "/scripts/bundle.mjs")
      (root + "/server")
      (root + "/bench")
      (root + "/views")
      (root + "/static")
      (root + "/openapi")
    ];
  };
  lockSources = callPackage ./npm-lock-sources.nix {
    inherit nodejs packageLock;
    registry = npmRegistry;
  };
in
buildNpmPackage {
  pname = "mcp-gateway";
  inherit (packageJson) version;

  inherit src nodejs;

  npmDeps = importNpmLock {
    npmRoot = src;
    inherit packageLock;
    inherit (lockSources) packageSourceOverrides;
  };
  # The hook compiles native addons (better-sqlite3) against `nodejs`, the Node.js the wrapper runs.
  npmConfigHook = importNpmLock.npmConfigHook.override { inherit nodejs; };

  nativeBuildInputs = [ python3 ];

  # `npm run build` (tsc, then scripts/bundle.mjs: esbuild bundling the command and the demo server) needs the dev
  # dependencies; they are pruned from the output afterwards.
  npmBuildScript = "build";
  # Playwright must not try to download a browser during `npm ci`.
  env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = "1";

  passthru = { inherit lockSources; };

  meta = {
    description = "Runs MCP servers and serves their tools as REST with OpenAPI, with a web UI and human approval of tool calls";
    license = lib.licenses.mit;
    mainProgram = "mcp-gateway";
    # What the flake builds (flake.nix reads the same list).
    platforms = import ./systems.nix;
  };
}
