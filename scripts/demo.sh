#!/usr/bin/env bash
# demo.sh: the main job.  On a fresh Debian machine (as root) it installs what
# is missing, builds and installs oms, starts a throwaway cluster with pg_cron
# preloaded, creates the extension and walks a realistic scenario
# (scripts/demo.sql): the story of a small shop's orders, a heading and one
# line of prose per step, from stock to returns, reorder and jobs; then stops the
# cluster.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start oms_demo
"$OMS_BINDIR/createdb" oms_demo
oms_psql -d oms_demo -q -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION oms'
echo "== oms $(oms_psql -d oms_demo -Atc 'SELECT oms.version()') installed in database oms_demo"
oms_psql -d oms_demo -f "$OMS_ROOT/scripts/demo.sql"
echo "== demo finished; stopping the cluster"
