-- setup.sql: the data set of bench/run.sh, in a fresh database with oms.
--
--   3 locations (priorities 10, 20, 30)
--   1000 skus SKU-1 .. SKU-1000, 100,000 units at every location each
--   1 flash-sale sku FLASH, 10,000,000 units at every location
--   10,000 customers c1@bench.example .. c10000@bench.example
--   channel WEB
--   carrier BENCH with a ground service (the order mix ships)
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name, priority)
VALUES ('WH-1', 'Warehouse 1', 10), ('WH-2', 'Warehouse 2', 20), ('WH-3', 'Warehouse 3', 30);
INSERT INTO oms.channel (code, name) VALUES ('WEB', 'Web shop');
INSERT INTO oms.carrier (code, name, tracking_url)
VALUES ('BENCH', 'Bench carrier', 'https://carrier.example/track/{tracking_number}');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days)
SELECT carrier_id, 'ground', 3 FROM oms.carrier WHERE code = 'BENCH';
INSERT INTO oms.item (sku, name, backorder_policy)
SELECT 'SKU-' || g, 'Item ' || g, 'deny' FROM generate_series(1, 1000) g;
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('FLASH', 'Flash-sale item', 'deny');
INSERT INTO oms.customer (email)
SELECT 'c' || g || '@bench.example' FROM generate_series(1, 10000) g;
SELECT count(oms.receive_stock(i.sku, l.code,
                               CASE WHEN i.sku = 'FLASH' THEN 10000000 ELSE 100000 END,
                               'bench'))
FROM oms.item i CROSS JOIN oms.location l;
VACUUM ANALYZE;
