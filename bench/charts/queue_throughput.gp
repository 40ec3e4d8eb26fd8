# queue_throughput.gp: jobs/s through enqueue, claim and complete, by the
# number of workers, runstore against a client-side SKIP LOCKED queue
# (queue_bench --only throughput --csv).
data = ARG1
svg = ARG2
heading = "Queue throughput by worker count: runstore against a client-side SKIP LOCKED queue"
load "style.gp"
# One block per batch size: workers, runstore jobs/s, naive jobs/s.
set table $b1
plot data using "workers":"runstore_jobs_per_s":"naive_jobs_per_s" with table if (column("batch") == 1)
set table $b10
plot data using "workers":"runstore_jobs_per_s":"naive_jobs_per_s" with table if (column("batch") == 10)
unset table
set datafile separator whitespace
set xlabel "workers (log scale)"
set ylabel "jobs/s (each enqueued, claimed and completed)"
set logscale x 2
set xtics (1, 2, 4, 8, 16, 32, 64)
set yrange [0:*]
set format y "%.0f"
set offsets graph 0.05, graph 0.05, graph 0.08, 0
# Above runstore's batches of 10: how many times SKIP LOCKED's jobs/s it is.
ratio(r, n) = sprintf("%.1fx", r / n)
plot $b10 using 1:2 with linespoints lw 3 pt 7 ps 1.2 lc rgb runstore \
       title "runstore, batches of 10 (label: times SKIP LOCKED's)", \
     $b10 using 1:2:(ratio($2, $3)) with labels offset 0, 1.2 font ",10" tc rgb runstore notitle, \
     $b10 using 1:3 with linespoints lw 3 pt 5 ps 1.1 lc rgb naive title "SKIP LOCKED, batches of 10", \
     $b1 using 1:2 with linespoints lw 2 pt 6 ps 1.2 dt 2 lc rgb runstore title "runstore, one at a time", \
     $b1 using 1:3 with linespoints lw 2 pt 4 ps 1.1 dt 2 lc rgb naive title "SKIP LOCKED, one at a time"
