-- inventory: locations, items, the movement ledger and its API, the views
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename

SELECT oms.version() = (SELECT default_version FROM pg_available_extensions WHERE name = 'oms') AS version_matches_control;

INSERT INTO oms.location (code, name, kind, priority, region, latitude, longitude) VALUES
    ('WH-EAST', 'East warehouse', 'warehouse', 10, 'US-NY', 40.7, -74.0),
    ('WH-WEST', 'West warehouse', 'warehouse', 20, 'US-CA', 34.0, -118.2),
    ('STORE-1', 'Flagship store', 'store', 50, 'US-NY', 40.75, -73.99);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TSHIRT-M', 'T-shirt, medium', 'deny'),
    ('MUG', 'Coffee mug', 'allow'),
    ('POSTER', 'Poster', 'preorder');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('GIFTSET', 'Gift set', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, q FROM oms.item b, oms.item c,
    (VALUES ('TSHIRT-M', 1), ('MUG', 2)) AS v(sku, q)
WHERE b.sku = 'GIFTSET' AND c.sku = v.sku;

-- reference data guards
SELECT pg_temp.try($$INSERT INTO oms.location (code, name, kind) VALUES ('WH X', 'bad code', 'warehouse')$$);
SELECT pg_temp.try($$INSERT INTO oms.location (code, name, kind) VALUES ('WH-NORTH', 'North', 'moon')$$);
SELECT pg_temp.try($$INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('X', 'x', 'maybe')$$);
SELECT pg_temp.try($$INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, 1 FROM oms.item b, oms.item c WHERE b.sku = 'MUG' AND c.sku = 'POSTER'$$);
SELECT pg_temp.try($$INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, b.item_id, 1 FROM oms.item b WHERE b.sku = 'GIFTSET'$$);

-- receipts
SELECT oms.receive_stock('TSHIRT-M', 'WH-EAST', 100, 'PO-1') > 0 AS received;
SELECT oms.receive_stock('TSHIRT-M', 'WH-WEST', 40) > 0 AS received;
SELECT oms.receive_stock('MUG', 'WH-EAST', 30) > 0 AS received;
SELECT oms.receive_stock('MUG', 'STORE-1', 5) > 0 AS received;

-- adjustment with a reason, up and down
SELECT oms.adjust_stock('TSHIRT-M', 'WH-EAST', -3, 'found torn in bin') > 0 AS adjusted;
SELECT oms.adjust_stock('MUG', 'WH-EAST', 2, 'found behind shelf') > 0 AS adjusted;

-- cycle count: returns the adjustment it made
SELECT oms.count_stock('TSHIRT-M', 'WH-WEST', 37) AS count_delta;
SELECT oms.count_stock('TSHIRT-M', 'WH-WEST', 37) AS count_delta_again;
SELECT oms.count_stock('MUG', 'STORE-1', 6, 'annual count') AS count_delta;

-- transfer: both legs in one call, linked by the transfer id
SELECT oms.transfer_stock('TSHIRT-M', 'WH-EAST', 'STORE-1', 10, 'replenish store') AS transfer_id \gset
SELECT m.kind, l.code, m.on_hand_delta, m.on_hand_after, m.reference
FROM oms.inventory_movement m JOIN oms.location l USING (location_id)
WHERE transfer_id = :transfer_id ORDER BY movement_id;

-- damage and scrap
SELECT oms.damage_stock('MUG', 'WH-EAST', 4, 'dropped pallet') > 0 AS damaged;
SELECT oms.scrap_stock('MUG', 'WH-EAST', 3, 'beyond repair') > 0 AS scrapped;

-- safety stock is configuration: it lowers available, not on_hand
SELECT oms.set_safety_stock('TSHIRT-M', 'WH-EAST', 7) AS available_after;

SELECT sku, location, on_hand, reserved, safety_stock, available, damaged, incoming
FROM oms.inventory_position ORDER BY sku, location;
SELECT sku, locations_stocked, on_hand, reserved, safety_stock, available, damaged, incoming
FROM oms.inventory_summary ORDER BY sku;

-- the ledger, with its running balance
SELECT i.sku, l.code, m.kind, m.on_hand_delta, m.damaged_delta, m.counted, m.on_hand_after, m.damaged_after, m.reason
FROM oms.inventory_movement m JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
ORDER BY m.movement_id;

SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- errors: each with its SQLSTATE, each changing nothing
-- ---------------------------------------------------------------------------
-- a level at the top of bigint, for the overflow tests below
SELECT oms.receive_stock('POSTER', 'WH-EAST', 9223372036854775807) > 0 AS received;
SELECT oms.receive_stock('POSTER', 'WH-WEST', 5) > 0 AS received;

CREATE TEMP TABLE before AS SELECT * FROM oms.inventory_level;
SELECT count(*) AS movements_before FROM oms.inventory_movement \gset

-- unknown references (OM003)
SELECT pg_temp.try($$SELECT oms.receive_stock('NOPE', 'WH-EAST', 1)$$);
SELECT pg_temp.try($$SELECT oms.receive_stock('MUG', 'WH-NOWHERE', 1)$$);
SELECT pg_temp.try($$SELECT oms.transfer_stock('MUG', 'WH-EAST', 'WH-NOWHERE', 1)$$);
-- zero, negative and null quantities (22023)
SELECT pg_temp.try($$SELECT oms.receive_stock('MUG', 'WH-EAST', 0)$$);
SELECT pg_temp.try($$SELECT oms.receive_stock('MUG', 'WH-EAST', -5)$$);
SELECT pg_temp.try($$SELECT oms.receive_stock('MUG', 'WH-EAST', NULL)$$);
SELECT pg_temp.try($$SELECT oms.receive_stock(NULL, 'WH-EAST', 1)$$);
SELECT pg_temp.try($$SELECT oms.adjust_stock('MUG', 'WH-EAST', 0, 'nothing')$$);
SELECT pg_temp.try($$SELECT oms.adjust_stock('MUG', 'WH-EAST', 1, NULL)$$);
SELECT pg_temp.try($$SELECT oms.adjust_stock('MUG', 'WH-EAST', 1, '')$$);
SELECT pg_temp.try($$SELECT oms.count_stock('MUG', 'WH-EAST', -1)$$);
SELECT pg_temp.try($$SELECT oms.transfer_stock('MUG', 'WH-EAST', 'WH-EAST', 1)$$);
SELECT pg_temp.try($$SELECT oms.transfer_stock('MUG', 'WH-EAST', 'STORE-1', 0)$$);
SELECT pg_temp.try($$SELECT oms.damage_stock('MUG', 'WH-EAST', -1, 'x')$$);
SELECT pg_temp.try($$SELECT oms.set_safety_stock('MUG', 'WH-EAST', -1)$$);
-- bundles hold no stock (22023)
SELECT pg_temp.try($$SELECT oms.receive_stock('GIFTSET', 'WH-EAST', 1)$$);
-- overflow (22003)
SELECT pg_temp.try($$SELECT oms.receive_stock('POSTER', 'WH-EAST', 1)$$);
-- the out leg of this transfer applies, the in leg overflows: neither stays
SELECT pg_temp.try($$SELECT oms.transfer_stock('POSTER', 'WH-EAST', 'WH-WEST', 9223372036854775807)$$);
-- insufficient stock (OM001): removing more than on hand, transferring more than available
SELECT pg_temp.try($$SELECT oms.adjust_stock('MUG', 'STORE-1', -7, 'shrinkage')$$);
SELECT pg_temp.try($$SELECT oms.transfer_stock('TSHIRT-M', 'WH-EAST', 'WH-WEST', 81)$$);
SELECT pg_temp.try($$SELECT oms.damage_stock('MUG', 'STORE-1', 100, 'flood')$$);
SELECT pg_temp.try($$SELECT oms.scrap_stock('MUG', 'WH-EAST', 2, 'gone')$$);
-- bypassing the ledger (OM008)
SELECT pg_temp.try($$UPDATE oms.inventory_level SET on_hand = on_hand + 1000$$);
SELECT pg_temp.try($$UPDATE oms.inventory_level SET reserved = 1 WHERE reserved = 0$$);
SELECT pg_temp.try($$INSERT INTO oms.inventory_level (item_id, location_id, on_hand)
SELECT item_id, location_id, 5 FROM oms.item, oms.location WHERE sku = 'POSTER' AND code = 'STORE-1'$$);
SELECT pg_temp.try($$DELETE FROM oms.inventory_level WHERE on_hand > 0$$);
SELECT pg_temp.try($$TRUNCATE oms.inventory_level CASCADE$$);
SELECT pg_temp.try($$UPDATE oms.inventory_movement SET on_hand_delta = 1000$$);
SELECT pg_temp.try($$DELETE FROM oms.inventory_movement$$);
SELECT pg_temp.try($$TRUNCATE oms.inventory_movement$$);
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, transfer_id)
SELECT item_id, location_id, 'transfer_in', 5, 999 FROM oms.item, oms.location WHERE sku = 'MUG' AND code = 'WH-EAST'$$);

-- nothing of the failed calls was written
SELECT count(*) = :movements_before AS ledger_unchanged FROM oms.inventory_movement;
SELECT count(*) AS levels_changed FROM (
    SELECT * FROM oms.inventory_level EXCEPT SELECT * FROM before) d;
SELECT * FROM oms.check_inventory();

-- the ledger accepts a direct receipt (from an admin tool) and applies it like the API
INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reference)
SELECT item_id, location_id, 'receipt', 3, 'manual' FROM oms.item, oms.location WHERE sku = 'POSTER' AND code = 'STORE-1';
INSERT INTO oms.inventory_movement (item_id, location_id, kind, counted)
SELECT item_id, location_id, 'count', 2 FROM oms.item, oms.location WHERE sku = 'POSTER' AND code = 'STORE-1';
SELECT sku, location, on_hand FROM oms.inventory_position WHERE sku = 'POSTER';
-- and its constraints hold for direct inserts too (23514)
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta)
SELECT item_id, location_id, 'adjustment', 3 FROM oms.item, oms.location WHERE sku = 'POSTER' AND code = 'STORE-1'$$);

-- safety stock may be set directly; the buckets may not
UPDATE oms.inventory_level SET safety_stock = 2
WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'MUG')
  AND location_id = (SELECT location_id FROM oms.location WHERE code = 'STORE-1');
SELECT sku, location, on_hand, safety_stock, available FROM oms.inventory_position WHERE sku = 'MUG' ORDER BY location;
-- a transfer respects safety stock: STORE-1 holds 6, keeps 2, so 5 is too many
SELECT pg_temp.try($$SELECT oms.transfer_stock('MUG', 'STORE-1', 'WH-WEST', 5)$$);
SELECT oms.transfer_stock('MUG', 'STORE-1', 'WH-WEST', 4) > 0 AS transferred;
-- an adjustment may eat into safety stock: it records what is physically there
SELECT oms.adjust_stock('MUG', 'STORE-1', -2, 'shrinkage') > 0 AS adjusted;
SELECT sku, location, on_hand, safety_stock, available FROM oms.inventory_position WHERE sku = 'MUG' ORDER BY location;

-- restore: damaged units that passed inspection go back on hand, with a reason
SELECT oms.damage_stock('MUG', 'WH-WEST', 2, 'wet carton') > 0 AS damaged;
SELECT oms.restore_stock('MUG', 'WH-WEST', 1, 'dried out, passed inspection') > 0 AS restored;
SELECT kind, on_hand_delta, damaged_delta, on_hand_after, damaged_after, reason FROM oms.inventory_movement
WHERE kind IN ('damage', 'restore') AND location_id = (SELECT location_id FROM oms.location WHERE code = 'WH-WEST')
ORDER BY movement_id;
SELECT pg_temp.try($$SELECT oms.restore_stock('MUG', 'WH-WEST', 2, 'more')$$);
SELECT pg_temp.try($$SELECT oms.restore_stock('MUG', 'WH-WEST', 1, NULL)$$);
SELECT pg_temp.try($$SELECT oms.restore_stock('MUG', 'WH-WEST', 0, 'none')$$);
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, damaged_delta)
SELECT item_id, location_id, 'restore', 1, -1 FROM oms.inventory_level LIMIT 1$$);

SELECT * FROM oms.check_inventory();

-- check_inventory() catches drift: simulate it by disabling the guard as a superuser
ALTER TABLE oms.inventory_level DISABLE TRIGGER inventory_level_guard;
UPDATE oms.inventory_level SET on_hand = on_hand + 1
WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'MUG')
  AND location_id = (SELECT location_id FROM oms.location WHERE code = 'WH-WEST');
ALTER TABLE oms.inventory_level ENABLE TRIGGER inventory_level_guard;
SELECT * FROM oms.check_inventory();

-- privileges: the app role calls the API but cannot write the tables
SET ROLE oms_app;
SELECT oms.receive_stock('POSTER', 'WH-WEST', 1) > 0 AS app_can_receive;
SELECT pg_temp.try($$UPDATE oms.inventory_level SET safety_stock = 0$$);
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta) VALUES (1, 1, 'receipt', 1)$$);
RESET ROLE;
SET ROLE oms_reader;
SELECT count(*) > 0 AS reader_sees_position FROM oms.inventory_position;
SELECT pg_temp.try($$SELECT oms.receive_stock('POSTER', 'WH-WEST', 1)$$);
RESET ROLE;
