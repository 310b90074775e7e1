# Evaluates this repository's Nix files and checks what they produce:
#   - the package (nix/package.nix) instantiated with nixpkgs' own buildNpmPackage and importNpmLock
#     from this very lockfile (which has no `resolved` URLs), on nixpkgs' default Node.js, with the
#     npm config hook built for the same Node.js;
#   - the NixOS module (nix/module.nix) with the README's server example and with settings that
#     must fail an assertion, using nixpkgs' own `utils` (escapeSystemdExecArgs);
#   - the home-manager module (nix/home.nix) with the README's laptop example, inside the real
#     home-manager module set when `homeManager` (a home-manager checkout) is given.
#
# `nixpkgs` is a nixpkgs checkout (full, or sparse with lib/, pkgs/build-support/node/ and
# nixos/lib/utils.nix). `pkgs` is that nixpkgs' package set in the flake's checks; elsewhere
# (nix/tests/run.sh) the stand-ins of ./standin-pkgs.nix, built on the checkout's real code. The
# options NixOS itself declares (systemd, environment, networking, assertions, agenix's
# age.secrets) are declared here loosely: nixos/modules is not evaluated.
#
# Returns { problems = [ … ]; results = { … }; sources = { … }; }: `problems` lists every
# expectation that does not hold (empty when all is well), `results` what was evaluated, and
# `sources` which copies of nixpkgs and home-manager were used.
{
  nixpkgs,
  pkgs ? import ./standin-pkgs.nix { inherit nixpkgs; },
  lib ? pkgs.lib,
  homeManager ? null,
  # The flake's dev shell, when evaluated from the flake.
  devShell ? null,
}:

let
  inherit (lib) mkOption types;
  loose = default: mkOption { type = types.anything; inherit default; };

  # ---- The package ---------------------------------------------------------------------------

  package = pkgs.callPackage ../package.nix { };
  lock = lib.importJSON ../../package-lock.json;
  lockEntries = lib.filterAttrs (path: _: path != "") lock.packages;
  # The lockfile importNpmLock hands to `npm ci`: every entry now resolved to a store path.
  lockAsBuilt = builtins.fromJSON (builtins.unsafeDiscardStringContext package.npmDeps.packageLock);
  unresolved = lib.attrNames (
    lib.filterAttrs (
      path: entry: path != "" && !(lib.hasPrefix "file:${builtins.storeDir}/" (entry.resolved or ""))
    ) lockAsBuilt.packages
  );
  lockSources = package.lockSources.packageSourceOverrides;
  # Entries left without a source: only optional packages built for another platform.
  skipped = lib.filterAttrs (path: _: !(lockSources ? ${path})) lockEntries;
  skippedWrongly = lib.attrNames (
    lib.filterAttrs (_: entry: !(entry.optional or entry.devOptional or false) || !(entry ? os || entry ? cpu || entry ? libc)) skipped
  );
  # With a registry mirror: importNpmLock's own fetchurl, from the registry's tarball URL.
  fromMirror = (pkgs.callPackage ../package.nix { npmRegistry = "https://npm.mirror.invalid/"; })
    .lockSources.packageSourceOverrides;
  scopedEntry = "node_modules/@asteasolutions/zod-to-openapi";
  # Built for another Node.js, the package takes the config hook built for that one.
  onNode22 = pkgs.callPackage ../package.nix { nodejs = pkgs.nodejs_22; };
  hookFor = nodejs: (pkgs.importNpmLock.npmConfigHook.override { inherit nodejs; }).drvPath;

  # ---- The NixOS module -----------------------------------------------------------------------

  # What NixOS and agenix would declare.
  nixosStubs =
    { config, ... }:
    {
      options = {
        assertions = loose [ ];
        warnings = loose [ ];
        networking.hostName = mkOption { type = types.str; default = "nixos"; };
        networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
        environment.etc = mkOption { type = types.attrsOf types.anything; default = { }; };
        environment.systemPackages = mkOption { type = types.listOf types.anything; default = [ ]; };
        systemd.services = mkOption { type = types.attrsOf types.anything; default = { }; };
        services.tailscale.enable = mkOption { type = types.bool; default = false; };
        services.tailscale.package = mkOption { type = types.package; default = pkgs.tailscale; };
        age.secrets = mkOption {
          type = types.attrsOf (
            types.submodule (
              { name, ... }:
              {
                options.file = mkOption { type = types.path; };
                options.path = mkOption { type = types.str; default = "/run/agenix/${name}"; };
              }
            )
          );
          default = { };
        };
      };
      # NixOS's own `utils` module argument.
      config._module.args.utils = import (nixpkgs + "/nixos/lib/utils.nix") { inherit lib config pkgs; };
    };
  homeStubs = {
    options = {
      assertions = loose [ ];
      warnings = loose [ ];
      home = loose { };
      xdg.desktopEntries = mkOption { type = types.attrsOf types.anything; default = { }; };
    };
  };

  evalWith =
    stubs: module: configuration:
    (lib.evalModules {
      modules = [
        stubs
        module
        configuration
        { _module.args.pkgs = pkgs; }
      ];
    }).config;
  nixos = evalWith nixosStubs ../module.nix;
  failedAssertions = config: map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);

  server = nixos ./example-server.nix;
  gatewayUnit = server.systemd.services.mcp-gateway;
  serveUnit = server.systemd.services.mcp-gateway-tailscale-serve;
  enabled = settings: nixos { services.ai.mcpGateway = { enable = true; } // settings; };
  withServer = extra: nixos {
    imports = [ ./example-server.nix ];
    config = extra;
  };

  client = enabled { role = "client"; };
  # The README's client machine: the app window for a gateway elsewhere.
  clientExample = enabled {
    role = "client";
    serverHost = "homeserver";
    pwa = { enable = true; tailnetDomain = "tail1234.ts.net"; };
  };
  pwaWithoutDomain = enabled { pwa.enable = true; };
  pwaWithoutServe = enabled { pwa = { enable = true; tailnetDomain = "tail1234.ts.net"; }; };
  serveWithoutTailscale = enabled { tailscaleServe.enable = true; };
  publicWithoutKey = enabled { host = "0.0.0.0"; };
  absoluteStateDir = enabled { stateDir = "/var/lib/mcp-gateway"; };
  upwardStateDir = enabled { stateDir = "../mcp-gateway"; };
  # Specifiers and variables in a value must reach the gateway as written.
  oddStateDir = enabled { stateDir = "gw%h$USER"; };
  lowPort = enabled { port = 80; };
  moreHosts = withServer { services.ai.mcpGateway.settings.allowedHosts = [ "gateway.lan" ]; };
  withGroups = withServer { services.ai.mcpGateway.groups.reading = { tools = [ "memory/read_*" ]; description = "read only"; }; };
  groupNamedLikeServer = withServer { services.ai.mcpGateway.groups.memory.tools = [ "memory/*" ]; };
  withClientFeatures = withServer {
    services.ai.mcpGateway.servers.memory = { roots = [ "/srv/notes" { uri = "file:///srv/photos"; name = "photos"; } ]; logLevel = "warning"; };
    services.ai.mcpGateway.sampling = { url = "http://127.0.0.1:11434/v1"; model = "llama3.2"; apiKeyFile = "/run/agenix/llm-key"; servers = [ "memory" ]; };
  };
  samplingForUnknownServer = withServer {
    services.ai.mcpGateway.sampling = { url = "http://127.0.0.1:11434/v1"; model = "m"; servers = [ "ghost" ]; };
  };
  ownTailscale = withServer { services.tailscale.package = pkgs.coreutils; };

  # ---- The home-manager module ----------------------------------------------------------------

  laptopConfiguration = {
    imports = [
      ../home.nix
      ./example-laptop.nix
    ];
    # home-manager imports nixpkgs anew from pkgs.path; this package set is used instead (the
    # stand-ins have no nixpkgs entry point to import).
    _module.args.pkgs = lib.mkForce pkgs;
  };
  # The modules of programs/ that home-manager's core modules set options of.
  homeManagerCoreNeeds = map (file: homeManager + "/modules/${file}") [
    "programs/fish.nix"
    "programs/man/default.nix"
  ];
  # With home-manager's real module set (its own assertions and warnings fail the evaluation).
  homeManagerEvaluation = import (homeManager + "/modules") {
    configuration = laptopConfiguration // lib.optionalAttrs minimalHomeManager { imports = laptopConfiguration.imports ++ homeManagerCoreNeeds; };
    inherit pkgs lib;
    # home-manager's core modules (home environment, files, xdg, systemd, …) without the
    # hundreds of programs/ and services/ modules, which only the full nixpkgs can feed.
    minimal = minimalHomeManager;
  };
  minimalHomeManager = !(pkgs ? stdenv.cc);
  laptop =
    if homeManager != null then
      homeManagerEvaluation.config
    else
      evalWith homeStubs ../home.nix ./example-laptop.nix;
  laptopWithoutDomain = evalWith homeStubs ../home.nix {
    services.ai.mcpGateway = { pwa.enable = true; serverHost = "homeserver"; };
  };

  # freedesktop's main categories: a desktop entry names exactly one.
  mainCategories = [ "AudioVideo" "Audio" "Video" "Development" "Education" "Game" "Graphics" "Network" "Office" "Science" "Settings" "System" "Utility" ];
  mainCategoriesOf = categories: lib.filter (c: lib.elem c mainCategories) categories;

  exe = lib.getExe package;

  results = {
    package = {
      inherit (package) name drvPath;
      nodejs = package.nodejs.name;
      platforms = package.meta.platforms;
      lockEntries = lib.length (lib.attrNames lockEntries);
      sourcesGiven = lib.length (lib.attrNames lockSources);
      skipped = lib.length (lib.attrNames skipped);
      inherit unresolved skippedWrongly;
      hostBinding = lockSources ? "node_modules/@rolldown/binding-linux-x64-gnu";
      foreignBindings = lib.filter (path: lockSources ? ${path}) [
        "node_modules/@rolldown/binding-darwin-arm64"
        "node_modules/@rolldown/binding-linux-x64-musl"
      ];
      mirrorUrl = fromMirror.${scopedEntry}.url;
      hookOnNode22 = onNode22.npmConfigHook.drvPath == hookFor pkgs.nodejs_22;
      hookDiffersByNode = hookFor pkgs.nodejs_22 != hookFor pkgs.nodejs;
    };
    config = server.services.ai.mcpGateway.generatedConfig;
    execStart = gatewayUnit.serviceConfig.ExecStart;
    inherit (gatewayUnit.serviceConfig) LoadCredential EnvironmentFile;
    ProcSubset = gatewayUnit.serviceConfig.ProcSubset or null;
    PrivateUsers = gatewayUnit.serviceConfig.PrivateUsers or null;
    path = map (p: p.name) gatewayUnit.path;
    serve = { inherit (serveUnit.serviceConfig) ExecStart ExecStop; inherit (serveUnit) after; };
    oddExecStart = oddStateDir.systemd.services.mcp-gateway.serviceConfig.ExecStart;
    lowPortPrivateUsers = lowPort.systemd.services.mcp-gateway.serviceConfig.PrivateUsers or null;
    moreHosts = moreHosts.services.ai.mcpGateway.generatedConfig.gateway.allowedHosts;
    groups = withGroups.services.ai.mcpGateway.generatedConfig.groups;
    clientFeatures = {
      inherit (withClientFeatures.services.ai.mcpGateway.generatedConfig) sampling;
      inherit (withClientFeatures.services.ai.mcpGateway.generatedConfig.mcpServers.memory) roots logLevel;
      LoadCredential = withClientFeatures.systemd.services.mcp-gateway.serviceConfig.LoadCredential;
    };
    ownTailscale = ownTailscale.systemd.services.mcp-gateway-tailscale-serve.serviceConfig.ExecStart;
    desktopExec = laptop.xdg.desktopEntries.mcp-gateway.exec;
    desktopCategories = laptop.xdg.desktopEntries.mcp-gateway.categories;
    pwaCategories = (import ../pwa.nix { inherit lib; }).categories;
    startupWMClass = laptop.xdg.desktopEntries.mcp-gateway.settings.StartupWMClass;
    warnings = { server = server.warnings; client = clientExample.warnings; laptop = laptop.warnings or [ ]; };
    clientUnits = lib.attrNames clientExample.systemd.services;
    assertions = lib.mapAttrs (_: failedAssertions) {
      inherit server client clientExample pwaWithoutDomain pwaWithoutServe serveWithoutTailscale publicWithoutKey
        absoluteStateDir upwardStateDir laptop laptopWithoutDomain groupNamedLikeServer samplingForUnknownServer;
    };
    devShellNode = if devShell == null then null else lib.elem pkgs.nodejs.outPath (map (p: p.outPath) devShell.packages or devShell.nativeBuildInputs or [ ]);
  };

  sources = {
    lib = "${lib.trivial.release} (${lib.trivial.version})";
    nixpkgs = toString nixpkgs;
    importNpmLock = builtins.hashFile "sha256" (nixpkgs + "/pkgs/build-support/node/import-npm-lock/default.nix");
    buildNpmPackage = builtins.hashFile "sha256" (nixpkgs + "/pkgs/build-support/node/build-npm-package/default.nix");
    pkgs = if pkgs ? stdenv.cc then "nixpkgs" else "stand-ins (nix/tests/standin-pkgs.nix)";
    homeManager = if homeManager == null then "stand-in option declarations" else toString homeManager;
  };

  expect = name: actual: expected:
    lib.optional (actual != expected) "${name}: expected ${builtins.toJSON expected}, got ${builtins.toJSON actual}";
  mentions = name: messages: needle:
    lib.optional (!(lib.any (message: lib.hasInfix needle message) messages)) "${name}: no assertion message mentions ${needle}; got ${builtins.toJSON messages}";
  quoted = args: lib.concatMapStringsSep " " builtins.toJSON args;
in
{
  inherit results sources;
  problems =
    # The package: instantiated, every lockfile entry resolved to a store path, default Node.js.
    expect "package instantiates" (lib.hasSuffix ".drv" results.package.drvPath) true
    ++ expect "lockfile entries without a source" results.package.unresolved (lib.attrNames skipped)
    ++ expect "entries skipped that are not optional packages for another platform" results.package.skippedWrongly [ ]
    ++ expect "sources for every other entry npm wrote without `resolved`" results.package.sourcesGiven (results.package.lockEntries - results.package.skipped)
    ++ lib.optionals (pkgs.stdenv.hostPlatform.system == "x86_64-linux") (
      expect "the host's native binding is fetched" results.package.hostBinding true
      ++ expect "other platforms' native bindings are not fetched" results.package.foreignBindings [ ]
    )
    ++ expect "the package's Node.js" package.nodejs.outPath pkgs.nodejs.outPath
    ++ expect "the config hook built for the package's Node.js" results.package.hookOnNode22 true
    ++ expect "the config hook depends on Node.js" results.package.hookDiffersByNode true
    ++ expect "tarball URL on a registry mirror" results.package.mirrorUrl "https://npm.mirror.invalid/@asteasolutions/zod-to-openapi/-/zod-to-openapi-${lock.packages.${scopedEntry}.version}.tgz"
    ++ expect "meta.platforms" results.package.platforms (import ../systems.nix)
    # The config file the README shows.
    ++ expect "generated config" results.config (lib.importJSON ./example-server.json)
    ++ expect "ExecStart" results.execStart
      "${quoted [ exe "--config" "/etc/mcp-gateway/config.json" "--host" "127.0.0.1" "--port" "8085" "--state-dir" "/var/lib/mcp-gateway" ]} --api-key-file %d/api-key"
    ++ expect "ExecStart keeps % and $ as written" (lib.hasInfix ''"/var/lib/gw%%h$$USER"'' results.oddExecStart) true
    ++ expect "LoadCredential" results.LoadCredential [ "api-key:/run/agenix/mcp-gateway-key" ]
    ++ expect "EnvironmentFile" results.EnvironmentFile [ "/run/agenix/mcp-gateway-env" ]
    ++ expect "ProcSubset" results.ProcSubset "pid"
    ++ expect "PrivateUsers" results.PrivateUsers true
    ++ expect "PrivateUsers with a port below 1024" results.lowPortPrivateUsers false
    ++ expect "the service's PATH" results.path [ pkgs.nodejs.name ]
    ++ expect "tailscale serve" results.serve {
      ExecStart = quoted [ (lib.getExe pkgs.tailscale) "serve" "--bg" "--https=8448" "http://127.0.0.1:8085" ];
      ExecStop = quoted [ (lib.getExe pkgs.tailscale) "serve" "--https=8448" "off" ];
      after = [ "tailscaled.service" "mcp-gateway.service" ];
    }
    ++ expect "tailscale serve uses services.tailscale.package" (lib.hasPrefix (builtins.toJSON (lib.getExe pkgs.coreutils)) results.ownTailscale) true
    ++ expect "allowedHosts add to the tailnet name" results.moreHosts [ "homeserver.tail1234.ts.net" "gateway.lan" ]
    ++ expect "desktop entry" results.desktopExec "${lib.getExe pkgs.chromium} --app=https://homeserver.tail1234.ts.net:8448/ --class=mcp-gateway"
    ++ expect "desktop entry main categories" (mainCategoriesOf results.desktopCategories) [ "Development" ]
    ++ expect "main categories of both desktop entries (nix/pwa.nix)" (mainCategoriesOf results.pwaCategories) [ "Development" ]
    ++ expect "StartupWMClass" results.startupWMClass "mcp-gateway"
    ++ expect "warnings" results.warnings { server = [ ]; client = [ ]; laptop = [ ]; }
    ++ expect "server assertions" results.assertions.server [ ]
    ++ expect "client assertions" results.assertions.clientExample [ ]
    ++ expect "services on a client" results.clientUnits [ ]
    ++ expect "laptop assertions" results.assertions.laptop [ ]
    ++ mentions "client without serverHost" results.assertions.client "services.ai.mcpGateway.serverHost"
    ++ mentions "PWA without tailnetDomain" results.assertions.pwaWithoutDomain "services.ai.mcpGateway.pwa.tailnetDomain"
    ++ mentions "PWA on the server without tailscale serve" results.assertions.pwaWithoutServe "services.ai.mcpGateway.tailscaleServe.enable = true"
    ++ mentions "tailscale serve without tailscaled" results.assertions.serveWithoutTailscale "services.tailscale.enable = true"
    ++ mentions "non-loopback host without a key" results.assertions.publicWithoutKey "services.ai.mcpGateway.apiKeyFile"
    ++ expect "tool groups in the config file" results.groups { reading = { tools = [ "memory/read_*" ]; description = "read only"; }; }
    ++ mentions "a group named like a server" results.assertions.groupNamedLikeServer "share the name(s) memory"
    ++ expect "roots, logLevel and sampling in the config file, the sampling key by LoadCredential" results.clientFeatures {
      sampling = { url = "http://127.0.0.1:11434/v1"; model = "llama3.2"; apiKeyFile = "/run/credentials/mcp-gateway.service/sampling-key"; servers = [ "memory" ]; };
      roots = [ "/srv/notes" { uri = "file:///srv/photos"; name = "photos"; } ];
      logLevel = "warning";
      LoadCredential = [ "api-key:/run/agenix/mcp-gateway-key" "sampling-key:/run/agenix/llm-key" ];
    }
    ++ mentions "sampling for a server that is not there" results.assertions.samplingForUnknownServer "not in services.ai.mcpGateway.servers: ghost"
    ++ mentions "absolute stateDir" results.assertions.absoluteStateDir "relative to /var/lib"
    ++ mentions "stateDir with .." results.assertions.upwardStateDir "relative to /var/lib"
    ++ mentions "laptop PWA without tailnetDomain" results.assertions.laptopWithoutDomain "services.ai.mcpGateway.pwa.tailnetDomain"
    ++ lib.optionals (devShell != null) (expect "the dev shell's Node.js" results.devShellNode true);
}
