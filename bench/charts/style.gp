# style.gp: what the charts share; each NAME.gp loads it first.
# NAME.gp runs as `gnuplot -c NAME.gp NAME.csv NAME.svg` from this
# directory (bench/charts.sh) and sets data and svg from its arguments, and
# heading, before loading this file (a loaded file does not see them).
set terminal svg size 860,560 dynamic noenhanced font "Helvetica,13" background rgb "white"
set output svg
set datafile separator ","
set border 3 lw 1 lc rgb "#555555"
set tics nomirror
set grid xtics ytics mytics lw 1 lc rgb "#e4e4e4", lw 1 lc rgb "#f2f2f2"
# Under the plot, where no data can hide behind it.
set key outside bottom center horizontal Left reverse samplen 3 spacing 1.1 width 1 height 1.5
# The heading, and under it the CSV's first line ("# how it was measured").
note = system(sprintf("sed -n '1s/^# //p' '%s'", data))
set tmargin 5
set label 98 heading at screen 0.5, screen 0.965 center font ",15"
set label 99 note at screen 0.5, screen 0.925 center font ",10" tc rgb "#666666"
# runstore in blues, the alternatives in warm colours, in every chart.
runstore = "#1f5fbf"
runstore2 = "#0b7285"
naive = "#d9480f"
naive2 = "#a61e4d"
other = "#e8a33d"
# 130000 -> "130k", 1000000 -> "1M": axis labels that stay short.
si(x) = x >= 1e6 ? sprintf("%.3gM", x / 1e6) : x >= 1e3 ? sprintf("%.3gk", x / 1e3) : sprintf("%d", int(x))
