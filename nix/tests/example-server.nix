# The home server: the gateway with two MCP servers, its admin key from agenix, published on the
# tailnet with `tailscale serve`.
{ config, ... }:
{
  networking.hostName = "homeserver";
  services.tailscale.enable = true;

  age.secrets.mcp-gateway-key.file = ./secrets/mcp-gateway-key.age;
  age.secrets.mcp-gateway-env.file = ./secrets/mcp-gateway-env.age; # GITHUB_TOKEN=…

  services.ai.mcpGateway = {
    enable = true;
    apiKeyFile = config.age.secrets.mcp-gateway-key.path;
    environmentFile = config.age.secrets.mcp-gateway-env.path;
    servers = {
      memory = {
        command = "npx";
        args = [ "-y" "@modelcontextprotocol/server-memory" ];
      };
      github = {
        type = "streamable-http";
        url = "https://api.githubcopilot.com/mcp/";
        headers.Authorization = "Bearer \${GITHUB_TOKEN}";
      };
    };
    approval.rules = [
      { server = "memory"; tool = "read_*"; action = "allow"; }
      { server = "github"; tool = "delete_*"; action = "deny"; }
    ];
    tailscaleServe.enable = true;
    pwa.tailnetDomain = "tail1234.ts.net";
  };
}
