#!/usr/bin/env bash
# generate.sh: fill a database that has oms installed with a realistic shop
# history, through the API (bench/generate.sql says what it makes).
#
#   bench/generate.sh [-n ORDERS] [-i ITEMS] [-d DAYS] [-s SEED] [-w WORKERS] [-b BATCH] [DATABASE]
#
# Defaults: 10,000 orders, ORDERS / 10 items (at least 200), 180 days, seed
# 1, 1 worker, batches of 100 orders.  Connects with the usual PG*
# variables.  Prints each phase with its progress and rate (every 10
# batches), and at the end how long each phase took.  Stop it any time
# (Ctrl-C): each order's life is one transaction, and running the same
# command again resumes after the last one that committed (a different size
# or seed is refused).  With -w N, N sessions place orders in parallel
# (order i goes to worker i mod N).  After every batch the KPI rollup runs
# (refresh_kpis(), as the pg_cron job would), and every 20 batches worker 0
# runs a purchasing round.
set -euo pipefail
orders=10000 items= days=180 seed=1 workers=1 batch=100
while getopts n:i:d:s:w:b: opt; do
    case $opt in
        n) orders=$OPTARG ;; i) items=$OPTARG ;; d) days=$OPTARG ;; s) seed=$OPTARG ;;
        w) workers=$OPTARG ;; b) batch=$OPTARG ;;
        *) sed -n '2,15p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
db=${1:-${PGDATABASE:-postgres}}
[ -n "$items" ] || items=$(( orders / 10 > 200 ? orders / 10 : 200 ))
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
psql_() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

t0=$SECONDS
psql_ -c 'SET client_min_messages = warning' -f "$here/generate.sql"
echo "== generate: $orders orders, $items items, $days days, seed $seed, $workers worker(s), database $db"
psql_ -c "CALL bench_gen.setup($orders, $items, $days, $seed, $batch, $(( batch * 20 )))" 2>&1 | sed -u 's/^NOTICE:  /   /'
pids=()
for w in $(seq 0 $((workers - 1))); do
    # the rollup job's work, every 20 batches of worker 0 (replenish runs there too)
    psql_ -c "CALL bench_gen.orders($w, $workers)" 2>&1 | sed -u 's/^NOTICE:  /   /' &
    pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
[ "$rc" -eq 0 ] || { echo "generate: a worker failed ($rc); run the same command again to resume" >&2; exit "$rc"; }
echo "== finishing: KPI rollup, ANALYZE, invariants"
t1=$SECONDS
psql_ -c 'SELECT oms.refresh_kpis()' -c 'VACUUM ANALYZE' >/dev/null
psql_ -c "INSERT INTO bench_gen.progress VALUES ('finish', 1, $(( SECONDS - t1 ))) ON CONFLICT (phase) DO UPDATE SET seconds = EXCLUDED.seconds"
bad=$(psql_ -Atc 'SELECT (SELECT count(*) FROM oms.check_inventory()) + (SELECT count(*) FROM oms.check_payments())')
[ "$bad" = 0 ] || { echo "generate: check_inventory()/check_payments() report $bad problems" >&2; exit 1; }
psql_ -c "SELECT phase, done, round(seconds::numeric, 1) AS seconds,
                 round((done / NULLIF(seconds, 0))::numeric, 1) AS per_second
          FROM bench_gen.progress ORDER BY phase"
psql_ -c "SELECT (SELECT count(*) FROM oms.sales_order) AS orders, (SELECT count(*) FROM oms.order_line) AS lines,
                 (SELECT count(*) FROM oms.shipment) AS shipments, (SELECT count(*) FROM oms.return_authorization) AS returns,
                 (SELECT count(*) FROM oms.purchase_order) AS purchase_orders, (SELECT count(*) FROM oms.payment) AS payments,
                 (SELECT count(*) FROM oms.item) AS items, (SELECT count(*) FROM oms.inventory_level) AS levels"
echo "== generate: done in $(( SECONDS - t0 ))s"
