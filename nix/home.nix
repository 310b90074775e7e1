# home-manager module: an "MCP Gateway" app window on a laptop or desktop, for a gateway that
# `tailscale serve` publishes on the tailnet (see the NixOS module's tailscaleServe).
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.ai.mcpGateway;
  pwa = import ./pwa.nix { inherit lib; };
  url = pwa.url {
    host = cfg.serverHost;
    tailnetDomain = cfg.pwa.tailnetDomain;
    port = cfg.port;
  };
in
{
  options.services.ai.mcpGateway = {
    pwa = {
      enable = lib.mkEnableOption ''an "MCP Gateway" desktop entry that opens the gateway in a Chromium app window'';
      tailnetDomain = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "tail1234.ts.net";
        description = "The tailnet's MagicDNS domain.";
      };
      browser = lib.mkOption {
        type = lib.types.package;
        default = pkgs.chromium;
        defaultText = lib.literalExpression "pkgs.chromium";
        description = "A Chromium-like browser (it must take `--app=` and `--class=`).";
      };
    };
    serverHost = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "homeserver";
      description = "The tailnet host name of the machine that runs the gateway (this machine's own name if it runs it).";
    };
    port = lib.mkOption {
      type = lib.types.port;
      default = 8448;
      description = "The HTTPS port `tailscale serve` publishes the gateway on (the NixOS module's tailscaleServe.port).";
    };
  };

  config = lib.mkIf cfg.pwa.enable {
    assertions = [
      {
        assertion = cfg.pwa.tailnetDomain != null;
        message = ''services.ai.mcpGateway.pwa.enable needs services.ai.mcpGateway.pwa.tailnetDomain, the tailnet's MagicDNS domain (e.g. "tail1234.ts.net").'';
      }
      {
        assertion = cfg.serverHost != null;
        message = ''services.ai.mcpGateway.pwa.enable needs services.ai.mcpGateway.serverHost, the tailnet host name of the machine that runs the gateway (e.g. "homeserver").'';
      }
    ];
    xdg.desktopEntries.mcp-gateway = {
      name = "MCP Gateway";
      comment = "Approve tool calls and manage MCP servers";
      exec = pwa.exec { inherit (cfg.pwa) browser; inherit url; };
      icon = "${pwa.icon}";
      inherit (pwa) categories;
      settings.StartupWMClass = pwa.windowClass;
    };
  };
}
