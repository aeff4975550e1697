-- inputs: bad values at every door of the API (issue 11, items 6, 7, 8 and 10):
-- unbounded numbers, money sums, silent changes to what the caller sent,
-- errors that leak internals.  Each case shows its SQLSTATE and message.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.try(cmd text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE cmd;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    IF SQLSTATE = '23514' THEN
        detail := NULL;  -- the failing row holds a timestamp
    END IF;
    RETURN SQLSTATE || ': ' || SQLERRM || COALESCE(' | ' || NULLIF(detail, ''), '');
END
$$;

INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
SELECT oms.receive_stock('TEE', 'EAST', 100) > 0 AS received, oms.receive_stock('MUG', 'EAST', 100) > 0 AS received;
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SELECT oms.place_order('base@example.com', 'web', '[{"sku": "TEE", "qty": 5, "unit_price": "10"}]',
    '{"confirm": true}') AS o \gset

-- ===========================================================================
-- Item 8: unknown keys are refused in every jsonb argument (22023 naming it)
-- ===========================================================================
-- a typo in an option: before, the key was dropped and a retry duplicated the order
SELECT pg_temp.try($q$SELECT oms.place_order('k@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"idempotency-key": "k1"}')$q$) AS place_order_options;
SELECT count(*) AS orders_of_k FROM oms.sales_order o JOIN oms.customer c USING (customer_id) WHERE c.email = 'k@example.com';
SELECT pg_temp.try($q$SELECT oms.place_order('k@example.com', 'web', '[{"sku": "TEE", "qty": 1, "price": "9.99"}]')$q$) AS place_order_lines;
SELECT pg_temp.try($q$SELECT oms.place_order('k@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"ship_to": {"name": "K", "line1": "1 Main", "city": "X", "postal_code": "1", "country": "US", "zip": "1"}}')$q$) AS place_order_ship_to;
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 4, "unitprice": "1"}]')$q$, :o)) AS edit_order;
SELECT pg_temp.try(format($q$SELECT oms.cancel_order(%s, '[{"sku": "TEE", "qty": 1, "reason": "x"}]')$q$, :o)) AS cancel_order;
SELECT pg_temp.try($q$SELECT oms.hold_stock('cart-k', '[{"sku": "TEE", "qty": 1, "unit_price": "1"}]')$q$) AS hold_stock;
SELECT pg_temp.try(format($q$SELECT oms.create_shipment(%s, 'EAST', NULL, '{"carrier": "UPS", "service": "air"}')$q$, :o)) AS create_shipment_options;
SELECT pg_temp.try(format($q$SELECT oms.create_shipment(%s, 'EAST', '[1]')$q$, :o)) AS create_shipment_lines;
SELECT pg_temp.try(format($q$SELECT oms.create_shipment(%s, 'EAST', '[{"sku": "TEE", "qty": 1, "lot": "A"}]')$q$, :o)) AS create_shipment_lines_key;
SELECT pg_temp.try(format($q$SELECT oms.create_shipment(%s, 'EAST', NULL, '[]')$q$, :o)) AS create_shipment_options_array;
SELECT pg_temp.try(format($q$SELECT * FROM oms.create_shipments(%s, '{"carier": "UPS"}')$q$, :o)) AS create_shipments;
SELECT pg_temp.try(format($q$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1, "reson": "size_fit"}]')$q$, :o)) AS request_return_lines;
SELECT pg_temp.try(format($q$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1}]', 'refund', '{"authorise": true}')$q$, :o)) AS request_return_options;
SELECT pg_temp.try(format($q$SELECT oms.request_return(%s, '[{"sku": "TEE", "qty": 1}]', 'refund', '"x"')$q$, :o)) AS request_return_options_scalar;
-- the return doors: an order shipped and delivered, an RMA authorized at once
SELECT oms.place_order('ret@example.com', 'web', '[{"sku": "MUG", "qty": 3, "unit_price": "8"}]',
    '{"confirm": true}') AS ro \gset
SELECT oms.create_shipment(:ro, 'EAST') AS rs \gset
SELECT oms.ship(:rs, 'UPS', '1Z0001') IS NOT NULL AS shipped, oms.deliver(:rs) AS delivered;
SELECT oms.request_return(:ro, '[{"sku": "MUG", "qty": 2, "reason": "size_fit"}]', 'refund', '{"authorize": true}') AS rma \gset
SELECT pg_temp.try(format($q$SELECT oms.receive_return(%s, 'EAST', '[{"sku": "MUG", "qty": 1, "state": "damaged"}]')$q$, :rma)) AS receive_return;
SELECT oms.receive_return(:rma, 'EAST', '[{"sku": "MUG", "qty": 2, "condition": "resellable"}]');
SELECT pg_temp.try(format($q$SELECT oms.inspect_return(%s, '[{"sku": "MUG", "resellable": 1, "broken": 1}]')$q$, :rma)) AS inspect_return;
SELECT pg_temp.try(format($q$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]', 'exchange', '{"exchange": [{"sku": "TEE", "qty": 1, "colour": "red"}]}')$q$, :ro)) AS request_return_exchange;
SELECT pg_temp.try(format($q$SELECT oms.request_return(%s, '[{"sku": "MUG", "qty": 1}]', 'exchange', '{"exchange": [{"sku": "TEE", "qty": 1, "unit_price": "8.001"}]}')$q$, :ro)) AS exchange_price_3_decimals;
INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');
SELECT pg_temp.try($q$SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5, "cost": "1.00"}]')$q$) AS create_purchase_order;
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5, "unit_cost": "1.25"}]') AS po \gset
SELECT oms.submit_purchase_order(:po);
SELECT pg_temp.try(format($q$SELECT oms.receive_purchase_order(%s, '[{"sku": "MUG", "qty": 1, "lot": "A"}]')$q$, :po)) AS receive_purchase_order;

-- ===========================================================================
-- Item 8: money with more than two decimals is refused like payments refuse it
-- ===========================================================================
SELECT pg_temp.try($q$SELECT oms.place_order('m@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "9.999"}]')$q$) AS price_3_decimals;
SELECT pg_temp.try($q$SELECT oms.place_order('m@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": 9.999}]')$q$) AS price_number_3_decimals;
SELECT pg_temp.try($q$SELECT oms.place_order('m@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"tax": "0.005"}')$q$) AS tax_3_decimals;
SELECT pg_temp.try($q$SELECT oms.place_order('m@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"shipping": 4.001}')$q$) AS shipping_3_decimals;
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 5, "unit_price": "10.005"}]')$q$, :o)) AS edit_price_3_decimals;
SELECT pg_temp.try($q$SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5, "unit_cost": "1.00001"}]')$q$) AS unit_cost_5_decimals;
-- trailing zeros are not extra precision
SELECT oms.place_order('m@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "9.9900"}]') AS om \gset
SELECT subtotal FROM oms.sales_order WHERE order_id = :om;

-- ===========================================================================
-- Item 8: ship-to coordinates must be numbers in range, given both or neither
-- ===========================================================================
SELECT pg_temp.try(format($q$SELECT oms.place_order('g@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"ship_to": {"name": "G", "line1": "1 Main", "city": "X", "postal_code": "1", "country": "US", "latitude": %s, "longitude": 2}}')$q$, v)) AS latitude, v
FROM (VALUES ('"north"'), ('91'), ('-90.5'), ('true'), ('{}'), ('1e400')) AS t(v);
SELECT pg_temp.try($q$SELECT oms.place_order('g@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"ship_to": {"name": "G", "line1": "1 Main", "city": "X", "postal_code": "1", "country": "US", "latitude": 40, "longitude": 181}}')$q$) AS longitude;
SELECT pg_temp.try($q$SELECT oms.place_order('g@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"ship_to": {"name": "G", "line1": "1 Main", "city": "X", "postal_code": "1", "country": "US", "latitude": 40}}')$q$) AS latitude_alone;
SELECT pg_temp.try($q$SELECT oms.place_order('g@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"ship_to": {"name": ["G"], "line1": "1 Main", "city": "X", "postal_code": "1", "country": "US"}}')$q$) AS name_array;
SELECT pg_temp.try($q$SELECT oms.place_order('g@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"ship_to": {"name": "G", "line1": "1 Main", "city": "X", "postal_code": 10115, "country": "DE", "latitude": 52.5, "longitude": 13.4}}')$q$) AS good_ship_to;

-- ===========================================================================
-- Item 8: an email is one customer whatever its case
-- ===========================================================================
SELECT oms.place_order('Ann@Example.COM', 'web', '[{"sku": "MUG", "qty": 1}]') AS a1 \gset
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "MUG", "qty": 1}]') AS a2 \gset
SELECT count(DISTINCT customer_id) AS customers, min(c.email) AS email
FROM oms.sales_order o JOIN oms.customer c USING (customer_id) WHERE o.order_id IN (:a1, :a2);
-- a retry in another case is the same call
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "MUG", "qty": 1}]', '{"idempotency_key": "ann-1"}') AS a3 \gset
SELECT oms.place_order('ANN@example.com', 'web', '[{"sku": "MUG", "qty": 1}]', '{"idempotency_key": "ann-1"}') = :a3 AS same_order;
-- the table keeps it too, for writes outside place_order
SELECT pg_temp.try($q$INSERT INTO oms.customer (email) VALUES ('ANN@EXAMPLE.COM')$q$) AS direct_insert;
SELECT pg_temp.try($q$SELECT oms.place_order('a@b@c', 'web', '[{"sku": "MUG", "qty": 1}]')$q$) AS two_ats;

-- ===========================================================================
-- Item 10: errors name the value instead of a constraint or an internal INSERT
-- ===========================================================================
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"idempotency_key": ""}')$q$) AS empty_idempotency_key;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"channel_order_ref": ""}')$q$) AS empty_channel_ref;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": 1e300}]')$q$) AS price_1e300;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"tax": 1e12}')$q$) AS tax_1e12;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1e30}]')$q$) AS qty_1e30;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": "NaN"}]')$q$) AS qty_nan_string;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": -1}]')$q$) AS qty_negative;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "Infinity"}]')$q$) AS price_infinity;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "-1"}]')$q$) AS price_negative;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}, null]')$q$) AS null_line;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "", "qty": 1}]')$q$) AS empty_sku;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"confirm": "yes"}')$q$) AS confirm_string;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"promised_at": "infinity"}')$q$) AS promised_infinity;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"promised_at": "soon"}')$q$) AS promised_soon;
-- qty x price past the money columns: refused before any row is written
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1000, "unit_price": "999999999999.99"}]')$q$) AS subtotal_overflow;
SELECT pg_temp.try($q$SELECT oms.place_order('e@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "999999999999.99"}]', '{"shipping": "0.01"}')$q$) AS total_overflow;
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 5, "unit_price": "999999999999.99"}]')$q$, :o)) AS edit_total_overflow;
SELECT count(*) AS orders_of_e FROM oms.sales_order o JOIN oms.customer c USING (customer_id) WHERE c.email = 'e@example.com';
-- cart holds: an empty reference, a converted hold released, absurd TTLs
SELECT pg_temp.try($q$SELECT oms.hold_stock('', '[{"sku": "TEE", "qty": 1}]')$q$) AS empty_hold_ref;
SELECT oms.hold_stock('cart-1', '[{"sku": "TEE", "qty": 1}]') > 0 AS held;
SELECT oms.place_order('h@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"hold": "cart-1"}') > 0 AS converted;
SELECT pg_temp.try($q$SELECT oms.release_hold('cart-1')$q$) AS release_converted;
SELECT state FROM oms.cart_hold WHERE hold_ref = 'cart-1';

-- ===========================================================================
-- Item 6: every day count, horizon, TTL, window, timeout and batch is bounded
-- ===========================================================================
SELECT pg_temp.try($q$SELECT oms.hold_stock('cart-2', '[{"sku": "TEE", "qty": 1}]', '100 years')$q$) AS ttl_100_years;
SELECT pg_temp.try($q$SELECT oms.hold_stock('cart-2', '[{"sku": "TEE", "qty": 1}]', '7 days 1 second')$q$) AS ttl_past_7_days;
SELECT pg_temp.try($q$SELECT oms.hold_stock('cart-2', '[{"sku": "TEE", "qty": 1}]', '1 day -36 hours')$q$) AS ttl_negative;
SELECT pg_temp.try($q$SELECT oms.hold_stock('cart-2', '[{"sku": "TEE", "qty": 1}]', '7 days')$q$) AS ttl_7_days;
SELECT pg_temp.try($q$SELECT oms.add_transit_days(date '2024-03-01', 50000000, true)$q$) AS transit_50m_days;
SELECT pg_temp.try($q$SELECT oms.add_transit_days(date '2024-03-01', -1, false)$q$) AS transit_negative;
SELECT pg_temp.try($q$SELECT oms.add_transit_days(date 'infinity', 3, true)$q$) AS transit_infinity;
SELECT oms.add_transit_days(date '2024-03-01', 365, true) AS transit_365_business, oms.add_transit_days(date '2024-03-01', 3, true) AS transit_3_business;
SELECT pg_temp.try($q$SELECT oms.lead_time_demand(1.0, NULL, date '2024-03-01', 2000000000)$q$) AS lead_time_demand_days;
SELECT pg_temp.try($q$SELECT * FROM oms.forecast_demand('shipped', 2000000000)$q$) AS forecast_history_days;
SELECT pg_temp.try($q$SELECT * FROM oms.forecast_demand('shipped', 56, 0.3, 'infinity')$q$) AS forecast_as_of_infinity;
SELECT pg_temp.try($q$SELECT * FROM oms.refresh_forecast('shipped', 100000)$q$) AS refresh_history_days;
SELECT pg_temp.try($q$SELECT * FROM oms.claim_events('c', 2000000000)$q$) AS claim_batch;
SELECT pg_temp.try($q$SELECT * FROM oms.claim_events('c', 10, '100000 years')$q$) AS claim_visibility_timeout;
SELECT pg_temp.try($q$SELECT oms.purge_events('100000 years')$q$) AS purge_events_older_than;
SELECT pg_temp.try($q$SELECT oms.purge_idempotency_keys('100000 years')$q$) AS purge_keys_older_than;
SELECT pg_temp.try($q$SELECT oms.purge_idempotency_keys('-1 day')$q$) AS purge_keys_negative;
-- lead times and reorder quantities, at the argument and at the table
SELECT pg_temp.try($q$SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', 10, 20, lead_time_days => 2147483647)$q$) AS rule_lead_time;
SELECT pg_temp.try($q$SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', 9223372036854775807, 20)$q$) AS rule_point;
SELECT pg_temp.try($q$SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', 10, 20, order_multiple => 9223372036854775807)$q$) AS rule_multiple;
SELECT pg_temp.try($q$UPDATE oms.supplier SET lead_time_days = 2147483647 WHERE code = 'ACME'$q$) AS supplier_lead_time;
SELECT pg_temp.try($q$INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('SLOW', 'Slow', 366)$q$) AS supplier_insert_lead_time;
-- one rule cannot stop run_reorder for the others.  Before, a lead time of
-- 2147483647 days failed the run with 22008 and on_hand + incoming near the
-- top of bigint with 22003, for every rule.  Now the worst the tables accept
-- (the longest lead time, the largest quantities, a position near the top of
-- bigint) leaves every other rule ordered.
INSERT INTO oms.item (sku, name) VALUES ('BIG', 'Big'), ('SMALL', 'Small');
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('FAR', 'Far', 365);
SELECT oms.receive_stock('BIG', 'EAST', 9223372036854775000) > 0 AS received_almost_bigint;
SELECT oms.submit_purchase_order(oms.create_purchase_order('ACME', 'EAST', '[{"sku": "BIG", "qty": 9223372036854775000}]'));
SELECT available, incoming, below_reorder_point FROM oms.inventory_position WHERE sku = 'BIG';
-- the read model sums in numeric too: before, available + incoming and the
-- sums over locations failed with 22003 for every row of the view
INSERT INTO oms.location (code, name) VALUES ('WEST', 'West DC');
SELECT oms.receive_stock('BIG', 'WEST', 9223372036854775000) > 0 AS received_west;
SELECT count(*) AS positions FROM (SELECT * FROM oms.inventory_position) p;
SELECT sku, on_hand, available, incoming FROM oms.inventory_summary WHERE sku = 'BIG';
SELECT count(*) AS summaries FROM (SELECT * FROM oms.inventory_summary) s;
SELECT (oms.set_reorder_rule('BIG', 'EAST', 'FAR', 1000000000000, 1000000000000, order_multiple => 1000000000000, min_order_qty => 1000000000000)).reorder_point;
SELECT (oms.set_reorder_rule('SMALL', 'EAST', 'ACME', 5, 10)).reorder_point;
SELECT (oms.set_reorder_rule('TEE', 'EAST', 'FAR', 1000000000000, 1000000000000, order_multiple => 999999999999)).reorder_point;
SELECT supplier, location, sku, action, qty, reorder_point FROM oms.run_reorder() ORDER BY sku;
SELECT s.code, p.expected_on - current_date AS days_out FROM oms.purchase_order p JOIN oms.supplier s USING (supplier_id)
WHERE p.origin = 'reorder' ORDER BY 1;

-- an order's units sum in numeric in order_tracking and fulfillment_queue
INSERT INTO oms.item (sku, name) VALUES ('LOTS', 'Lots'), ('MORE', 'More');
SELECT oms.receive_stock('LOTS', 'EAST', 5000000000000000000) > 0 AS received, oms.receive_stock('MORE', 'EAST', 5000000000000000000) > 0 AS received;
SELECT oms.place_order('lots@example.com', 'web',
    '[{"sku": "LOTS", "qty": 5000000000000000000}, {"sku": "MORE", "qty": 5000000000000000000}]', '{"confirm": true}') AS lots \gset
SELECT units_ordered, units_outstanding FROM oms.order_tracking WHERE order_id = :lots;
SELECT count(*) AS tracked FROM (SELECT * FROM oms.order_tracking) t;
SELECT count(*) AS queued FROM (SELECT * FROM oms.fulfillment_queue) q;
SELECT units_reserved, units_to_ship FROM oms.fulfillment_queue WHERE order_number = (SELECT order_number FROM oms.sales_order WHERE order_id = :lots);

-- ===========================================================================
-- Item 7: money sums cannot overflow a view or a function
-- ===========================================================================
SELECT oms.place_order('rich@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "999999999999.99"}]') AS r \gset
SELECT oms.record_payment(:r, 'authorization', 999999999999.99) > 0 AS authorized;
SELECT oms.record_payment(:r, 'void', 999999999999.99) > 0 AS voided;
-- a second authorization would take the sum to 2e12: refused with a clear error
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 999999999999.99)$q$, :r)) AS second_authorization;
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'capture', 0.01)$q$, :r)) AS capture_after_void;
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 1e300)$q$, :r)) AS amount_1e300;
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 'NaN')$q$, :r)) AS amount_nan;
SELECT pg_temp.try(format($q$SELECT oms.record_payment(%s, 'authorization', 1, idempotency_key => '')$q$, :r)) AS payment_empty_key;
SELECT total, authorized, voided, open_authorization, refundable, payment_status FROM oms.order_payments WHERE order_id = :r;
SELECT oms.refundable_balance(:r);
-- the views read sums in numeric, not numeric(14,2): even a ledger written
-- around the API (as a restore might) cannot make them fail for every row
SELECT pg_typeof(authorized) AS authorized_type, pg_typeof(refundable) AS refundable_type FROM oms.order_payments LIMIT 1;
-- a ledger restored as it was (session_replication_role = replica skips the
-- guards, as a restore does) whose sums pass numeric(14,2): before, every
-- row of order_payments and refundable_balance failed with 22003
SELECT oms.place_order('restored@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "999999999999.99"}]') AS rr \gset
SET session_replication_role = replica;
INSERT INTO oms.payment (order_id, kind, amount, currency)
VALUES (:rr, 'authorization', 999999999999.99, 'USD'), (:rr, 'authorization', 999999999999.99, 'USD'),
       (:rr, 'capture', 999999999999.99, 'USD'), (:rr, 'capture', 999999999999.99, 'USD');
RESET session_replication_role;
SELECT authorized, captured, open_authorization, refundable FROM oms.order_payments WHERE order_id = :rr;
SELECT oms.refundable_balance(:rr);
SELECT count(*) AS order_payments_rows FROM oms.order_payments;
SELECT order_number, problem FROM oms.check_payments() ORDER BY 1, 2;
-- and the API still works on that order
SELECT pg_temp.try(format($q$SELECT oms.refund(%s, 1)$q$, :rr)) AS refund_on_restored;
