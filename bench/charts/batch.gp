# batch.gp: one batched call against one statement per id, ms per batch by
# batch size: lookups (get_executions_by_ids) on the left, deletes
# (delete_many) on the right (batch_bench --csv).
data = ARG1
svg = ARG2
heading = "Batch lookups and deletes against one statement per id: ms per batch"
load "style.gp"
# One block per operation: batch_size, loop_ms, runstore_ms.
set table $get
plot data using "batch_size":"loop_ms":"runstore_ms" with table if (strcol("op") eq "get")
set table $delete
plot data using "batch_size":"loop_ms":"runstore_ms" with table if (strcol("op") eq "delete")
unset table
set datafile separator whitespace
set xlabel "ids per batch (log scale)"
set logscale xy
set format y "%g"
set offsets graph 0.06, graph 0.06, 0, 0
set key outside bottom center vertical height 1.5
# Under each batched point: how many times faster than the loop it is.
ratio(loop, batched) = loop / batched < 9.95 ? sprintf("%.1fx", loop / batched) : sprintf("%.0fx", loop / batched)
set multiplot layout 1, 2
set ylabel "ms per batch (log scale)"
set title "lookups"
plot $get using 1:2 with linespoints lw 2 pt 6 ps 1.1 dt 2 lc rgb naive title "one SELECT per id", \
     $get using 1:3 with linespoints lw 3 pt 7 ps 1.2 lc rgb runstore \
       title "get_executions_by_ids (label: times faster)", \
     $get using 1:3:(ratio($2, $3)) with labels offset 0, -1.3 font ",10" tc rgb runstore notitle
unset label 98
unset label 99
unset ylabel
set title "deletes"
plot $delete using 1:2 with linespoints lw 2 pt 4 ps 1.1 dt 2 lc rgb naive title "one autocommit DELETE per id", \
     $delete using 1:3 with linespoints lw 3 pt 5 ps 1.1 lc rgb runstore \
       title "delete_many (label: times faster)", \
     $delete using 1:3:(ratio($2, $3)) with labels offset 0, -1.3 font ",10" tc rgb runstore notitle
unset multiplot
