# Evaluates the NixOS module (nix/module.nix) and the home-manager module (nix/home.nix) with
# nixpkgs' lib.evalModules alone, no NixOS: the options they set outside their own (systemd,
# environment, networking, assertions, agenix's age.secrets, xdg.desktopEntries) are declared
# here loosely. `pkgs` is nixpkgs in the flake's checks, or stand-ins (stub-pkgs.nix) when only
# nixpkgs' lib is at hand (run.sh).
#
# Returns { problems = [ … ]; results = { … }; }: `problems` lists every expectation that does
# not hold (empty when all is well); `results` is what was evaluated, for reading.
{
  lib,
  pkgs ? import ./stub-pkgs.nix { inherit lib; },
}:

let
  inherit (lib) mkOption types;
  loose = default: mkOption { type = types.anything; inherit default; };

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
    };
  homeStubs = {
    options = {
      assertions = loose [ ];
      xdg.desktopEntries = mkOption { type = types.attrsOf types.anything; default = { }; };
    };
  };

  evalWith = stubs: module: configuration:
    (lib.evalModules {
      modules = [ stubs module configuration { _module.args.pkgs = pkgs; } ];
    }).config;
  nixos = evalWith nixosStubs ../module.nix;
  home = evalWith homeStubs ../home.nix;
  failedAssertions = config: map (a: a.message) (lib.filter (a: !a.assertion) config.assertions);

  server = nixos ./example-server.nix;
  gatewayUnit = server.systemd.services.mcp-gateway;
  serveUnit = server.systemd.services.mcp-gateway-tailscale-serve;
  laptop = home ./example-laptop.nix;

  client = nixos { services.ai.mcpGateway = { enable = true; role = "client"; }; };
  pwaWithoutDomain = nixos { services.ai.mcpGateway = { enable = true; pwa.enable = true; }; };
  publicWithoutKey = nixos { services.ai.mcpGateway = { enable = true; host = "0.0.0.0"; }; };
  laptopWithoutDomain = home { services.ai.mcpGateway = { pwa.enable = true; serverHost = "homeserver"; }; };

  exe = lib.getExe (pkgs.callPackage ../package.nix { });

  results = {
    config = server.services.ai.mcpGateway.generatedConfig;
    execStart = gatewayUnit.serviceConfig.ExecStart;
    loadCredential = gatewayUnit.serviceConfig.LoadCredential;
    environmentFile = gatewayUnit.serviceConfig.EnvironmentFile;
    serve = { inherit (serveUnit.serviceConfig) ExecStart ExecStop; inherit (serveUnit) after; };
    desktopExec = laptop.xdg.desktopEntries.mcp-gateway.exec;
    startupWMClass = laptop.xdg.desktopEntries.mcp-gateway.settings.StartupWMClass;
    assertions = {
      server = failedAssertions server;
      client = failedAssertions client;
      pwaWithoutDomain = failedAssertions pwaWithoutDomain;
      publicWithoutKey = failedAssertions publicWithoutKey;
      laptop = failedAssertions laptop;
      laptopWithoutDomain = failedAssertions laptopWithoutDomain;
    };
  };

  expect = name: actual: expected:
    lib.optional (actual != expected) "${name}: expected ${builtins.toJSON expected}, got ${builtins.toJSON actual}";
  mentions = name: messages: needle:
    lib.optional (!(lib.any (message: lib.hasInfix needle message) messages)) "${name}: no assertion message mentions ${needle}; got ${builtins.toJSON messages}";
in
{
  inherit results;
  problems =
    # The config file the README shows.
    expect "generated config" results.config (lib.importJSON ./example-server.json)
    ++ expect "ExecStart" results.execStart
      "${exe} --config /etc/mcp-gateway/config.json --host 127.0.0.1 --port 8085 --state-dir /var/lib/mcp-gateway --api-key-file %d/api-key"
    ++ expect "LoadCredential" results.loadCredential [ "api-key:/run/agenix/mcp-gateway-key" ]
    ++ expect "EnvironmentFile" results.environmentFile [ "/run/agenix/mcp-gateway-env" ]
    ++ expect "tailscale serve" results.serve {
      ExecStart = "${lib.getExe pkgs.tailscale} serve --bg --https=8448 http://127.0.0.1:8085";
      ExecStop = "${lib.getExe pkgs.tailscale} serve --https=8448 off";
      after = [ "tailscaled.service" "mcp-gateway.service" ];
    }
    ++ expect "desktop entry" results.desktopExec "${lib.getExe pkgs.chromium} --app=https://homeserver.tail1234.ts.net:8448/ --class=mcp-gateway"
    ++ expect "StartupWMClass" results.startupWMClass "mcp-gateway"
    ++ expect "server assertions" results.assertions.server [ ]
    ++ expect "laptop assertions" results.assertions.laptop [ ]
    ++ mentions "client without serverHost" results.assertions.client "services.ai.mcpGateway.serverHost"
    ++ mentions "PWA without tailnetDomain" results.assertions.pwaWithoutDomain "services.ai.mcpGateway.pwa.tailnetDomain"
    ++ mentions "non-loopback host without a key" results.assertions.publicWithoutKey "services.ai.mcpGateway.apiKeyFile"
    ++ mentions "laptop PWA without tailnetDomain" results.assertions.laptopWithoutDomain "services.ai.mcpGateway.pwa.tailnetDomain";
}
