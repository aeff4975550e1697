-- serials: serialized items received, assigned, shipped and returned with
-- their serial numbers, the return fraud guard, the serial history, the
-- ledger agreeing with the serials, and lost parcels (issue 16, items 3, 7)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
CREATE FUNCTION pg_temp.serials(sku_ text) RETURNS TABLE (serial text, status text, location text, shipment text)
LANGUAGE sql AS $$
    SELECT u.serial, u.status, l.code, s.shipment_number
    FROM oms.serial_unit u JOIN oms.item i USING (item_id)
    LEFT JOIN oms.location l ON l.location_id = u.location_id
    LEFT JOIN oms.shipment s ON s.shipment_id = u.shipment_id
    WHERE i.sku = sku_ ORDER BY u.serial
$$;
CREATE FUNCTION pg_temp.levels() RETURNS TABLE (sku text, location text, on_hand bigint, reserved bigint, damaged bigint)
LANGUAGE sql AS $$
    SELECT sku, location, on_hand, reserved, damaged FROM oms.inventory_position ORDER BY 1, 2
$$;
-- a confirmed, paid order with a pending shipment of everything from EAST
CREATE FUNCTION pg_temp.order_with_shipment(email text, lines jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
BEGIN
    o := oms.place_order(email, 'web', lines, '{"confirm": true, "payment_required": "none"}');
    RETURN oms.create_shipment(o, 'EAST');
END
$$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10), ('WEST', 'West DC', 20);
INSERT INTO oms.item (sku, name, serialized) VALUES ('PHONE', 'Phone', true), ('TAB', 'Tablet', true);
INSERT INTO oms.item (sku, name) VALUES ('CASE', 'Phone case');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days) SELECT carrier_id, 'ground', 3 FROM oms.carrier;

-- ---------------------------------------------------------------------------
-- receiving: serials name the units; a serialized item moves only with them
-- ---------------------------------------------------------------------------
SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-003', 'P-001', 'P-002', 'P-004'], 'PO-7') > 0 AS received;
SELECT oms.receive_serials('PHONE', 'WEST', ARRAY['P-100']) > 0 AS received_west;
SELECT oms.receive_serials('TAB', 'EAST', ARRAY['T-1', 'T-2']) > 0 AS received_tab;
SELECT oms.receive_stock('CASE', 'EAST', 10) > 0 AS received_cases;
SELECT * FROM pg_temp.serials('PHONE');
SELECT * FROM pg_temp.levels();
SELECT kind, on_hand_delta, serials FROM oms.inventory_movement m JOIN oms.item i USING (item_id)
WHERE i.sku = 'PHONE' ORDER BY movement_id;
-- every way to get it wrong
SELECT pg_temp.try($$SELECT oms.receive_stock('PHONE', 'EAST', 1)$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-001'])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-9', 'P-9'])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P 9'])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-9', NULL])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY[]::text[])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY[''])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', NULL)$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('CASE', 'EAST', ARRAY['C-1'])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('NOPE', 'EAST', ARRAY['C-1'])$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'NOWHERE', ARRAY['P-9'])$$);
SELECT pg_temp.try($$SELECT oms.adjust_stock('PHONE', 'EAST', -1, 'lost in the warehouse')$$);
SELECT pg_temp.try($$SELECT oms.transfer_stock('PHONE', 'EAST', 'WEST', 1)$$);
SELECT pg_temp.try($$SELECT oms.damage_stock('PHONE', 'EAST', 1, 'dropped')$$);
-- a direct ledger insert names its serials too, one per unit, from the right state
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, serials)
    SELECT i.item_id, l.location_id, 'receipt', 2, ARRAY['P-010'] FROM oms.item i, oms.location l WHERE i.sku = 'PHONE' AND l.code = 'EAST'$$);
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, serials)
    SELECT i.item_id, l.location_id, 'receipt', 1, ARRAY['X-1'] FROM oms.item i, oms.location l WHERE i.sku = 'CASE' AND l.code = 'EAST'$$);
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, damaged_delta, reason, serials)
    SELECT i.item_id, l.location_id, 'damage', -1, 1, 'dropped', ARRAY['P-100'] FROM oms.item i, oms.location l WHERE i.sku = 'PHONE' AND l.code = 'EAST'$$);
-- damage, restore, scrap by the ledger with serials (what an admin does)
INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, damaged_delta, reason, serials)
SELECT i.item_id, l.location_id, 'damage', -1, 1, 'dropped', ARRAY['P-004'] FROM oms.item i, oms.location l WHERE i.sku = 'PHONE' AND l.code = 'EAST';
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, damaged_delta, reason, serials)
    SELECT i.item_id, l.location_id, 'restore', 1, -1, 'fixed', ARRAY['P-003'] FROM oms.item i, oms.location l WHERE i.sku = 'PHONE' AND l.code = 'EAST'$$);
INSERT INTO oms.inventory_movement (item_id, location_id, kind, damaged_delta, reason, serials)
SELECT i.item_id, l.location_id, 'scrap', -1, 'beyond repair', ARRAY['P-004'] FROM oms.item i, oms.location l WHERE i.sku = 'PHONE' AND l.code = 'EAST';
SELECT * FROM pg_temp.serials('PHONE');
-- a written-off serial may come back in
SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-004'], 'found it') > 0 AS back_in;
-- the serials are the engine's; serialized is fixed once the item moved
SELECT pg_temp.try($$UPDATE oms.serial_unit SET status = 'shipped'$$);
SELECT pg_temp.try($$INSERT INTO oms.serial_unit (item_id, serial, status) SELECT item_id, 'Z', 'written_off' FROM oms.item WHERE sku = 'PHONE'$$);
SELECT pg_temp.try($$DELETE FROM oms.serial_event$$);
SELECT pg_temp.try($$TRUNCATE oms.serial_unit CASCADE$$);
SELECT pg_temp.try($$UPDATE oms.item SET serialized = false WHERE sku = 'PHONE'$$);
SELECT pg_temp.try($$UPDATE oms.item SET serialized = true WHERE sku = 'CASE'$$);
SELECT pg_temp.try($$INSERT INTO oms.item (sku, name, is_bundle, serialized) VALUES ('KIT', 'Kit', true, true)$$);
INSERT INTO oms.item (sku, name) VALUES ('LATER', 'Serialized before its first movement');
UPDATE oms.item SET serialized = true WHERE sku = 'LATER';
SELECT * FROM oms.check_serials();
SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- shipping: the serials assigned to a shipment are the ones that leave
-- ---------------------------------------------------------------------------
SELECT pg_temp.order_with_shipment('ann@example.com', '[{"sku": "PHONE", "qty": 2, "unit_price": 500}, {"sku": "CASE", "qty": 1, "unit_price": 20}]') AS s1 \gset
SELECT order_id AS o1 FROM oms.shipment WHERE shipment_id = :s1 \gset
-- a serialized shipment does not ship without its serials
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', 'Z1')$$, :s1));
SELECT oms.assign_serials(:s1, '[{"sku": "PHONE", "serials": ["P-001"]}]');
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', 'Z1')$$, :s1));
-- every refusal of assign_serials
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-100"]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-404"]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-001", "P-002", "P-003"]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "CASE", "serials": ["C-1"]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "TAB", "serials": ["T-1"]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE"}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": "P-002"}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": [2]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-002"], "qty": 1}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-002"]}, {"sku": "PHONE", "serials": ["P-003"]}]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[]')$$, :s1));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, NULL)$$, :s1));
SELECT pg_temp.try($$SELECT oms.assign_serials(999999, '[{"sku": "PHONE", "serials": ["P-002"]}]')$$);
-- a second order may not take a serial assigned to the first one's open shipment
SELECT pg_temp.order_with_shipment('bob@example.com', '[{"sku": "PHONE", "qty": 1, "unit_price": 500}]') AS s2 \gset
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-001"]}]')$$, :s2));
-- nor can stock movements take it away
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reason, serials)
    SELECT i.item_id, l.location_id, 'adjustment', -1, 'shrink', ARRAY['P-001'] FROM oms.item i, oms.location l WHERE i.sku = 'PHONE' AND l.code = 'EAST'$$);
-- re-assigning replaces: P-001 is released, P-002 and P-003 go
SELECT oms.assign_serials(:s1, '[{"sku": "PHONE", "serials": ["P-003", "P-002"]}]');
SELECT oms.assign_serials(:s2, '[{"sku": "PHONE", "serials": ["P-001"]}]');
SELECT oms.ship(:s1, 'UPS', 'Z1') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.serials('PHONE');
SELECT kind, on_hand_delta, serials, reference FROM oms.inventory_movement m JOIN oms.item i USING (item_id)
WHERE i.sku = 'PHONE' AND kind = 'shipment' ORDER BY movement_id;
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-001"]}]')$$, :s1));
SELECT oms.deliver(:s1);
SELECT * FROM oms.check_serials();

-- ---------------------------------------------------------------------------
-- returns: the received unit must be a serial shipped on the order (the
-- guard against swapped-unit fraud), every serialized unit named
-- ---------------------------------------------------------------------------
SELECT oms.request_return(:o1, '[{"sku": "PHONE", "qty": 2, "reason": "defective"}, {"sku": "CASE", "qty": 1}]', 'refund', '{"authorize": true}') AS r1 \gset
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST')$$, :r1));
-- a unit in stock, or shipped on another order (a swapped unit), is refused
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-004"]}]')$$, :r1));
SELECT oms.ship(:s2, 'UPS', 'Z2') IS NOT NULL AS shipped;
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-001"]}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["FAKE-1"]}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 2, "serials": ["P-002"]}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-002"]}, {"sku": "PHONE", "qty": 1, "condition": "damaged", "serials": ["P-002"]}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "CASE", "qty": 1, "serials": ["C-1"]}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": [1]}]')$$, :r1));
SELECT oms.receive_return(:r1, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-002"]},
    {"sku": "PHONE", "qty": 1, "condition": "damaged", "serials": ["P-003"]}, {"sku": "CASE", "qty": 1}]');
SELECT * FROM pg_temp.serials('PHONE');
SELECT * FROM pg_temp.levels();
SELECT * FROM oms.check_serials();
SELECT * FROM oms.check_inventory();
-- a returned serial cannot come back twice: it is in stock, not shipped
SELECT order_id AS o2 FROM oms.shipment WHERE shipment_id = :s2 \gset
SELECT oms.request_return(:o2, '[{"sku": "PHONE", "qty": 1}]', 'refund', '{"authorize": true}') AS r2 \gset
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-002"]}]')$$, :r2));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-003"]}]')$$, :r2));
SELECT oms.receive_return(:r2, 'WEST', '[{"sku": "PHONE", "qty": 1, "serials": ["P-001"]}]');
SELECT * FROM pg_temp.serials('PHONE');

-- ---------------------------------------------------------------------------
-- the serial's history
-- ---------------------------------------------------------------------------
SELECT serial, event, location, shipment_number, order_number, movement_kind, reference, current_status
FROM oms.serial_history WHERE sku = 'PHONE' AND serial IN ('P-001', 'P-003') ORDER BY serial, seq;
SELECT event, count(*) FROM oms.serial_history GROUP BY event ORDER BY event;

-- ---------------------------------------------------------------------------
-- lost parcels (item 7): their units cannot be returned until re-shipped or
-- written off; return to sender brings the serials back
-- ---------------------------------------------------------------------------
SELECT pg_temp.order_with_shipment('cy@example.com', '[{"sku": "TAB", "qty": 1, "unit_price": 300}, {"sku": "CASE", "qty": 2, "unit_price": 20}]') AS s3 \gset
SELECT order_id AS o3 FROM oms.shipment WHERE shipment_id = :s3 \gset
SELECT oms.assign_serials(:s3, '[{"sku": "TAB", "serials": ["T-1"]}]');
SELECT oms.ship(:s3, 'UPS', 'Z3') IS NOT NULL AS shipped, oms.advance_shipment(:s3, 'lost', 'carrier lost it');
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CASE", "qty": 1}]')$$, :o3));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "TAB", "qty": 1}]')$$, :o3));
-- re-shipped: the replacement's units may come back, with the replacement's serial
SELECT oms.reship(:s3) AS s3b \gset
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', 'Z3B')$$, :s3b));
SELECT oms.assign_serials(:s3b, '[{"sku": "TAB", "serials": ["T-2"]}]');
SELECT oms.ship(:s3b, 'UPS', 'Z3B') IS NOT NULL AS reshipped;
SELECT oms.request_return(:o3, '[{"sku": "TAB", "qty": 1}, {"sku": "CASE", "qty": 1}]', 'refund', '{"authorize": true}') AS r3 \gset
SELECT oms.receive_return(:r3, 'EAST', '[{"sku": "TAB", "qty": 1, "serials": ["T-2"]}, {"sku": "CASE", "qty": 1}]');
-- written off: a lost shipment cancelled is no longer lost
SELECT pg_temp.order_with_shipment('di@example.com', '[{"sku": "CASE", "qty": 2, "unit_price": 20}]') AS s4 \gset
SELECT order_id AS o4 FROM oms.shipment WHERE shipment_id = :s4 \gset
SELECT oms.ship(:s4, 'UPS', 'Z4') IS NOT NULL AS shipped;
SELECT oms.advance_shipment(:s4, 'lost');
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CASE", "qty": 1}]')$$, :o4));
SELECT oms.advance_shipment(:s4, 'cancelled', 'written off');
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CASE", "qty": 1}]')$$, :o4));
-- a parcel on an open return cannot then be marked lost
SELECT pg_temp.order_with_shipment('ed@example.com', '[{"sku": "CASE", "qty": 1, "unit_price": 20}]') AS s5 \gset
SELECT order_id AS o5 FROM oms.shipment WHERE shipment_id = :s5 \gset
SELECT oms.ship(:s5, 'UPS', 'Z5') IS NOT NULL AS shipped;
SELECT oms.request_return(:o5, '[{"sku": "CASE", "qty": 1}]') > 0 AS requested;
SELECT pg_temp.try(format($$SELECT oms.advance_shipment(%s, 'lost')$$, :s5));
-- return to sender: the serials that went out come back to stock
SELECT oms.receive_serials('TAB', 'EAST', ARRAY['T-3']) > 0 AS received;
SELECT pg_temp.order_with_shipment('fay@example.com', '[{"sku": "TAB", "qty": 1, "unit_price": 300}]') AS s6 \gset
SELECT oms.assign_serials(:s6, '[{"sku": "TAB", "serials": ["T-3"]}]');
SELECT oms.ship(:s6, 'UPS', 'Z6') IS NOT NULL AS shipped;
SELECT oms.return_to_sender(:s6);
-- T-1 is still out in the lost parcel; T-2 came back; T-3 back from the carrier
SELECT * FROM pg_temp.serials('TAB');
SELECT serial, event, shipment_number FROM oms.serial_history WHERE sku = 'TAB' ORDER BY serial, seq;
SELECT * FROM oms.check_serials();
SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- purchase-order receipts name the serials of a serialized item, one per
-- unit that arrives, like receive_serials
-- ---------------------------------------------------------------------------
INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');
SELECT oms.create_purchase_order('ACME', 'WEST', '[{"sku": "PHONE", "qty": 3}, {"sku": "CASE", "qty": 2}]') AS po \gset
SELECT oms.submit_purchase_order(:po);
-- no serials, too few, everything outstanding unnamed: OM013
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 2, "serials": ["P-200"]}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1, "serials": ["P-200"]}, {"sku": "PHONE", "qty": 1}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s)$$, :po));
-- a serial named twice, in one line or in two: 22023
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 2, "serials": ["P-200", "P-200"]}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1, "serials": ["P-200"]}, {"sku": "PHONE", "qty": 1, "serials": ["P-200"]}]')$$, :po));
-- a serial already in stock: OM013
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1, "serials": ["P-100"]}]')$$, :po));
-- serials on a plain item, not an array of strings, an unknown key: 22023
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "CASE", "qty": 1, "serials": ["C-9"]}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1, "serials": "P-200"}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1, "serials": [200]}]')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "PHONE", "qty": 1, "serials": ["P-200"], "cost": 1}]')$$, :po));
SELECT sum(qty_received) AS received_nothing FROM oms.purchase_order_line WHERE po_id = :po;
-- received: the same sku on two lines, a plain item beside it; then the rest
SELECT oms.receive_purchase_order(:po, '[{"sku": "PHONE", "qty": 1, "serials": ["P-201"]}, {"sku": "CASE", "qty": 2}, {"sku": "PHONE", "qty": 1, "serials": ["P-200"]}]');
SELECT oms.receive_purchase_order(:po, '[{"sku": "PHONE", "qty": 1, "serials": ["P-202"]}]', 'ASN-12');
SELECT status FROM oms.purchase_order WHERE po_id = :po;
SELECT * FROM pg_temp.serials('PHONE') WHERE serial LIKE 'P-2%';
SELECT serial, event, location, movement_kind, reference FROM oms.serial_history WHERE serial LIKE 'P-2%' ORDER BY serial, seq;
SELECT * FROM pg_temp.levels() WHERE location = 'WEST';
SELECT * FROM oms.check_serials();
SELECT * FROM oms.check_inventory();
SELECT * FROM oms.check_incoming();
