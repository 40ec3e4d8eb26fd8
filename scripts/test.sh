#!/usr/bin/env bash
# test.sh: set up, start a throwaway PostgreSQL cluster, and run every suite:
# pg_regress and the isolation tester (make installcheck), the randomized
# server tests (ctest in build/tests), then the client tests (ctest).
# Exits non-zero if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1

make -s check-versions check-schedule || exit 1

tests/scripts/cluster.sh start || { echo "could not start the test cluster"; exit 1; }
trap 'tests/scripts/cluster.sh stop' EXIT
eval "$(tests/scripts/cluster.sh env)"

failed=0

echo "== pg_regress and isolation tester"
if ! make installcheck; then
  failed=1
  for f in regression.diffs output_iso/regression.diffs; do
    [ -f "$f" ] && { echo "---- $f"; cat "$f"; }
  done
fi

echo "== randomized server tests (ctest, against the same cluster)"
cmake -S tests -B build/tests >/dev/null || failed=1
(cd build/tests && ctest --output-on-failure) || failed=1

echo "== client tests (ctest, against the same cluster)"
(cd build/client && ctest --output-on-failure) || failed=1

if [ "$failed" != 0 ]; then
  echo "== some suites FAILED; server log tail:"
  tests/scripts/cluster.sh log | tail -n 40
fi
exit "$failed"
