-- place_order_client.sql: place_order.sql's order (3 lines over random
-- skus, 1..3 units each) placed the way an application would without the
-- extension's function: the same steps as separate SQL statements, 14 round
-- trips per order.  Run with -M prepared.
--
-- It takes what place_order takes: the channel and customer are looked up,
-- the customer upserted, the skus resolved; every level of the three items
-- is locked in the global order (item, location) and each line goes to the
-- preferred location that can fill it; then the order, its lines, their
-- reservations, the reserved buckets and the order.placed event are
-- written.  The status guard still records the order's history and event.
-- The level guard trigger, which refuses bucket writes from outside the
-- engine, and the guards of order_line and reservation, which refuse their
-- writes outside the engine, are disabled by run.sh for this workload only:
-- that is one trigger call fewer per row than the function pays.  The one thing the client
-- does not do is check results between statements (a real client would).
\set a random(1, 1000)
\set b random(1, 1000)
\set c random(1, 1000)
\set qa random(1, 3)
\set qb random(1, 3)
\set qc random(1, 3)
\set cust random(1, 10000)
BEGIN;
SELECT channel_id, active, set_config('oms.reason', 'placed', true) AS reason
FROM oms.channel WHERE code = 'WEB' \gset
INSERT INTO oms.customer (email) VALUES ('c' || :cust || '@bench.example')
ON CONFLICT (email) DO NOTHING;
SELECT customer_id FROM oms.customer WHERE email = 'c' || :cust || '@bench.example' \gset
SELECT (SELECT item_id FROM oms.item WHERE sku = 'SKU-' || :a) AS i1,
       (SELECT item_id FROM oms.item WHERE sku = 'SKU-' || :b) AS i2,
       (SELECT item_id FROM oms.item WHERE sku = 'SKU-' || :c) AS i3 \gset
WITH lk AS MATERIALIZED (
    SELECT v.item_id, v.location_id, v.available, l.priority
    FROM oms.inventory_level v JOIN oms.location l ON l.location_id = v.location_id
    WHERE v.item_id IN (:i1::bigint, :i2::bigint, :i3::bigint)
    ORDER BY v.item_id, v.location_id
    FOR UPDATE OF v)
SELECT (SELECT location_id FROM lk WHERE item_id = :i1::bigint AND available >= :qa::bigint
        ORDER BY priority, location_id LIMIT 1) AS l1,
       (SELECT location_id FROM lk WHERE item_id = :i2::bigint AND available >= :qb::bigint
        ORDER BY priority, location_id LIMIT 1) AS l2,
       (SELECT location_id FROM lk WHERE item_id = :i3::bigint AND available >= :qc::bigint
        ORDER BY priority, location_id LIMIT 1) AS l3 \gset
INSERT INTO oms.sales_order (channel_id, customer_id, subtotal, allocation_strategy)
VALUES (:channel_id::bigint, :customer_id::bigint, 9.99 * (:qa::int + :qb::int + :qc::int), 'priority')
RETURNING order_id, order_number \gset
INSERT INTO oms.order_line (order_id, line_no, item_id, qty_ordered, qty_reserved, unit_price)
VALUES (:order_id::bigint, 1, :i1::bigint, :qa::bigint, :qa::bigint, 9.99) RETURNING line_id AS ln1 \gset
INSERT INTO oms.order_line (order_id, line_no, item_id, qty_ordered, qty_reserved, unit_price)
VALUES (:order_id::bigint, 2, :i2::bigint, :qb::bigint, :qb::bigint, 9.99) RETURNING line_id AS ln2 \gset
INSERT INTO oms.order_line (order_id, line_no, item_id, qty_ordered, qty_reserved, unit_price)
VALUES (:order_id::bigint, 3, :i3::bigint, :qc::bigint, :qc::bigint, 9.99) RETURNING line_id AS ln3 \gset
INSERT INTO oms.reservation (line_id, item_id, location_id, qty)
VALUES (:ln1::bigint, :i1::bigint, :l1::bigint, :qa::bigint),
       (:ln2::bigint, :i2::bigint, :l2::bigint, :qb::bigint),
       (:ln3::bigint, :i3::bigint, :l3::bigint, :qc::bigint);
UPDATE oms.inventory_level v SET reserved = v.reserved + d.q, updated_at = now()
FROM (SELECT i, l, sum(q) AS q
      FROM (VALUES (:i1::bigint, :l1::bigint, :qa::bigint),
                   (:i2::bigint, :l2::bigint, :qb::bigint),
                   (:i3::bigint, :l3::bigint, :qc::bigint)) AS x(i, l, q)
      GROUP BY i, l) AS d
WHERE v.item_id = d.i AND v.location_id = d.l;
SELECT oms.emit_event('order.placed', 'order', :order_id::bigint,
    jsonb_build_object('order_number', :order_number::text, 'channel', 'WEB',
                       'customer', 'c' || :cust || '@bench.example', 'lines', 3,
                       'currency', 'USD', 'backordered_units', 0));
COMMIT;
