#!/usr/bin/env bash
# kpi_cost.sh: what the KPI machinery (issue 14) costs place_order, in one
# run on one throwaway cluster: place_order.sql (3 lines over 1000 skus) at
# KPI_CLIENTS clients, KPI_ROUNDS rounds of KPI_SECONDS per mode, the modes
# in turn (rotated each round):
#   off    the KPI capture triggers disabled (ALTER TABLE ... DISABLE TRIGGER)
#   trig   the triggers on, no roll-up during the run
#   on     the triggers on and oms.refresh_kpis() every KPI_REFRESH seconds
#          (default 10) in the background, as the pg_cron job (every minute)
#
#   bash bench/kpi_cost.sh            # defaults: 8 clients, 4 rounds of 15 s
#
# Prints the tps of every run, the median of each side and the ratio.
# Holds the harness lock for the whole run (about KPI_ROUNDS x 2 x
# KPI_SECONDS plus a minute of set-up).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seconds=${KPI_SECONDS:-15}
rounds=${KPI_ROUNDS:-4}
clients=${KPI_CLIENTS:-8}
db=oms_bench
OMS_PORT=${KPI_PORT:-54339}

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
cp "$OMS_ROOT"/bench/setup.sql "$OMS_ROOT"/bench/place_order.sql "$OMS_TMP/"
oms_is_root && chown postgres "$OMS_TMP"/*.sql
oms_psql -q -c "CREATE DATABASE $db"
oms_psql -q -d "$db" -f "$OMS_TMP/setup.sql" >/dev/null
"$OMS_BINDIR/pgbench" -n -M prepared -c 4 -j 2 -t 500 -f "$OMS_TMP/place_order.sql" "$db" >/dev/null
oms_psql -q -d "$db" -c 'SELECT oms.refresh_kpis()' -c 'VACUUM ANALYZE' >/dev/null

kpi_triggers() {   # on | off
    local verb=ENABLE
    [ "$1" = off ] && verb=DISABLE
    oms_psql -q -d "$db" \
        -c "ALTER TABLE oms.sales_order $verb TRIGGER kpi_capture_update" \
        -c "ALTER TABLE oms.order_line $verb TRIGGER kpi_capture, $verb TRIGGER kpi_capture_update"
}

declare -a on_tps off_tps trig_tps
refresher=
run() {   # on | trig | off
    local mode=$1 out t
    kpi_triggers "$([ "$mode" = off ] && echo off || echo on)"
    oms_psql -q -d "$db" -c 'SELECT oms.refresh_kpis()' -c CHECKPOINT >/dev/null
    if [ "$mode" = on ]; then
        ( while :; do sleep "${KPI_REFRESH:-10}"; oms_psql -q -d "$db" -c 'SELECT oms.refresh_kpis()' >/dev/null 2>&1; done ) &
        refresher=$!
    fi
    out=$("$OMS_BINDIR/pgbench" -n -M prepared -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" \
          -T "$seconds" -f "$OMS_TMP/place_order.sql" "$db" 2>&1)
    if [ -n "$refresher" ]; then kill "$refresher"; wait "$refresher" 2>/dev/null || true; refresher=; fi
    t=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    echo "   KPI $mode: $t tps"
    case $mode in on) on_tps+=("$t") ;; trig) trig_tps+=("$t") ;; *) off_tps+=("$t") ;; esac
}

echo "== place_order.sql at $clients clients, ${seconds}s per run, $rounds rounds of off, trig, on (rotated)"
modes=(off trig on)
for r in $(seq "$rounds"); do
    for k in 0 1 2; do run "${modes[$(( (r + k) % 3 ))]}"; done
done
kpi_triggers on
oms_psql -q -d "$db" -c 'SELECT oms.refresh_kpis()' >/dev/null
# The share of place_order's own time spent in the KPI triggers, from
# pg_stat_user_functions (track_functions = all): both are timed in the
# same backends under the same load, so this ratio does not move with
# what else runs on the machine, as tps does.
oms_psql -q -d "$db" -c 'SELECT pg_stat_reset()' >/dev/null
PGOPTIONS="-c track_functions=all" "$OMS_BINDIR/pgbench" -n -M prepared -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" \
    -T "$seconds" -f "$OMS_TMP/place_order.sql" "$db" >/dev/null 2>&1
sleep 1
echo "== time inside place_order (track_functions = all, ${seconds}s at $clients clients, triggers on):"
oms_psql -d "$db" -c "SELECT funcname, calls, round(total_time::numeric, 1) AS total_ms, round(self_time::numeric, 1) AS self_ms,
                             round((total_time / calls)::numeric, 3) AS ms_per_call
                      FROM pg_stat_user_functions WHERE schemaname = 'oms' ORDER BY total_time DESC" \
         -c "SELECT round((100 * (SELECT sum(self_time) FROM pg_stat_user_functions WHERE funcname LIKE 'kpi\_%')
                      / (SELECT total_time FROM pg_stat_user_functions WHERE funcname = 'place_order'))::numeric, 2)
                    AS kpi_trigger_pct_of_place_order"
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m_on=$(median "${on_tps[@]}")
m_trig=$(median "${trig_tps[@]}")
m_off=$(median "${off_tps[@]}")
echo "== median tps: off $m_off, triggers $m_trig, triggers + roll-up $m_on"
echo "== triggers / off = $(awk -v a="$m_trig" -v b="$m_off" 'BEGIN { printf "%.3f", a / b }'), triggers + roll-up / off = $(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.3f", a / b }')"
echo "== check_inventory rows: $(oms_psql -Atq -d "$db" -c 'SELECT count(*) FROM oms.check_inventory()')"
echo "== orders: $(oms_psql -Atq -d "$db" -c 'SELECT count(*) FROM oms.sales_order'), in kpi_sales_daily: $(oms_psql -Atq -d "$db" -c 'SELECT sum(orders) FROM oms.kpi_sales_daily') (orders placed with the triggers off are not counted)"
