-- mix_stock_level.sql (order mix, 4%): TPC-C's Stock-Level: how many of the
-- items of the last 20 orders are low at some location.
\set threshold random(99000, 99990)
SELECT count(DISTINCT v.item_id)
FROM (SELECT order_id FROM oms.sales_order ORDER BY order_id DESC LIMIT 20) o
JOIN oms.order_line l ON l.order_id = o.order_id
JOIN oms.inventory_level v ON v.item_id = l.item_id
WHERE v.available < :threshold;
