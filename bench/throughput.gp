# throughput.gp: throughput against clients for every workload of
# bench/run.sh, synchronous_commit on (left) and off (right), from the raw
# numbers in bench/results/sync-on.csv and sync-off.csv.  From the
# repository's root:
#
#   gnuplot -e "results='bench/results'" bench/throughput.gp
#
# writes bench/results/throughput.png.
if (!exists("results")) results = 'bench/results'
set terminal pngcairo size 1500,760 font "sans,10"
set output results.'/throughput.png'
set datafile separator ','
set logscale x 2
set xtics ("1 client" 1, "8 clients" 8, "32 clients" 32, "128 clients" 128)
set xrange [0.8:160]
set yrange [0:*]
set grid
set key below box maxrows 3 font "sans,9"
set ylabel 'transactions per second'
workloads = 'tpcb po3 po3_quiet client3 po15 neworder mix flash spread'
titles = 'TPC-B|place\_order 3 lines|place\_order 3 lines, notify off|client-side 3 lines (baseline)|place\_order 5-15 lines|TPC-C New-Order PL/pgSQL (baseline)|order mix (TPC-C shaped)|flash sale, one sku|spread, 1000 skus'
title_of(i) = system(sprintf("echo '%s' | cut -d'|' -f%d", titles, i))
rows(file, w) = sprintf("< awk -F, '$1 == \"%s\"' %s", w, file)
# baselines (TPC-B, client-side, New-Order) dashed
do for [i=1:9] {
    if (i == 1 || i == 4 || i == 6) {
        set linetype i lw 2 pt (i + 3) ps 1.2 dt 2
    } else {
        set linetype i lw 2 pt (i + 3) ps 1.2 dt 1
    }
}
set multiplot layout 1,2 title 'oms: throughput against clients (pgbench -M prepared; 2 shared cores)'
do for [sync in 'on off'] {
    file = results.'/sync-'.sync.'.csv'
    set title 'synchronous\_commit = '.sync
    plot for [i=1:words(workloads)] rows(file, word(workloads, i)) using 2:3 \
         with linespoints lt i title title_of(i)
}
unset multiplot
