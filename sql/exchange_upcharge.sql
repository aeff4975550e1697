-- exchange_upcharge: an exchange worth more than what came back (issue 16,
-- item 6).  The replacement order is placed as before, with
-- payment_required captured and the value received credited to it as a
-- capture (provider "exchange", reference the RMA number): it owes the
-- difference, and shipping it is OM009 naming the amount until the
-- customer pays the rest.  Worth the same or less: as before (no credit,
-- payment_required none, the difference refunded).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
CREATE FUNCTION pg_temp.delivered_order(email text, lines jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
    s bigint;
BEGIN
    o := oms.place_order(email, 'web', lines, '{"confirm": true}');
    PERFORM oms.record_payment(o, 'capture', (SELECT total FROM oms.sales_order WHERE order_id = o));
    FOR s IN SELECT oms.create_shipments(o) LOOP
        PERFORM oms.ship(s, 'UPS', 'T' || s);
        PERFORM oms.deliver(s);
    END LOOP;
    RETURN o;
END
$$;
-- an order's money and gate
CREATE FUNCTION pg_temp.money(o bigint) RETURNS TABLE (order_number text, status text, total numeric, captured numeric,
                                                       payment_status text, payment_required text, payment_satisfied boolean)
LANGUAGE sql AS $$
    SELECT p.order_number, s.status, p.total, p.captured, p.payment_status, p.payment_required, p.payment_satisfied
    FROM oms.order_payments p JOIN oms.sales_order s USING (order_id) WHERE p.order_id = o
$$;

INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('HOODIE', 'Hoodie'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SELECT count(oms.receive_stock(s, 'EAST', 20)) AS received FROM unnest(ARRAY['TEE', 'HOODIE', 'MUG']) s;

-- ---------------------------------------------------------------------------
-- 1. A tee (20.00) exchanged for a hoodie (45.00): accepted at request time
-- ---------------------------------------------------------------------------
SELECT pg_temp.delivered_order('ann@example.com', '[{"sku": "TEE", "qty": 1, "unit_price": "20"}]') AS o1 \gset
SELECT oms.request_return(:o1, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', 'exchange',
                          '{"exchange": [{"sku": "HOODIE", "qty": 1, "unit_price": "45"}], "authorize": true}') AS r1 \gset
SELECT oms.receive_return(:r1, 'EAST'), oms.complete_return(:r1);
SELECT exchange_order_id AS x1, refund_amount FROM oms.return_authorization WHERE rma_id = :r1 \gset
SELECT :'refund_amount' AS refund_on_the_original;
-- the replacement: total 45.00, 20.00 credited, partially paid, must be captured
SELECT * FROM pg_temp.money(:x1);
SELECT kind, amount, provider, provider_ref, reason FROM oms.payment WHERE order_id = :x1 ORDER BY payment_id;
SELECT payload - 'rma_number' - 'order_number' - 'replacement_order_number' AS exchange_created
FROM oms.event WHERE topic = 'exchange.created' ORDER BY event_id DESC LIMIT 1;

-- it cannot ship until the 25.00 is captured: OM009 naming the amount
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST')$$, :x1));
SELECT pg_temp.try(format($$SELECT oms.create_shipments(%s)$$, :x1));
-- a capture without its authorization: OM005 (the credit is the only authorization)
SELECT pg_temp.try(format($$SELECT oms.record_payment(%s, 'capture', 25)$$, :x1));
-- part of it: still owes 5.00
SELECT oms.record_payment(:x1, 'authorization', 20) > 0 AS authorized, oms.record_payment(:x1, 'capture', 20) > 0 AS captured;
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST')$$, :x1));
-- the rest: paid, it ships
SELECT oms.record_payment(:x1, 'authorization', 5) > 0 AS authorized, oms.record_payment(:x1, 'capture', 5) > 0 AS captured;
SELECT * FROM pg_temp.money(:x1);
SELECT oms.create_shipment(:x1, 'EAST') AS xs \gset
SELECT oms.ship(:xs, 'UPS', 'T-X1') IS NOT NULL AS shipped;

-- ---------------------------------------------------------------------------
-- 2. Worth the same or less: as before (payment_required none, no credit)
-- ---------------------------------------------------------------------------
SELECT pg_temp.delivered_order('bob@example.com', '[{"sku": "TEE", "qty": 2, "unit_price": "20"}]') AS o2 \gset
SELECT oms.request_return(:o2, '[{"sku": "TEE", "qty": 2, "reason": "size_fit"}]', 'exchange',
                          '{"exchange": [{"sku": "MUG", "qty": 1, "unit_price": "15"}], "authorize": true}') AS r2 \gset
SELECT oms.receive_return(:r2, 'EAST'), oms.complete_return(:r2);
SELECT refund_amount FROM oms.return_authorization WHERE rma_id = :r2;
SELECT m.* FROM oms.return_authorization r, pg_temp.money(r.exchange_order_id) m WHERE r.rma_id = :r2;
SELECT count(*) AS payments_on_replacement FROM oms.payment p JOIN oms.return_authorization r ON p.order_id = r.exchange_order_id
WHERE r.rma_id = :r2;

-- ---------------------------------------------------------------------------
-- 3. A partial receipt: one of two tees came back for two hoodies; the
--    replacement owes 90.00 - 20.00
-- ---------------------------------------------------------------------------
SELECT pg_temp.delivered_order('cat@example.com', '[{"sku": "TEE", "qty": 2, "unit_price": "20"}]') AS o3 \gset
SELECT oms.request_return(:o3, '[{"sku": "TEE", "qty": 2}]', 'exchange',
                          '{"exchange": [{"sku": "HOODIE", "qty": 2, "unit_price": "45"}], "authorize": true}') AS r3 \gset
SELECT oms.receive_return(:r3, 'EAST', '[{"sku": "TEE", "qty": 1}]'), oms.complete_return(:r3);
SELECT m.* FROM oms.return_authorization r, pg_temp.money(r.exchange_order_id) m WHERE r.rma_id = :r3;
SELECT pg_temp.try(format($$SELECT oms.create_shipment(exchange_order_id, 'EAST') FROM oms.return_authorization WHERE rma_id = %s$$, :r3));

-- ---------------------------------------------------------------------------
-- 4. The other error classes of an exchange still hold: an unknown sku
--    (OM003 at request), short stock (OM001 at completion, nothing placed)
-- ---------------------------------------------------------------------------
SELECT pg_temp.delivered_order('dan@example.com', '[{"sku": "MUG", "qty": 1, "unit_price": "15"}]') AS o4 \gset
SELECT pg_temp.try(format($$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]', 'exchange', '{"exchange": [{"sku": "NOPE", "qty": 1}]}')$$, :o4));
SELECT oms.request_return(:o4, '[{"sku": "MUG", "qty": 1}]', 'exchange',
                          '{"exchange": [{"sku": "HOODIE", "qty": 30, "unit_price": "45"}], "authorize": true}') AS r4 \gset
SELECT oms.receive_return(:r4, 'EAST');
SELECT pg_temp.try(format($$SELECT oms.complete_return(%s)$$, :r4));
-- nothing was placed or credited
SELECT count(*) AS orders FROM oms.sales_order WHERE channel_order_ref = (SELECT rma_number FROM oms.return_authorization WHERE rma_id = :r4);
-- change_return is still the way out
SELECT oms.change_return(:r4, 'exchange', '[{"sku": "HOODIE", "qty": 1, "unit_price": "45"}]'), oms.complete_return(:r4);
SELECT m.* FROM oms.return_authorization r, pg_temp.money(r.exchange_order_id) m WHERE r.rma_id = :r4;

SELECT * FROM oms.check_payments();
SELECT * FROM oms.check_inventory();
