#!/usr/bin/env bash
# move_merchant.sh: move one merchant's database to another node while the
# merchant keeps working, with PostgreSQL's logical replication and a short
# write freeze at the switch (README, Scale-out: moving a merchant).
#
#   bash router/move_merchant.sh ROUTER_CONNINFO MERCHANT TARGET_NODE
#
# ROUTER_CONNINFO reaches the router database as its owner (a superuser);
# the nodes are reached with the connection strings of the router's map
# (oms_router.node.connstr) and the same user (PGUSER or the OS user), who
# must be a superuser there (publications of a schema, subscriptions, the
# copy's TRUNCATE under session_replication_role).  The source cluster needs
# wal_level = logical.
#
#   1. target: CREATE DATABASE, CREATE EXTENSION oms (the same version as
#      the source), and empty its tables (the copy brings every row,
#      configuration included);
#   2. source: REPLICA IDENTITY FULL on the tables without a primary key (the
#      KPI delta tables, whose rows refresh_kpis() deletes) and a publication
#      of schema oms; target: a subscription, which copies every table and
#      then streams the changes;
#   3. wait until every table is copied and streaming;
#   4. router: oms_router.switch_merchant(): freeze, catch up, compare, copy
#      the sequences, switch the map (all or nothing; retried after a
#      lock_timeout when a long transaction holds the merchant);
#   5. target: drop the subscription; source: drop the slot and the
#      publication, and close the old database to connections (dropped with
#      OMS_MOVE_DROP_SOURCE=1).
#
# Settings: OMS_MOVE_LOCK_TIMEOUT (5s: how long the switch waits for calls in
# flight), OMS_MOVE_TRIES (5), OMS_MOVE_CATCHUP (30 seconds),
# OMS_MOVE_SYNC_TIMEOUT (600: seconds for the initial copy), OMS_MOVE_VERIFY
# (true: compare every table's row count during the freeze; false for a big
# merchant, whose counts take long, to keep the freeze to the catch-up).
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 ROUTER_CONNINFO MERCHANT TARGET_NODE" >&2
    exit 2
fi
router=$1 merchant=$2 target=$3
PSQL=${PSQL:-psql}
lock_timeout=${OMS_MOVE_LOCK_TIMEOUT:-5s}
tries=${OMS_MOVE_TRIES:-5}
catchup=${OMS_MOVE_CATCHUP:-30 seconds}
sync_timeout=${OMS_MOVE_SYNC_TIMEOUT:-600}
verify=${OMS_MOVE_VERIFY:-true}

q() {
    local conn=$1
    shift
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -At -F '|' -d "$conn" "$@"
}
say() { echo "== $(date +%T.%N | cut -c1-12) $*"; }

info=$(q "$router" -v m="$merchant" -v t="$target" <<'SQL'
SELECT m.dbname, m.node, s.connstr, t.connstr, current_user
  FROM oms_router.merchant m
  JOIN oms_router.node s ON s.node = m.node
  CROSS JOIN oms_router.node t
 WHERE m.merchant = :'m' AND t.node = :'t';
SQL
)
if [ -z "$info" ]; then
    echo "unknown merchant $merchant or node $target in the router's map" >&2
    exit 1
fi
IFS='|' read -r dbname from src_base dst_base user <<<"$info"
if [ "$from" = "$target" ]; then
    echo "merchant $merchant is already on node $target" >&2
    exit 1
fi
[[ $src_base == *user=* ]] || src_base="$src_base user=$user"
[[ $dst_base == *user=* ]] || dst_base="$dst_base user=$user"
src="$src_base dbname=$dbname"
dst="$dst_base dbname=$dbname"
name=oms_move_${dbname//-/_}
say "moving merchant $merchant (database $dbname) from node $from to node $target"

# 1. the target database, empty
version=$(q "$src" -c "SELECT extversion FROM pg_extension WHERE extname = 'oms'")
q "$dst_base dbname=postgres" -v db="$dbname" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') \gexec
SQL
q "$dst" -v v="$version" <<'SQL'
SELECT format('CREATE EXTENSION oms VERSION %L', :'v') \gexec
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT 'TRUNCATE ' || string_agg(format('oms.%I', c.relname), ', ')
  FROM pg_class c WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind = 'r' \gexec
COMMIT;
SQL
say "target database created with oms $version, tables emptied"

# 2. publication on the source, subscription on the target
q "$src" -v pub="$name" <<'SQL'
SELECT format('ALTER TABLE oms.%I REPLICA IDENTITY FULL', c.relname)
  FROM pg_class c
 WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind = 'r' AND c.relreplident = 'd'
   AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) \gexec
SELECT format('CREATE PUBLICATION %I FOR TABLES IN SCHEMA oms', :'pub') \gexec
SQL
q "$dst" -v sub="$name" -v conn="$src" <<'SQL'
SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (copy_data = true)', :'sub', :'conn', :'sub') \gexec
SQL
say "subscribed: $name"

# 3. the initial copy
start=$SECONDS
while :; do
    left=$(q "$dst" -v sub="$name" <<'SQL'
SELECT count(*) FILTER (WHERE r.srsubstate <> 'r') || ' ' || count(*)
  FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
 WHERE s.subname = :'sub';
SQL
)
    read -r notready total <<<"$left"
    [ "$total" -gt 0 ] && [ "$notready" -eq 0 ] && break
    if [ $((SECONDS - start)) -gt "$sync_timeout" ]; then
        echo "the initial copy did not finish in ${sync_timeout}s ($notready of $total tables left)" >&2
        exit 1
    fi
    sleep 0.2
done
say "initial copy done: $total tables streaming"

# 4. the switch
try=1
while :; do
    if summary=$(q "$router" -v m="$merchant" -v t="$target" -v slot="$name" -v c="$catchup" -v lt="$lock_timeout" -v v="$verify" 2>&1 <<'SQL'
SET lock_timeout = :'lt';
SELECT oms_router.switch_merchant(:'m', :'t', :'slot', :'c'::interval, :'v'::boolean);
SQL
); then
        break
    fi
    if [[ $summary == *"lock timeout"* ]] && [ "$try" -lt "$tries" ]; then
        say "switch try $try: a transaction held the merchant past $lock_timeout; again"
        try=$((try + 1))
        continue
    fi
    echo "$summary" >&2
    echo "the switch failed: the merchant stays on node $from; the subscription $name is left running" >&2
    exit 1
done
say "switched: $summary"

# 5. clean up: the subscription, the slot, the publication, the old database
q "$dst" -v sub="$name" <<'SQL'
SELECT format('ALTER SUBSCRIPTION %I DISABLE', :'sub') \gexec
SELECT format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', :'sub') \gexec
SELECT format('DROP SUBSCRIPTION %I', :'sub') \gexec
SQL
for _ in $(seq 1 100); do
    active=$(q "$src" -v slot="$name" <<<"SELECT count(*) FROM pg_replication_slots WHERE slot_name = :'slot' AND active;")
    [ "$active" -eq 0 ] && break
    sleep 0.1
done
q "$src" -v slot="$name" <<'SQL'
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = :'slot';
SELECT format('DROP PUBLICATION %I', :'slot') \gexec
SQL
if [ -n "${OMS_MOVE_DROP_SOURCE:-}" ]; then
    q "$src_base dbname=postgres" -v db="$dbname" <<'SQL'
SELECT format('DROP DATABASE %I WITH (FORCE)', :'db') \gexec
SQL
    say "source database dropped"
else
    q "$src_base dbname=postgres" -v db="$dbname" <<'SQL'
SELECT format('ALTER DATABASE %I ALLOW_CONNECTIONS false', :'db') \gexec
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'db' AND pid <> pg_backend_pid();
SQL
    say "source database $dbname on node $from closed to connections (drop it when done)"
fi
say "merchant $merchant is on node $target"
