#!/usr/bin/env bash
# Evaluates this repository's Nix files (nix/tests/eval.nix) without the flake, for machines where
# the full nixpkgs is not at hand:
#   NIXPKGS       a nixpkgs checkout, full or sparse: lib/, pkgs/build-support/node/
#                 {import-npm-lock,build-npm-package}/ and nixos/lib/utils.nix are what is read;
#   HOME_MANAGER  (optional) a home-manager checkout: the laptop example is then evaluated inside
#                 home-manager's real module set.
# Prints the results and which copies were used; exits 1 when an expectation does not hold.
set -euo pipefail
: "${NIXPKGS:?set NIXPKGS to a nixpkgs checkout (full, or with lib/, pkgs/build-support/node/ and nixos/lib/utils.nix)}"
here="$(cd "$(dirname "$0")" && pwd)"
hm="null"
if [ -n "${HOME_MANAGER:-}" ]; then hm="$(cd "$HOME_MANAGER" && pwd)"; fi
nixpkgs="$(cd "$NIXPKGS" && pwd)"
# Instantiating writes the derivations (and the sources they name) to the store; NIX_STORE_FLAGS
# (e.g. "--store local?root=/tmp/nix") can point at another one. Nothing is built.
out="$(nix-instantiate --eval --read-write-mode --strict --json ${NIX_STORE_FLAGS:-} \
  -E "import $here/eval.nix { nixpkgs = $nixpkgs; homeManager = $hm; }")"
echo "$out"
node -e '
const r = JSON.parse(process.argv[1]);
console.error("evaluated with: " + JSON.stringify(r.sources, null, 2));
if (r.problems.length) { console.error(r.problems.join("\n")); process.exit(1); }
console.error("nix evaluations: all expectations hold");
' "$out"
