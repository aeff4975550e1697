
-- ===========================================================================
-- 93_analytics.sql: KPI views for BI tools and the incremental rollups
-- behind them
-- ===========================================================================
-- How the numbers are kept (README, For BI tools):
--
--   * Triggers on the tables whose rows a KPI measures (sales_order,
--     order_line, shipment, inventory_movement) INSERT one delta row per
--     change into an append-only delta table: the measures of the new row
--     minus those of the old one, under the bucket key (placed_at, channel,
--     currency, ship-to country and region; item; ship day and location).
--     They never UPDATE a shared row, so no two orders ever wait for each
--     other on a KPI row (no hot row).
--   * oms.refresh_kpis() (the pg_cron job oms-refresh-kpis, every minute)
--     moves the delta rows it can see into rollup tables keyed by hour or
--     day: DELETE ... RETURNING and INSERT ... ON CONFLICT DO UPDATE in one
--     transaction.  Rows of transactions still running stay for the next
--     run, so nothing is counted twice or lost.
--   * Every view reads rollup + the delta rows not yet rolled up, so an
--     answer is exact in the reader's snapshot however stale the rollup is;
--     the job only keeps the tail short (fast).
--
-- Days and hours are UTC: a bucket is date_trunc('hour', placed_at AT TIME
-- ZONE 'UTC').  Money is never summed across currencies.

-- ---------------------------------------------------------------------------
-- Delta tables (append-only; consumed by refresh_kpis)
-- ---------------------------------------------------------------------------
CREATE TABLE oms.kpi_sales_delta (
    order_id          bigint NOT NULL,
    item_id           bigint,
    is_component      boolean NOT NULL DEFAULT false,
    placed_at         timestamptz NOT NULL,
    channel_id        bigint,
    currency          text NOT NULL,
    country           text,
    region            text,
    orders            integer NOT NULL DEFAULT 0,
    orders_cancelled  integer NOT NULL DEFAULT 0,
    subtotal          numeric NOT NULL DEFAULT 0,
    tax               numeric NOT NULL DEFAULT 0,
    shipping          numeric NOT NULL DEFAULT 0,
    total             numeric NOT NULL DEFAULT 0,
    lines             integer NOT NULL DEFAULT 0,
    units_ordered     bigint NOT NULL DEFAULT 0,
    units_cancelled   bigint NOT NULL DEFAULT 0,
    units_shipped     bigint NOT NULL DEFAULT 0,
    units_returned    bigint NOT NULL DEFAULT 0,
    line_revenue      numeric NOT NULL DEFAULT 0,
    stock_units       bigint NOT NULL DEFAULT 0,
    units_filled      bigint NOT NULL DEFAULT 0,
    units_backordered bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE oms.kpi_sales_delta IS 'KPI deltas of orders (item_id NULL) and order lines not yet rolled up by refresh_kpis(): the new row''s measures minus the old row''s, under the order''s key.  Append-only; the views add it to the rollups.';

CREATE TABLE oms.kpi_shipment_delta (
    kind          char(1) NOT NULL CHECK (kind IN ('S', 'D')),
    day           date NOT NULL,
    location_id   bigint NOT NULL,
    carrier_id    bigint,
    shipments     integer NOT NULL DEFAULT 0,
    with_promise  integer NOT NULL DEFAULT 0,
    on_time       integer NOT NULL DEFAULT 0,
    extra         integer NOT NULL DEFAULT 0,
    late          integer NOT NULL DEFAULT 0,
    hours         integer
);
COMMENT ON TABLE oms.kpi_shipment_delta IS 'KPI deltas of shipments not yet rolled up: kind S (shipped, on the ship day) and D (delivered, on the delivery day); hours is placed-to-shipped (S) or shipped-to-delivered (D), rounded up.';

CREATE TABLE oms.kpi_stock_delta (
    day           date NOT NULL,
    item_id       bigint NOT NULL,
    location_id   bigint NOT NULL,
    units_shipped bigint NOT NULL DEFAULT 0,
    units_received bigint NOT NULL DEFAULT 0,
    at            timestamptz NOT NULL,
    on_hand_delta bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE oms.kpi_stock_delta IS 'KPI deltas of the inventory ledger not yet rolled up: units shipped and received (receipts, transfers in, restocked returns) per item, location and day, and every change of on_hand (for the per-item stock of kpi_item_stock).';

-- ---------------------------------------------------------------------------
-- Rollup tables (written only by refresh_kpis)
-- ---------------------------------------------------------------------------
CREATE TABLE oms.kpi_sales_hour (
    hour              timestamptz NOT NULL,
    channel_id        bigint NOT NULL DEFAULT 0,
    currency          text NOT NULL,
    orders            bigint NOT NULL DEFAULT 0,
    orders_cancelled  bigint NOT NULL DEFAULT 0,
    subtotal          numeric(16,2) NOT NULL DEFAULT 0,
    tax               numeric(16,2) NOT NULL DEFAULT 0,
    shipping          numeric(16,2) NOT NULL DEFAULT 0,
    total             numeric(16,2) NOT NULL DEFAULT 0,
    lines             bigint NOT NULL DEFAULT 0,
    units_ordered     bigint NOT NULL DEFAULT 0,
    units_cancelled   bigint NOT NULL DEFAULT 0,
    units_shipped     bigint NOT NULL DEFAULT 0,
    units_returned    bigint NOT NULL DEFAULT 0,
    stock_units       bigint NOT NULL DEFAULT 0,
    units_filled      bigint NOT NULL DEFAULT 0,
    units_backordered bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, channel_id, currency)
);
COMMENT ON TABLE oms.kpi_sales_hour IS 'Rollup of kpi_sales_delta per UTC hour of placed_at, channel (0: none) and currency; units count item and bundle lines, the stock and fill columns item and component lines.';

CREATE TABLE oms.kpi_sales_day (LIKE oms.kpi_sales_hour INCLUDING DEFAULTS);
ALTER TABLE oms.kpi_sales_day RENAME COLUMN hour TO day;
ALTER TABLE oms.kpi_sales_day ALTER COLUMN day TYPE date;
ALTER TABLE oms.kpi_sales_day ADD PRIMARY KEY (day, channel_id, currency);
COMMENT ON TABLE oms.kpi_sales_day IS 'Rollup of kpi_sales_delta per UTC day of placed_at, channel (0: none) and currency (the same measures as kpi_sales_hour, for the daily views).';

CREATE TABLE oms.kpi_sales_weekhour (
    weekday       integer NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    hour          integer NOT NULL CHECK (hour BETWEEN 0 AND 23),
    orders        bigint NOT NULL DEFAULT 0,
    units_ordered bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (weekday, hour)
);
COMMENT ON TABLE oms.kpi_sales_weekhour IS 'Rollup of kpi_sales_delta per ISO weekday and hour of day (UTC) of placed_at over all time: 168 rows.';

CREATE TABLE oms.kpi_region_day (
    day       date NOT NULL,
    currency  text NOT NULL,
    country   text NOT NULL DEFAULT '',
    region    text NOT NULL DEFAULT '',
    orders    bigint NOT NULL DEFAULT 0,
    orders_cancelled bigint NOT NULL DEFAULT 0,
    total     numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (day, currency, country, region)
);
COMMENT ON TABLE oms.kpi_region_day IS 'Rollup of the order-level kpi_sales_delta rows per UTC day, currency and ship-to country and region ('''' when absent).';

CREATE TABLE oms.kpi_item_day (
    day             date NOT NULL,
    item_id         bigint NOT NULL,
    currency        text NOT NULL,
    lines           bigint NOT NULL DEFAULT 0,
    units_ordered   bigint NOT NULL DEFAULT 0,
    units_cancelled bigint NOT NULL DEFAULT 0,
    revenue         numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, item_id, currency)
);
-- one item's history (kpi_item_sales_daily WHERE item_id = ...)
CREATE INDEX kpi_item_day_item_idx ON oms.kpi_item_day (item_id, day);
COMMENT ON TABLE oms.kpi_item_day IS 'Rollup of the line-level kpi_sales_delta rows per UTC day of placed_at, item and currency.';

CREATE TABLE oms.kpi_item_total (
    item_id         bigint PRIMARY KEY,
    lines           bigint NOT NULL DEFAULT 0,
    units_ordered   bigint NOT NULL DEFAULT 0,
    units_cancelled bigint NOT NULL DEFAULT 0,
    units_shipped   bigint NOT NULL DEFAULT 0,
    units_returned  bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE oms.kpi_item_total IS 'Rollup of the line-level kpi_sales_delta rows per item over all time.';

CREATE TABLE oms.kpi_shipment_day (
    kind         char(1) NOT NULL,
    day          date NOT NULL,
    location_id  bigint NOT NULL,
    carrier_id   bigint NOT NULL DEFAULT 0,
    shipments    bigint NOT NULL DEFAULT 0,
    with_promise bigint NOT NULL DEFAULT 0,
    on_time      bigint NOT NULL DEFAULT 0,
    extra        bigint NOT NULL DEFAULT 0,
    late         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, day, location_id, carrier_id)
);
COMMENT ON TABLE oms.kpi_shipment_day IS 'Rollup of kpi_shipment_delta per kind, UTC day, location and carrier (0: none).';

CREATE TABLE oms.kpi_duration_day (
    kind   char(1) NOT NULL,
    day    date NOT NULL,
    hours  integer NOT NULL,
    n      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, day, hours)
);
COMMENT ON TABLE oms.kpi_duration_day IS 'Histogram of shipment durations in whole hours (rounded up) per kind and UTC day: the source of the medians and 90th percentiles.';

CREATE TABLE oms.kpi_duration_stats (
    kind         char(1) NOT NULL,
    day          date NOT NULL,
    shipments    bigint NOT NULL,
    median_hours integer NOT NULL,
    p90_hours    integer NOT NULL,
    max_hours    integer NOT NULL,
    PRIMARY KEY (kind, day)
);
COMMENT ON TABLE oms.kpi_duration_stats IS 'kpi_duration_day summed up per kind and UTC day (shipments, median, 90th percentile, maximum), recomputed by refresh_kpis() for the days it folds into: what kpi_shipping_times reads for the days the tail does not touch.';

CREATE TABLE oms.kpi_stock_day (
    item_id        bigint NOT NULL,
    location_id    bigint NOT NULL,
    day            date NOT NULL,
    units_shipped  bigint NOT NULL DEFAULT 0,
    units_received bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, location_id, day)
);
COMMENT ON TABLE oms.kpi_stock_day IS 'Rollup of kpi_stock_delta per item, location and UTC day.';
-- the days that leave the 30- and 90-day windows (kpi_inventory, kpi_slow_movers, refresh_kpis)
CREATE INDEX kpi_stock_day_day_idx ON oms.kpi_stock_day (day);

CREATE TABLE oms.kpi_stock_last (
    item_id          bigint NOT NULL,
    location_id      bigint NOT NULL,
    last_shipped_at  timestamptz,
    last_received_at timestamptz,
    PRIMARY KEY (item_id, location_id)
);
COMMENT ON TABLE oms.kpi_stock_last IS 'When each item last shipped from and was last received at each location (rolled up).';
ALTER TABLE oms.kpi_stock_last
    ADD COLUMN shipped_30d bigint NOT NULL DEFAULT 0,
    ADD COLUMN shipped_90d bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN oms.kpi_stock_last.shipped_30d IS 'Units shipped from the location on UTC days after kpi_window_state.as_of - 30 (rolled up).';
COMMENT ON COLUMN oms.kpi_stock_last.shipped_90d IS 'Units shipped from the location on UTC days after kpi_window_state.as_of - 90 (rolled up).';

-- Sliding windows.  The views over "the last 30 / 90 days" read a summary
-- per item (and per item and location) as of one day, kpi_window_state.as_of,
-- instead of summing the day rollups: refresh_kpis() moves the summaries to
-- today (taking out the days that left the window, from the day rollups)
-- and adds what it folds.  A view adds the days that left the window since
-- as_of and the tail, so it stays exact between runs.
CREATE TABLE oms.kpi_window_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    as_of    date NOT NULL
);
COMMENT ON TABLE oms.kpi_window_state IS 'The UTC day the sliding-window summaries (kpi_item_window, kpi_stock_last, kpi_item_stock) were last moved to (one row, written only by refresh_kpis(); none before its first run, when the summaries are empty).';

CREATE TABLE oms.kpi_item_window (
    item_id     bigint NOT NULL,
    currency    text NOT NULL,
    lines_30d   bigint NOT NULL DEFAULT 0,
    units_30d   bigint NOT NULL DEFAULT 0,
    revenue_30d numeric(16,2) NOT NULL DEFAULT 0,
    revenue_90d numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, currency)
);
COMMENT ON TABLE oms.kpi_item_window IS 'Rolled-up order lines per item and currency on UTC days of placement after as_of - 30 (lines, units net of cancellations, revenue) and after as_of - 90 (revenue): the source of kpi_top_products and kpi_abc_classes.';

CREATE TABLE oms.kpi_item_stock (
    item_id         bigint PRIMARY KEY,
    on_hand         bigint NOT NULL DEFAULT 0,
    shipped_30d     bigint NOT NULL DEFAULT 0,
    shipped_90d     bigint NOT NULL DEFAULT 0,
    last_shipped_at timestamptz
);
COMMENT ON TABLE oms.kpi_item_stock IS 'Rolled-up stock per item over all locations: on_hand (the sum of the ledger''s on_hand changes), units shipped after as_of - 30 and - 90, last shipment: the source of kpi_slow_movers.';


-- pg_dump keeps the deltas and rollups: placement fill counts cannot be
-- rebuilt from the orders afterwards.
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_sales_delta', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_shipment_delta', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_stock_delta', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_sales_hour', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_sales_day', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_sales_weekhour', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_region_day', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_item_day', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_item_total', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_shipment_day', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_duration_day', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_duration_stats', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_stock_day', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_stock_last', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_window_state', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_item_window', '');
SELECT pg_catalog.pg_extension_config_dump('oms.kpi_item_stock', '');

-- The supplier and refund views read these ledgers by time.
CREATE INDEX payment_refund_time_idx ON oms.payment (created_at) WHERE kind = 'refund';
CREATE INDEX purchase_order_line_item_idx ON oms.purchase_order_line (item_id, po_line_id);

-- ---------------------------------------------------------------------------
-- Capture triggers.  SECURITY DEFINER: they write the delta tables for
-- whoever changed the row (the API runs as the owner already; an admin's
-- direct UPDATE of a status must be counted too).
-- ---------------------------------------------------------------------------

-- Orders: the insert of an order's first line adds the order's measures
-- (kpi_lines_insert_capture: one trigger per place_order, not two); an
-- UPDATE that changes one adds the difference; an UPDATE of the key (placed_at, channel, currency, the
-- ship-to country or region) moves the order and its lines to the new key.
-- Fill at placement cannot be recomputed from a line later, so a move
-- carries only what has not been rolled up yet (the generator backdates in
-- the placing transaction); after a rollup it stays in the old hour.
CREATE FUNCTION oms.kpi_order_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    new_c integer := (NEW.status = 'cancelled')::integer;
    old_c integer;
BEGIN
    -- an order counts from its first line (place_order writes it in the
    -- same transaction; a bare order is not a sale until it has one)
    IF NOT EXISTS (SELECT 1 FROM oms.order_line l WHERE l.order_id = NEW.order_id AND l.line_no = 1) THEN
        RETURN NULL;
    END IF;
    old_c := (OLD.status = 'cancelled')::integer;
    IF NEW.placed_at = OLD.placed_at
       AND NEW.channel_id IS NOT DISTINCT FROM OLD.channel_id
       AND NEW.currency = OLD.currency
       AND (NEW.ship_to ->> 'country') IS NOT DISTINCT FROM (OLD.ship_to ->> 'country')
       AND (NEW.ship_to ->> 'region') IS NOT DISTINCT FROM (OLD.ship_to ->> 'region') THEN
        INSERT INTO oms.kpi_sales_delta (order_id, placed_at, channel_id, currency, country, region,
                                         orders_cancelled, subtotal, tax, shipping, total)
        VALUES (NEW.order_id, NEW.placed_at, NEW.channel_id, NEW.currency,
                NEW.ship_to ->> 'country', NEW.ship_to ->> 'region', new_c - old_c,
                CASE WHEN new_c = 1 THEN 0 ELSE NEW.subtotal END - CASE WHEN old_c = 1 THEN 0 ELSE OLD.subtotal END,
                CASE WHEN new_c = 1 THEN 0 ELSE NEW.tax END - CASE WHEN old_c = 1 THEN 0 ELSE OLD.tax END,
                CASE WHEN new_c = 1 THEN 0 ELSE NEW.shipping END - CASE WHEN old_c = 1 THEN 0 ELSE OLD.shipping END,
                CASE WHEN new_c = 1 THEN 0 ELSE NEW.total END - CASE WHEN old_c = 1 THEN 0 ELSE OLD.total END);
        RETURN NULL;
    END IF;
    -- the key moved: the order out of the old key and into the new one
    INSERT INTO oms.kpi_sales_delta (order_id, placed_at, channel_id, currency, country, region,
                                     orders, orders_cancelled, subtotal, tax, shipping, total)
    VALUES (OLD.order_id, OLD.placed_at, OLD.channel_id, OLD.currency,
            OLD.ship_to ->> 'country', OLD.ship_to ->> 'region', -1, -old_c,
            CASE WHEN old_c = 1 THEN 0 ELSE -OLD.subtotal END, CASE WHEN old_c = 1 THEN 0 ELSE -OLD.tax END,
            CASE WHEN old_c = 1 THEN 0 ELSE -OLD.shipping END, CASE WHEN old_c = 1 THEN 0 ELSE -OLD.total END),
           (NEW.order_id, NEW.placed_at, NEW.channel_id, NEW.currency,
            NEW.ship_to ->> 'country', NEW.ship_to ->> 'region', 1, new_c,
            CASE WHEN new_c = 1 THEN 0 ELSE NEW.subtotal END, CASE WHEN new_c = 1 THEN 0 ELSE NEW.tax END,
            CASE WHEN new_c = 1 THEN 0 ELSE NEW.shipping END, CASE WHEN new_c = 1 THEN 0 ELSE NEW.total END);
    -- its lines as they stand now
    INSERT INTO oms.kpi_sales_delta (order_id, item_id, is_component, placed_at, channel_id, currency,
                                     country, region, lines, units_ordered, units_cancelled,
                                     units_shipped, units_returned, line_revenue)
    SELECT l.order_id, l.item_id, l.kind = 'component', k.placed_at, k.channel_id, k.currency,
           k.country, k.region, k.s, k.s * l.qty_ordered, k.s * l.qty_cancelled,
           k.s * l.qty_shipped, k.s * l.qty_returned,
           CASE WHEN l.kind = 'component' THEN 0 ELSE k.s * l.unit_price * (l.qty_ordered - l.qty_cancelled) END
    FROM oms.order_line l
    CROSS JOIN (VALUES (-1, OLD.placed_at, OLD.channel_id, OLD.currency, OLD.ship_to ->> 'country', OLD.ship_to ->> 'region'),
                       (1, NEW.placed_at, NEW.channel_id, NEW.currency, NEW.ship_to ->> 'country', NEW.ship_to ->> 'region'))
         AS k(s, placed_at, channel_id, currency, country, region)
    WHERE l.order_id = NEW.order_id;
    -- the fill at placement that has not been rolled up yet
    INSERT INTO oms.kpi_sales_delta (order_id, item_id, is_component, placed_at, channel_id, currency,
                                     country, region, stock_units, units_filled, units_backordered)
    SELECT d.order_id, d.item_id, d.is_component, m.placed_at, m.channel_id, m.currency, m.country, m.region,
           m.s * sum(d.stock_units), m.s * sum(d.units_filled), m.s * sum(d.units_backordered)
    FROM oms.kpi_sales_delta d
    CROSS JOIN LATERAL (VALUES (-1, d.placed_at, d.channel_id, d.currency, d.country, d.region),
                               (1, NEW.placed_at, NEW.channel_id, NEW.currency, NEW.ship_to ->> 'country', NEW.ship_to ->> 'region'))
         AS m(s, placed_at, channel_id, currency, country, region)
    WHERE d.order_id = NEW.order_id AND d.item_id IS NOT NULL
      AND (d.stock_units <> 0 OR d.units_filled <> 0 OR d.units_backordered <> 0)
    GROUP BY d.order_id, d.item_id, d.is_component, m.s, m.placed_at, m.channel_id, m.currency, m.country, m.region;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms.kpi_order_capture() IS 'KPI trigger on sales_order (UPDATE): writes the change of an order''s measures (orders, cancelled, revenue) to kpi_sales_delta; a change of its key moves the order and its lines.';

-- Lines, as inserted (one statement per place_order or edit_order): their
-- measures and the fill at placement, and with an order's first line the
-- order's own measures.  In C (engine/kpi_capture.c): on the order path
-- this is the only KPI work, and a PL/pgSQL trigger spent about 10% of
-- place_order's time starting its two statements.
CREATE FUNCTION oms.kpi_lines_insert_capture() RETURNS trigger
    LANGUAGE c SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_kpi_lines_capture';
COMMENT ON FUNCTION oms.kpi_lines_insert_capture() IS 'KPI trigger on order_line (per INSERT statement, in C): writes the new lines'' measures and their fill at placement to kpi_sales_delta, and with an order''s first line the order''s own measures, in one batched INSERT.';

CREATE FUNCTION oms.kpi_line_update_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    INSERT INTO oms.kpi_sales_delta (order_id, item_id, is_component, placed_at, channel_id, currency,
                                     country, region, units_ordered, units_cancelled,
                                     units_shipped, units_returned, line_revenue)
    SELECT NEW.order_id, NEW.item_id, NEW.kind = 'component', o.placed_at, o.channel_id, o.currency,
           o.ship_to ->> 'country', o.ship_to ->> 'region',
           NEW.qty_ordered - OLD.qty_ordered, NEW.qty_cancelled - OLD.qty_cancelled,
           NEW.qty_shipped - OLD.qty_shipped, NEW.qty_returned - OLD.qty_returned,
           CASE WHEN NEW.kind = 'component' THEN 0
                ELSE NEW.unit_price * (NEW.qty_ordered - NEW.qty_cancelled)
                     - OLD.unit_price * (OLD.qty_ordered - OLD.qty_cancelled) END
    FROM oms.sales_order o
    WHERE o.order_id = NEW.order_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms.kpi_line_update_capture() IS 'KPI trigger on order_line: writes the change of a line''s ordered, cancelled, shipped and returned units and revenue to kpi_sales_delta.';

-- Shipments: shipped (S, on the ship day) and delivered (D, on the
-- delivery day) measures of a shipment row.
CREATE FUNCTION oms.kpi_shipment_rows(s oms.shipment, sign integer)
    RETURNS SETOF oms.kpi_shipment_delta
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT 'S'::char(1), (s.shipped_at AT TIME ZONE 'UTC')::date, s.location_id, s.carrier_id,
           sign, sign * (o.promised_at IS NOT NULL)::integer,
           sign * COALESCE(s.shipped_at <= o.promised_at, false)::integer,
           sign * (EXISTS (SELECT 1 FROM oms.shipment e
                           WHERE e.order_id = s.order_id AND e.shipment_id < s.shipment_id
                             AND e.shipped_at IS NOT NULL))::integer,
           0,
           LEAST(GREATEST(ceil(extract(epoch FROM s.shipped_at - o.placed_at) / 3600), 0), 100000)::integer
    FROM oms.sales_order o
    WHERE o.order_id = s.order_id AND s.shipped_at IS NOT NULL
    UNION ALL
    SELECT 'D'::char(1), (s.delivered_at AT TIME ZONE 'UTC')::date, s.location_id, s.carrier_id,
           sign, 0, 0, 0,
           sign * COALESCE((s.delivered_at AT TIME ZONE 'UTC')::date > s.estimated_delivery, false)::integer,
           LEAST(GREATEST(ceil(extract(epoch FROM s.delivered_at - s.shipped_at) / 3600), 0), 100000)::integer
    WHERE s.delivered_at IS NOT NULL AND s.shipped_at IS NOT NULL
$$;
COMMENT ON FUNCTION oms.kpi_shipment_rows(oms.shipment, integer) IS 'The KPI delta rows of one shipment row, times sign (1 to add it, -1 to take it away).';

CREATE FUNCTION oms.kpi_shipment_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    INSERT INTO oms.kpi_shipment_delta
    SELECT * FROM oms.kpi_shipment_rows(NEW, 1);
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO oms.kpi_shipment_delta
        SELECT * FROM oms.kpi_shipment_rows(OLD, -1);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms.kpi_shipment_capture() IS 'KPI trigger on shipment: writes the change of a shipment''s shipped and delivered measures to kpi_shipment_delta.';

CREATE FUNCTION oms.kpi_movement_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    INSERT INTO oms.kpi_stock_delta (day, item_id, location_id, units_shipped, units_received, at, on_hand_delta)
    VALUES ((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.item_id, NEW.location_id,
            CASE WHEN NEW.kind = 'shipment' THEN -NEW.on_hand_delta ELSE 0 END,
            CASE WHEN NEW.kind IN ('receipt', 'transfer_in', 'return_restock') THEN NEW.on_hand_delta ELSE 0 END,
            NEW.created_at, NEW.on_hand_delta);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms.kpi_movement_capture() IS 'KPI trigger on inventory_movement: writes units shipped and received, and the change of on_hand, to kpi_stock_delta.';

CREATE TRIGGER kpi_capture_update AFTER UPDATE ON oms.sales_order
    FOR EACH ROW
    WHEN ((OLD.status = 'cancelled') IS DISTINCT FROM (NEW.status = 'cancelled')
          OR OLD.subtotal IS DISTINCT FROM NEW.subtotal OR OLD.tax IS DISTINCT FROM NEW.tax
          OR OLD.shipping IS DISTINCT FROM NEW.shipping
          OR OLD.placed_at IS DISTINCT FROM NEW.placed_at
          OR OLD.channel_id IS DISTINCT FROM NEW.channel_id
          OR OLD.currency IS DISTINCT FROM NEW.currency
          OR (OLD.ship_to ->> 'country') IS DISTINCT FROM (NEW.ship_to ->> 'country')
          OR (OLD.ship_to ->> 'region') IS DISTINCT FROM (NEW.ship_to ->> 'region'))
    EXECUTE FUNCTION oms.kpi_order_capture();
CREATE TRIGGER kpi_capture AFTER INSERT ON oms.order_line
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION oms.kpi_lines_insert_capture();
CREATE TRIGGER kpi_capture_update AFTER UPDATE ON oms.order_line
    FOR EACH ROW
    WHEN (OLD.qty_ordered IS DISTINCT FROM NEW.qty_ordered
          OR OLD.qty_cancelled IS DISTINCT FROM NEW.qty_cancelled
          OR OLD.qty_shipped IS DISTINCT FROM NEW.qty_shipped
          OR OLD.qty_returned IS DISTINCT FROM NEW.qty_returned
          OR OLD.unit_price IS DISTINCT FROM NEW.unit_price)
    EXECUTE FUNCTION oms.kpi_line_update_capture();
CREATE TRIGGER kpi_capture AFTER INSERT ON oms.shipment
    FOR EACH ROW WHEN (NEW.shipped_at IS NOT NULL)
    EXECUTE FUNCTION oms.kpi_shipment_capture();
CREATE TRIGGER kpi_capture_update AFTER UPDATE ON oms.shipment
    FOR EACH ROW
    WHEN (OLD.shipped_at IS DISTINCT FROM NEW.shipped_at
          OR OLD.delivered_at IS DISTINCT FROM NEW.delivered_at
          OR OLD.estimated_delivery IS DISTINCT FROM NEW.estimated_delivery
          OR OLD.location_id IS DISTINCT FROM NEW.location_id
          OR OLD.carrier_id IS DISTINCT FROM NEW.carrier_id)
    EXECUTE FUNCTION oms.kpi_shipment_capture();
CREATE TRIGGER kpi_capture AFTER INSERT ON oms.inventory_movement
    FOR EACH ROW
    WHEN (NEW.on_hand_delta <> 0)
    EXECUTE FUNCTION oms.kpi_movement_capture();

-- ---------------------------------------------------------------------------
-- The rollup job
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.refresh_kpis()
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint := 0;
    m bigint;
    v_hours timestamptz[];
    v_days date[];
    v_today date := (pg_catalog.now() AT TIME ZONE 'UTC')::date;
    v_as_of date;
    v_sign integer;
BEGIN
    -- one refresh at a time; a second caller has nothing to add
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('oms.refresh_kpis')) THEN
        RETURN 0;
    END IF;

    -- Move the sliding windows to today before folding into them.  A day
    -- counts in a window as of X when day > X - 30 (or X - 90); what changes
    -- from as_of to today comes from the day rollups, which hold everything
    -- folded so far.
    SELECT w.as_of INTO v_as_of FROM oms.kpi_window_state w FOR UPDATE;
    IF v_as_of IS NULL THEN
        -- the first run: nothing is rolled up yet, the windows start today
        -- (no row at install, so a dump restores the one it holds)
        INSERT INTO oms.kpi_window_state (as_of) VALUES (v_today);
    ELSIF v_as_of <> v_today THEN
        -- days in (as_of - N, today - N] leave the N-day window (-1);
        -- when today is before as_of (a clock set back), days in
        -- (today - N, as_of - N] enter it (+1)
        v_sign := CASE WHEN v_as_of > v_today THEN 1 ELSE -1 END;
        INSERT INTO oms.kpi_item_window AS t (item_id, currency, lines_30d, units_30d, revenue_30d, revenue_90d)
        SELECT d.item_id, d.currency, sum(m.s30 * d.lines), sum(m.s30 * (d.units_ordered - d.units_cancelled)),
               sum(m.s30 * d.revenue), sum(m.s90 * d.revenue)
        FROM (VALUES (LEAST(v_as_of, v_today) - 30, GREATEST(v_as_of, v_today) - 30, v_sign, 0),
                     (LEAST(v_as_of, v_today) - 90, GREATEST(v_as_of, v_today) - 90, 0, v_sign))
             AS m(from_day, to_day, s30, s90)
        JOIN oms.kpi_item_day d ON d.day > m.from_day AND d.day <= m.to_day
        GROUP BY d.item_id, d.currency
        ON CONFLICT (item_id, currency) DO UPDATE SET
            lines_30d = t.lines_30d + EXCLUDED.lines_30d, units_30d = t.units_30d + EXCLUDED.units_30d,
            revenue_30d = t.revenue_30d + EXCLUDED.revenue_30d, revenue_90d = t.revenue_90d + EXCLUDED.revenue_90d;
        WITH c AS (
            SELECT d.item_id, d.location_id, sum(m.s30 * d.units_shipped) AS s30, sum(m.s90 * d.units_shipped) AS s90
            FROM (VALUES (LEAST(v_as_of, v_today) - 30, GREATEST(v_as_of, v_today) - 30, v_sign, 0),
                         (LEAST(v_as_of, v_today) - 90, GREATEST(v_as_of, v_today) - 90, 0, v_sign))
                 AS m(from_day, to_day, s30, s90)
            JOIN oms.kpi_stock_day d ON d.day > m.from_day AND d.day <= m.to_day
            GROUP BY d.item_id, d.location_id),
        l AS (
            UPDATE oms.kpi_stock_last t SET shipped_30d = t.shipped_30d + c.s30, shipped_90d = t.shipped_90d + c.s90
            FROM c WHERE t.item_id = c.item_id AND t.location_id = c.location_id)
        UPDATE oms.kpi_item_stock t SET shipped_30d = t.shipped_30d + x.s30, shipped_90d = t.shipped_90d + x.s90
        FROM (SELECT c.item_id, sum(c.s30) AS s30, sum(c.s90) AS s90 FROM c GROUP BY c.item_id) x
        WHERE t.item_id = x.item_id;
        UPDATE oms.kpi_window_state SET as_of = v_today;
    END IF;

    WITH d AS (DELETE FROM oms.kpi_sales_delta RETURNING *),
    h AS (
        INSERT INTO oms.kpi_sales_hour AS t
        SELECT pg_catalog.date_trunc('hour', d.placed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
               COALESCE(d.channel_id, 0), d.currency,
               sum(d.orders), sum(d.orders_cancelled), sum(d.subtotal), sum(d.tax), sum(d.shipping), sum(d.total),
               sum(d.lines) FILTER (WHERE NOT d.is_component),
               sum(d.units_ordered) FILTER (WHERE NOT d.is_component),
               sum(d.units_cancelled) FILTER (WHERE NOT d.is_component),
               sum(d.units_shipped) FILTER (WHERE NOT d.is_component),
               sum(d.units_returned) FILTER (WHERE NOT d.is_component),
               sum(d.stock_units), sum(d.units_filled), sum(d.units_backordered)
        FROM d GROUP BY 1, 2, 3
        ON CONFLICT (hour, channel_id, currency) DO UPDATE SET
            orders = t.orders + EXCLUDED.orders,
            orders_cancelled = t.orders_cancelled + EXCLUDED.orders_cancelled,
            subtotal = t.subtotal + EXCLUDED.subtotal, tax = t.tax + EXCLUDED.tax,
            shipping = t.shipping + EXCLUDED.shipping, total = t.total + EXCLUDED.total,
            lines = t.lines + COALESCE(EXCLUDED.lines, 0),
            units_ordered = t.units_ordered + COALESCE(EXCLUDED.units_ordered, 0),
            units_cancelled = t.units_cancelled + COALESCE(EXCLUDED.units_cancelled, 0),
            units_shipped = t.units_shipped + COALESCE(EXCLUDED.units_shipped, 0),
            units_returned = t.units_returned + COALESCE(EXCLUDED.units_returned, 0),
            stock_units = t.stock_units + EXCLUDED.stock_units,
            units_filled = t.units_filled + EXCLUDED.units_filled,
            units_backordered = t.units_backordered + EXCLUDED.units_backordered
        RETURNING 1),
    wh AS (
        INSERT INTO oms.kpi_sales_weekhour AS t
        SELECT pg_catalog.date_part('isodow', d.placed_at AT TIME ZONE 'UTC')::integer,
               pg_catalog.date_part('hour', d.placed_at AT TIME ZONE 'UTC')::integer,
               sum(d.orders), COALESCE(sum(d.units_ordered) FILTER (WHERE NOT d.is_component), 0)
        FROM d GROUP BY 1, 2
        ON CONFLICT (weekday, hour) DO UPDATE SET
            orders = t.orders + EXCLUDED.orders,
            units_ordered = t.units_ordered + EXCLUDED.units_ordered
        RETURNING 1),
    r AS (
        INSERT INTO oms.kpi_region_day AS t
        SELECT (d.placed_at AT TIME ZONE 'UTC')::date, d.currency, COALESCE(d.country, ''), COALESCE(d.region, ''),
               sum(d.orders), sum(d.orders_cancelled), sum(d.total)
        FROM d WHERE d.item_id IS NULL GROUP BY 1, 2, 3, 4
        ON CONFLICT (day, currency, country, region) DO UPDATE SET
            orders = t.orders + EXCLUDED.orders,
            orders_cancelled = t.orders_cancelled + EXCLUDED.orders_cancelled,
            total = t.total + EXCLUDED.total
        RETURNING 1),
    i AS (
        INSERT INTO oms.kpi_item_day AS t
        SELECT (d.placed_at AT TIME ZONE 'UTC')::date, d.item_id, d.currency,
               sum(d.lines), sum(d.units_ordered), sum(d.units_cancelled), sum(d.line_revenue)
        FROM d WHERE d.item_id IS NOT NULL GROUP BY 1, 2, 3
        ON CONFLICT (day, item_id, currency) DO UPDATE SET
            lines = t.lines + EXCLUDED.lines,
            units_ordered = t.units_ordered + EXCLUDED.units_ordered,
            units_cancelled = t.units_cancelled + EXCLUDED.units_cancelled,
            revenue = t.revenue + EXCLUDED.revenue
        RETURNING 1),
    iw AS (
        INSERT INTO oms.kpi_item_window AS t (item_id, currency, lines_30d, units_30d, revenue_30d, revenue_90d)
        SELECT d.item_id, d.currency,
               COALESCE(sum(d.lines) FILTER (WHERE (d.placed_at AT TIME ZONE 'UTC')::date > v_today - 30), 0),
               COALESCE(sum(d.units_ordered - d.units_cancelled) FILTER (WHERE (d.placed_at AT TIME ZONE 'UTC')::date > v_today - 30), 0),
               COALESCE(sum(d.line_revenue) FILTER (WHERE (d.placed_at AT TIME ZONE 'UTC')::date > v_today - 30), 0),
               sum(d.line_revenue)
        FROM d WHERE d.item_id IS NOT NULL AND (d.placed_at AT TIME ZONE 'UTC')::date > v_today - 90
        GROUP BY 1, 2
        ON CONFLICT (item_id, currency) DO UPDATE SET
            lines_30d = t.lines_30d + EXCLUDED.lines_30d, units_30d = t.units_30d + EXCLUDED.units_30d,
            revenue_30d = t.revenue_30d + EXCLUDED.revenue_30d, revenue_90d = t.revenue_90d + EXCLUDED.revenue_90d
        RETURNING 1),
    x AS (
        INSERT INTO oms.kpi_item_total AS t
        SELECT d.item_id, sum(d.lines), sum(d.units_ordered), sum(d.units_cancelled),
               sum(d.units_shipped), sum(d.units_returned)
        FROM d WHERE d.item_id IS NOT NULL GROUP BY 1
        ON CONFLICT (item_id) DO UPDATE SET
            lines = t.lines + EXCLUDED.lines,
            units_ordered = t.units_ordered + EXCLUDED.units_ordered,
            units_cancelled = t.units_cancelled + EXCLUDED.units_cancelled,
            units_shipped = t.units_shipped + EXCLUDED.units_shipped,
            units_returned = t.units_returned + EXCLUDED.units_returned
        RETURNING 1)
    SELECT (SELECT count(*) FROM d),
           (SELECT array_agg(DISTINCT pg_catalog.date_trunc('hour', d.placed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') FROM d),
           (SELECT array_agg(DISTINCT (d.placed_at AT TIME ZONE 'UTC')::date) FROM d)
      INTO m, v_hours, v_days;
    n := n + m;
    -- buckets a change moved out of (a cancelled order's hour stays; a
    -- moved placed_at's old hour nets to zero) are dropped
    DELETE FROM oms.kpi_sales_hour t WHERE t.hour = ANY (v_hours)
       AND t.orders = 0 AND t.orders_cancelled = 0 AND t.subtotal = 0 AND t.tax = 0 AND t.shipping = 0
       AND t.total = 0 AND t.lines = 0 AND t.units_ordered = 0 AND t.units_cancelled = 0 AND t.units_shipped = 0
       AND t.units_returned = 0 AND t.stock_units = 0 AND t.units_filled = 0 AND t.units_backordered = 0;
    -- A day is the sum of its hours: the days folded into are summed again
    -- from their hours (24 x channels x currencies rows each), rather than
    -- folding the same deltas into a second rollup with the same arithmetic.
    DELETE FROM oms.kpi_sales_day t WHERE t.day = ANY (v_days);
    INSERT INTO oms.kpi_sales_day (day, channel_id, currency, orders, orders_cancelled, subtotal, tax, shipping,
                                   total, lines, units_ordered, units_cancelled, units_shipped, units_returned,
                                   stock_units, units_filled, units_backordered)
    SELECT v.day, h.channel_id, h.currency, sum(h.orders), sum(h.orders_cancelled), sum(h.subtotal), sum(h.tax),
           sum(h.shipping), sum(h.total), sum(h.lines), sum(h.units_ordered), sum(h.units_cancelled),
           sum(h.units_shipped), sum(h.units_returned), sum(h.stock_units), sum(h.units_filled),
           sum(h.units_backordered)
    FROM pg_catalog.unnest(v_days) AS v(day)
    JOIN oms.kpi_sales_hour h ON h.hour >= (v.day::timestamp AT TIME ZONE 'UTC')
                             AND h.hour < ((v.day + 1)::timestamp AT TIME ZONE 'UTC')
    GROUP BY v.day, h.channel_id, h.currency;
    DELETE FROM oms.kpi_sales_day t WHERE t.day = ANY (v_days)
       AND t.orders = 0 AND t.orders_cancelled = 0 AND t.subtotal = 0 AND t.tax = 0 AND t.shipping = 0
       AND t.total = 0 AND t.lines = 0 AND t.units_ordered = 0 AND t.units_cancelled = 0 AND t.units_shipped = 0
       AND t.units_returned = 0 AND t.stock_units = 0 AND t.units_filled = 0 AND t.units_backordered = 0;
    DELETE FROM oms.kpi_sales_weekhour t WHERE t.orders = 0 AND t.units_ordered = 0;
    DELETE FROM oms.kpi_region_day t WHERE t.day = ANY (v_days)
       AND t.orders = 0 AND t.orders_cancelled = 0 AND t.total = 0;
    DELETE FROM oms.kpi_item_day t WHERE t.day = ANY (v_days)
       AND t.lines = 0 AND t.units_ordered = 0 AND t.units_cancelled = 0 AND t.revenue = 0;
    DELETE FROM oms.kpi_item_window t
     WHERE t.lines_30d = 0 AND t.units_30d = 0 AND t.revenue_30d = 0 AND t.revenue_90d = 0;

    WITH d AS (DELETE FROM oms.kpi_shipment_delta RETURNING *),
    s AS (
        INSERT INTO oms.kpi_shipment_day AS t
        SELECT d.kind, d.day, d.location_id, COALESCE(d.carrier_id, 0),
               sum(d.shipments), sum(d.with_promise), sum(d.on_time), sum(d.extra), sum(d.late)
        FROM d GROUP BY 1, 2, 3, 4
        ON CONFLICT (kind, day, location_id, carrier_id) DO UPDATE SET
            shipments = t.shipments + EXCLUDED.shipments,
            with_promise = t.with_promise + EXCLUDED.with_promise,
            on_time = t.on_time + EXCLUDED.on_time,
            extra = t.extra + EXCLUDED.extra,
            late = t.late + EXCLUDED.late
        RETURNING 1),
    h AS (
        INSERT INTO oms.kpi_duration_day AS t
        SELECT d.kind, d.day, d.hours, sum(d.shipments)
        FROM d WHERE d.hours IS NOT NULL GROUP BY 1, 2, 3
        ON CONFLICT (kind, day, hours) DO UPDATE SET n = t.n + EXCLUDED.n
        RETURNING 1)
    SELECT (SELECT count(*) FROM d), (SELECT array_agg(DISTINCT d.day) FROM d) INTO m, v_days;
    n := n + m;
    DELETE FROM oms.kpi_shipment_day t WHERE t.day = ANY (v_days)
       AND t.shipments = 0 AND t.with_promise = 0 AND t.on_time = 0 AND t.extra = 0 AND t.late = 0;
    DELETE FROM oms.kpi_duration_day t WHERE t.day = ANY (v_days) AND t.n = 0;
    -- the medians and percentiles of the days folded into, recomputed
    DELETE FROM oms.kpi_duration_stats t WHERE t.day = ANY (v_days);
    INSERT INTO oms.kpi_duration_stats (kind, day, shipments, median_hours, p90_hours, max_hours)
    SELECT c.kind, c.day, max(c.total),
           min(c.hours) FILTER (WHERE c.running >= 0.5 * c.total),
           min(c.hours) FILTER (WHERE c.running >= 0.9 * c.total),
           max(c.hours)
    FROM (SELECT d.kind, d.day, d.hours,
                 sum(d.n) OVER (PARTITION BY d.kind, d.day ORDER BY d.hours) AS running,
                 sum(d.n) OVER (PARTITION BY d.kind, d.day) AS total
          FROM oms.kpi_duration_day d WHERE d.day = ANY (v_days)) c
    GROUP BY c.kind, c.day;

    WITH d AS (DELETE FROM oms.kpi_stock_delta RETURNING *),
    s AS (
        INSERT INTO oms.kpi_stock_day AS t
        SELECT d.item_id, d.location_id, d.day, sum(d.units_shipped), sum(d.units_received)
        FROM d WHERE d.units_shipped <> 0 OR d.units_received <> 0 GROUP BY 1, 2, 3
        ON CONFLICT (item_id, location_id, day) DO UPDATE SET
            units_shipped = t.units_shipped + EXCLUDED.units_shipped,
            units_received = t.units_received + EXCLUDED.units_received
        RETURNING 1),
    l AS (
        INSERT INTO oms.kpi_stock_last AS t (item_id, location_id, last_shipped_at, last_received_at, shipped_30d, shipped_90d)
        SELECT d.item_id, d.location_id,
               max(d.at) FILTER (WHERE d.units_shipped > 0),
               max(d.at) FILTER (WHERE d.units_received > 0),
               COALESCE(sum(d.units_shipped) FILTER (WHERE d.day > v_today - 30), 0),
               COALESCE(sum(d.units_shipped) FILTER (WHERE d.day > v_today - 90), 0)
        FROM d GROUP BY 1, 2
        ON CONFLICT (item_id, location_id) DO UPDATE SET
            last_shipped_at = GREATEST(t.last_shipped_at, EXCLUDED.last_shipped_at),
            last_received_at = GREATEST(t.last_received_at, EXCLUDED.last_received_at),
            shipped_30d = t.shipped_30d + EXCLUDED.shipped_30d,
            shipped_90d = t.shipped_90d + EXCLUDED.shipped_90d
        RETURNING 1),
    st AS (
        INSERT INTO oms.kpi_item_stock AS t (item_id, on_hand, shipped_30d, shipped_90d, last_shipped_at)
        SELECT d.item_id, sum(d.on_hand_delta),
               COALESCE(sum(d.units_shipped) FILTER (WHERE d.day > v_today - 30), 0),
               COALESCE(sum(d.units_shipped) FILTER (WHERE d.day > v_today - 90), 0),
               max(d.at) FILTER (WHERE d.units_shipped > 0)
        FROM d GROUP BY 1
        ON CONFLICT (item_id) DO UPDATE SET
            on_hand = t.on_hand + EXCLUDED.on_hand,
            shipped_30d = t.shipped_30d + EXCLUDED.shipped_30d,
            shipped_90d = t.shipped_90d + EXCLUDED.shipped_90d,
            last_shipped_at = GREATEST(t.last_shipped_at, EXCLUDED.last_shipped_at)
        RETURNING 1)
    SELECT (SELECT count(*) FROM d) INTO m;
    n := n + m;
    RETURN n;
END
$$;
COMMENT ON FUNCTION oms.refresh_kpis() IS 'Roll the KPI delta rows this transaction can see up into the hourly and daily rollups (the job oms-refresh-kpis, every minute).  The views add what is not rolled up yet, so this changes speed, never answers.  Returns the delta rows folded; 0 when another refresh is running.';

-- ---------------------------------------------------------------------------
-- The views
-- ---------------------------------------------------------------------------

-- Sales per hour, rolled up + tail: the base of the sales views.
CREATE VIEW oms.kpi_sales_hourly AS
WITH t AS NOT MATERIALIZED (
    -- the tail, per bucket
    SELECT pg_catalog.date_trunc('hour', d.placed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
           COALESCE(d.channel_id, 0) AS channel_id, d.currency,
           sum(d.orders)::bigint AS orders, sum(d.orders_cancelled)::bigint AS orders_cancelled,
           sum(CASE WHEN d.is_component THEN 0 ELSE d.units_ordered END)::bigint AS units_ordered,
           sum(CASE WHEN d.is_component THEN 0 ELSE d.units_cancelled END)::bigint AS units_cancelled,
           sum(CASE WHEN d.is_component THEN 0 ELSE d.units_shipped END)::bigint AS units_shipped,
           sum(CASE WHEN d.is_component THEN 0 ELSE d.units_returned END)::bigint AS units_returned,
           sum(d.subtotal)::numeric(16,2) AS subtotal, sum(d.tax)::numeric(16,2) AS tax,
           sum(d.shipping)::numeric(16,2) AS shipping, sum(d.total)::numeric(16,2) AS total,
           sum(d.stock_units)::bigint AS stock_units, sum(d.units_filled)::bigint AS units_filled,
           sum(d.units_backordered)::bigint AS units_backordered
    FROM oms.kpi_sales_delta d
    GROUP BY 1, 2, 3
)
SELECT x.hour,
       c.code AS channel,
       x.currency,
       x.orders::bigint AS orders,
       x.orders_cancelled::bigint AS orders_cancelled,
       x.units_ordered::bigint AS units_ordered,
       x.units_cancelled::bigint AS units_cancelled,
       x.units_shipped::bigint AS units_shipped,
       x.units_returned::bigint AS units_returned,
       x.subtotal::numeric(16,2) AS subtotal,
       x.tax::numeric(16,2) AS tax,
       x.shipping::numeric(16,2) AS shipping,
       x.total::numeric(16,2) AS revenue,
       x.stock_units::bigint AS stock_units_ordered,
       x.units_filled::bigint AS units_filled,
       x.units_backordered::bigint AS units_backordered
FROM (
    -- every rolled-up hour with the tail of its bucket added (money as
    -- numeric(16,2) throughout, so the casts above cost nothing) ...
    SELECT h.hour, h.channel_id, h.currency,
           h.orders + COALESCE(t.orders, 0) AS orders,
           h.orders_cancelled + COALESCE(t.orders_cancelled, 0) AS orders_cancelled,
           h.units_ordered + COALESCE(t.units_ordered, 0) AS units_ordered,
           h.units_cancelled + COALESCE(t.units_cancelled, 0) AS units_cancelled,
           h.units_shipped + COALESCE(t.units_shipped, 0) AS units_shipped,
           h.units_returned + COALESCE(t.units_returned, 0) AS units_returned,
           CASE WHEN t.hour IS NULL THEN h.subtotal ELSE (h.subtotal + t.subtotal)::numeric(16,2) END AS subtotal,
           CASE WHEN t.hour IS NULL THEN h.tax ELSE (h.tax + t.tax)::numeric(16,2) END AS tax,
           CASE WHEN t.hour IS NULL THEN h.shipping ELSE (h.shipping + t.shipping)::numeric(16,2) END AS shipping,
           CASE WHEN t.hour IS NULL THEN h.total ELSE (h.total + t.total)::numeric(16,2) END AS total,
           h.stock_units + COALESCE(t.stock_units, 0) AS stock_units,
           h.units_filled + COALESCE(t.units_filled, 0) AS units_filled,
           h.units_backordered + COALESCE(t.units_backordered, 0) AS units_backordered
    FROM oms.kpi_sales_hour h
    LEFT JOIN t ON t.hour = h.hour AND t.channel_id = h.channel_id AND t.currency = h.currency
    UNION ALL
    -- ... and the tail's buckets not rolled up yet
    SELECT t.hour, t.channel_id, t.currency, t.orders, t.orders_cancelled, t.units_ordered, t.units_cancelled,
           t.units_shipped, t.units_returned, t.subtotal, t.tax, t.shipping, t.total, t.stock_units,
           t.units_filled, t.units_backordered
    FROM t
    WHERE NOT EXISTS (SELECT 1 FROM oms.kpi_sales_hour h
                      WHERE h.hour = t.hour AND h.channel_id = t.channel_id AND h.currency = t.currency)
) x
LEFT JOIN oms.channel c ON c.channel_id = x.channel_id
WHERE x.orders <> 0 OR x.units_ordered <> 0 OR x.total <> 0;
COMMENT ON VIEW oms.kpi_sales_hourly IS 'Orders placed per UTC hour, channel and currency: counts, units and money (never summed across currencies), exact (rollup plus the rows not rolled up yet).';

CREATE VIEW oms.kpi_sales_daily AS
SELECT x.day,
       c.code AS channel,
       x.currency,
       sum(x.orders)::bigint AS orders,
       sum(x.orders_cancelled)::bigint AS orders_cancelled,
       sum(x.units_ordered)::bigint AS units_ordered,
       sum(x.units_cancelled)::bigint AS units_cancelled,
       sum(x.units_shipped)::bigint AS units_shipped,
       sum(x.units_returned)::bigint AS units_returned,
       sum(x.total)::numeric(16,2) AS revenue,
       sum(x.subtotal)::numeric(16,2) AS subtotal,
       sum(x.tax)::numeric(16,2) AS tax,
       sum(x.shipping)::numeric(16,2) AS shipping,
       round(sum(x.total) / NULLIF(sum(x.orders) - sum(x.orders_cancelled), 0), 2) AS average_order_value,
       sum(x.stock_units)::bigint AS stock_units_ordered,
       sum(x.units_filled)::bigint AS units_filled,
       sum(x.units_backordered)::bigint AS units_backordered
FROM (
    SELECT h.day, h.channel_id, h.currency, h.orders, h.orders_cancelled, h.units_ordered,
           h.units_cancelled, h.units_shipped, h.units_returned, h.subtotal, h.tax, h.shipping,
           h.total, h.stock_units, h.units_filled, h.units_backordered
    FROM oms.kpi_sales_day h
    UNION ALL
    SELECT (d.placed_at AT TIME ZONE 'UTC')::date,
           COALESCE(d.channel_id, 0), d.currency, d.orders, d.orders_cancelled,
           CASE WHEN d.is_component THEN 0 ELSE d.units_ordered END,
           CASE WHEN d.is_component THEN 0 ELSE d.units_cancelled END,
           CASE WHEN d.is_component THEN 0 ELSE d.units_shipped END,
           CASE WHEN d.is_component THEN 0 ELSE d.units_returned END,
           d.subtotal, d.tax, d.shipping, d.total, d.stock_units, d.units_filled, d.units_backordered
    FROM oms.kpi_sales_delta d
) x
LEFT JOIN oms.channel c ON c.channel_id = x.channel_id
GROUP BY x.day, c.code, x.currency
HAVING sum(x.orders) <> 0 OR sum(x.units_ordered) <> 0 OR sum(x.total) <> 0;
COMMENT ON VIEW oms.kpi_sales_daily IS 'Sales per UTC day of placement, channel and currency.  revenue = total (subtotal + tax + shipping) of the orders not cancelled, as they stand (cancelled units are out of the subtotal); average_order_value = revenue / orders not cancelled.';

CREATE VIEW oms.kpi_sales_by_channel AS
SELECT s.channel,
       s.currency,
       min(s.day) AS first_day,
       max(s.day) AS last_day,
       sum(s.orders)::bigint AS orders,
       sum(s.orders_cancelled)::bigint AS orders_cancelled,
       sum(s.units_ordered)::bigint AS units_ordered,
       sum(s.revenue)::numeric(16,2) AS revenue,
       round(sum(s.revenue) / NULLIF(sum(s.orders) - sum(s.orders_cancelled), 0), 2) AS average_order_value
FROM oms.kpi_sales_daily s
GROUP BY s.channel, s.currency;
COMMENT ON VIEW oms.kpi_sales_by_channel IS 'Sales over all time per channel and currency, with the average order value (revenue / orders not cancelled).';

CREATE VIEW oms.kpi_peak_hours AS
SELECT x.weekday,
       (ARRAY['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])[x.weekday] AS weekday_name,
       x.hour,
       sum(x.orders)::bigint AS orders,
       sum(x.units_ordered)::bigint AS units_ordered,
       round(sum(x.orders) / NULLIF(sum(sum(x.orders)) OVER (), 0), 4) AS share_of_orders
FROM (
    SELECT w.weekday, w.hour, w.orders, w.units_ordered FROM oms.kpi_sales_weekhour w
    UNION ALL
    SELECT pg_catalog.date_part('isodow', d.placed_at AT TIME ZONE 'UTC')::integer,
           pg_catalog.date_part('hour', d.placed_at AT TIME ZONE 'UTC')::integer,
           d.orders, CASE WHEN d.is_component THEN 0 ELSE d.units_ordered END
    FROM oms.kpi_sales_delta d
) x
GROUP BY x.weekday, x.hour
HAVING sum(x.orders) <> 0 OR sum(x.units_ordered) <> 0;
COMMENT ON VIEW oms.kpi_peak_hours IS 'When orders are placed: orders and units per ISO weekday (1 Monday .. 7 Sunday) and UTC hour of day over all time, and the share of all orders.';

-- Items: the last N days of item_day + tail
CREATE VIEW oms.kpi_item_sales_daily AS
WITH t AS NOT MATERIALIZED (
    SELECT (d.placed_at AT TIME ZONE 'UTC')::date AS day, d.item_id, d.currency,
           sum(d.lines)::bigint AS lines, sum(d.units_ordered)::bigint AS units_ordered,
           sum(d.units_cancelled)::bigint AS units_cancelled, sum(d.line_revenue)::numeric(16,2) AS revenue
    FROM oms.kpi_sales_delta d
    WHERE d.item_id IS NOT NULL
    GROUP BY 1, 2, 3
)
SELECT x.day,
       i.sku,
       x.currency,
       x.lines::bigint AS lines,
       x.units_ordered::bigint AS units_ordered,
       x.units_cancelled::bigint AS units_cancelled,
       x.revenue::numeric(16,2) AS revenue,
       x.item_id
FROM (
    SELECT r.day, r.item_id, r.currency,
           r.lines + COALESCE(t.lines, 0) AS lines,
           r.units_ordered + COALESCE(t.units_ordered, 0) AS units_ordered,
           r.units_cancelled + COALESCE(t.units_cancelled, 0) AS units_cancelled,
           CASE WHEN t.day IS NULL THEN r.revenue ELSE (r.revenue + t.revenue)::numeric(16,2) END AS revenue
    FROM oms.kpi_item_day r
    LEFT JOIN t ON t.day = r.day AND t.item_id = r.item_id AND t.currency = r.currency
    UNION ALL
    SELECT t.day, t.item_id, t.currency, t.lines, t.units_ordered, t.units_cancelled, t.revenue
    FROM t
    WHERE NOT EXISTS (SELECT 1 FROM oms.kpi_item_day r
                      WHERE r.day = t.day AND r.item_id = t.item_id AND r.currency = t.currency)
) x
JOIN oms.item i ON i.item_id = x.item_id
WHERE x.lines <> 0 OR x.units_ordered <> 0 OR x.revenue <> 0;
COMMENT ON VIEW oms.kpi_item_sales_daily IS 'Units and revenue per UTC day of placement, item and currency (component lines count units, their bundle line carries the revenue).';

CREATE VIEW oms.kpi_top_products AS
WITH c AS NOT MATERIALIZED (
    -- what the summary as of kpi_window_state.as_of lacks today: the
    -- rolled-up days that entered (+) or left (-) the window since, and the
    -- tail
    SELECT x.item_id, x.currency, sum(x.lines) AS lines, sum(x.units) AS units, sum(x.revenue) AS revenue
    FROM (
        SELECT d.item_id, d.currency, m.s * d.lines AS lines, m.s * (d.units_ordered - d.units_cancelled) AS units,
               m.s * d.revenue AS revenue
        FROM (SELECT b.from_day, b.to_day, b.s30, b.s90
              FROM oms.kpi_window_state k
              CROSS JOIN LATERAL (SELECT (pg_catalog.now() AT TIME ZONE 'UTC')::date AS today) n
              -- the days that left (-1) or entered (+1) each window since as_of
              CROSS JOIN LATERAL (VALUES
                  (LEAST(k.as_of, n.today) - 30, GREATEST(k.as_of, n.today) - 30, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END, 0),
                  (LEAST(k.as_of, n.today) - 90, GREATEST(k.as_of, n.today) - 90, 0, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END))
                  AS b(from_day, to_day, s30, s90)
              WHERE b.s30 <> 0) w
        JOIN oms.kpi_item_day d ON d.day > w.from_day AND d.day <= w.to_day
        CROSS JOIN LATERAL (SELECT w.s30 AS s) m
        UNION ALL
        SELECT t.item_id, t.currency, t.lines, t.units_ordered - t.units_cancelled, t.line_revenue
        FROM oms.kpi_sales_delta t
        WHERE t.item_id IS NOT NULL AND (t.placed_at AT TIME ZONE 'UTC')::date > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 30
    ) x
    GROUP BY x.item_id, x.currency
), w AS (
    SELECT s.item_id, s.currency,
           s.lines_30d + COALESCE(c.lines, 0) AS lines,
           s.units_30d + COALESCE(c.units, 0) AS units,
           CASE WHEN c.item_id IS NULL THEN s.revenue_30d ELSE s.revenue_30d + c.revenue END AS revenue
    FROM oms.kpi_item_window s
    LEFT JOIN c ON c.item_id = s.item_id AND c.currency = s.currency
    UNION ALL
    SELECT c.item_id, c.currency, c.lines, c.units, c.revenue
    FROM c
    WHERE NOT EXISTS (SELECT 1 FROM oms.kpi_item_window s WHERE s.item_id = c.item_id AND s.currency = c.currency)
)
SELECT w.currency,
       rank() OVER (PARTITION BY w.currency ORDER BY w.revenue DESC, w.units DESC)::integer AS rank,
       i.sku,
       i.name AS item_name,
       w.lines::bigint AS order_lines_30d,
       w.units::bigint AS units_30d,
       w.revenue::numeric(16,2) AS revenue_30d,
       w.item_id
FROM w JOIN oms.item i ON i.item_id = w.item_id
WHERE w.units <> 0 OR w.revenue <> 0;
COMMENT ON VIEW oms.kpi_top_products IS 'Items ranked by revenue (then units) per currency over the last 30 UTC days of placement, today included; units are net of cancelled units.  ORDER BY currency, rank LIMIT n for the top n.';

CREATE VIEW oms.kpi_abc_classes AS
WITH c AS NOT MATERIALIZED (
    SELECT x.item_id, x.currency, sum(x.revenue) AS revenue
    FROM (
        SELECT d.item_id, d.currency, m.s * d.revenue AS revenue
        FROM (SELECT b.from_day, b.to_day, b.s30, b.s90
              FROM oms.kpi_window_state k
              CROSS JOIN LATERAL (SELECT (pg_catalog.now() AT TIME ZONE 'UTC')::date AS today) n
              -- the days that left (-1) or entered (+1) each window since as_of
              CROSS JOIN LATERAL (VALUES
                  (LEAST(k.as_of, n.today) - 30, GREATEST(k.as_of, n.today) - 30, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END, 0),
                  (LEAST(k.as_of, n.today) - 90, GREATEST(k.as_of, n.today) - 90, 0, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END))
                  AS b(from_day, to_day, s30, s90)
              WHERE b.s90 <> 0) w
        JOIN oms.kpi_item_day d ON d.day > w.from_day AND d.day <= w.to_day
        CROSS JOIN LATERAL (SELECT w.s90 AS s) m
        UNION ALL
        SELECT t.item_id, t.currency, t.line_revenue
        FROM oms.kpi_sales_delta t
        WHERE t.item_id IS NOT NULL AND (t.placed_at AT TIME ZONE 'UTC')::date > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 90
    ) x
    GROUP BY x.item_id, x.currency
), w AS (
    SELECT y.item_id, y.currency, y.revenue
    FROM (
        SELECT s.item_id, s.currency,
               CASE WHEN c.item_id IS NULL THEN s.revenue_90d ELSE s.revenue_90d + c.revenue END AS revenue
        FROM oms.kpi_item_window s
        LEFT JOIN c ON c.item_id = s.item_id AND c.currency = s.currency
        UNION ALL
        SELECT c.item_id, c.currency, c.revenue
        FROM c
        WHERE NOT EXISTS (SELECT 1 FROM oms.kpi_item_window s WHERE s.item_id = c.item_id AND s.currency = c.currency)
    ) y
    WHERE y.revenue > 0
), r AS (
    SELECT w.*,
           sum(w.revenue) OVER (PARTITION BY w.currency ORDER BY w.revenue DESC, w.item_id
                                ROWS UNBOUNDED PRECEDING) AS running,
           sum(w.revenue) OVER (PARTITION BY w.currency) AS all_revenue
    FROM w
)
SELECT r.currency,
       i.sku,
       i.name AS item_name,
       r.revenue::numeric(16,2) AS revenue_90d,
       round(r.revenue / r.all_revenue, 4) AS revenue_share,
       round(r.running / r.all_revenue, 4) AS cumulative_share,
       CASE WHEN r.running - r.revenue < 0.80 * r.all_revenue THEN 'A'
            WHEN r.running - r.revenue < 0.95 * r.all_revenue THEN 'B'
            ELSE 'C' END AS abc_class,
       r.item_id
FROM r JOIN oms.item i ON i.item_id = r.item_id;
COMMENT ON VIEW oms.kpi_abc_classes IS 'ABC classes by revenue over the last 90 UTC days, per currency: items in falling revenue order; an item is A while the revenue before it is under 80% of the total, B under 95%, else C (so A holds about 80% of revenue, B 15%, C 5%).  Items without revenue are not listed.';

CREATE VIEW oms.kpi_sales_by_region AS
SELECT x.day,
       NULLIF(x.country, '') AS country,
       NULLIF(x.region, '') AS region,
       x.currency,
       sum(x.orders)::bigint AS orders,
       sum(x.orders_cancelled)::bigint AS orders_cancelled,
       sum(x.total)::numeric(16,2) AS revenue
FROM (
    SELECT r.day, r.country, r.region, r.currency, r.orders, r.orders_cancelled, r.total
    FROM oms.kpi_region_day r
    UNION ALL
    SELECT (d.placed_at AT TIME ZONE 'UTC')::date, COALESCE(d.country, ''), COALESCE(d.region, ''),
           d.currency, d.orders, d.orders_cancelled, d.total
    FROM oms.kpi_sales_delta d WHERE d.item_id IS NULL
) x
GROUP BY x.day, x.country, x.region, x.currency
HAVING sum(x.orders) <> 0 OR sum(x.total) <> 0;
COMMENT ON VIEW oms.kpi_sales_by_region IS 'Orders and revenue per UTC day of placement, ship-to country and region (from the order''s ship_to; NULL when it has none) and currency.';

CREATE VIEW oms.kpi_fulfillment_daily AS
SELECT s.day,
       sum(s.orders)::bigint AS orders,
       sum(s.orders_cancelled)::bigint AS orders_cancelled,
       round(sum(s.orders_cancelled) / NULLIF(sum(s.orders), 0), 4) AS cancellation_rate,
       sum(s.stock_units_ordered)::bigint AS stock_units_ordered,
       sum(s.units_filled)::bigint AS units_filled,
       sum(s.units_backordered)::bigint AS units_backordered,
       round(sum(s.units_filled) / NULLIF(sum(s.stock_units_ordered), 0), 4) AS fill_rate,
       round(sum(s.units_backordered) / NULLIF(sum(s.stock_units_ordered), 0), 4) AS backorder_rate
FROM oms.kpi_sales_daily s
GROUP BY 1;
COMMENT ON VIEW oms.kpi_fulfillment_daily IS 'Fill, backorder and cancellation rates per UTC day of placement.  fill_rate = units reserved from stock when the line was written / units ordered on stock lines (items and bundle components); backorder_rate = units backordered then / the same; cancellation_rate = orders cancelled since / orders placed.';

CREATE VIEW oms.kpi_shipping_daily AS
SELECT x.day,
       l.code AS location,
       c.code AS carrier,
       (sum(x.shipments) FILTER (WHERE x.kind = 'S'))::bigint AS shipments,
       (sum(x.with_promise) FILTER (WHERE x.kind = 'S'))::bigint AS shipments_with_promise,
       (sum(x.on_time) FILTER (WHERE x.kind = 'S'))::bigint AS shipped_on_time,
       round(sum(x.on_time) FILTER (WHERE x.kind = 'S')
             / NULLIF(sum(x.with_promise) FILTER (WHERE x.kind = 'S'), 0), 4) AS on_time_rate,
       (sum(x.extra) FILTER (WHERE x.kind = 'S'))::bigint AS split_shipments,
       round(sum(x.extra) FILTER (WHERE x.kind = 'S')
             / NULLIF(sum(x.shipments) FILTER (WHERE x.kind = 'S'), 0), 4) AS split_shipment_rate,
       (sum(x.shipments) FILTER (WHERE x.kind = 'D'))::bigint AS delivered,
       (sum(x.late) FILTER (WHERE x.kind = 'D'))::bigint AS delivered_late,
       round(sum(x.late) FILTER (WHERE x.kind = 'D')
             / NULLIF(sum(x.shipments) FILTER (WHERE x.kind = 'D'), 0), 4) AS late_delivery_rate
FROM (
    SELECT s.kind, s.day, s.location_id, s.carrier_id, s.shipments, s.with_promise, s.on_time, s.extra, s.late
    FROM oms.kpi_shipment_day s
    UNION ALL
    SELECT d.kind, d.day, d.location_id, COALESCE(d.carrier_id, 0), d.shipments, d.with_promise, d.on_time, d.extra, d.late
    FROM oms.kpi_shipment_delta d
) x
JOIN oms.location l ON l.location_id = x.location_id
LEFT JOIN oms.carrier c ON c.carrier_id = x.carrier_id
GROUP BY x.day, l.code, c.code
HAVING sum(x.shipments) <> 0;
COMMENT ON VIEW oms.kpi_shipping_daily IS 'Shipments per UTC day, location and carrier: shipped that day (on time = shipped at or before the order''s promised_at, among orders with a promise; split = not the first shipment of its order to ship), and delivered that day (late = after the estimated delivery date).';

CREATE VIEW oms.kpi_shipping_times AS
WITH t AS NOT MATERIALIZED (
    SELECT s.kind, s.day, s.hours, sum(s.shipments) AS n
    FROM oms.kpi_shipment_delta s
    WHERE s.hours IS NOT NULL
    GROUP BY 1, 2, 3
), h AS (
    -- the days the tail touches: their histogram, rolled up plus tail
    SELECT x.kind, x.day, x.hours, sum(x.n) AS n
    FROM (
        SELECT d.kind, d.day, d.hours, d.n
        FROM oms.kpi_duration_day d
        WHERE (d.kind, d.day) IN (SELECT t.kind, t.day FROM t)
        UNION ALL
        SELECT t.kind, t.day, t.hours, t.n FROM t
    ) x
    GROUP BY x.kind, x.day, x.hours
    HAVING sum(x.n) <> 0
), c AS (
    SELECT h.*,
           sum(h.n) OVER (PARTITION BY h.kind, h.day ORDER BY h.hours) AS running,
           sum(h.n) OVER (PARTITION BY h.kind, h.day) AS total
    FROM h
)
-- every other day as refresh_kpis() left it ...
SELECT s.day,
       CASE s.kind WHEN 'S' THEN 'placed_to_shipped' ELSE 'shipped_to_delivered' END AS measure,
       s.shipments,
       s.median_hours,
       s.p90_hours,
       s.max_hours
FROM oms.kpi_duration_stats s
WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.kind = s.kind AND t.day = s.day)
UNION ALL
-- ... and the days the tail touches, recomputed
SELECT c.day,
       CASE c.kind WHEN 'S' THEN 'placed_to_shipped' ELSE 'shipped_to_delivered' END,
       max(c.total)::bigint,
       min(c.hours) FILTER (WHERE c.running >= 0.5 * c.total),
       min(c.hours) FILTER (WHERE c.running >= 0.9 * c.total),
       max(c.hours)
FROM c
GROUP BY c.day, c.kind;
COMMENT ON VIEW oms.kpi_shipping_times IS 'Placed-to-shipped (per ship day) and shipped-to-delivered (per delivery day) times in whole hours, rounded up: the median and 90th percentile are the smallest hour count that at least 50% / 90% of that day''s shipments took no longer than.';

CREATE VIEW oms.kpi_returns_by_product AS
WITH t AS NOT MATERIALIZED (
    SELECT d.item_id, sum(d.units_shipped) AS units_shipped, sum(d.units_returned) AS units_returned
    FROM oms.kpi_sales_delta d
    WHERE d.item_id IS NOT NULL
    GROUP BY 1
)
SELECT i.sku,
       i.name AS item_name,
       x.units_shipped::bigint AS units_shipped,
       x.units_returned::bigint AS units_returned,
       round(x.units_returned / NULLIF(x.units_shipped, 0), 4) AS return_rate,
       x.item_id
FROM (
    SELECT r.item_id,
           r.units_shipped + COALESCE(t.units_shipped, 0) AS units_shipped,
           r.units_returned + COALESCE(t.units_returned, 0) AS units_returned
    FROM oms.kpi_item_total r
    LEFT JOIN t ON t.item_id = r.item_id
    UNION ALL
    SELECT t.item_id, t.units_shipped, t.units_returned
    FROM t
    WHERE NOT EXISTS (SELECT 1 FROM oms.kpi_item_total r WHERE r.item_id = t.item_id)
) x
JOIN oms.item i ON i.item_id = x.item_id
WHERE x.units_shipped <> 0;
COMMENT ON VIEW oms.kpi_returns_by_product IS 'Return rate per item over all time: units received back on returns / units shipped (order lines'' qty_returned and qty_shipped).';

CREATE VIEW oms.kpi_returns_by_reason AS
WITH r AS (
    SELECT rl.reason_code,
           count(DISTINCT rl.rma_id) AS returns,
           sum(rl.qty) AS units_requested,
           sum(rl.qty_received) AS units_received,
           sum(rl.qty_damaged) AS units_damaged
    FROM oms.return_line rl
    JOIN oms.return_authorization a ON a.rma_id = rl.rma_id
    WHERE a.status NOT IN ('rejected', 'cancelled')
    GROUP BY rl.reason_code
), s AS (
    SELECT sum(x.units_shipped) AS units_shipped
    FROM (SELECT t.units_shipped FROM oms.kpi_item_total t
          UNION ALL
          SELECT d.units_shipped FROM oms.kpi_sales_delta d WHERE d.item_id IS NOT NULL AND NOT d.is_component) x
)
SELECT r.reason_code,
       r.returns::bigint AS returns,
       r.units_requested::bigint AS units_requested,
       r.units_received::bigint AS units_received,
       r.units_damaged::bigint AS units_damaged,
       round(r.units_requested / NULLIF(sum(r.units_requested) OVER (), 0), 4) AS share_of_returned_units,
       round(r.units_requested / NULLIF(s.units_shipped, 0), 4) AS return_rate
FROM r CROSS JOIN s;
COMMENT ON VIEW oms.kpi_returns_by_reason IS 'Returns per reason (not rejected or cancelled): authorizations, units requested, received and damaged, the reason''s share of returned units and its rate = units requested / all units shipped (item and bundle lines).';

CREATE VIEW oms.kpi_refunds_daily AS
SELECT (p.created_at AT TIME ZONE 'UTC')::date AS day,
       p.currency::text AS currency,
       count(*)::bigint AS refunds,
       sum(p.amount)::numeric(16,2) AS refund_amount,
       count(DISTINCT p.order_id)::bigint AS orders_refunded
FROM oms.payment p
WHERE p.kind = 'refund'
GROUP BY 1, 2;
COMMENT ON VIEW oms.kpi_refunds_daily IS 'Refunds recorded per UTC day and currency (the payment ledger''s refund rows; an append-only ledger read through its refund index).';

CREATE VIEW oms.kpi_inventory AS
SELECT i.sku,
       l.code AS location,
       v.on_hand,
       v.reserved,
       v.available,
       v.incoming,
       v.reorder_point,
       v.reorder_point IS NOT NULL AND v.available::numeric + v.incoming <= v.reorder_point AS below_reorder_point,
       cost.unit_cost,
       round(v.on_hand * cost.unit_cost, 2) AS stock_value,
       w.shipped_30d AS units_shipped_30d,
       w.shipped_90d AS units_shipped_90d,
       -- (most item-locations shipped nothing: their rates are constants,
       -- without numeric arithmetic on every one of a million rows)
       CASE WHEN v.on_hand = 0 THEN NULL
            WHEN w.shipped_90d = 0 THEN 0.00
            ELSE round(w.shipped_90d * (365.0 / 90) / v.on_hand, 2) END AS turnover,
       CASE WHEN w.shipped_30d = 0 THEN NULL
            ELSE round(v.available / (w.shipped_30d / 30.0), 1) END AS days_of_cover,
       CASE WHEN w.shipped_30d = 0 AND v.on_hand = 0 THEN NULL
            WHEN w.shipped_30d = 0 THEN 0.0000
            ELSE round(w.shipped_30d / (w.shipped_30d + v.on_hand)::numeric, 4) END AS sell_through_30d,
       GREATEST(last.last_shipped_at, c.tail_shipped_at) AS last_shipped_at,
       (pg_catalog.now()::date - GREATEST(last.last_shipped_at, c.tail_shipped_at)::date) AS days_since_last_shipment,
       v.on_hand > 0 AND w.shipped_90d = 0 AS dead_stock,
       v.item_id,
       v.location_id
FROM oms.inventory_level v
JOIN oms.item i ON i.item_id = v.item_id
JOIN oms.location l ON l.location_id = v.location_id
-- the 30 and 90-day windows as of kpi_window_state.as_of, rolled up
LEFT JOIN oms.kpi_stock_last last ON last.item_id = v.item_id AND last.location_id = v.location_id
LEFT JOIN (
    SELECT DISTINCT ON (pl.item_id) pl.item_id, pl.unit_cost
    FROM oms.purchase_order_line pl
    WHERE pl.unit_cost IS NOT NULL
    ORDER BY pl.item_id, pl.po_line_id DESC
) cost ON cost.item_id = v.item_id
-- moved to today (rolled-up days that left the windows since as_of) and
-- the tail
LEFT JOIN (
    SELECT y.item_id, y.location_id, sum(y.s30)::bigint AS s30, sum(y.s90)::bigint AS s90, max(y.at) AS tail_shipped_at
    FROM (SELECT d.item_id, d.location_id, d.units_shipped * w.s30 AS s30, d.units_shipped * w.s90 AS s90,
                 NULL::timestamptz AS at
          FROM (SELECT b.from_day, b.to_day, b.s30, b.s90
                FROM oms.kpi_window_state k
                CROSS JOIN LATERAL (SELECT (pg_catalog.now() AT TIME ZONE 'UTC')::date AS today) n
                -- the days that left (-1) or entered (+1) each window since as_of
                CROSS JOIN LATERAL (VALUES
                    (LEAST(k.as_of, n.today) - 30, GREATEST(k.as_of, n.today) - 30, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END, 0),
                    (LEAST(k.as_of, n.today) - 90, GREATEST(k.as_of, n.today) - 90, 0, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END))
                    AS b(from_day, to_day, s30, s90)
                WHERE b.s30 <> 0 OR b.s90 <> 0) w
          JOIN oms.kpi_stock_day d ON d.day > w.from_day AND d.day <= w.to_day
          UNION ALL
          SELECT t.item_id, t.location_id,
                 CASE WHEN t.day > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 30 THEN t.units_shipped ELSE 0 END,
                 t.units_shipped, CASE WHEN t.units_shipped > 0 THEN t.at END
          FROM oms.kpi_stock_delta t
          WHERE t.day > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 90) y
    GROUP BY y.item_id, y.location_id
) c ON c.item_id = v.item_id AND c.location_id = v.location_id
CROSS JOIN LATERAL (SELECT (COALESCE(last.shipped_30d, 0) + COALESCE(c.s30, 0))::bigint AS shipped_30d,
                           (COALESCE(last.shipped_90d, 0) + COALESCE(c.s90, 0))::bigint AS shipped_90d) w;
COMMENT ON VIEW oms.kpi_inventory IS 'Stock health per item and location: buckets, reorder point, stock value at the latest purchase cost, units shipped in the last 30 and 90 UTC days, turnover (units shipped in 90 days, annualized, / on_hand), days of cover (available / average daily units shipped in 30 days), sell-through (shipped / (shipped + on_hand) over 30 days) and dead stock (on hand, nothing shipped in 90 days).';

CREATE VIEW oms.kpi_slow_movers AS
WITH c AS NOT MATERIALIZED (
    -- per item: the rolled-up days that left the windows since as_of, and
    -- the tail (every change of on_hand; shipments)
    SELECT y.item_id, sum(y.on_hand)::bigint AS on_hand, sum(y.s30)::bigint AS s30, sum(y.s90)::bigint AS s90,
           max(y.at) AS tail_shipped_at
    FROM (SELECT d.item_id, 0::bigint AS on_hand, d.units_shipped * w.s30 AS s30, d.units_shipped * w.s90 AS s90,
                 NULL::timestamptz AS at
          FROM (SELECT b.from_day, b.to_day, b.s30, b.s90
                FROM oms.kpi_window_state k
                CROSS JOIN LATERAL (SELECT (pg_catalog.now() AT TIME ZONE 'UTC')::date AS today) n
                -- the days that left (-1) or entered (+1) each window since as_of
                CROSS JOIN LATERAL (VALUES
                    (LEAST(k.as_of, n.today) - 30, GREATEST(k.as_of, n.today) - 30, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END, 0),
                    (LEAST(k.as_of, n.today) - 90, GREATEST(k.as_of, n.today) - 90, 0, CASE WHEN k.as_of > n.today THEN 1 ELSE -1 END))
                    AS b(from_day, to_day, s30, s90)
                WHERE b.s30 <> 0 OR b.s90 <> 0) w
          JOIN oms.kpi_stock_day d ON d.day > w.from_day AND d.day <= w.to_day
          UNION ALL
          SELECT t.item_id, t.on_hand_delta,
                 CASE WHEN t.day > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 30 THEN t.units_shipped ELSE 0 END,
                 CASE WHEN t.day > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 90 THEN t.units_shipped ELSE 0 END,
                 CASE WHEN t.units_shipped > 0 AND t.day > (pg_catalog.now() AT TIME ZONE 'UTC')::date - 90 THEN t.at END
          FROM oms.kpi_stock_delta t) y
    GROUP BY y.item_id
)
SELECT i.sku,
       i.name AS item_name,
       x.on_hand::bigint AS on_hand,
       x.shipped_30d::bigint AS units_shipped_30d,
       x.shipped_90d::bigint AS units_shipped_90d,
       round(x.on_hand * cost.unit_cost, 2)::numeric(16,2) AS stock_value,
       x.last_shipped_at,
       x.shipped_90d = 0 AS dead_stock,
       x.item_id
FROM (
    SELECT s.item_id,
           s.on_hand + COALESCE(c.on_hand, 0) AS on_hand,
           s.shipped_30d + COALESCE(c.s30, 0) AS shipped_30d,
           s.shipped_90d + COALESCE(c.s90, 0) AS shipped_90d,
           GREATEST(s.last_shipped_at, c.tail_shipped_at) AS last_shipped_at
    FROM oms.kpi_item_stock s
    LEFT JOIN c ON c.item_id = s.item_id
    UNION ALL
    SELECT c.item_id, c.on_hand, c.s30, c.s90, c.tail_shipped_at
    FROM c
    WHERE NOT EXISTS (SELECT 1 FROM oms.kpi_item_stock s WHERE s.item_id = c.item_id)
) x
JOIN oms.item i ON i.item_id = x.item_id
LEFT JOIN (
    SELECT DISTINCT ON (pl.item_id) pl.item_id, pl.unit_cost
    FROM oms.purchase_order_line pl
    WHERE pl.unit_cost IS NOT NULL
    ORDER BY pl.item_id, pl.po_line_id DESC
) cost ON cost.item_id = x.item_id
WHERE x.on_hand > 0;
COMMENT ON VIEW oms.kpi_slow_movers IS 'Items in stock (over all locations) with what they shipped from all locations in the last 30 and 90 UTC days, from the per-item summary kpi_item_stock: ORDER BY units_shipped_90d, stock_value DESC for the slowest; dead_stock when nothing shipped anywhere in 90 days; stock_value = on_hand x the latest unit cost.';

CREATE VIEW oms.kpi_supplier_performance AS
WITH po AS (
    SELECT p.po_id, p.supplier_id, p.status, p.expected_on,
           (SELECT min(h.changed_at) FROM oms.status_history h
            WHERE h.machine = 'purchase_order' AND h.entity_id = p.po_id AND h.to_status = 'submitted') AS submitted_at,
           (SELECT min(h.changed_at) FROM oms.status_history h
            WHERE h.machine = 'purchase_order' AND h.entity_id = p.po_id AND h.to_status = 'received') AS received_at,
           (SELECT sum(pl.qty_ordered) FROM oms.purchase_order_line pl WHERE pl.po_id = p.po_id) AS units_ordered,
           (SELECT sum(pl.qty_received) FROM oms.purchase_order_line pl WHERE pl.po_id = p.po_id) AS units_received
    FROM oms.purchase_order p
    WHERE p.status NOT IN ('draft', 'cancelled')
)
SELECT s.code AS supplier,
       count(*)::bigint AS purchase_orders,
       (count(*) FILTER (WHERE po.status IN ('received', 'closed')))::bigint AS purchase_orders_done,
       sum(po.units_ordered)::bigint AS units_ordered,
       sum(po.units_received)::bigint AS units_received,
       round(sum(po.units_received) FILTER (WHERE po.status IN ('received', 'closed'))
             / NULLIF(sum(po.units_ordered) FILTER (WHERE po.status IN ('received', 'closed')), 0), 4) AS fill_rate,
       round(avg(po.expected_on - (po.submitted_at AT TIME ZONE 'UTC')::date), 1) AS promised_lead_time_days,
       round(avg((po.received_at AT TIME ZONE 'UTC')::date - (po.submitted_at AT TIME ZONE 'UTC')::date), 1) AS actual_lead_time_days,
       round((count(*) FILTER (WHERE (po.received_at AT TIME ZONE 'UTC')::date <= po.expected_on))::numeric
             / NULLIF(count(*) FILTER (WHERE po.received_at IS NOT NULL AND po.expected_on IS NOT NULL), 0), 4) AS on_time_rate
FROM po JOIN oms.supplier s ON s.supplier_id = po.supplier_id
GROUP BY s.code;
COMMENT ON VIEW oms.kpi_supplier_performance IS 'Purchase orders per supplier (submitted, not cancelled): fill rate = units received / units ordered on received or closed orders; lead times in days from submission to expected_on (promised) and to fully received (actual); on_time_rate = fully received on or before expected_on / fully received.';

-- ---------------------------------------------------------------------------
-- Column comments
-- ---------------------------------------------------------------------------
DO $comments$
DECLARE
    c record;
BEGIN
    -- every column of every kpi_ view gets the comment of its name (a
    -- view-specific row wins); a column without one stops the install
    FOR c IN
        WITH v(view_name, column_name, comment) AS (VALUES
        ('*', 'day', 'UTC calendar day of the bucket.'),
        ('*', 'hour', 'Start of the UTC hour (kpi_sales_hourly) or hour of day 0-23 in UTC (kpi_peak_hours).'),
        ('*', 'channel', 'Channel code (oms.channel.code); NULL for orders without a channel.'),
        ('*', 'currency', 'ISO 4217 currency of the orders or payments; money is never summed across currencies.'),
        ('*', 'orders', 'Orders placed (cancelled ones included).'),
        ('*', 'orders_cancelled', 'Orders placed that are cancelled now.'),
        ('*', 'units_ordered', 'Units ordered on item and bundle lines (components not counted twice).'),
        ('*', 'units_cancelled', 'Units of those lines cancelled since.'),
        ('*', 'units_shipped', 'Units of those lines shipped.'),
        ('*', 'units_returned', 'Units of those lines received back on returns.'),
        ('*', 'subtotal', 'Sum of line prices x units not cancelled, of orders not cancelled.'),
        ('*', 'tax', 'Tax of orders not cancelled.'),
        ('*', 'shipping', 'Shipping charged on orders not cancelled.'),
        ('*', 'revenue', 'subtotal + tax + shipping of orders not cancelled.'),
        ('*', 'stock_units_ordered', 'Units ordered on stock lines (items and bundle components), as written.'),
        ('*', 'units_filled', 'Units reserved from stock (or shipped) when the line was written.'),
        ('*', 'units_backordered', 'Units backordered when the line was written.'),
        ('*', 'average_order_value', 'revenue / orders not cancelled.'),
        ('*', 'first_day', 'First UTC day with an order.'),
        ('*', 'last_day', 'Last UTC day with an order.'),
        ('*', 'weekday', 'ISO weekday of placement in UTC: 1 Monday .. 7 Sunday.'),
        ('*', 'weekday_name', 'Short weekday name (Mon .. Sun).'),
        ('*', 'share_of_orders', 'orders / all orders in the view.'),
        ('*', 'sku', 'Item sku.'),
        ('*', 'item_name', 'Item name.'),
        ('*', 'item_id', 'Item key (oms.item.item_id), to join on.'),
        ('*', 'location_id', 'Location key (oms.location.location_id), to join on.'),
        ('*', 'lines', 'Order lines naming the item.'),
        ('*', 'rank', 'Rank by revenue, then units, within the currency (1 = best).'),
        ('*', 'order_lines_30d', 'Order lines of the item in the last 30 days.'),
        ('*', 'units_30d', 'Units ordered minus units cancelled in the last 30 days.'),
        ('*', 'revenue_30d', 'Line revenue (price x units not cancelled) in the last 30 days.'),
        ('*', 'revenue_90d', 'Line revenue (price x units not cancelled) in the last 90 days.'),
        ('*', 'revenue_share', 'The item''s share of the currency''s revenue in the window.'),
        ('*', 'cumulative_share', 'Share of revenue of this item and all items above it.'),
        ('*', 'abc_class', 'A, B or C (see the view comment).'),
        ('*', 'country', 'Ship-to country (ISO alpha-2) of the orders; NULL when none.'),
        ('*', 'region', 'Ship-to region of the orders; NULL when none.'),
        ('*', 'cancellation_rate', 'orders_cancelled / orders.'),
        ('*', 'fill_rate', 'units_filled / stock_units_ordered (kpi_fulfillment_daily); units received / units ordered (kpi_supplier_performance).'),
        ('*', 'backorder_rate', 'units_backordered / stock_units_ordered.'),
        ('*', 'location', 'Location code.'),
        ('*', 'carrier', 'Carrier code; NULL when none.'),
        ('*', 'shipments', 'Shipments shipped that day (kpi_shipping_daily) or measured that day (kpi_shipping_times).'),
        ('*', 'shipments_with_promise', 'Shipments whose order has a promised_at.'),
        ('*', 'shipped_on_time', 'Shipments shipped at or before their order''s promised_at.'),
        ('*', 'on_time_rate', 'shipped_on_time / shipments_with_promise (kpi_shipping_daily); POs received by expected_on / POs received (kpi_supplier_performance).'),
        ('*', 'split_shipments', 'Shipments that were not the first of their order to ship.'),
        ('*', 'split_shipment_rate', 'split_shipments / shipments.'),
        ('*', 'delivered', 'Shipments delivered that day.'),
        ('*', 'delivered_late', 'Of those, delivered after the estimated delivery date.'),
        ('*', 'late_delivery_rate', 'delivered_late / delivered.'),
        ('*', 'measure', 'placed_to_shipped (day = ship day) or shipped_to_delivered (day = delivery day).'),
        ('*', 'median_hours', 'Median duration in whole hours, rounded up.'),
        ('*', 'p90_hours', '90th percentile duration in whole hours, rounded up.'),
        ('*', 'max_hours', 'Longest duration in whole hours, rounded up.'),
        ('*', 'return_rate', 'Units returned (kpi_returns_by_product) or requested (kpi_returns_by_reason) / units shipped.'),
        ('*', 'reason_code', 'Return reason.'),
        ('*', 'returns', 'Return authorizations with a line of this reason.'),
        ('*', 'units_requested', 'Units asked to be returned.'),
        ('*', 'units_received', 'Units received back (kpi_returns_by_reason) or received on purchase orders (kpi_supplier_performance).'),
        ('*', 'units_damaged', 'Units received back damaged.'),
        ('*', 'share_of_returned_units', 'units_requested / all units requested over every reason.'),
        ('*', 'refunds', 'Refund rows of the payment ledger.'),
        ('*', 'refund_amount', 'Sum refunded.'),
        ('*', 'orders_refunded', 'Orders with a refund that day.'),
        ('*', 'on_hand', 'Physical sellable units now.'),
        ('*', 'reserved', 'Units reserved now.'),
        ('*', 'available', 'on_hand - reserved - safety_stock, floored at zero, now.'),
        ('*', 'incoming', 'Units on open purchase orders.'),
        ('*', 'reorder_point', 'Reorder point of the item''s rule at the location; NULL without a rule.'),
        ('*', 'below_reorder_point', 'available + incoming <= reorder_point.'),
        ('*', 'unit_cost', 'Unit cost of the latest purchase-order line of the item with a cost; NULL when none is known.'),
        ('*', 'stock_value', 'on_hand x unit_cost (at cost), or NULL without a cost.'),
        ('*', 'units_shipped_30d', 'Units shipped from the location in the last 30 UTC days (today included).'),
        ('*', 'units_shipped_90d', 'Units shipped from the location in the last 90 UTC days (today included).'),
        ('*', 'turnover', 'units_shipped_90d x 365/90 / on_hand: annualized turns of the stock on hand (units).'),
        ('*', 'days_of_cover', 'available / (units_shipped_30d / 30); NULL when nothing shipped.'),
        ('*', 'sell_through_30d', 'units_shipped_30d / (units_shipped_30d + on_hand).'),
        ('*', 'last_shipped_at', 'When the item last shipped from the location (any location in kpi_slow_movers).'),
        ('*', 'days_since_last_shipment', 'Days since last_shipped_at; NULL when it never shipped.'),
        ('*', 'dead_stock', 'On hand and nothing shipped in the last 90 days.'),
        ('*', 'supplier', 'Supplier code.'),
        ('*', 'purchase_orders', 'Purchase orders submitted and not cancelled.'),
        ('*', 'purchase_orders_done', 'Of those, received or closed.'),
        ('*', 'promised_lead_time_days', 'Average days from submission to expected_on.'),
        ('*', 'actual_lead_time_days', 'Average days from submission to fully received.'),
        ('kpi_supplier_performance', 'units_ordered', 'Units ordered on the purchase orders.'))
        SELECT cl.relname, a.attname,
               COALESCE((SELECT v.comment FROM v WHERE v.view_name = cl.relname AND v.column_name = a.attname),
                        (SELECT v.comment FROM v WHERE v.view_name = '*' AND v.column_name = a.attname)) AS comment
        FROM pg_catalog.pg_class cl
        JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE cl.relnamespace = 'oms'::pg_catalog.regnamespace AND cl.relkind = 'v' AND cl.relname LIKE 'kpi\_%'
    LOOP
        IF c.comment IS NULL THEN
            RAISE EXCEPTION 'no comment for oms.%.%', c.relname, c.attname;
        END IF;
        EXECUTE pg_catalog.format('COMMENT ON COLUMN oms.%I.%I IS %L', c.relname, c.attname, c.comment);
    END LOOP;
END
$comments$;

GRANT SELECT ON oms.kpi_sales_hourly, oms.kpi_sales_daily, oms.kpi_sales_by_channel, oms.kpi_peak_hours,
                oms.kpi_item_sales_daily, oms.kpi_top_products, oms.kpi_abc_classes,
                oms.kpi_sales_by_region, oms.kpi_fulfillment_daily, oms.kpi_shipping_daily,
                oms.kpi_shipping_times, oms.kpi_returns_by_product, oms.kpi_returns_by_reason,
                oms.kpi_refunds_daily, oms.kpi_inventory, oms.kpi_slow_movers,
                oms.kpi_supplier_performance
    TO oms_admin, oms_app, oms_reader;
GRANT SELECT ON oms.kpi_sales_delta, oms.kpi_shipment_delta, oms.kpi_stock_delta,
                oms.kpi_sales_hour, oms.kpi_sales_day, oms.kpi_sales_weekhour, oms.kpi_region_day, oms.kpi_item_day, oms.kpi_item_total,
                oms.kpi_shipment_day, oms.kpi_duration_day, oms.kpi_stock_day, oms.kpi_stock_last,
                oms.kpi_window_state, oms.kpi_item_window, oms.kpi_item_stock, oms.kpi_duration_stats
    TO oms_admin;
REVOKE ALL ON FUNCTION oms.refresh_kpis() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.refresh_kpis() TO oms_admin;
