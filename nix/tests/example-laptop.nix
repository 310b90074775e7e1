# The laptop (home-manager): an "MCP Gateway" app window for the gateway on homeserver.
{
  home.username = "me";
  home.homeDirectory = "/home/me";
  home.stateVersion = "25.11";

  services.ai.mcpGateway = {
    pwa.enable = true;
    pwa.tailnetDomain = "tail1234.ts.net";
    serverHost = "homeserver";
  };
}
