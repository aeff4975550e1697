#!/usr/bin/env bash
# report.sh: render the main KPIs of a database as PNG charts with gnuplot
# (Debian gnuplot-nox), from the oms KPI views only (what oms_reader sees).
#
#   bench/report.sh [-o DIR] [DATABASE]        (make report REPORT_DB=shop)
#
# Connects with the usual PG* variables; DIR defaults to ./report.  Writes
#   sales-per-day.png      orders per day by channel, revenue per day by currency
#   peak-hours.png         orders by weekday and hour (UTC), a heat map
#   fulfilment-rates.png   fill rate at placement and on-time shipment rate per week
#   top-products.png       the 15 best items by revenue in the last 30 days (main currency)
#   returns-by-reason.png  units asked back per return reason
set -euo pipefail
out=report
while getopts o: opt; do
    case $opt in o) out=$OPTARG ;; *) sed -n '2,13p' "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
db=${1:-${PGDATABASE:-postgres}}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
csv() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "COPY ($2) TO STDOUT WITH (FORMAT csv)" >"$tmp/$1.csv"; }

csv channel_day "SELECT day, channel, sum(orders) FROM oms.kpi_sales_daily GROUP BY 1, 2 ORDER BY 2, 1"
csv currency_day "SELECT day, currency, sum(revenue) FROM oms.kpi_sales_daily GROUP BY 1, 2 ORDER BY 2, 1"
csv peak "SELECT h, w, COALESCE(p.orders, 0) FROM generate_series(1, 7) w CROSS JOIN generate_series(0, 23) h
          LEFT JOIN oms.kpi_peak_hours p ON p.weekday = w AND p.hour = h ORDER BY w, h"
csv fill "SELECT date_trunc('week', day)::date, sum(units_filled)::numeric / NULLIF(sum(stock_units_ordered), 0)
          FROM oms.kpi_fulfillment_daily GROUP BY 1 HAVING sum(stock_units_ordered) > 0 ORDER BY 1"
csv ontime "SELECT date_trunc('week', day)::date, sum(shipped_on_time)::numeric / NULLIF(sum(shipments_with_promise), 0)
            FROM oms.kpi_shipping_daily GROUP BY 1 HAVING sum(shipments_with_promise) > 0 ORDER BY 1"
main=$(psql -X -Atq -d "$db" -c "SELECT currency FROM oms.kpi_sales_by_channel GROUP BY 1 ORDER BY sum(orders) DESC LIMIT 1")
csv top "SELECT sku, revenue_30d FROM oms.kpi_top_products WHERE currency = '${main:-USD}' ORDER BY rank LIMIT 15"
csv reasons "SELECT reason_code, units_requested FROM oms.kpi_returns_by_reason ORDER BY units_requested DESC"

# one file and one plot clause per value of column 2 (a channel, a currency)
plot_series() {   # name column
    local f=$1 col=$2 v clause=
    while IFS= read -r v; do
        [ -n "$v" ] || continue
        awk -F, -v v="$v" '$2 == v' "$tmp/$f.csv" >"$tmp/$f.$v.series"
        clause+="${clause:+, }'$tmp/$f.$v.series' using 1:$col with lines lw 1.5 title '$v'"
    done < <(cut -d, -f2 "$tmp/$f.csv" | awk '!seen[$0]++')
    printf '%s' "${clause:-NaN notitle}"
}

gnuplot <<GP
set terminal pngcairo size 1200,700 font "sans,10"
set output '$out/sales-per-day.png'
set datafile separator ','
set xdata time
set timefmt '%Y-%m-%d'
set format x '%b %d'
set grid
set key outside right
set multiplot layout 2,1 title 'Sales per day (oms.kpi\_sales\_daily, UTC days)'
set ylabel 'orders'
plot $(plot_series channel_day 3)
set ylabel 'revenue'
plot $(plot_series currency_day 3)
unset multiplot
GP

gnuplot <<GP
set terminal pngcairo size 1000,420 font "sans,10"
set output '$out/peak-hours.png'
set datafile separator ','
set title 'Orders by weekday and hour of day, UTC (oms.kpi\_peak\_hours)'
set xrange [-0.5:23.5]
set yrange [7.5:0.5]
set xtics 0,1,23
set ytics ('Mon' 1, 'Tue' 2, 'Wed' 3, 'Thu' 4, 'Fri' 5, 'Sat' 6, 'Sun' 7)
set xlabel 'hour of day'
set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')
set cblabel 'orders'
plot '$tmp/peak.csv' using 1:2:3 with image notitle
GP

gnuplot <<GP
set terminal pngcairo size 1200,420 font "sans,10"
set output '$out/fulfilment-rates.png'
set datafile separator ','
set xdata time
set timefmt '%Y-%m-%d'
set format x '%b %d'
set format y '%.0f%%'
set yrange [*:100]
set grid
set key bottom right
set title 'Fill rate at placement and on-time shipment rate, per week (oms.kpi\_fulfillment\_daily, oms.kpi\_shipping\_daily)'
plot '$tmp/fill.csv' using 1:(\$2 * 100) with linespoints lw 2 title 'fill rate (units reserved at placement / ordered)', \
     '$tmp/ontime.csv' using 1:(\$2 * 100) with linespoints lw 2 title 'on-time shipment rate (shipped by the promised time)'
GP

gnuplot <<GP
set terminal pngcairo size 1000,480 font "sans,10"
set output '$out/top-products.png'
set datafile separator ','
set title 'Top 15 items by revenue, last 30 days, ${main:-USD} (oms.kpi\_top\_products)'
set style fill solid 0.8
set boxwidth 0.7
set xtics rotate by -45
set yrange [0:*]
set grid y
plot '$tmp/top.csv' using 0:2:xtic(1) with boxes notitle
GP

gnuplot <<GP
set terminal pngcairo size 900,420 font "sans,10"
set output '$out/returns-by-reason.png'
set datafile separator ','
set title 'Units asked back per return reason (oms.kpi\_returns\_by\_reason)'
set style fill solid 0.8
set boxwidth 0.7
set yrange [0:*]
set grid y
plot '$tmp/reasons.csv' using 0:2:xtic(1) with boxes notitle
GP
ls "$out"/*.png
