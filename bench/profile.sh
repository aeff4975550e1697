#!/usr/bin/env bash
# profile.sh: where one order's server time goes, in instructions (issue 12,
# item 6).  callgrind counts instructions, not seconds, so the figures repeat
# run to run whatever else the machine is doing.
#
# The postmaster runs under valgrind --tool=callgrind; every backend it
# forks writes its own profile.  For each workload two pgbench sessions of
# one client place PROFILE_SHORT and PROFILE_LONG orders (defaults 100 and
# 600); the difference of their totals over the difference of their order
# counts is the steady-state cost of one order, with connection start-up and
# first-call plan building cancelled out.  The long session's profile is
# then summarised: the inclusive share of the functions that matter.
#
#   bash bench/profile.sh                 po3 and po15 (bench/place_order*.sql)
#   PROFILE_WORKLOADS="po3" bash bench/profile.sh
#   PROFILE_KEEP=DIR bash bench/profile.sh   keep the callgrind files in DIR
#
# Needs valgrind (installed with the other packages).  About 3 minutes.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

short=${PROFILE_SHORT:-100}
long=${PROFILE_LONG:-600}
workloads=${PROFILE_WORKLOADS:-po3 po15}
db=oms_bench
declare -A script=([po3]=place_order.sql [po15]=place_order_15.sql [client3]=place_order_client.sql)

OMS_PACKAGES+=(valgrind)
oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_bench_data "$db"
oms_psql -q -d "$db" -c 'CHECKPOINT'

echo "== restarting the postmaster under callgrind"
oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -m fast -w stop >/dev/null
cg=$OMS_TMP/callgrind
mkdir -p "$cg"
chmod 777 "$cg"
oms_as_pg valgrind --tool=callgrind --quiet --callgrind-out-file="$cg/cg.%p" \
    "$OMS_BINDIR/postgres" -D "$OMS_TMP/data" >"$OMS_TMP/valgrind.log" 2>&1 &
for _ in $(seq 1 120); do
    oms_psql -At -c 'SELECT 1' >/dev/null 2>&1 && break
    sleep 1
done

# session N SCRIPT: one pgbench client placing N orders; prints the profile
# file of its backend (the largest new file: an autovacuum worker may appear)
session() {
    local n=$1 file=$2 before after
    before=$(ls "$cg")
    "$OMS_BINDIR/pgbench" -n -M prepared -c 1 -t "$n" -f "$OMS_TMP/$file" "$db" >/dev/null
    sleep 2   # the backend writes its profile as it exits
    after=$(ls "$cg")
    comm -13 <(echo "$before" | sort) <(echo "$after" | sort) \
        | while read -r f; do echo "$(total "$cg/$f") $cg/$f"; done | sort -n | tail -1 | cut -d' ' -f2
}
# summary FILE TOTAL: the functions of 1% or more, inclusive, once each
summary() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null \
        | awk -v tot="$2" -v max="${PROFILE_LINES:-45}" '/^ *[0-9,]+ .*:/ {
              ir = $1; gsub(",", "", ir); pct = 100 * ir / tot;
              if (pct < 1) next;
              name = $0; sub(/^ *[0-9,]+ *(\([^)]*\))? */, "", name);
              sub(/ \[.*\]$/, "", name); sub(/^.*\/src\//, "src/", name); sub(/^\?\?\?:/, "", name);
              if (name ~ /^0x|main|libc_start|PostmasterMain|^\(below/ || seen[name]++) next;
              if (++n <= max) printf "%6.1f%%  %s\n", pct, name }'
}
total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }

for w in $workloads; do
    a=$(session "$short" "${script[$w]}")
    b=$(session "$long" "${script[$w]}")
    ia=$(total "$a")
    ib=$(total "$b")
    per=$(( (ib - ia) / (long - short) ))
    echo
    echo "### $w (${script[$w]}): $(printf "%'d" "$per") instructions per order"
    echo "    ($long orders: $(printf "%'d" "$ib"), $short orders: $(printf "%'d" "$ia"))"
    echo
    echo "Inclusive share of the $long-order session, functions of 1% or more:"
    echo
    summary "$b" "$ib"
done

if [ -n "${PROFILE_KEEP:-}" ]; then
    mkdir -p "$PROFILE_KEEP"
    cp "$cg"/cg.* "$PROFILE_KEEP/"
    echo "== callgrind files kept in $PROFILE_KEEP"
fi
oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
# valgrind writes the postmaster's own profile after its pid file is gone
for _ in $(seq 1 60); do
    pgrep -f "callgrind-out-file=$cg" >/dev/null || break
    sleep 1
done
