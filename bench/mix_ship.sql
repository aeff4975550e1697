-- mix_ship.sql (order mix, 4%): the newest confirmed order nobody else is
-- shipping gets its shipments created and shipped (carrier BENCH, one
-- tracking number per shipment).
BEGIN;
SELECT order_id FROM oms.sales_order
WHERE status = 'confirmed'
ORDER BY order_id DESC LIMIT 1 FOR UPDATE SKIP LOCKED \gset
SELECT count(oms.ship(s, 'BENCH', 'TRK-' || s)) FROM oms.create_shipments(:order_id) s;
COMMIT;
