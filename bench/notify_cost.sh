#!/usr/bin/env bash
# notify_cost.sh: what rendering customer notifications (issue 16, item 1)
# costs place_order, in one run on one throwaway cluster: place_order.sql
# (3 lines over 1000 skus) at NOTIFY_CLIENTS clients, NOTIFY_ROUNDS rounds
# of NOTIFY_SECONDS per mode, the modes in turn (rotated each round):
#   off   oms.customer_notifications = off (the trigger's WHEN is false)
#   on    the reference templates installed: every order renders its
#         confirmation email (lines, totals) into oms.notification
#
#   bash bench/notify_cost.sh          # defaults: 8 clients, 3 rounds of 10 s
#
# Prints the tps of every run, the median of each side and the ratio, then
# the share of place_order's own time spent in the rendering trigger
# (track_functions = all), which does not move with the machine's load as
# tps does.  Holds the harness lock for the whole run (about NOTIFY_ROUNDS
# x 2 x NOTIFY_SECONDS plus a minute of set-up).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seconds=${NOTIFY_SECONDS:-10}
rounds=${NOTIFY_ROUNDS:-3}
clients=${NOTIFY_CLIENTS:-8}
db=oms_bench
OMS_PORT=${NOTIFY_PORT:-54349}

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
cp "$OMS_ROOT"/bench/setup.sql "$OMS_ROOT"/bench/place_order.sql "$OMS_TMP/"
oms_is_root && chown postgres "$OMS_TMP"/*.sql
oms_psql -q -c "CREATE DATABASE $db"
oms_psql -q -d "$db" -f "$OMS_TMP/setup.sql" >/dev/null
oms_psql -q -d "$db" -c 'SELECT count(oms.set_notification_template(kind, channel, language, subject, body)) FROM oms.default_notification_templates()' >/dev/null
"$OMS_BINDIR/pgbench" -n -M prepared -c 4 -j 2 -t 500 -f "$OMS_TMP/place_order.sql" "$db" >/dev/null
oms_psql -q -d "$db" -c 'VACUUM ANALYZE' >/dev/null

declare -a on_tps off_tps
run() {   # on | off
    local mode=$1 out t
    oms_psql -q -d "$db" -c "ALTER DATABASE $db SET oms.customer_notifications = $mode" -c CHECKPOINT >/dev/null
    out=$("$OMS_BINDIR/pgbench" -n -M prepared -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" \
          -T "$seconds" -f "$OMS_TMP/place_order.sql" "$db" 2>&1)
    t=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    echo "   notifications $mode: $t tps"
    case $mode in on) on_tps+=("$t") ;; *) off_tps+=("$t") ;; esac
}

echo "== place_order.sql at $clients clients, ${seconds}s per run, $rounds rounds of off and on (rotated)"
modes=(off on)
for r in $(seq "$rounds"); do
    for k in 0 1; do run "${modes[$(( (r + k) % 2 ))]}"; done
done
oms_psql -q -d "$db" -c "ALTER DATABASE $db SET oms.customer_notifications = on" -c 'SELECT pg_stat_reset()' >/dev/null
PGOPTIONS="-c track_functions=all" "$OMS_BINDIR/pgbench" -n -M prepared -c "$clients" -j "$(( clients < 4 ? clients : 4 ))" \
    -T "$seconds" -f "$OMS_TMP/place_order.sql" "$db" >/dev/null 2>&1
sleep 1
echo "== time inside place_order (track_functions = all, ${seconds}s at $clients clients, notifications on):"
oms_psql -d "$db" -c "SELECT funcname, calls, round(total_time::numeric, 1) AS total_ms, round(self_time::numeric, 1) AS self_ms,
                             round((total_time / calls)::numeric, 3) AS ms_per_call
                      FROM pg_stat_user_functions WHERE schemaname = 'oms' ORDER BY total_time DESC" \
         -c "SELECT round((100 * (SELECT sum(total_time) FROM pg_stat_user_functions WHERE funcname = 'notification_from_event')
                      / (SELECT total_time FROM pg_stat_user_functions WHERE funcname = 'place_order'))::numeric, 2)
                    AS notification_pct_of_place_order"
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m_on=$(median "${on_tps[@]}")
m_off=$(median "${off_tps[@]}")
echo "== median tps: off $m_off, on $m_on; on / off = $(awk -v a="$m_on" -v b="$m_off" 'BEGIN { printf "%.3f", a / b }')"
echo "== notifications: $(oms_psql -Atq -d "$db" -c "SELECT count(*) || ' (' || string_agg(DISTINCT state, ',') || ')' FROM oms.notification"), orders: $(oms_psql -Atq -d "$db" -c 'SELECT count(*) FROM oms.sales_order')"
