
-- ===========================================================================
-- 20_platform.sql: platform-wide reads, fanned out to every merchant
-- database (RUN ON ALL) and combined on the router
-- ===========================================================================
-- Each merchant database answers for itself in parallel; its rows carry
-- current_database(), which the map turns back into the merchant.  Reads go
-- to the standbys (cluster oms_merchants_ro) unless oms_router.reads is
-- 'primary'.  A fan-out fails as a whole when one merchant database does not
-- answer.  Nothing here writes: a write that spans merchants does not exist
-- (README, Scale-out: what cannot be done across merchants).

-- The cluster a fan-out read uses.
CREATE FUNCTION oms_router.read_cluster()
    RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE COALESCE(NULLIF(pg_catalog.current_setting('oms_router.reads', true), ''), 'standby')
               WHEN 'primary' THEN 'oms_merchants' ELSE 'oms_merchants_ro' END
$$;
COMMENT ON FUNCTION oms_router.read_cluster() IS 'The PL/Proxy cluster of fan-out reads: oms_merchants_ro (standbys where there are some) unless the setting oms_router.reads is primary.';

-- Sales per merchant database, day and currency (from oms.kpi_sales_daily).
CREATE FUNCTION oms_router.fanout_sales_daily(from_day date, to_day date)
    RETURNS TABLE (dbname text, day date, currency text, orders bigint, orders_cancelled bigint,
                   units_ordered bigint, units_shipped bigint, revenue numeric)
    LANGUAGE plproxy
    AS $proxy$
    CLUSTER oms_router.read_cluster();
    RUN ON ALL;
    SELECT pg_catalog.current_database()::text AS dbname, k.day, k.currency,
           pg_catalog.sum(k.orders)::bigint AS orders, pg_catalog.sum(k.orders_cancelled)::bigint AS orders_cancelled,
           pg_catalog.sum(k.units_ordered)::bigint AS units_ordered, pg_catalog.sum(k.units_shipped)::bigint AS units_shipped,
           pg_catalog.sum(k.revenue)::numeric AS revenue
      FROM oms.kpi_sales_daily k
     WHERE k.day BETWEEN $1 AND $2
     GROUP BY k.day, k.currency;
$proxy$;
COMMENT ON FUNCTION oms_router.fanout_sales_daily(date, date) IS 'Fan-out (RUN ON ALL): each merchant database''s sales per UTC day and currency between from_day and to_day, from oms.kpi_sales_daily; rows name the database.';

CREATE FUNCTION oms_router.sales_by_merchant(from_day date DEFAULT CURRENT_DATE - 30,
                                             to_day date DEFAULT CURRENT_DATE)
    RETURNS TABLE (merchant text, node text, currency text, orders bigint, orders_cancelled bigint,
                   units_ordered bigint, units_shipped bigint, revenue numeric)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.merchant, m.node, f.currency, sum(f.orders)::bigint, sum(f.orders_cancelled)::bigint,
           sum(f.units_ordered)::bigint, sum(f.units_shipped)::bigint, sum(f.revenue)
      FROM oms_router.fanout_sales_daily(from_day, to_day) f
      JOIN oms_router.merchant m ON m.dbname = f.dbname
     GROUP BY m.merchant, m.node, f.currency
     ORDER BY m.merchant, f.currency
$$;
COMMENT ON FUNCTION oms_router.sales_by_merchant(date, date) IS 'Platform KPI: orders, units and revenue of each merchant (and its node) per currency between two UTC days, fanned out to every merchant database.';

CREATE FUNCTION oms_router.platform_sales_daily(from_day date DEFAULT CURRENT_DATE - 30,
                                                to_day date DEFAULT CURRENT_DATE)
    RETURNS TABLE (day date, currency text, merchants bigint, orders bigint, orders_cancelled bigint,
                   units_ordered bigint, units_shipped bigint, revenue numeric)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT f.day, f.currency, count(DISTINCT f.dbname), sum(f.orders)::bigint, sum(f.orders_cancelled)::bigint,
           sum(f.units_ordered)::bigint, sum(f.units_shipped)::bigint, sum(f.revenue)
      FROM oms_router.fanout_sales_daily(from_day, to_day) f
     GROUP BY f.day, f.currency
     ORDER BY f.day, f.currency
$$;
COMMENT ON FUNCTION oms_router.platform_sales_daily(date, date) IS 'Platform KPI: orders, units and revenue of all merchants together per UTC day and currency (money is never summed across currencies), and how many merchants sold.';

-- Orders with an order number or channel reference, in every merchant.
CREATE FUNCTION oms_router.fanout_find_orders(ref text)
    RETURNS TABLE (dbname text, order_id bigint, order_number text, channel text, status text,
                   payment_status text, fulfillment_status text, placed_at timestamptz)
    LANGUAGE plproxy
    AS $proxy$
    CLUSTER oms_router.read_cluster();
    RUN ON ALL;
    SELECT pg_catalog.current_database()::text AS dbname, t.order_id, t.order_number, t.channel, t.status,
           t.payment_status, t.fulfillment_status, t.placed_at
      FROM oms.order_tracking t
     WHERE t.order_number = $1 OR t.channel_order_ref = $1;
$proxy$;
COMMENT ON FUNCTION oms_router.fanout_find_orders(text) IS 'Fan-out (RUN ON ALL): the orders whose order number or channel reference is ref, in each merchant database; rows name the database.';

CREATE FUNCTION oms_router.find_orders(ref text)
    RETURNS TABLE (merchant text, node text, order_id bigint, order_number text, channel text, status text,
                   payment_status text, fulfillment_status text, placed_at timestamptz)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.merchant, m.node, f.order_id, f.order_number, f.channel, f.status, f.payment_status,
           f.fulfillment_status, f.placed_at
      FROM oms_router.fanout_find_orders(ref) f
      JOIN oms_router.merchant m ON m.dbname = f.dbname
     ORDER BY m.merchant, f.order_id
$$;
COMMENT ON FUNCTION oms_router.find_orders(text) IS 'Platform lookup: every merchant''s orders with this order number (numbers are per merchant, so several may answer) or channel reference.';

GRANT EXECUTE ON FUNCTION oms_router.read_cluster(), oms_router.fanout_sales_daily(date, date),
                          oms_router.sales_by_merchant(date, date), oms_router.platform_sales_daily(date, date),
                          oms_router.fanout_find_orders(text), oms_router.find_orders(text)
    TO oms_reader, oms_app;
