
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

-- Personal data is not for oms_reader (BI tools): no customer email or
-- name, no ship-to address, no supplier email, no event payload (which
-- carries emails and addresses).  The reader gets every other column of
-- those tables and views, so it still counts orders per customer_id, reads
-- topics and times of a timeline and joins on the keys; SELECT * there
-- fails with 42501 and the columns are named instead.  oms_app and
-- oms_admin see everything.
DO $reader$
DECLARE
    hidden CONSTANT text[][] := ARRAY[
        ['customer', 'email'], ['customer', 'name'],
        ['sales_order', 'ship_to'],
        ['supplier', 'email'],
        ['order_tracking', 'customer'],
        ['order_timeline', 'payload'],
        ['returns_overview', 'customer'],
        ['notification_preference', 'phone'],
        ['notification', 'recipient'], ['notification', 'subject'], ['notification', 'body'],
        ['notification', 'last_error']];
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
