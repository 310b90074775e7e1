#!/usr/bin/env bash
# `nix flake check --no-build` on this repository, offline, with the `nixpkgs` input replaced by a
# nixpkgs checkout (NIXPKGS, full or sparse as for run.sh). A full checkout is used as it is; a
# sparse one is wrapped in a flake whose `lib` is the checkout's real lib and whose legacyPackages
# are the stand-ins of standin-pkgs.nix (built on the checkout's real build helpers).
# Needs a Nix of 2.18 or later with flakes; writes derivations to the store, builds nothing.
set -euo pipefail
: "${NIXPKGS:?set NIXPKGS to a nixpkgs checkout}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
nixpkgs="$(cd "$NIXPKGS" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -e "$nixpkgs/pkgs/top-level/all-packages.nix" ]; then
  input="$nixpkgs"
else
  input="$work/nixpkgs"
  cp -r "$nixpkgs" "$input"
  cp "$here/standin-pkgs.nix" "$input/standin-pkgs.nix"
  cat > "$input/flake.nix" <<'NIX'
{
  description = "nixpkgs stand-in: the real lib and build helpers of a sparse nixpkgs checkout, stand-in packages";
  outputs =
    { self }:
    let
      lib = import ./lib;
    in
    {
      inherit lib;
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (
        system: import ./standin-pkgs.nix { nixpkgs = self.outPath; inherit lib system; }
      );
    };
}
NIX
fi
# The repository as a path (not git) flake, so that files not yet committed are seen too.
cd "$repo"
nix --extra-experimental-features 'nix-command flakes' flake check --no-build --offline \
  --all-systems --override-input nixpkgs "path:$input" "path:$repo" "$@"
echo "nix flake check --no-build: passed (nixpkgs: $nixpkgs)" >&2
