
-- ===========================================================================
-- 99_privileges.sql: what the three roles may not do or see, for the whole
-- schema at once (README, Roles).  Each file grants what its objects need;
-- this last part takes away what no file should have handed out.
-- ===========================================================================

-- Nothing runs for PUBLIC.  A function's EXECUTE goes to PUBLIC by default
-- when it is created; here every function of the schema, present and
-- future parts of this script alike, loses it, and each role gets only
-- what a file granted it explicitly.  (Trigger functions need no EXECUTE
-- to fire: the right is checked when a trigger is created.)
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA oms FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA oms FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA oms FROM PUBLIC;

-- Helpers that run on behalf of the caller: in column defaults (document
-- numbers, for whoever inserts a purchase order), in views (a view checks
-- EXECUTE on its functions as the user reading it) and by hand.
GRANT EXECUTE ON FUNCTION oms.version(),
                          oms.document_number(text, bigint),
                          oms.payment_satisfied(text, text),
                          oms.add_transit_days(date, integer, boolean),
                          oms.line_unit_value(bigint)
    TO oms_admin, oms_app, oms_reader;

-- oms_reader (BI tools) reads the views and nothing else (issue 14): no
-- table, so no outbox, no rollup or delta table, and no personal data
-- beyond what a view shows.  The views run with their owner's rights, so
-- they need nothing more.  The functions the reader may call (the checks,
-- the forecasts, the machines' diagrams, refundable_balance and the
-- helpers the views call) read tables: they run as their owner too
-- (SECURITY DEFINER; their search_path is pinned like every function's)
-- and show only what they return.
DO $reader_tables$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'oms'::pg_catalog.regnamespace AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE pg_catalog.format('REVOKE SELECT ON %s FROM oms_reader', t);
    END LOOP;
END
$reader_tables$;
ALTER FUNCTION oms.check_inventory() SECURITY DEFINER;
ALTER FUNCTION oms.check_payments() SECURITY DEFINER;
ALTER FUNCTION oms.check_reservations() SECURITY DEFINER;
ALTER FUNCTION oms.check_incoming() SECURITY DEFINER;
ALTER FUNCTION oms.demand_history(text, date, date) SECURITY DEFINER;
ALTER FUNCTION oms.forecast_demand(text, integer, double precision, date) SECURITY DEFINER;
ALTER FUNCTION oms.machine_states(text) SECURITY DEFINER;
ALTER FUNCTION oms.machine_dot(text) SECURITY DEFINER;
ALTER FUNCTION oms.machine_mermaid(text) SECURITY DEFINER;
ALTER FUNCTION oms.refundable_balance(bigint) SECURITY DEFINER;
ALTER FUNCTION oms.line_unit_value(bigint) SECURITY DEFINER;

-- Personal data in the views: the reader gets every column of these views
-- but those, so it still reads what happened when in a timeline and joins
-- on the keys; SELECT * there fails with 42501 and the columns are named
-- instead.  oms_app and oms_admin see everything.
DO $reader$
DECLARE
    hidden CONSTANT text[][] := ARRAY[
        ['order_tracking', 'customer'],
        ['order_timeline', 'payload'],
        ['returns_overview', 'customer']];
    rel text;
    cols text;
BEGIN
    FOR rel IN SELECT DISTINCT hidden[i][1] FROM pg_catalog.generate_subscripts(hidden, 1) AS i
    LOOP
        SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
          INTO cols
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = pg_catalog.format('oms.%I', rel)::pg_catalog.regclass
           AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attname <> ALL (SELECT hidden[i][2] FROM pg_catalog.generate_subscripts(hidden, 1) AS i
                                 WHERE hidden[i][1] = rel);
        EXECUTE pg_catalog.format('REVOKE SELECT ON oms.%I FROM oms_reader', rel);
        EXECUTE pg_catalog.format('GRANT SELECT (%s) ON oms.%I TO oms_reader', cols, rel);
    END LOOP;
END
$reader$;
