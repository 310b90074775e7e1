# NixOS module: services.ai.mcpGateway
#
# Runs the gateway as a hardened systemd service (DynamicUser, state in /var/lib/<stateDir>),
# renders `servers`, `settings` and `approval` into its config file, takes secrets from files
# only (`apiKeyFile` through LoadCredential, `environmentFile` for ${VAR} references), can publish
# it on the tailnet with `tailscale serve`, and can add an "MCP Gateway" app window to desktops.
# The `client` role runs no gateway: it only adds the app window for a gateway elsewhere.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:

let
  cfg = config.services.ai.mcpGateway;
  inherit (lib)
    literalExpression
    mkEnableOption
    mkIf
    mkMerge
    mkOption
    optional
    optionalAttrs
    optionals
    types
    ;

  jsonFormat = pkgs.formats.json { };
  pwa = import ./pwa.nix { inherit lib; };

  isLoopback = host: host == "localhost" || host == "::1" || lib.hasPrefix "127." host;
  # A typed field that is left out of the file when unset.
  optionalField = type: description: mkOption {
    type = types.nullOr type;
    default = null;
    inherit description;
  };
  withoutNulls = lib.filterAttrs (_: value: value != null);

  serverModule = {
    freeformType = jsonFormat.type;
    options = {
      command = optionalField types.str "Program of a stdio server (looked up on `path`).";
      args = optionalField (types.listOf types.str) "Arguments of a stdio server.";
      env = optionalField (types.attrsOf types.str) ''
        Environment of a stdio server. Write secrets as `''${VAR}` (from `environmentFile`) or
        `''${file:/run/credentials/…}`, never as plain values: they would land in the Nix store.
      '';
      cwd = optionalField types.str "Working directory of a stdio server.";
      type = optionalField (types.enum [ "stdio" "sse" "streamable-http" "streamableHttp" "http" ]) "Transport; by default from `command`/`url`.";
      url = optionalField types.str "Endpoint of a remote server (`http:` or `https:`).";
      headers = optionalField (types.attrsOf types.str) "Headers sent to a remote server; secrets as `\${VAR}`.";
      enabled = optionalField types.bool "Whether the server runs (default true).";
      description = optionalField types.str "Shown in the API and the UI.";
      timeoutMs = optionalField types.ints.positive "Tool call timeout, in ms (default `settings.toolTimeoutMs`).";
      disabledTools = optionalField (types.listOf types.str) "Tools hidden everywhere.";
      exposeAsTools = optionalField (types.submodule {
        options = {
          resources = mkOption {
            type = types.bool;
            default = false;
            description = "Offer `read_resource` (`{uri}`) in the server's OpenAPI tool documents.";
          };
          prompts = mkOption {
            type = types.bool;
            default = false;
            description = "Offer `get_prompt` (`{name, arguments}`) in the server's OpenAPI tool documents.";
          };
        };
      }) "The server's resources and prompts as tools, for OpenAPI callers that can only call tools (Open WebUI).";
      elicitation = optionalField types.bool "Declare elicitation to the server and answer its questions (default true).";
      approval = optionalField jsonFormat.type "The server's own approval policy (`default`, `timeoutMs`, `rules`).";
      roots = optionalField (types.listOf (types.either types.str (types.submodule {
        options = {
          uri = mkOption { type = types.str; description = "A `file://` URI."; };
          name = optionalField types.str "A name for the root.";
        };
      }))) "Folders offered to the server as MCP roots: `file://` URIs, absolute paths or `{ uri; name; }` (default none).";
      clientRoots = optionalField types.bool "Pass the roots of the server's one `/mcp/{server}` client to it, when it has no `roots` (default false).";
      logLevel = optionalField (types.enum [ "debug" "info" "notice" "warning" "error" "critical" "alert" "emergency" ])
        "MCP log level asked for with `logging/setLevel` (default: not asked).";
    };
  };

  # Where systemd's LoadCredential puts the sampling key for the service.
  samplingKeyPath = "/run/credentials/mcp-gateway.service/sampling-key";
  samplingSection = withoutNulls (cfg.sampling // {
    apiKeyFile = if cfg.sampling.apiKeyFile != null then samplingKeyPath else null;
  });

  # The config file, exactly as the gateway reads it.
  generatedConfig =
    {
      gateway = withoutNulls cfg.settings // {
        allowedHosts = lib.unique (tailnetHost ++ cfg.settings.allowedHosts);
      };
      mcpServers = lib.mapAttrs (_: server: withoutNulls (server // optionalAttrs (server.roots != null) {
        roots = map (root: if builtins.isString root then root else withoutNulls root) server.roots;
      })) cfg.servers;
    }
    // optionalAttrs (cfg.sampling != null) { sampling = samplingSection; }
    // optionalAttrs (cfg.approval != { }) { inherit (cfg) approval; }
    // optionalAttrs (cfg.groups != { }) { groups = lib.mapAttrs (_: withoutNulls) cfg.groups; };
  configFile = jsonFormat.generate "mcp-gateway.json" generatedConfig;
  configPath = "/etc/mcp-gateway/config.json";
  stateDirectory = "/var/lib/${cfg.stateDir}";

  tailnetName = host: "${host}.${cfg.pwa.tailnetDomain}";
  appUrl = pwa.url {
    host = if cfg.role == "client" then cfg.serverHost else config.networking.hostName;
    tailnetDomain = cfg.pwa.tailnetDomain;
    port = cfg.tailscaleServe.port;
  };
  desktopItem = pkgs.makeDesktopItem {
    name = "mcp-gateway";
    desktopName = "MCP Gateway";
    comment = "Approve tool calls and manage MCP servers";
    exec = pwa.exec { browser = cfg.pwa.browser; url = appUrl; };
    icon = pwa.icon;
    startupWMClass = pwa.windowClass;
    inherit (pwa) categories;
  };

  tailscale = lib.getExe cfg.tailscaleServe.package;
  # The tailnet name the gateway is published under, when it is.
  tailnetHost = lib.optional (cfg.tailscaleServe.enable && cfg.pwa.tailnetDomain != null) (tailnetName config.networking.hostName);
in
{
  options.services.ai.mcpGateway = {
    enable = mkEnableOption "the MCP gateway (MCP servers as REST with OpenAPI, a web UI and approvals)";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./nix/package.nix { } (this flake's package)";
      description = "The gateway package.";
    };

    role = mkOption {
      type = types.enum [ "server" "client" ];
      default = "server";
      description = ''
        `server` runs the gateway on this machine. `client` runs nothing and only adds the app
        window (`pwa.enable`) for the gateway on `serverHost`.
      '';
    };

    host = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "0.0.0.0";
      description = "Address the gateway listens on. Anything but loopback needs `apiKeyFile`.";
    };

    port = mkOption {
      type = types.port;
      default = 8085;
      description = "Port the gateway listens on.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open `port` in the firewall (not needed for `tailscaleServe`).";
    };

    stateDir = mkOption {
      type = types.str;
      default = "mcp-gateway";
      example = "ai/mcp-gateway";
      description = ''
        Name of the state directory under /var/lib (systemd's StateDirectory, so a relative name,
        not a path: `mcp-gateway`, or `ai/mcp-gateway` for a subdirectory): the database
        (activity log, keys, devices, approvals) and HOME, with the npm and uv caches of stdio
        servers started with `npx` or `uvx`.
      '';
    };

    servers = mkOption {
      type = types.attrsOf (types.submodule serverModule);
      default = { };
      example = literalExpression ''
        {
          memory = { command = "npx"; args = [ "-y" "@modelcontextprotocol/server-memory" ]; };
          search = { type = "streamable-http"; url = "https://mcp.example.com/mcp";
                     headers.Authorization = "Bearer \''${SEARCH_TOKEN}"; };
        }
      '';
      description = ''
        MCP servers, rendered into the config file's `mcpServers` (the mcpo / Claude Desktop
        shape, plus the gateway's per-server fields). `''${VAR}` references are filled in by the
        gateway from its environment (`environmentFile`) at run time.
      '';
    };

    settings = mkOption {
      type = types.submodule {
        freeformType = jsonFormat.type;
        options = {
          allowedHosts = mkOption {
            type = types.listOf types.str;
            default = [ ];
            example = [ "gateway.lan" ];
            description = ''
              `Host` names accepted besides loopback names. With `tailscaleServe` and
              `pwa.tailnetDomain`, the tailnet name (`<hostName>.<tailnetDomain>`) is always
              accepted too: these names are added to it.
            '';
          };
          basePath = optionalField types.str "Path prefix the gateway is reached under (e.g. `/mcp`).";
          toolTimeoutMs = optionalField types.ints.positive "Default tool call timeout, in ms (gateway default 60000).";
          questionTimeoutMs = optionalField types.ints.positive "How long a server's question to a person stays open, in ms (gateway default 600000).";
          trustTailscaleHeaders = optionalField types.bool "Show `Tailscale-User-Login` next to the identity that decided an approval (a label only).";
          publicSpecs = optionalField types.bool "Serve the OpenAPI documents without a key.";
          serverLogLines = optionalField types.ints.unsigned "Log messages kept per server (gateway default 200).";
        };
      };
      default = { };
      description = "The config file's `gateway` section (free-form JSON; the well-known fields are typed).";
    };

    groups = mkOption {
      type = types.attrsOf (
        types.submodule {
          options = {
            tools = mkOption {
              type = types.nonEmptyListOf types.str;
              example = [ "fs/*" "memory/read_graph" ];
              description = "`server/tool` patterns; `*` matches any run of characters in either part.";
            };
            description = optionalField types.str "Shown to MCP clients and on the Connect page.";
          };
        }
      );
      default = { };
      example = literalExpression ''{ coding = { tools = [ "fs/*" "git/*" "memory/read_graph" ]; description = "files, git and the graph"; }; }'';
      description = ''
        Tool groups, rendered into the config file's `groups`: each a virtual MCP server made of
        tools of several servers, at `/mcp/<name>`. A group may not share a server's name.
      '';
    };

    sampling = mkOption {
      type = types.nullOr (types.submodule {
        options = {
          url = mkOption {
            type = types.str;
            example = "http://127.0.0.1:11434/v1";
            description = "Base URL of an OpenAI-compatible API (`/chat/completions` is added).";
          };
          model = mkOption { type = types.str; example = "llama3.2"; description = "The model asked for."; };
          apiKeyFile = mkOption {
            type = types.nullOr (types.strMatching "/.*");
            default = null;
            example = "/run/agenix/llm-key";
            description = ''
              File holding the endpoint's API key (sent as Bearer), e.g. an agenix secret: systemd
              hands it to the service with LoadCredential. A string, not a Nix path, so that the
              key never lands in the Nix store.
            '';
          };
          maxTokens = optionalField types.ints.positive "Cap of a reply's tokens (gateway default 1024).";
          servers = mkOption {
            type = types.either (types.enum [ "*" ]) (types.listOf types.str);
            default = [ ];
            description = ''Servers that may sample (names from `servers`), or `"*"` for all. Default none.'';
          };
          timeoutMs = optionalField types.ints.positive "Time the endpoint has to answer, in ms (gateway default 120000).";
        };
      });
      default = null;
      description = ''
        The config file's `sampling` section: answers the servers' sampling requests from an
        OpenAI-compatible endpoint, each through the approval policy (tool `sampling/createMessage`).
        Default: none (sampling refused).
      '';
    };

    approval = mkOption {
      type = jsonFormat.type;
      default = { };
      example = literalExpression ''
        { default = "ask"; rules = [ { server = "memory"; tool = "read_*"; action = "allow"; } ]; }
      '';
      description = "The config file's top-level `approval` section (policy, timeout, webhooks). Default: the gateway's (`ask` unless a tool is read-only).";
    };

    apiKeyFile = mkOption {
      type = types.nullOr (types.strMatching "/.*");
      default = null;
      example = "/run/agenix/mcp-gateway-key";
      description = ''
        File holding the start-up (admin) API key, e.g. an agenix or sops-nix secret readable
        by root only: systemd hands it to the service with LoadCredential. Give a string, not a
        Nix path, so that the key never lands in the Nix store.
      '';
    };

    environmentFile = mkOption {
      type = types.nullOr (types.strMatching "/.*");
      default = null;
      example = "/run/agenix/mcp-gateway-env";
      description = "`VAR=value` lines (read by systemd as root) for the `\${VAR}` references in `servers`.";
    };

    path = mkOption {
      type = types.listOf types.package;
      default = [ pkgs.nodejs ];
      defaultText = literalExpression "[ pkgs.nodejs ]";
      example = literalExpression "[ pkgs.nodejs pkgs.uv pkgs.python3 ]";
      description = "Programs on the service's PATH for stdio servers (`npx` comes with Node.js; add `uv` for `uvx`).";
    };

    tailscaleServe = {
      enable = mkEnableOption "publishing the gateway over HTTPS on the tailnet with `tailscale serve` (needs services.tailscale.enable)";
      port = mkOption {
        type = types.port;
        default = 8448;
        description = "HTTPS port on the tailnet name.";
      };
      package = mkOption {
        type = types.package;
        default = config.services.tailscale.package;
        defaultText = literalExpression "config.services.tailscale.package";
        description = "The tailscale command (by default the one tailscaled runs).";
      };
    };

    pwa = {
      enable = mkEnableOption ''an "MCP Gateway" desktop entry that opens the gateway over the tailnet in an app window'';
      tailnetDomain = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "tail1234.ts.net";
        description = "The tailnet's MagicDNS domain: the app opens https://<host>.<tailnetDomain>:<tailscaleServe.port>/.";
      };
      browser = mkOption {
        type = types.package;
        default = pkgs.chromium;
        defaultText = literalExpression "pkgs.chromium";
        description = "A Chromium-like browser (it must take `--app=` and `--class=`).";
      };
    };

    serverHost = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "homeserver";
      description = "For the `client` role: the tailnet host name of the machine that runs the gateway.";
    };

    generatedConfig = mkOption {
      type = jsonFormat.type;
      readOnly = true;
      internal = true;
      default = generatedConfig;
      description = "The config file as written (for inspection and tests).";
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = [
        {
          assertion = cfg.pwa.enable -> cfg.pwa.tailnetDomain != null;
          message = ''services.ai.mcpGateway.pwa.enable needs services.ai.mcpGateway.pwa.tailnetDomain, the tailnet's MagicDNS domain (e.g. "tail1234.ts.net"; `tailscale status --json | jq -r .MagicDNSSuffix` prints it).'';
        }
        {
          assertion = cfg.role == "client" -> cfg.serverHost != null;
          message = ''services.ai.mcpGateway.role = "client" needs services.ai.mcpGateway.serverHost, the tailnet host name of the machine that runs the gateway (e.g. "homeserver").'';
        }
        {
          assertion = cfg.role == "server" && cfg.tailscaleServe.enable -> config.services.tailscale.enable;
          message = ''services.ai.mcpGateway.tailscaleServe.enable needs tailscaled on this machine: set services.tailscale.enable = true (and log it in once with `tailscale up`), or turn tailscaleServe off.'';
        }
        {
          assertion = cfg.role == "server" && cfg.pwa.enable -> cfg.tailscaleServe.enable;
          message = ''services.ai.mcpGateway.pwa.enable opens the gateway at https://<host>.<tailnetDomain>:${toString cfg.tailscaleServe.port}/, which only tailscale serve publishes: set services.ai.mcpGateway.tailscaleServe.enable = true (with services.tailscale.enable), or turn pwa off.'';
        }
        {
          assertion = !lib.hasPrefix "/" cfg.stateDir && cfg.stateDir != "" && !lib.elem ".." (lib.splitString "/" cfg.stateDir);
          message = ''services.ai.mcpGateway.stateDir = "${cfg.stateDir}" must be a name relative to /var/lib (systemd's StateDirectory), e.g. "mcp-gateway", not a path and without "..".'';
        }
        {
          assertion = cfg.sampling == null || cfg.sampling.servers == "*" || lib.subtractLists (lib.attrNames cfg.servers) cfg.sampling.servers == [ ];
          message = "services.ai.mcpGateway.sampling.servers names server(s) not in services.ai.mcpGateway.servers: ${lib.concatStringsSep ", " (if cfg.sampling == null || cfg.sampling.servers == "*" then [ ] else lib.subtractLists (lib.attrNames cfg.servers) cfg.sampling.servers)}.";
        }
        {
          assertion = lib.intersectLists (lib.attrNames cfg.groups) (lib.attrNames cfg.servers) == [ ];
          message = ''services.ai.mcpGateway.groups and services.ai.mcpGateway.servers share the name(s) ${lib.concatStringsSep ", " (lib.intersectLists (lib.attrNames cfg.groups) (lib.attrNames cfg.servers))}: both would be /mcp/<name>, so rename the group.'';
        }
        {
          assertion = cfg.role == "server" && !isLoopback cfg.host -> cfg.apiKeyFile != null;
          message = ''services.ai.mcpGateway.host = "${cfg.host}" is not a loopback address, so anyone who can reach it could start programs through the gateway: set services.ai.mcpGateway.apiKeyFile (e.g. an agenix secret), or keep host = "127.0.0.1" and use tailscaleServe.'';
        }
      ];
      warnings = optional (cfg.role == "server" && cfg.tailscaleServe.enable && cfg.apiKeyFile == null)
        "services.ai.mcpGateway: tailscaleServe publishes the gateway to the whole tailnet, and no apiKeyFile is set: every tailnet device can call its tools.";
    }

    (mkIf cfg.pwa.enable { environment.systemPackages = [ desktopItem ]; })

    (mkIf (cfg.role == "server") {
      environment.etc."mcp-gateway/config.json".source = configFile;

      networking.firewall.allowedTCPPorts = optionals cfg.openFirewall [ cfg.port ];

      systemd.services.mcp-gateway = {
        description = "MCP gateway";
        wantedBy = [ "multi-user.target" ];
        after = [ "network-online.target" ];
        wants = [ "network-online.target" ];
        path = cfg.path;
        # A changed config is reloaded in place (SIGHUP): servers are added, restarted or removed
        # without restarting the others.
        reloadTriggers = [ configFile ];
        environment = {
          HOME = stateDirectory;
          NODE_ENV = "production";
          npm_config_cache = "${stateDirectory}/.npm";
          XDG_CACHE_HOME = "${stateDirectory}/.cache";
        };
        serviceConfig = {
          ExecStart =
            utils.escapeSystemdExecArgs [
              (lib.getExe cfg.package)
              "--config"
              configPath
              "--host"
              cfg.host
              "--port"
              cfg.port
              "--state-dir"
              stateDirectory
            ]
            # %d: the service's credentials directory, where LoadCredential put the key. Written
            # unescaped on purpose: it is systemd's specifier, and the rest of it is fixed.
            + lib.optionalString (cfg.apiKeyFile != null) " --api-key-file %d/api-key";
          ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
          Restart = "on-failure";
          RestartSec = 2;
          DynamicUser = true;
          StateDirectory = cfg.stateDir;
          StateDirectoryMode = "0700";
          WorkingDirectory = stateDirectory;
          UMask = "0077";
          LoadCredential =
            optional (cfg.apiKeyFile != null) "api-key:${cfg.apiKeyFile}"
            ++ optional (cfg.sampling != null && cfg.sampling.apiKeyFile != null) "sampling-key:${cfg.sampling.apiKeyFile}";
          EnvironmentFile = optional (cfg.environmentFile != null) cfg.environmentFile;
          # The gateway stops its stdio servers' process groups itself; anything left in the
          # cgroup is killed with the service.
          KillMode = "control-group";

          # Hardening.
          ProtectSystem = "strict";
          ProtectHome = true;
          PrivateTmp = true;
          PrivateDevices = true;
          NoNewPrivileges = true;
          ProtectKernelTunables = true;
          ProtectKernelModules = true;
          ProtectKernelLogs = true;
          ProtectControlGroups = true;
          ProtectClock = true;
          ProtectHostname = true;
          ProtectProc = "invisible";
          # Only the processes' own /proc entries: the gateway reads /proc/self (metrics) and
          # /proc/<pid> of its children; it does not read /proc/stat or /proc/meminfo (so Node's
          # os.cpus() and os.totalmem() would see nothing; it calls neither). Without
          # /proc/sys/kernel/random/boot_id its own record of the servers' process groups, which
          # ends leftovers after a crash, stays off: KillMode=control-group (above) does that here.
          ProcSubset = "pid";
          # A user namespace of its own, but not for a port below 1024: binding one needs
          # CAP_NET_BIND_SERVICE in the host's user namespace, which a private one cannot give.
          PrivateUsers = cfg.port >= 1024;
          RestrictNamespaces = true;
          RestrictRealtime = true;
          RestrictSUIDSGID = true;
          LockPersonality = true;
          RemoveIPC = true;
          # Relaxed: V8's JIT compiler needs writable and executable memory.
          MemoryDenyWriteExecute = false;
          # Relaxed: AF_INET/AF_INET6 for HTTP in and remote MCP servers out; AF_UNIX for the
          # stdio servers' pipes and sockets; AF_NETLINK for the network interface list Node.js reads.
          RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" "AF_NETLINK" ];
          SystemCallArchitectures = "native";
          # Relaxed: @system-service keeps @process (fork, execve, kill): the gateway starts stdio
          # servers as child processes and stops their process groups.
          SystemCallFilter = [ "@system-service" "~@privileged" ];
          CapabilityBoundingSet = if cfg.port < 1024 then [ "CAP_NET_BIND_SERVICE" ] else [ "" ];
          AmbientCapabilities = optionals (cfg.port < 1024) [ "CAP_NET_BIND_SERVICE" ];
        };
      };
    })

    (mkIf (cfg.role == "server" && cfg.tailscaleServe.enable) {
      systemd.services.mcp-gateway-tailscale-serve = {
        description = "Publish the MCP gateway on the tailnet (tailscale serve)";
        wantedBy = [ "multi-user.target" ];
        after = [ "tailscaled.service" "mcp-gateway.service" ];
        wants = [ "tailscaled.service" ];
        partOf = [ "mcp-gateway.service" ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          # Fails while tailscaled is not logged in yet; retried until it is.
          ExecStart = utils.escapeSystemdExecArgs [
            tailscale
            "serve"
            "--bg"
            "--https=${toString cfg.tailscaleServe.port}"
            "http://127.0.0.1:${toString cfg.port}"
          ];
          ExecStop = utils.escapeSystemdExecArgs [
            tailscale
            "serve"
            "--https=${toString cfg.tailscaleServe.port}"
            "off"
          ];
          Restart = "on-failure";
          RestartSec = 5;
        };
      };
    })
  ]);
}
