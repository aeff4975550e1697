-- mix_payment.sql (order mix, 43%): the payment of a recent unpaid order,
-- captured in full (a direct sale: record_payment records the authorization
-- and its capture).  The newest unpaid order nobody else is paying:
-- SKIP LOCKED, so two payments never take the same order.
BEGIN;
SELECT order_id, total FROM oms.sales_order
WHERE payment_status = 'unpaid' AND status <> 'cancelled'
ORDER BY order_id DESC LIMIT 1 FOR UPDATE SKIP LOCKED \gset
SELECT oms.record_payment(:order_id, 'capture', :total, NULL, 'bench', 'ch-' || :order_id);
COMMIT;
