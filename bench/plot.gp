# plot.gp - the benchmark chart (gnuplot; bench/run.sh passes the data)
#
# gnuplot -e "load_data='runs-with-load.tsv'; all_data='runs.tsv'; output='bench.png'" plot.gp
# Top: latency percentiles per run (log scale). Middle: server CPU per
# delivery. Bottom: server RSS per connection (every run, S3 is the one
# that matters).
set terminal pngcairo size 2000,1400 noenhanced font ",10"
set output output
set datafile separator "\t"
set key autotitle columnhead top left
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30
set grid ytics
set multiplot layout 3,1 title "zchat vs InspIRCd and ngIRCd (bench/run.sh)"

set title "end-to-end latency (ms, log scale)"
set logscale y
plot load_data using (column("p50_us")/1000):xtic(strcol("label")." ".strcol("server")) title "p50", \
     '' using (column("p99_us")/1000) title "p99", \
     '' using (column("p999_us")/1000) title "p99.9", \
     '' using (column("max_us")/1000) title "max"
unset logscale y

set title "server CPU per delivery (us, log scale; lower is better)"
set logscale y
plot load_data using (column("cpu_us_per_delivery")):xtic(strcol("label")." ".strcol("server")) title "CPU us/delivery"
unset logscale y

set title "server RSS per connection above baseline (KB)"
plot all_data using (column("rss_kb_per_conn")):xtic(strcol("label")." ".strcol("server")) title "KB/connection"
unset multiplot
