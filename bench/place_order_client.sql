-- place_order_client.sql: place_order.sql's order (3 lines over random
-- skus, 1..3 units each) placed the way a competent application would
-- without the extension's function: 3 statements in one transaction, 5
-- round trips with BEGIN and COMMIT.  Run with -M prepared.
--
--   1. the customer, upserted and its id returned in one statement;
--   2. every level of the three skus locked in the global order
--      (item, location) and each line's location chosen (the preferred one
--      that can fill it) in the same statement, which also resolves the
--      skus and the channel;
--   3. one statement with data-modifying CTEs writes the order, its lines,
--      their reservations, the reserved buckets and the order.placed event.
--
-- It keeps what place_order guarantees: nothing oversold (the levels are
-- locked before the location is chosen), no deadlock (lock order), the
-- status guard still records the order's history and its event, the
-- foreign keys still check every reference.  The level guard trigger, which
-- refuses bucket writes from outside the engine, is disabled by run.sh for
-- this workload only (one trigger call fewer per level than the function
-- pays), and so are the engine guards of sales_order, order_line and
-- reservation, which refuse their writes outside the engine.  What it leaves out: checking between statements that each line
-- found a location (stock is ample here: a NULL location would fail the
-- reservation insert and roll the order back), idempotency keys, holds.
\set a random(1, 1000)
\set b random(1, 1000)
\set c random(1, 1000)
\set qa random(1, 3)
\set qb random(1, 3)
\set qc random(1, 3)
\set cust random(1, 10000)
BEGIN;
WITH new AS (
    INSERT INTO oms.customer (email) VALUES ('c' || :cust || '@bench.example')
    ON CONFLICT ((lower(email))) DO NOTHING RETURNING customer_id)
SELECT customer_id FROM new
UNION ALL
SELECT customer_id FROM oms.customer WHERE lower(email) = 'c' || :cust || '@bench.example'
LIMIT 1 \gset
WITH want AS (
    SELECT i.item_id, w.n, w.q
    FROM (VALUES (1, 'SKU-' || :a, :qa::bigint), (2, 'SKU-' || :b, :qb::bigint),
                 (3, 'SKU-' || :c, :qc::bigint)) AS w(n, sku, q)
    JOIN oms.item i ON i.sku = w.sku
), lk AS MATERIALIZED (
    SELECT v.item_id, v.location_id, v.available, l.priority
    FROM oms.inventory_level v JOIN oms.location l ON l.location_id = v.location_id
    WHERE v.item_id IN (SELECT item_id FROM want)
    ORDER BY v.item_id, v.location_id
    FOR UPDATE OF v
), pick AS (
    SELECT w.n, w.item_id,
           (SELECT lk.location_id FROM lk
            WHERE lk.item_id = w.item_id AND lk.available >= w.q
            ORDER BY lk.priority, lk.location_id LIMIT 1) AS location_id
    FROM want w
)
SELECT (SELECT channel_id FROM oms.channel WHERE code = 'WEB') AS channel_id,
       set_config('oms.reason', 'placed', true) AS reason,
       max(item_id) FILTER (WHERE n = 1) AS i1, max(location_id) FILTER (WHERE n = 1) AS l1,
       max(item_id) FILTER (WHERE n = 2) AS i2, max(location_id) FILTER (WHERE n = 2) AS l2,
       max(item_id) FILTER (WHERE n = 3) AS i3, max(location_id) FILTER (WHERE n = 3) AS l3
FROM pick \gset
WITH x(n, i, l, q) AS (
    VALUES (1, :i1::bigint, :l1::bigint, :qa::bigint), (2, :i2::bigint, :l2::bigint, :qb::bigint),
           (3, :i3::bigint, :l3::bigint, :qc::bigint)
), o AS (
    INSERT INTO oms.sales_order (channel_id, customer_id, subtotal, allocation_strategy)
    VALUES (:channel_id::bigint, :customer_id::bigint, 9.99 * (:qa::int + :qb::int + :qc::int), 'priority')
    RETURNING order_id, order_number
), ln AS (
    INSERT INTO oms.order_line (order_id, line_no, item_id, qty_ordered, qty_reserved, unit_price)
    SELECT o.order_id, x.n, x.i, x.q, x.q, 9.99 FROM o, x
    RETURNING line_id, line_no
), r AS (
    INSERT INTO oms.reservation (line_id, item_id, location_id, qty)
    SELECT ln.line_id, x.i, x.l, x.q FROM ln JOIN x ON x.n = ln.line_no
), lv AS (
    UPDATE oms.inventory_level v SET reserved = v.reserved + d.q, updated_at = now()
    FROM (SELECT i, l, sum(q) AS q FROM x GROUP BY i, l) AS d
    WHERE v.item_id = d.i AND v.location_id = d.l
)
SELECT oms.emit_event('order.placed', 'order', o.order_id,
           jsonb_build_object('order_number', o.order_number, 'channel', 'WEB',
                              'customer', 'c' || :cust || '@bench.example', 'lines', 3,
                              'currency', 'USD', 'backordered_units', 0))
FROM o;
COMMIT;
