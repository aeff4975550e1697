#!/usr/bin/env bash
# reorder.sh: time oms.run_reorder() over 100,000 item-locations with rules
# (DESIGN.md section 11: under 2 s), on a throwaway cluster.
#
#   10,000 items x 10 locations, one rule each (point 20, order up to 100,
#   multiple 6, minimum 12), 20 suppliers, on_hand 1..100 spread so that
#   about a fifth of the rules are at or below their point.
#
# Three timed runs, each one transaction, after VACUUM ANALYZE:
#   first    creates the drafts (one per supplier and location) and a line
#            for every rule at or below its point
#   again    the same rules: nothing to add (the steady state of the job)
#   all      every point raised to 100: all 100,000 rules order; the lines
#            already there are topped up, the rest added (the worst case)
# Prints a table of the times and what each run wrote, and fails if
# check_inventory() reports anything afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

items=${BENCH_ITEMS:-10000}
locations=${BENCH_LOCATIONS:-10}
db=oms_reorder_bench

oms_ensure_packages
oms_lock
oms_build_install
oms_cluster_start postgres
oms_psql -q -c "CREATE DATABASE $db"

echo "== set-up: $items items x $locations locations, a rule each"
start=$(date +%s)
oms_psql -q -d "$db" <<SQL
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name) SELECT 'L' || g, 'Location ' || g FROM generate_series(1, $locations) g;
INSERT INTO oms.item (sku, name) SELECT 'SKU-' || g, 'Item ' || g FROM generate_series(1, $items) g;
INSERT INTO oms.supplier (code, name, lead_time_days) SELECT 'S' || g, 'Supplier ' || g, 5 + g % 10 FROM generate_series(1, 20) g;
-- stock through the ledger (its trigger creates and writes each level)
INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reference)
SELECT i.item_id, l.location_id, 'receipt', (i.item_id * 7 + l.location_id * 13) % 100 + 1, 'bench'
FROM oms.item i CROSS JOIN oms.location l ORDER BY 1, 2;
INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, max_level, order_multiple, min_order_qty)
SELECT i.item_id, l.location_id, 1 + i.item_id % 20, 20, 100, 6, 12
FROM oms.item i CROSS JOIN oms.location l;
VACUUM ANALYZE;
SQL
echo "   $(( $(date +%s) - start )) s; $(oms_psql -At -d "$db" -c 'SELECT count(*) FROM oms.reorder_rule') rules," \
     "$(oms_psql -At -d "$db" -c 'SELECT count(*) FROM oms.reorder_rule r JOIN oms.inventory_level v USING (item_id, location_id) WHERE v.available + v.incoming <= r.reorder_point') at or below their point"

# run NAME: one timed run_reorder() in its own transaction; prints ms and rows
declare -A ms rows
run() {
    local name=$1 out
    oms_psql -q -d "$db" -c 'CHECKPOINT'
    out=$(oms_psql -At -d "$db" -c '\timing on' -c 'SELECT count(*) FROM oms.run_reorder()')
    rows[$name]=$(grep -E "^[0-9]+$" <<<"$out" | head -n 1)
    ms[$name]=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out")
    printf '   %-6s %10.1f ms  %7d lines written\n' "$name" "${ms[$name]}" "${rows[$name]}"
}

echo "== runs"
run first
run again
oms_psql -q -d "$db" -c 'UPDATE oms.reorder_rule SET reorder_point = 100, max_level = 150' -c 'VACUUM ANALYZE'
run all

problems=$(oms_psql -At -d "$db" -c 'SELECT count(*) FROM oms.check_inventory()')
drafts=$(oms_psql -At -d "$db" -c "SELECT count(*) || ' drafts, ' || (SELECT count(*) FROM oms.purchase_order_line) || ' lines' FROM oms.purchase_order")
echo "== after: $drafts; check_inventory rows: $problems"

echo
echo "## run_reorder over $((items * locations)) item-locations with rules: $(nproc) cores, PostgreSQL $OMS_PG_MAJOR"
echo
echo "| run | what it does | lines written | time |"
echo "| --- | --- | ---: | ---: |"
printf '| first | creates the drafts for the rules at or below their point | %d | %.0f ms |\n' "${rows[first]}" "${ms[first]}"
printf '| again | the same rules, nothing left to order | %d | %.0f ms |\n' "${rows[again]}" "${ms[again]}"
printf '| all | every rule orders: tops up or adds a line for each | %d | %.0f ms |\n' "${rows[all]}" "${ms[all]}"

[ "$problems" = 0 ]
