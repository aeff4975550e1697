-- mix_place.sql (order mix, 45%): place_order_15.sql's order, confirmed at
-- once so that it can ship.
\set n random(5, 15)
\set cust random(1, 10000)
SELECT oms.place_order('c' || :cust || '@bench.example', 'WEB',
    (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || i, 'qty', q, 'unit_price', 9.99))
     FROM (SELECT DISTINCT ON (i) i, 1 + floor(random() * 10)::int AS q
           FROM (SELECT 1 + floor(random() * 1000)::int AS i FROM generate_series(1, :n)) x) y),
    '{"confirm": true}');
