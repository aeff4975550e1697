-- hostile_search_path: operators, functions, aggregates and function-style
-- casts planted in public by an unprivileged user must never run inside
-- oms, whoever calls it (oms_admin, oms_app, a plain user) and whatever
-- search_path the caller set.  Every trigger path and API function is run
-- with search_path = public, pg_catalog; each planted object logs to
-- public.hijack (and returns the right answer), and the log must stay empty.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE ROLE hostile_mallory;                   -- a plain user who may create in public
CREATE ROLE hostile_ada IN ROLE oms_admin;     -- an administrator
CREATE ROLE hostile_app IN ROLE oms_app;       -- the application
GRANT CREATE ON SCHEMA public TO hostile_mallory;

-- ---------------------------------------------------------------------------
-- the trap: a log anyone may write, and a logging twin of every common
-- built-in, owned by the plain user
-- ---------------------------------------------------------------------------
CREATE TABLE public.hijack (
    what text NOT NULL,
    run_as name NOT NULL DEFAULT current_user,
    by_session name NOT NULL DEFAULT session_user
);
GRANT INSERT, SELECT ON public.hijack TO PUBLIC;
ALTER TABLE public.hijack OWNER TO hostile_mallory;

SET ROLE hostile_mallory;
-- binary operators on the types oms computes with
DO $do$
DECLARE
    o record;
    n integer := 0;
BEGIN
    FOR o IN
        SELECT op.oprname, op.oprleft::regtype AS l, op.oprright::regtype AS r,
               op.oprresult::regtype AS res, p.proname
        FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_proc p ON p.oid = op.oprcode
        WHERE op.oprnamespace = 'pg_catalog'::regnamespace AND op.oprkind = 'b'
          AND op.oprname IN ('=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '||',
                             '->', '->>', '@>', '?', '~', '~~', '#>>')
          AND op.oprleft IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype,
                             'float8'::regtype, 'text'::regtype, 'bool'::regtype, 'date'::regtype,
                             'timestamptz'::regtype, 'interval'::regtype, 'jsonb'::regtype)
          AND op.oprright IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype,
                              'float8'::regtype, 'text'::regtype, 'bool'::regtype, 'date'::regtype,
                              'timestamptz'::regtype, 'interval'::regtype, 'jsonb'::regtype,
                              'text[]'::regtype)
    LOOP
        n := n + 1;
        EXECUTE format($f$
            CREATE FUNCTION public.hijack_op_%s(a %s, b %s) RETURNS %s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                INSERT INTO public.hijack (what) VALUES (%L);
                RETURN pg_catalog.%I(a, b);
            END $b$$f$, n, o.l, o.r, o.res, 'operator ' || o.oprname, o.proname);
        EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.hijack_op_%s)',
                       o.oprname, o.l, o.r, n);
    END LOOP;
END
$do$;
-- plain functions oms might call unqualified
DO $do$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.proname, pg_catalog.pg_get_function_result(p.oid) AS res,
               pg_catalog.pg_get_function_identity_arguments(p.oid) AS ident,
               (SELECT pg_catalog.string_agg('a' || u.i || ' ' || pg_catalog.format_type(u.t, NULL), ', ' ORDER BY u.i)
                FROM pg_catalog.unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i)) AS decl,
               (SELECT pg_catalog.string_agg('a' || u.i, ', ' ORDER BY u.i)
                FROM pg_catalog.unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i)) AS call
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
          AND p.proname IN ('lower', 'upper', 'length', 'lpad', 'btrim', 'round', 'abs', 'now',
                            'clock_timestamp', 'statement_timestamp', 'nextval', 'currval',
                            'date_part', 'to_char', 'jsonb_typeof', 'jsonb_array_length',
                            'array_length', 'pg_notify', 'current_setting', 'set_config',
                            'jsonb_set', 'to_jsonb', 'sqrt', 'exp', 'ln', 'floor', 'ceil', 'trunc',
                            'date_trunc', 'age', 'substr', 'position', 'replace', 'split_part',
                            'regexp_replace', 'md5', 'hashtext', 'pg_advisory_xact_lock',
                            'txid_current', 'random', 'greatest', 'least', 'jsonb_strip_nulls')
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(p.proargtypes::oid[]) t
                          WHERE pg_catalog.format_type(t, NULL) LIKE 'any%'
                             OR t IN ('internal'::regtype, 'cstring'::regtype))
          AND p.provariadic = 0
    LOOP
        EXECUTE format($f$
            CREATE FUNCTION public.%I(%s) RETURNS %s
            LANGUAGE plpgsql SET search_path = pg_catalog AS $b$
            BEGIN
                INSERT INTO public.hijack (what) VALUES (%L);
                %s pg_catalog.%I(%s);
            END $b$$f$, f.proname, coalesce(f.decl, ''), f.res,
            'function ' || f.proname || '(' || f.ident || ')',
            CASE WHEN f.res = 'void' THEN 'PERFORM' ELSE 'RETURN' END, f.proname, coalesce(f.call, ''));
    END LOOP;
END
$do$;
-- set-returning functions
CREATE FUNCTION public.unnest(a bigint[]) RETURNS SETOF bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('function unnest(bigint[])'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION public.unnest(a text[]) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('function unnest(text[])'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION public.unnest(a integer[]) RETURNS SETOF integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('function unnest(integer[])'); RETURN QUERY SELECT pg_catalog.unnest(a); END $$;
CREATE FUNCTION public.jsonb_array_elements(a jsonb) RETURNS SETOF jsonb
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('function jsonb_array_elements(jsonb)'); RETURN QUERY SELECT pg_catalog.jsonb_array_elements(a); END $$;
CREATE FUNCTION public.jsonb_each(a jsonb, OUT key text, OUT value jsonb) RETURNS SETOF record
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('function jsonb_each(jsonb)'); RETURN QUERY SELECT * FROM pg_catalog.jsonb_each(a); END $$;
CREATE FUNCTION public.generate_series(a integer, b integer) RETURNS SETOF integer
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('function generate_series(integer, integer)'); RETURN QUERY SELECT pg_catalog.generate_series(a, b); END $$;
-- aggregates
CREATE FUNCTION public.hijack_sum8(s numeric, v bigint) RETURNS numeric
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('aggregate sum(bigint)'); RETURN COALESCE(s, 0) + COALESCE(v, 0); END $$;
CREATE AGGREGATE public.sum(bigint) (SFUNC = public.hijack_sum8, STYPE = numeric);
CREATE FUNCTION public.hijack_sumn(s numeric, v numeric) RETURNS numeric
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('aggregate sum(numeric)'); RETURN COALESCE(s, 0) + COALESCE(v, 0); END $$;
CREATE AGGREGATE public.sum(numeric) (SFUNC = public.hijack_sumn, STYPE = numeric);
CREATE FUNCTION public.hijack_count(s bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('aggregate count(*)'); RETURN s + 1; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.hijack_count, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION public.hijack_max8(s bigint, v bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('aggregate max(bigint)'); RETURN pg_catalog.int8larger(s, v); END $$;
CREATE AGGREGATE public.max(bigint) (SFUNC = public.hijack_max8, STYPE = bigint);
CREATE AGGREGATE public.min(bigint) (SFUNC = public.hijack_max8, STYPE = bigint);
-- function-style casts: text(x), int8(x), numeric(x), date(x)
CREATE FUNCTION public.text(a bigint) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('cast text(bigint)'); RETURN a::text; END $$;
CREATE FUNCTION public.int8(a text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('cast int8(text)'); RETURN a::bigint; END $$;
CREATE FUNCTION public.int8(a numeric) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('cast int8(numeric)'); RETURN a::bigint; END $$;
CREATE FUNCTION public.numeric(a text) RETURNS numeric
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('cast numeric(text)'); RETURN a::numeric; END $$;
CREATE FUNCTION public.date(a timestamptz) RETURNS date
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('cast date(timestamptz)'); RETURN a::date; END $$;
-- a cast the plain user may create: from a type of its own
CREATE TYPE public.hijack_qty AS (n bigint);
CREATE FUNCTION public.hijack_qty_to_int8(q public.hijack_qty) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN INSERT INTO public.hijack (what) VALUES ('cast hijack_qty as bigint'); RETURN q.n; END $$;
CREATE CAST (public.hijack_qty AS bigint) WITH FUNCTION public.hijack_qty_to_int8(public.hijack_qty) AS IMPLICIT;
RESET ROLE;

SELECT count(*) > 100 AS operators_planted FROM pg_operator WHERE oprnamespace = 'public'::regnamespace;
SELECT count(*) > 50 AS functions_planted FROM pg_proc WHERE pronamespace = 'public'::regnamespace;

-- the trap works: under the hostile path, plain SQL runs the planted twins
SET search_path = public, pg_catalog;
SELECT 1::bigint + 2::bigint AS three, lower('A') AS a, sum(x) AS six FROM (VALUES (1::bigint), (2), (3)) v(x);
RESET search_path;
SELECT what FROM public.hijack ORDER BY what;
TRUNCATE public.hijack;

-- ---------------------------------------------------------------------------
-- h(cmd): run cmd with search_path = public, pg_catalog as the current role
-- and answer its first column, or the error.  h itself and this script's
-- own statements use only qualified names, so whatever the log records ran
-- inside oms.
-- ---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.h(cmd text, a1 bigint DEFAULT NULL, a2 bigint DEFAULT NULL) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    v text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'public, pg_catalog', true);
    IF pg_catalog.strpos(cmd, 'SELECT') OPERATOR(pg_catalog.=) 1
       OR pg_catalog.strpos(cmd, 'RETURNING') OPERATOR(pg_catalog.>) 0 THEN
        EXECUTE cmd INTO v USING a1, a2;
    ELSE
        EXECUTE cmd USING a1, a2;
    END IF;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog', true);
    RETURN COALESCE(v, 'ok');
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END
$$;
-- direct_writes(): plain INSERT/UPDATE/DELETE/TRUNCATE on the extension's
-- tables, one per trigger path, each through h()
CREATE FUNCTION pg_temp.direct_writes() RETURNS TABLE (step text, result text)
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    w text[] := ARRAY[
        'bundle component', $w$INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
            SELECT b.item_id, c.item_id, 2 FROM oms.item b, oms.item c
            WHERE b.sku OPERATOR(pg_catalog.=) 'KIT' AND c.sku OPERATOR(pg_catalog.=) 'MUG'
            ON CONFLICT DO NOTHING RETURNING 'ok'$w$,
        'ledger receipt', $w$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reference)
            SELECT i.item_id, l.location_id, 'receipt', 40, 'ASN-1' FROM oms.item i, oms.location l
            WHERE i.sku OPERATOR(pg_catalog.=) 'TEE' AND l.code OPERATOR(pg_catalog.=) 'EAST' RETURNING on_hand_after::text$w$,
        'reorder rule point', $w$UPDATE oms.reorder_rule SET reorder_point = 35 RETURNING reorder_point::text$w$,
        'ledger adjustment', $w$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reason)
            SELECT i.item_id, l.location_id, 'adjustment', -10, 'shrink' FROM oms.item i, oms.location l
            WHERE i.sku OPERATOR(pg_catalog.=) 'TEE' AND l.code OPERATOR(pg_catalog.=) 'EAST' RETURNING on_hand_after::text$w$,
        'ledger update', $w$UPDATE oms.inventory_movement SET reference = 'x' RETURNING 'ok'$w$,
        'ledger truncate', $w$TRUNCATE oms.inventory_movement$w$,
        'safety stock', $w$UPDATE oms.inventory_level SET safety_stock = 1 RETURNING 'ok'$w$,
        'reserved bucket', $w$UPDATE oms.inventory_level SET reserved = 99 RETURNING 'ok'$w$,
        'machine change', $w$INSERT INTO oms.status_transition (machine, from_status, to_status)
            VALUES ('order', 'pending', 'fraud_review'), ('order', 'fraud_review', 'confirmed')
            ON CONFLICT DO NOTHING RETURNING 'ok'$w$,
        'order insert', $w$INSERT INTO oms.sales_order DEFAULT VALUES RETURNING status$w$,
        'order move', $w$UPDATE oms.sales_order SET status = 'fraud_review'
            WHERE order_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(order_id) FROM oms.sales_order) RETURNING status$w$,
        'order illegal move', $w$UPDATE oms.sales_order SET status = 'completed'
            WHERE order_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(order_id) FROM oms.sales_order) RETURNING status$w$,
        'payment status', $w$UPDATE oms.sales_order SET payment_status = 'paid' RETURNING 'ok'$w$,
        'order total', $w$UPDATE oms.sales_order SET tax = 1 RETURNING payment_status$w$,
        'payment insert', $w$INSERT INTO oms.payment (order_id, kind, amount, currency)
            SELECT pg_catalog.max(order_id), 'capture', 1, 'USD' FROM oms.sales_order RETURNING 'ok'$w$,
        'payment truncate', $w$TRUNCATE oms.payment$w$,
        'purchase order', $w$INSERT INTO oms.purchase_order (supplier_id, location_id)
            SELECT s.supplier_id, l.location_id FROM oms.supplier s, oms.location l
            WHERE s.code OPERATOR(pg_catalog.=) 'ACME' AND l.code OPERATOR(pg_catalog.=) 'WEST' RETURNING status$w$,
        'purchase order line', $w$INSERT INTO oms.purchase_order_line (po_id, item_id, qty_ordered)
            SELECT (SELECT pg_catalog.max(po_id) FROM oms.purchase_order), item_id, 12
            FROM oms.item WHERE sku OPERATOR(pg_catalog.=) 'MUG' RETURNING qty_ordered::text$w$,
        'purchase order line edit', $w$UPDATE oms.purchase_order_line SET qty_ordered = 15
            WHERE po_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(po_id) FROM oms.purchase_order) RETURNING qty_ordered::text$w$,
        'purchase order submitted', $w$UPDATE oms.purchase_order SET status = 'submitted'
            WHERE po_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(po_id) FROM oms.purchase_order) RETURNING status$w$,
        'incoming', $w$SELECT pg_catalog.string_agg(incoming::text, ',' ORDER BY location_id) FROM oms.inventory_level
            WHERE item_id OPERATOR(pg_catalog.=) (SELECT item_id FROM oms.item WHERE sku OPERATOR(pg_catalog.=) 'MUG')$w$,
        'purchase order cancelled', $w$UPDATE oms.purchase_order SET status = 'cancelled'
            WHERE po_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(po_id) FROM oms.purchase_order) RETURNING status$w$,
        'purchase order delete', $w$DELETE FROM oms.purchase_order
            WHERE po_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(po_id) FROM oms.purchase_order) RETURNING 'ok'$w$,
        'event', $w$SELECT (oms.emit_event('custom.thing', 'order', 1, '{"k": 1}') OPERATOR(pg_catalog.>) 0)::text$w$
    ];
    i integer := 1;
BEGIN
    WHILE i OPERATOR(pg_catalog.<) pg_catalog.array_length(w, 1) LOOP
        step := w[i];
        result := pg_temp.h(w[i OPERATOR(pg_catalog.+) 1]);
        RETURN NEXT;
        i := i OPERATOR(pg_catalog.+) 2;
    END LOOP;
END
$$;
-- what the log holds, compactly
CREATE FUNCTION pg_temp.hijacked() RETURNS TABLE (what text, run_as name, n bigint)
LANGUAGE sql SET search_path = pg_catalog AS $$
    SELECT h.what, h.run_as, pg_catalog.count(*) FROM public.hijack h GROUP BY 1, 2 ORDER BY 1, 2
$$;

-- reference data
INSERT INTO oms.location (code, name, latitude, longitude) VALUES ('EAST', 'East', 40.7, -74.0), ('WEST', 'West', 39.5, -119.8);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('TEE', 'Tee', 'allow'), ('MUG', 'Mug', 'deny');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit', true);
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web');
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 5);
INSERT INTO oms.carrier (code, name, tracking_url) VALUES ('UPS', 'UPS', 'https://ups.example/{tracking_number}');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;

-- ---------------------------------------------------------------------------
-- direct writes that fire every trigger: first as the superuser (whom no
-- grant stops, so every trigger runs), then as an administrator
-- ---------------------------------------------------------------------------
SELECT oms.set_reorder_rule('TEE', 'EAST', 'ACME', reorder_point => 20, max_level => 60) IS NOT NULL AS rule;
SELECT * FROM pg_temp.direct_writes();
SET ROLE hostile_ada;
SELECT * FROM pg_temp.direct_writes();
RESET ROLE;
SELECT * FROM pg_temp.hijacked();

-- administrative functions, as the administrator
SET ROLE hostile_ada;
SELECT pg_temp.h($$SELECT (oms.set_reorder_rule('TEE', 'EAST', 'ACME', reorder_point => 30, max_level => 60)).reorder_point::text$$) AS rule_point;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.run_reorder()$$) AS reorder_lines;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.suggest_reorder_rules(false)$$) AS suggestions;
SELECT pg_temp.h($$SELECT oms.refresh_forecast()::text$$) AS forecasts;
SELECT pg_temp.h($$SELECT oms.purge_events('1 day')::text$$) AS purged;
SELECT pg_temp.h($$SELECT oms.purge_idempotency_keys('1 day')::text$$) AS keys_purged;
SELECT pg_temp.h($$SELECT oms.expire_reservations()::text$$) AS expired;
SELECT pg_temp.h($$SELECT (oms.emit_event('custom.thing', 'order', 1, '{"k": 1}') IS NOT NULL)::text$$) AS emitted;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.reorder_suggestions(0.95, 'shipped', 56, 0.3, CURRENT_DATE)$$) AS suggested;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.job_definitions()$$) AS jobs;
SELECT pg_temp.h($$SELECT (pg_catalog.length(oms.schedule_jobs_sql()) IS NOT NULL)::text$$) AS jobs_sql;
SELECT pg_temp.h($$SELECT pg_catalog.round(oms.normal_quantile(0.95)::numeric, 3)::text$$) AS z95;
SELECT pg_temp.h($$SELECT pg_catalog.round(oms.lead_time_demand(2.0, NULL, '2026-01-05', 7)::numeric, 1)::text$$) AS lead_time_demand;
-- reference rows and the bundle flag: their guards
SELECT pg_temp.h($$DELETE FROM oms.item WHERE sku OPERATOR(pg_catalog.=) 'MUG' RETURNING 'ok'$$) AS item_delete;
SELECT pg_temp.h($$UPDATE oms.item SET is_bundle = true WHERE sku OPERATOR(pg_catalog.=) 'TEE' RETURNING 'ok'$$) AS bundle_flag;
RESET ROLE;
-- the jobs' SQL is the superuser's to run
SELECT pg_temp.h($$SELECT (pg_catalog.length(oms.schedule_jobs_sql()) IS NOT NULL)::text$$) AS jobs_sql;
SELECT * FROM pg_temp.hijacked();

-- ---------------------------------------------------------------------------
-- the application: the whole life of orders through the API
-- ---------------------------------------------------------------------------
INSERT INTO oms.event_consumer (consumer, role_name) VALUES ('c1', 'hostile_app');
SET ROLE hostile_app;
SELECT pg_temp.h($$SELECT (oms.receive_stock('MUG', 'EAST', 50, 'ASN-2') IS NOT NULL)::text$$) AS received;
SELECT pg_temp.h($$SELECT (oms.receive_stock('TEE', 'EAST', 30) IS NOT NULL)::text$$) AS received;
SELECT pg_temp.h($$SELECT (oms.receive_stock('MUG', 'WEST', 10) IS NOT NULL)::text$$) AS received;
SELECT pg_temp.h($$SELECT (oms.adjust_stock('MUG', 'WEST', -1, 'broken') IS NOT NULL)::text$$) AS adjusted;
SELECT pg_temp.h($$SELECT oms.count_stock('MUG', 'WEST', 8)::text$$) AS counted;
SELECT pg_temp.h($$SELECT (oms.transfer_stock('MUG', 'EAST', 'WEST', 5) IS NOT NULL)::text$$) AS transferred;
SELECT pg_temp.h($$SELECT (oms.damage_stock('MUG', 'EAST', 3, 'dropped') IS NOT NULL)::text$$) AS damaged;
SELECT pg_temp.h($$SELECT (oms.scrap_stock('MUG', 'EAST', 1, 'gone') IS NOT NULL)::text$$) AS scrapped;
SELECT pg_temp.h($$SELECT (oms.restore_stock('MUG', 'EAST', 1, 'repaired') IS NOT NULL)::text$$) AS restored;
SELECT pg_temp.h($$SELECT oms.set_safety_stock('MUG', 'EAST', 2)::text$$) AS available;
SELECT pg_temp.h($$SELECT (oms.hold_stock('cart-1', '[{"sku": "MUG", "qty": 2}]', '10 minutes') IS NOT NULL)::text$$) AS held;
SELECT pg_temp.h($$SELECT (oms.hold_stock('cart-2', '[{"sku": "MUG", "qty": 1}]') IS NOT NULL)::text$$) AS held;
SELECT pg_temp.h($$SELECT oms.release_hold('cart-2')::text$$) AS released;
SELECT pg_temp.h($$SELECT oms.place_order('ann@example.com', 'web',
    '[{"sku": "MUG", "qty": 2, "unit_price": "8.00"}, {"sku": "TEE", "qty": 3, "unit_price": "15.00"}, {"sku": "KIT", "qty": 1, "unit_price": "20.00"}]',
    '{"hold": "cart-1", "idempotency_key": "k-1", "tax": "2.00", "shipping": "4.00", "strategy": "nearest",
      "ship_to": {"name": "Ann", "line1": "1 Main St", "city": "Newark", "postal_code": "07102", "country": "US",
                  "latitude": 40.73, "longitude": -74.17}}')::text$$) AS o1 \gset
\echo order :o1
SELECT pg_temp.h($$SELECT oms.place_order('ann@example.com', 'web',
    '[{"sku": "MUG", "qty": 2, "unit_price": "8.00"}, {"sku": "TEE", "qty": 3, "unit_price": "15.00"}, {"sku": "KIT", "qty": 1, "unit_price": "20.00"}]',
    '{"hold": "cart-1", "idempotency_key": "k-1", "tax": "2.00", "shipping": "4.00", "strategy": "nearest",
      "ship_to": {"name": "Ann", "line1": "1 Main St", "city": "Newark", "postal_code": "07102", "country": "US",
                  "latitude": 40.73, "longitude": -74.17}}')::text$$) = :'o1' AS idempotent_retry;
SELECT pg_temp.h($$SELECT (oms.edit_order($1, '[{"sku": "TEE", "qty": 4}]', 'more tees') IS NOT NULL)::text$$, :o1) AS edited;
SELECT pg_temp.h($$SELECT oms.cancel_order($1, '[{"sku": "TEE", "qty": 1}]', 'fewer tees')::text$$, :o1) AS cancelled_units;
SELECT pg_temp.h($$SELECT oms.hold_order($1, 'address check')$$, :o1) AS held;
SELECT pg_temp.h($$SELECT oms.release_order($1, 'address ok')$$, :o1) AS released;
SELECT pg_temp.h($$SELECT oms.confirm_order($1, 'paid')$$, :o1) AS confirmed;
SELECT pg_temp.h($$SELECT (oms.record_payment($1, 'authorization', 100.00, 'USD', 'psp', 'pi_1', 'auth-1') IS NOT NULL)::text$$, :o1) AS authorized;
SELECT pg_temp.h($$SELECT (oms.record_payment($1, 'capture', 100.00, 'USD', 'psp', 'ch_1', 'cap-1') IS NOT NULL)::text$$, :o1) AS captured;
SELECT pg_temp.h($$SELECT oms.refundable_balance($1)::text$$, :o1) AS refundable;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.pick_list('EAST')$$) AS pick_lines;
SELECT pg_temp.h($$SELECT pg_catalog.min(s)::text FROM oms.create_shipments($1) s$$, :o1) AS s1 \gset
\echo shipment :s1
SELECT pg_temp.h($$SELECT oms.advance_shipment($1, 'picking')$$, :s1) AS picking;
SELECT pg_temp.h($$SELECT oms.advance_shipment($1, 'packed')$$, :s1) AS packed;
SELECT pg_temp.h($$SELECT (oms.ship($1, 'UPS', 'TRACK-1') IS NOT NULL)::text$$, :s1) AS shipped;
SELECT pg_temp.h($$SELECT oms.advance_shipment($1, 'in_transit')$$, :s1) AS in_transit;
SELECT pg_temp.h($$SELECT oms.deliver($1)$$, :s1) AS delivered;
SELECT pg_temp.h($$SELECT oms.request_return($1, '[{"sku": "MUG", "qty": 2, "reason": "damaged"}]', 'refund')::text$$, :o1) AS r1 \gset
\echo rma :r1
SELECT pg_temp.h($$SELECT oms.advance_return($1, 'authorized', 'ok')$$, :r1) AS authorized;
SELECT pg_temp.h($$SELECT oms.receive_return($1, 'EAST')$$, :r1) AS received;
SELECT pg_temp.h($$SELECT oms.inspect_return($1, '[{"sku": "MUG", "resellable": 1, "damaged": 1}]')$$, :r1) AS inspected;
SELECT pg_temp.h($$SELECT oms.complete_return($1, 'done')$$, :r1) AS completed;
SELECT pg_temp.h($$SELECT (oms.refund($1, 1.00, 'goodwill', 'rf-1', 'psp', 're_1') IS NOT NULL)::text$$, :o1) AS refunded;
SELECT pg_temp.h($$SELECT oms.request_return($1, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', 'exchange', '{"exchange": [{"sku": "TEE", "qty": 1}], "authorize": true}')::text$$, :o1) AS r2 \gset
\echo rma :r2
SELECT pg_temp.h($$SELECT oms.receive_return($1, 'EAST')$$, :r2) AS received;
SELECT pg_temp.h($$SELECT oms.complete_return($1)$$, :r2) AS exchanged;
SELECT pg_temp.h($$SELECT oms.request_return($1, '[{"sku": "TEE", "qty": 1, "reason": "size_fit"}]', 'exchange', '{"exchange": [{"sku": "TEE", "qty": 1}]}')::text$$, :o1) AS r3 \gset
\echo rma :r3
SELECT pg_temp.h($$SELECT oms.change_return($1, 'refund', NULL, 'rather a refund')$$, :r3) AS changed;
SELECT pg_temp.h($$SELECT oms.advance_return($1, 'cancelled', 'kept it')$$, :r3) AS cancelled;
-- a second order: lost and reshipped, returned to sender, cancelled with an open shipment
SELECT pg_temp.h($$SELECT oms.place_order('bo@example.com', 'web', '[{"sku": "MUG", "qty": 6, "unit_price": "8.00"}]', '{"confirm": true}')::text$$) AS o2 \gset
\echo order :o2
SELECT pg_temp.h($$SELECT oms.create_shipment($1, 'EAST', '[{"sku": "MUG", "qty": 2}]')::text$$, :o2) AS s2 \gset
\echo shipment :s2
SELECT pg_temp.h($$SELECT (oms.ship($1, 'UPS', 'TRACK-2') IS NOT NULL)::text$$, :s2) AS shipped;
SELECT pg_temp.h($$SELECT oms.advance_shipment($1, 'lost', 'no scan')$$, :s2) AS lost;
SELECT pg_temp.h($$SELECT oms.reship($1)::text$$, :s2) AS s3 \gset
\echo shipment :s3
SELECT pg_temp.h($$SELECT (oms.ship($1, 'UPS', 'TRACK-3') IS NOT NULL)::text$$, :s3) AS reshipped;
SELECT pg_temp.h($$SELECT oms.return_to_sender($1, 'reship', 'refused')$$, :s3) AS returned_to_sender;
SELECT pg_temp.h($$SELECT (oms.create_shipment($1, 'EAST') IS NOT NULL)::text$$, :o2) AS open_shipment;
SELECT pg_temp.h($$SELECT oms.cancel_order($1, NULL, 'customer left')::text$$, :o2) AS cancelled_units;
-- purchasing through the API
SELECT pg_temp.h($$SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "TEE", "qty": 20, "unit_cost": "3.00"}]')::text$$) AS po2 \gset
\echo purchase order :po2
SELECT pg_temp.h($$SELECT oms.submit_purchase_order($1)$$, :po2) AS submitted;
SELECT pg_temp.h($$SELECT oms.receive_purchase_order($1, '[{"sku": "TEE", "qty": 5}]', 'ASN-3')::text$$, :po2) AS units_received;
SELECT pg_temp.h($$SELECT oms.close_purchase_order($1)$$, :po2) AS closed;
SELECT pg_temp.h($$SELECT oms.create_purchase_order('ACME', 'WEST', '[{"sku": "MUG", "qty": 6}]')::text$$) AS po3 \gset
SELECT pg_temp.h($$SELECT oms.cancel_purchase_order($1)$$, :po3) AS cancelled;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.run_reorder()$$) AS reorder_lines;
-- events: claim and acknowledge
SELECT pg_temp.h($$SELECT (pg_catalog.count(*) OPERATOR(pg_catalog.>) 0)::text FROM oms.claim_events('c1', 1000)$$) AS claimed;
SELECT pg_temp.h($$SELECT (oms.ack_events('c1', ARRAY(SELECT event_id FROM oms.event)) IS NOT NULL)::text$$) AS acked;
-- reads
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.check_inventory()$$) AS inventory_problems;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.check_reservations()$$) AS reservation_problems;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.check_payments()$$) AS payment_problems;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.check_incoming()$$) AS incoming_problems;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.machine_states('order')$$) AS order_states;
SELECT pg_temp.h($$SELECT (pg_catalog.length(oms.machine_dot('shipment')) IS NOT NULL)::text$$) AS dot;
SELECT pg_temp.h($$SELECT (pg_catalog.length(oms.machine_mermaid('return')) IS NOT NULL)::text$$) AS mermaid;
SELECT pg_temp.h($$SELECT (pg_catalog.count(*) IS NOT NULL)::text FROM oms.demand_history('shipped', CURRENT_DATE OPERATOR(pg_catalog.-) 30, CURRENT_DATE)$$) AS history;
SELECT pg_temp.h($$SELECT (pg_catalog.count(*) IS NOT NULL)::text FROM oms.forecast_demand()$$) AS forecast;
SELECT pg_temp.h($$SELECT oms.payment_status_of(10, 10, 10, 0, 0)$$) AS status_of;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.order_tracking$$) AS tracking_rows;
SELECT pg_temp.h($$SELECT (pg_catalog.count(*) OPERATOR(pg_catalog.>) 0)::text FROM oms.order_timeline$$) AS timeline;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.inventory_position$$) AS positions;
RESET ROLE;
SELECT * FROM pg_temp.hijacked();

-- ---------------------------------------------------------------------------
-- owner-run trigger paths with real work to do: a direct receipt that fills
-- a backorder (reservations written as the owner), and a direct cancel that
-- counts the order's open units as the owner before refusing it
-- ---------------------------------------------------------------------------
SET ROLE hostile_app;
SELECT pg_temp.h($$SELECT oms.place_order('cy@example.com', 'web', '[{"sku": "TEE", "qty": 500, "unit_price": "5.00"}]', '{"confirm": true}')::text$$) AS o3 \gset
\echo order :o3
RESET ROLE;
SET ROLE hostile_ada;
SELECT pg_temp.h($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reference)
    SELECT i.item_id, l.location_id, 'receipt', 600, 'ASN-9' FROM oms.item i, oms.location l
    WHERE i.sku OPERATOR(pg_catalog.=) 'TEE' AND l.code OPERATOR(pg_catalog.=) 'EAST' RETURNING 'ok'$$) AS receipt_fills_backorder;
SELECT pg_temp.h($$SELECT (qty_backordered OPERATOR(pg_catalog.=) 0)::text FROM oms.order_line WHERE order_id OPERATOR(pg_catalog.=) $1$$, :o3) AS filled;
SELECT pg_temp.h($$UPDATE oms.sales_order SET status = 'cancelled' WHERE order_id OPERATOR(pg_catalog.=) $1 RETURNING status$$, :o3) AS direct_cancel;
RESET ROLE;
SELECT * FROM pg_temp.hijacked();

-- ---------------------------------------------------------------------------
-- a plain user: refused everywhere, and nothing planted runs on the way
-- ---------------------------------------------------------------------------
SET ROLE hostile_mallory;
SELECT pg_temp.h($$SELECT oms.place_order('m@example.com', 'web', '[{"sku": "MUG", "qty": 1}]')::text$$) AS place_order;
SELECT pg_temp.h($$SELECT oms.receive_stock('MUG', 'EAST', 1)::text$$) AS receive_stock;
SELECT pg_temp.h($$UPDATE oms.purchase_order SET status = 'cancelled' RETURNING 'ok'$$) AS po_update;
SELECT pg_temp.h($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta) VALUES (1, 1, 'receipt', 1) RETURNING 'ok'$$) AS ledger_insert;
SELECT pg_temp.h($$SELECT (oms.version() IS NOT NULL)::text$$) AS version;
RESET ROLE;
SELECT * FROM pg_temp.hijacked();

-- ---------------------------------------------------------------------------
-- the test can fail: without its pinned search_path, the owner-run
-- incoming trigger runs the planted "+" as the table owner
-- ---------------------------------------------------------------------------
BEGIN;
ALTER FUNCTION oms.purchase_order_incoming() RESET search_path;
SET LOCAL ROLE hostile_ada;
SELECT pg_temp.h($$SELECT oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 3}]')::text$$) AS po4 \gset
SELECT pg_temp.h($$UPDATE oms.purchase_order SET status = 'submitted' WHERE po_id OPERATOR(pg_catalog.=) $1 RETURNING status$$, :po4) AS po_submitted;
RESET ROLE;
SELECT h.what, h.run_as = (SELECT r.rolname FROM pg_roles r JOIN pg_class c ON c.relowner = r.oid WHERE c.oid = 'oms.purchase_order'::regclass) AS ran_as_owner,
       h.by_session = session_user AS same_session
FROM public.hijack h GROUP BY 1, 2, 3 ORDER BY 1;
ROLLBACK;
SELECT count(*) AS hijacked_after_rollback FROM public.hijack;

-- ---------------------------------------------------------------------------
-- the paths of issue 16, every one SECURITY DEFINER: serial numbers,
-- re-routing, marketplace import, customer notifications
-- ---------------------------------------------------------------------------
INSERT INTO oms.item (sku, name, serialized) VALUES ('SN', 'Serialized', true);
SET oms.customer_notifications = on;
SET ROLE hostile_ada;
SELECT pg_temp.h($$SELECT pg_catalog.count(oms.set_notification_template(kind, channel, language, subject, body))::text FROM oms.default_notification_templates()$$) AS templates;
SELECT pg_temp.h($$SELECT (oms.set_sku_map('web', 'EXT-MUG', 'MUG') IS NOT NULL)::text$$) AS mapped;
RESET ROLE;
SET ROLE hostile_app;
SELECT pg_temp.h($$SELECT (oms.set_notification_preference('ann@example.com', 'email', 'en')).channel$$) AS preference;
SELECT pg_temp.h($$SELECT (oms.receive_serials('SN', 'EAST', '{SN-1,SN-2}') IS NOT NULL)::text$$) AS serials_received;
SELECT pg_temp.h($$SELECT oms.place_order('sn@example.com', 'web', '[{"sku": "SN", "qty": 1, "unit_price": "5"}, {"sku": "MUG", "qty": 1, "unit_price": "8"}]', '{"confirm": true}')::text$$) AS o4 \gset
\echo order :o4
SELECT pg_temp.h($$SELECT oms.create_shipment($1, 'EAST', '[{"sku": "SN", "qty": 1}]')::text$$, :o4) AS s4 \gset
SELECT pg_temp.h($$SELECT oms.assign_serials($1, '[{"sku": "SN", "serials": ["SN-1"]}]')::text$$, :s4) AS assigned;
SELECT pg_temp.h($$SELECT (oms.ship($1, 'UPS', 'TRACK-4') IS NOT NULL)::text$$, :s4) AS shipped;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.check_serials()$$) AS serial_problems;
SELECT pg_temp.h($$SELECT l.line_id::text FROM oms.order_line l JOIN oms.item i ON i.item_id OPERATOR(pg_catalog.=) l.item_id WHERE l.order_id OPERATOR(pg_catalog.=) $1 AND i.sku OPERATOR(pg_catalog.=) 'MUG'$$, :o4) AS l4 \gset
SELECT pg_temp.h($$SELECT oms.reroute_line($1, 'EAST', 'WEST')::text$$, :l4) AS rerouted;
SELECT pg_temp.h($$SELECT (oms.reallocate_line($1) IS NOT NULL)::text$$, :l4) AS reallocated;
SELECT pg_temp.h($$SELECT (oms.import_payment('shopify', '{"id": 2, "order_id": 7001, "kind": "sale", "status": "success", "amount": "10.00", "currency": "USD"}', 'web') IS NULL)::text$$) AS early_payment;
SELECT pg_temp.h($$SELECT (oms.import_order('shopify', '{"id": 7001, "email": "imp@example.com", "currency": "USD", "line_items": [{"sku": "EXT-MUG", "quantity": 1, "price": "10.00"}]}', 'web') IS NOT NULL)::text$$) AS imported;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.claim_notifications('w1', 10)$$) AS notifications_claimed;
SELECT pg_temp.h($$SELECT oms.notification_sent('w1', (SELECT pg_catalog.min(n.notification_id) FROM oms.notification n WHERE n.claimed_by OPERATOR(pg_catalog.=) 'w1'))::text$$) AS notification_sent;
SELECT pg_temp.h($$SELECT pg_catalog.count(*)::text FROM oms.check_inventory()$$) AS inventory_problems;
RESET ROLE;
RESET oms.customer_notifications;
SELECT * FROM pg_temp.hijacked();

-- ---------------------------------------------------------------------------
-- the rule that keeps it so: every function of the extension pins its
-- search_path, or has a SQL-standard body parsed at CREATE EXTENSION
-- ---------------------------------------------------------------------------
SELECT p.oid::regprocedure AS unpinned
FROM pg_proc p
WHERE p.pronamespace = 'oms'::regnamespace
  AND p.prosqlbody IS NULL
  AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
ORDER BY 1;

-- ---------------------------------------------------------------------------
-- the install itself (the class of CVE-2023-39417): drop the extension and
-- create it again while every twin is still in public, from a session whose
-- search_path puts public first; then reference data, stock and one order's
-- life through the API, as the administrator and the application
-- ---------------------------------------------------------------------------
SET client_min_messages = warning;
SET search_path = public, pg_catalog;
DROP EXTENSION oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
RESET search_path;
SELECT count(*) AS hijacked_by_install FROM public.hijack;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East');
INSERT INTO oms.item (sku, name) VALUES ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SET ROLE hostile_ada;
SELECT pg_temp.h($$SELECT (oms.receive_stock('MUG', 'EAST', 5) IS NOT NULL)::text$$) AS received;
SET ROLE hostile_app;
SELECT pg_temp.h($$SELECT oms.place_order('ivy@example.com', 'web', '[{"sku": "MUG", "qty": 2, "unit_price": "8.00"}]', '{"confirm": true}')::text$$) AS o9 \gset
SELECT pg_temp.h($$SELECT pg_catalog.min(s)::text FROM oms.create_shipments($1) s$$, :o9) AS s9 \gset
SELECT pg_temp.h($$SELECT (oms.ship($1, 'UPS', 'TRACK-9') IS NOT NULL)::text$$, :s9) AS shipped;
RESET ROLE;
SELECT status, fulfillment_status FROM oms.sales_order WHERE order_id = :o9;
SELECT * FROM pg_temp.hijacked();

-- clean up
DROP CAST (public.hijack_qty AS bigint);
DROP OWNED BY hostile_mallory, hostile_ada, hostile_app;
DROP ROLE hostile_mallory;
DROP ROLE hostile_ada;
DROP ROLE hostile_app;
