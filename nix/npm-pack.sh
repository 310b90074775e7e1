# Fetches one npm package tarball the way npm itself would: `npm pack <name>@<version>` asks the
# registry npm is configured with (its built-in default unless npm_config_registry says otherwise),
# so no registry address is written into this repository. The tarball is npm's own download, byte
# for byte; Nix checks it against the lockfile's integrity (the derivation's outputHash).
#
# Read (`.`) by the build's shell, whose options it leaves alone. Environment: spec
# (name@version), out (where the tarball goes); node and npm on PATH.
work="$(mktemp -d)" || exit 1
# Everything npm writes (its cache, Node's compile cache under TMPDIR) stays in $work.
export HOME="$work" TMPDIR="$work" npm_config_cache="$work/cache"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# --silent: only the tarball's file name goes to stdout.
(cd "$work" && npm pack --ignore-scripts --silent "$spec" > "$work/packed") || exit 1
mv -- "$work/$(tail -n 1 "$work/packed")" "$out" || exit 1
rm -rf -- "$work"
