#!/usr/bin/env bash
# tracking.sh: the read-model lookups of DESIGN.md section 11 ("order_tracking
# lookup by order number and inventory_position for one item: under 1 ms at
# 1M orders"), on a throwaway cluster.
#
# Load: a year of order history, set-based (tracking_setup.sql, then
#   tracking_history.sql and tracking_events.sql side by side): 1,000,000
#   orders of 1-3 lines over 10,000 items at 5 locations, about 1.05
#   shipments per order (most delivered), ~10 status changes and ~13 events
#   per order, 3% of orders with a return, the payment ledger, the stock
#   ledger, reservations and cart holds; about 10 GB.  It is inserted with
#   session_replication_role = replica: the status guards, the ledger
#   triggers and the foreign-key triggers do not fire (through them the
#   load would take hours).  The result is proven consistent afterwards
#   (check_inventory, check_payments), then VACUUM ANALYZE.
#
# Lookups, each with a random order number or sku per transaction:
#   pk         SELECT * FROM oms.sales_order WHERE order_number = :n   (the baseline)
#   tracking   SELECT * FROM oms.order_tracking WHERE order_number = :n
#   timeline   SELECT * FROM oms.order_timeline WHERE order_number = :n ORDER BY at, source DESC, seq
#   position   SELECT * FROM oms.inventory_position WHERE sku = :s
# EXPLAIN (ANALYZE, BUFFERS) of each once (an order with two shipments and
# a return), then pgbench -T BENCH_SECONDS (default 10) runs at 1 and 2
# clients, each lookup warmed up for BENCH_WARMUP seconds (default 5) first:
#   cold    the harness settings (shared_buffers 128MB): a random order's
#           pages are mostly not in shared buffers and come from the OS
#           cache or the disk; -M prepared
#   cached  restarted with shared_buffers = BENCH_SHARED_BUFFERS (default
#           12GB) and every oms table and index loaded (pg_prewarm); both
#           -M prepared (planned once per connection, what a driver that
#           prepares does) and -M simple (parsed and planned at every call:
#           psql, most BI tools)
# Ends with a table per run of latency, tps, the pages each lookup read
# into shared buffers (its misses: what the OS cache or the disk served;
# unlike the latency, this does not depend on what the OS has cached) and
# the ratios to the primary-key lookup.  About 15 minutes; needs about 14 GB of memory.
#
#   BENCH_ORDERS=1000000 BENCH_ITEMS=10000 BENCH_SECONDS=10 BENCH_WARMUP=5
#   BENCH_SHARED_BUFFERS=12GB
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

orders=${BENCH_ORDERS:-1000000}
items=${BENCH_ITEMS:-10000}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-5}
shared_buffers=${BENCH_SHARED_BUFFERS:-12GB}
bench_dir=$OMS_ROOT/bench
db=oms_tracking_bench

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_psql -q -c "CREATE DATABASE $db"

# ---------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------
# For the load only: no checkpoint in the middle of it, and no autovacuum
# racing the inserts for the two cores (VACUUM ANALYZE follows it).
oms_psql -q -c "ALTER SYSTEM SET max_wal_size = '32GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '1h'" \
         -c 'ALTER SYSTEM SET autovacuum = off' -c 'SELECT pg_reload_conf()' >/dev/null
t0=$(oms_psql -At -c "SELECT date_trunc('second', now())")
elapsed() { echo $(( $(date +%s) - $1 )); }

echo "== load: $orders orders over $items items at 5 locations (now = $t0)"
start=$(date +%s); step=$start
oms_psql -q -d "$db" -v orders="$orders" -v items="$items" -v t0="$t0" \
         -f "$bench_dir/tracking_setup.sql" >/dev/null
echo "   orders, lines, shipments, returns, payments, stock: $(elapsed "$step") s"
step=$(date +%s)
oms_psql -q -d "$db" -v t0="$t0" -f "$bench_dir/tracking_history.sql" & history_pid=$!
oms_psql -q -d "$db" -v t0="$t0" -f "$bench_dir/tracking_events.sql" & events_pid=$!
wait "$history_pid"
wait "$events_pid"
echo "   status history and events (side by side): $(elapsed "$step") s"
step=$(date +%s)
oms_psql -q -d "$db" -c 'SET client_min_messages = warning' -c 'DROP SCHEMA bench CASCADE' -c 'VACUUM ANALYZE'
echo "   VACUUM ANALYZE: $(elapsed "$step") s"
load_seconds=$(elapsed "$start")
echo "   load total: $load_seconds s"
oms_psql -q -c 'ALTER SYSTEM RESET max_wal_size' -c 'ALTER SYSTEM RESET checkpoint_timeout' \
         -c 'ALTER SYSTEM RESET autovacuum' -c 'SELECT pg_reload_conf()' -c 'CHECKPOINT' >/dev/null

echo "== the data set"
oms_psql -d "$db" -P footer=off <<'SQL'
SELECT t AS "table", to_char(n, 'FM999,999,999') AS "rows",
       pg_size_pretty(pg_total_relation_size(('oms.' || t)::regclass)) AS "size with indexes"
FROM (VALUES ('sales_order', (SELECT count(*) FROM oms.sales_order)),
             ('order_line', (SELECT count(*) FROM oms.order_line)),
             ('shipment', (SELECT count(*) FROM oms.shipment)),
             ('shipment_line', (SELECT count(*) FROM oms.shipment_line)),
             ('return_authorization', (SELECT count(*) FROM oms.return_authorization)),
             ('reservation', (SELECT count(*) FROM oms.reservation)),
             ('payment', (SELECT count(*) FROM oms.payment)),
             ('status_history', (SELECT count(*) FROM oms.status_history)),
             ('event', (SELECT count(*) FROM oms.event)),
             ('inventory_movement', (SELECT count(*) FROM oms.inventory_movement)),
             ('inventory_level', (SELECT count(*) FROM oms.inventory_level))) v(t, n);
SELECT status, fulfillment_status, to_char(count(*), 'FM999,999,999') AS orders
FROM oms.sales_order GROUP BY 1, 2 ORDER BY count(*) DESC;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;
SQL
problems=$(oms_psql -At -d "$db" -c \
    'SELECT (SELECT count(*) FROM oms.check_inventory()) + (SELECT count(*) FROM oms.check_payments())')
echo "   check_inventory + check_payments rows: $problems"
[ "$problems" = 0 ] || { echo "the data set is inconsistent" >&2; exit 1; }

# ---------------------------------------------------------------------------
# The lookups
# ---------------------------------------------------------------------------
# An order number as the extension formats it (SO- and at least 6 digits).
number="'SO-' || lpad(:n::text, greatest(6, length(:n::text)), '0')"
declare -A query=(
    [pk]="SELECT * FROM oms.sales_order WHERE order_number = $number"
    [tracking]="SELECT * FROM oms.order_tracking WHERE order_number = $number"
    [timeline]="SELECT * FROM oms.order_timeline WHERE order_number = $number ORDER BY at, source DESC, seq"
    [position]="SELECT * FROM oms.inventory_position WHERE sku = 'SKU-' || :s"
)
declare -A label=(
    [pk]='sales_order by order_number (baseline)'
    [tracking]='order_tracking by order_number'
    [timeline]='order_timeline by order_number, ordered'
    [position]='inventory_position by sku (5 rows)'
)
workloads=(pk tracking timeline position)
for w in "${workloads[@]}"; do
    printf '\\set n random(1, %d)\n\\set s random(1, %d)\n%s;\n' "$orders" "$items" "${query[$w]}" \
        >"$OMS_TMP/lookup_$w.sql"
done

# An order with two shipments and a return, and the sku of its first line:
# the lookups with the most rows behind them.
read -r n s < <(oms_psql -At -F ' ' -d "$db" -c "
    SELECT o.order_id, l.item_id FROM oms.return_authorization r
    JOIN oms.sales_order o ON o.order_id = r.order_id
    JOIN oms.order_line l ON l.order_id = o.order_id AND l.line_no = 1
    WHERE (SELECT count(*) FROM oms.shipment sh WHERE sh.order_id = o.order_id) = 2
    ORDER BY o.order_id LIMIT 1")
echo "== plans (shared_buffers 128MB), for order $n (two shipments, a return) and SKU-$s"
for w in "${workloads[@]}"; do
    sql=${query[$w]//:n/$n}
    sql=${sql//:s/$s}
    echo "-- $w: $sql"
    oms_psql -d "$db" -At -c "EXPLAIN (ANALYZE, BUFFERS) $sql" | sed 's/^/   /'
done

declare -A lat tps reads
# pages the database read into shared buffers so far (misses)
blks_read() {
    oms_psql -At -d "$db" -c "SELECT blks_read FROM pg_stat_database WHERE datname = current_database()"
}
# pgbench_run NAME RUN MODE CLIENTS SECONDS: one run of a lookup script;
# also the pages read into shared buffers per lookup (its misses)
pgbench_run() {
    local name=$1 run=$2 mode=$3 c=$4 secs=$5 out before n
    before=$(blks_read)
    out=$("$OMS_BINDIR/pgbench" -n -M "$mode" -c "$c" -j "$c" -T "$secs" \
          -f "$OMS_TMP/lookup_$name.sql" "$db" 2>&1) || { echo "$out"; return 1; }
    if grep -q 'number of failed transactions: [1-9]' <<<"$out"; then
        echo "$out"; echo "$name at $c clients: failed transactions" >&2; return 1
    fi
    lat[$name,$run,$c]=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' <<<"$out")
    tps[$name,$run,$c]=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    sleep 0.5   # (the clients' backends report their counts as they exit)
    reads[$name,$run,$c]=$(awk -v a="$before" -v b="$(blks_read)" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
}
# runs RUN MODE: warm-up, then 1 and 2 clients, for every lookup
runs() {
    local run=$1 mode=$2 w c
    echo "== $run: warm-up ${warmup}s, then runs of ${seconds}s (-M $mode)"
    for w in "${workloads[@]}"; do
        pgbench_run "$w" "$run" "$mode" 2 "$warmup"
        for c in 1 2; do
            pgbench_run "$w" "$run" "$mode" "$c" "$seconds"
            printf '   %-9s %d client(s)  %8.3f ms  %9.1f tps  %5.1f pages read per lookup\n' "$w" "$c" \
                "${lat[$w,$run,$c]}" "${tps[$w,$run,$c]}" "${reads[$w,$run,$c]}"
        done
    done
}

runs cold prepared

echo "== restart with shared_buffers = $shared_buffers, every oms relation loaded"
oms_psql -q -c "ALTER SYSTEM SET shared_buffers = '$shared_buffers'"
# (the server must not inherit the harness lock: see oms_cluster_start)
oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -l "$OMS_TMP/postgres.log" -w restart >/dev/null {OMS_LOCK_FD}>&- \
    || { cat "$OMS_TMP/postgres.log"; exit 1; }
step=$(date +%s)
oms_psql -q -d "$db" -c 'CREATE EXTENSION pg_prewarm'
pages=$(oms_psql -At -d "$db" -c "
    SELECT sum(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
    WHERE ns.nspname = 'oms' AND c.relkind IN ('r', 'i', 't')")
echo "   $pages pages in $(elapsed "$step") s"

runs cached prepared
runs cached-simple simple

ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
declare -A title=(
    [cold]="shared_buffers 128MB, -M prepared"
    [cached]="shared_buffers $shared_buffers, all cached, -M prepared"
    [cached-simple]="shared_buffers $shared_buffers, all cached, -M simple"
)
echo
echo "## Lookups at $orders orders: ${seconds}s per run, $(nproc) cores, PostgreSQL $OMS_PG_MAJOR, load ${load_seconds} s"
for run in cold cached cached-simple; do
    echo
    echo "| ${title[$run]} | latency, 1 client | tps, 1 client | tps, 2 clients | pages read per lookup | latency / baseline | tps / baseline, 2 clients | under 1 ms |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    for w in "${workloads[@]}"; do
        printf '| %s | %.3f ms | %.0f | %.0f | %s | %s | %s | %s |\n' "${label[$w]}" \
            "${lat[$w,$run,1]}" "${tps[$w,$run,1]}" "${tps[$w,$run,2]}" "${reads[$w,$run,1]}" \
            "$(ratio "${lat[$w,$run,1]}" "${lat[pk,$run,1]}")" \
            "$(ratio "${tps[$w,$run,2]}" "${tps[pk,$run,2]}")" \
            "$(awk -v l="${lat[$w,$run,1]}" 'BEGIN { print (l < 1.0) ? "yes" : "NO" }')"
    done
done
