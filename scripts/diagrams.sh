#!/usr/bin/env bash
# diagrams.sh: print every state machine seeded by the extension as a
# Mermaid block, ready to paste into README.md's "State machines" section.
#
#   bash scripts/diagrams.sh > /tmp/machines.md
#
# Builds and installs the extension and runs it in a throwaway cluster, like
# make test (and under the same machine-wide lock).  Only the Markdown goes
# to stdout; the harness's progress goes to stderr.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

{
    oms_ensure_packages
    oms_lock
    oms_build_install
    oms_cluster_start postgres
} >&2

oms_as_pg "$OMS_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At -d postgres <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION oms;
SELECT format(E'### %s\n\n```mermaid\n%s\n```\n', m.machine, oms.machine_mermaid(m.machine))
FROM (SELECT DISTINCT machine FROM oms.status_machine WHERE seeded) m
ORDER BY array_position(ARRAY['order', 'shipment', 'return', 'purchase_order'], m.machine::text), m.machine;
SQL
