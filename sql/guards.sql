-- guards: direct writes that would skip the business logic are refused
-- (OM012, naming the API to call) for the superuser, oms_admin and a BI
-- tool granted write access alike; moves without side effects stay open;
-- check_inventory() finds stock left reserved for a closed order
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
DROP ROLE IF EXISTS oms_guards_bi;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- every row of every engine-owned table, as one fingerprint
CREATE FUNCTION pg_temp.fp() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(r, '|' ORDER BY r)) FROM (
        SELECT 'o' || t::text FROM oms.sales_order t UNION ALL
        SELECT 'l' || t::text FROM oms.order_line t UNION ALL
        SELECT 'r' || t::text FROM oms.reservation t UNION ALL
        SELECT 'h' || t::text FROM oms.cart_hold t UNION ALL
        SELECT 's' || t::text FROM oms.shipment t UNION ALL
        SELECT 'sl' || t::text FROM oms.shipment_line t UNION ALL
        SELECT 'a' || t::text FROM oms.return_authorization t UNION ALL
        SELECT 'al' || t::text FROM oms.return_line t UNION ALL
        SELECT 'p' || t::text FROM oms.purchase_order t UNION ALL
        SELECT 'pl' || t::text FROM oms.purchase_order_line t UNION ALL
        SELECT 'v' || t::text FROM oms.inventory_level t UNION ALL
        SELECT 'm' || t::text FROM oms.inventory_movement t UNION ALL
        SELECT 'y' || t::text FROM oms.payment t UNION ALL
        SELECT 'sh' || t::text FROM oms.status_history t UNION ALL
        SELECT 'e' || t::text FROM oms.event t UNION ALL
        SELECT 'i' || t::text FROM oms.item t) x(r)
$$;
-- run a statement that must be refused: its SQLSTATE and message, and
-- whether anything was written
CREATE FUNCTION pg_temp.refused(cmd text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    before text := pg_temp.fp();
    res text := split_part(pg_temp.try(cmd), ' | ', 1);
BEGIN
    RETURN res || CASE WHEN pg_temp.fp() = before THEN ' [nothing written]' ELSE ' [CHANGED]' END;
END
$$;

-- a BI tool with write access to every table
CREATE ROLE oms_guards_bi;
GRANT USAGE ON SCHEMA oms TO oms_guards_bi;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA oms TO oms_guards_bi;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA oms TO oms_guards_bi;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('TEE', 'Tee', 'deny'), ('MUG', 'Mug', 'allow');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit: tee + mug', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, 1 FROM oms.item b, oms.item c WHERE b.sku = 'KIT' AND c.sku IN ('TEE', 'MUG');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days)
SELECT carrier_id, 'ground', 3 FROM oms.carrier;
INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');
SELECT oms.receive_stock('TEE', 'EAST', 20) > 0 AS tee, oms.receive_stock('MUG', 'EAST', 2) > 0 AS mug;

-- o1: confirmed, 2 tees reserved, 3 mugs (2 reserved, 1 backordered)
SELECT oms.place_order('ann@example.com', 'web',
    '[{"sku": "TEE", "qty": 2, "unit_price": 10}, {"sku": "MUG", "qty": 3, "unit_price": 5}]',
    '{"confirm": true}') AS o1 \gset
-- o2: shipped, not delivered (processing)
SELECT oms.place_order('bob@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"confirm": true}') AS o2 \gset
SELECT oms.create_shipment(:o2, 'EAST') AS s2 \gset
SELECT oms.ship(:s2, 'UPS', 'T2') IS NOT NULL AS shipped;
-- o3: a pending shipment
SELECT oms.place_order('cy@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"confirm": true}') AS o3 \gset
SELECT oms.create_shipment(:o3, 'EAST') AS s3 \gset
-- o4: delivered, with a requested return
SELECT oms.place_order('di@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": 10}]', '{"confirm": true}') AS o4 \gset
SELECT oms.create_shipment(:o4, 'EAST') AS s4 \gset
SELECT oms.ship(:s4, 'UPS', 'T4') IS NOT NULL AS shipped, oms.deliver(:s4) AS delivered;
SELECT oms.request_return(:o4, '[{"sku": "TEE", "qty": 1}]') AS r4 \gset
-- a cart hold, and a submitted purchase order
SELECT oms.hold_stock('cart-1', '[{"sku": "TEE", "qty": 1}]') > 0 AS held;
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "TEE", "qty": 50}]') AS po \gset
SELECT oms.submit_purchase_order(:po);
SELECT oms.emit_event('test.unacked') AS e1 \gset
SELECT count(*) AS problems FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- item 2: status moves with side effects, by a plain UPDATE
-- ---------------------------------------------------------------------------
-- cancelling an order with reserved and backordered units (superuser, oms_admin, BI tool)
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET status = 'cancelled' WHERE order_id = %s$$, :o1));
SET ROLE oms_admin;
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET status = 'cancelled' WHERE order_id = %s$$, :o1));
RESET ROLE;
SET ROLE oms_guards_bi;
SELECT pg_temp.refused($$UPDATE oms.sales_order SET status = 'cancelled' WHERE status <> 'cancelled'$$);
RESET ROLE;
-- walking an order to completed before its units are delivered
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET status = 'completed' WHERE order_id = %s$$, :o2));
SET ROLE oms_admin;
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET status = 'processing' WHERE order_id = %s$$, :o1));
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET status = 'completed' WHERE order_id = %s$$, :o1));
RESET ROLE;
SELECT order_id, status FROM oms.sales_order WHERE order_id = :o1;
-- the API still does it: cancel_order releases what the order held
SELECT oms.cancel_order(:o1) AS units_cancelled;
SELECT status, (SELECT count(*) FROM oms.reservation r JOIN oms.order_line l USING (line_id)
                WHERE l.order_id = :o1 AND r.state = 'active') AS active_reservations
FROM oms.sales_order WHERE order_id = :o1;
-- moves without side effects stay open to a plain UPDATE: hold and release
SET ROLE oms_admin;
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET status = 'on_hold' WHERE order_id = %s$$, :o3));
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET status = 'processing' WHERE order_id = %s$$, :o3));
RESET ROLE;
-- and an order with nothing open (no lines) may be cancelled directly
INSERT INTO oms.sales_order DEFAULT VALUES RETURNING order_id AS bare \gset
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET status = 'cancelled' WHERE order_id = %s$$, :bare));

-- shipments: shipped, delivered, returned to sender and lost have their functions
SELECT pg_temp.try(format($$UPDATE oms.shipment SET status = 'picking' WHERE shipment_id = %s$$, :s3));
SELECT pg_temp.try(format($$UPDATE oms.shipment SET status = 'packed' WHERE shipment_id = %s$$, :s3));
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET status = 'shipped' WHERE shipment_id = %s$$, :s3));
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET status = 'delivered' WHERE shipment_id = %s$$, :s2));
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET status = 'returned_to_sender' WHERE shipment_id = %s$$, :s2));
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET status = 'lost' WHERE shipment_id = %s$$, :s2));
SELECT pg_temp.try(format($$UPDATE oms.shipment SET status = 'in_transit' WHERE shipment_id = %s$$, :s2));
SET ROLE oms_guards_bi;
SELECT pg_temp.refused($$UPDATE oms.shipment SET status = 'delivered' WHERE status = 'in_transit'$$);
RESET ROLE;
-- a DBA's own move back from cancelled would let a shipment take units twice
SELECT pg_temp.try(format($$UPDATE oms.shipment SET status = 'cancelled' WHERE shipment_id = %s$$, :s3));
INSERT INTO oms.status_transition (machine, from_status, to_status) VALUES ('shipment', 'cancelled', 'pending');
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET status = 'pending' WHERE shipment_id = %s$$, :s3));
DELETE FROM oms.status_transition WHERE NOT seeded;
-- the cancelled shipment's units went back to the order: it ships again through the API
SELECT oms.create_shipment(:o3, 'EAST') AS s3b \gset
SELECT oms.ship(:s3b, 'UPS', 'T3') IS NOT NULL AS shipped_through_api;

-- returns: received and completed have their functions; authorizing is a plain move
SELECT pg_temp.refused(format($$UPDATE oms.return_authorization SET status = 'received' WHERE rma_id = %s$$, :r4));
SELECT pg_temp.try(format($$UPDATE oms.return_authorization SET status = 'authorized' WHERE rma_id = %s$$, :r4));
SELECT pg_temp.refused(format($$UPDATE oms.return_authorization SET status = 'received' WHERE rma_id = %s$$, :r4));
SELECT oms.receive_return(:r4, 'EAST');
SELECT pg_temp.refused(format($$UPDATE oms.return_authorization SET status = 'completed' WHERE rma_id = %s$$, :r4));
SELECT oms.complete_return(:r4);

-- purchase orders: their triggers move incoming whoever moves the status
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 7}]') AS po2 \gset
SET ROLE oms_admin;
UPDATE oms.purchase_order SET status = 'submitted' WHERE po_id = :po2;
SELECT incoming FROM oms.inventory_level v JOIN oms.item i USING (item_id) WHERE i.sku = 'MUG';
-- and a plain submit is held to what submit_purchase_order() checks and sets
SELECT expected_on = current_date + 7 AS expected_after_lead_time FROM oms.purchase_order WHERE po_id = :po2;
SELECT oms.create_purchase_order('ACME', 'EAST') AS po3 \gset
SELECT pg_temp.refused(format($$UPDATE oms.purchase_order SET status = 'submitted' WHERE po_id = %s$$, :po3));
UPDATE oms.purchase_order SET status = 'cancelled' WHERE po_id = :po2;
SELECT incoming FROM oms.inventory_level v JOIN oms.item i USING (item_id) WHERE i.sku = 'MUG';
RESET ROLE;

-- check_inventory() finds an active reservation (and a backorder) on a closed order
SELECT oms.place_order('ed@example.com', 'web', '[{"sku": "TEE", "qty": 2}, {"sku": "MUG", "qty": 3}]') AS o5 \gset
BEGIN;
ALTER TABLE oms.sales_order DISABLE TRIGGER status_guard_api;
UPDATE oms.sales_order SET status = 'cancelled' WHERE order_id = :o5;
SELECT * FROM oms.check_inventory();
ROLLBACK;
SELECT count(*) AS problems FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- item 3: tables and columns only the engine writes
-- ---------------------------------------------------------------------------
-- reservations: insert, update, delete (superuser, the BI tool; oms_admin has no grant)
SELECT pg_temp.refused(format($$INSERT INTO oms.reservation (line_id, item_id, location_id, qty)
    SELECT line_id, item_id, 1, 5 FROM oms.order_line WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused($$UPDATE oms.reservation SET qty = qty + 1 WHERE state = 'active'$$);
SELECT pg_temp.refused($$UPDATE oms.reservation SET state = 'released', closed_at = now() WHERE state = 'active'$$);
SELECT pg_temp.refused($$DELETE FROM oms.reservation$$);
SET ROLE oms_guards_bi;
SELECT pg_temp.refused($$DELETE FROM oms.reservation WHERE state = 'active'$$);
RESET ROLE;
SET ROLE oms_admin;
SELECT pg_temp.refused($$DELETE FROM oms.reservation$$);
RESET ROLE;
-- cart holds: releasing by hand would leave the reservations active
SELECT pg_temp.refused($$UPDATE oms.cart_hold SET state = 'released'$$);
SELECT pg_temp.refused($$DELETE FROM oms.cart_hold$$);
-- order lines: quantities, prices, new lines, deleted lines
SELECT pg_temp.refused(format($$UPDATE oms.order_line SET qty_ordered = qty_ordered + 1, qty_backordered = qty_backordered + 1 WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused(format($$UPDATE oms.order_line SET unit_price = 99 WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused(format($$INSERT INTO oms.order_line (order_id, line_no, item_id, qty_ordered, qty_backordered) VALUES (%s, 9, 1, 1, 1)$$, :o5));
SELECT pg_temp.refused(format($$DELETE FROM oms.order_line WHERE order_id = %s$$, :o5));
SET ROLE oms_guards_bi;
SELECT pg_temp.refused($$UPDATE oms.order_line SET qty_cancelled = qty_cancelled$$) AS unchanged_is_no_write;
SELECT pg_temp.refused($$UPDATE oms.order_line SET qty_delivered = qty_shipped$$);
RESET ROLE;
-- orders: derived and engine-kept columns; a plain UPDATE may correct the address
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET fulfillment_status = 'delivered' WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET subtotal = 1 WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET currency = 'EUR' WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused(format($$UPDATE oms.sales_order SET status_changed_at = now() - interval '1 day' WHERE order_id = %s$$, :o5));
SELECT pg_temp.refused(format($$DELETE FROM oms.sales_order WHERE order_id = %s$$, :bare));
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET ship_to = '{"name": "E", "line1": "2 St", "city": "Y", "postal_code": "2", "country": "US"}', promised_at = now() WHERE order_id = %s$$, :o5));
-- shipments: no stock movement without ship(); lines of a shipment; who it belongs to
SELECT pg_temp.refused(format($$INSERT INTO oms.shipment (order_id, location_id, service_level) VALUES (%s, 1, 'ground')$$, :o5));
SELECT pg_temp.refused(format($$UPDATE oms.shipment_line SET qty = qty + 5 WHERE shipment_id = %s$$, :s2));
SELECT pg_temp.refused(format($$INSERT INTO oms.shipment_line (shipment_id, line_id, item_id, qty)
    SELECT %s, line_id, item_id, 1 FROM oms.order_line WHERE order_id = %s AND item_id = 1$$, :s2, :o5));
SELECT pg_temp.refused(format($$DELETE FROM oms.shipment_line WHERE shipment_id = %s$$, :s2));
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET order_id = %s WHERE shipment_id = %s$$, :o5, :s2));
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET delivered_at = now() - interval '90 days' WHERE shipment_id = %s$$, :s4));
SELECT pg_temp.refused(format($$DELETE FROM oms.shipment WHERE shipment_id = %s$$, :s3));
SELECT pg_temp.try(format($$UPDATE oms.shipment SET tracking_number = 'T2B' WHERE shipment_id = %s$$, :s2));
-- returns: lines and refunds
SELECT pg_temp.refused(format($$UPDATE oms.return_line SET qty_resellable = 0, qty_damaged = qty_received WHERE rma_id = %s$$, :r4));
SELECT pg_temp.refused(format($$UPDATE oms.return_authorization SET refund_amount = 1000 WHERE rma_id = %s$$, :r4));
SELECT pg_temp.refused(format($$INSERT INTO oms.return_authorization (order_id, kind) VALUES (%s, 'refund')$$, :o4));
-- the status history cannot be forged or rewritten
SELECT pg_temp.refused($$INSERT INTO oms.status_history (machine, entity_id, to_status) VALUES ('order', 1, 'completed')$$);
SELECT pg_temp.refused($$UPDATE oms.status_history SET reason = 'rewritten'$$);
SELECT pg_temp.refused($$DELETE FROM oms.status_history$$);
-- the outbox: written by the engine and emit_event(); claims may be stamped,
-- unacknowledged events are never deleted
SELECT pg_temp.refused($$INSERT INTO oms.event (topic) VALUES ('refund.issued')$$);
SELECT pg_temp.refused(format($$UPDATE oms.event SET payload = '{"amount": "1000.00"}' WHERE event_id = %s$$, :e1));
SELECT pg_temp.refused(format($$DELETE FROM oms.event WHERE event_id = %s$$, :e1));
SET ROLE oms_guards_bi;
SELECT pg_temp.refused($$DELETE FROM oms.event WHERE acked_at IS NULL$$);
RESET ROLE;
SELECT pg_temp.try(format($$UPDATE oms.event SET claimed_by = 'me', claimed_at = now(), acked_at = now() WHERE event_id = %s$$, :e1));
SELECT pg_temp.try(format($$DELETE FROM oms.event WHERE event_id = %s$$, :e1));
-- a receipt movement for a bundle (superuser, oms_admin)
SELECT pg_temp.refused($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta)
    SELECT item_id, 1, 'receipt', 5 FROM oms.item WHERE sku = 'KIT'$$);
SET ROLE oms_admin;
SELECT pg_temp.refused($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta)
    SELECT item_id, 1, 'receipt', 5 FROM oms.item WHERE sku = 'KIT'$$);
-- and an item with history cannot become a bundle, nor a bundle a plain item
SELECT pg_temp.refused($$UPDATE oms.item SET is_bundle = true WHERE sku = 'TEE'$$);
SELECT pg_temp.refused($$UPDATE oms.item SET is_bundle = false WHERE sku = 'KIT'$$);
INSERT INTO oms.item (sku, name) VALUES ('NEW', 'New item');
SELECT pg_temp.try($$UPDATE oms.item SET is_bundle = true WHERE sku = 'NEW'$$) AS fresh_item;
RESET ROLE;

-- TRUNCATE of every table whose rows carry invariants (superuser, BI tool)
SET client_min_messages = warning;
SELECT t, pg_temp.refused(format('TRUNCATE oms.%I CASCADE', t))
FROM unnest(ARRAY['sales_order', 'order_line', 'reservation', 'cart_hold', 'shipment', 'shipment_line',
                  'return_authorization', 'return_line', 'purchase_order', 'purchase_order_line',
                  'status_history', 'event', 'payment', 'inventory_level', 'inventory_movement']) AS t;
SET ROLE oms_guards_bi;
SELECT pg_temp.refused('TRUNCATE oms.purchase_order, oms.purchase_order_line');
SELECT pg_temp.refused('TRUNCATE oms.customer CASCADE');
RESET ROLE;
RESET client_min_messages;
SELECT sku, incoming FROM oms.inventory_position ORDER BY sku;

-- a lost shipment that will not be re-shipped is cancelled through its
-- function, which cancels its units on the order; a plain UPDATE would not
SELECT oms.place_order('dee@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"confirm": true}') AS o9 \gset
SELECT oms.create_shipment(:o9, 'EAST') AS s9 \gset
SELECT oms.ship(:s9, 'UPS', 'T9') IS NOT NULL AS shipped;
SELECT oms.advance_shipment(:s9, 'lost');
SELECT pg_temp.refused(format($$UPDATE oms.shipment SET status = 'cancelled' WHERE shipment_id = %s$$, :s9));
SELECT oms.advance_shipment(:s9, 'cancelled');
SELECT status FROM oms.sales_order WHERE order_id = :o9;

-- after all of it, everything still agrees
SELECT count(*) AS problems FROM oms.check_inventory();
SELECT count(*) AS problems FROM oms.check_payments();

DROP OWNED BY oms_guards_bi;
DROP ROLE oms_guards_bi;
