# Stand-ins for the few packages and builders the modules use, for evaluating them with nixpkgs'
# lib alone (nix/tests/run.sh). The flake's checks use the real nixpkgs instead.
{ lib }:
let
  drv = name: mainProgram: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta = { inherit mainProgram; };
  };
in
{
  callPackage = _path: _args: drv "mcp-gateway-0.1.0" "mcp-gateway";
  nodejs_20 = drv "nodejs-20" "node";
  chromium = drv "chromium" "chromium";
  tailscale = drv "tailscale" "tailscale";
  coreutils = drv "coreutils" "coreutils";
  formats.json = { }: {
    type = lib.types.attrsOf lib.types.anything;
    generate = name: value: drv name null // { text = builtins.toJSON value; };
  };
  makeDesktopItem = args: drv "${args.name}.desktop" null // { inherit args; };
}
