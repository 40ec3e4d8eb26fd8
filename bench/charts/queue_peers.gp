# queue_peers.gp: jobs/s draining 20,000 no-op jobs, one worker of
# concurrency 4 and 8: runstore's Worker with its defaults against Graphile
# Worker and pg-boss at their documented and their performance settings
# (bench/peers.sh writes the medians).
data = ARG1
svg = ARG2
heading = "Draining 20,000 no-op jobs: runstore's Worker (defaults) against Graphile Worker and pg-boss"
load "style.gp"
set style data histogram
set style histogram clustered gap 1.5
set style fill solid 0.9 border -1
set boxwidth 0.9
set xlabel "contender (system:settings)"
set ylabel "jobs/s (each claimed, run and recorded done)"
set yrange [0:*]
set format y "%.0f"
set xtics nomirror
plot data using "c4":xtic(1) title "concurrency 4" lc rgb runstore, \
     "" using "c8" title "concurrency 8" lc rgb runstore2
