#!/usr/bin/env bash
# run.sh: the oms benchmark suite (issue 12), in one run on one throwaway
# cluster, so that the ratios compare like with like.  Every workload runs
# at every client count with synchronous_commit on (the headline table),
# then again with it off (the second table).
#
#   tpcb          pgbench's built-in TPC-B (-i -s $BENCH_TPCB_SCALE): the baseline
#   po3           oms.place_order, 3 lines of 1..3 units over 1000 skus (place_order.sql)
#   po3_quiet     the same with oms.notify_events = off: the price of NOTIFY
#   client3       the same order without the extension's function, as a competent
#                 application writes it: 3 statements, 5 round trips (place_order_client.sql)
#   po15          oms.place_order, 5..15 lines of 1..10 units (place_order_15.sql)
#   neworder      TPC-C New-Order in plain PL/pgSQL on a TPC-C schema with 4 warehouses
#                 (tpcc_setup.sql, tpcc_new_order.sql): what a team writes without oms
#   mix           TPC-C-shaped order mix: place 45%, payment 43%, ship 4%, tracking
#                 lookup 4%, stock level 4% (mix_*.sql)
#   flash         one sku, 1 unit per order (flash_sale.sql), at $BENCH_HOT_CLIENTS
#   spread        the flash workload over 1000 skus (spread_sale.sql), at $BENCH_HOT_CLIENTS
#
# Environment: BENCH_SECONDS per run (default 10), BENCH_CLIENTS (default
# "1 8 32 128"), BENCH_HOT_CLIENTS for flash and spread (default "32 128"),
# BENCH_SYNC (default "on off"), BENCH_TPCB_SCALE (default 16),
# BENCH_RESULTS (default bench/results).  With the defaults a run takes
# about 64 x BENCH_SECONDS plus two minutes of set-up and checks.
#
# After every run the invariants are checked and the suite stops with an
# error if any fails: oms.check_inventory(), oms.check_reservations(),
# oms.check_payments() and no level with more reserved than on hand (oms
# workloads); TPC-B's balances agree (sum of accounts = branches = tellers
# = history); TPC-C's consistency conditions 1-4 (tpcc.check_consistency()).
#
# Output: the cluster's settings, markdown tables (tps and p50/p99 latency
# from pgbench's per-transaction logs; every ratio of the issue's targets),
# bench/results/sync-on.csv and sync-off.csv with the raw numbers, and
# bench/results/throughput.png drawn by gnuplot (bench/throughput.gp).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seconds=${BENCH_SECONDS:-10}
clients=${BENCH_CLIENTS:-1 8 32 128}
hot_clients=${BENCH_HOT_CLIENTS:-32 128}
sync_modes=${BENCH_SYNC:-on off}
scale=${BENCH_TPCB_SCALE:-16}
bench_dir=$OMS_ROOT/bench
results=${BENCH_RESULTS:-$bench_dir/results}
db=oms_bench
workloads="tpcb po3 po3_quiet client3 po15 neworder mix flash spread"
declare -A tps p50 p99 mxs txs mix_n mix_p50 mix_p99
mix_scripts=(place payment ship tracking stock_level)
declare -A title=(
    [tpcb]="TPC-B (pgbench)"
    [po3]="place_order, 3 lines"
    [po3_quiet]="place_order, 3 lines, notify off"
    [client3]="client-side, 3 lines"
    [po15]="place_order, 5-15 lines"
    [neworder]="TPC-C New-Order, PL/pgSQL"
    [mix]="order mix (TPC-C shaped)"
    [flash]="flash sale, one sku"
    [spread]="spread, 1000 skus"
)

max_c=0
for c in $clients $hot_clients; do [ "$c" -gt "$max_c" ] && max_c=$c; done
OMS_PACKAGES+=(gnuplot-nox)
OMS_CLUSTER_CONF="max_connections = $(( max_c + 20 > 120 ? max_c + 20 : 120 ))"

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
cp "$bench_dir"/*.sql "$OMS_TMP/"
mkdir -p "$OMS_TMP/logs" "$results"
chmod 644 "$OMS_TMP"/*.sql
chmod 777 "$OMS_TMP/logs"

q() { oms_psql -At -d "$1" -c "$2"; }

# --- the settings, printed first so every table below can be read with them
setting() { q postgres "SELECT current_setting('$1')"; }
echo
echo "## Cluster and machine"
echo
echo "| setting | value |"
echo "| --- | --- |"
echo "| server | $(q postgres 'SELECT version()') |"
echo "| oms | $(q postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'oms'"), built from $(git -C "$OMS_ROOT" log -1 --format='%h (%cs) %s' 2>/dev/null || echo 'an unknown commit')$(git -C "$OMS_ROOT" status --porcelain -- src 2>/dev/null | grep -q . && echo ', src/ modified') |"
echo "| pgbench | $("$OMS_BINDIR/pgbench" --version) |"
echo "| cores | $(nproc) ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)) |"
echo "| memory | $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) |"
echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: numbers are noisy) |"
for s in shared_buffers synchronous_commit max_connections fsync wal_sync_method wal_level \
         max_wal_size checkpoint_timeout wal_buffers work_mem effective_cache_size \
         autovacuum jit shared_preload_libraries; do
    echo "| $s | $(setting $s) |"
done
echo "| runs | ${seconds}s each, pgbench -M prepared, -j min(clients, 4), CHECKPOINT before each; clients $clients; flash/spread at $hot_clients |"
echo "| TPC-B | scale $scale |"
echo "| TPC-C | 4 warehouses, 10,000 items (scaled down, bench/tpcc_setup.sql) |"

# --- set-up
echo
echo "== set-up: TPC-B scale $scale in database tpcb, TPC-C in database tpcc, oms data set in database $db"
t0=$SECONDS
oms_psql -q -c 'CREATE DATABASE tpcb' -c 'CREATE DATABASE tpcc' -c "CREATE DATABASE $db"
"$OMS_BINDIR/pgbench" -q -i -I dtGvp -s "$scale" tpcb >/dev/null 2>&1
oms_psql -q -d tpcc -f "$OMS_TMP/tpcc_setup.sql" >/dev/null
oms_psql -q -d "$db" -f "$OMS_TMP/setup.sql" >/dev/null
# A shop has order history: without it the order tables are analyzed empty
# (reltuples 0), the saved plans seq-scan them (foreign-key checks, the lines
# insert) and get slower with every order until autovacuum analyzes them,
# which a short run never sees.  2000 warm-up orders and 200 confirmed ones
# (the order mix ships confirmed orders), then ANALYZE.
"$OMS_BINDIR/pgbench" -n -M prepared -c 4 -j 2 -t 500 -f "$OMS_TMP/place_order.sql" "$db" >/dev/null
"$OMS_BINDIR/pgbench" -n -M prepared -c 4 -j 2 -t 50 -f "$OMS_TMP/mix_place.sql" "$db" >/dev/null
oms_psql -q -d "$db" -c 'VACUUM ANALYZE'
echo "   set-up took $(( SECONDS - t0 ))s"

# --- the invariants, after every run
fail() { echo "INVARIANT VIOLATED after $1: $2" >&2; exit 1; }
check_oms() {
    local name=$1 out
    out=$(q "$db" 'SELECT count(*) FROM oms.check_inventory()')
    [ "$out" = 0 ] || { oms_psql -d "$db" -c 'SELECT * FROM oms.check_inventory() LIMIT 20';
                        fail "$name" "check_inventory() returned $out rows"; }
    out=$(q "$db" 'SELECT count(*) FROM oms.check_reservations()')
    [ "$out" = 0 ] || fail "$name" "check_reservations() returned $out rows"
    out=$(q "$db" 'SELECT count(*) FROM oms.check_payments()')
    [ "$out" = 0 ] || fail "$name" "check_payments() returned $out rows"
    # oversell: no level promises more than it holds, and the units sold of
    # the flash sku (reserved + shipped) never exceed what was received
    out=$(q "$db" 'SELECT count(*) FROM oms.inventory_level WHERE reserved > on_hand')
    [ "$out" = 0 ] || fail "$name" "$out levels with reserved > on_hand"
    out=$(q "$db" "SELECT coalesce(sum(l.qty_reserved + l.qty_shipped), 0) -
                          (SELECT coalesce(sum(m.on_hand_delta), 0) FROM oms.inventory_movement m
                           WHERE m.item_id = i.item_id AND m.kind = 'receipt')
                   FROM oms.item i LEFT JOIN oms.order_line l ON l.item_id = i.item_id
                   WHERE i.sku = 'FLASH' GROUP BY i.item_id")
    [ "$out" -le 0 ] || fail "$name" "flash sku oversold by $out units"
}
check_tpcb() {
    local out
    out=$(q tpcb "SELECT count(DISTINCT s) FROM (
                    SELECT sum(abalance) AS s FROM pgbench_accounts UNION ALL
                    SELECT sum(bbalance) FROM pgbench_branches UNION ALL
                    SELECT sum(tbalance) FROM pgbench_tellers UNION ALL
                    SELECT coalesce(sum(delta), 0) FROM pgbench_history) x")
    [ "$out" = 1 ] || fail tpcb "the balances of accounts, branches, tellers and history differ"
}
check_tpcc() {
    local out
    out=$(q tpcc 'SELECT count(*) FROM tpcc.check_consistency()')
    [ "$out" = 0 ] || fail neworder "tpcc.check_consistency() returned $out rows"
}
check_oms set-up; check_tpcb; check_tpcc

# checkpoint_mx: CHECKPOINT, then the cluster's next MultiXact id (from the
# control file the checkpoint just wrote)
checkpoint_mx() {
    oms_psql -q -d postgres -c 'CHECKPOINT'
    q postgres 'SELECT next_multixact_id::text::bigint FROM pg_control_checkpoint()'
}

# pgbench_run NAME CLIENTS DATABASE [pgbench options...]: one timed run with
# per-transaction logs; tps, p50 and p99 latency, MultiXacts created.
pgbench_run() {
    local name=$1 c=$2 database=$3 out jobs prefix mx0 mx1 n
    shift 3
    jobs=$(( c < 4 ? c : 4 ))
    prefix=$OMS_TMP/logs/$name-$sync-$c
    mx0=$(checkpoint_mx)
    out=$("$OMS_BINDIR/pgbench" -n -M prepared -c "$c" -j "$jobs" -T "$seconds" \
          -l --log-prefix="$prefix" "$@" "$database" 2>&1) \
        || { echo "$out"; fail "$name at $c clients" "pgbench failed"; }
    if grep -q 'number of failed transactions: [1-9]' <<<"$out"; then
        echo "$out"; fail "$name at $c clients" "failed transactions"
    fi
    mx1=$(checkpoint_mx)
    tps[$name,$c]=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    txs[$name,$c]=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    mxs[$name,$c]=$(( mx1 - mx0 ))
    # column 3 of a per-transaction log line is its latency in microseconds
    local lat50 lat99
    read -r n lat50 lat99 < <(cat "$prefix".* | awk '{ print $3 }' | sort -n | awk '
        { v[NR] = $1 }
        END { i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
              i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
              printf "%d %.2f %.2f\n", NR, v[i50] / 1000, v[i99] / 1000 }')
    p50[$name,$c]=$lat50
    p99[$name,$c]=$lat99
    if [ "$name" = mix ]; then   # column 4 is the script's number, in -f order
        local k
        for k in "${!mix_scripts[@]}"; do
            read -r n lat50 lat99 < <(cat "$prefix".* | awk -v k="$k" '$4 == k { print $3 }' | sort -n | awk '
                { v[NR] = $1 }
                END { i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
                      i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
                      printf "%d %.2f %.2f\n", NR, v[i50] / 1000, v[i99] / 1000 }')
            mix_n[$k,$c]=$n; mix_p50[$k,$c]=$lat50; mix_p99[$k,$c]=$lat99
        done
    fi
    rm -f "$prefix".*
    printf '   %-10s %3d clients  %8.1f tps  p50 %7.2f ms  p99 %8.2f ms  %6d MultiXacts\n' \
        "$name" "$c" "${tps[$name,$c]}" "${p50[$name,$c]}" "${p99[$name,$c]}" "${mxs[$name,$c]}"
    echo "$name,$c,${tps[$name,$c]},${p50[$name,$c]},${p99[$name,$c]},${txs[$name,$c]},${mxs[$name,$c]}" >>"$csv"
}

plural() { if [ "$1" = 1 ]; then echo "1 client"; else echo "$1 clients"; fi; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
cell() {   # tps (p50 / p99 ms) of one workload at one client count
    local k=$1,$2
    if [ -n "${tps[$k]:-}" ]; then
        printf '%.0f (%.1f / %.1f)' "${tps[$k]}" "${p50[$k]}" "${p99[$k]}"
    else
        printf -- '-'
    fi
}

report() {
    local c w all
    echo
    echo "## synchronous_commit = $sync: tps (p50 / p99 latency in ms), ${seconds}s per run"
    echo
    all=$(printf '%s\n' $clients $hot_clients | sort -nu | tr '\n' ' ')
    printf '| workload |'; for c in $all; do printf ' %s |' "$(plural "$c")"; done; echo
    printf '| --- |'; for c in $all; do printf ' ---: |'; done; echo
    for w in $workloads; do
        printf '| %s |' "${title[$w]}"
        for c in $all; do printf ' %s |' "$(cell "$w" "$c")"; done; echo
    done
    echo
    echo "## synchronous_commit = $sync: the ratios of issue 12 (target in brackets)"
    echo
    printf '| ratio |'; for c in $all; do printf ' %s |' "$(plural "$c")"; done; echo
    printf '| --- |'; for c in $all; do printf ' ---: |'; done; echo
    row() {   # row LABEL A B: A / B at every client count
        printf '| %s |' "$1"
        for c in $all; do
            if [ -n "${tps[$2,$c]:-}" ] && [ -n "${tps[$3,$c]:-}" ]; then
                printf ' %s |' "$(ratio "${tps[$2,$c]}" "${tps[$3,$c]}")"
            else printf ' - |'; fi
        done; echo
    }
    row "place_order 3 lines / TPC-B (>= 0.5)" po3 tpcb
    row "place_order 3 lines / client-side (>= 3)" po3 client3
    row "place_order 5-15 lines / New-Order (>= 1.0)" po15 neworder
    row "notify on / notify off (>= 0.9)" po3 po3_quiet
    row "flash / spread (>= 0.5)" flash spread
    echo
    echo "The order mix by transaction: share of the transactions (p50 / p99 latency in ms):"
    echo
    printf '| transaction |'; for c in $clients; do printf ' %s |' "$(plural "$c")"; done; echo
    printf '| --- |'; for c in $clients; do printf ' ---: |'; done; echo
    local k
    for k in "${!mix_scripts[@]}"; do
        printf '| %s |' "${mix_scripts[$k]}"
        for c in $clients; do
            if [ -n "${mix_n[$k,$c]:-}" ] && [ "${txs[mix,$c]:-0}" -gt 0 ]; then
                printf ' %s%% (%.1f / %.1f) |' \
                    "$(awk -v a="${mix_n[$k,$c]}" -v b="${txs[mix,$c]}" 'BEGIN { printf "%.1f", 100 * a / b }')" \
                    "${mix_p50[$k,$c]}" "${mix_p99[$k,$c]}"
            else printf ' - |'; fi
        done; echo
    done
    echo
    echo "MultiXacts created per 1000 transactions (next_multixact_id across each run):"
    echo
    printf '| workload |'; for c in $all; do printf ' %s |' "$(plural "$c")"; done; echo
    printf '| --- |'; for c in $all; do printf ' ---: |'; done; echo
    for w in po3 po3_quiet client3 po15 mix flash spread; do
        printf '| %s |' "${title[$w]}"
        for c in $all; do
            if [ -n "${txs[$w,$c]:-}" ] && [ "${txs[$w,$c]}" -gt 0 ]; then
                printf ' %.1f |' "$(awk -v m="${mxs[$w,$c]}" -v t="${txs[$w,$c]}" 'BEGIN { print 1000 * m / t }')"
            else printf ' - |'; fi
        done; echo
    done
}

max_order=$(q "$db" 'SELECT max(order_id) FROM oms.sales_order')
for sync in $sync_modes; do
    csv=$results/sync-$sync.csv
    echo "workload,clients,tps,p50_ms,p99_ms,transactions,multixacts" >"$csv"
    oms_psql -q -c "ALTER SYSTEM SET synchronous_commit = $sync" -c 'SELECT pg_reload_conf()' >/dev/null
    echo
    echo "== runs of ${seconds}s, synchronous_commit = $(setting synchronous_commit)"
    for c in $clients; do
        pgbench_run tpcb "$c" tpcb
        check_tpcb
    done
    for c in $clients; do
        pgbench_run po3 "$c" "$db" -f "$OMS_TMP/place_order.sql"
        check_oms "po3 at $c clients"
    done
    for c in $clients; do
        PGOPTIONS="-c oms.notify_events=off" pgbench_run po3_quiet "$c" "$db" -f "$OMS_TMP/place_order.sql"
        check_oms "po3_quiet at $c clients"
    done
    # The client-side writes the reserved bucket, the order, its lines and
    # their reservations itself, which the level guard and the engine guards
    # refuse outside the engine: off for this workload only.
    oms_psql -q -d "$db" -c 'ALTER TABLE oms.inventory_level DISABLE TRIGGER inventory_level_guard' \
        -c 'ALTER TABLE oms.sales_order DISABLE TRIGGER engine_guard' \
        -c 'ALTER TABLE oms.order_line DISABLE TRIGGER engine_guard' \
        -c 'ALTER TABLE oms.reservation DISABLE TRIGGER engine_guard'
    for c in $clients; do
        pgbench_run client3 "$c" "$db" -f "$OMS_TMP/place_order_client.sql"
        check_oms "client3 at $c clients"
    done
    oms_psql -q -d "$db" -c 'ALTER TABLE oms.inventory_level ENABLE TRIGGER inventory_level_guard' \
        -c 'ALTER TABLE oms.sales_order ENABLE TRIGGER engine_guard' \
        -c 'ALTER TABLE oms.order_line ENABLE TRIGGER engine_guard' \
        -c 'ALTER TABLE oms.reservation ENABLE TRIGGER engine_guard'
    for c in $clients; do
        pgbench_run po15 "$c" "$db" -f "$OMS_TMP/place_order_15.sql"
        check_oms "po15 at $c clients"
    done
    for c in $clients; do
        pgbench_run neworder "$c" tpcc -f "$OMS_TMP/tpcc_new_order.sql"
        check_tpcc
    done
    for c in $clients; do
        pgbench_run mix "$c" "$db" -D max_order="$max_order" \
            -f "$OMS_TMP/mix_place.sql@45" -f "$OMS_TMP/mix_payment.sql@43" \
            -f "$OMS_TMP/mix_ship.sql@4" -f "$OMS_TMP/mix_tracking.sql@4" \
            -f "$OMS_TMP/mix_stock_level.sql@4"
        check_oms "mix at $c clients"
    done
    for c in $hot_clients; do
        pgbench_run flash "$c" "$db" -f "$OMS_TMP/flash_sale.sql"
        check_oms "flash at $c clients"
        pgbench_run spread "$c" "$db" -f "$OMS_TMP/spread_sale.sql"
        check_oms "spread at $c clients"
    done
    report | tee "$OMS_TMP/report-$sync.md"
done
oms_psql -q -c 'ALTER SYSTEM RESET synchronous_commit' -c 'SELECT pg_reload_conf()' >/dev/null

echo
echo "== after every run: check_inventory, check_reservations, check_payments, oversell,"
echo "   TPC-B balances and TPC-C consistency all held"
q "$db" "SELECT 'oms orders placed: ' || count(*) FROM oms.sales_order"

(cd "$OMS_ROOT" && gnuplot -e "results='$results'" bench/throughput.gp)
echo "== chart: $results/throughput.png (gnuplot -e \"results='bench/results'\" bench/throughput.gp)"
