{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.agenix.url = "github:ryantm/agenix";
  inputs.home-manager.url = "github:nix-community/home-manager";
  inputs.mcp-gateway.url = "github:OWNER/mcp-gateway"; # this repository
  inputs.mcp-gateway.inputs.nixpkgs.follows = "nixpkgs";

  outputs = { nixpkgs, agenix, home-manager, mcp-gateway, ... }: {
    nixosConfigurations.homeserver = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        agenix.nixosModules.default
        mcp-gateway.nixosModules.default
        ./homeserver.nix # the first file below
      ];
    };
    homeConfigurations.me = home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      modules = [
        mcp-gateway.homeModules.default
        ./laptop.nix # the second file below
      ];
    };
  };
}
