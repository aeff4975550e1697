-- forecast: demand history, smoothing with weekday factors, variability and
-- suggested reorder points on a fixed synthetic history with known answers
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- sell qty of sku in one order placed at noon on day
CREATE FUNCTION pg_temp.sell(sku text, day date, qty integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
BEGIN
    o := oms.place_order('buyer@example.com', 'web', jsonb_build_array(jsonb_build_object('sku', sku, 'qty', qty)));
    UPDATE oms.sales_order SET placed_at = day + time '12:00' WHERE order_id = o;
    RETURN o;
END
$$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10), ('WEST', 'West DC', 20);
INSERT INTO oms.item (sku, name) VALUES ('FLAT', 'Flat seller'), ('WEEK', 'Weekday seller'),
    ('NOISY', 'Noisy seller'), ('SPARSE', 'Sparse seller'), ('NEW', 'No history');
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 7);
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
SELECT oms.receive_stock('FLAT', 'EAST', 1000) > 0, oms.receive_stock('WEEK', 'EAST', 1000) > 0,
       oms.receive_stock('NOISY', 'WEST', 1000) > 0, oms.receive_stock('SPARSE', 'WEST', 1000) > 0;

-- The history: the forecast is made as of Monday 2024-03-04 from the 56
-- days before it (Monday 2024-01-08 .. Sunday 2024-03-03, eight full weeks).
--   FLAT   10 a day, every day
--   WEEK   12 on weekdays, 5 on Saturday and Sunday (mean 10)
--   NOISY  the last 14 days only: 8, 12, 8, 12, ...
--   SPARSE 5 on Friday 02-23 and 5 on Friday 03-01, nothing in between
-- and an order outside the window that must not count.
SELECT count(pg_temp.sell('FLAT', d::date, 10)) AS flat_orders
FROM generate_series(date '2024-01-08', date '2024-03-03', interval '1 day') d;
SELECT count(pg_temp.sell('WEEK', d::date, CASE WHEN extract(isodow FROM d) <= 5 THEN 12 ELSE 5 END)) AS week_orders
FROM generate_series(date '2024-01-08', date '2024-03-03', interval '1 day') d;
SELECT count(pg_temp.sell('NOISY', d::date, CASE WHEN (d::date - date '2024-02-19') % 2 = 0 THEN 8 ELSE 12 END)) AS noisy_orders
FROM generate_series(date '2024-02-19', date '2024-03-03', interval '1 day') d;
SELECT pg_temp.sell('SPARSE', date '2024-02-23', 5) > 0, pg_temp.sell('SPARSE', date '2024-03-01', 5) > 0,
       pg_temp.sell('FLAT', date '2024-03-04', 99) > 0 AS on_as_of_not_counted,
       pg_temp.sell('FLAT', date '2024-01-07', 99) > 0 AS before_window_not_counted;

-- the history per item, location and day
SELECT h.day, i.sku, l.code, h.qty FROM oms.demand_history('ordered', date '2024-02-26', date '2024-03-03') h
JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
WHERE i.sku IN ('WEEK', 'NOISY', 'SPARSE') ORDER BY h.day, i.sku;

-- Known answers (default alpha 0.3):
--   FLAT   level 10, sigma 0, weekday factors all 1
--   WEEK   factors 1.2 Monday..Friday, 0.5 Saturday, Sunday; deseasonalised
--          10 every day: level 10, sigma 0
--   NOISY  14 days (< 28: no factors); l0 = 68/7; level 10.349; sigma
--          sqrt(56/13) = 2.075
--   SPARSE 10 days from its first sale; level 0.816; sigma 2.108; mean 1
SELECT sku, location, days_of_history, total_qty, round(mean_daily::numeric, 3) AS mean,
       round(daily_demand::numeric, 3) AS level, round(sigma::numeric, 3) AS sigma,
       (SELECT array_agg(round(f::numeric, 3)) FROM unnest(dow_factors) f) AS dow_factors
FROM oms.forecast_demand('ordered', 56, as_of => date '2024-03-04');
-- the same with alpha 0.5: NOISY 10.667 (the fixed point 32/3 of the
-- alternation), SPARSE 0.631
SELECT sku, round(daily_demand::numeric, 3) AS level
FROM oms.forecast_demand('ordered', 56, 0.5, date '2024-03-04') WHERE sku IN ('NOISY', 'SPARSE');
-- a window of 14 days: WEEK has no weekday factors then, and the smoothed
-- level ends low after a weekend: l0 = 10, then 12 x 5, 5, 5, 12 x 5, 5, 5 gives 8.122
SELECT sku, days_of_history, round(daily_demand::numeric, 3) AS level, dow_factors IS NULL AS no_factors
FROM oms.forecast_demand('ordered', 14, as_of => date '2024-03-04') WHERE sku = 'WEEK';
-- nothing has shipped yet: no shipped history
SELECT count(*) AS shipped_forecasts FROM oms.forecast_demand('shipped', as_of => date '2024-03-04');

-- lead-time demand follows the weekday factors: two days from a Monday are
-- two weekdays (2 x 12), from a Saturday the weekend (2 x 5), a week is 70
SELECT round(oms.lead_time_demand(f.daily_demand, f.dow_factors, date '2024-03-04', 2)::numeric, 3) AS mon_tue,
       round(oms.lead_time_demand(f.daily_demand, f.dow_factors, date '2024-03-09', 2)::numeric, 3) AS sat_sun,
       round(oms.lead_time_demand(f.daily_demand, f.dow_factors, date '2024-03-06', 7)::numeric, 3) AS week
FROM oms.forecast_demand('ordered', 56, as_of => date '2024-03-04') f WHERE f.sku = 'WEEK';
SELECT round(oms.normal_quantile(0.5)::numeric, 4) AS z50, round(oms.normal_quantile(0.95)::numeric, 4) AS z95,
       round(oms.normal_quantile(0.99)::numeric, 4) AS z99, round(oms.normal_quantile(0.01)::numeric, 4) AS z01;

-- ---------------------------------------------------------------------------
-- suggested reorder points: lead-time demand + z x sigma x sqrt(lead time)
-- ---------------------------------------------------------------------------
SELECT (oms.set_reorder_rule('FLAT', 'EAST', 'ACME', 5, max_level => 100)).reorder_point;     -- lead 7 (supplier)
SELECT (oms.set_reorder_rule('WEEK', 'EAST', 'ACME', 5, reorder_qty => 50, lead_time_days => 2)).reorder_point;
SELECT (oms.set_reorder_rule('NOISY', 'WEST', 'ACME', 5, reorder_qty => 50, lead_time_days => 4)).reorder_point;
SELECT (oms.set_reorder_rule('SPARSE', 'WEST', 'ACME', 5, reorder_qty => 50, lead_time_days => 4)).reorder_point;
SELECT (oms.set_reorder_rule('NEW', 'WEST', 'ACME', 5, reorder_qty => 50)).reorder_point;
-- Known answers at 95% (z = 1.6449), alpha 0.5, as of Monday 2024-03-04:
--   FLAT   7 x 10 = 70, no safety stock: 70
--   WEEK   Monday + Tuesday 24, no safety stock: 24
--   NOISY  4 x 10.667 = 42.667 + 1.6449 x 2.075 x 2 = 6.828: 50
--   SPARSE 4 x 0.631 = 2.522 + 1.6449 x 2.108 x 2 = 6.935: 10
--   NEW    no history: no suggestion
SELECT * FROM oms.suggest_reorder_rules(service_level => 0.95, source => 'ordered', alpha => 0.5, as_of => date '2024-03-04');
-- nothing changed yet
SELECT i.sku, r.reorder_point, r.max_level FROM oms.reorder_rule r JOIN oms.item i USING (item_id) ORDER BY 1;
-- apply: the order-up-to rule keeps its gap (100 - 5 = 95 above the point)
SELECT sku, current_reorder_point, suggested_reorder_point, applied
FROM oms.suggest_reorder_rules(apply => true, service_level => 0.95, source => 'ordered', alpha => 0.5, as_of => date '2024-03-04');
SELECT i.sku, r.reorder_point, r.max_level FROM oms.reorder_rule r JOIN oms.item i USING (item_id) ORDER BY 1;
SELECT sku, location, reorder_point FROM oms.inventory_position ORDER BY 1, 2;
-- applied again: already there
SELECT count(*) FILTER (WHERE applied) AS applied_again
FROM oms.suggest_reorder_rules(apply => true, service_level => 0.95, source => 'ordered', alpha => 0.5, as_of => date '2024-03-04');
-- a higher service level asks for more safety stock
SELECT sku, round(safety_stock, 3) AS safety_stock, suggested_reorder_point
FROM oms.suggest_reorder_rules(service_level => 0.99, source => 'ordered', alpha => 0.5, as_of => date '2024-03-04')
WHERE sku IN ('NOISY', 'SPARSE');

-- the stored forecast and days of cover (available / daily demand)
SELECT oms.refresh_forecast('ordered', 56, 0.3, date '2024-03-04') AS forecasts;
SELECT sku, location, available, round(f.daily_demand::numeric, 3) AS daily_demand, days_of_cover
FROM oms.inventory_position p LEFT JOIN oms.demand_forecast f USING (item_id, location_id) ORDER BY 1, 2;

-- shipped demand: the ledger's shipment movements.  The ledger is
-- append-only and cannot be backdated, so this history is today's: 7 units
-- shipped today are, as of tomorrow, one day of 7
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SELECT oms.receive_stock('NEW', 'WEST', 20) > 0 AS received;
SELECT oms.place_order('ship@example.com', 'web', '[{"sku": "NEW", "qty": 7}]', '{"confirm": true}') AS so \gset
SELECT oms.create_shipment(:so, 'WEST') AS sh \gset
SELECT oms.ship(:sh, 'UPS', '1Z0007') IS NOT NULL AS shipped;
SELECT sku, location, days_of_history, total_qty, round(daily_demand::numeric, 3) AS level,
       round(sigma::numeric, 3) AS sigma, dow_factors
FROM oms.forecast_demand('shipped', 1, as_of => CURRENT_DATE + 1);
SELECT count(*) AS shipped_before_today FROM oms.forecast_demand('shipped', 7, as_of => CURRENT_DATE);

-- bad input (22023)
SELECT pg_temp.try($$SELECT * FROM oms.forecast_demand('returned')$$);
SELECT pg_temp.try($$SELECT * FROM oms.forecast_demand('ordered', 0)$$);
SELECT pg_temp.try($$SELECT * FROM oms.forecast_demand('ordered', 56, 0)$$);
SELECT pg_temp.try($$SELECT * FROM oms.forecast_demand('ordered', 56, 1.5)$$);
SELECT pg_temp.try($$SELECT * FROM oms.suggest_reorder_rules(service_level => 1)$$);
SELECT pg_temp.try($$SELECT * FROM oms.suggest_reorder_rules(service_level => NULL)$$);
SELECT pg_temp.try($$SELECT * FROM oms.demand_history('ordered', NULL, CURRENT_DATE)$$);
-- privileges: reading forecasts is for everyone, applying them for admins
SET ROLE oms_reader;
SELECT count(*) AS reader_forecasts FROM oms.forecast_demand('ordered', as_of => date '2024-03-04');
SELECT pg_temp.try($$SELECT * FROM oms.suggest_reorder_rules()$$);
RESET ROLE;

SELECT * FROM oms.check_inventory();
