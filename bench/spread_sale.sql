-- spread_sale.sql: flash_sale.sql's workload (one order of 1 unit) spread
-- over 1000 skus: the baseline of the flash sale.
\set a random(1, 1000)
\set cust random(1, 10000)
SELECT oms.place_order('c' || :cust || '@bench.example', 'WEB',
    jsonb_build_array(jsonb_build_object('sku', 'SKU-' || :a, 'qty', 1, 'unit_price', 9.99)));
