# Where each package of package-lock.json comes from, for nixpkgs' importNpmLock.
#
# npm writes this project's lockfile without `resolved` URLs (its omit-lockfile-registry-resolved
# setting): an entry has a path, a version and an integrity hash, and npm fetches the tarball from
# whatever registry it is configured with. importNpmLock needs a source for every entry instead (an
# entry without one breaks it with "attribute 'resolved' missing"). This gives one to each entry
# that has no `resolved`, keeping the lockfile exactly as npm writes it and writing no registry
# address into the repository:
#   registry = null (the default): a fixed-output derivation runs `npm pack name@version`
#     (./npm-pack.sh), so npm's own default registry is used, as for `npm ci`;
#   registry = "https://…": the tarball URL every npm registry serves,
#     <registry>/<name>/-/<name without scope>-<version>.tgz, fetched with fetchurl (for a mirror).
# Both are checked against the lockfile's integrity. Entries that have a `resolved` (a git or file
# dependency, or a lockfile written with URLs), links and bundled packages are left to importNpmLock.
# Optional packages for another platform (their `os`, `cpu` or `libc` exclude the host: the native
# builds of esbuild, rolldown and the like for every other system) get no source: `npm ci` skips
# them without fetching, and the build does not download them.
{
  lib,
  stdenvNoCC,
  fetchurl,
  nodejs,
  cacert,
  # The parsed package-lock.json (lockfileVersion 2 or 3: the `packages` map).
  packageLock,
  # Base URL of an npm registry to fetch from; null (default): ask npm.
  registry ? null,
}:

let
  packages =
    packageLock.packages
      or (throw "package-lock.json has no `packages` map: lockfileVersion 2 or 3 (npm 7 or newer) is needed");

  # "node_modules/a/node_modules/@s/b" is the package "@s/b"; an alias (an `npm:` spec) names its
  # real package in `name`.
  packageName = path: entry: entry.name or (lib.last (lib.splitString "node_modules/" path));

  # The host as npm names it (process.platform, process.arch, and the libc on Linux).
  host = stdenvNoCC.hostPlatform;
  npmOs = host.parsed.kernel.name;
  npmCpu =
    {
      x86_64 = "x64";
      aarch64 = "arm64";
      i686 = "ia32";
      armv6l = "arm";
      armv7l = "arm";
      powerpc64le = "ppc64";
      s390x = "s390x";
      riscv64 = "riscv64";
      loongarch64 = "loong64";
    }
    .${host.parsed.cpu.name} or host.parsed.cpu.name;
  npmLibc = if host.isMusl then "musl" else "glibc";
  # npm's rule for `os`/`cpu`/`libc` lists: a "!name" entry excludes, plain entries allow only themselves.
  allows =
    list: value:
    !(lib.elem "!${value}" list)
    && (
      let
        allowed = lib.filter (name: !(lib.hasPrefix "!" name)) list;
      in
      allowed == [ ] || lib.elem value allowed
    );
  forHost =
    entry:
    allows (entry.os or [ ]) npmOs
    && allows (entry.cpu or [ ]) npmCpu
    && (!host.isLinux || allows (entry.libc or [ ]) npmLibc);
  optional = entry: entry.optional or false || entry.devOptional or false;

  needsSource =
    path: entry:
    path != ""
    && !(entry.link or false)
    && !(entry.inBundle or false)
    && !(entry ? resolved)
    && (forHost entry || !optional entry);

  integrityOf =
    path: entry:
    entry.integrity
      or (throw "package-lock.json: ${path} has neither `resolved` nor `integrity`; run `npm install` to complete the lockfile");

  tarballUrl =
    name: version:
    "${lib.removeSuffix "/" registry}/${name}/-/${lib.last (lib.splitString "/" name)}-${version}.tgz";

  storeName =
    name: version:
    "${lib.strings.sanitizeDerivationName (lib.replaceStrings [ "@" "/" ] [ "" "-" ] name)}-${version}.tgz";

  fromRegistry =
    path: entry:
    let
      name = packageName path entry;
    in
    fetchurl {
      name = storeName name entry.version;
      url = tarballUrl name entry.version;
      hash = integrityOf path entry;
    };

  fromNpm =
    path: entry:
    let
      name = packageName path entry;
    in
    stdenvNoCC.mkDerivation {
      name = storeName name entry.version;
      spec = "${name}@${entry.version}";
      nativeBuildInputs = [ nodejs ];
      buildCommand = ". ${./npm-pack.sh}";
      outputHash = integrityOf path entry;
      outputHashMode = "flat";
      # A fixed-output derivation may reach the network; proxies and a registry mirror pass through.
      impureEnvVars = lib.fetchers.proxyImpureEnvVars ++ [ "npm_config_registry" ];
      SSL_CERT_FILE = "${cacert}/etc/ssl/certs/ca-bundle.crt";
      NODE_EXTRA_CA_CERTS = "${cacert}/etc/ssl/certs/ca-bundle.crt";
      preferLocalBuild = true;
    };
in
{
  # For importNpmLock's packageSourceOverrides: lockfile path → the package's tarball.
  packageSourceOverrides = lib.mapAttrs (if registry == null then fromNpm else fromRegistry) (
    lib.filterAttrs needsSource packages
  );
}
