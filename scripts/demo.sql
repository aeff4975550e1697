-- demo.sql: a realistic walk through oms, run by scripts/demo.sh (make demo)
\set QUIET on
\pset footer off
\pset null '-'
\set ON_ERROR_STOP on

\echo
\echo '### 1. Reference data: three locations and a small catalogue'
INSERT INTO oms.location (code, name, kind, priority, region, latitude, longitude) VALUES
    ('WH-EAST', 'East Coast DC (Newark)', 'warehouse', 10, 'US-NJ', 40.73, -74.17),
    ('WH-WEST', 'West Coast DC (Reno)', 'warehouse', 20, 'US-NV', 39.53, -119.81),
    ('NYC-SOHO', 'SoHo flagship store', 'store', 50, 'US-NY', 40.72, -74.00);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TEE-BLK-M', 'Organic tee, black, M', 'deny'),
    ('TEE-WHT-M', 'Organic tee, white, M', 'deny'),
    ('MUG-12OZ', 'Stoneware mug 12oz', 'allow'),
    ('HOODIE-L', 'Heavyweight hoodie, L', 'preorder');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('STARTER-KIT', 'Starter kit: tee + 2 mugs', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, v.qty
FROM (VALUES ('TEE-BLK-M', 1), ('MUG-12OZ', 2)) AS v(sku, qty)
JOIN oms.item c ON c.sku = v.sku, oms.item b WHERE b.sku = 'STARTER-KIT';
SELECT code, name, kind, priority, region FROM oms.location ORDER BY priority;
SELECT sku, name, backorder_policy, is_bundle FROM oms.item ORDER BY item_id;

\echo
\echo '### 2. Receiving: two inbound shipments from suppliers land at the DCs'
SELECT oms.receive_stock('TEE-BLK-M', 'WH-EAST', 120, 'ASN-7781') AS movement_id;
SELECT oms.receive_stock('TEE-WHT-M', 'WH-EAST', 80, 'ASN-7781') AS movement_id;
SELECT oms.receive_stock('MUG-12OZ', 'WH-EAST', 60, 'ASN-7781') AS movement_id;
SELECT oms.receive_stock('TEE-BLK-M', 'WH-WEST', 45, 'ASN-7790') AS movement_id;
SELECT oms.receive_stock('MUG-12OZ', 'WH-WEST', 24, 'ASN-7790') AS movement_id;
\echo 'Keep 10 black tees back at the East DC as safety stock:'
SELECT oms.set_safety_stock('TEE-BLK-M', 'WH-EAST', 10) AS available_now;

\echo
\echo '### 3. Replenishing the store: a transfer moves stock in one call (both ledger legs)'
SELECT oms.transfer_stock('TEE-BLK-M', 'WH-EAST', 'NYC-SOHO', 15, 'store replenishment') AS transfer_id;
SELECT oms.transfer_stock('MUG-12OZ', 'WH-EAST', 'NYC-SOHO', 12, 'store replenishment') AS transfer_id;

\echo
\echo '### 4. Cycle count at the store finds 14 tees, not 15; a dropped carton breaks 3 mugs'
SELECT oms.count_stock('TEE-BLK-M', 'NYC-SOHO', 14, 'weekly cycle count') AS adjustment;
SELECT oms.damage_stock('MUG-12OZ', 'WH-EAST', 3, 'carton dropped at receiving') AS movement_id;
SELECT oms.scrap_stock('MUG-12OZ', 'WH-EAST', 2, 'beyond repair') AS movement_id;

\echo
\echo '### 5. The rules hold for everyone: each of these is refused, and nothing is written'
\set ON_ERROR_STOP off
\set SHOW_CONTEXT never
\echo '-- transfer more than is available:'
SELECT oms.transfer_stock('TEE-BLK-M', 'NYC-SOHO', 'WH-WEST', 50);
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\echo '-- a direct UPDATE that bypasses the ledger:'
UPDATE oms.inventory_level SET on_hand = on_hand + 100;
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\echo '-- rewriting history:'
DELETE FROM oms.inventory_movement;
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP on

\echo
\echo '### 6. The movement ledger (append-only, with running balances)'
SELECT m.movement_id AS id, i.sku, l.code AS location, m.kind, m.on_hand_delta AS "Δ on_hand",
       m.damaged_delta AS "Δ damaged", m.on_hand_after AS on_hand, m.reason, m.reference
FROM oms.inventory_movement m
JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
ORDER BY m.movement_id;

\echo
\echo '### 7. Inventory position (per item and location)'
SELECT sku, location, on_hand, reserved, safety_stock, available, damaged, incoming
FROM oms.inventory_position ORDER BY sku, location;

\echo
\echo '### 8. Inventory summary (per item)'
SELECT sku, item_name, locations_stocked, on_hand, reserved, safety_stock, available, damaged, incoming
FROM oms.inventory_summary ORDER BY sku;

\echo
\echo '### 9. Ledger and levels agree: check_inventory() returns no rows'
SELECT * FROM oms.check_inventory();
SELECT count(*) AS disagreements FROM oms.check_inventory();
