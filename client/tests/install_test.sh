#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR: installs the client from BUILD_DIR
# into a fresh prefix, builds the example application against it twice (CMake
# package config, then pkg-config), and runs both against the server the PG*
# variables name, checking they print the status of a real execution.
set -euo pipefail
build=$1
src=$2
work=$build/install-test
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/runstore/client.hpp include/runstore/worker.hpp lib/librunstore.so \
         lib/cmake/runstore/runstoreConfig.cmake lib/pkgconfig/runstore.pc bin/runstore; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
if grep -rq "libpq-fe.h" "$prefix/include/runstore"; then
  echo "a public header includes libpq-fe.h"; exit 1
fi

# 1. CMake: find_package(runstore) with the prefix on CMAKE_PREFIX_PATH.
cmake -S "$src/tests/install" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
# 2. pkg-config: the flags a Makefile user would take.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046
g++ -std=c++17 -Wall -Wextra -o "$work/status_example_pc" "$src/examples/status_example.cpp" \
    $(pkg-config --cflags --libs runstore)

db=runstore_install_test_$$
psql -qX -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
psql -qX -d "$db" -c "CREATE EXTENSION runstore" >/dev/null
id=$(psql -qXAt -d "$db" -c "INSERT INTO runstore.executions (workspace_id) VALUES (1) RETURNING id")
want="$id	queued"

got=$(PGDATABASE=$db "$work/cmake/status_example" "$id")
[ "$got" = "$want" ] || { echo "find_package build printed '$got', want '$want'"; exit 1; }
got=$(PGDATABASE=$db LD_LIBRARY_PATH=$prefix/lib "$work/status_example_pc" "$id")
[ "$got" = "$want" ] || { echo "pkg-config build printed '$got', want '$want'"; exit 1; }
# The installed CLI runs from its prefix without LD_LIBRARY_PATH.
got=$(PGDATABASE=$db "$prefix/bin/runstore" status --json "$id" | grep -c "$id")
[ "$got" -ge 1 ] || { echo "the installed CLI did not show $id"; exit 1; }
echo "installed package: find_package and pkg-config builds ran and printed: $want"
