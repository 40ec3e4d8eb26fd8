#!/usr/bin/env bash
# install_citus.sh: makes sure Citus is installed into this machine's
# PostgreSQL 15, building it from source when it is not.
#
# Exit status: 0 Citus is installed (it was, or it now is); 2 it is not and
# there is no source to build it from (the caller skips the Citus suites);
# 1 the build failed.
#
# The source: $CITUS_SOURCE (a folder holding citus-*.tar.gz and, optionally,
# *.patch files to apply to it), else ../shared/citus beside the repository.
# Citus is a test dependency only (AGPL-3.0): nothing of it is linked into or
# shipped with runstore.
set -euo pipefail
cd "$(dirname "$0")/../.."

pkglibdir=$(pg_config --pkglibdir)
if [ -f "$pkglibdir/citus.so" ]; then
  exit 0
fi

source_dir=${CITUS_SOURCE:-$(cd .. && pwd)/shared/citus}
tarball=$(ls "$source_dir"/citus-*.tar.gz 2>/dev/null | head -n 1 || true)
if [ -z "$tarball" ]; then
  echo "install_citus.sh: Citus is not installed and there is no source in $source_dir (set CITUS_SOURCE)"
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "install_citus.sh: building Citus needs root (it installs into $pkglibdir)"
  exit 2
fi

# What the build needs beyond the server headers setup.sh installs: Debian's
# pg_config.h enables lz4 and zstd, and Citus includes libpq's internal
# headers, which need krb5's; patch applies the source folder's patches.
missing=()
for pkg in liblz4-dev libzstd-dev libkrb5-dev patch; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  # scripts/setup.sh updates the package lists when it installs anything;
  # update them here only if they were never fetched.
  if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
    apt-get update -q >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/citus-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "install_citus.sh: building Citus from $tarball (about 2 minutes)"
tar xzf "$tarball" -C "$work"
src=$(ls -d "$work"/citus-*/ | head -n 1)
for p in "$source_dir"/*.patch; do
  [ -f "$p" ] && (cd "$src" && patch -s -p1 <"$p")
done
# --without-libcurl: libcurl only serves Citus's anonymous statistics.
# with_llvm=no: no LLVM bitcode (it doubles the build time; JIT is not tested).
(cd "$src" && ./configure -q --without-libcurl >"$work/configure.log" 2>&1 &&
  make -s -j"$(nproc)" with_llvm=no >"$work/make.log" 2>&1 &&
  make -s install with_llvm=no >"$work/install.log" 2>&1) || {
  echo "install_citus.sh: the Citus build failed; the end of its logs:"
  tail -n 30 "$work"/*.log
  exit 1
}
echo "install_citus.sh: Citus installed into $pkglibdir"
