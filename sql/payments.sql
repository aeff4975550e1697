-- payments: the ledger, the derived payment_status, refusals, idempotency, guards
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- an order's payment summary, compactly
CREATE FUNCTION pg_temp.pay(o bigint) RETURNS TABLE (total numeric, authorized numeric, captured numeric, refunded numeric, voided numeric, open_authorization numeric, refundable numeric, payment_status text, payments bigint)
LANGUAGE sql AS $$
    SELECT total, authorized, captured, refunded, voided, open_authorization, refundable, payment_status, payments
    FROM oms.order_payments WHERE order_id = o
$$;
-- an order's ledger, compactly
CREATE FUNCTION pg_temp.ledger(o bigint) RETURNS TABLE (kind text, amount numeric, currency char(3), provider text, provider_ref text, parent_kind text, reason text, idempotency_key text)
LANGUAGE sql AS $$
    SELECT p.kind, p.amount, p.currency, p.provider, p.provider_ref, q.kind, p.reason, p.idempotency_key
    FROM oms.payment p LEFT JOIN oms.payment q ON q.payment_id = p.parent_payment_id
    WHERE p.order_id = o ORDER BY p.payment_id
$$;

INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
SELECT oms.receive_stock('TEE', 'EAST', 50) > 0 AS received, oms.receive_stock('MUG', 'EAST', 50) > 0 AS received;

-- o1: 2 x 45.00 + 6.00 tax + 4.00 shipping = 100.00 USD, ships once captured
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "45.00"}]',
    '{"tax": "6.00", "shipping": "4.00", "payment_required": "captured"}') AS o1 \gset
SELECT order_number, currency, total, payment_status, payment_required FROM oms.sales_order WHERE order_id = :o1;
SELECT * FROM pg_temp.pay(:o1);
SELECT oms.refundable_balance(:o1);

-- ---------------------------------------------------------------------------
-- authorize, capture in two parts, refund in two parts: every status on the way
-- ---------------------------------------------------------------------------
SELECT oms.record_payment(:o1, 'authorization', 100, NULL, 'stripe', 'pi_1') AS p_auth \gset
SELECT * FROM pg_temp.pay(:o1);
SELECT oms.record_payment(:o1, 'capture', 40, 'USD', 'stripe', 'ch_1') AS p_cap1 \gset
SELECT * FROM pg_temp.pay(:o1);
-- over-capture: 70 asked, 60 of the authorization is open
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 70)$q$, :o1));
SELECT oms.record_payment(:o1, 'capture', '60.00', NULL, 'stripe', 'ch_2') > 0 AS captured;
SELECT * FROM pg_temp.pay(:o1);
-- nothing left to capture or void now
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 0.01)$q$, :o1));
-- void after capture: a void releases only what was never captured
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'void', 10)$q$, :o1));
SELECT oms.refund(:o1, 25.50, 'damaged in transit') AS p_ref1 \gset
SELECT * FROM pg_temp.pay(:o1);
SELECT oms.refundable_balance(:o1);
-- over-refund: 80 asked, 74.50 of the captures is left
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 80)$q$, :o1));
SELECT oms.refund(:o1, 74.50, 'order returned', NULL, 'stripe', 're_2') > 0 AS refunded;
SELECT * FROM pg_temp.pay(:o1);
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 0.01)$q$, :o1));
SELECT oms.refundable_balance(:o1);
SELECT * FROM pg_temp.ledger(:o1);

-- ---------------------------------------------------------------------------
-- voids: partial (still authorized), whole (voided), then nothing to capture
-- ---------------------------------------------------------------------------
SELECT oms.place_order('bob@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "30"}]',
    '{"payment_required": "authorized"}') AS o2 \gset
SELECT oms.record_payment(:o2, 'authorization', 30) > 0 AS authorized;
SELECT oms.record_payment(:o2, 'void', 10) > 0 AS voided;
SELECT * FROM pg_temp.pay(:o2);
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'void', 25)$q$, :o2));
SELECT oms.record_payment(:o2, 'void', 20) > 0 AS voided;
SELECT * FROM pg_temp.pay(:o2);
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 5)$q$, :o2));
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 5)$q$, :o2));
-- a new authorization after the void: authorized again
SELECT oms.record_payment(:o2, 'authorization', 30) > 0 AS authorized;
SELECT * FROM pg_temp.pay(:o2);

-- capture part, void the rest: partially_paid with nothing left open
SELECT oms.place_order('cy@example.com', 'web', '[{"sku": "MUG", "qty": 2, "unit_price": "10"}]') AS o3 \gset
SELECT oms.record_payment(:o3, 'authorization', 20) > 0 AS authorized;
SELECT oms.record_payment(:o3, 'capture', 15) > 0 AS captured;
SELECT oms.record_payment(:o3, 'void', 5) > 0 AS voided;
SELECT * FROM pg_temp.pay(:o3);
-- void with nothing authorized at all
SELECT oms.place_order('dee@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "10"}]') AS o4 \gset
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'void', 10)$q$, :o4));
-- refund with nothing captured
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 10)$q$, :o4));
SELECT * FROM pg_temp.pay(:o4);

-- ---------------------------------------------------------------------------
-- a direct sale: a capture with no authorization records both, linked
-- ---------------------------------------------------------------------------
SELECT oms.record_payment(:o4, 'capture', 10, NULL, 'pos', 'till-7') AS p_direct \gset
SELECT * FROM pg_temp.ledger(:o4);
SELECT kind FROM oms.payment WHERE payment_id = :p_direct;
SELECT * FROM pg_temp.pay(:o4);
-- a later capture is held to the authorization the direct sale recorded
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 1)$q$, :o4));
-- overpaying by a direct sale is allowed: captured >= total is paid
SELECT oms.place_order('eve@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "10"}]') AS o5 \gset
SELECT oms.record_payment(:o5, 'capture', 12.5) > 0 AS captured;
SELECT * FROM pg_temp.pay(:o5);

-- ---------------------------------------------------------------------------
-- currency: NULL means the order's; another one is OM010
-- ---------------------------------------------------------------------------
SELECT oms.place_order('fay@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "19.99"}]',
    '{"currency": "EUR"}') AS o6 \gset
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 19.99, 'USD')$q$, :o6));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 19.99, 'GBP')$q$, :o6));
SELECT oms.record_payment(:o6, 'authorization', 19.99, 'EUR') > 0 AS authorized;
SELECT oms.record_payment(:o6, 'capture', 19.99) > 0 AS captured;
SELECT * FROM pg_temp.ledger(:o6);
SELECT * FROM pg_temp.pay(:o6);

-- ---------------------------------------------------------------------------
-- idempotency: a retried refund refunds once; other arguments are OM004
-- ---------------------------------------------------------------------------
SELECT oms.refund(:o6, 5, 'goodwill', 'rf-1') AS p_rf1 \gset
SELECT oms.refund(:o6, 5, 'goodwill', 'rf-1') = :p_rf1 AS same_payment;
SELECT oms.refund(:o6, 5.00, 'goodwill', 'rf-1') = :p_rf1 AS same_payment_5_00;
SELECT count(*) AS refunds FROM oms.payment WHERE order_id = :o6 AND kind = 'refund';
SELECT count(*) AS refund_events FROM oms.event WHERE topic = 'refund.issued' AND entity_id = :o6;
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 6, 'goodwill', 'rf-1')$q$, :o6));
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 5, 'another reason', 'rf-1')$q$, :o6));
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 5, 'goodwill', 'rf-1')$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 5, NULL, NULL, NULL, 'rf-1')$q$, :o6));
-- a refund through record_payment with the same key and arguments is the same call
SELECT oms.record_payment(:o2, 'capture', 10, NULL, NULL, NULL, 'cap-1') AS p_cap \gset
SELECT oms.record_payment(:o2, 'capture', 10, NULL, NULL, NULL, 'cap-1') = :p_cap AS same_payment;
-- "the same arguments" are the arguments as given: an explicit currency is another call
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 10, 'USD', NULL, NULL, 'cap-1')$q$, :o2));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 10, NULL, 'stripe', NULL, 'cap-1')$q$, :o2));
-- a replay answers before anything else is checked: no new OM005 for a spent amount
SELECT oms.refund(:o6, 5, 'goodwill', 'rf-1') = :p_rf1 AS same_payment;
SELECT scope, key, result ? 'payment_id' AS has_result FROM oms.idempotency_key WHERE scope = 'payment' ORDER BY key;
SELECT idempotency_key FROM oms.payment WHERE payment_id = :p_rf1;
-- a failed call leaves its key free
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 1000, NULL, 'rf-2')$q$, :o6));
SELECT count(*) AS keys_rf2 FROM oms.idempotency_key WHERE key = 'rf-2';
SELECT oms.refund(:o6, 1, NULL, 'rf-2') > 0 AS refunded;
-- place_order keys are another scope: the same key string does not collide
SELECT oms.place_order('gus@example.com', 'web', '[{"sku": "MUG", "qty": 1}]', '{"idempotency_key": "rf-1"}') > 0 AS placed;

-- ---------------------------------------------------------------------------
-- bad input: each with its SQLSTATE, nothing written
-- ---------------------------------------------------------------------------
SELECT count(*) AS payments_before FROM oms.payment \gset
SELECT pg_temp.try('SELECT oms.record_payment(999999, ''authorization'', 10)');
SELECT pg_temp.try('SELECT oms.refund(999999, 10)');
SELECT pg_temp.try('SELECT oms.refundable_balance(999999)');
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 0)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', -5)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', NULL)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, NULL)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, -1)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 'NaN')$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 'Infinity')$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 1.005)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 1000000000000)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'charge', 10)$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, NULL, 10)$q$, :o5));
SELECT pg_temp.try('SELECT oms.record_payment(NULL, ''authorization'', 10)');
SELECT pg_temp.try('SELECT oms.refund(NULL, 10)');
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 10, 'usd')$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 10, 'US')$q$, :o5));
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 10, NULL, NULL, NULL, '')$q$, :o5));
SELECT oms.refundable_balance(NULL) IS NULL AS null_order_null_balance;
SELECT count(*) = :payments_before AS nothing_written FROM oms.payment;

-- ---------------------------------------------------------------------------
-- events: one per ledger row, amounts exact, with the new payment_status
-- ---------------------------------------------------------------------------
SELECT topic, payload - 'payment_id' AS payload
FROM oms.event WHERE entity = 'order' AND entity_id IN (:o1, :o4) AND (topic LIKE 'payment.%' OR topic = 'refund.issued')
ORDER BY event_id;
SELECT count(*) = (SELECT count(*) FROM oms.payment) AS one_event_per_row
FROM oms.event WHERE topic LIKE 'payment.%' OR topic = 'refund.issued';
SELECT bool_and((e.payload->>'payment_id')::bigint = p.payment_id AND e.payload->>'amount' = p.amount::text) AS events_match_ledger
FROM oms.event e JOIN oms.payment p ON p.payment_id = (e.payload->>'payment_id')::bigint
WHERE e.topic LIKE 'payment.%' OR e.topic = 'refund.issued';

-- ---------------------------------------------------------------------------
-- the order total changes: payment_status follows it
-- ---------------------------------------------------------------------------
SELECT oms.place_order('hal@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "10"}]') AS o7 \gset
SELECT oms.record_payment(:o7, 'capture', 20) > 0 AS captured;
SELECT payment_status FROM oms.sales_order WHERE order_id = :o7;
SELECT oms.edit_order(:o7, '[{"sku": "MUG", "qty": 1, "unit_price": "5"}]') = :o7 AS edited;
SELECT total, payment_status FROM oms.sales_order WHERE order_id = :o7;
SELECT oms.cancel_order(:o7, '[{"sku": "MUG", "qty": 1}]') AS cancelled_units;
SELECT total, payment_status FROM oms.sales_order WHERE order_id = :o7;

-- ---------------------------------------------------------------------------
-- direct writes are held to the same rules, even for the superuser
-- ---------------------------------------------------------------------------
SELECT pg_temp.try(format($q$INSERT INTO oms.payment (order_id, kind, amount, currency) VALUES (%s, 'capture', 1, 'USD')$q$, :o1));
SELECT pg_temp.try('UPDATE oms.payment SET amount = amount + 1');
SELECT pg_temp.try('DELETE FROM oms.payment');
SELECT pg_temp.try('TRUNCATE oms.payment');
SELECT pg_temp.try(format($q$UPDATE oms.sales_order SET payment_status = 'paid' WHERE order_id = %s$q$, :o3));
SELECT pg_temp.try($$INSERT INTO oms.sales_order (payment_status) VALUES ('paid')$$);
SELECT pg_temp.try(format($q$UPDATE oms.sales_order SET payment_status = 'wired' WHERE order_id = %s$q$, :o3));
-- an update that leaves payment_status as it was is not a write of it
SELECT pg_temp.try(format($q$UPDATE oms.sales_order SET payment_status = payment_status WHERE order_id = %s$q$, :o3));
SELECT payment_status FROM oms.sales_order WHERE order_id = :o3;
SELECT count(*) = :payments_before + 2 AS nothing_written FROM oms.payment;

-- ---------------------------------------------------------------------------
-- roles: the app records payments, the reader reads the view, neither writes the ledger
-- ---------------------------------------------------------------------------
SET ROLE oms_app;
SELECT oms.record_payment(:o7, 'authorization', 5) > 0 AS app_authorized, oms.record_payment(:o7, 'capture', 5) > 0 AS app_captured;
SELECT pg_temp.try(format($q$INSERT INTO oms.payment (order_id, kind, amount, currency) VALUES (%s, 'capture', 1, 'USD')$q$, :o1));
SELECT pg_temp.try(format($q$UPDATE oms.sales_order SET payment_status = 'paid' WHERE order_id = %s$q$, :o4));
RESET ROLE;
SET ROLE oms_reader;
SELECT payment_status, refundable FROM oms.order_payments WHERE order_id = :o1;
SELECT pg_temp.try($$SELECT count(*) FROM oms.payment$$) AS reads_ledger;   -- views only (issue 14)
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 1)$q$, :o1));
RESET ROLE;
SELECT created_by FROM oms.payment WHERE order_id = :o7 ORDER BY payment_id DESC LIMIT 1;

-- ---------------------------------------------------------------------------
-- the derivation and the shipping gate, as tables
-- ---------------------------------------------------------------------------
SELECT oms.payment_status_of(100, a, c, r, v) AS status, a, c, r, v
FROM (VALUES (0, 0, 0, 0), (100, 0, 0, 0), (100, 0, 0, 40), (100, 0, 0, 100), (100, 40, 0, 0),
             (100, 40, 0, 60), (100, 100, 0, 0), (120, 110, 0, 0), (100, 100, 30, 0),
             (100, 100, 100, 0), (100, 40, 40, 0)) t(a, c, r, v);
SELECT r AS payment_required,
       string_agg(s, ', ' ORDER BY o) FILTER (WHERE oms.payment_satisfied(r, s)) AS may_ship_when
FROM unnest(ARRAY['none', 'authorized', 'captured', 'bogus']) r,
     unnest(ARRAY['unpaid', 'authorized', 'partially_paid', 'paid', 'partially_refunded', 'refunded', 'voided']) WITH ORDINALITY x(s, o)
GROUP BY r ORDER BY min(array_position(ARRAY['none', 'authorized', 'captured', 'bogus'], r));
SELECT oms.payment_satisfied('none', NULL) AS none_null, oms.payment_satisfied('captured', NULL) AS captured_null,
       oms.payment_satisfied(NULL, 'paid') AS null_paid;
SELECT order_number, payment_required, payment_status, payment_satisfied
FROM oms.order_payments WHERE order_id IN (:o1, :o2, :o3) ORDER BY order_id;

-- ---------------------------------------------------------------------------
-- everything agrees
-- ---------------------------------------------------------------------------
SELECT order_number, total, authorized, captured, refunded, voided, open_authorization, refundable, payment_status, payments
FROM oms.order_payments ORDER BY order_id;
SELECT * FROM oms.check_payments();
-- check_payments() finds a status written behind the engine's back (triggers off)
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE oms.sales_order SET payment_status = 'paid' WHERE order_id = :o3;
SELECT * FROM oms.check_payments();
ROLLBACK;
SELECT * FROM oms.check_inventory();
