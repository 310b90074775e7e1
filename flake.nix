{
  description = "mcp-gateway: MCP servers as REST with OpenAPI, a web UI, and human approval of tool calls";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      # The package's meta.platforms: the systems the package is built for.
      systems = import ./nix/systems.nix;
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.callPackage ./nix/package.nix { };
      });

      # Written as an attribute set with `imports` (not a path) so that older Nix accepts it.
      nixosModules.default = { imports = [ ./nix/module.nix ]; };
      # `homeModules` is the name home-manager's flake tooling reads; `homeManagerModules` is kept
      # for configurations written against earlier versions of this flake.
      homeModules.default = { imports = [ ./nix/home.nix ]; };
      homeManagerModules = self.homeModules;

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs # nixpkgs' default Node.js (an LTS line), as the package and the module use
            pkgs.typescript
            pkgs.typescript-language-server
            pkgs.python3 # node-gyp, for better-sqlite3
            pkgs.chromium # the browser tests (CHROMIUM_PATH)
          ];
          shellHook = ''
            export CHROMIUM_PATH=${lib.getExe pkgs.chromium}
            export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
          '';
        };
      });

      # The evaluations of nix/tests/eval.nix (the package with nixpkgs' importNpmLock, and the
      # modules with the README's examples) against this nixpkgs.
      checks = forAllSystems (
        pkgs:
        let
          evaluation = import ./nix/tests/eval.nix {
            inherit nixpkgs pkgs;
            devShell = self.devShells.${pkgs.stdenv.hostPlatform.system}.default;
          };
        in
        {
          evaluation =
            if evaluation.problems == [ ] then
              pkgs.writeText "mcp-gateway-evaluation.json"
                # The results name store paths; their string context is dropped so that the
                # check does not build (or fetch) every package it mentions.
                (builtins.unsafeDiscardStringContext (builtins.toJSON evaluation.results))
            else
              throw ("mcp-gateway evaluation:\n" + lib.concatStringsSep "\n" evaluation.problems);
          package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        }
      );
    };
}
