-- analytics: the KPI views on a small data set whose answers are worked out
-- by hand below.  Every view is read twice: before refresh_kpis() (all of
-- it in the delta tables) and after (all of it in the rollups); the answers
-- must not change.
--
-- Dates are relative to "base day" B = today (UTC) - 10 days, so the 30-
-- and 90-day windows hold the data whenever the test runs; views are shown
-- with day - B as day_offset.
CREATE EXTENSION IF NOT EXISTS oms;
SET client_min_messages = warning;
SELECT (now() AT TIME ZONE 'UTC')::date - 10 AS bd \gset
CREATE FUNCTION pg_temp.at(days integer, hhmm text) RETURNS timestamptz
    LANGUAGE sql AS $$ SELECT (((now() AT TIME ZONE 'UTC')::date - 10 + days) + hhmm::time) AT TIME ZONE 'UTC' $$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 1), ('WEST', 'West DC', 2);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TEE', 'Tee', 'allow'), ('MUG', 'Mug', 'deny'), ('CAP', 'Cap', 'deny'), ('OLD', 'Old stock', 'deny');
INSERT INTO oms.channel (code, name, kind) VALUES ('web', 'Web shop', 'web'), ('pos', 'Store', 'pos');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service VALUES ((SELECT carrier_id FROM oms.carrier WHERE code = 'UPS'), 'ground', 2, false);
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 5);
SELECT oms.receive_stock('TEE', 'EAST', 5), oms.receive_stock('MUG', 'EAST', 10),
       oms.receive_stock('CAP', 'WEST', 2), oms.receive_stock('OLD', 'WEST', 4);

-- o1: web, USD, to New York, day 0 10:15 (promised day 1 12:00): TEE 2 x 20
-- and MUG 1 x 8, tax 2, shipping 5: subtotal 48, total 55.  All 3 stock
-- units reserved at placement.
SELECT oms.place_order('a@example.com', 'web',
    '[{"sku": "TEE", "qty": 2, "unit_price": 20}, {"sku": "MUG", "qty": 1, "unit_price": 8}]',
    jsonb_build_object('confirm', true, 'tax', 2, 'shipping', 5, 'promised_at', pg_temp.at(1, '12:00'),
        'ship_to', '{"name": "A", "line1": "1 Main", "city": "New York", "postal_code": "10001", "country": "US", "region": "NY"}'::jsonb)) AS o1 \gset
-- o2: web, USD, to California, day 0 10:45 (promised day 1 12:00): TEE 5 x
-- 20 = 100.  Only 3 TEE are left at EAST: 3 reserved, 2 backordered.
SELECT oms.place_order('b@example.com', 'web', '[{"sku": "TEE", "qty": 5, "unit_price": 20}]',
    jsonb_build_object('confirm', true, 'promised_at', pg_temp.at(1, '12:00'),
        'ship_to', '{"name": "B", "line1": "2 Main", "city": "Fresno", "postal_code": "93650", "country": "US", "region": "CA"}'::jsonb)) AS o2 \gset
-- o3: pos, EUR, no ship-to, day 1 14:00: MUG 4 x 9.50 = 38; cancelled later.
SELECT oms.place_order('c@example.com', 'pos', '[{"sku": "MUG", "qty": 4, "unit_price": "9.50"}]',
    '{"currency": "EUR", "confirm": true}') AS o3 \gset
-- o4: web, EUR, to Bavaria, day 1 15:30 (promised day 3 00:00): CAP 1 x 15.
SELECT oms.place_order('d@example.com', 'web', '[{"sku": "CAP", "qty": 1, "unit_price": 15}]',
    jsonb_build_object('confirm', true, 'currency', 'EUR', 'promised_at', pg_temp.at(3, '00:00'),
        'ship_to', '{"name": "D", "line1": "3 Str", "city": "Munich", "postal_code": "80331", "country": "DE", "region": "BY"}'::jsonb)) AS o4 \gset

-- the orders were placed "now": move them to their hours (a direct write
-- the guards allow; the KPI trigger moves what the orders counted)
UPDATE oms.sales_order SET placed_at = pg_temp.at(0, '10:15') WHERE order_id = :o1;
UPDATE oms.sales_order SET placed_at = pg_temp.at(0, '10:45') WHERE order_id = :o2;
UPDATE oms.sales_order SET placed_at = pg_temp.at(1, '14:00') WHERE order_id = :o3;
UPDATE oms.sales_order SET placed_at = pg_temp.at(1, '15:30') WHERE order_id = :o4;
SELECT oms.cancel_order(:o3);

-- Shipments, moved to their times the same way (shipped_at and
-- estimated_delivery are open to a direct write):
--   o1 from EAST shipped day 1 10:15 (24 h after placing; on time: before
--      day 1 12:00), delivered day 3 10:15 (48 h; estimated day 3: not late)
--   o2 first shipment (3 TEE) shipped day 2 10:45 (48 h; late), estimated
--      day 3, delivered day 4 10:45 (48 h; late: after day 3)
--   o4 from WEST shipped day 2 15:30 (24 h; on time: before day 3 00:00),
--      not delivered
--   o2 second shipment (2 TEE, after the purchase order below fills the
--      backorder) shipped day 4 10:45 (96 h; late; a split shipment)
SELECT oms.create_shipment(:o1, 'EAST') AS s1 \gset
SELECT oms.ship(:s1, 'UPS', '1Z1') IS NOT NULL AS shipped;
UPDATE oms.shipment SET shipped_at = pg_temp.at(1, '10:15'), estimated_delivery = :'bd'::date + 3 WHERE shipment_id = :s1;
SELECT oms.deliver(:s1, pg_temp.at(3, '10:15'));
SELECT oms.create_shipment(:o2, 'EAST') AS s2 \gset
SELECT oms.ship(:s2, 'UPS', '1Z2') IS NOT NULL AS shipped;
UPDATE oms.shipment SET shipped_at = pg_temp.at(2, '10:45'), estimated_delivery = :'bd'::date + 3 WHERE shipment_id = :s2;
SELECT oms.deliver(:s2, pg_temp.at(4, '10:45'));
SELECT oms.create_shipment(:o4, 'WEST') AS s4 \gset
SELECT oms.ship(:s4, 'UPS', '1Z4') IS NOT NULL AS shipped;
UPDATE oms.shipment SET shipped_at = pg_temp.at(2, '15:30') WHERE shipment_id = :s4;

-- Purchase order: 2 TEE at 7.50 from ACME into EAST; submitted and
-- received today (expected today + 5: on time, promised 5 days, took 0).
-- The receipt fills o2's backorder.
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "TEE", "qty": 2, "unit_cost": "7.50"}]') AS po \gset
SELECT oms.submit_purchase_order(:po);
SELECT oms.receive_purchase_order(:po) > 0 AS received;
SELECT oms.create_shipment(:o2, 'EAST') AS s2b \gset
SELECT oms.ship(:s2b, 'UPS', '1Z5') IS NOT NULL AS shipped;
UPDATE oms.shipment SET shipped_at = pg_temp.at(4, '10:45') WHERE shipment_id = :s2b;

-- Returns: o1 sends 1 TEE back (size_fit), o2 1 TEE (damaged) and a
-- request for 1 more TEE that is rejected (not counted).  Paid and
-- refunded: o1 captured 55, refunded 20 on completion of its return.
SELECT oms.record_payment(:o1, 'authorization', 55) > 0 AS paid, oms.record_payment(:o1, 'capture', 55) > 0 AS captured;
SELECT oms.request_return(:o1, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', 'refund', '{"authorize": true}') AS r1 \gset
SELECT oms.receive_return(:r1, 'EAST');
SELECT oms.complete_return(:r1);
SELECT oms.request_return(:o2, '[{"sku": "TEE", "qty": 1, "reason": "damaged"}]', 'refund', '{"authorize": true}') AS r2 \gset
SELECT oms.receive_return(:r2, 'EAST', '[{"sku": "TEE", "qty": 1, "condition": "damaged"}]');
SELECT oms.request_return(:o2, '[{"sku": "TEE", "qty": 1, "reason": "changed_mind"}]') AS r3 \gset
SELECT oms.advance_return(:r3, 'rejected');
SELECT oms.check_inventory();

-- Every view, as a function of the data only (dates as offsets from B)
CREATE FUNCTION pg_temp.show() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    bd date := (now() AT TIME ZONE 'UTC')::date - 10;
BEGIN
    RETURN NEXT '-- kpi_sales_daily';
    FOR r IN SELECT day - bd AS day_offset, channel, currency, orders, orders_cancelled, units_ordered,
                    units_cancelled, revenue, subtotal, tax, shipping, average_order_value
             FROM oms.kpi_sales_daily ORDER BY 1, 2, 3 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_sales_hourly';
    FOR r IN SELECT hour - (bd::timestamp AT TIME ZONE 'UTC') AS since_b, channel, currency, orders, units_ordered,
                    units_shipped, units_returned, revenue, stock_units_ordered, units_filled, units_backordered
             FROM oms.kpi_sales_hourly ORDER BY 1, 2, 3 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_sales_by_channel';
    FOR r IN SELECT channel, currency, first_day - bd AS first_offset, last_day - bd AS last_offset, orders,
                    orders_cancelled, units_ordered, revenue, average_order_value
             FROM oms.kpi_sales_by_channel ORDER BY 1, 2 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_peak_hours';
    FOR r IN SELECT weekday = extract(isodow FROM bd + CASE WHEN hour = 10 THEN 0 ELSE 1 END) AS weekday_ok,
                    hour, orders, units_ordered, share_of_orders
             FROM oms.kpi_peak_hours ORDER BY hour LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_item_sales_daily';
    FOR r IN SELECT day - bd AS day_offset, sku, currency, lines, units_ordered, units_cancelled, revenue
             FROM oms.kpi_item_sales_daily ORDER BY 1, 2, 3 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_top_products';
    FOR r IN SELECT currency, rank, sku, order_lines_30d, units_30d, revenue_30d
             FROM oms.kpi_top_products ORDER BY currency, rank, sku LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_abc_classes';
    FOR r IN SELECT currency, sku, revenue_90d, revenue_share, cumulative_share, abc_class
             FROM oms.kpi_abc_classes ORDER BY currency, cumulative_share LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_sales_by_region';
    FOR r IN SELECT day - bd AS day_offset, country, region, currency, orders, orders_cancelled, revenue
             FROM oms.kpi_sales_by_region ORDER BY 1, 2, 3, 4 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_fulfillment_daily';
    FOR r IN SELECT day - bd AS day_offset, orders, orders_cancelled, cancellation_rate, stock_units_ordered,
                    units_filled, units_backordered, fill_rate, backorder_rate
             FROM oms.kpi_fulfillment_daily ORDER BY 1 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_shipping_daily';
    FOR r IN SELECT day - bd AS day_offset, location, carrier, shipments, shipments_with_promise, shipped_on_time,
                    on_time_rate, split_shipments, split_shipment_rate, delivered, delivered_late, late_delivery_rate
             FROM oms.kpi_shipping_daily ORDER BY 1, 2, 3 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_shipping_times';
    FOR r IN SELECT day - bd AS day_offset, measure, shipments, median_hours, p90_hours, max_hours
             FROM oms.kpi_shipping_times ORDER BY 1, 2 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_returns_by_product';
    FOR r IN SELECT sku, units_shipped, units_returned, return_rate FROM oms.kpi_returns_by_product ORDER BY sku LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_returns_by_reason';
    FOR r IN SELECT * FROM oms.kpi_returns_by_reason ORDER BY reason_code LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_refunds_daily';
    FOR r IN SELECT day = (now() AT TIME ZONE 'UTC')::date AS today, currency, refunds, refund_amount, orders_refunded
             FROM oms.kpi_refunds_daily ORDER BY 1, 2 LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_inventory';
    FOR r IN SELECT sku, location, on_hand, reserved, available, incoming, reorder_point, below_reorder_point,
                    unit_cost, stock_value, units_shipped_30d, units_shipped_90d, turnover, days_of_cover,
                    sell_through_30d, days_since_last_shipment, dead_stock
             FROM oms.kpi_inventory ORDER BY sku, location LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_slow_movers';
    FOR r IN SELECT sku, on_hand, units_shipped_30d, units_shipped_90d, stock_value, dead_stock
             FROM oms.kpi_slow_movers ORDER BY units_shipped_90d, sku LOOP
        RETURN NEXT r::text;
    END LOOP;
    RETURN NEXT '-- kpi_supplier_performance';
    FOR r IN SELECT * FROM oms.kpi_supplier_performance ORDER BY supplier LOOP
        RETURN NEXT r::text;
    END LOOP;
END
$$;

-- Worked answers (B = day 0):
-- kpi_sales_daily
--   day 0 web USD: o1 + o2: 2 orders, 0 cancelled; units 3 + 5 = 8; revenue
--     55 + 100 = 155 (subtotal 148, tax 2, shipping 5); AOV 155 / 2 = 77.50
--   day 1 pos EUR: o3: 1 order, cancelled; 4 units, 4 cancelled; revenue 0;
--     AOV NULL (no order left)
--   day 1 web EUR: o4: 1 order, 1 unit, 15; AOV 15
-- kpi_sales_hourly: hour 10 of day 0 holds o1 and o2: fill 3 + 3 = 6 of 8
--   stock units, 2 backordered; shipped 3 + 5, returned 1 + 1 (units are
--   per line, the returned ones stay ordered)
-- kpi_peak_hours: hour 10 (day 0's weekday): 2 orders, 8 units, 0.5;
--   hours 14 and 15 (day 1's weekday): 1 order each, 0.25 each
-- kpi_top_products (30 days, net of cancelled units): USD TEE 7 units, 140
--   (rank 1), MUG 1 unit, 8 (rank 2); EUR CAP 1 unit, 15; MUG 0 units and
--   revenue 0 (all cancelled) is left out
-- kpi_abc_classes (90 days): USD TEE 140 / 148 = 0.9459: the revenue above
--   it is 0, under 80%: A; MUG: the revenue above it is 140 / 148 = 94.6%,
--   under 95%: B.  EUR CAP: A (the only one)
-- kpi_sales_by_region: day 0 US/CA 100, US/NY 55; day 1 DE/BY 15 EUR;
--   o3 has no ship-to: country and region NULL, revenue 0, 1 cancelled
-- kpi_fulfillment_daily: day 0: 2 orders, fill 6 / 8 = 0.75, backorder
--   2 / 8 = 0.25; day 1: 2 orders, 1 cancelled (0.5), fill 5 / 5 = 1
-- kpi_shipping_daily (as above): day 1 EAST 1 shipped on time; day 2 EAST
--   1 late, day 2 WEST 1 on time; day 3 EAST 1 delivered, not late; day 4
--   EAST 1 shipped late and split (rate 1), 1 delivered late
-- kpi_shipping_times: placed_to_shipped day 1: 24 h; day 2: 24 and 48 h:
--   median 24 (1 of 2 is 50%), p90 48; day 4: 96.  shipped_to_delivered
--   day 3: 48; day 4: 48
-- kpi_returns_by_product: TEE shipped 2 + 5 = 7, returned 1 + 1 = 2:
--   0.2857; MUG shipped 1, returned 0; CAP 1, 0
-- kpi_returns_by_reason: damaged 1 unit (received damaged), size_fit 1;
--   the rejected changed_mind is left out; each 0.5 of returned units and
--   1 / 9 shipped units (TEE 7 + MUG 1 + CAP 1) = 0.1111
-- kpi_refunds_daily: today, USD, 1 refund of o1's TEE: 20 and its share of
--   the tax, 2 x 20 / 48 = 0.83: 20.83
-- kpi_inventory: EAST TEE: 5 + 2 received + 1 restocked - 7 shipped = 1 on
--   hand; unit cost 7.50 (the PO), value 7.50; shipped today 7 (the
--   ledger's day is the real one): turnover 7 x 365/90 / 1 = 28.39; days
--   of cover 1 / (7/30) = 4.3; sell-through 7 / (7 + 1) = 0.875.
--   EAST MUG: 10 - 1 = 9 (o3's 4 were released); WEST CAP 1 left; WEST OLD:
--   4 on hand, never shipped: dead stock
-- kpi_slow_movers: OLD (0 shipped) first, then CAP and MUG (1), TEE (7)
-- kpi_supplier_performance: ACME 1 PO, done, 2 of 2 units: fill 1;
--   promised 5 days, actual 0; on time 1
SELECT * FROM pg_temp.show();
CREATE TEMP TABLE before_refresh AS SELECT row_number() OVER () AS n, s FROM pg_temp.show() s;
SELECT oms.refresh_kpis() > 0 AS folded;
SELECT count(*) AS deltas_left FROM (SELECT 1 FROM oms.kpi_sales_delta UNION ALL SELECT 1 FROM oms.kpi_shipment_delta
                                     UNION ALL SELECT 1 FROM oms.kpi_stock_delta) x;
-- the same answers from the rollups
SELECT count(*) AS lines, count(*) FILTER (WHERE b.s IS DISTINCT FROM a.s) AS differ
FROM before_refresh b FULL JOIN (SELECT row_number() OVER () AS n, s FROM pg_temp.show() s) a ON a.n = b.n;

-- Changes after a rollup are deltas on top of it.  o5 (web, USD, MUG 2 x
-- 8, placed and moved to day 2 10:00) has one unit cancelled: subtotal 8.
-- o1 moves to day 2 09:00: its order and line measures move with it; its
-- fill at placement was rolled up on day 0 and stays there (documented),
-- while o5's, not rolled up yet, moves along.
--   day 0 web USD: o2 alone: 1 order, 5 units, 100
--   day 2 web USD: o1 + o5: 2 orders, 3 + 2 = 5 units, 1 cancelled,
--     55 + 8 = 63, AOV 31.50
--   fill: day 0 keeps 8 stock units, 6 filled; day 2 has o5's 2 of 2
SELECT oms.place_order('e@example.com', 'web', '[{"sku": "MUG", "qty": 2, "unit_price": 8}]') AS o5 \gset
UPDATE oms.sales_order SET placed_at = pg_temp.at(2, '10:00') WHERE order_id = :o5;
SELECT oms.cancel_order(:o5, '[{"sku": "MUG", "qty": 1}]') AS cancelled;
UPDATE oms.sales_order SET placed_at = pg_temp.at(2, '09:00') WHERE order_id = :o1;
SELECT day - :'bd'::date AS day_offset, channel, currency, orders, orders_cancelled, units_ordered, units_cancelled,
       revenue, average_order_value
FROM oms.kpi_sales_daily ORDER BY 1, 2, 3;
SELECT day - :'bd'::date AS day_offset, orders, stock_units_ordered, units_filled, fill_rate FROM oms.kpi_fulfillment_daily ORDER BY 1;
CREATE TEMP TABLE before_second AS SELECT row_number() OVER () AS n, s FROM pg_temp.show() s;
SELECT oms.refresh_kpis() > 0 AS folded;
SELECT count(*) AS lines, count(*) FILTER (WHERE b.s IS DISTINCT FROM a.s) AS differ
FROM before_second b FULL JOIN (SELECT row_number() OVER () AS n, s FROM pg_temp.show() s) a ON a.n = b.n;
-- a second refresh has nothing to do
SELECT oms.refresh_kpis() AS folded;

-- The 30- and 90-day windows are per-item summaries as of the day
-- refresh_kpis() last moved them (kpi_window_state.as_of); the views move
-- them to today from the day rollups.  Rebuild them as they would stand as
-- of today + 25 (a window as of then starts after today - 5, so the 30-day
-- one holds none of the orders above and the views must add every one of
-- them back): the answers must not change.  Then refresh_kpis() moves them
-- back to today: again the same answers.
UPDATE oms.kpi_window_state SET as_of = (now() AT TIME ZONE 'UTC')::date + 25;
DELETE FROM oms.kpi_item_window;
INSERT INTO oms.kpi_item_window (item_id, currency, lines_30d, units_30d, revenue_30d, revenue_90d)
SELECT d.item_id, d.currency,
       COALESCE(sum(d.lines) FILTER (WHERE d.day > k.as_of - 30), 0),
       COALESCE(sum(d.units_ordered - d.units_cancelled) FILTER (WHERE d.day > k.as_of - 30), 0),
       COALESCE(sum(d.revenue) FILTER (WHERE d.day > k.as_of - 30), 0),
       COALESCE(sum(d.revenue) FILTER (WHERE d.day > k.as_of - 90), 0)
FROM oms.kpi_item_day d CROSS JOIN oms.kpi_window_state k GROUP BY d.item_id, d.currency;
UPDATE oms.kpi_stock_last t
   SET shipped_30d = COALESCE((SELECT sum(d.units_shipped) FROM oms.kpi_stock_day d, oms.kpi_window_state k
                               WHERE d.item_id = t.item_id AND d.location_id = t.location_id AND d.day > k.as_of - 30), 0),
       shipped_90d = COALESCE((SELECT sum(d.units_shipped) FROM oms.kpi_stock_day d, oms.kpi_window_state k
                               WHERE d.item_id = t.item_id AND d.location_id = t.location_id AND d.day > k.as_of - 90), 0);
UPDATE oms.kpi_item_stock t
   SET shipped_30d = (SELECT sum(l.shipped_30d) FROM oms.kpi_stock_last l WHERE l.item_id = t.item_id),
       shipped_90d = (SELECT sum(l.shipped_90d) FROM oms.kpi_stock_last l WHERE l.item_id = t.item_id);
SELECT sum(lines_30d) AS lines_30d_as_of_then, sum(revenue_90d) AS revenue_90d_as_of_then FROM oms.kpi_item_window;
SELECT count(*) AS lines, count(*) FILTER (WHERE b.s IS DISTINCT FROM a.s) AS differ
FROM before_second b FULL JOIN (SELECT row_number() OVER () AS n, s FROM pg_temp.show() s) a ON a.n = b.n;
SELECT oms.refresh_kpis() AS folded;
SELECT as_of = (now() AT TIME ZONE 'UTC')::date AS moved_to_today FROM oms.kpi_window_state;
SELECT count(*) AS lines, count(*) FILTER (WHERE b.s IS DISTINCT FROM a.s) AS differ
FROM before_second b FULL JOIN (SELECT row_number() OVER () AS n, s FROM pg_temp.show() s) a ON a.n = b.n;

-- The capture writes its rows straight into kpi_sales_delta while the
-- table is plain; with an index (a DBA's, say) it takes the SQL path: the
-- same rows.  o6: web, USD, CAP 1 x 15 (WEST's last one: 1 filled).
CREATE INDEX kpi_sales_delta_order_idx ON oms.kpi_sales_delta (order_id);
SELECT oms.place_order('f@example.com', 'web', '[{"sku": "CAP", "qty": 1, "unit_price": 15}]') AS o6 \gset
SELECT item_id IS NULL AS order_row, orders, lines, units_ordered, line_revenue, total, stock_units,
       units_filled, units_backordered
FROM oms.kpi_sales_delta WHERE order_id = :o6 ORDER BY 1;
DROP INDEX oms.kpi_sales_delta_order_idx;

-- An order of many lines: one delta row per line and one for the order,
-- whatever the number of lines in the statement (the capture's row buffer
-- once grew only with new orders, so the 9th line of one order wrote past
-- its end).  300 backorderable lines, rolled back.
BEGIN;
INSERT INTO oms.item (sku, name, backorder_policy)
SELECT 'MANY-' || g, 'Many ' || g, 'allow' FROM generate_series(1, 300) g;
SELECT oms.place_order('many@example.com', 'web',
    (SELECT jsonb_agg(jsonb_build_object('sku', 'MANY-' || g, 'qty', 1, 'unit_price', 1)) FROM generate_series(1, 300) g)) AS o7 \gset
SELECT count(*) FILTER (WHERE item_id IS NOT NULL) AS line_rows, count(*) FILTER (WHERE item_id IS NULL) AS order_rows,
       sum(units_ordered) AS units, sum(line_revenue) AS revenue, sum(units_backordered) AS backordered
FROM oms.kpi_sales_delta WHERE order_id = :o7;
ROLLBACK;

-- every column of every KPI view has a comment, and so has every view
SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relnamespace = 'oms'::regnamespace AND c.relname LIKE 'kpi\_%' AND c.relkind = 'v'
  AND col_description(c.oid, a.attnum) IS NULL;
SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'oms'::regnamespace AND c.relname LIKE 'kpi\_%' AND c.relkind IN ('r', 'v')
  AND obj_description(c.oid, 'pg_class') IS NULL;
-- oms_reader reads every KPI view, and none of the tables behind them
SET ROLE oms_reader;
SELECT c.relname, has_table_privilege(c.oid, 'SELECT') AS can_read FROM pg_class c
WHERE c.relnamespace = 'oms'::regnamespace AND c.relname LIKE 'kpi\_%' AND c.relkind IN ('r', 'v') ORDER BY c.relkind, c.relname;
SELECT count(*) > 0 AS reads FROM oms.kpi_sales_daily;
RESET ROLE;
