#!/usr/bin/env bash
# Runs the whole test suite (`npm ci && npm test`) on another Node.js line than the machine's, e.g.
# `scripts/test-node.sh 22` (or `npm run test:node -- 22`). `.ci/run` runs it for 22 and 24.
#
# Node comes from the npm registry: the newest `node-linux-<arch>@<major>` package, which holds the
# official binary and its C headers (so better-sqlite3, a native addon, compiles for that Node's ABI
# without downloading anything from nodejs.org). The tarball stays in npm's cache for the next run.
# The suite runs in a temporary copy of this tree (the files git tracks or would track, edits
# included; no node_modules, no dist), so the tree's own node_modules, built for the machine's
# Node, is left as it is. That copy gets its own `npm ci` (from npm's cache) and is removed at the
# end. That Node goes first on PATH, so everything the tests start (the CLI, fixture servers, `npx`,
# npm itself) runs on it; the script checks that it does.
#
# Exits with the status of `npm test` (2 for a bad argument).
set -euo pipefail

major="${1:-}"
if [[ ! "$major" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 MAJOR   (a Node.js major version, e.g. 22)" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "$0: no Node.js package on the npm registry for $(uname -m)" >&2; exit 2 ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-node$major.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Node itself: npm resolves the newest release of that line and keeps the tarball in its cache.
mkdir -p "$work/node"
tarball="$(cd "$work" && npm pack --silent "node-linux-$arch@$major")"
tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1
rm "$work/$tarball"
node_dir="$work/node"
[ -f "$node_dir/include/node/node_api.h" ] || { echo "$0: $tarball has no C headers (include/node)" >&2; exit 1; }

# The tree: what git tracks plus new files it does not ignore, as they are now (deleted files skipped).
mkdir "$work/tree"
git -C "$root" ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do
    if [ -e "$root/$file" ] || [ -L "$root/$file" ]; then printf '%s\0' "$file"; fi
  done |
  tar -C "$root" --null -T - -cf - | tar -C "$work/tree" -xf -

export PATH="$node_dir/bin:$PATH"
# Native addons compile against this Node's headers (the machine's npm config may name another
# Node's, e.g. nodedir=/usr), when no prebuilt binary can be downloaded.
export npm_config_nodedir="$node_dir"

expected="v${tarball#node-linux-$arch-}"
expected="${expected%.tgz}"
actual="$(node --version)"
if [ "$(command -v node)" != "$node_dir/bin/node" ] || [ "$actual" != "$expected" ]; then
  echo "$0: expected $node_dir/bin/node ($expected) first on PATH, got $(command -v node) ($actual)" >&2
  exit 1
fi

cd "$work/tree"
echo "== Node.js $actual ($node_dir/bin/node), npm $(npm --version): npm ci && npm test in a copy of the tree"
npm ci --no-audit --no-fund --prefer-offline
# The addon must load in this Node, not merely exist.
node -e 'new (require("better-sqlite3"))(":memory:").close()'
status=0
npm test || status=$?
echo "== Node.js $actual: npm test exited with $status"
exit "$status"
