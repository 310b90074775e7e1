{
  description = "mcp-gateway: MCP servers as REST with OpenAPI, a web UI, and human approval of tool calls";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
      });

      # Written as an attribute set with `imports` (not a path) so that older Nix accepts it.
      nixosModules.default = { imports = [ ./nix/module.nix ]; };
      homeManagerModules.default = { imports = [ ./nix/home.nix ]; };

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_20
            pkgs.typescript
            pkgs.typescript-language-server
            pkgs.python3 # node-gyp, for better-sqlite3
            pkgs.chromium # the browser tests (CHROMIUM_PATH)
          ];
          shellHook = ''
            export CHROMIUM_PATH=${pkgs.lib.getExe pkgs.chromium}
            export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
          '';
        };
      });

      # The module evaluations of nix/tests/eval.nix (the README's example included), with nixpkgs.
      checks = forAllSystems (
        pkgs:
        let
          evaluation = import ./nix/tests/eval.nix { inherit (nixpkgs) lib; inherit pkgs; };
        in
        {
          module =
            if evaluation.problems == [ ] then
              pkgs.runCommand "mcp-gateway-module-eval" { } ''
                # The results name store paths; their string context is dropped so that the
                # check does not build (or fetch) every package it mentions.
                echo ${pkgs.lib.escapeShellArg (builtins.unsafeDiscardStringContext (builtins.toJSON evaluation.results))} > $out
              ''
            else
              throw ("mcp-gateway module evaluation:\n" + pkgs.lib.concatStringsSep "\n" evaluation.problems);
          package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        }
      );
    };
}
