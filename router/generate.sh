#!/usr/bin/env bash
# generate.sh: rewrite router/sql/10_api.sql, the router's twin of every oms
# API function, from the catalog of a throwaway database with this tree's oms
# installed (router/generate.sql).  Run it after the API changes (a new
# function, a new argument); sql/router_api.sql fails until then.
#
#   bash router/generate.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
OMS_PORT=${OMS_GENERATE_PORT:-54339}

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_psql -q -c 'CREATE DATABASE oms_generate'
oms_psql -q -d oms_generate -c 'CREATE EXTENSION oms'
out=$OMS_ROOT/router/sql/10_api.sql
oms_psql -q -d oms_generate -f "$OMS_ROOT/router/generate.sql" >"$out.tmp"
mv "$out.tmp" "$out"
echo "== wrote $out: $(grep -c '^CREATE FUNCTION' "$out") routed functions"
