# The "MCP Gateway" app window: a desktop entry that opens the gateway, published over HTTPS on
# the tailnet by `tailscale serve`, in a Chromium app window (--app=) with its own window class,
# so that the desktop groups it under the entry's icon. Used by the NixOS module (system-wide
# entry) and the home-manager module (per-user entry).
{ lib }:
rec {
  # The window class the browser is told to use, and the entry's StartupWMClass.
  windowClass = "mcp-gateway";

  # The entry's categories: one main category (freedesktop's menu spec), for a tool that
  # developers' AI agents call through.
  categories = [ "Development" ];

  # The app's icon, shipped in the repository (the UI's own).
  icon = ../static/icons/icon-512.png;

  # https://<host>.<tailnetDomain>:<port>/
  url =
    { host, tailnetDomain, port }:
    "https://${host}.${tailnetDomain}:${toString port}/";

  # The command line of the entry: the browser in app mode on `url`.
  exec = { browser, url }: "${lib.getExe browser} --app=${url} --class=${windowClass}";
}
