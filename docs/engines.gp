# vessel bench engines: ns per operation on each engine (log scale).
# Written by `vessel bench engines`; run from its directory: gnuplot docs/engines.gp
set terminal svg size 960,540 dynamic font 'sans,12' background '#ffffff'
set output 'engines.svg'
set datafile separator ','
set datafile missing 'na'
set datafile columnheaders
set title 'vessel: cost of one operation per engine (ns, log scale)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y '10^{%L}'
set ylabel 'ns per operation'
set grid ytics
set key top left
set xtics rotate by -30 nomirror
plot 'engines.csv' using 3:xtic(1) title 'soft', 'engines.csv' using 4:xtic(1) title 'soft+pv', 'engines.csv' using 5:xtic(1) title 'kvm', 'engines.csv' using 6:xtic(1) title 'kvm+pv'
