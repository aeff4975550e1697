#!/usr/bin/env bash
# statements.sh: what one order costs in statements, and how many MultiXacts
# the order path creates (issue 12, items 2 and 3), on a throwaway cluster
# with bench/run.sh's data set (bench/setup.sql, 2000 warm-up orders).
#
# 1. Statements per order.  pg_stat_statements with track = all counts every
#    statement a call executes, also those run by the triggers it fires and
#    the foreign-key checks (RI_FKey_check's SELECT ... FOR KEY SHARE).  For
#    each workload: reset, BENCH_ORDERS orders (default 200) from one client,
#    then every statement with its calls per order.
#      po3       place_order, 3 lines (bench/place_order.sql)
#      po15      place_order, 5-15 lines (bench/place_order_15.sql)
#      client3   the client-side baseline (bench/place_order_client.sql)
#      neworder  the TPC-C New-Order reference (bench/tpcc_new_order.sql), for scale
# 2. MultiXacts.  place_order, 3 lines on one channel over 1000 skus
#    (bench/place_order.sql) for BENCH_SECONDS (default 10) at each of
#    BENCH_MX_CLIENTS (default "8 32"): pg_stat_slru's MultiXactOffset and
#    MultiXactMember rows (reset before) and the MultiXacts created
#    (next_multixact_id of a checkpoint before and after).
#
# Prints markdown tables.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

orders=${BENCH_ORDERS:-200}
seconds=${BENCH_SECONDS:-10}
mx_clients=${BENCH_MX_CLIENTS:-8 32}
db=oms_bench
OMS_CLUSTER_CONF="shared_preload_libraries = 'pg_cron,oms,pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.max = 10000
max_connections = 120"

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_bench_data "$db"
oms_psql -q -d "$db" -c 'CREATE EXTENSION pg_stat_statements'
q() { oms_psql -At -d "$db" -c "$1"; }
echo "   $(q 'SELECT version()')"
echo "   pg_stat_statements.track = $(q "SELECT current_setting('pg_stat_statements.track')")"

# count NAME SCRIPT [DATABASE]: BENCH_ORDERS orders from one client, then the statements
count() {
    local name=$1 script=$2 database=${3:-$db}
    q 'SELECT pg_stat_statements_reset()' >/dev/null
    "$OMS_BINDIR/pgbench" -n -M prepared -c 1 -t "$orders" -f "$OMS_TMP/$script" "$database" >/dev/null
    echo
    echo "### $name ($script): statements per order, $orders orders, 1 client"
    echo
    oms_psql -d "$database" -P footer=off -P format=aligned -q <<SQL
CREATE TEMP TABLE s AS
SELECT toplevel, calls, rows, total_exec_time,
       regexp_replace(query, '\s+', ' ', 'g') AS query
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query !~* 'pg_stat_statements|^(BEGIN|COMMIT|CREATE TEMP)'
  AND query !~ '^SELECT machine, CAST'       -- the status machines, read once per session
  AND query !~ '^SELECT pg_catalog.max\(event_id\) FROM oms.event$'  -- the event notifier's, not the order's
  AND calls >= $orders / 2;                  -- once-per-connection look-ups aside
SELECT round(sum(calls)::numeric / $orders, 1) AS "statements per order",
       round(sum(calls) FILTER (WHERE toplevel)::numeric / $orders, 1) AS "sent by the client",
       round(sum(calls) FILTER (WHERE NOT toplevel)::numeric / $orders, 1) AS "run inside (functions, triggers, FK checks)",
       round(sum(calls) FILTER (WHERE query ~ '^SELECT .* FROM ONLY .* FOR KEY SHARE OF x$')::numeric / $orders, 1)
           AS "of which foreign-key checks",
       round((sum(total_exec_time) FILTER (WHERE toplevel) * 1000 / $orders)::numeric) AS "server µs per order"
FROM s;
SELECT round(calls::numeric / $orders, 2) AS "per order", round(rows::numeric / calls, 1) AS "rows/call",
       round((total_exec_time * 1000 / calls)::numeric) AS "µs/call",
       CASE WHEN toplevel THEN 'client' ELSE 'nested' END AS "from",
       left(query, 110) AS statement
FROM s ORDER BY toplevel DESC, calls DESC, total_exec_time DESC;
SQL
}
count po3 place_order.sql
count po15 place_order_15.sql
# the client writes buckets, orders, lines and reservations itself: the
# guards that refuse that outside the engine are off for it (as in run.sh)
guards() {
    oms_psql -q -d "$db" -c "ALTER TABLE oms.inventory_level $1 TRIGGER inventory_level_guard" \
        -c "ALTER TABLE oms.sales_order $1 TRIGGER engine_guard" \
        -c "ALTER TABLE oms.order_line $1 TRIGGER engine_guard" \
        -c "ALTER TABLE oms.reservation $1 TRIGGER engine_guard"
}
guards DISABLE
count client3 place_order_client.sql
guards ENABLE
oms_psql -q -c 'CREATE DATABASE tpcc'
oms_psql -q -d tpcc -f "$OMS_TMP/tpcc_setup.sql" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
count neworder tpcc_new_order.sql tpcc

echo
echo "### MultiXacts: place_order, 3 lines, one channel, 1000 skus, ${seconds}s per run"
echo
echo "| clients | orders | MultiXacts created | per 1000 orders | MultiXactOffset zeroed / written / hit / read | MultiXactMember zeroed / written / hit / read |"
echo "| ---: | ---: | ---: | ---: | --- | --- |"
for c in $mx_clients; do
    q "SELECT pg_stat_reset_slru('MultiXactOffset'), pg_stat_reset_slru('MultiXactMember')" >/dev/null
    q 'CHECKPOINT' >/dev/null
    mx0=$(q 'SELECT next_multixact_id::text::bigint FROM pg_control_checkpoint()')
    o0=$(q 'SELECT count(*) FROM oms.sales_order')
    "$OMS_BINDIR/pgbench" -n -M prepared -c "$c" -j "$(( c < 4 ? c : 4 ))" -T "$seconds" \
        -f "$OMS_TMP/place_order.sql" "$db" >/dev/null
    q 'CHECKPOINT' >/dev/null
    mx1=$(q 'SELECT next_multixact_id::text::bigint FROM pg_control_checkpoint()')
    o1=$(q 'SELECT count(*) FROM oms.sales_order')
    slru() { q "SELECT blks_zeroed || ' / ' || blks_written || ' / ' || blks_hit || ' / ' || blks_read
                FROM pg_stat_slru WHERE name = '$1'"; }
    printf '| %d | %d | %d | %s | %s | %s |\n' "$c" $(( o1 - o0 )) $(( mx1 - mx0 )) \
        "$(awk -v m=$(( mx1 - mx0 )) -v o=$(( o1 - o0 )) 'BEGIN { printf "%.1f", o ? 1000 * m / o : 0 }')" \
        "$(slru MultiXactOffset)" "$(slru MultiXactMember)"
done
problems=$(q 'SELECT (SELECT count(*) FROM oms.check_inventory()) + (SELECT count(*) FROM oms.check_payments())')
echo
echo "check_inventory + check_payments rows afterwards: $problems"
[ "$problems" = 0 ]
