#!/usr/bin/env bash
# Evaluates the NixOS and home-manager modules (nix/tests/eval.nix) with nixpkgs' lib alone, for
# machines without flakes or a nixpkgs checkout: NIXPKGS_LIB names a copy of nixpkgs' `lib`
# folder (e.g. from github:nix-community/nixpkgs.lib). Prints the problems, if any, and exits 1.
set -euo pipefail
: "${NIXPKGS_LIB:?set NIXPKGS_LIB to the lib folder of nixpkgs (or of nix-community/nixpkgs.lib)}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$(nix-instantiate --eval --strict --json -E "import $here/eval.nix { lib = import $NIXPKGS_LIB; }")"
echo "$out"
node -e 'const r = JSON.parse(process.argv[1]); if (r.problems.length) { console.error(r.problems.join("\n")); process.exit(1); } console.error("module evaluations: all expectations hold");' "$out"
