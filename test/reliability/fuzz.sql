-- fuzz.sql: a randomized fuzzer of the oms API (issue 15, item 5).
--
-- Loaded after soak.sql (its data and helpers).  fuzz_step() picks a random
-- function of the API from pg_proc and calls it with every argument either
-- valid (a random real order, shipment, RMA, purchase order, sku, location,
-- line list ...) or bad (NULL, a boundary number, NaN, malformed jsonb, an
-- unknown reference, odd text), and keeps what a successful call did, so
-- the state evolves.  Each call's SQLSTATE goes to fuzz_log.  Serialization
-- failures and deadlocks go back to pgbench.  fuzz_check() runs every
-- invariant and logs the ones broken.
CREATE TABLE fuzz_log (fn text, sqlstate text, message text, sql text);

-- Values by argument name (then by type): SQL expressions, evaluated for
-- each call.  valid = true marks the ones that are meant to work.
CREATE TABLE fuzz_value (arg text, typ text, valid boolean, expr text);
INSERT INTO fuzz_value (arg, typ, valid, expr) VALUES
    ('order_id', NULL, true, '(SELECT order_id FROM oms.sales_order ORDER BY random() LIMIT 1)'),
    ('shipment_id', NULL, true, '(SELECT shipment_id FROM oms.shipment ORDER BY random() LIMIT 1)'),
    ('rma_id', NULL, true, '(SELECT rma_id FROM oms.return_authorization ORDER BY random() LIMIT 1)'),
    ('po_id', NULL, true, '(SELECT po_id FROM oms.purchase_order ORDER BY random() LIMIT 1)'),
    ('line_id', NULL, true, '(SELECT line_id FROM oms.order_line ORDER BY random() LIMIT 1)'),
    ('sku', NULL, true, 'soak_sku()'), ('location', NULL, true, 'soak_location()'),
    ('from_location', NULL, true, 'soak_location()'), ('to_location', NULL, true, 'soak_location()'),
    ('supplier', NULL, true, '''ACME'''), ('channel', NULL, true, '''web'''), ('carrier', NULL, true, '''UPS'''),
    ('customer', NULL, true, $$'fuzz' || floor(random() * 20)::int || '@example.com'$$),
    ('tracking_number', NULL, true, $$'FZ-' || gen_random_uuid()$$),
    ('service_level', 'text', true, '''ground'''), ('service_level', 'double precision', true, '0.9'),
    ('kind', NULL, true, $$(ARRAY['authorization', 'capture', 'refund', 'void', 'exchange'])[1 + floor(random() * 5)::int]$$),
    ('to_status', NULL, true, $$(ARRAY['picking', 'packed', 'in_transit', 'lost', 'cancelled', 'authorized', 'received', 'rejected'])[1 + floor(random() * 8)::int]$$),
    ('then_do', NULL, true, $$(ARRAY['cancel', 'reship'])[1 + floor(random() * 2)::int]$$),
    ('machine', NULL, true, '''order'''), ('source', NULL, true, '''shipped'''), ('consumer', NULL, true, '''fz'''),
    ('topic', NULL, true, '''fuzz.event'''), ('hold_ref', NULL, true, $$'fz-' || floor(random() * 30)::int$$),
    ('lines', NULL, true, 'soak_lines(1 + floor(random() * 3)::int, false)'),
    ('changes', NULL, true, 'soak_lines(1, true)'),
    ('exchange', NULL, true, 'soak_lines(1, false)'),
    ('options', NULL, true, $$'{}'$$), ('options', NULL, true, $$'{"confirm": true}'$$),
    ('options', NULL, true, $$'{"authorize": true}'$$),
    ('amount', NULL, true, 'round((random() * 30)::numeric, 2)'),
    ('qty', NULL, true, '1 + floor(random() * 5)::int'), ('delta', NULL, true, 'floor(random() * 7)::int - 3'),
    ('counted', NULL, true, 'floor(random() * 400)::int'),
    ('reorder_point', NULL, true, 'floor(random() * 50)::int'), ('reorder_qty', NULL, true, '10'),
    ('history_days', NULL, true, '28'), ('days', NULL, true, '3'), ('batch', NULL, true, '10'),
    ('ttl', NULL, true, $$'3 seconds'$$), ('older_than', NULL, true, $$'1 hour'$$),
    ('event_ids', NULL, true, '(SELECT array_agg(event_id) FROM (SELECT event_id FROM oms.event ORDER BY random() LIMIT 5) e)'),
    (NULL, 'text', true, '''x'''), (NULL, 'bigint', true, '1'), (NULL, 'integer', true, '1'),
    (NULL, 'numeric', true, '1'), (NULL, 'double precision', true, '0.5'), (NULL, 'boolean', true, 'random() < 0.5'),
    (NULL, 'jsonb', true, $$'{}'$$), (NULL, 'date', true, 'current_date'),
    (NULL, 'timestamp with time zone', true, 'now()'), (NULL, 'interval', true, $$'1 hour'$$),
    (NULL, 'bigint[]', true, $$'{}'$$), (NULL, 'double precision[]', true, 'NULL');
-- bad values of every type
INSERT INTO fuzz_value (arg, typ, valid, expr) VALUES
    (NULL, 'bigint', false, '0'), (NULL, 'bigint', false, '-1'), (NULL, 'bigint', false, '9223372036854775807'),
    (NULL, 'bigint', false, '2147483647'), (NULL, 'integer', false, '2147483647'), (NULL, 'integer', false, '-1'),
    (NULL, 'numeric', false, $$'NaN'$$), (NULL, 'numeric', false, '1e12'), (NULL, 'numeric', false, '0.001'),
    (NULL, 'numeric', false, '-5'), (NULL, 'double precision', false, $$'NaN'$$),
    (NULL, 'double precision', false, $$'Infinity'$$),
    (NULL, 'text', false, ''''''), (NULL, 'text', false, '''NOPE'''), (NULL, 'text', false, $$'a''b"c\'$$),
    (NULL, 'text', false, 'repeat(''é'', 300)'),
    (NULL, 'jsonb', false, $$'[]'$$), (NULL, 'jsonb', false, $$'[1]'$$), (NULL, 'jsonb', false, $$'"x"'$$),
    (NULL, 'jsonb', false, $$'[{"sku": "HOT", "qty": 0}]'$$), (NULL, 'jsonb', false, $$'[{"sku": "HOT", "qty": 1e20}]'$$),
    (NULL, 'jsonb', false, $$'[{"sku": "HOT", "qty": 1, "x": 1}]'$$), (NULL, 'jsonb', false, $$'{"bogus": true}'$$),
    (NULL, 'jsonb', false, $$'[{"sku": "HOT", "qty": 2147483648}]'$$),
    (NULL, 'date', false, $$'infinity'$$), (NULL, 'date', false, $$'0001-01-01'$$),
    (NULL, 'timestamp with time zone', false, $$'-infinity'$$),
    (NULL, 'interval', false, $$'-1 day'$$), (NULL, 'interval', false, $$'1000 years'$$),
    (NULL, 'bigint[]', false, $$'{NULL,-1}'$$), (NULL, 'double precision[]', false, $$'{NaN}'$$);

-- the API: every function of oms but the triggers and the job scheduling
-- (which reaches pg_cron's database over dblink)
CREATE TABLE fuzz_fn AS
SELECT p.proname::text AS fn, array_agg(a.name ORDER BY a.n) AS args, array_agg(a.typ ORDER BY a.n) AS types
FROM pg_proc p
LEFT JOIN LATERAL (
    SELECT t.n, p.proargnames[t.n]::text AS name, format_type(t.typ, NULL) AS typ
    FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS t(typ, n)
    WHERE COALESCE(p.proargmodes[t.n], 'i') = 'i') a ON true
WHERE p.pronamespace = 'oms'::regnamespace AND p.prorettype <> 'trigger'::regtype
  AND p.proname NOT IN ('schedule_jobs', 'unschedule_jobs', 'cron_conninfo', 'cron_dblink_schema')
GROUP BY p.oid, p.proname;

CREATE FUNCTION fuzz_arg(a text, t text) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN random() < 0.08 THEN 'NULL'
                ELSE COALESCE(
                    (SELECT expr FROM fuzz_value
                     WHERE random() < 0.85 AND valid AND arg = a AND (typ IS NULL OR typ = t) ORDER BY random() LIMIT 1),
                    (SELECT expr FROM fuzz_value
                     WHERE arg IS NULL AND typ = t AND (valid OR random() < 0.7) ORDER BY random() LIMIT 1),
                    'NULL') END
$$;

CREATE FUNCTION fuzz_step() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    f record;
    q text;
    st text;
    msg text;
BEGIN
    SELECT * INTO f FROM fuzz_fn ORDER BY random() LIMIT 1;
    SELECT format('SELECT count(*) FROM oms.%I(%s)', f.fn,
                  COALESCE(string_agg(format('%I => (%s)::%s', x.a, fuzz_arg(x.a, x.t), x.t), ', ' ORDER BY x.n), ''))
    INTO q
    FROM unnest(f.args, f.types) WITH ORDINALITY AS x(a, t, n)
    WHERE x.a IS NOT NULL;
    BEGIN
        EXECUTE q;
        INSERT INTO fuzz_log VALUES (f.fn, 'ok', NULL, NULL);
        RETURN 'ok';
    EXCEPTION WHEN serialization_failure OR deadlock_detected THEN
        RAISE;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        INSERT INTO fuzz_log VALUES (f.fn, st, left(msg, 300), CASE WHEN st !~ '^(OM|22)' THEN left(q, 2000) END);
        RETURN st;
    END;
END
$$;

CREATE TABLE fuzz_violation (at timestamptz DEFAULT clock_timestamp(), invariant text, violations bigint);
CREATE FUNCTION fuzz_check() RETURNS bigint LANGUAGE sql AS $$
    WITH bad AS (INSERT INTO fuzz_violation (invariant, violations)
                 SELECT invariant, violations FROM oms_invariants() WHERE violations <> 0 RETURNING 1)
    SELECT count(*) FROM bad
$$;
