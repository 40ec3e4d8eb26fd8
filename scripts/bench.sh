#!/usr/bin/env bash
# bench.sh: set up, then run the benchmarks in bench/ (see bench/README.md).
# Run nothing else on the machine meanwhile: figures are ratios of medians,
# but a busy machine still blurs them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
exec bench/run.sh "$@"
