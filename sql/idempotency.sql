-- idempotency: an optional key on every mutating call (issue 16, item 4).
-- The same key and the same arguments answer with the first result and
-- change nothing; the same key with other arguments is OM004; a key is
-- scoped by the function; a rolled-back call frees its key; NULL is no key.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- what a call changed: rows of the tables it writes
CREATE FUNCTION pg_temp.counts() RETURNS text LANGUAGE sql AS $$
    SELECT format('movements %s, reservations %s, shipments %s, rmas %s, pos %s, orders %s, payments %s, events %s',
                  (SELECT count(*) FROM oms.inventory_movement), (SELECT count(*) FROM oms.reservation),
                  (SELECT count(*) FROM oms.shipment), (SELECT count(*) FROM oms.return_authorization),
                  (SELECT count(*) FROM oms.purchase_order), (SELECT count(*) FROM oms.sales_order),
                  (SELECT count(*) FROM oms.payment), (SELECT count(*) FROM oms.event))
$$;
-- run a keyed call twice: both answers, and whether the retry changed anything
CREATE FUNCTION pg_temp.twice(cmd text) RETURNS TABLE (first text, retry text, retry_changed_nothing boolean)
LANGUAGE plpgsql AS $$
DECLARE
    before text;
BEGIN
    EXECUTE cmd INTO first;
    before := pg_temp.counts();
    EXECUTE cmd INTO retry;
    retry_changed_nothing := before = pg_temp.counts();
    RETURN NEXT;
END
$$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10), ('WEST', 'West DC', 20);
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');

-- ---------------------------------------------------------------------------
-- 1. Stock: receipts, adjustments, counts, transfers, damage, safety stock
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.twice($$SELECT oms.receive_stock('TEE', 'EAST', 10, 'ASN-1', idempotency_key => 'rcv-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.receive_stock('MUG', 'EAST', 10, idempotency_key => 'rcv-2')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.adjust_stock('TEE', 'EAST', 2, 'found', idempotency_key => 'adj-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.count_stock('TEE', 'EAST', 11, idempotency_key => 'cnt-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.transfer_stock('TEE', 'EAST', 'WEST', 3, idempotency_key => 'xfer-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.damage_stock('MUG', 'EAST', 2, 'dropped', idempotency_key => 'dmg-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.scrap_stock('MUG', 'EAST', 1, 'broken', idempotency_key => 'scr-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.restore_stock('MUG', 'EAST', 1, 'glued', idempotency_key => 'rst-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.set_safety_stock('MUG', 'WEST', 0, idempotency_key => 'ss-1')$$);
SELECT sku, location, on_hand, damaged FROM oms.inventory_position ORDER BY 1, 2;

-- the same key with other arguments: OM004, naming the first result
SELECT pg_temp.try($$SELECT oms.receive_stock('TEE', 'EAST', 11, 'ASN-1', idempotency_key => 'rcv-1')$$);
SELECT pg_temp.try($$SELECT oms.receive_stock('TEE', 'EAST', 10, 'ASN-2', idempotency_key => 'rcv-1')$$);
SELECT pg_temp.try($$SELECT oms.transfer_stock('TEE', 'EAST', 'WEST', 4, idempotency_key => 'xfer-1')$$);
-- a key is scoped by its function: the same text is a new key elsewhere
SELECT oms.adjust_stock('TEE', 'EAST', 1, 'found', idempotency_key => 'rcv-1') > 0 AS adjusted;
-- empty and too long keys: 22023
SELECT pg_temp.try($$SELECT oms.receive_stock('TEE', 'EAST', 1, idempotency_key => '')$$);
SELECT pg_temp.try($$SELECT oms.receive_stock('TEE', 'EAST', 1, idempotency_key => repeat('k', 256))$$);
-- bad arguments fail as without a key, and the key stays free
SELECT pg_temp.try($$SELECT oms.receive_stock('NOPE', 'EAST', 1, idempotency_key => 'rcv-bad')$$);
SELECT pg_temp.try($$SELECT oms.receive_stock('TEE', 'EAST', 0, idempotency_key => 'rcv-bad')$$);
SELECT pg_temp.try($$SELECT oms.adjust_stock('TEE', 'EAST', -1000, 'lost', idempotency_key => 'rcv-bad')$$);
SELECT count(*) AS keys_of_failed_calls FROM oms.idempotency_key WHERE key = 'rcv-bad';
-- a rolled-back call frees its key
BEGIN;
SELECT oms.receive_stock('TEE', 'WEST', 5, idempotency_key => 'rcv-rb') > 0 AS received;
ROLLBACK;
SELECT pg_temp.try($$SELECT oms.receive_stock('TEE', 'WEST', 6, idempotency_key => 'rcv-rb')$$);
-- NULL is no key: every call acts
SELECT oms.receive_stock('TEE', 'WEST', 1, idempotency_key => NULL) <> oms.receive_stock('TEE', 'WEST', 1, idempotency_key => NULL) AS two_receipts;

-- ---------------------------------------------------------------------------
-- 2. Orders: confirm, hold, release, edit, cancel; cart holds
-- ---------------------------------------------------------------------------
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "10"}, {"sku": "MUG", "qty": 2, "unit_price": "8"}]') AS o \gset
SELECT * FROM pg_temp.twice(format($$SELECT oms.confirm_order(%s, 'checked', idempotency_key => 'conf-1')$$, :o));
SELECT * FROM pg_temp.twice(format($$SELECT oms.hold_order(%s, 'fraud review', idempotency_key => 'hold-1')$$, :o));
SELECT * FROM pg_temp.twice(format($$SELECT oms.release_order(%s, 'fine', idempotency_key => 'rel-1')$$, :o));
SELECT * FROM pg_temp.twice(format($$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 3}]', idempotency_key => 'edit-1')$$, :o));
SELECT * FROM pg_temp.twice(format($$SELECT oms.cancel_order(%s, '[{"sku": "MUG", "qty": 1}]', idempotency_key => 'cxl-1')$$, :o));
SELECT i.sku, l.qty_ordered, l.qty_reserved, l.qty_cancelled FROM oms.order_line l JOIN oms.item i USING (item_id)
WHERE l.order_id = :o ORDER BY 1;
SELECT pg_temp.try(format($$SELECT oms.cancel_order(%s, '[{"sku": "MUG", "qty": 1}]', 'other reason', idempotency_key => 'cxl-1')$$, :o));
SELECT * FROM pg_temp.twice($$SELECT oms.hold_stock('cart-9', '[{"sku": "TEE", "qty": 1}]', idempotency_key => 'cart-1')$$);
SELECT * FROM pg_temp.twice($$SELECT oms.release_hold('cart-9', idempotency_key => 'cart-2')$$);

-- ---------------------------------------------------------------------------
-- 3. Shipments and their steps: a retried create_shipment ships nothing twice
-- ---------------------------------------------------------------------------
SELECT oms.record_payment(:o, 'capture', 46) > 0 AS paid;
SELECT * FROM pg_temp.twice(format($$SELECT oms.create_shipment(%s, 'EAST', '[{"sku": "TEE", "qty": 1}]', idempotency_key => 'shp-1')$$, :o));
SELECT oms.create_shipment(:o, 'EAST', '[{"sku": "TEE", "qty": 1}]', idempotency_key => 'shp-1') AS s \gset
SELECT * FROM pg_temp.twice(format($$SELECT oms.advance_shipment(%s, 'picking', idempotency_key => 'adv-1')$$, :s));
SELECT * FROM pg_temp.twice(format($$SELECT oms.ship(%s, 'UPS', '1Z-1', idempotency_key => 'ship-1')$$, :s));
-- deliver's delivered_at defaults to the time of the call: it is not part of the request
SELECT * FROM pg_temp.twice(format($$SELECT oms.deliver(%s, idempotency_key => 'dlv-1')$$, :s));
SELECT * FROM pg_temp.twice(format($$SELECT string_agg(x::text, ',') FROM oms.create_shipments(%s, idempotency_key => 'shps-1') x$$, :o));
SELECT pg_temp.try(format($$SELECT oms.create_shipments(%s, '{"carrier": "UPS"}', idempotency_key => 'shps-1')$$, :o));
SELECT s.shipment_number, loc.code, s.status,
       (SELECT string_agg(i.sku || ' x' || sl.qty, ', ' ORDER BY i.sku) FROM oms.shipment_line sl JOIN oms.item i USING (item_id)
        WHERE sl.shipment_id = s.shipment_id) AS lines
FROM oms.shipment s JOIN oms.location loc USING (location_id) WHERE s.order_id = :o ORDER BY s.shipment_id;
SELECT max(shipment_id) AS s2 FROM oms.shipment \gset
SELECT oms.ship(:s2, 'UPS', '1Z-2') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.twice(format($$SELECT oms.advance_shipment(%s, 'lost', idempotency_key => 'lost-1')$$, :s2));
SELECT * FROM pg_temp.twice(format($$SELECT oms.reship(%s, idempotency_key => 'reship-1')$$, :s2));
SELECT oms.place_order('bob@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "10"}]', '{"confirm": true}') AS o2 \gset
SELECT oms.create_shipment(:o2, 'EAST') AS s3 \gset
SELECT oms.ship(:s3, 'UPS', '1Z-3') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.twice(format($$SELECT oms.return_to_sender(%s, idempotency_key => 'rts-1')$$, :s3));

-- ---------------------------------------------------------------------------
-- 4. Returns and their steps
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.twice(format($$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', idempotency_key => 'rma-1')$$, :o));
SELECT oms.request_return(:o, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', idempotency_key => 'rma-1') AS r \gset
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1, "reason": "damaged"}]', idempotency_key => 'rma-1')$$, :o));
SELECT * FROM pg_temp.twice(format($$SELECT oms.change_return(%s, 'refund', NULL, 'kept', idempotency_key => 'chg-1')$$, :r));
SELECT * FROM pg_temp.twice(format($$SELECT oms.advance_return(%s, 'authorized', idempotency_key => 'auth-1')$$, :r));
SELECT * FROM pg_temp.twice(format($$SELECT oms.receive_return(%s, 'EAST', idempotency_key => 'recv-1')$$, :r));
SELECT * FROM pg_temp.twice(format($$SELECT oms.inspect_return(%s, '[{"sku": "TEE", "resellable": 0, "damaged": 1}]', idempotency_key => 'insp-1')$$, :r));
SELECT * FROM pg_temp.twice(format($$SELECT oms.complete_return(%s, idempotency_key => 'cmp-1')$$, :r));
SELECT count(*) AS refunds FROM oms.payment WHERE order_id = :o AND kind = 'refund';

-- ---------------------------------------------------------------------------
-- 5. Purchase orders and receipts
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.twice($$SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5}]', 'rush', idempotency_key => 'po-1')$$);
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5}]', 'rush', idempotency_key => 'po-1') AS po \gset
SELECT pg_temp.try($$SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 6}]', 'rush', idempotency_key => 'po-1')$$);
SELECT pg_temp.try($$SELECT oms.create_purchase_order('ACME', 'EAST', idempotency_key => '')$$);
SELECT * FROM pg_temp.twice(format($$SELECT oms.submit_purchase_order(%s, idempotency_key => 'sub-1')$$, :po));
SELECT * FROM pg_temp.twice(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "MUG", "qty": 2}]', idempotency_key => 'grn-1')$$, :po));
SELECT pg_temp.try(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "MUG", "qty": 3}]', idempotency_key => 'grn-1')$$, :po));
SELECT * FROM pg_temp.twice(format($$SELECT oms.close_purchase_order(%s, idempotency_key => 'close-1')$$, :po));
SELECT oms.create_purchase_order('ACME', 'WEST', '[{"sku": "TEE", "qty": 1}]') AS po2 \gset
SELECT * FROM pg_temp.twice(format($$SELECT oms.cancel_purchase_order(%s, idempotency_key => 'pocxl-1')$$, :po2));
SELECT po_number, status, (SELECT sum(qty_received) FROM oms.purchase_order_line l WHERE l.po_id = p.po_id) AS received
FROM oms.purchase_order p ORDER BY po_id;

-- ---------------------------------------------------------------------------
-- 6. Re-routing
-- ---------------------------------------------------------------------------
SELECT oms.place_order('cat@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "10"}]') AS o3 \gset
SELECT min(line_id) AS tee_line FROM oms.order_line WHERE order_id = :o3 \gset
SELECT * FROM pg_temp.twice(format($$SELECT oms.reroute_line(%s, 'EAST', 'WEST', 1, idempotency_key => 'rr-1')$$, :tee_line));
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'WEST', 2, idempotency_key => 'rr-1')$$, :tee_line));
SELECT * FROM pg_temp.twice(format($$SELECT oms.reallocate_line(%s, idempotency_key => 'ra-1')$$, :tee_line));

-- ---------------------------------------------------------------------------
-- 7. Serials: receipts of named units and their assignment to a shipment
-- ---------------------------------------------------------------------------
INSERT INTO oms.item (sku, name, serialized) VALUES ('PHONE', 'Phone', true);
SELECT * FROM pg_temp.twice($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-1', 'P-2'], 'ASN-9', idempotency_key => 'sn-1')$$);
SELECT pg_temp.try($$SELECT oms.receive_serials('PHONE', 'EAST', ARRAY['P-1', 'P-3'], 'ASN-9', idempotency_key => 'sn-1')$$);
SELECT serial, status FROM oms.serial_unit ORDER BY serial;
SELECT oms.place_order('dan@example.com', 'web', '[{"sku": "PHONE", "qty": 1, "unit_price": "300"}]', '{"confirm": true}') AS o4 \gset
SELECT oms.create_shipment(:o4, 'EAST') AS s4 \gset
SELECT * FROM pg_temp.twice(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-2"]}]', idempotency_key => 'asn-1')$$, :s4));
SELECT pg_temp.try(format($$SELECT oms.assign_serials(%s, '[{"sku": "PHONE", "serials": ["P-1"]}]', idempotency_key => 'asn-1')$$, :s4));
SELECT serial, status, shipment_id = :s4 AS assigned FROM oms.serial_unit ORDER BY serial;

-- every call left its key with the first result
SELECT scope, count(*) AS keys FROM oms.idempotency_key GROUP BY scope ORDER BY scope;
SELECT scope, key, result FROM oms.idempotency_key WHERE scope IN ('create_shipments', 'deliver', 'hold_order') ORDER BY 1, 2;
SELECT * FROM oms.check_inventory();
SELECT * FROM oms.check_reservations();
SELECT * FROM oms.check_serials();
