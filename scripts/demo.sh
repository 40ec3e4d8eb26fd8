#!/usr/bin/env bash
# demo.sh: set up, start a throwaway PostgreSQL cluster, and show runstore's
# batch functions at work on generated data (scripts/demo.sql).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

tests/scripts/cluster.sh start
trap 'tests/scripts/cluster.sh stop' EXIT
eval "$(tests/scripts/cluster.sh env)"

psql -X -q -v ON_ERROR_STOP=0 -f scripts/demo.sql
