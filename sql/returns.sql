-- returns: RMAs, the fraud guard, the return window, receiving with
-- conditions, inspection, refunds on completion, exchanges, the views
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
CREATE FUNCTION pg_temp.levels() RETURNS TABLE (sku text, location text, on_hand bigint, reserved bigint, damaged bigint)
LANGUAGE sql AS $$
    SELECT sku, location, on_hand, reserved, damaged FROM oms.inventory_position ORDER BY 1, 2
$$;
CREATE FUNCTION pg_temp.lines(o bigint) RETURNS TABLE (line_no int, sku text, ordered bigint, shipped bigint, returned bigint)
LANGUAGE sql AS $$
    SELECT l.line_no, i.sku, l.qty_ordered, l.qty_shipped, l.qty_returned
    FROM oms.order_line l JOIN oms.item i USING (item_id)
    WHERE l.order_id = o ORDER BY l.line_no
$$;
CREATE FUNCTION pg_temp.rma(r bigint) RETURNS TABLE (rma text, kind text, status text, sku text, qty bigint, reason text, received bigint, resellable bigint, damaged bigint)
LANGUAGE sql AS $$
    SELECT a.rma_number, a.kind, a.status, i.sku, rl.qty, rl.reason_code, rl.qty_received, rl.qty_resellable, rl.qty_damaged
    FROM oms.return_authorization a JOIN oms.return_line rl USING (rma_id) JOIN oms.item i USING (item_id)
    WHERE a.rma_id = r ORDER BY i.sku
$$;
-- place, pay for, ship and deliver an order; returns its id
CREATE FUNCTION pg_temp.delivered_order(email text, lines jsonb, delivered timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
    s bigint;
BEGIN
    o := oms.place_order(email, 'web', lines,
        '{"confirm": true, "tax": "8.00", "shipping": "10.00", "payment_required": "captured",
          "ship_to": {"name": "C", "line1": "1 St", "city": "X", "postal_code": "1", "country": "US"}}');
    PERFORM oms.record_payment(o, 'capture', (SELECT total FROM oms.sales_order WHERE order_id = o));
    FOR s IN SELECT oms.create_shipments(o) LOOP
        PERFORM oms.ship(s, 'UPS', 'T' || s);
        -- a delivery in the past shipped before it (time travel for the window test)
        UPDATE oms.shipment SET shipped_at = LEAST(shipped_at, delivered - interval '2 days') WHERE shipment_id = s;
        PERFORM oms.deliver(s, delivered);
    END LOOP;
    RETURN o;
END
$$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10), ('WEST', 'West DC', 20);
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('MUG', 'Mug'), ('CAP', 'Cap'), ('TEE-L', 'Tee, large');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days) SELECT carrier_id, 'ground', 3 FROM oms.carrier;
SELECT oms.receive_stock('TEE', 'EAST', 10) > 0, oms.receive_stock('MUG', 'EAST', 10) > 0,
       oms.receive_stock('CAP', 'EAST', 10) > 0, oms.receive_stock('TEE-L', 'WEST', 5) > 0;

-- ---------------------------------------------------------------------------
-- a refund RMA: requested, authorized, received (one resellable, one damaged), completed
-- ---------------------------------------------------------------------------
-- 2 tees at 20 and 1 mug at 10: subtotal 50, tax 8, shipping 10, total 68, captured
SELECT pg_temp.delivered_order('ann@example.com', '[{"sku": "TEE", "qty": 2, "unit_price": 20}, {"sku": "MUG", "qty": 1, "unit_price": 10}]') AS o1 \gset
SELECT order_number, status, fulfillment_status, payment_status, total FROM oms.sales_order WHERE order_id = :o1;
SELECT oms.request_return(:o1, '[{"sku": "TEE", "qty": 2, "reason": "size_fit"}]', 'refund', '{"note": "too small"}') AS r1 \gset
SELECT * FROM pg_temp.rma(:r1);
SELECT rma_number ~ '^RMA-\d{6}$' AS numbered FROM oms.return_authorization WHERE rma_id = :r1;
SELECT topic, payload->>'rma_number' AS rma, payload->>'kind' AS kind, payload->'lines' AS lines, payload->>'reason' AS reason
FROM oms.event WHERE topic = 'return.requested';
-- the fraud guard: the tees are all on the open RMA; the mug is returnable once
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1}]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 2}]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CAP", "qty": 1}]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1, "reason": "meh"}]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 0}]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"qty": 1}]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[]')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]', 'store_credit')$$, :o1));
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]', 'exchange')$$, :o1));
SELECT pg_temp.try('SELECT oms.request_return(424242, ''[{"sku": "MUG", "qty": 1}]'')');
SELECT count(*) AS rmas FROM oms.return_authorization;
-- receiving before authorization is refused; then authorize and receive
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST')$$, :r1));
SELECT oms.advance_return(:r1, 'authorized');
SELECT pg_temp.try(format($$SELECT oms.advance_return(%s, 'completed')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "TEE", "qty": 3}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "TEE", "qty": 1, "condition": "meh"}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "MUG", "qty": 1}]')$$, :r1));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'NORTH')$$, :r1));
SELECT * FROM pg_temp.levels() WHERE sku = 'TEE';
SELECT oms.receive_return(:r1, 'EAST', '[{"sku": "TEE", "qty": 1, "condition": "resellable"}, {"sku": "TEE", "qty": 1, "condition": "damaged"}]');
SELECT * FROM pg_temp.rma(:r1);
SELECT * FROM pg_temp.levels() WHERE sku = 'TEE';
SELECT kind, on_hand_delta, damaged_delta, reference = (SELECT rma_number FROM oms.return_authorization WHERE rma_id = :r1) AS ref_ok
FROM oms.inventory_movement WHERE kind LIKE 'return%' ORDER BY movement_id;
SELECT * FROM pg_temp.lines(:o1);
SELECT fulfillment_status FROM oms.sales_order WHERE order_id = :o1;
SELECT topic, payload->>'resellable' AS resellable, payload->>'damaged' AS damaged, payload->>'location' AS location
FROM oms.event WHERE topic = 'return.received';
-- inspection re-grades: the damaged tee was fine after all, through a restore movement
SELECT pg_temp.try(format($$SELECT oms.inspect_return(%s, '[{"sku": "TEE", "resellable": 2, "damaged": 1}]')$$, :r1));
SELECT oms.inspect_return(:r1, '[{"sku": "TEE", "resellable": 2, "damaged": 0}]');
SELECT * FROM pg_temp.rma(:r1);
SELECT * FROM pg_temp.levels() WHERE sku = 'TEE';
SELECT kind, on_hand_delta, damaged_delta, reason FROM oms.inventory_movement WHERE kind = 'restore';
-- completion refunds 2 x 20 plus the tax share 8 x 40/50 = 6.40: 46.40
SELECT oms.complete_return(:r1, 'refund approved');
SELECT rma_number, status, refund_amount, refund_payment_id IS NOT NULL AS refunded FROM oms.return_authorization WHERE rma_id = :r1;
SELECT kind, amount, provider_ref = (SELECT rma_number FROM oms.return_authorization WHERE rma_id = :r1) AS ref_ok
FROM oms.payment WHERE order_id = :o1 ORDER BY payment_id;
SELECT payment_status FROM oms.sales_order WHERE order_id = :o1;
SELECT topic, payload->>'amount' AS amount FROM oms.event WHERE topic = 'refund.issued';
SELECT payload->>'value' AS value, payload->>'refund' AS refund FROM oms.event WHERE topic = 'return.completed';
SELECT pg_temp.try(format('SELECT oms.complete_return(%s)', :r1));
SELECT pg_temp.try(format($$SELECT oms.inspect_return(%s, '[{"sku": "TEE", "resellable": 1, "damaged": 1}]')$$, :r1));
-- returned units cannot come back twice
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1}]')$$, :o1));

-- ---------------------------------------------------------------------------
-- shipping is refunded in proportion when the setting says so; never more than is refundable
-- ---------------------------------------------------------------------------
SET oms.refund_shipping = proportional;
SELECT oms.request_return(:o1, '[{"sku": "MUG", "qty": 1, "reason": "defective"}]', 'refund', '{"authorize": true}') AS r2 \gset
SELECT oms.receive_return(:r2, 'EAST', '[{"sku": "MUG", "qty": 1, "condition": "damaged"}]');
-- someone refunded by hand meanwhile: only 68 - 46.40 - 15 = 6.60 is left of the 13.60 owed
SELECT oms.refund(:o1, 15, 'goodwill') > 0 AS refunded;
SELECT oms.complete_return(:r2);
SELECT refund_amount FROM oms.return_authorization WHERE rma_id = :r2;
SELECT payload->>'refund_owed' AS owed, payload->>'refund' AS refund FROM oms.event
WHERE topic = 'return.completed' ORDER BY event_id DESC LIMIT 1;
SELECT oms.refundable_balance(:o1) AS refundable_left, payment_status FROM oms.sales_order WHERE order_id = :o1;
SELECT fulfillment_status FROM oms.sales_order WHERE order_id = :o1;
RESET oms.refund_shipping;

-- ---------------------------------------------------------------------------
-- an exchange: the same value, a linked replacement order, no payment needed
-- ---------------------------------------------------------------------------
SELECT pg_temp.delivered_order('bob@example.com', '[{"sku": "TEE", "qty": 1, "unit_price": 20}]') AS o2 \gset
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1}]', 'refund', '{"exchange": [{"sku": "TEE-L", "qty": 1}]}')$$, :o2));
SELECT oms.request_return(:o2, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', 'exchange',
    '{"exchange": [{"sku": "TEE-L", "qty": 1}], "authorize": true}') AS r3 \gset
SELECT kind, status, exchange_lines FROM oms.return_authorization WHERE rma_id = :r3;
SELECT oms.receive_return(:r3, 'EAST');
SELECT oms.complete_return(:r3);
SELECT a.status, a.refund_amount, a.refund_payment_id, x.channel_order_ref = a.rma_number AS linked,
       x.status AS replacement_status, x.payment_required, x.subtotal
FROM oms.return_authorization a JOIN oms.sales_order x ON x.order_id = a.exchange_order_id WHERE a.rma_id = :r3;
SELECT i.sku, l.qty_ordered, l.qty_reserved, l.unit_price
FROM oms.order_line l JOIN oms.item i USING (item_id)
WHERE l.order_id = (SELECT exchange_order_id FROM oms.return_authorization WHERE rma_id = :r3);
SELECT * FROM pg_temp.levels() WHERE sku = 'TEE-L';
SELECT topic, payload->>'replacement_order_number' = (SELECT o.order_number FROM oms.sales_order o
       JOIN oms.return_authorization a ON a.exchange_order_id = o.order_id WHERE a.rma_id = :r3) AS links
FROM oms.event WHERE topic = 'exchange.created';
SELECT count(*) AS payments_on_exchange FROM oms.payment WHERE order_id = :o2 AND kind = 'refund';
-- the replacement ships like any order
SELECT count(*) AS shipments FROM oms.create_shipments((SELECT exchange_order_id FROM oms.return_authorization WHERE rma_id = :r3));
-- an exchange worth more than what is asked back is accepted when it is
-- requested (issue 16: it was OM005; at completion the replacement order owes
-- the difference: sql/exchange_upcharge.sql); rolled back here
SELECT pg_temp.delivered_order('cy@example.com', '[{"sku": "CAP", "qty": 1, "unit_price": 5}]') AS o3 \gset
BEGIN;
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CAP", "qty": 1, "reason": "wrong_item"}]', 'exchange',
    '{"exchange": [{"sku": "TEE", "qty": 1, "unit_price": 20}], "authorize": true}')$$, :o3));
SELECT count(*) AS rmas FROM oms.return_authorization WHERE order_id = :o3;
ROLLBACK;

-- ---------------------------------------------------------------------------
-- rejected and cancelled RMAs free their units again; the return window
-- ---------------------------------------------------------------------------
SELECT pg_temp.delivered_order('dee@example.com', '[{"sku": "MUG", "qty": 2, "unit_price": 10}]') AS o4 \gset
SELECT oms.request_return(:o4, '[{"sku": "MUG", "qty": 2, "reason": "changed_mind"}]') AS r5 \gset
SELECT oms.advance_return(:r5, 'rejected', 'used');
SELECT oms.request_return(:o4, '[{"sku": "MUG", "qty": 2, "reason": "changed_mind"}]') AS r6 \gset
SELECT oms.advance_return(:r6, 'cancelled', 'customer kept them');
SELECT pg_temp.try(format($$SELECT oms.advance_return(%s, 'authorized')$$, :r6));
SELECT pg_temp.try(format($$SELECT oms.advance_return(%s, 'received')$$, :r6));
SELECT pg_temp.delivered_order('eve@example.com', '[{"sku": "MUG", "qty": 1, "unit_price": 10}]', now() - interval '40 days') AS o5 \gset
-- (the dates in the message are today's minus 40 and minus 10 days)
SELECT regexp_replace(pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]')$$, :o5)),
                      '\d{4}-\d{2}-\d{2}', 'YYYY-MM-DD', 'g') AS outside_30_days;
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]')$$, :o5))
       LIKE '%closed on ' || to_char(now() - interval '10 days', 'YYYY-MM-DD') || '%' AS names_the_day_it_closed;
SET oms.return_window_days = 60;
SELECT oms.request_return(:o5, '[{"sku": "MUG", "qty": 1}]') AS r7 \gset
SELECT oms.advance_return(:r7, 'cancelled');
SET oms.return_window_days = 0;
SELECT oms.request_return(:o5, '[{"sku": "MUG", "qty": 1}]') > 0 AS no_window;
RESET oms.return_window_days;
-- units shipped but not yet delivered may come back; unshipped ones may not
SELECT oms.place_order('fay@example.com', 'web', '[{"sku": "CAP", "qty": 2, "unit_price": 5}]', '{"confirm": true}') AS o6 \gset
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CAP", "qty": 1}]')$$, :o6));
SELECT oms.ship(oms.create_shipment(:o6, 'EAST', '[{"sku": "CAP", "qty": 1}]'), 'UPS', 'FAY1') IS NOT NULL AS shipped;
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "CAP", "qty": 2}]')$$, :o6));
SELECT oms.request_return(:o6, '[{"sku": "CAP", "qty": 1, "reason": "arrived_late"}]') > 0 AS requested;

-- a shipment whose units are asked back cannot also come back to sender
SELECT oms.place_order('gus@example.com', 'web', '[{"sku": "CAP", "qty": 2, "unit_price": 5}]', '{"confirm": true}') AS o7 \gset
SELECT oms.create_shipment(:o7, 'EAST', '[{"sku": "CAP", "qty": 1}]') AS s7a \gset
SELECT oms.create_shipment(:o7, 'EAST') AS s7b \gset
SELECT oms.ship(:s7a, 'UPS', 'GUS1') IS NOT NULL AS shipped, oms.ship(:s7b, 'UPS', 'GUS2') IS NOT NULL AS shipped;
SELECT oms.deliver(:s7a);
SELECT oms.request_return(:o7, '[{"sku": "CAP", "qty": 2, "reason": "defective"}]') AS r8 \gset
SELECT pg_temp.try(format($$SELECT oms.return_to_sender(%s)$$, :s7b));
SELECT oms.advance_return(:r8, 'cancelled');
SELECT oms.request_return(:o7, '[{"sku": "CAP", "qty": 1, "reason": "defective"}]') > 0 AS one_asked_back;
SELECT oms.return_to_sender(:s7b, 'cancel');
-- an RMA over two order lines of one sku (a bundle's component and a line of its own)
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit: tee + mug', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, 1 FROM oms.item b, oms.item c WHERE b.sku = 'KIT' AND c.sku IN ('TEE', 'MUG');
SELECT pg_temp.delivered_order('hal@example.com', '[{"sku": "KIT", "qty": 1, "unit_price": 25}, {"sku": "TEE", "qty": 1, "unit_price": 20}]') AS o8 \gset
SELECT oms.request_return(:o8, '[{"sku": "TEE", "qty": 2, "reason": "size_fit"}]', 'refund', '{"authorize": true}') AS r9 \gset
SELECT * FROM pg_temp.rma(:r9);
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "TEE", "qty": 3}]')$$, :r9));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "TEE", "qty": 1}, {"sku": "TEE", "qty": 9223372036854775807, "condition": "damaged"}]')$$, :r9));
SELECT pg_temp.try(format($$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "TEE", "qty": 99999999999999999999}]')$$, :r9));
SELECT oms.receive_return(:r9, 'EAST', '[{"sku": "TEE", "qty": 1}, {"sku": "TEE", "qty": 1, "condition": "damaged"}]');
SELECT * FROM pg_temp.rma(:r9);
SELECT oms.inspect_return(:r9, '[{"sku": "TEE", "resellable": 0, "damaged": 2}]');
SELECT * FROM pg_temp.rma(:r9);
-- the component is refunded at its share of the kit (25 x 1/2) and the tee at 20
SELECT oms.complete_return(:r9);
SELECT refund_amount FROM oms.return_authorization WHERE rma_id = :r9;

-- ---------------------------------------------------------------------------
-- the views
-- ---------------------------------------------------------------------------
SELECT rma_number, order_number, customer, kind, status, units_requested, units_received,
       units_resellable, units_damaged, reasons, refund_amount, exchange_order IS NOT NULL AS has_exchange, location
FROM oms.returns_overview ORDER BY rma_id;
SELECT * FROM oms.returns_by_reason ORDER BY reason_code;
SELECT source, entity, what, from_status, to_status FROM oms.order_timeline
WHERE order_id = :o2 AND entity = 'return' ORDER BY at, seq, source;
SELECT order_number, fulfillment_status, payment_status FROM oms.order_tracking WHERE order_id IN (:o1, :o2) ORDER BY order_id;
SET ROLE oms_reader;
SELECT count(*) > 0 AS reader_sees FROM oms.returns_overview;
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]')$$, :o4));
RESET ROLE;

SELECT * FROM oms.check_inventory();
SELECT * FROM oms.check_payments();
