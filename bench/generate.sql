-- generate.sql: a realistic shop history built through the oms API (issue
-- 14), for the KPI views, the demo and their timings.  Loaded by
-- bench/generate.sh, which calls the procedures below; see there.
--
-- What it makes, deterministically for a given size and seed (every order's
-- choices come from setseed(order number), so a resumed run makes the same
-- data as an uninterrupted one):
--   * 10 locations in the US, Germany, France, the Netherlands and the UK;
--     5 channels; 3 carriers; 5 suppliers; items (orders / 10 by default)
--     stocked at 2 or 3 locations each in proportion to their popularity;
--     15% of them backorderable (with a reorder rule), the rest not
--   * orders spread over DAYS days up to now, with a yearly season (peak in
--     December, a Black Friday spike), a weekly cycle (weekends busier) and
--     a daily curve (quiet at night, lunchtime and evening peaks); ship-to
--     regions in three currencies (USD, EUR, GBP); 1-4 lines with a Zipf-
--     like popularity (a few hot items), 1-3 units
--   * payments (authorized and captured), 3% cancellations, shipments
--     (split when stock sits at several locations) shipped hours to days
--     after the order, some after the promised date, delivered 1-6 days
--     later, 8% late; 6% of delivered orders return a unit with a reason,
--     some damaged, refunded
--   * every REORDER_EVERY orders: run_reorder(), the new purchase orders
--     submitted, the previous round's received (which fills backorders),
--     and the orders whose backorders were filled shipped
-- The API stamps everything "now"; the generator then moves each order's
-- placed_at and each shipment's shipped_at to its simulated time (direct
-- writes the guards allow) and passes delivered_at to deliver().
CREATE SCHEMA IF NOT EXISTS bench_gen;

CREATE TABLE IF NOT EXISTS bench_gen.config (
    orders bigint NOT NULL, items bigint NOT NULL, days integer NOT NULL, seed integer NOT NULL,
    batch integer NOT NULL, reorder_every integer NOT NULL,
    start_at timestamptz NOT NULL, end_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS bench_gen.progress (
    phase text PRIMARY KEY, done bigint NOT NULL DEFAULT 0, seconds double precision NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bench_gen.region (
    n integer PRIMARY KEY, country text, region text, city text, currency text,
    weight double precision, latitude double precision, longitude double precision
);
CREATE TABLE IF NOT EXISTS bench_gen.slot (
    hour timestamptz PRIMARY KEY, cum double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS slot_cum_idx ON bench_gen.slot (cum);

-- ---------------------------------------------------------------------------
-- setup: reference data, stock, reorder rules, the time slots
-- ---------------------------------------------------------------------------
CREATE OR REPLACE PROCEDURE bench_gen.setup(n_orders bigint, n_items bigint, n_days integer, seed integer,
                                            batch integer, reorder_every integer)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    c bench_gen.config;
    i bigint;
    total_w double precision;
    units_total double precision;
    lnn double precision;
    expected double precision;
    nloc integer;
    home integer;
    locs text[] := ARRAY['US-EAST', 'US-WEST', 'US-SOUTH', 'US-CENTRAL', 'DE-SOUTH', 'FR-PARIS',
                         'NL-AMS', 'UK-MIDLANDS', 'US-DROPSHIP', 'US-NYC-STORE'];
    k integer;
BEGIN
    SELECT * INTO c FROM bench_gen.config;
    IF FOUND THEN
        IF (c.orders, c.items, c.days, c.seed) IS DISTINCT FROM (n_orders, n_items, n_days, seed) THEN
            RAISE EXCEPTION 'this database was generated with orders %, items %, days %, seed %; resume with the same',
                c.orders, c.items, c.days, c.seed;
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM bench_gen.progress WHERE phase = 'setup') THEN
        RAISE NOTICE 'setup: done before, resuming';
        RETURN;
    END IF;
    IF c.orders IS NULL THEN
        INSERT INTO bench_gen.config VALUES (n_orders, n_items, n_days, seed, batch, reorder_every,
            date_trunc('hour', now()) - make_interval(days => n_days), date_trunc('hour', now()));
    END IF;
    SELECT * INTO c FROM bench_gen.config;
    RAISE NOTICE 'setup: % items, 10 locations, % orders over % days', n_items, n_orders, n_days;

    INSERT INTO bench_gen.region VALUES
        (1, 'US', 'NY', 'New York', 'USD', 14, 40.71, -74.01),
        (2, 'US', 'CA', 'Los Angeles', 'USD', 16, 34.05, -118.24),
        (3, 'US', 'TX', 'Houston', 'USD', 10, 29.76, -95.37),
        (4, 'US', 'FL', 'Miami', 'USD', 8, 25.76, -80.19),
        (5, 'US', 'IL', 'Chicago', 'USD', 7, 41.88, -87.63),
        (6, 'US', 'WA', 'Seattle', 'USD', 5, 47.61, -122.33),
        (7, 'DE', 'BY', 'Munich', 'EUR', 7, 48.14, 11.58),
        (8, 'DE', 'BE', 'Berlin', 'EUR', 6, 52.52, 13.40),
        (9, 'DE', 'NW', 'Cologne', 'EUR', 5, 50.94, 6.96),
        (10, 'FR', 'IDF', 'Paris', 'EUR', 7, 48.86, 2.35),
        (11, 'FR', 'ARA', 'Lyon', 'EUR', 3, 45.76, 4.84),
        (12, 'NL', 'NH', 'Amsterdam', 'EUR', 3, 52.37, 4.90),
        (13, 'GB', 'ENG', 'London', 'GBP', 7, 51.51, -0.13),
        (14, 'GB', 'SCT', 'Edinburgh', 'GBP', 2, 55.95, -3.19)
    ON CONFLICT DO NOTHING;

    INSERT INTO oms.location (code, name, kind, priority, region, latitude, longitude) VALUES
        ('US-EAST', 'Newark DC', 'warehouse', 10, 'NY', 40.74, -74.17),
        ('US-WEST', 'Ontario DC', 'warehouse', 10, 'CA', 34.06, -117.65),
        ('US-SOUTH', 'Dallas DC', 'warehouse', 20, 'TX', 32.78, -96.80),
        ('US-CENTRAL', 'Joliet DC', 'warehouse', 20, 'IL', 41.53, -88.08),
        ('DE-SOUTH', 'Augsburg DC', 'warehouse', 10, 'BY', 48.37, 10.90),
        ('FR-PARIS', 'Roissy DC', 'warehouse', 20, 'IDF', 49.00, 2.55),
        ('NL-AMS', 'Schiphol DC', 'warehouse', 30, 'NH', 52.31, 4.76),
        ('UK-MIDLANDS', 'Daventry DC', 'warehouse', 10, 'ENG', 52.26, -1.16),
        ('US-DROPSHIP', 'Drop-ship partner', 'dropship', 90, NULL, NULL, NULL),
        ('US-NYC-STORE', 'Manhattan store', 'store', 50, 'NY', 40.75, -73.99)
    ON CONFLICT DO NOTHING;
    INSERT INTO oms.channel (code, name, kind) VALUES
        ('web', 'Web shop', 'web'), ('app', 'Mobile app', 'web'), ('amazon', 'Marketplace', 'marketplace'),
        ('store', 'Stores', 'pos'), ('b2b', 'Wholesale', 'b2b')
    ON CONFLICT DO NOTHING;
    INSERT INTO oms.carrier (code, name, tracking_url) VALUES
        ('UPS', 'UPS', 'https://ups.example/track/{tracking_number}'),
        ('DHL', 'DHL', 'https://dhl.example/track/{tracking_number}'),
        ('LOCAL', 'Local courier', NULL)
    ON CONFLICT DO NOTHING;
    INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days)
    SELECT ca.carrier_id, s.level, s.days
    FROM oms.carrier ca CROSS JOIN (VALUES ('ground', 3), ('air', 2), ('express', 1), ('same_day', 0)) s(level, days)
    ON CONFLICT DO NOTHING;
    INSERT INTO oms.supplier (code, name, lead_time_days) VALUES
        ('ACME', 'Acme Textiles', 10), ('GLOBEX', 'Globex', 14), ('INITECH', 'Initech', 7),
        ('UMBRELLA', 'Umbrella Goods', 21), ('HOOLI', 'Hooli Supply', 5)
    ON CONFLICT DO NOTHING;

    -- items: rank 1 is the most popular; P(rank r) ~ 1 / (r ln N)
    INSERT INTO oms.item (sku, name, backorder_policy)
    SELECT 'G-' || lpad(g::text, 6, '0'), 'Item ' || g,
           CASE WHEN g % 7 = 3 THEN 'allow' ELSE 'deny' END
    FROM generate_series(1, n_items) g
    ON CONFLICT DO NOTHING;
    COMMIT;
    RAISE NOTICE 'setup: reference data in % s', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);

    -- stock: expected units of each item (2.5 lines x 2 units per order),
    -- spread over 2 or 3 locations
    lnn := ln(n_items::double precision) + 0.5772;
    units_total := n_orders * 2.5 * 2.0;
    FOR i IN 1 .. n_items LOOP
        expected := units_total / (i * lnn);
        nloc := 2 + (i % 2)::integer;
        home := (i % 8)::integer;
        FOR k IN 0 .. nloc - 1 LOOP
            -- backorderable items start short (half their demand: they
            -- backorder, and reorder runs refill them); the rest 1.4x
            PERFORM oms.receive_stock('G-' || lpad(i::text, 6, '0'), locs[1 + (home + k * 3) % 8],
                                      GREATEST(3, ceil(expected * CASE WHEN i % 7 = 3 THEN 0.5 ELSE 1.4 END / nloc))::bigint,
                                      'initial stock');
        END LOOP;
        IF i % 7 = 3 THEN
            PERFORM oms.set_reorder_rule('G-' || lpad(i::text, 6, '0'), locs[1 + home], 
                                         (ARRAY['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA', 'HOOLI'])[1 + (i % 5)::integer],
                                         GREATEST(2, ceil(expected / 20))::bigint,
                                         GREATEST(10, ceil(expected / 4))::bigint);
        END IF;
        IF i % 5000 = 0 THEN
            COMMIT;
            RAISE NOTICE 'setup: stock for % of % items (% items/s)', i, n_items,
                round(i / GREATEST(extract(epoch FROM clock_timestamp() - t0), 0.001))::bigint;
        END IF;
    END LOOP;

    -- the time slots: one per hour, weighted by season, weekday and hour
    INSERT INTO bench_gen.slot (hour, cum)
    SELECT h, sum(w) OVER (ORDER BY h)
    FROM (
        SELECT h,
               (1 + 0.25 * cos(2 * pi() * (extract(doy FROM h) - 350) / 365.0)
                  + CASE WHEN extract(month FROM h) = 11 AND extract(day FROM h) BETWEEN 24 AND 30
                              AND extract(isodow FROM h) = 5 THEN 1.5 ELSE 0 END)
               * (ARRAY[1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25])[extract(isodow FROM h)::integer]
               * (ARRAY[0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.25, 0.45, 0.7, 0.85, 0.95, 1.05,
                        1.25, 1.2, 1.0, 0.95, 0.95, 1.0, 1.15, 1.35, 1.4, 1.2, 0.8, 0.45])[extract(hour FROM h AT TIME ZONE 'UTC')::integer + 1]
               AS w
        FROM generate_series(c.start_at, c.end_at - interval '1 hour', interval '1 hour') h
    ) x
    ON CONFLICT DO NOTHING;
    SELECT max(cum) INTO total_w FROM bench_gen.slot;
    UPDATE bench_gen.slot SET cum = cum / total_w;
    INSERT INTO bench_gen.progress (phase, done, seconds)
    VALUES ('setup', n_items, extract(epoch FROM clock_timestamp() - t0));
    COMMIT;
    RAISE NOTICE 'setup: done in % s', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);
END
$$;

-- the simulated placing time of order i (0-based)
CREATE OR REPLACE FUNCTION bench_gen.order_time(i bigint, n bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT s.hour + make_interval(secs => 3599 * (((i * 2654435761) % 1000003) / 1000003.0))
    FROM bench_gen.slot s WHERE s.cum >= (i + 0.5) / n ORDER BY s.cum LIMIT 1
$$;

-- ship an order's open reservations: one shipment per location, shipped
-- at ship_at (not in the future), delivered after transit (late or not)
CREATE OR REPLACE FUNCTION bench_gen.ship_order(o bigint, ship_at timestamptz, late boolean)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    s bigint;
    n integer := 0;
    carrier text;
    at timestamptz := ship_at;
    deliver_at timestamptz;
BEGIN
    FOR s IN SELECT oms.create_shipments(o) LOOP
        IF at > now() THEN
            EXIT;   -- not yet: stays pending
        END IF;
        carrier := (ARRAY['UPS', 'DHL', 'LOCAL'])[1 + (s % 3)::integer];
        PERFORM oms.ship(s, carrier, 'T' || s);
        UPDATE oms.shipment SET shipped_at = at,
               estimated_delivery = (at AT TIME ZONE 'UTC')::date + 3
         WHERE shipment_id = s;
        deliver_at := at + make_interval(hours => 20 + (random() * 50)::integer)
                      + CASE WHEN late THEN make_interval(days => 2 + (random() * 3)::integer) ELSE interval '0' END;
        IF deliver_at <= now() THEN
            PERFORM oms.deliver(s, deliver_at);
        END IF;
        n := n + 1;
        at := at + make_interval(hours => 4 + (random() * 40)::integer);   -- the next part later
    END LOOP;
    RETURN n;
END
$$;

-- ---------------------------------------------------------------------------
-- orders, one transaction each; resumes after the last one committed
-- ---------------------------------------------------------------------------
CREATE OR REPLACE PROCEDURE bench_gen.orders(worker integer DEFAULT 0, workers integer DEFAULT 1)
LANGUAGE plpgsql AS $$
DECLARE
    c bench_gen.config;
    v_phase text := 'orders/' || worker;
    i bigint;
    b bigint;
    t0 timestamptz := clock_timestamp();
    tb timestamptz;
    done0 bigint;
    o bigint;
    t timestamptz;
    r bench_gen.region;
    nlines integer;
    lines jsonb;
    sku_rank bigint;
    channel text;
    level text;
    shipping numeric;
    lnn double precision;
    u double precision;
    placed bigint := 0;
    rejected bigint := 0;
    shipped bigint := 0;
    returned bigint := 0;
    cancelled bigint := 0;
    rma bigint;
    ret_sku text;
    ret_loc text;
    reason text;
    total numeric;
    rw double precision;
    batches integer := 0;
BEGIN
    SELECT * INTO c FROM bench_gen.config;
    INSERT INTO bench_gen.progress (phase) VALUES (v_phase) ON CONFLICT DO NOTHING;
    SELECT done INTO done0 FROM bench_gen.progress p WHERE p.phase = v_phase;
    SELECT sum(weight) INTO rw FROM bench_gen.region;
    lnn := ln(c.items::double precision);
    PERFORM set_config('oms.return_window_days', '0', false);
    RAISE NOTICE '%: from order % of %', v_phase, done0, c.orders;
    i := done0 * workers + worker;   -- this worker's orders: worker, worker + workers, ...
    WHILE i < c.orders LOOP
        tb := clock_timestamp();
        b := 0;
        WHILE b < c.batch AND i < c.orders LOOP
            PERFORM setseed(((i * 48271) % 2147483647) / 2147483647.0 * 2 - 1);
            t := bench_gen.order_time(i, c.orders);
            u := random() * rw;
            SELECT * INTO r FROM bench_gen.region g
            WHERE (SELECT sum(weight) FROM bench_gen.region h WHERE h.n <= g.n) >= u ORDER BY g.n LIMIT 1;
            u := random();
            channel := CASE WHEN u < 0.45 THEN 'web' WHEN u < 0.70 THEN 'app' WHEN u < 0.88 THEN 'amazon'
                            WHEN u < 0.97 THEN 'store' ELSE 'b2b' END;
            u := random();
            level := CASE WHEN u < 0.7 THEN 'ground' WHEN u < 0.88 THEN 'air' WHEN u < 0.98 THEN 'express' ELSE 'same_day' END;
            nlines := 1 + floor(random() * random() * 4)::integer;
            lines := '[]';
            FOR k IN 1 .. nlines LOOP
                -- log-uniform rank: a few hot items, a long tail
                sku_rank := LEAST(c.items, floor(exp(random() * lnn))::bigint);
                IF NOT lines @> jsonb_build_array(jsonb_build_object('sku', 'G-' || lpad(sku_rank::text, 6, '0'))) THEN
                    lines := lines || jsonb_build_array(jsonb_build_object(
                        'sku', 'G-' || lpad(sku_rank::text, 6, '0'),
                        'qty', 1 + floor(random() * random() * 3)::integer,
                        'unit_price', round((5 + (sku_rank % 97) * 1.5 + (sku_rank % 7))::numeric
                                            * CASE r.currency WHEN 'GBP' THEN 0.8 WHEN 'EUR' THEN 0.92 ELSE 1 END, 2)));
                END IF;
            END LOOP;
            shipping := CASE level WHEN 'ground' THEN 4.95 WHEN 'air' THEN 9.95 WHEN 'express' THEN 19.95 ELSE 24.95 END;
            BEGIN
                o := oms.place_order('c' || (1 + (i * 7919) % GREATEST(c.orders / 3, 1)) || '@gen.example', channel, lines,
                    jsonb_build_object(
                        'channel_order_ref', 'G' || i,
                        'confirm', true,
                        'currency', r.currency,
                        'service_level', level,
                        'shipping', shipping,
                        'strategy', 'nearest',
                        'promised_at', t + make_interval(days => CASE level WHEN 'ground' THEN 2 WHEN 'air' THEN 1 ELSE 0 END,
                                                         hours => CASE level WHEN 'same_day' THEN 6 ELSE 20 END),
                        'ship_to', jsonb_build_object('name', 'Customer ' || i, 'line1', (1 + i % 999) || ' Main St',
                                                      'city', r.city, 'postal_code', lpad((i % 99999)::text, 5, '0'),
                                                      'country', r.country, 'region', r.region,
                                                      'latitude', r.latitude, 'longitude', r.longitude)));
            EXCEPTION WHEN SQLSTATE 'OM001' THEN
                rejected := rejected + 1;   -- out of stock (deny policy): the customer walks away
                i := i + workers; b := b + 1;
                UPDATE bench_gen.progress p SET done = p.done + 1 WHERE p.phase = v_phase;
                COMMIT;
                CONTINUE;
            END;
            placed := placed + 1;
            UPDATE oms.sales_order SET placed_at = t WHERE order_id = o AND placed_at <> t;
            SELECT so.total INTO total FROM oms.sales_order so WHERE so.order_id = o;
            u := random();
            IF u < 0.03 THEN
                PERFORM oms.cancel_order(o, NULL, (ARRAY['customer request', 'fraud check', 'address invalid'])[1 + (i % 3)::integer]);
                cancelled := cancelled + 1;
            ELSE
                IF total > 0 THEN
                    PERFORM oms.record_payment(o, 'authorization', total);
                    PERFORM oms.record_payment(o, 'capture', total);
                END IF;
                -- ship 2 h to 3 days after placing; 10% of the time after the promise
                shipped := shipped + bench_gen.ship_order(o,
                    t + make_interval(hours => CASE WHEN random() < 0.1 THEN 30 + (random() * 60)::integer
                                                    ELSE 2 + (random() * 20)::integer END),
                    random() < 0.08);
                -- returns: 6% of delivered orders send one unit back
                IF random() < 0.06 THEN
                    SELECT i2.sku, lo.code INTO ret_sku, ret_loc
                    FROM oms.order_line l
                    JOIN oms.item i2 ON i2.item_id = l.item_id
                    JOIN oms.shipment_line sl ON sl.line_id = l.line_id
                    JOIN oms.shipment sh ON sh.shipment_id = sl.shipment_id AND sh.status = 'delivered'
                    JOIN oms.location lo ON lo.location_id = sh.location_id
                    WHERE l.order_id = o ORDER BY l.line_no LIMIT 1;
                    IF ret_sku IS NOT NULL THEN
                        u := random();
                        reason := CASE WHEN u < 0.30 THEN 'size_fit' WHEN u < 0.45 THEN 'changed_mind'
                                       WHEN u < 0.60 THEN 'damaged' WHEN u < 0.72 THEN 'defective'
                                       WHEN u < 0.82 THEN 'not_as_described' WHEN u < 0.90 THEN 'wrong_item'
                                       WHEN u < 0.96 THEN 'arrived_late' ELSE 'other' END;
                        rma := oms.request_return(o, jsonb_build_array(jsonb_build_object('sku', ret_sku, 'qty', 1, 'reason', reason)),
                                                  'refund', '{"authorize": true}');
                        PERFORM oms.receive_return(rma, ret_loc,
                            jsonb_build_array(jsonb_build_object('sku', ret_sku, 'qty', 1,
                                'condition', CASE WHEN reason IN ('damaged', 'defective') THEN 'damaged' ELSE 'resellable' END)));
                        PERFORM oms.complete_return(rma);
                        returned := returned + 1;
                    END IF;
                END IF;
            END IF;
            i := i + workers;
            b := b + 1;
            -- one order, one transaction: a transaction over many orders
            -- would hold their stock locks together and deadlock with the
            -- other workers
            UPDATE bench_gen.progress p SET done = p.done + 1,
                   seconds = p.seconds + extract(epoch FROM clock_timestamp() - tb)
            WHERE p.phase = v_phase;
            COMMIT;
            tb := clock_timestamp();
        END LOOP;
        batches := batches + 1;
        IF batches % 10 = 0 OR i >= c.orders THEN
            RAISE NOTICE '%: % of % orders (placed %, out of stock %, cancelled %, shipments %, returns %): % orders/s',
                v_phase, least(i, c.orders), c.orders, placed, rejected, cancelled, shipped, returned,
                round((placed + rejected) / GREATEST(extract(epoch FROM clock_timestamp() - t0), 0.001), 1);
        END IF;
        -- the KPI job's work (pg_cron would run it every minute): keeps
        -- the delta tail short, which moving placed_at scans
        PERFORM oms.refresh_kpis();
        COMMIT;
        IF worker = 0 AND batches % GREATEST(c.reorder_every / c.batch, 1) = 0 THEN
            CALL bench_gen.replenish(t);
        END IF;
    END LOOP;
    RAISE NOTICE '%: done in % s', v_phase, round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);
END
$$;

-- purchasing: receive what the last round ordered (fills backorders), ship
-- what that filled, order again for what is below its reorder point
CREATE OR REPLACE PROCEDURE bench_gen.replenish(sim_now timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    p bigint;
    o record;
    n_recv integer := 0;
    n_new integer := 0;
    n_ship integer := 0;
    t0 timestamptz := clock_timestamp();
BEGIN
    FOR p IN SELECT po_id FROM oms.purchase_order WHERE status = 'submitted' ORDER BY po_id LOOP
        IF p % 10 = 0 THEN   -- a short delivery now and then: received in part and closed
            PERFORM oms.receive_purchase_order(p, (SELECT jsonb_agg(jsonb_build_object('sku', i.sku, 'qty', GREATEST(1, l.qty_ordered / 2)))
                                                   FROM oms.purchase_order_line l JOIN oms.item i USING (item_id) WHERE l.po_id = p));
            PERFORM oms.close_purchase_order(p, 'short delivery');
        ELSE
            PERFORM oms.receive_purchase_order(p);
        END IF;
        n_recv := n_recv + 1;
    END LOOP;
    FOR o IN SELECT DISTINCT so.order_id, so.placed_at FROM oms.sales_order so
             JOIN oms.order_line l ON l.order_id = so.order_id
             WHERE so.status IN ('confirmed', 'processing') AND l.qty_reserved > 0
               AND so.order_type = 'backorder' AND so.placed_at < sim_now
             ORDER BY so.order_id LIMIT 2000 LOOP
        n_ship := n_ship + bench_gen.ship_order(o.order_id, LEAST(sim_now, now()), false);
    END LOOP;
    FOR p IN SELECT DISTINCT r.po_id FROM oms.run_reorder() r WHERE r.po_id IS NOT NULL LOOP
        PERFORM oms.submit_purchase_order(p);
        n_new := n_new + 1;
    END LOOP;
    COMMIT;
    -- the KPI job's work, as pg_cron would do it every minute
    PERFORM oms.refresh_kpis();
    COMMIT;
    RAISE NOTICE 'replenish: % purchase orders received, % backorder shipments, % purchase orders sent; KPI rollup (% s)',
        n_recv, n_ship, n_new, round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1);
END
$$;
