-- mix_tracking.sql (order mix, 4%): a customer looks an order up by number
-- (TPC-C's Order-Status).  :max_order is set by run.sh (-D) to the orders
-- that existed before the run.
\set o random(1, :max_order)
SELECT * FROM oms.order_tracking
WHERE order_number = (SELECT order_number FROM oms.sales_order WHERE order_id = :o);
