-- kpi_scale.sql: grow the KPI rollups of a generated shop to the size a
-- year of 1,000,000 orders over 100,000 items and 10 locations gives them,
-- to time the KPI views at that scale (bench/kpi_timing.sh with
-- KPI_SCALE=1).  The views read the rollups, the delta tail, the levels and
-- the items, never the orders, so their cost is set by these sizes:
--
--   items 100,000; inventory_level 1,000,000 (every item at every location)
--   kpi_sales_hour   8,760 hours x 5 channels x 3 currencies
--   kpi_sales_day    365 x 5 x 3;  kpi_sales_weekhour 168;  kpi_region_day 365 x 14
--   kpi_item_day     365 days x 2,500 items a day (Zipf-like: hot items daily, the tail rarely)
--   kpi_item_total   100,000;  kpi_stock_day 365 x 2,500 item-locations;  kpi_stock_last 250,000
--   kpi_shipment_day 365 x 10 locations x 3 carriers x 2;  kpi_duration_day 365 x 2 x 120 hours
--   and the sliding-window summaries built from them: kpi_item_window (the
--   items of the last 90 days), the windows of kpi_stock_last, kpi_item_stock
--   (every item; on_hand from the levels)
--
-- The rows are synthetic (plausible values, not a consistent history) and
-- are written as the superuser with session_replication_role = replica,
-- which the guards and the capture triggers do not see.  A benchmark data
-- set, never a shop.
SET session_replication_role = replica;
INSERT INTO oms.item (sku, name, backorder_policy)
SELECT 'S-' || lpad(g::text, 6, '0'), 'Scaled item ' || g, 'deny'
FROM generate_series((SELECT count(*) FROM oms.item) + 1, 100000) g;
INSERT INTO oms.inventory_level (item_id, location_id, on_hand, updated_at)
SELECT i.item_id, l.location_id, (hashint8(i.item_id * 31 + l.location_id) & 255), now()
FROM oms.item i CROSS JOIN oms.location l
ON CONFLICT DO NOTHING;
-- days of the last year; item ranks drawn log-uniformly (a few hot items)
CREATE TEMP TABLE d AS SELECT (now() AT TIME ZONE 'UTC')::date - g AS day FROM generate_series(0, 364) g;
INSERT INTO oms.kpi_sales_hour (hour, channel_id, currency, orders, units_ordered, subtotal, total, stock_units, units_filled)
SELECT h, c.channel_id, cur, 6, 14, 300, 330, 14, 13
FROM generate_series(date_trunc('hour', now()) - interval '365 days', date_trunc('hour', now()), interval '1 hour') h
CROSS JOIN oms.channel c CROSS JOIN unnest(ARRAY['USD', 'EUR', 'GBP']) cur
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_sales_day (day, channel_id, currency, orders, units_ordered, subtotal, total, stock_units, units_filled)
SELECT d.day, c.channel_id, cur, 180, 420, 9000, 9900, 420, 400
FROM d CROSS JOIN oms.channel c CROSS JOIN unnest(ARRAY['USD', 'EUR', 'GBP']) cur
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_region_day (day, currency, country, region, orders, total)
SELECT d.day, r.currency, r.country, r.region, 190, 9500
FROM d CROSS JOIN bench_gen.region r
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_item_day (day, item_id, currency, lines, units_ordered, revenue)
SELECT DISTINCT ON (d.day, x.item_id, x.cur) d.day, x.item_id, x.cur, 2, 3, 60
FROM d CROSS JOIN LATERAL (
    SELECT i.item_id, (ARRAY['USD', 'USD', 'EUR', 'GBP'])[1 + (g % 4)] AS cur
    FROM generate_series(1, 2500) g
    JOIN oms.item i ON i.item_id = LEAST(100000, floor(exp(ln(100000) * (hashint8(g * 7919 + d.day - date '2000-01-01') & 65535) / 65536.0)))::bigint
) x
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_item_total (item_id, lines, units_ordered, units_shipped, units_returned)
SELECT item_id, 20, 30, 29, (item_id % 5)::bigint FROM oms.item
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_stock_day (item_id, location_id, day, units_shipped)
SELECT x.item_id, x.location_id, x.day, 3 FROM (
    SELECT DISTINCT d.day, i.item_id, (SELECT min(location_id) FROM oms.location) + (g % 10) AS location_id
    FROM d CROSS JOIN generate_series(1, 2500) g
    JOIN oms.item i ON i.item_id = LEAST(100000, floor(exp(ln(100000) * (hashint8(g * 104729 + d.day - date '2000-01-01') & 65535) / 65536.0)))::bigint
) x
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_stock_last (item_id, location_id, last_shipped_at)
SELECT item_id, location_id, max(day)::timestamptz FROM oms.kpi_stock_day GROUP BY 1, 2
ON CONFLICT (item_id, location_id) DO UPDATE SET last_shipped_at = GREATEST(oms.kpi_stock_last.last_shipped_at, EXCLUDED.last_shipped_at);
INSERT INTO oms.kpi_shipment_day (kind, day, location_id, carrier_id, shipments, with_promise, on_time, extra, late)
SELECT k, d.day, l.location_id, c.carrier_id, 90, 90, 80, 5, 7
FROM d CROSS JOIN oms.location l CROSS JOIN oms.carrier c CROSS JOIN unnest(ARRAY['S', 'D']) k
ON CONFLICT DO NOTHING;
INSERT INTO oms.kpi_duration_day (kind, day, hours, n)
SELECT k, d.day, h, 1 + (h % 17) FROM d CROSS JOIN generate_series(1, 120) h CROSS JOIN unnest(ARRAY['S', 'D']) k
ON CONFLICT DO NOTHING;
-- the medians of every day, as refresh_kpis() keeps them
INSERT INTO oms.kpi_duration_stats (kind, day, shipments, median_hours, p90_hours, max_hours)
SELECT c.kind, c.day, max(c.total), min(c.hours) FILTER (WHERE c.running >= 0.5 * c.total),
       min(c.hours) FILTER (WHERE c.running >= 0.9 * c.total), max(c.hours)
FROM (SELECT d.kind, d.day, d.hours, sum(d.n) OVER (PARTITION BY d.kind, d.day ORDER BY d.hours) AS running,
             sum(d.n) OVER (PARTITION BY d.kind, d.day) AS total
      FROM oms.kpi_duration_day d) c
GROUP BY c.kind, c.day
ON CONFLICT (kind, day) DO UPDATE SET shipments = EXCLUDED.shipments, median_hours = EXCLUDED.median_hours,
    p90_hours = EXCLUDED.p90_hours, max_hours = EXCLUDED.max_hours;
-- the sliding-window summaries as refresh_kpis() keeps them, as of today
INSERT INTO oms.kpi_window_state (as_of) VALUES ((now() AT TIME ZONE 'UTC')::date)
ON CONFLICT (only_row) DO UPDATE SET as_of = EXCLUDED.as_of;
INSERT INTO oms.kpi_item_window (item_id, currency, lines_30d, units_30d, revenue_30d, revenue_90d)
SELECT item_id, currency,
       COALESCE(sum(lines) FILTER (WHERE day > (now() AT TIME ZONE 'UTC')::date - 30), 0),
       COALESCE(sum(units_ordered - units_cancelled) FILTER (WHERE day > (now() AT TIME ZONE 'UTC')::date - 30), 0),
       COALESCE(sum(revenue) FILTER (WHERE day > (now() AT TIME ZONE 'UTC')::date - 30), 0),
       sum(revenue)
FROM oms.kpi_item_day WHERE day > (now() AT TIME ZONE 'UTC')::date - 90 GROUP BY 1, 2
ON CONFLICT (item_id, currency) DO UPDATE SET lines_30d = EXCLUDED.lines_30d, units_30d = EXCLUDED.units_30d,
    revenue_30d = EXCLUDED.revenue_30d, revenue_90d = EXCLUDED.revenue_90d;
UPDATE oms.kpi_stock_last t SET shipped_30d = x.s30, shipped_90d = x.s90
FROM (SELECT item_id, location_id,
             COALESCE(sum(units_shipped) FILTER (WHERE day > (now() AT TIME ZONE 'UTC')::date - 30), 0) AS s30,
             sum(units_shipped) AS s90
      FROM oms.kpi_stock_day WHERE day > (now() AT TIME ZONE 'UTC')::date - 90 GROUP BY 1, 2) x
WHERE t.item_id = x.item_id AND t.location_id = x.location_id;
-- per item: on_hand of the levels (less what the tail adds), the windows and the last shipment
INSERT INTO oms.kpi_item_stock (item_id, on_hand, shipped_30d, shipped_90d, last_shipped_at)
SELECT i.item_id,
       COALESCE((SELECT sum(v.on_hand) FROM oms.inventory_level v WHERE v.item_id = i.item_id), 0)
         - COALESCE((SELECT sum(t.on_hand_delta) FROM oms.kpi_stock_delta t WHERE t.item_id = i.item_id), 0),
       COALESCE((SELECT sum(l.shipped_30d) FROM oms.kpi_stock_last l WHERE l.item_id = i.item_id), 0),
       COALESCE((SELECT sum(l.shipped_90d) FROM oms.kpi_stock_last l WHERE l.item_id = i.item_id), 0),
       (SELECT max(l.last_shipped_at) FROM oms.kpi_stock_last l WHERE l.item_id = i.item_id)
FROM oms.item i
ON CONFLICT (item_id) DO UPDATE SET on_hand = EXCLUDED.on_hand, shipped_30d = EXCLUDED.shipped_30d,
    shipped_90d = EXCLUDED.shipped_90d, last_shipped_at = EXCLUDED.last_shipped_at;
RESET session_replication_role;
-- a tail: 300 orders placed through the API after the last roll-up (900
-- delta rows), which every view folds in as it would a minute of traffic
DO $tail$
DECLARE
    i integer;
BEGIN
    FOR i IN 1..300 LOOP
        BEGIN
            PERFORM oms.place_order('tail' || i || '@example.com',
                (ARRAY(SELECT code FROM oms.channel ORDER BY code))[1 + i % (SELECT count(*) FROM oms.channel)::integer],
                jsonb_build_array(
                    jsonb_build_object('sku', 'S-' || lpad((3000 + (hashint4(i) & 65535))::text, 6, '0'), 'qty', 1, 'unit_price', 9.5),
                    jsonb_build_object('sku', 'S-' || lpad((3000 + (hashint4(i * 7) & 65535))::text, 6, '0'), 'qty', 2, 'unit_price', 4)),
                jsonb_build_object('currency', (ARRAY['USD', 'EUR', 'GBP'])[1 + i % 3]));
        EXCEPTION WHEN SQLSTATE 'OM001' THEN
            NULL;   -- a sku without stock: skip it
        END;
    END LOOP;
END
$tail$;
VACUUM ANALYZE;
SELECT relname, n_live_tup FROM pg_stat_user_tables
WHERE schemaname = 'oms' AND (relname LIKE 'kpi%' OR relname IN ('item', 'inventory_level')) ORDER BY relname;
