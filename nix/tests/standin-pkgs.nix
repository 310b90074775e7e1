# A stand-in for nixpkgs' package set, for evaluating this repository's Nix files where the full
# nixpkgs cannot be had (it is 4 GB), only some of its files: `nixpkgs` is a nixpkgs checkout, full
# or sparse, that has at least lib/ and pkgs/build-support/node/{import-npm-lock,build-npm-package}/.
#
# What comes from that checkout is nixpkgs' real code: lib (callPackage, makeOverridable,
# extendMkDerivation, fileset, meta.availableOn, …), importNpmLock and buildNpmPackage. What is
# stood in here is the rest: stdenv.mkDerivation, fetchurl, runCommand, makeSetupHook and the
# packages the modules name (nodejs, python3, tailscale, chromium, …). The stand-ins keep the parts
# of nixpkgs' behaviour the evaluation depends on:
#   - derivations are real `derivation`s, so forcing a drvPath instantiates everything it depends
#     on (with `--readonly-mode`, nothing is written to the store);
#   - a derivation whose meta.platforms excludes the host, or with meta.knownVulnerabilities (as
#     nixpkgs marks nodejs_20 since 2026-04), refuses to evaluate, as nixpkgs' check-meta does;
#   - fetchurl needs an http(s) URL and an SRI hash, as nixpkgs' does.
# Nothing here builds anything: a builder would only fail (`/bin/sh -c false`).
{
  nixpkgs,
  lib ? import (nixpkgs + "/lib"),
  system ? "x86_64-linux",
}:

let
  hostPlatform = lib.systems.elaborate system;

  # What nixpkgs' check-meta refuses: a host outside meta.platforms, a known vulnerability.
  checkMeta =
    name: meta:
    if meta.knownVulnerabilities or [ ] != [ ] then
      throw "Package ‘${name}’ in the stand-in nixpkgs is marked as insecure, refusing to evaluate: ${lib.concatStringsSep "; " meta.knownVulnerabilities}"
    else if !lib.meta.availableOn hostPlatform { inherit meta; } then
      throw "Package ‘${name}’ is not available on the requested hostPlatform ${system} (meta.platforms: ${builtins.toJSON (meta.platforms or [ ])})"
    else
      true;

  # Only JSON-able values reach the derivation (structured attrs); functions and the attributes
  # nixpkgs keeps out of derivations stay on the result only.
  derivationAttrs = lib.filterAttrs (
    name: value: !(lib.isFunction value) && !(lib.elem name [ "meta" "passthru" "override" "overrideDerivation" "overrideAttrs" ])
  );

  mkDerivation =
    fpargs:
    let
      attrs = lib.fix (final: if lib.isFunction fpargs then fpargs final else fpargs);
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      meta = {
        platforms = lib.platforms.all;
      }
      // attrs.meta or { };
      env = attrs.env or { };
      drv = derivation (
        derivationAttrs (removeAttrs attrs [ "env" ])
        // env
        // {
          inherit name system;
          builder = "/bin/sh";
          args = [
            "-c"
            "false"
          ];
          __structuredAttrs = true;
        }
      );
      valid = checkMeta name meta;
    in
    attrs
    // attrs.passthru or { }
    // {
      type = "derivation";
      inherit name meta;
      drvPath = assert valid; drv.drvPath;
      outPath = assert valid; drv.outPath;
      overrideAttrs = f: mkDerivation (final: let previous = attrs; in previous // (if lib.isFunction (f previous) then f final previous else f previous));
    };

  # A package that is only named (never built): its name, version and meta.
  package =
    pname: version: extra:
    mkDerivation ({ inherit pname version; } // extra);

  nodejsOf =
    major: version: extra:
    package "nodejs" version (
      {
        passthru = {
          python = pkgs.python3;
          inherit major;
        };
        meta = {
          mainProgram = "node";
          platforms = lib.platforms.linux ++ lib.platforms.darwin;
        }
        // extra;
      }
    );

  pkgs = {
    inherit lib system;
    path = nixpkgs;
    stdenv = {
      inherit hostPlatform mkDerivation;
      buildPlatform = hostPlatform;
      targetPlatform = hostPlatform;
      isLinux = hostPlatform.isLinux;
      isDarwin = hostPlatform.isDarwin;
    };
    stdenvNoCC = pkgs.stdenv;
    buildPackages = pkgs;

    callPackage = lib.callPackageWith pkgs;
    callPackages = lib.callPackagesWith pkgs;

    fetchurl =
      {
        url,
        hash,
        name ? baseNameOf url,
        ...
      }@args:
      assert lib.assertMsg (builtins.match "https?://.+" url != null) "fetchurl: `url` must be http(s), got ${url}";
      assert lib.assertMsg (builtins.match "(sha1|sha256|sha512)-[A-Za-z0-9+/]+=*" hash != null) "fetchurl: `hash` must be an SRI hash, got ${hash}";
      mkDerivation {
        inherit name url;
        outputHash = hash;
        outputHashMode = "flat";
        passthru = { inherit args; };
      };
    fetchNpmDeps = args: throw "fetchNpmDeps (npmDepsHash) is not what this package uses: it gives npmDeps from importNpmLock";

    runCommand =
      name: env: buildCommand:
      mkDerivation (env // { inherit name buildCommand; });
    writeText = name: text: pkgs.runCommand name { inherit text; } "";
    writeTextFile = { name, text, ... }@args: pkgs.runCommand name (removeAttrs args [ "name" ]) "";
    writeTextDir = path: text: pkgs.writeTextFile { name = baseNameOf path; inherit text; };
    writeShellScript = name: text: pkgs.writeText name text;
    writeShellScriptBin = name: text: pkgs.writeText name text // { meta.mainProgram = name; };
    runCommandLocal = pkgs.runCommand;
    symlinkJoin = { name, paths, ... }: pkgs.runCommand name { inherit paths; } "";
    buildEnv = { name, paths, ... }: pkgs.runCommand name { inherit paths; } "";
    linkFarm = name: entries: pkgs.runCommand name { entries = builtins.toJSON entries; } "";
    makeSetupHook =
      {
        name,
        substitutions ? { },
        ...
      }:
      script:
      mkDerivation {
        inherit name script;
        substitutions = builtins.toJSON substitutions;
        passthru = { inherit substitutions; };
      };
    srcOnly = drv: package "${drv.pname or drv.name}-source" (drv.version or "") { };

    npmHooks = lib.makeOverridable (
      { nodejs }:
      lib.genAttrs [ "npmConfigHook" "npmBuildHook" "npmInstallHook" ] (
        hook:
        pkgs.makeSetupHook {
          name = hook;
          substitutions = { inherit nodejs; };
        } (builtins.toFile "${hook}.sh" "")
      )
    ) { inherit (pkgs) nodejs; };

    # The real build helpers, from the checkout.
    importNpmLock = pkgs.callPackage (nixpkgs + "/pkgs/build-support/node/import-npm-lock") { };
    buildNpmPackage = pkgs.callPackage (nixpkgs + "/pkgs/build-support/node/build-npm-package") { };

    # Node.js as nixpkgs has it in late 2026: 22 and 24 are the LTS lines, 24 the default, 20 past
    # its end of life and marked insecure (NixOS/nixpkgs#511784).
    nodejs_20 = nodejsOf 20 "20.20.2" {
      knownVulnerabilities = [ "Node.js 20 reached its end of life on 2026-04-30" ];
    };
    nodejs_22 = nodejsOf 22 "22.23.3" { };
    nodejs_24 = nodejsOf 24 "24.22.3" { };
    nodejs = pkgs.nodejs_24;

    python3 = package "python3" "3.13.9" { meta.mainProgram = "python3"; };
    cacert = package "nss-cacert" "3.117" { };
    cctools = package "cctools" "1010.6" { meta.platforms = lib.platforms.darwin; };
    coreutils = package "coreutils" "9.8" { meta.mainProgram = "coreutils"; };
    tailscale = package "tailscale" "1.90.6" { meta.mainProgram = "tailscale"; };
    chromium = package "chromium" "142.0" { meta.mainProgram = "chromium"; };
    typescript = package "typescript" "5.9.3" { };
    typescript-language-server = package "typescript-language-server" "5.1.0" { };

    makeDesktopItem =
      {
        name,
        desktopName,
        exec,
        categories ? [ ],
        ...
      }@args:
      pkgs.runCommand "${name}.desktop" { entry = builtins.toJSON args; } "" // { inherit args; };

    mkShell =
      {
        packages ? [ ],
        shellHook ? "",
        ...
      }:
      pkgs.runCommand "nix-shell" { inherit packages shellHook; } "";

    # nixpkgs' formats, each with the JSON value type (home-manager's modules declare options with
    # several of them).
    formats = lib.genAttrs [ "json" "yaml" "yaml_1_1" "yaml_1_2" "toml" "ini" "iniWithGlobalSection" "keyValue" "xml" "javaProperties" "gitIni" ] (
      _:
      { ... }:
      {
        # nixpkgs' JSON value type.
        type =
          let
            valueType =
              lib.types.nullOr (
                lib.types.oneOf [
                  lib.types.bool
                  lib.types.int
                  lib.types.float
                  lib.types.str
                  lib.types.path
                  (lib.types.attrsOf valueType)
                  (lib.types.listOf valueType)
                ]
              )
              // {
                description = "JSON value";
              };
          in
          valueType;
        generate = name: value: pkgs.runCommand name { text = builtins.toJSON value; } "" // { inherit value; };
      }
    );
  }
  # Packages home-manager's core modules name (in option defaults and unconditional settings).
  // lib.genAttrs [
    "glibcLocales"
  ] (name: package name "0" { meta.mainProgram = name; });
in
pkgs
