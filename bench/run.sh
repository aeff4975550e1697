#!/usr/bin/env bash
# run.sh: the oms benchmarks of DESIGN.md section 11, in one run on one
# throwaway cluster (synchronous_commit on, the default), so the ratios
# compare like with like.
#
#   tpcb          pgbench's built-in TPC-B (-i -s 8): the baseline
#   place_order   oms.place_order, 3 lines over 1000 skus (place_order.sql)
#   client        the same order as 14 client statements (place_order_client.sql)
#   flash         one sku, 1 unit per order, 32 clients (flash_sale.sql)
#   spread        the flash workload over 1000 skus, 32 clients (spread_sale.sql)
#
# tpcb, place_order and client run at 1, 8 and 32 clients.  Every run lasts
# BENCH_SECONDS (default 10); the whole takes about 11 x BENCH_SECONDS plus a
# minute of set-up.  BENCH_CLIENTS="1 8 32" changes the client counts.
# Ends with a table of TPS and the ratios, and fails if the oms data set is
# inconsistent afterwards (check_inventory, check_reservations).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seconds=${BENCH_SECONDS:-10}
clients=${BENCH_CLIENTS:-1 8 32}
bench_dir=$OMS_ROOT/bench
db=oms_bench
declare -A tps

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
cp "$bench_dir"/*.sql "$OMS_TMP/"
chmod 644 "$OMS_TMP"/*.sql

# pgbench_run NAME CLIENTS DATABASE [pgbench options...]: one timed run,
# after a checkpoint so no run pays for another's dirty pages.
pgbench_run() {
    local name=$1 c=$2 database=$3 out jobs
    shift 3
    jobs=$(( c < 4 ? c : 4 ))
    oms_psql -q -d "$database" -c 'CHECKPOINT'
    out=$("$OMS_BINDIR/pgbench" -n -M prepared -c "$c" -j "$jobs" -T "$seconds" \
          "$@" "$database" 2>&1) || { echo "$out"; return 1; }
    if grep -q 'number of failed transactions: [1-9]' <<<"$out"; then
        echo "$out"; echo "$name at $c clients: failed transactions" >&2; return 1
    fi
    tps[$name,$c]=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    printf '   %-12s %3d clients  %10.1f tps\n' "$name" "$c" "${tps[$name,$c]}"
}

echo "== set-up: TPC-B scale 8 in database tpcb, oms data set in database $db"
oms_psql -q -c 'CREATE DATABASE tpcb' -c "CREATE DATABASE $db"
"$OMS_BINDIR/pgbench" -q -i -s 8 tpcb >/dev/null 2>&1
oms_psql -q -d "$db" -f "$OMS_TMP/setup.sql" >/dev/null
# A shop has order history: without it the order tables are analyzed empty
# (reltuples 0), the saved plans seq-scan them (foreign-key checks, the lines
# insert) and get slower with every order until autovacuum analyzes them,
# which a short run never sees.  2000 warm-up orders, then ANALYZE.
"$OMS_BINDIR/pgbench" -n -M prepared -c 4 -j 2 -t 500 -f "$OMS_TMP/place_order.sql" "$db" >/dev/null
oms_psql -q -d "$db" -c 'VACUUM ANALYZE'

echo "== runs of ${seconds}s"
for c in $clients; do
    pgbench_run tpcb "$c" tpcb
done
for c in $clients; do
    pgbench_run place_order "$c" "$db" -f "$OMS_TMP/place_order.sql"
done
# The client-side writes the reserved bucket, the order lines and the
# reservations itself, which the guards refuse outside the engine: off for
# this workload only.
oms_psql -q -d "$db" -c 'ALTER TABLE oms.inventory_level DISABLE TRIGGER inventory_level_guard' \
    -c 'ALTER TABLE oms.order_line DISABLE TRIGGER engine_guard' \
    -c 'ALTER TABLE oms.reservation DISABLE TRIGGER engine_guard'
for c in $clients; do
    pgbench_run client "$c" "$db" -f "$OMS_TMP/place_order_client.sql"
done
oms_psql -q -d "$db" -c 'ALTER TABLE oms.inventory_level ENABLE TRIGGER inventory_level_guard' \
    -c 'ALTER TABLE oms.order_line ENABLE TRIGGER engine_guard' \
    -c 'ALTER TABLE oms.reservation ENABLE TRIGGER engine_guard'
pgbench_run flash 32 "$db" -f "$OMS_TMP/flash_sale.sql"
pgbench_run spread 32 "$db" -f "$OMS_TMP/spread_sale.sql"

echo "== consistency after the runs"
problems=$(oms_psql -At -d "$db" -c \
    'SELECT (SELECT count(*) FROM oms.check_inventory()) + (SELECT count(*) FROM oms.check_reservations())')
oms_psql -At -d "$db" -c "SELECT 'orders placed: ' || count(*) FROM oms.sales_order"
echo "check_inventory + check_reservations rows: $problems"

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

echo
echo "## Results: ${seconds}s per run, $(nproc) cores, PostgreSQL $OMS_PG_MAJOR, synchronous_commit on"
echo
echo "| clients | TPC-B tps | place_order tps | client-side tps | place_order / TPC-B | place_order / client-side |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for c in $clients; do
    printf '| %d | %.0f | %.0f | %.0f | %s | %s |\n' "$c" \
        "${tps[tpcb,$c]}" "${tps[place_order,$c]}" "${tps[client,$c]}" \
        "$(ratio "${tps[place_order,$c]}" "${tps[tpcb,$c]}")" \
        "$(ratio "${tps[place_order,$c]}" "${tps[client,$c]}")"
done
echo
echo "| 32 clients, 1 unit per order | tps |"
echo "| --- | ---: |"
printf '| flash sale, one sku | %.0f |\n' "${tps[flash,32]}"
printf '| spread over 1000 skus | %.0f |\n' "${tps[spread,32]}"
printf '| flash / spread | %s |\n' "$(ratio "${tps[flash,32]}" "${tps[spread,32]}")"

[ "$problems" = 0 ]
