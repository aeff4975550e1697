-- bad_inputs: every function of the API, called from a table of arguments
-- generated from pg_proc (issue 15, item 3).  For each input argument of
-- each function: NULL, and the bad values of its type (zero, negative and
-- boundary numbers, money at and past numeric(14,2), NaN and infinity,
-- malformed jsonb, 1001 and 100000 lines, unknown references, quotes,
-- unicode and 1 MB of text), the other arguments valid.  Each call runs in
-- a subtransaction that is rolled back even when it succeeds; its SQLSTATE
-- is recorded.  Expected: no backend crash, no internal error (XX000), every
-- failure in a documented class (README, Errors), and every table exactly as
-- before (a checksum of every table of oms).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- data for the valid arguments: an order with a pending shipment, a
-- delivered order with an authorized return, a submitted purchase order,
-- a cart hold, a claimed event
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC'), ('WEST', 'West DC');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');
SELECT count(oms.receive_stock(s, l, 100)) AS received FROM unnest(ARRAY['TEE', 'MUG']) s, unnest(ARRAY['EAST', 'WEST']) l;
SELECT oms.place_order('base@example.com', 'web', '[{"sku": "TEE", "qty": 5, "unit_price": "10"}]', '{"confirm": true}') AS o \gset
SELECT oms.create_shipment(:o, 'EAST', '[{"sku": "TEE", "qty": 1}]') AS s \gset
SELECT oms.place_order('ret@example.com', 'web', '[{"sku": "MUG", "qty": 3, "unit_price": "8"}]', '{"confirm": true}') AS ro \gset
SELECT oms.record_payment(:ro, 'authorization', 24) > 0 AS authorized, oms.record_payment(:ro, 'capture', 24) > 0 AS captured;
SELECT oms.create_shipment(:ro, 'EAST') AS rs \gset
SELECT oms.ship(:rs, 'UPS', '1Z0001') IS NOT NULL AS shipped, oms.deliver(:rs) AS delivered;
SELECT oms.request_return(:ro, '[{"sku": "MUG", "qty": 1, "reason": "size_fit"}]', 'refund', '{"authorize": true}') AS rma \gset
SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5, "unit_cost": "1.25"}]') AS po \gset
SELECT oms.submit_purchase_order(:po);
SELECT oms.hold_stock('cart-1', '[{"sku": "TEE", "qty": 1}]') > 0 AS held;
SELECT count(*) AS claimed FROM oms.claim_events('c1', 5);
SELECT min(line_id) AS line FROM oms.order_line WHERE order_id = :o \gset
-- a serialized item in stock and an open shipment of it (issue 16)
INSERT INTO oms.item (sku, name, serialized) VALUES ('SN', 'Serialized', true);
SELECT oms.receive_serials('SN', 'EAST', '{SN-1,SN-2}') > 0 AS received_serials;
SELECT oms.create_shipment(oms.place_order('sn@example.com', 'web', '[{"sku": "SN", "qty": 1, "unit_price": "5"}]',
                                           '{"confirm": true}'), 'EAST') AS sns \gset
SELECT oms.set_sku_map('web', 'EXT-TEE', 'TEE');
-- customer notifications: the reference templates and a claimed notification
SET oms.customer_notifications = on;
SELECT count(oms.set_notification_template(kind, channel, language, subject, body)) AS templates
FROM oms.default_notification_templates();
SELECT oms.place_order('notified@example.com', 'web', '[{"sku": "TEE", "qty": 1}]') > 0 AS notified;
SELECT notification_id AS nid FROM oms.claim_notifications('w1', 1) \gset

-- A valid value for each argument, by name (and by function where a name
-- means different things), else by type.
CREATE TEMP TABLE valid_arg (fn text, arg text, typ text, value text);
INSERT INTO valid_arg (fn, arg, typ, value) VALUES
    (NULL, 'order_id', NULL, :'o'), (NULL, 'shipment_id', NULL, :'s'), (NULL, 'rma_id', NULL, :'rma'),
    (NULL, 'po_id', NULL, :'po'), (NULL, 'line_id', NULL, :'line'),
    -- the KPI capture's helper takes a shipment row
    (NULL, 's', 'oms.shipment', '(SELECT s FROM oms.shipment s ORDER BY s.shipment_id LIMIT 1)'),
    ('refund', 'order_id', NULL, :'ro'), ('refundable_balance', 'order_id', NULL, :'ro'),
    ('request_return', 'order_id', NULL, :'ro'),
    ('assign_serials', 'shipment_id', NULL, :'sns'), ('receive_serials', 'sku', NULL, '''SN'''),
    ('receive_serials', 'serials', NULL, '''{SN-9}'''),
    ('assign_serials', 'lines', NULL, '''[{"sku": "SN", "serials": ["SN-1"]}]'''),
    ('deliver', 'shipment_id', NULL, :'rs'), ('return_to_sender', 'shipment_id', NULL, :'rs'),
    (NULL, 'sku', NULL, '''TEE'''), (NULL, 'location', NULL, '''EAST'''),
    (NULL, 'from_location', NULL, '''EAST'''), (NULL, 'to_location', NULL, '''WEST'''),
    (NULL, 'supplier', NULL, '''ACME'''), (NULL, 'channel', NULL, '''web'''),
    (NULL, 'customer', NULL, '''bad@example.com'''), (NULL, 'carrier', NULL, '''UPS'''),
    (NULL, 'tracking_number', NULL, '''T-1'''), (NULL, 'service_level', 'text', '''ground'''),
    (NULL, 'service_level', 'double precision', '0.95'), (NULL, 'currency', NULL, '''USD'''),
    ('record_payment', 'kind', NULL, '''authorization'''), ('request_return', 'kind', NULL, '''refund'''),
    ('change_return', 'kind', NULL, '''refund'''),
    ('advance_shipment', 'to_status', NULL, '''picking'''), ('advance_return', 'to_status', NULL, '''rejected'''),
    (NULL, 'then_do', NULL, '''cancel'''), (NULL, 'machine', NULL, '''order'''),
    (NULL, 'source', NULL, '''shipped'''), (NULL, 'consumer', NULL, '''c1'''), (NULL, 'topic', NULL, '''test.event'''),
    (NULL, 'entity', NULL, '''test'''), (NULL, 'hold_ref', NULL, '''cart-1'''), (NULL, 'prefix', NULL, '''SO'''),
    (NULL, 'required', NULL, '''none'''), (NULL, 'status', NULL, '''paid'''),
    (NULL, 'lines', NULL, '''[{"sku": "TEE", "qty": 1}]'''), (NULL, 'changes', NULL, '''[{"sku": "TEE", "qty": 4}]'''),
    ('request_return', 'lines', NULL, '''[{"sku": "MUG", "qty": 1, "reason": "size_fit"}]'''),
    ('receive_return', 'lines', NULL, '''[{"sku": "MUG", "qty": 1, "condition": "resellable"}]'''),
    ('inspect_return', 'lines', NULL, '''[{"sku": "MUG", "resellable": 1}]'''),
    ('create_purchase_order', 'lines', NULL, '''[{"sku": "MUG", "qty": 1, "unit_cost": "1"}]'''),
    ('receive_purchase_order', 'lines', NULL, '''[{"sku": "MUG", "qty": 1}]'''),
    (NULL, 'exchange', NULL, '''[{"sku": "TEE", "qty": 1}]'''),
    -- marketplace import: a minimal Shopify order of a mapped sku, and a payment notice
    ('import_order', 'source', NULL, '''shopify'''), ('import_payment', 'source', NULL, '''shopify'''),
    ('import_source', 'source', NULL, '''shopify'''), ('import_lock', 'source', NULL, '''shopify'''),
    ('import_order', 'payload', NULL, $v$'{"id": 1, "email": "imp@example.com", "currency": "USD", "line_items": [{"sku": "EXT-TEE", "quantity": 1, "price": "10.00"}]}'$v$),
    ('import_map_shopify', 'p', NULL, $v$'{"id": 1, "email": "imp@example.com", "currency": "USD", "line_items": [{"sku": "EXT-TEE", "quantity": 1, "price": "10.00"}]}'$v$),
    ('import_map_woocommerce', 'p', NULL, $v$'{"id": 1, "currency": "USD", "billing": {"email": "imp@example.com"}, "line_items": [{"sku": "EXT-TEE", "quantity": 1, "subtotal": "10.00"}]}'$v$),
    ('import_map_amazon', 'p', NULL, $v$'{"AmazonOrderId": "1", "BuyerInfo": {"BuyerEmail": "imp@example.com"}, "OrderItems": [{"SellerSKU": "EXT-TEE", "QuantityOrdered": 1, "ItemPrice": {"CurrencyCode": "USD", "Amount": "10.00"}}]}'$v$),
    ('import_payment', 'payload', NULL, $v$'{"id": 2, "order_id": 1, "kind": "sale", "status": "success", "amount": "10.00", "currency": "USD"}'$v$),
    ('import_map_shopify_payment', 'p', NULL, $v$'{"id": 2, "order_id": 1, "kind": "sale", "status": "success", "amount": "10.00", "currency": "USD"}'$v$),
    ('import_map_woocommerce_payment', 'p', NULL, $v$'{"id": 1, "currency": "USD", "total": "10.00", "date_paid": "2024-01-01T00:00:00"}'$v$),
    ('import_text', 'v', NULL, '''"x"'''), ('import_amount', 'v', NULL, '''"1.00"'''), ('import_qty', 'v', NULL, '''1'''),
    ('import_lock', 'platform_order_id', NULL, '''1'''),
    (NULL, 'event_ids', NULL, '''{1,2}'''), (NULL, 'dow_factors', NULL, '''{1,1,1,1,1,1,1}'''),
    (NULL, 'amount', NULL, '1.00'), (NULL, 'reorder_point', NULL, '10'), (NULL, 'reorder_qty', NULL, '20'),
    (NULL, 'lead_time_days', NULL, '5'), (NULL, 'days', NULL, '3'), (NULL, 'n', NULL, '1'),
    (NULL, 'history_days', NULL, '56'), (NULL, 'batch', NULL, '10'), (NULL, 'alpha', NULL, '0.3'),
    (NULL, 'p', NULL, '0.95'), (NULL, 'daily_demand', NULL, '1.5'), (NULL, 'counted', NULL, '100'),
    (NULL, 'delta', NULL, '1'), (NULL, 'qty', NULL, '1'), (NULL, 'total', NULL, '10'),
    (NULL, 'ttl', NULL, '''15 minutes'''), (NULL, 'visibility_timeout', NULL, '''5 minutes'''),
    (NULL, 'older_than', NULL, '''7 days'''), (NULL, 'delivered_at', NULL, 'now()'),
    -- calls without a key; the key's own bad values are tried one by one
    (NULL, 'idempotency_key', NULL, 'NULL'),
    -- customer notifications
    ('set_notification_template', 'kind', NULL, '''delivery'''),
    ('set_notification_template', 'channel', NULL, '''sms'''), ('set_notification_template', 'subject', NULL, 'NULL'),
    ('set_notification_preference', 'customer', NULL, '''base@example.com'''),
    ('set_notification_preference', 'channel', NULL, '''email'''), ('claim_notifications', 'channel', NULL, '''email'''),
    (NULL, 'language', NULL, '''en'''), (NULL, 'phone', NULL, '''+15551234567'''),
    (NULL, 'opt_out', NULL, '''{delivery}'''), (NULL, 'worker', NULL, '''w1'''), (NULL, 'notification_id', NULL, :'nid'),
    (NULL, 'lease', NULL, '''1 minute'''), (NULL, 'retry_in', NULL, '''1 minute'''),
    (NULL, 'template', NULL, '''Hi {name}'''), (NULL, 'vars', NULL, '''{"name": "Ann"}'''),
    (NULL, NULL, 'text', '''x'''), (NULL, NULL, 'bigint', '1'), (NULL, NULL, 'integer', '1'),
    (NULL, NULL, 'numeric', '1'), (NULL, NULL, 'double precision', '1'), (NULL, NULL, 'boolean', 'false'),
    (NULL, NULL, 'jsonb', '''{}'''), (NULL, NULL, 'date', 'current_date'), (NULL, NULL, 'text[]', '''{*}'''),
    (NULL, NULL, 'timestamp with time zone', 'now()'), (NULL, NULL, 'interval', '''1 hour''');

-- The large values, built once.
CREATE TEMP TABLE bad_big AS
SELECT (SELECT jsonb_agg(jsonb_build_object('sku', 'TEE', 'qty', 1)) FROM generate_series(1, 1001)) AS lines1001,
       (SELECT jsonb_agg(jsonb_build_object('sku', 'TEE', 'qty', 1)) FROM generate_series(1, 100000)) AS lines100000,
       (SELECT array_agg(g::bigint) FROM generate_series(1, 10001) g) AS ids10001,
       (SELECT array_agg(g::bigint) FROM generate_series(1, 1000000) g) AS ids1000000,
       (SELECT array_agg(1.0::float8) FROM generate_series(1, 1000000)) AS factors1000000,
       repeat('x', 1048576) AS text1mb;

-- The bad values of each type (a label and an SQL expression).
CREATE TEMP TABLE bad_value (typ text, label text, value text);
INSERT INTO bad_value VALUES
    ('bigint', '0', '0'), ('bigint', '-1', '-1'), ('bigint', '2^31-1', '2147483647'),
    ('bigint', '2^63-1', '9223372036854775807'), ('bigint', '-2^63', '(-9223372036854775807 - 1)'),
    ('integer', '0', '0'), ('integer', '-1', '-1'), ('integer', '2^31-1', '2147483647'), ('integer', '-2^31', '(-2147483647 - 1)'),
    ('numeric', '0', '0'), ('numeric', '-1', '-1'), ('numeric', '0.001', '0.001'),
    ('numeric', '999999999999.99', '999999999999.99'), ('numeric', '1e12', '1000000000000'),
    ('numeric', '1e300', '1e300'), ('numeric', 'NaN', '''NaN''::numeric'),
    ('numeric', 'Infinity', '''Infinity''::numeric'), ('numeric', '-Infinity', '''-Infinity''::numeric'),
    ('double precision', 'NaN', '''NaN''::float8'), ('double precision', 'Infinity', '''Infinity''::float8'),
    ('double precision', '-1', '-1'), ('double precision', '0', '0'), ('double precision', '2', '2'),
    ('double precision', '1e308', '1e308'),
    ('text', 'empty', ''''''), ('text', 'unknown', '''NOPE-404'''),
    ('text', 'quotes', $v$'O''Brien"; DROP TABLE oms.item; --'$v$), ('text', 'unicode', $v$'Ünï©ødé 🙂 ﷽'$v$),
    ('text', 'control', $v$E'tab\there\nnew line'$v$), ('text', '1 MB', '(SELECT text1mb FROM bad_big)'),
    ('jsonb', 'null', '''null'''), ('jsonb', 'string', '''"x"'''), ('jsonb', 'number', '''1'''),
    ('jsonb', 'object', '''{}'''), ('jsonb', 'array', '''[]'''), ('jsonb', '[1]', '''[1]'''), ('jsonb', '[null]', '''[null]'''),
    ('jsonb', 'nested array', '''[[{"sku": "TEE", "qty": 1}]]'''), ('jsonb', 'no qty', '''[{"sku": "TEE"}]'''),
    ('jsonb', 'no sku', '''[{"qty": 1}]'''), ('jsonb', 'sku number', '''[{"sku": 1, "qty": 1}]'''),
    ('jsonb', 'qty string', '''[{"sku": "TEE", "qty": "one"}]'''), ('jsonb', 'qty 1.5', '''[{"sku": "TEE", "qty": 1.5}]'''),
    ('jsonb', 'qty 1e30', '''[{"sku": "TEE", "qty": 1e30}]'''), ('jsonb', 'qty 0', '''[{"sku": "TEE", "qty": 0}]'''),
    ('jsonb', 'qty -1', '''[{"sku": "TEE", "qty": -1}]'''),
    ('jsonb', 'unknown sku', '''[{"sku": "NOPE-404", "qty": 1}]'''),
    ('jsonb', 'unknown key', '''[{"sku": "TEE", "qty": 1, "bogus": 1}]'''), ('jsonb', 'object with unknown key', '''{"bogus": 1}'''),
    ('jsonb', 'options: 1 MB keys', $v$(SELECT jsonb_build_object('idempotency_key', x, 'channel_order_ref', x) FROM repeat('k', 1048576) x)$v$),
    ('jsonb', 'options: 1 MB ship_to', $v$(SELECT jsonb_build_object('ship_to', jsonb_build_object('name', x, 'line1', x, 'city', 'X', 'postal_code', '1', 'country', 'US')) FROM repeat('n', 1048576) x)$v$),
    ('jsonb', 'lines: 1 MB sku', $v$(SELECT jsonb_build_array(jsonb_build_object('sku', repeat('s', 1048576), 'qty', 1)))$v$),
    ('jsonb', 'deep', '''{"a": {"b": [[[[[[[[[[1]]]]]]]]]]}}'''),
    ('jsonb', '1001 lines', '(SELECT lines1001 FROM bad_big)'), ('jsonb', '100000 lines', '(SELECT lines100000 FROM bad_big)'),
    ('date', 'infinity', '''infinity''::date'), ('date', '-infinity', '''-infinity''::date'),
    ('date', 'max', '''5874897-12-31''::date'), ('date', '4713 BC', '''4713-01-01 BC''::date'),
    ('timestamp with time zone', 'infinity', '''infinity''::timestamptz'),
    ('timestamp with time zone', '-infinity', '''-infinity''::timestamptz'),
    ('timestamp with time zone', 'year 200000', '''200000-01-01''::timestamptz'),
    ('interval', '-1 day', '''-1 day''::interval'), ('interval', '0', '''0''::interval'),
    ('interval', '100 million years', '''100000000 years''::interval'), ('interval', '1 microsecond', '''1 microsecond''::interval'),
    ('bigint[]', 'empty', '''{}''::bigint[]'), ('bigint[]', '{NULL}', '''{NULL}''::bigint[]'),
    ('bigint[]', '10001 ids', '(SELECT ids10001 FROM bad_big)'), ('bigint[]', '1000000 ids', '(SELECT ids1000000 FROM bad_big)'),
    ('double precision[]', 'empty', '''{}''::float8[]'), ('double precision[]', 'NaN', '''{NaN,NaN,NaN,NaN,NaN,NaN,NaN}''::float8[]'),
    ('double precision[]', '1000000', '(SELECT factors1000000 FROM bad_big)');

-- every function of the API (not the triggers) with its input arguments
CREATE TEMP TABLE api_arg AS
SELECT p.oid::regprocedure::text AS signature, p.proname::text AS fn, a.n, a.name::text AS arg,
       format_type(a.typ, NULL) AS typ, p.pronargs
FROM pg_proc p
CROSS JOIN LATERAL (
    SELECT t.n, p.proargnames[t.n] AS name, t.typ
    FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY AS t(typ, n)
    WHERE COALESCE(p.proargmodes[t.n], 'i') = 'i') a
WHERE p.pronamespace = 'oms'::regnamespace
  AND p.prorettype <> 'trigger'::regtype;

CREATE TEMP VIEW arg_value AS
SELECT a.signature, a.fn, a.n, a.arg, a.typ,
       (SELECT v.value FROM valid_arg v
        WHERE (v.fn IS NULL OR v.fn = a.fn) AND (v.arg IS NULL OR v.arg = a.arg) AND (v.typ IS NULL OR v.typ = a.typ)
        ORDER BY v.fn IS NULL, v.arg IS NULL, v.typ IS NULL LIMIT 1) AS valid
FROM api_arg a;

-- every call: one argument bad, the others valid; functions without
-- arguments once as they are
CREATE TEMP TABLE bad_call AS
SELECT DISTINCT a.fn, a.signature, b.arg, b.label,
       format('SELECT * FROM oms.%I(%s)', a.fn,
              string_agg(format('%I => %s::%s', a.arg, CASE WHEN a.n = b.n THEN b.value ELSE a.valid END, a.typ), ', ' ORDER BY a.n)) AS sql
FROM arg_value a
JOIN (SELECT x.signature, x.n, x.arg, 'NULL' AS label, 'NULL' AS value FROM api_arg x
      UNION ALL
      SELECT x.signature, x.n, x.arg, v.label, v.value FROM api_arg x JOIN bad_value v ON v.typ = x.typ) b
  ON b.signature = a.signature
GROUP BY a.fn, a.signature, b.n, b.arg, b.label, b.value
UNION ALL
SELECT p.proname, p.oid::regprocedure::text, NULL, 'no arguments', format('SELECT * FROM oms.%I()', p.proname)
FROM pg_proc p
WHERE p.pronamespace = 'oms'::regnamespace AND p.prorettype <> 'trigger'::regtype AND p.pronargs = 0;

-- a checksum of every table of the extension
CREATE FUNCTION pg_temp.checksum() RETURNS TABLE (tbl text, md5 text) LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind = 'r' ORDER BY c.relname LOOP
        tbl := t::text;
        EXECUTE format('SELECT md5(COALESCE(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) FROM %s x', t) INTO md5;
        RETURN NEXT;
    END LOOP;
END
$$;
CREATE TEMP TABLE before AS SELECT * FROM pg_temp.checksum();

-- Run each call on its own (one transaction each) in a subtransaction that
-- a marker error rolls back when the call succeeds.
CREATE TEMP TABLE bad_result (fn text, arg text, label text, sqlstate text, message text);
CREATE FUNCTION pg_temp.try(fn text, arg text, label text, cmd text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
BEGIN
    BEGIN
        EXECUTE cmd;
        RAISE EXCEPTION 'rolled back' USING ERRCODE = 'ZZ000';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    INSERT INTO bad_result VALUES (fn, arg, label, CASE WHEN st = 'ZZ000' THEN 'ok' ELSE st END,
                                   CASE WHEN st = 'ZZ000' THEN NULL ELSE left(msg, 150) END);
END
$$;
\o /dev/null
SELECT format('SELECT pg_temp.try(%L, %L, %L, %L)', fn, arg, label, sql) FROM bad_call ORDER BY signature, arg, label
\gexec
\o

-- the figures.  Documented: the OM class, 22023 and 22003 (README, Errors),
-- and 42704 from the job-scheduling functions when pg_cron is in another
-- database and dblink is missing (README, Jobs), as here.
CREATE TEMP VIEW bad_verdict AS
SELECT *, sqlstate ~ '^(OM0(0[1-9]|1[0-2])|22023|22003)$'
          OR (sqlstate = '42704' AND fn IN ('schedule_jobs', 'unschedule_jobs', 'cron_dblink_schema')) AS documented
FROM bad_result;
SELECT count(*) AS calls, count(DISTINCT fn) AS functions,
       count(*) FILTER (WHERE sqlstate = 'ok') AS succeeded,
       count(*) FILTER (WHERE documented) AS documented_sqlstate,
       count(*) FILTER (WHERE sqlstate <> 'ok' AND NOT documented) AS other_sqlstate,
       count(*) FILTER (WHERE sqlstate = 'XX000') AS internal_errors
FROM bad_verdict;
SELECT sqlstate, count(*) FROM bad_result GROUP BY 1 ORDER BY 1;
-- nothing changed: no table differs from its checksum before the calls
SELECT b.tbl FROM before b JOIN pg_temp.checksum() a USING (tbl) WHERE b.md5 <> a.md5;
-- every answer outside ok and the documented SQLSTATEs, with its call
SELECT fn, arg, label, sqlstate, message FROM bad_verdict
WHERE sqlstate <> 'ok' AND NOT documented
ORDER BY fn, arg, label;
-- every argument answered NULL with a documented SQLSTATE or worked (an
-- optional argument): the NULL calls by answer
SELECT sqlstate, count(*) FROM bad_verdict WHERE label = 'NULL' GROUP BY 1 ORDER BY 1;

-- ===========================================================================
-- The bounds these calls found missing (README, Bounds), one by one
-- ===========================================================================
CREATE FUNCTION pg_temp.show(cmd text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- line lists: 8000 distinct lines took place_order 6 s and edit_order 7 s,
-- growing faster than linearly (100000 lines would run for minutes)
SELECT pg_temp.show(format($q$SELECT oms.place_order('b@example.com', 'web', %L)$q$, lines1001)) AS place_order_1001_lines FROM bad_big;
SELECT pg_temp.show(format($q$SELECT oms.edit_order(%s, %L)$q$, :o, lines1001)) AS edit_order_1001_lines FROM bad_big;
SELECT pg_temp.show(format($q$SELECT oms.request_return(%s, %L)$q$, :ro, lines1001)) AS request_return_1001_lines FROM bad_big;
SELECT pg_temp.show(format($q$SELECT oms.create_purchase_order('ACME', 'EAST', %L)$q$, lines1001)) AS purchase_order_1001_lines FROM bad_big;
SELECT pg_temp.show($q$SELECT oms.hold_stock('cart-1000', (SELECT jsonb_agg(jsonb_build_object('sku', 'MUG', 'qty', 1)) FROM generate_series(1, 1000)))$q$) AS hold_stock_1000_lines;
-- event ids to acknowledge: a claim is at most 10000
SELECT pg_temp.show(format($q$SELECT oms.ack_events('c1', %L)$q$, ids10001)) AS ack_10001_ids FROM bad_big;
-- keys and references: 1 MB used to fail with 54000 from the btree index
SELECT pg_temp.show(format($q$SELECT oms.record_payment(%s, 'authorization', 1, idempotency_key => repeat('k', 256))$q$, :o)) AS idempotency_key_256;
SELECT pg_temp.show(format($q$SELECT oms.record_payment(%s, 'authorization', 1, provider_ref => repeat('é', 300))$q$, :o)) AS provider_ref_300_chars;
SELECT pg_temp.show(format($q$SELECT oms.ship(%s, 'UPS', repeat('t', 1048576))$q$, :s)) AS tracking_number_1mb;
SELECT pg_temp.show($q$SELECT oms.hold_stock(repeat('h', 256), '[{"sku": "TEE", "qty": 1}]')$q$) AS hold_ref_256;
SELECT pg_temp.show($q$SELECT oms.emit_event('x', repeat('e', 256))$q$) AS event_entity_256;
SELECT pg_temp.show($q$SELECT oms.place_order('b@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', jsonb_build_object('channel_order_ref', repeat('r', 256)))$q$) AS channel_order_ref_256;
SELECT pg_temp.show($q$SELECT oms.hold_stock(repeat('h', 255), '[{"sku": "TEE", "qty": 1}]') > 0$q$) AS hold_ref_255;
-- dates at the ends of the calendar used to fail with 22008
SELECT pg_temp.show($q$SELECT oms.add_transit_days('5874897-12-31', 3, false)$q$) AS transit_from_last_date;
SELECT pg_temp.show($q$SELECT * FROM oms.forecast_demand('shipped', 56, 0.3, '4713-01-01 BC')$q$) AS forecast_as_of_4713_bc;
SELECT pg_temp.show($q$SELECT * FROM oms.demand_history('shipped', current_date, '5874897-12-31')$q$) AS history_to_last_date;
SELECT pg_temp.show($q$SELECT oms.lead_time_demand(1, NULL, 'infinity', 3)$q$) AS lead_time_from_infinity;
