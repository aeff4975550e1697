-- read_only: reports, previews, checks and views write nothing, so they run
-- in a read-only transaction and on a hot standby (both refuse a write with
-- 25006); the calls that do write are refused there and say so
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename

-- a shop with a month of orders, a rule, a stored forecast, a shipment, a payment and a return
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('MUG', 'Mug');
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 7);
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days) SELECT carrier_id, 'ground', 2 FROM oms.carrier;
SELECT oms.receive_stock('MUG', 'EAST', 1000) > 0 AS stocked;
SELECT count(*) AS orders FROM (
    SELECT oms.place_order('buyer@example.com', 'web', '[{"sku": "MUG", "qty": 4, "unit_price": 8}]',
                           jsonb_build_object('channel_order_ref', 'R' || d::date)) AS o
    FROM generate_series(current_date - 30, current_date - 1, interval '1 day') d) x;
UPDATE oms.sales_order SET placed_at = current_date - (order_id::int) + time '12:00';
SELECT (oms.set_reorder_rule('MUG', 'EAST', 'ACME', reorder_point => 5, reorder_qty => 50)).reorder_point;
SELECT oms.refresh_forecast('ordered') AS forecasts;
SELECT oms.confirm_order(1), oms.confirm_order(2);
SELECT oms.record_payment(1, 'capture', 32, 'USD', 'card', 'ch_1') > 0 AS paid;
SELECT oms.create_shipment(1, 'EAST') AS s1 \gset
SELECT oms.ship(:s1, 'UPS', '1Z1') IS NOT NULL AS shipped, oms.deliver(:s1);
SELECT oms.request_return(1, '[{"sku": "MUG", "qty": 1}]') > 0 AS rma;
SELECT oms.create_shipment(2, 'EAST') > 0 AS pending_shipment;

-- ---------------------------------------------------------------------------
-- everything that reads, in a read-only transaction
-- ---------------------------------------------------------------------------
BEGIN READ ONLY;
-- every view of the schema
SELECT c.relname AS view, pg_temp.try(format('SELECT * FROM oms.%I', c.relname)) AS result
FROM pg_class c WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind = 'v' ORDER BY 1;
-- the preview of the suggested points (it failed with 25006: its one
-- statement held the UPDATE of apply => true)
SELECT sku, location, lead_time_days, daily_demand, current_reorder_point, suggested_reorder_point, applied
FROM oms.suggest_reorder_rules(source => 'ordered');
SELECT sku, suggested_reorder_point FROM oms.reorder_suggestions(0.95, 'ordered', 56, 0.3, current_date);
SELECT sku, days_of_history, round(daily_demand::numeric, 3) AS daily_demand FROM oms.forecast_demand('ordered');
SELECT count(*) AS days FROM oms.demand_history('ordered', current_date - 60, current_date);
SELECT sku, location, days_of_cover IS NOT NULL AS has_cover FROM oms.inventory_position;
-- the pick list without start, the checks, the machines, the balances
SELECT sku, qty, shipments FROM oms.pick_list('EAST');
SELECT count(*) AS inventory_problems FROM oms.check_inventory();
SELECT count(*) AS payment_problems FROM oms.check_payments();
SELECT count(*) AS reservation_problems FROM oms.check_reservations();
SELECT count(*) AS incoming_problems FROM oms.check_incoming();
SELECT count(*) > 0 AS states FROM oms.machine_states('order');
SELECT left(oms.machine_dot('order'), 7) AS dot, left(oms.machine_mermaid('order'), 15) AS mermaid;
SELECT oms.refundable_balance(1) AS refundable;
SELECT count(*) > 0 AS jobs FROM oms.job_definitions();
SELECT oms.version() IS NOT NULL AS version, oms.document_number('SO', 7) AS number,
       oms.payment_satisfied('none', 'unpaid') AS satisfied,
       oms.payment_status_of(10, 0, 0, 0, 0) AS status,
       oms.add_transit_days(date '2024-03-01', 2, true) AS eta,
       oms.line_unit_value(1) AS unit_value,
       round(oms.normal_quantile(0.95)::numeric, 3) AS z,
       oms.lead_time_demand(2, NULL, date '2024-03-01', 3) AS ltd;
-- the calls that write are refused, not half done
SELECT pg_temp.try($$SELECT * FROM oms.suggest_reorder_rules(true, source => 'ordered')$$) AS apply;
SELECT pg_temp.try($$SELECT * FROM oms.pick_list('EAST', start => true)$$) AS start_picking;
SELECT pg_temp.try($$SELECT oms.refresh_forecast('ordered')$$) AS refresh;
COMMIT;

-- outside it, apply writes the points the preview showed
SELECT sku, current_reorder_point, suggested_reorder_point, applied
FROM oms.suggest_reorder_rules(true, source => 'ordered');
SELECT reorder_point FROM oms.reorder_rule;
SELECT applied FROM oms.suggest_reorder_rules(true, source => 'ordered');

SELECT * FROM oms.check_inventory();
