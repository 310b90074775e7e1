# The gateway as a Nix package, built from this repository with buildNpmPackage.
# importNpmLock reads package-lock.json directly, so no npm dependency hash has to be kept by hand.
# better-sqlite3 compiles from source here (the sandbox has no network for prebuilt binaries):
# node-gyp needs python3 and a C++ toolchain (stdenv's).
{
  lib,
  stdenv,
  buildNpmPackage,
  importNpmLock,
  nodejs_20,
  python3,
  cctools ? null,
}:

let
  root = ../.;
  packageJson = lib.importJSON (root + "/package.json");
  # Only what the build reads: a change to the tests or docs does not rebuild the package.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/package.json")
      (root + "/package-lock.json")
      (root + "/tsconfig.json")
      (root + "/tsconfig.build.json")
      (root + "/server")
      (root + "/bench")
      (root + "/views")
      (root + "/static")
      (root + "/openapi")
    ];
  };
in
buildNpmPackage {
  pname = "mcp-gateway";
  inherit (packageJson) version;

  inherit src;

  npmDeps = importNpmLock { npmRoot = src; };
  npmConfigHook = importNpmLock.npmConfigHook;
  nodejs = nodejs_20;

  nativeBuildInputs = [ python3 ] ++ lib.optionals stdenv.hostPlatform.isDarwin [ cctools ];

  # `npm run build` (tsc) needs the dev dependencies; they are pruned from the output afterwards.
  npmBuildScript = "build";
  # Playwright must not try to download a browser during `npm ci`.
  env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = "1";

  meta = {
    description = "Runs MCP servers and serves their tools as REST with OpenAPI, with a web UI and human approval of tool calls";
    license = lib.licenses.mit;
    mainProgram = "mcp-gateway";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
}
