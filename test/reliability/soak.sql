-- soak.sql: the data and the workload of the soak (issue 15, item 2).
--
-- Loaded into a database with oms by test/t/071_soak.pl and
-- test/reliability/soak.sh.  Six skus over three locations, one of them hot
-- (40% of the lines) and one that allows backorders; soak_step(op) performs
-- one business operation on a random recent target.  A business error is
-- caught and logged with its SQLSTATE in soak_log (so a pgbench client never
-- aborts on one); serialization failures and deadlocks are raised again, so
-- that pgbench retries them (--max-tries) and counts them; any other error
-- (XX000 above all) is logged too and fails the test.
CREATE TABLE soak_log (
    op       text NOT NULL,
    sqlstate text,            -- NULL: the operation committed its work
    message  text
);

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East', 10), ('WEST', 'West', 20), ('NORTH', 'North', 30);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('HOT', 'Hot', 'deny'), ('WARM', 'Warm', 'deny'), ('A', 'A', 'deny'),
    ('B', 'B', 'deny'), ('C', 'C', 'deny'), ('BACK', 'Backorderable', 'allow');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SELECT count(oms.receive_stock(i.sku, l.code, 300)) FROM oms.item i, oms.location l;

CREATE FUNCTION soak_sku() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN r < 0.4 THEN 'HOT' WHEN r < 0.55 THEN 'WARM' WHEN r < 0.65 THEN 'BACK'
                ELSE (ARRAY['A', 'B', 'C'])[1 + floor(random() * 3)::int] END
    FROM (SELECT random() AS r) x
$$;

CREATE FUNCTION soak_location() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT (ARRAY['EAST', 'WEST', 'NORTH'])[1 + floor(random() * 3)::int]
$$;

-- one of the last 50 orders (or shipments, RMAs) in a state
CREATE FUNCTION soak_order(statuses text[]) RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT order_id FROM oms.sales_order
    WHERE order_id > (SELECT COALESCE(max(order_id), 0) - 50 FROM oms.sales_order)
      AND status = ANY (statuses)
    ORDER BY random() LIMIT 1
$$;

CREATE FUNCTION soak_lines(n integer, priced boolean DEFAULT true) RETURNS jsonb LANGUAGE sql VOLATILE AS $$
    SELECT jsonb_agg(jsonb_build_object('sku', sku, 'qty', 1 + floor(random() * 3)::int)
                     || CASE WHEN priced THEN '{"unit_price": "9.50"}'::jsonb ELSE '{}' END)
    FROM (SELECT DISTINCT soak_sku() AS sku FROM generate_series(1, n)) s
$$;

CREATE FUNCTION soak_step(op text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    o bigint;
    s bigint;
    r bigint;
    sku text;
    k text;
    loc text;
    q bigint;
    st text;
    msg text;
BEGIN
    BEGIN
        CASE op
        WHEN 'place' THEN
            PERFORM oms.place_order('soak' || floor(random() * 100)::int || '@example.com', 'web',
                                    soak_lines(1 + floor(random() * 3)::int), '{"confirm": true}');
        WHEN 'edit' THEN
            o := soak_order('{pending,confirmed}');
            IF o IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.edit_order(o, jsonb_build_array(jsonb_build_object(
                'sku', soak_sku(), 'qty', floor(random() * 4)::int, 'unit_price', '9.50')));
        WHEN 'cancel' THEN
            o := soak_order('{pending,confirmed,processing,on_hold}');
            IF o IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.cancel_order(o, NULL, 'soak');
        WHEN 'hold' THEN
            PERFORM oms.hold_stock('soak-' || gen_random_uuid(), soak_lines(1, false), '5 seconds');
        WHEN 'release' THEN
            SELECT hold_ref INTO msg FROM oms.cart_hold WHERE state = 'active' ORDER BY random() LIMIT 1;
            IF msg IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.release_hold(msg);
        WHEN 'hold_order' THEN
            o := soak_order('{pending,confirmed}');
            IF o IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.hold_order(o, 'soak');
            PERFORM oms.release_order(o, 'soak');
        WHEN 'pay' THEN
            o := soak_order('{confirmed,processing}');
            IF o IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.record_payment(o, 'authorization', total) FROM oms.sales_order WHERE order_id = o;
            PERFORM oms.record_payment(o, 'capture', total) FROM oms.sales_order WHERE order_id = o;
        WHEN 'ship' THEN
            o := soak_order('{confirmed,processing}');
            IF o IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.ship(x, 'UPS', 'T-' || x) FROM oms.create_shipments(o) x;
        WHEN 'deliver' THEN
            SELECT shipment_id INTO s FROM oms.shipment WHERE status = 'shipped' ORDER BY random() LIMIT 1;
            IF s IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.deliver(s);
        WHEN 'return' THEN
            SELECT l.order_id, i.sku INTO o, sku FROM oms.order_line l JOIN oms.item i USING (item_id)
            WHERE l.qty_delivered > l.qty_returned ORDER BY random() LIMIT 1;
            IF o IS NULL THEN RETURN 'none'; END IF;
            r := oms.request_return(o, jsonb_build_array(jsonb_build_object('sku', sku, 'qty', 1, 'reason', 'size_fit')),
                                    'refund', '{"authorize": true}');
            PERFORM oms.receive_return(r, soak_location(),
                                       jsonb_build_array(jsonb_build_object('sku', sku, 'qty', 1,
                                           'condition', CASE WHEN random() < 0.7 THEN 'resellable' ELSE 'damaged' END)));
        WHEN 'refund' THEN
            SELECT order_id INTO o FROM oms.payment WHERE kind = 'capture' ORDER BY random() LIMIT 1;
            IF o IS NULL THEN RETURN 'none'; END IF;
            PERFORM oms.refund(o, 1.00, 'soak');
        WHEN 'receive' THEN
            PERFORM oms.receive_stock(soak_sku(), soak_location(), 10 + floor(random() * 20)::int);
        WHEN 'count' THEN
            k := soak_sku();
            loc := soak_location();
            SELECT v.on_hand INTO q FROM oms.inventory_level v JOIN oms.item i USING (item_id)
            JOIN oms.location l USING (location_id) WHERE i.sku = k AND l.code = loc;
            PERFORM oms.count_stock(k, loc, GREATEST(COALESCE(q, 0) + floor(random() * 7)::int - 3, 0));
        WHEN 'transfer' THEN
            PERFORM oms.transfer_stock(soak_sku(), soak_location(), soak_location(), 1 + floor(random() * 3)::int);
        WHEN 'expire' THEN
            PERFORM oms.expire_reservations();
        END CASE;
        INSERT INTO soak_log (op) VALUES (op);
        RETURN 'ok';
    EXCEPTION WHEN serialization_failure OR deadlock_detected THEN
        RAISE;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        INSERT INTO soak_log VALUES (op, st, msg);
        RETURN st;
    END;
END
$$;
