#!/usr/bin/env bash
# test.sh: set up, start a throwaway PostgreSQL cluster, and run every suite:
# pg_regress and the isolation tester (make installcheck), the randomized
# server tests (ctest in build/tests), the Citus suite (tests/citus/run.sh),
# then the client tests (ctest), those again behind PgBouncer
# (tests/pgbouncer/run.sh) and under the sanitizers, so the run ends with
# ctest's summary.
# Exits non-zero if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1

make -s check-versions check-schedule || exit 1

tests/scripts/cluster.sh start || { echo "could not start the test cluster"; exit 1; }
trap 'tests/scripts/cluster.sh stop' EXIT
eval "$(tests/scripts/cluster.sh env)"

failed=0

echo "== formatting (make format-check)"
make -s format-check || { echo "run make format"; failed=1; }

# Twice, with the same expected output: with runstore.direct_paths on (the
# default) and off, where every operation runs the SQL statement its direct
# path stands in for.  PGOPTIONS reaches every session pg_regress and the
# isolation tester open; a test about a direct path itself sets the switch.
for paths in on off; do
  echo "== pg_regress and isolation tester, runstore.direct_paths = $paths"
  shown=$(PGOPTIONS="-c runstore.direct_paths=$paths" psql -XAtq -c "LOAD 'runstore'" -c "SHOW runstore.direct_paths")
  [ "$shown" = "$paths" ] || { echo "sessions got runstore.direct_paths = '$shown', not $paths"; failed=1; }
  if ! PGOPTIONS="-c runstore.direct_paths=$paths" make installcheck; then
    failed=1
    for f in regression.diffs output_iso/regression.diffs; do
      [ -f "$f" ] && { echo "---- $f"; cat "$f"; }
    done
  fi
done

echo "== randomized server tests (ctest, against the same cluster)"
cmake -S tests -B build/tests >/dev/null || failed=1
(cd build/tests && ctest --output-on-failure) || failed=1

# Reliability: each script makes and drops its own database on the
# same cluster, exits non-zero on any violation and ends with a summary line.
# The memory test runs shorter here (20,000 calls per cheap case, 2,000 per
# ~1 ms case) to keep the suite well under 15 minutes; tests/memory/run.sh
# alone makes 100,000 of the cheap ones, and docs/testing.md gives the full soak.
for suite in dump upgrade fuzz memory; do
  echo "== $suite (tests/$suite/run.sh)"
  RUNSTORE_MEMORY_CALLS=${RUNSTORE_MEMORY_CALLS:-20000} \
  RUNSTORE_MEMORY_HEAVY_CALLS=${RUNSTORE_MEMORY_HEAVY_CALLS:-2000} \
  RUNSTORE_MEMORY_ERROR_CALLS=${RUNSTORE_MEMORY_ERROR_CALLS:-5000} \
    "tests/$suite/run.sh" || { echo "tests/$suite/run.sh FAILED"; failed=1; }
done

# runstore distributed on a real Citus cluster of its own (a coordinator and
# two workers, ports 54361-54363); Citus is built from ../shared/citus (or
# $CITUS_SOURCE) when it is not installed, and the suite says it skips when
# there is neither.
echo "== Citus: a coordinator and two workers (tests/citus/run.sh)"
tests/citus/run.sh || { echo "tests/citus/run.sh FAILED"; failed=1; }

echo "== client tests (ctest, against the same cluster)"
(cd build/client && ctest --output-on-failure) || failed=1

# The client, CLI and 4 workers through Debian's PgBouncer in transaction
# mode with a pool of 2, in front of the same cluster.
echo "== PgBouncer: client, CLI and workers through a transaction pooler (tests/pgbouncer/run.sh)"
tests/pgbouncer/run.sh build/client || { echo "tests/pgbouncer/run.sh FAILED"; failed=1; }

# The same client, worker and CLI tests again with AddressSanitizer (and its
# LeakSanitizer) and UndefinedBehaviorSanitizer: any report fails the test.
# The install test is left out: an uninstrumented application cannot load an
# instrumented library.
echo "== client tests under ASan + UBSan (ctest)"
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if cmake -S client -B build/client-asan -DCMAKE_BUILD_TYPE=Debug -DRUNSTORE_BUILD_EXAMPLES=OFF \
      -DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_EXE_LINKER_FLAGS="$sanitize" \
      -DCMAKE_SHARED_LINKER_FLAGS="$sanitize" >/dev/null &&
   cmake --build build/client-asan -j"$(nproc)" >/dev/null; then
  (cd build/client-asan &&
   ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -E '^install_') || failed=1
else
  echo "the sanitizer build failed"; failed=1
fi

if [ "$failed" != 0 ]; then
  echo "== some suites FAILED; server log tail:"
  tests/scripts/cluster.sh log | tail -n 40
fi
exit "$failed"
