# lib.sh: the throwaway-cluster harness shared by demo.sh, test.sh and
# bench/run.sh.  Source it; it defines functions and sets nothing up by itself.
#
#   oms_ensure_packages   install what is missing (as root) or name it
#   oms_build_install     build with -Werror and install into the server
#   oms_cluster_start     initdb + start a private cluster with pg_cron
#   oms_cluster_stop      stop it and remove its directory (also on exit)
#   oms_psql              psql against the private cluster
#   oms_bench_data        bench/run.sh's oms data set in a new database
#
# The cluster listens only on a unix socket in a fresh temporary directory,
# on a private port; it never touches a system cluster.  Postgres refuses to
# run as root, so when invoked as root the server runs as the postgres
# system user (created by Debian's postgresql packages).

set -euo pipefail

OMS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OMS_PG_MAJOR=${OMS_PG_MAJOR:-15}
OMS_BINDIR=/usr/lib/postgresql/$OMS_PG_MAJOR/bin
OMS_PG_CONFIG=$OMS_BINDIR/pg_config
OMS_PORT=${OMS_PORT:-54329}
OMS_PACKAGES=(make gcc "postgresql-$OMS_PG_MAJOR" "postgresql-server-dev-$OMS_PG_MAJOR"
              "postgresql-$OMS_PG_MAJOR-cron" libipc-run-perl sqlsmith
              # the router in front of oms nodes (router/, test/t/080_scale_out.pl)
              "postgresql-$OMS_PG_MAJOR-plproxy"
              # BI drivers (test/t/070_bi_drivers.pl; a JDK runs its one-file
              # Java program) and the charts (bench/report.sh)
              odbc-postgresql unixodbc libpostgresql-jdbc-java default-jdk-headless gnuplot-nox
              # the notification worker (tools/notify-worker, test/t/080_notify_worker.pl)
              libdbd-pg-perl)
OMS_TMP=
OMS_LOCK_FD=
# Extra postgresql.conf lines for the next oms_cluster_start (the benchmarks
# raise max_connections, preload pg_stat_statements); later lines win.
OMS_CLUSTER_CONF=${OMS_CLUSTER_CONF:-}

oms_is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as the user that owns the cluster.
oms_as_pg() {
    if oms_is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

oms_ensure_packages() {
    local missing=() p
    for p in "${OMS_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if oms_is_root; then
        echo "== installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "missing packages: ${missing[*]}" >&2
        echo "install them as root:  apt-get install ${missing[*]}" >&2
        exit 1
    fi
}

# One build-install-run at a time per machine: the installed module is
# machine-wide, so two runs must not interleave their installs.
oms_lock() {
    exec {OMS_LOCK_FD}>/tmp/oms-harness.lock
    flock "$OMS_LOCK_FD"
}

oms_build_install() {
    echo "== building oms (warnings are errors)"
    make -C "$OMS_ROOT" -s PG_CONFIG="$OMS_PG_CONFIG" >/dev/null
    if oms_is_root; then
        make -C "$OMS_ROOT" -s PG_CONFIG="$OMS_PG_CONFIG" install >/dev/null
        # leave build products owned by whoever owns the tree
        chown -R --reference="$OMS_ROOT" "$OMS_ROOT"/src "$OMS_ROOT"/oms.so \
            "$OMS_ROOT"/oms--*.sql 2>/dev/null || true
    else
        make -C "$OMS_ROOT" -s PG_CONFIG="$OMS_PG_CONFIG" install >/dev/null || {
            echo "cannot install into $($OMS_PG_CONFIG --sharedir); run as root" >&2
            exit 1
        }
    fi
}

# oms_cluster_start [cron_database]
oms_cluster_start() {
    local crondb=${1:-postgres}
    OMS_TMP=$(mktemp -d /tmp/oms-cluster.XXXXXX)
    chmod 755 "$OMS_TMP"
    mkdir -p "$OMS_TMP/sock"
    if oms_is_root; then
        chown -R postgres:postgres "$OMS_TMP"
    fi
    export PGHOST="$OMS_TMP/sock" PGPORT="$OMS_PORT" PGUSER=postgres PGDATABASE=postgres
    trap oms_cluster_stop EXIT
    oms_as_pg "$OMS_BINDIR/initdb" -D "$OMS_TMP/data" -U postgres -A trust \
        --no-instructions -E UTF8 --locale=C >"$OMS_TMP/initdb.log" 2>&1 \
        || { cat "$OMS_TMP/initdb.log"; return 1; }
    oms_as_pg tee -a "$OMS_TMP/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = ''
unix_socket_directories = '$OMS_TMP/sock'
port = $OMS_PORT
shared_preload_libraries = 'pg_cron,oms'
cron.database_name = '$crondb'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 120
max_prepared_transactions = 10
log_min_messages = warning
$OMS_CLUSTER_CONF
CONF
    # The server must not inherit the harness lock: a server left behind
    # would hold it for everyone.
    if [ -n "${OMS_LOCK_FD:-}" ]; then
        oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -l "$OMS_TMP/postgres.log" -w start >/dev/null {OMS_LOCK_FD}>&- \
            || { cat "$OMS_TMP/postgres.log"; return 1; }
    else
        oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -l "$OMS_TMP/postgres.log" -w start >/dev/null \
            || { cat "$OMS_TMP/postgres.log"; return 1; }
    fi
    echo "== throwaway cluster on $PGHOST port $PGPORT (pg_cron in database $crondb)"
}

oms_cluster_stop() {
    [ -n "$OMS_TMP" ] || return 0
    if [ -f "$OMS_TMP/data/postmaster.pid" ]; then
        # fast, or immediate when fast does not finish (a server stuck in
        # crash recovery after a test crashed a backend)
        oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -m fast -t 30 -w stop >/dev/null 2>&1 \
            || oms_as_pg "$OMS_BINDIR/pg_ctl" -D "$OMS_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${OMS_KEEP:-}" ]; then
        echo "== kept $OMS_TMP"
    else
        rm -rf "$OMS_TMP"
    fi
    OMS_TMP=
}

oms_psql() {
    "$OMS_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"
}

# oms_bench_data DB: bench/run.sh's oms data set in a new database DB of the
# running cluster (bench/setup.sql, 2000 warm-up orders from 4 clients,
# VACUUM ANALYZE), for the scripts that measure one order (statements.sh,
# profile.sh).  Copies bench/*.sql into $OMS_TMP, where pgbench reads them.
oms_bench_data() {
    local db=$1
    cp "$OMS_ROOT"/bench/*.sql "$OMS_TMP/"
    chmod 644 "$OMS_TMP"/*.sql
    echo "== set-up: the oms data set of bench/run.sh in database $db"
    oms_psql -q -c "CREATE DATABASE $db"
    oms_psql -q -d "$db" -f "$OMS_TMP/setup.sql" >/dev/null
    "$OMS_BINDIR/pgbench" -n -M prepared -c 4 -j 2 -t 500 -f "$OMS_TMP/place_order.sql" "$db" >/dev/null
    oms_psql -q -d "$db" -c 'VACUUM ANALYZE'
}
