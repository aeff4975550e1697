-- place_order_15.sql: one order of 5..15 lines over distinct random skus
-- (1000 skus, 3 locations each), quantity 1..10 per line: the shape of a
-- TPC-C New-Order (tpcc_new_order.sql), one call.  The lines are drawn in
-- the statement (pgbench has no loops).  Run with -M prepared.
\set n random(5, 15)
\set cust random(1, 10000)
SELECT oms.place_order('c' || :cust || '@bench.example', 'WEB',
    (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || i, 'qty', q, 'unit_price', 9.99))
     FROM (SELECT DISTINCT ON (i) i, 1 + floor(random() * 10)::int AS q
           FROM (SELECT 1 + floor(random() * 1000)::int AS i FROM generate_series(1, :n)) x) y));
