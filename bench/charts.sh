#!/usr/bin/env bash
# charts.sh: draw bench/charts/*.svg from the benchmarks' series (CSV).
#
#   bench/charts.sh [RESULTS_DIR]   copy the series `bench/run.sh charts` wrote
#                                   (default build/bench-results) into bench/charts/,
#                                   then draw every chart from bench/charts/
#   bench/charts.sh --render-only   draw from the CSVs already in bench/charts/
#                                   (no benchmark, no cluster)
#
# Chart NAME is bench/charts/NAME.gp (gnuplot) over NAME.csv, drawn to
# NAME.svg. The CSVs stay beside the SVGs, checked in, so a chart's look can
# change without measuring again; each CSV's first line says how it was
# measured, and the chart prints it at its foot.
set -euo pipefail
cd "$(dirname "$0")/.."

charts=(recent_read batch queue_throughput queue_peers)
dir=bench/charts

render_only=false
results=build/bench-results
case "${1:-}" in
  --render-only) render_only=true ;;
  -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
  -*) echo "usage: $0 [--render-only | RESULTS_DIR]" >&2; exit 2 ;;
  "") ;;
  *) results=$1 ;;
esac

# gnuplot serves these charts alone, so scripts/setup.sh does not install
# it; it is installed here on first use, as setup.sh installs its packages.
if ! command -v gnuplot >/dev/null; then
  how="install it with: apt-get install --no-install-recommends gnuplot-nox"
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "charts.sh: gnuplot is missing (not root, no sudo); $how" >&2
    exit 1
  fi
  echo "== installing Debian package gnuplot-nox (draws the charts)"
  if ! { "${as_root[@]}" apt-get update -qq &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null; }; then
    echo "charts.sh: could not install gnuplot; $how" >&2
    exit 1
  fi
fi

if [ "$render_only" = false ]; then
  copied=0
  for c in "${charts[@]}"; do
    # A series run alone (one program with --csv) replaces its chart's data only.
    if [ -f "$results/$c.csv" ]; then
      cp "$results/$c.csv" "$dir/$c.csv"
      copied=$((copied + 1))
    fi
  done
  if [ "$copied" = 0 ]; then
    echo "charts.sh: no series in $results; run bench/run.sh charts first, or use --render-only" >&2
    exit 1
  fi
fi

for c in "${charts[@]}"; do
  if [ ! -f "$dir/$c.csv" ]; then
    echo "charts.sh: $dir/$c.csv is missing; run bench/run.sh charts" >&2
    exit 1
  fi
  # From the charts' directory, so each .gp finds style.gp and its CSV by name.
  (cd "$dir" && gnuplot -c "$c.gp" "$c.csv" "$c.svg")
  echo "== $dir/$c.svg"
done
