# The laptop (home-manager): an "MCP Gateway" app window for the gateway on homeserver.
{
  services.ai.mcpGateway = {
    pwa.enable = true;
    pwa.tailnetDomain = "tail1234.ts.net";
    serverHost = "homeserver";
  };
}
