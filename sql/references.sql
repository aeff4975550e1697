-- references: items, locations, channels and carriers are referred to
-- without row locks, so they are never deleted, truncated or re-keyed
-- (23503; retired with active = false), and every hot table that points at
-- them still refuses a dangling reference (23503), whoever writes it
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.try(cmd text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

INSERT INTO oms.location (code, name) VALUES ('EAST', 'East'), ('SPARE', 'never used');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('OLD', 'never sold');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web'), ('fax', 'never used');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS'), ('PIGEON', 'never used');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days)
SELECT carrier_id, 'ground', 2 FROM oms.carrier WHERE code = 'UPS';
SELECT oms.receive_stock('TEE', 'EAST', 10) > 0 AS received;
SELECT oms.place_order('a@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "5.00"}]',
                       '{"confirm": true}') AS o1 \gset
SELECT oms.create_shipment(:o1, 'EAST') AS s1 \gset
SELECT oms.ship(:s1, 'UPS', 'T-1') IS NOT NULL AS shipped;

-- ---------------------------------------------------------------------------
-- reference rows stay: no DELETE (used or not), no TRUNCATE, no new key
-- ---------------------------------------------------------------------------
SELECT pg_temp.try($$DELETE FROM oms.item WHERE sku = 'TEE'$$) AS delete_used_item;
SELECT pg_temp.try($$DELETE FROM oms.item WHERE sku = 'OLD'$$) AS delete_unused_item;
SELECT pg_temp.try($$DELETE FROM oms.location WHERE code = 'SPARE'$$) AS delete_location;
SELECT pg_temp.try($$DELETE FROM oms.channel WHERE code = 'web'$$) AS delete_channel;
SELECT pg_temp.try($$DELETE FROM oms.carrier WHERE code = 'PIGEON'$$) AS delete_carrier;
SET client_min_messages = warning;
SELECT pg_temp.try($$TRUNCATE oms.item CASCADE$$) AS truncate_item;
SELECT pg_temp.try($$TRUNCATE oms.location CASCADE$$) AS truncate_location;
SELECT pg_temp.try($$TRUNCATE oms.channel CASCADE$$) AS truncate_channel;
SELECT pg_temp.try($$TRUNCATE oms.carrier CASCADE$$) AS truncate_carrier;
RESET client_min_messages;
SELECT pg_temp.try($$UPDATE oms.item SET item_id = DEFAULT WHERE sku = 'OLD'$$) AS rekey_item;
SELECT pg_temp.try($$UPDATE oms.channel SET channel_id = DEFAULT WHERE code = 'fax'$$) AS rekey_channel;
-- retiring is the way, and other columns change freely
UPDATE oms.item SET active = false, name = 'retired' WHERE sku = 'OLD';
UPDATE oms.channel SET active = false WHERE code = 'fax';
SELECT sku, name, active FROM oms.item ORDER BY sku;
SELECT count(*) AS items, (SELECT count(*) FROM oms.location) AS locations,
       (SELECT count(*) FROM oms.channel) AS channels, (SELECT count(*) FROM oms.carrier) AS carriers
FROM oms.item;

-- ---------------------------------------------------------------------------
-- a dangling reference is refused on every hot table: where a direct write
-- may go (orders, the ledger) by the check (23503), elsewhere by the engine
-- guard, since only the engine writes there (OM012)
-- ---------------------------------------------------------------------------
SELECT pg_temp.try($$INSERT INTO oms.sales_order (channel_id) VALUES (12345)$$) AS order_channel;
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET channel_id = 12345 WHERE order_id = %s$$, :o1)) AS order_channel_update;
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta)
    SELECT 12345, location_id, 'receipt', 1 FROM oms.location WHERE code = 'EAST'$$) AS movement_item;
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta)
    SELECT item_id, 12345, 'receipt', 1 FROM oms.item WHERE sku = 'TEE'$$) AS movement_location;
SELECT pg_temp.try(format($$UPDATE oms.order_line SET item_id = 12345 WHERE order_id = %s$$, :o1)) AS line_item;
SELECT pg_temp.try(format($$UPDATE oms.shipment SET carrier_id = 12345 WHERE shipment_id = %s$$, :s1)) AS shipment_carrier;
SELECT pg_temp.try(format($$UPDATE oms.shipment SET location_id = 12345 WHERE shipment_id = %s$$, :s1)) AS shipment_location;
SELECT pg_temp.try(format($$UPDATE oms.shipment_line SET item_id = 12345 WHERE shipment_id = %s$$, :s1)) AS shipment_line_item;
-- nothing was written
SELECT count(*) AS orders, (SELECT count(*) FROM oms.inventory_movement) AS movements FROM oms.sales_order;
SELECT count(*) AS dangling FROM oms.order_line l WHERE NOT EXISTS (SELECT FROM oms.item i WHERE i.item_id = l.item_id);

-- the hot tables a direct writer may reach carry the lock-free check
-- instead of a foreign key; the colder ones keep their foreign keys
SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'oms'::regnamespace AND t.tgname LIKE 'reference%' ORDER BY 1, 2;
SELECT conrelid::regclass AS child, confrelid::regclass AS parent
FROM pg_constraint
WHERE contype = 'f' AND connamespace = 'oms'::regnamespace
  AND confrelid IN ('oms.item'::regclass, 'oms.location'::regclass, 'oms.channel'::regclass, 'oms.carrier'::regclass)
ORDER BY 1, 2;
