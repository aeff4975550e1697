-- place_order.sql: one order of 3 lines over random skus (1..3 units each),
-- one call, one round trip.  Run with -M prepared.
\set a random(1, 1000)
\set b random(1, 1000)
\set c random(1, 1000)
\set qa random(1, 3)
\set qb random(1, 3)
\set qc random(1, 3)
\set cust random(1, 10000)
SELECT oms.place_order('c' || :cust || '@bench.example', 'WEB',
    jsonb_build_array(
        jsonb_build_object('sku', 'SKU-' || :a, 'qty', :qa::int, 'unit_price', 9.99),
        jsonb_build_object('sku', 'SKU-' || :b, 'qty', :qb::int, 'unit_price', 9.99),
        jsonb_build_object('sku', 'SKU-' || :c, 'qty', :qc::int, 'unit_price', 9.99)));
