-- reorder: rules and their arithmetic, run_reorder(), the crossing event
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- run_reorder() without the ids
CREATE FUNCTION pg_temp.reorder() RETURNS TABLE (po_number text, supplier text, location text, sku text, action text, qty_before bigint, qty bigint, available bigint, incoming bigint, reorder_point bigint)
LANGUAGE sql AS $$
    SELECT po_number, supplier, location, sku, action, qty_before, qty, available, incoming, reorder_point
    FROM oms.run_reorder() ORDER BY po_number, sku
$$;
-- every draft line
CREATE FUNCTION pg_temp.drafts() RETURNS TABLE (po_number text, origin text, supplier text, location text, sku text, ordered bigint)
LANGUAGE sql AS $$
    SELECT o.po_number, o.origin, s.code, c.code, i.sku, l.qty_ordered
    FROM oms.purchase_order o JOIN oms.supplier s USING (supplier_id) JOIN oms.location c USING (location_id)
    JOIN oms.purchase_order_line l USING (po_id) JOIN oms.item i ON i.item_id = l.item_id
    WHERE o.status = 'draft' ORDER BY 1, 5
$$;

INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC'), ('WEST', 'West DC');
INSERT INTO oms.item (sku, name, backorder_policy)
SELECT v, 'Item ' || v, 'allow' FROM unnest(ARRAY['A-MULT', 'B-MIN', 'C-MAX', 'D-FIXED', 'E-SNOOZE', 'F-OFF', 'G-ABOVE', 'H-NOLEVEL']) v;
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit', true);
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 10), ('BOLT', 'Bolt', 3);
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
SELECT count(oms.receive_stock(sku, 'EAST', 10)) AS received FROM oms.item WHERE NOT is_bundle AND sku <> 'H-NOLEVEL';

-- ---------------------------------------------------------------------------
-- the rule arithmetic, one rule per case; available + incoming = 10 each
-- ---------------------------------------------------------------------------
-- max level 40, multiple 12: 40 - 10 = 30, rounded up to 36
SELECT (oms.set_reorder_rule('A-MULT', 'EAST', 'ACME', reorder_point => 15, max_level => 40, order_multiple => 12)).reorder_point;
-- max level 14: 4, raised to the minimum of 25, rounded up to a multiple of 10 = 30
SELECT (oms.set_reorder_rule('B-MIN', 'EAST', 'ACME', reorder_point => 10, max_level => 14, min_order_qty => 25, order_multiple => 10)).reorder_point;
-- plain order-up-to: 100 - 10 = 90
SELECT (oms.set_reorder_rule('C-MAX', 'EAST', 'BOLT', reorder_point => 12, max_level => 100)).reorder_point;
-- fixed quantity 20 with the point at 45: one lot lifts to 30, not above 45; two lift to 50
SELECT (oms.set_reorder_rule('D-FIXED', 'EAST', 'BOLT', reorder_point => 45, reorder_qty => 20, lead_time_days => 2)).reorder_point;
-- snoozed until tomorrow, inactive, above the point: nothing
SELECT (oms.set_reorder_rule('E-SNOOZE', 'EAST', 'ACME', reorder_point => 20, max_level => 50, snooze_until => CURRENT_DATE + 1)).reorder_point;
SELECT (oms.set_reorder_rule('F-OFF', 'EAST', 'ACME', reorder_point => 20, max_level => 50, active => false)).reorder_point;
SELECT (oms.set_reorder_rule('G-ABOVE', 'EAST', 'ACME', reorder_point => 9, max_level => 50)).reorder_point;
-- no level yet: the rule creates it (0 available)
SELECT (oms.set_reorder_rule('H-NOLEVEL', 'WEST', 'ACME', reorder_point => 0, reorder_qty => 5)).reorder_point;

SELECT sku, location, available, incoming, reorder_point, below_reorder_point
FROM oms.inventory_position ORDER BY sku, location;

SELECT * FROM pg_temp.reorder();
SELECT po_number, origin, status, s.code AS supplier, c.code AS location, expected_on - CURRENT_DATE AS lead_days
FROM oms.purchase_order JOIN oms.supplier s USING (supplier_id) JOIN oms.location c USING (location_id) ORDER BY po_number;
-- run again: every draft already covers its rule
SELECT * FROM pg_temp.reorder();

-- the snooze ends, the rule is switched on: topped into the existing drafts
UPDATE oms.reorder_rule SET snooze_until = CURRENT_DATE WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'E-SNOOZE');
SELECT (oms.set_reorder_rule('F-OFF', 'EAST', 'ACME', reorder_point => 20, max_level => 50)).active;
SELECT * FROM pg_temp.reorder();

-- demand grows: the draft line is topped up, never duplicated
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "C-MAX", "qty": 8}]') > 0 AS placed;
SELECT * FROM pg_temp.reorder();
SELECT * FROM pg_temp.drafts();

-- a draft a buyer made by hand for the same item counts as cover too
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "G-ABOVE", "qty": 4}]') > 0 AS placed;
SELECT oms.create_purchase_order('BOLT', 'EAST', '[{"sku": "G-ABOVE", "qty": 30}]') AS manual \gset
SELECT * FROM pg_temp.reorder();
SELECT oms.create_purchase_order('BOLT', 'EAST', '[{"sku": "G-ABOVE", "qty": 20}]') AS manual2 \gset
SELECT * FROM pg_temp.reorder();
SELECT * FROM pg_temp.drafts();

-- submitted, the drafts become incoming: the positions are above the points
SELECT oms.submit_purchase_order(po_id) FROM oms.purchase_order WHERE status = 'draft' AND origin = 'reorder' ORDER BY po_id;
SELECT sku, location, available, incoming, reorder_point, below_reorder_point
FROM oms.inventory_position ORDER BY sku, location;
SELECT * FROM pg_temp.reorder();
SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- the crossing: once per crossing, not per order
-- ---------------------------------------------------------------------------
INSERT INTO oms.item (sku, name) VALUES ('Z', 'Crossing item');
SELECT oms.receive_stock('Z', 'EAST', 20) > 0 AS received;
SELECT (oms.set_reorder_rule('Z', 'EAST', 'ACME', reorder_point => 10, max_level => 30)).reorder_point;
CREATE TEMP TABLE z_events AS SELECT max(event_id) AS since FROM oms.event;
SELECT oms.place_order('a@example.com', 'web', '[{"sku": "Z", "qty": 6}]') > 0 AS at_14;
SELECT oms.place_order('b@example.com', 'web', '[{"sku": "Z", "qty": 4}]') > 0 AS at_10_crosses;
SELECT oms.place_order('c@example.com', 'web', '[{"sku": "Z", "qty": 3}]') > 0 AS at_7_still_below;
SELECT oms.adjust_stock('Z', 'EAST', -2, 'breakage') > 0 AS at_5_still_below;
SELECT topic, payload FROM oms.event WHERE event_id > (SELECT since FROM z_events) AND topic LIKE 'inventory.%' ORDER BY event_id;
-- back above (a receipt), then down again through a cancelled purchase order
SELECT oms.receive_stock('Z', 'EAST', 10) > 0 AS at_15;
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "Z", "qty": 5}]') AS zpo \gset
SELECT oms.submit_purchase_order(:zpo);
SELECT oms.place_order('d@example.com', 'web', '[{"sku": "Z", "qty": 8}]') > 0 AS at_7_plus_5_incoming;
SELECT oms.cancel_purchase_order(:zpo) AS cancel_crosses;
SELECT topic, payload FROM oms.event WHERE event_id > (SELECT since FROM z_events) AND topic LIKE 'inventory.%' ORDER BY event_id;
-- a rollback takes the event with it; a change of the point is not a crossing
BEGIN;
SELECT oms.receive_stock('Z', 'EAST', 10) > 0 AS at_17;
SELECT oms.place_order('e@example.com', 'web', '[{"sku": "Z", "qty": 9}]') > 0 AS crosses_then_rolls_back;
ROLLBACK;
SELECT (oms.set_reorder_rule('Z', 'EAST', 'ACME', reorder_point => 3, max_level => 30)).reorder_point;
SELECT (oms.set_reorder_rule('Z', 'EAST', 'ACME', reorder_point => 10, max_level => 30)).reorder_point;
SELECT count(*) AS crossings FROM oms.event WHERE event_id > (SELECT since FROM z_events) AND topic = 'inventory.below_reorder_point';
-- an inactive rule announces nothing
SELECT oms.receive_stock('Z', 'EAST', 10) > 0 AS above;
UPDATE oms.reorder_rule SET active = false WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'Z');
SELECT sku, reorder_point FROM oms.inventory_position WHERE sku = 'Z';
SELECT oms.place_order('f@example.com', 'web', '[{"sku": "Z", "qty": 10}]') > 0 AS would_cross;
SELECT count(*) AS crossings FROM oms.event WHERE event_id > (SELECT since FROM z_events) AND topic = 'inventory.below_reorder_point';
-- a deleted rule leaves no point behind
DELETE FROM oms.reorder_rule WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'Z');
SELECT sku, reorder_point, below_reorder_point FROM oms.inventory_position WHERE sku = 'Z';

-- ---------------------------------------------------------------------------
-- refusals
-- ---------------------------------------------------------------------------
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('NOPE', 'EAST', 'ACME', 1, max_level => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'NOWHERE', 'ACME', 1, max_level => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'NOPE', 1, max_level => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('KIT', 'EAST', 'ACME', 1, max_level => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1, reorder_qty => 5, max_level => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 5, max_level => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', -1, reorder_qty => 5)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1, reorder_qty => 0)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1, reorder_qty => 5, order_multiple => 0)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1, reorder_qty => 5, min_order_qty => -1)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1, reorder_qty => 5, lead_time_days => -1)$$);
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', NULL, reorder_qty => 5)$$);
-- the table's constraints hold for direct writes (23514), bundles get no rule (22023)
SELECT pg_temp.try($$INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, reorder_qty, max_level) SELECT item_id, 1, 1, 1, 5, 9 FROM oms.item WHERE sku = 'Z'$$);
SELECT pg_temp.try($$INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, max_level) SELECT item_id, 1, 1, 10, 9 FROM oms.item WHERE sku = 'Z'$$);
SELECT pg_temp.try($$INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, max_level) SELECT item_id, 1, 1, 1, 9 FROM oms.item WHERE sku = 'KIT'$$);
-- the point on the level is the rule's to keep: admins have no grant on it (42501)
SET ROLE oms_admin;
SELECT pg_temp.try($$UPDATE oms.inventory_level SET reorder_point = 1$$);
-- admins write rules directly; the level follows
INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, reorder_qty)
SELECT item_id, 2, 2, 4, 6 FROM oms.item WHERE sku = 'Z';
RESET ROLE;
SELECT sku, location, reorder_point FROM oms.inventory_position WHERE sku = 'Z' ORDER BY location;
SET ROLE oms_app;
SELECT count(*) >= 0 AS app_can_run FROM oms.run_reorder();
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('Z', 'EAST', 'ACME', 1, reorder_qty => 5)$$);
RESET ROLE;
SET ROLE oms_reader;
SELECT pg_temp.try($$SELECT oms.run_reorder()$$);
SELECT count(*) > 0 AS reader_sees_rules FROM oms.inventory_position WHERE reorder_point IS NOT NULL;
SELECT pg_temp.try($$SELECT count(*) FROM oms.reorder_rule$$) AS reader_reads_table;   -- views only (issue 14)
RESET ROLE;

-- ---------------------------------------------------------------------------
-- the jobs: pg_cron lives in database postgres here, not in this one
-- ---------------------------------------------------------------------------
SELECT * FROM oms.job_definitions() ORDER BY jobname;
SELECT pg_temp.try($$SELECT oms.schedule_jobs()$$);
SELECT oms.schedule_jobs_sql(reorder_schedule => '*/10 * * * *');

SELECT * FROM oms.check_inventory();
