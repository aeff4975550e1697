
-- ===========================================================================
-- 74_forecast.sql: demand forecasting per item and location and suggested
-- reorder points (set-based SQL)
-- ===========================================================================
-- Method (README, Forecasting):
--   history   daily units per item and location from shipments (ledger
--             kind shipment) or orders (units reserved for order lines, on
--             the day the order was placed), from the first day with demand
--             in the window up to the day before as_of; days without demand
--             count as 0.
--   weekday   with at least 28 days of history, factor(d) = mean demand on
--             weekday d / mean demand; otherwise every factor is 1.  Demand
--             is deseasonalised as x / factor(d) (days of a weekday that
--             never sells are left out).
--   level     simple exponential smoothing of the deseasonalised series:
--             l0 = mean of its first 7 days, l(t) = alpha x(t) + (1 - alpha) l(t-1),
--             in closed form l(m) = (1-alpha)^m l0 + sum alpha (1-alpha)^(m-t) x(t).
--   sigma     sample standard deviation of the deseasonalised daily demand.
--   point     lead-time demand = sum over the L days from as_of of
--             level x factor(weekday); safety stock = z(service level) x
--             sigma x sqrt(L); suggested reorder point = ceil(both).

CREATE TABLE oms.demand_forecast (
    item_id      bigint NOT NULL REFERENCES oms.item,
    location_id  bigint NOT NULL REFERENCES oms.location,
    daily_demand double precision NOT NULL,
    sigma        double precision NOT NULL,
    dow_factors  double precision[],
    history_days integer NOT NULL,
    source       text NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (item_id, location_id)
);
COMMENT ON TABLE oms.demand_forecast IS 'The latest forecast per item and location, written by oms.refresh_forecast() (a pg_cron job); inventory_position reads days of cover from it.';
COMMENT ON COLUMN oms.demand_forecast.daily_demand IS 'Smoothed average daily demand (units per day).';
COMMENT ON COLUMN oms.demand_forecast.sigma IS 'Standard deviation of daily demand (deseasonalised).';
-- kept by pg_dump, or every days_of_cover is NULL after a restore until the
-- next refresh
SELECT pg_catalog.pg_extension_config_dump('oms.demand_forecast', '');
COMMENT ON COLUMN oms.demand_forecast.dow_factors IS 'Weekday factors Monday..Sunday (ISO order), NULL with less than 28 days of history.';

-- Daily demand, sparse (only days with demand).
CREATE FUNCTION oms.demand_history(source text, from_day date, to_day date)
    RETURNS TABLE (item_id bigint, location_id bigint, day date, qty bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF source IS NULL OR source NOT IN ('shipped', 'ordered') THEN
        RAISE EXCEPTION 'source must be shipped or ordered, got %', COALESCE(source, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF from_day IS NULL OR to_day IS NULL THEN
        RAISE EXCEPTION 'from_day and to_day must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF from_day NOT BETWEEN date '0001-01-01' AND date '9999-12-31'
       OR to_day NOT BETWEEN date '0001-01-01' AND date '9999-12-31' THEN
        RAISE EXCEPTION 'from_day and to_day must be dates in the years 1 to 9999, got % and %', from_day, to_day
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF source = 'shipped' THEN
        RETURN QUERY
        SELECT m.item_id, m.location_id, m.created_at::date, (-sum(m.on_hand_delta))::bigint
        FROM oms.inventory_movement m
        WHERE m.kind = 'shipment'
          AND m.created_at >= from_day AND m.created_at < to_day + 1
        GROUP BY 1, 2, 3;
    ELSE
        RETURN QUERY
        SELECT r.item_id, r.location_id, o.placed_at::date, sum(r.qty)::bigint
        FROM oms.sales_order o
        JOIN oms.order_line l ON l.order_id = o.order_id
        JOIN oms.reservation r ON r.line_id = l.line_id
        WHERE r.state IN ('active', 'consumed')
          AND o.placed_at >= from_day AND o.placed_at < to_day + 1
        GROUP BY 1, 2, 3;
    END IF;
END
$$;
COMMENT ON FUNCTION oms.demand_history(text, date, date) IS 'Units demanded per item, location and day between from_day and to_day: source shipped (shipment movements) or ordered (units reserved for order lines, active or consumed, on the day the order was placed; units still backordered have no location yet, and a partial shipment shrinks its line''s active reservation, so for shipped goods prefer shipped).  Days without demand are absent.';

CREATE FUNCTION oms.forecast_demand(source text DEFAULT 'shipped', history_days integer DEFAULT 56,
                                    alpha double precision DEFAULT 0.3, as_of date DEFAULT CURRENT_DATE)
    RETURNS TABLE (item_id bigint, location_id bigint, sku text, location text,
                   days_of_history integer, total_qty bigint, mean_daily double precision,
                   daily_demand double precision, sigma double precision,
                   dow_factors double precision[])
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF forecast_demand.history_days IS NULL OR forecast_demand.history_days < 1 THEN
        RAISE EXCEPTION 'history_days must be at least 1, got %', COALESCE(forecast_demand.history_days::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF forecast_demand.history_days > 3660 THEN
        RAISE EXCEPTION 'history_days % is out of range', forecast_demand.history_days
            USING ERRCODE = 'numeric_value_out_of_range',
                  DETAIL = 'A forecast reads at most 3660 days (ten years) of history.';
    END IF;
    IF alpha IS NULL OR alpha <= 0 OR alpha > 1 THEN
        RAISE EXCEPTION 'alpha must be in (0, 1], got %', COALESCE(alpha::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT isfinite(as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite date, got %', as_of USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF as_of NOT BETWEEN date '0001-01-01' + 3660 AND date '9999-12-31' THEN
        RAISE EXCEPTION 'as_of must be a date from 0011-01-09 (3660 days of history after year 1) to 9999-12-31, got %', as_of
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH h AS (
        SELECT * FROM oms.demand_history(source, as_of - forecast_demand.history_days, as_of - 1)
    ), span AS (
        SELECT h.item_id, h.location_id, min(h.day) AS first_day FROM h GROUP BY 1, 2
    ), series AS (
        SELECT s.item_id, s.location_id, g.d::date AS day,
               COALESCE(h.qty, 0)::double precision AS x,
               extract(isodow FROM g.d)::integer AS dow,
               (as_of - s.first_day) AS n
        FROM span s
        CROSS JOIN LATERAL generate_series(s.first_day::timestamp, (as_of - 1)::timestamp, interval '1 day') AS g(d)
        LEFT JOIN h ON h.item_id = s.item_id AND h.location_id = s.location_id AND h.day = g.d::date
    ), stats AS (
        SELECT se.item_id, se.location_id, se.n, avg(se.x) AS mean, sum(se.x) AS total
        FROM series se GROUP BY 1, 2, 3
    ), dow AS (
        SELECT se.item_id, se.location_id, se.dow,
               CASE WHEN st.n >= 28 AND st.mean > 0 THEN avg(se.x) / st.mean ELSE 1 END AS f
        FROM series se JOIN stats st ON st.item_id = se.item_id AND st.location_id = se.location_id
        GROUP BY se.item_id, se.location_id, se.dow, st.n, st.mean
    ), ds AS (
        SELECT se.item_id, se.location_id, se.x / d.f AS y,
               row_number() OVER w AS t,
               count(*) OVER (PARTITION BY se.item_id, se.location_id) AS m
        FROM series se
        JOIN dow d ON d.item_id = se.item_id AND d.location_id = se.location_id AND d.dow = se.dow
        WHERE d.f > 0
        WINDOW w AS (PARTITION BY se.item_id, se.location_id ORDER BY se.day)
    ), init AS (
        SELECT ds.item_id, ds.location_id, avg(ds.y) AS l0 FROM ds WHERE ds.t <= 7 GROUP BY 1, 2
    ), lvl AS (
        SELECT ds.item_id, ds.location_id,
               power(1 - alpha, max(ds.m)) * i.l0
                 + sum(alpha * power(1 - alpha, ds.m - ds.t) * ds.y) AS level,
               COALESCE(stddev_samp(ds.y), 0) AS sigma
        FROM ds JOIN init i ON i.item_id = ds.item_id AND i.location_id = ds.location_id
        GROUP BY ds.item_id, ds.location_id, i.l0
    )
    SELECT st.item_id, st.location_id, it.sku, lo.code, st.n, st.total::bigint, st.mean,
           l.level, l.sigma,
           CASE WHEN st.n >= 28 AND st.mean > 0
                THEN (SELECT array_agg(d.f ORDER BY d.dow) FROM dow d
                      WHERE d.item_id = st.item_id AND d.location_id = st.location_id) END
    FROM stats st
    JOIN lvl l ON l.item_id = st.item_id AND l.location_id = st.location_id
    JOIN oms.item it ON it.item_id = st.item_id
    JOIN oms.location lo ON lo.location_id = st.location_id
    ORDER BY it.sku, lo.code;
END
$$;
COMMENT ON FUNCTION oms.forecast_demand(text, integer, double precision, date) IS 'Forecast daily demand per item and location from the history_days before as_of (source shipped or ordered): smoothed level (exponential smoothing, weight alpha), weekday factors with 28+ days of history, standard deviation.  README: Forecasting.';

-- Expected demand over the days [start, start + days): the level times each
-- day's weekday factor (1 without factors).
CREATE FUNCTION oms.lead_time_demand(daily_demand double precision, dow_factors double precision[],
                                     start date, days integer)
    RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF days < 0 OR days > 365 THEN
        RAISE EXCEPTION 'days % is out of range', days
            USING ERRCODE = 'numeric_value_out_of_range',
                  DETAIL = 'A lead time is 0 to 365 days.';
    END IF;
    IF start NOT BETWEEN date '0001-01-01' AND date '9999-12-31' THEN
        RAISE EXCEPTION 'start must be a date in the years 1 to 9999, got %', start
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN (SELECT COALESCE(sum(daily_demand * COALESCE(dow_factors[extract(isodow FROM start + k)::integer], 1)), 0)
            FROM generate_series(0, days - 1) AS k);
END
$$;
COMMENT ON FUNCTION oms.lead_time_demand(double precision, double precision[], date, integer) IS 'Expected demand over the days days (0 to 365) from start: daily_demand times each day''s weekday factor.';

-- The standard normal quantile (Acklam's rational approximation, relative
-- error below 1.2e-9): z for a service level p.
CREATE FUNCTION oms.normal_quantile(p double precision)
    RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    a double precision[] := ARRAY[-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                  1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    b double precision[] := ARRAY[-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                  6.680131188771972e+01, -1.328068155288572e+01];
    c double precision[] := ARRAY[-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                  -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    d double precision[] := ARRAY[7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                  3.754408661907416e+00];
    q double precision;
    r double precision;
BEGIN
    IF p <= 0 OR p >= 1 THEN
        RAISE EXCEPTION 'service level must be between 0 and 1 (exclusive), got %', p
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p < 0.02425 THEN
        q := sqrt(-2 * ln(p));
        RETURN (((((c[1]*q + c[2])*q + c[3])*q + c[4])*q + c[5])*q + c[6]) /
               ((((d[1]*q + d[2])*q + d[3])*q + d[4])*q + 1);
    ELSIF p > 1 - 0.02425 THEN
        q := sqrt(-2 * ln(1 - p));
        RETURN -(((((c[1]*q + c[2])*q + c[3])*q + c[4])*q + c[5])*q + c[6]) /
                ((((d[1]*q + d[2])*q + d[3])*q + d[4])*q + 1);
    END IF;
    q := p - 0.5;
    r := q * q;
    RETURN (((((a[1]*r + a[2])*r + a[3])*r + a[4])*r + a[5])*r + a[6]) * q /
           (((((b[1]*r + b[2])*r + b[3])*r + b[4])*r + b[5])*r + 1);
END
$$;
COMMENT ON FUNCTION oms.normal_quantile(double precision) IS 'z such that a standard normal variable is below z with probability p (0.95 gives 1.645).';

-- Every rule with its suggested point: read-only, so that a preview runs in
-- a read-only transaction and on a hot standby.
CREATE FUNCTION oms.reorder_suggestions(service_level double precision, source text,
                                        history_days integer, alpha double precision, as_of date)
    RETURNS TABLE (item_id bigint, location_id bigint, sku text, location text,
                   lead_time_days integer, daily_demand double precision, sigma double precision,
                   lead_time_demand double precision, safety_stock double precision,
                   current_reorder_point bigint, suggested_reorder_point bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    z double precision;
BEGIN
    IF service_level IS NULL THEN
        RAISE EXCEPTION 'service_level must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    z := oms.normal_quantile(service_level);
    RETURN QUERY
    SELECT r.item_id, r.location_id, i.sku, l.code, x.lt,
           f.daily_demand, f.sigma, y.ltd, y.ss, r.reorder_point,
           CASE WHEN f.item_id IS NOT NULL THEN ceil(y.ltd + y.ss - 1e-9)::bigint END
    FROM oms.reorder_rule r
    JOIN oms.item i ON i.item_id = r.item_id
    JOIN oms.location l ON l.location_id = r.location_id
    JOIN oms.supplier s ON s.supplier_id = r.supplier_id
    LEFT JOIN oms.forecast_demand(reorder_suggestions.source, reorder_suggestions.history_days,
                                  alpha, as_of) f
           ON f.item_id = r.item_id AND f.location_id = r.location_id
    CROSS JOIN LATERAL (SELECT COALESCE(r.lead_time_days, s.lead_time_days) AS lt) x
    CROSS JOIN LATERAL (
        SELECT CASE WHEN f.item_id IS NOT NULL
                    THEN oms.lead_time_demand(f.daily_demand, f.dow_factors, as_of, x.lt) END AS ltd,
               GREATEST(z, 0) * f.sigma * sqrt(x.lt) AS ss
    ) y;
END
$$;
COMMENT ON FUNCTION oms.reorder_suggestions(double precision, text, integer, double precision, date) IS 'The rows of suggest_reorder_rules() before rounding, with the keys; reads only.';

CREATE FUNCTION oms.suggest_reorder_rules(apply boolean DEFAULT false,
                                          service_level double precision DEFAULT 0.95,
                                          source text DEFAULT 'shipped',
                                          history_days integer DEFAULT 56,
                                          alpha double precision DEFAULT 0.3,
                                          as_of date DEFAULT CURRENT_DATE)
    RETURNS TABLE (sku text, location text, lead_time_days integer, daily_demand numeric,
                   sigma numeric, lead_time_demand numeric, safety_stock numeric,
                   current_reorder_point bigint, suggested_reorder_point bigint, applied boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF apply IS NULL THEN
        RAISE EXCEPTION 'apply must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT apply THEN
        -- the preview is one SELECT: it runs in a read-only transaction
        -- and on a hot standby
        RETURN QUERY
        SELECT g.sku, g.location, g.lead_time_days, round(g.daily_demand::numeric, 3),
               round(g.sigma::numeric, 3), round(g.lead_time_demand::numeric, 3),
               round(g.safety_stock::numeric, 3), g.current_reorder_point,
               g.suggested_reorder_point, false
        FROM oms.reorder_suggestions(service_level, source, history_days, alpha, as_of) g
        ORDER BY g.sku, g.location;
        RETURN;
    END IF;
    IF pg_catalog.current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION 'suggest_reorder_rules(apply => true) writes the reorder rules: it cannot run in a read-only transaction'
            USING ERRCODE = 'read_only_sql_transaction',
                  HINT = 'Call it with apply => false to preview the suggestions, or on the primary outside a read-only transaction.';
    END IF;
    RETURN QUERY
    WITH g AS (
        SELECT * FROM oms.reorder_suggestions(service_level, source, history_days, alpha, as_of)
    ), upd AS (
        -- an order-up-to rule keeps its gap between point and level
        UPDATE oms.reorder_rule r
        SET reorder_point = g.suggested_reorder_point,
            max_level = CASE WHEN r.max_level IS NOT NULL
                             THEN g.suggested_reorder_point + (r.max_level - r.reorder_point) END,
            updated_at = pg_catalog.now()
        FROM g
        WHERE g.item_id = r.item_id AND g.location_id = r.location_id
          AND g.suggested_reorder_point IS NOT NULL
          AND g.suggested_reorder_point <> r.reorder_point
        RETURNING r.item_id, r.location_id
    )
    SELECT g.sku, g.location, g.lead_time_days, round(g.daily_demand::numeric, 3),
           round(g.sigma::numeric, 3), round(g.lead_time_demand::numeric, 3),
           round(g.safety_stock::numeric, 3), g.current_reorder_point, g.suggested_reorder_point,
           EXISTS (SELECT 1 FROM upd u WHERE u.item_id = g.item_id AND u.location_id = g.location_id)
    FROM g
    ORDER BY g.sku, g.location;
END
$$;
COMMENT ON FUNCTION oms.suggest_reorder_rules(boolean, double precision, text, integer, double precision, date) IS 'Current versus suggested reorder point of every rule: expected demand over the lead time + z(service_level) x sigma x sqrt(lead time), from forecast_demand().  apply => true writes the suggestions (rules without history keep theirs).';

CREATE FUNCTION oms.refresh_forecast(source text DEFAULT 'shipped', history_days integer DEFAULT 56,
                                     alpha double precision DEFAULT 0.3, as_of date DEFAULT CURRENT_DATE)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM oms.demand_forecast;
    INSERT INTO oms.demand_forecast (item_id, location_id, daily_demand, sigma, dow_factors, history_days, source)
    SELECT f.item_id, f.location_id, f.daily_demand, f.sigma, f.dow_factors, f.days_of_history, refresh_forecast.source
    FROM oms.forecast_demand(refresh_forecast.source, refresh_forecast.history_days, alpha, as_of) f;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION oms.refresh_forecast(text, integer, double precision, date) IS 'Recompute oms.demand_forecast for every item and location with demand (the pg_cron job oms-refresh-forecast).  Returns how many.';

GRANT SELECT ON oms.demand_forecast TO oms_admin, oms_app, oms_reader;
REVOKE ALL ON FUNCTION oms.suggest_reorder_rules(boolean, double precision, text, integer, double precision, date),
                       oms.refresh_forecast(text, integer, double precision, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.suggest_reorder_rules(boolean, double precision, text, integer, double precision, date),
                          oms.reorder_suggestions(double precision, text, integer, double precision, date),
                          oms.refresh_forecast(text, integer, double precision, date) TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.demand_history(text, date, date),
                          oms.forecast_demand(text, integer, double precision, date),
                          oms.lead_time_demand(double precision, double precision[], date, integer),
                          oms.normal_quantile(double precision) TO oms_admin, oms_app, oms_reader;
