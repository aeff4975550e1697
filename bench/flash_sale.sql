-- flash_sale.sql: one order of 1 unit of the one hot sku FLASH.
\set cust random(1, 10000)
SELECT oms.place_order('c' || :cust || '@bench.example', 'WEB',
    jsonb_build_array(jsonb_build_object('sku', 'FLASH', 'qty', 1, 'unit_price', 9.99)));
