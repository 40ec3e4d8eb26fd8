#!/usr/bin/env bash
# setup.sh: everything runstore needs on a Debian 12 machine, then build and
# install the extension and build the client.  Idempotent: packages already
# present are not fetched again.
#
# Run as root (or with sudo available): it installs Debian packages and
# copies runstore into PostgreSQL's extension directory.
set -euo pipefail
cd "$(dirname "$0")/.."

# Why each package is here:
#   postgresql-15, postgresql-client-15  the server the extension runs in, psql
#   postgresql-server-dev-15             PGXS, server headers, pg_regress, isolationtester
#   clang-14, llvm-14                    PGXS's LLVM bitcode compile (JIT inlining)
#   libpq-dev, pkg-config                the client library's only dependency
#   g++, make, cmake                     builds
#   libgtest-dev                         the client's test framework
#   nlohmann-json3-dev                   JSON in and out of the CLI (header-only; not in the library)
#   libcli11-dev                         the CLI's option parsing and --help (header-only; not in the library)
#   sqlsmith                             random-SQL fuzzing of the server with runstore installed (tests/fuzz)
#   clang-format                         the one formatting of the C++ sources (make format-check)
#   pgbouncer                            the client, CLI and workers tested behind a transaction pooler (tests/pgbouncer)
packages=(postgresql-15 postgresql-client-15 postgresql-server-dev-15 clang-14 llvm-14
          libpq-dev pkg-config g++ make cmake libgtest-dev nlohmann-json3-dev libcli11-dev sqlsmith clang-format
          pgbouncer)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc)
echo "== building and installing the extension"
make -s -j"$jobs" >/dev/null
as_root make -s install >/dev/null

echo "== building the client library, CLI and tests"
cmake -S client -B build/client -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/client -j"$jobs" >/dev/null
echo "== setup done"
