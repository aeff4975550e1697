#!/usr/bin/env bash
# kpi_timing.sh: build a shop with bench/generate.sh on a throwaway cluster
# and time every KPI view (issue 14).
#
#   KPI_ORDERS=100000 bash bench/kpi_timing.sh
#
# KPI_ORDERS (default 100000), KPI_ITEMS (default ORDERS / 10), KPI_DAYS
# (default 365), KPI_WORKERS (default 2).  For each view: SELECT * run 5
# times, the median execution time from EXPLAIN (ANALYZE, TIMING OFF) (the
# server's work without the clock reads of per-node timing, which cost as
# much as the work itself on views of 100,000 rows and more) and the rows; and
# the one-item lookups.  Writes bench/results/kpi-timing.md (the table) and
# bench/results/kpi-explain.txt (EXPLAIN (ANALYZE, BUFFERS) of each view),
# and the charts of bench/report.sh into bench/results/kpi/.  With
# KPI_SCALE=1 it then grows the rollups, items and levels to the size a
# year of 1,000,000 orders over 100,000 items and 10 locations gives them
# (bench/kpi_scale.sql: synthetic rows) and times everything again
# (kpi-timing-1m.md, kpi-explain-1m.txt).  With KPI_KEEP=1 the cluster is
# kept (OMS_KEEP).
# Holds the harness lock for the whole run.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

n=${KPI_ORDERS:-100000}
items=${KPI_ITEMS:-$(( n / 10 > 200 ? n / 10 : 200 ))}
days=${KPI_DAYS:-365}
workers=${KPI_WORKERS:-2}
results=${BENCH_RESULTS:-$OMS_ROOT/bench/results}
db=oms_kpi
OMS_PORT=${KPI_PORT:-54339}
[ -n "${KPI_KEEP:-}" ] && export OMS_KEEP=1

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_psql -q -c "CREATE DATABASE $db" && oms_psql -q -d "$db" -c 'CREATE EXTENSION oms'
cp "$OMS_ROOT"/bench/generate.sql "$OMS_ROOT"/bench/generate.sh "$OMS_TMP/"
oms_is_root && chown postgres "$OMS_TMP"/generate.*
oms_as_pg env PATH="$OMS_BINDIR:$PATH" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres \
    bash "$OMS_TMP/generate.sh" -n "$n" -i "$items" -d "$days" -w "$workers" "$db"

views=$(oms_psql -Atq -d "$db" -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
                                     WHERE relnamespace = 'oms'::regnamespace AND relkind = 'v' AND relname LIKE 'kpi\_%'")
mkdir -p "$results"
oms_as_pg env PATH="$OMS_BINDIR:$PATH" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres \
    bash "$OMS_ROOT/bench/report.sh" -o "$OMS_TMP/kpi" "$db" >/dev/null
mkdir -p "$results/kpi" && cp "$OMS_TMP"/kpi/*.png "$results/kpi/"
sizes() {
    oms_psql -Atq -d "$db" -c "SELECT format('%s orders, %s order lines, %s shipments, %s returns, %s items, %s item-locations, %s purchase orders; rollups: %s item-days, %s item-location-days, %s sales hours',
        (SELECT count(*) FROM oms.sales_order), (SELECT count(*) FROM oms.order_line), (SELECT count(*) FROM oms.shipment),
        (SELECT count(*) FROM oms.return_authorization), (SELECT count(*) FROM oms.item), (SELECT count(*) FROM oms.inventory_level),
        (SELECT count(*) FROM oms.purchase_order), (SELECT count(*) FROM oms.kpi_item_day), (SELECT count(*) FROM oms.kpi_stock_day),
        (SELECT count(*) FROM oms.kpi_sales_hour))"
}
time_query() {   # md explain label sql
    local md=$1 ex=$2 label=$3 sql=$4 i ms rows all=()
    for i in 1 2 3 4 5; do
        read -r ms rows < <(oms_psql -Atq -d "$db" -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $sql" |
            python3 -c 'import json,sys; p=json.load(sys.stdin)[0]; print(p["Execution Time"], p["Plan"]["Actual Rows"])')
        all+=("$ms")
    done
    ms=$(printf '%s\n' "${all[@]}" | sort -n | sed -n 3p)
    printf '| `%s` | %s | %.1f |\n' "$label" "$rows" "$ms" | tee -a "$md"
    { echo "=== $label"; oms_psql -Atq -d "$db" -c "EXPLAIN (ANALYZE, BUFFERS) $sql"; echo; } >>"$ex"
}
time_all() {   # md explain note
    local md=$1 ex=$2 v item
    {
        echo "Data set: $(sizes)$3."
        echo
        echo "| query | rows | median ms (5 runs) |"
        echo "| --- | ---: | ---: |"
    } >"$md"
    : >"$ex"
    echo "== timings (also in $md)"
    views=$(oms_psql -Atq -d "$db" -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
                                         WHERE relnamespace = 'oms'::regnamespace AND relkind = 'v' AND relname LIKE 'kpi\_%'")
    for v in $views; do
        time_query "$md" "$ex" "SELECT * FROM oms.$v" "SELECT * FROM oms.$v"
    done
    item=$(oms_psql -Atq -d "$db" -c "SELECT item_id FROM oms.item ORDER BY item_id LIMIT 1 OFFSET 10")
    time_query "$md" "$ex" "kpi_inventory WHERE item_id = $item" "SELECT * FROM oms.kpi_inventory WHERE item_id = $item"
    time_query "$md" "$ex" "kpi_item_sales_daily WHERE item_id = $item" "SELECT * FROM oms.kpi_item_sales_daily WHERE item_id = $item"
    time_query "$md" "$ex" "kpi_returns_by_product WHERE item_id = $item" "SELECT * FROM oms.kpi_returns_by_product WHERE item_id = $item"
    time_query "$md" "$ex" "kpi_top_products ORDER BY currency, rank LIMIT 10" "SELECT * FROM oms.kpi_top_products ORDER BY currency, rank LIMIT 10"
    time_query "$md" "$ex" "kpi_sales_daily WHERE day >= current_date - 30" "SELECT * FROM oms.kpi_sales_daily WHERE day >= current_date - 30"
    time_query "$md" "$ex" "kpi_sales_hourly WHERE hour >= now() - interval '2 days'" "SELECT * FROM oms.kpi_sales_hourly WHERE hour >= now() - interval '2 days'"
    time_query "$md" "$ex" "order_tracking WHERE order_number = 'SO-000500'" "SELECT * FROM oms.order_tracking WHERE order_number = 'SO-000500'"
}
time_all "$results/kpi-timing.md" "$results/kpi-explain.txt" " (bench/generate.sh -n $n -i $items -d $days -w $workers)"
if [ -n "${KPI_SCALE:-}" ]; then
    echo "== growing the rollups, items and levels to the 1M-order size (bench/kpi_scale.sql)"
    oms_psql -q -d "$db" -f "$OMS_ROOT/bench/kpi_scale.sql"
    time_all "$results/kpi-timing-1m.md" "$results/kpi-explain-1m.txt" "; the rollups, items and levels grown by bench/kpi_scale.sql (synthetic rows) to a year of 1M orders"
fi
