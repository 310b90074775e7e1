# The systems the flake builds the package for, and the package's meta.platforms: Linux only, as the
# NixOS module (systemd) is; the same list in both places.
[
  "x86_64-linux"
  "aarch64-linux"
]
