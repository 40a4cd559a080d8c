# The plot of make sim-handoff (sim/handoff/run.sh): gnuplot -e "dir='...'; out='...'"
# Left: FAs holding a mobile's zone-1 CSA over the walk (mean over the MHs,
# the most exposed one, and one given MH's); middle: CSAs held per FA (mean and busiest FA);
# right: the key-ready latency's distribution (registration request at the
# new FA -> its zone-1 CSA usable there).
set terminal pngcairo size 1500,460 font ",10"
set output out
set multiplot layout 1,3
set key top left opaque
set grid
set xlabel "time into the walk (s)"

set title "Exposure: FAs holding an MH's zone-1 CSA"
set ylabel "FAs"
plot dir."/exposure-pkd.dat" u 1:2 w l lw 2 lc rgb "#c0392b" t "pkd mean", \
     dir."/exposure-pkd.dat" u 1:3 w l dt 2 lc rgb "#c0392b" t "pkd max", \
     dir."/exposure-pkd.dat" u 1:6 w steps lw 1 lc rgb "#e59866" t "pkd, MH 0's CSA", \
     dir."/exposure-dkm.dat" u 1:2 w l lw 2 lc rgb "#2471a3" t "dkm mean", \
     dir."/exposure-dkm.dat" u 1:3 w l dt 2 lc rgb "#2471a3" t "dkm max", \
     dir."/exposure-redistribute.dat" u 1:2 w l lw 2 lc rgb "#229954" t "redistribute mean", \
     dir."/exposure-redistribute.dat" u 1:3 w l dt 2 lc rgb "#229954" t "redistribute max"

set title "Zone-1 CSAs held per FA"
set key bottom right opaque
set ylabel "CSAs"
set logscale y
plot dir."/exposure-pkd.dat" u 1:4 w l lw 2 lc rgb "#c0392b" t "pkd mean", \
     dir."/exposure-pkd.dat" u 1:5 w l dt 2 lc rgb "#c0392b" t "pkd max", \
     dir."/exposure-dkm.dat" u 1:4 w l lw 2 lc rgb "#2471a3" t "dkm mean", \
     dir."/exposure-dkm.dat" u 1:5 w l dt 2 lc rgb "#2471a3" t "dkm max", \
     dir."/exposure-redistribute.dat" u 1:4 w l lw 2 lc rgb "#229954" t "redistribute mean", \
     dir."/exposure-redistribute.dat" u 1:5 w l dt 2 lc rgb "#229954" t "redistribute max"
unset logscale y

set title "Key-ready latency (CDF over handoffs; 0.5 ms or less drawn at 0.5)"
set xlabel "registration request at the new FA -> zone-1 CSA usable there (ms)"
set ylabel "fraction of handoffs"
set logscale x
set xrange [0.5:*]
set key bottom right opaque
plot dir."/latency-pkd.dat" u ($1 < 0.5 ? 0.5 : $1):2 w l lw 2 lc rgb "#c0392b" t "pkd", \
     dir."/latency-dkm.dat" u ($1 < 0.5 ? 0.5 : $1):2 w l lw 2 lc rgb "#2471a3" t "dkm", \
     dir."/latency-redistribute.dat" u ($1 < 0.5 ? 0.5 : $1):2 w l lw 2 lc rgb "#229954" t "redistribute"
unset multiplot
