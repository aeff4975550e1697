#!/usr/bin/env bash
# router.sh: what the PL/Proxy router (router/, oms_router) costs per call
# (issue 17, item 6): place_order of bench/place_order.sql called directly on
# the node and through the router, and the empty call (oms.version()) both
# ways, which is the routing alone.
#
# One throwaway cluster holds the node's database (bench/run.sh's data set:
# oms_bench_data) and the router's database; the router reaches the node
# over the unix socket, as PL/Proxy would reach a node on the same host or
# a pooler next to it.  Both share the machine's cores, so the routed
# throughput at several clients is a floor: the router's CPU is taken from
# the node.  The latency at one client is the per-call overhead.
#
#   bash bench/router.sh                      # 3 rounds of 5 s runs, clients "1 8"
#   BENCH_SECONDS=20 BENCH_ROUNDS=5 BENCH_CLIENTS="1 4 16" bash bench/router.sh
#
# The runs alternate (direct, routed, direct, ...) for BENCH_ROUNDS rounds,
# so a neighbour's load hits both ways alike; each figure is the median of
# its rounds.  Prints a markdown table: tps and average latency per
# workload, way and clients, and the router's overhead per call.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

seconds=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
clients=${BENCH_CLIENTS:-1 8}
OMS_PORT=${OMS_ROUTER_BENCH_PORT:-54349}
OMS_CLUSTER_CONF="max_connections = 120"

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_bench_data m1
oms_psql -q -c 'CREATE DATABASE router'
oms_psql -q -d router -v sock="$PGHOST" -v port="$PGPORT" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION oms_router CASCADE;
INSERT INTO oms_router.node (node, connstr) VALUES ('n1', format('host=%s port=%s', :'sock', :'port'));
INSERT INTO oms_router.merchant (merchant, node, dbname) VALUES ('m1', 'n1', 'm1');
SQL
sed 's/oms\.place_order(/oms_router.place_order('"'m1'"', /' "$OMS_TMP/place_order.sql" >"$OMS_TMP/place_order_routed.sql"
echo 'SELECT oms.version();' >"$OMS_TMP/version.sql"
echo "SELECT oms_router.version('m1');" >"$OMS_TMP/version_routed.sql"
chmod 644 "$OMS_TMP"/*.sql

declare -A tps lat
run() { # run WORKLOAD WAY DB SCRIPT CLIENTS: appends this round's figures
    local out
    oms_psql -q -d "$3" -c 'CHECKPOINT'
    out=$("$OMS_BINDIR/pgbench" -n -M prepared -c "$5" -j "$(( $5 < 4 ? $5 : 4 ))" -T "$seconds" -f "$OMS_TMP/$4" "$3" 2>&1) \
        || { echo "$out"; exit 1; }
    tps[$1/$2/$5]+="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1) "
    lat[$1/$2/$5]+="$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out") "
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for r in $(seq 1 "$rounds"); do
    for c in $clients; do
        run place_order direct m1 place_order.sql "$c"
        run place_order router router place_order_routed.sql "$c"
        run version direct m1 version.sql "$c"
        run version router router version_routed.sql "$c"
    done
done

echo
echo "cluster: $(oms_psql -At -c 'SELECT version()' | cut -d' ' -f1-2), $(nproc) cores, PL/Proxy $(oms_psql -At -d router -c "SELECT extversion FROM pg_extension WHERE extname = 'plproxy'"), median of $rounds alternating runs of ${seconds}s, pgbench -M prepared"
echo
echo "| workload | clients | direct tps | routed tps | routed / direct | direct latency ms | routed latency ms | overhead per call ms |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for w in place_order version; do
    for c in $clients; do
        d=$(median "${tps[$w/direct/$c]}") r=$(median "${tps[$w/router/$c]}")
        ld=$(median "${lat[$w/direct/$c]}") lr=$(median "${lat[$w/router/$c]}")
        awk -v w="$w" -v c="$c" -v d="$d" -v r="$r" -v ld="$ld" -v lr="$lr" 'BEGIN {
            printf "| %s | %s | %.0f | %.0f | %.2f | %.3f | %.3f | %.3f |\n", w, c, d, r, r / d, ld, lr, lr - ld }'
    done
done
