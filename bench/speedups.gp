# The speed-up chart: how many times faster cx is than each peer, per case.
#   gnuplot -e "data='speedups.dat'; out='benchmarks.svg'" bench/speedups.gp
# data: lines of "<case> vs <impl>" <peer ns / cx ns>, as cx-bench --chart writes.
set terminal svg size 1100,620 dynamic font "sans,11" background "white"
set output out
set title "cx against its peers: peer's time / cx's time (log scale; above 1, cx is faster)" noenhanced
set logscale y 10
set yrange [0.1:*]
set ylabel "times faster than the peer"
set xrange [-0.6:*]
set xtics rotate by 35 right noenhanced nomirror font ",9"
set grid ytics
set style fill solid 0.85 border -1
set boxwidth 0.7
unset key
set bmargin 11
set lmargin 16
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
plot data using 0:2:($2 >= 1 ? 0x3b7dd8 : 0xd8553b):xtic(1) with boxes lc rgb variable, \
     data using 0:2:(sprintf("%.3g", $2)) with labels offset 0,0.6 font ",8"
