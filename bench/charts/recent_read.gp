# recent_read.gp: the 4 most recent workflows of a workspace, ms per read,
# three ways, on each workspace shape of bench/recent_load.sql
# (recent_read_bench --csv), smallest workspace first.
data = ARG1
svg = ARG2
heading = "The 4 most recent workflows of a workspace: ms per read, by workspace size"
load "style.gp"
set xlabel "runs in the workspace (and its workflows)" offset 0, -1.2
set ylabel "ms per read (log scale)"
set logscale y
set format y "%g"
set xrange [0:*]
set offsets graph 0.06, graph 0.1, 0, 0
shape(r, w) = sprintf("%s runs\n%s workflow%s", si(r), si(w), w == 1 ? "" : "s")
ms(v) = v < 10 ? sprintf("%.2g", v) : sprintf("%.0f", v)
plot data using "runs":"distinct_on_ms":xtic(shape(column("runs"), column("workflows"))) \
       with linespoints lw 2.5 pt 7 ps 1.2 lc rgb naive title "DISTINCT ON (the usual query)", \
     ""  using "runs":"loose_scan_ms" with linespoints lw 2.5 pt 5 ps 1.1 dt 2 lc rgb other \
       title "loose index scan (recursive CTE)", \
     ""  using "runs":"runstore_ms" with linespoints lw 3 pt 9 ps 1.4 lc rgb runstore \
       title "runstore.recent_workflows", \
     ""  using "runs":"distinct_on_ms":(ms(column("distinct_on_ms"))) with labels offset 0, -1.2 font ",10" \
       tc rgb naive notitle, \
     ""  using "runs":"loose_scan_ms":(ms(column("loose_scan_ms"))) with labels offset 0, 1.1 font ",10" \
       tc rgb other notitle, \
     ""  using "runs":"runstore_ms":(ms(column("runstore_ms"))) with labels offset 0, 1.2 font ",10" \
       tc rgb runstore notitle
