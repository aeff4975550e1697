
-- ===========================================================================
-- 60_fulfillment.sql: carriers and their service levels, shipments and
-- their lines, the fulfillment API (fulfillment.c) and the pick list (the
-- tracking views are in 92_tracking.sql)
-- ===========================================================================

CREATE TABLE oms.carrier (
    carrier_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
    name         text NOT NULL,
    tracking_url text CHECK (tracking_url LIKE '%{tracking_number}%'),
    active       boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE oms.carrier IS 'Carriers that ship parcels (UPS, DHL, a local courier).';
COMMENT ON COLUMN oms.carrier.tracking_url IS 'Tracking page address with {tracking_number} where the number goes; the tracking views fill it in.';

CREATE TABLE oms.carrier_service (
    carrier_id    bigint NOT NULL REFERENCES oms.carrier,
    service_level text NOT NULL
                  CHECK (service_level IN ('ground', 'air', 'express', 'same_day')),
    transit_days  integer NOT NULL CHECK (transit_days BETWEEN 0 AND 90),
    business_days boolean NOT NULL DEFAULT true,
    PRIMARY KEY (carrier_id, service_level)
);
COMMENT ON TABLE oms.carrier_service IS 'Transit-time table: the service levels a carrier offers and how long each takes.  The estimated delivery date is computed from it when a shipment ships.';
COMMENT ON COLUMN oms.carrier_service.transit_days IS 'Days from shipping to delivery (0: the same day).';
COMMENT ON COLUMN oms.carrier_service.business_days IS 'true: transit days skip Saturdays and Sundays.';

CREATE SEQUENCE oms.shipment_number_seq;

CREATE TABLE oms.shipment (
    shipment_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_number text NOT NULL UNIQUE
                    DEFAULT oms.document_number('SH', pg_catalog.nextval('oms.shipment_number_seq')),
    order_id        bigint NOT NULL REFERENCES oms.sales_order,
    location_id     bigint NOT NULL REFERENCES oms.location,
    carrier_id      bigint REFERENCES oms.carrier,
    service_level   text NOT NULL
                    CHECK (service_level IN ('ground', 'air', 'express', 'same_day')),
    tracking_number text CHECK (tracking_number ~ '^[A-Za-z0-9][A-Za-z0-9 -]*$'),
    status          text NOT NULL DEFAULT 'pending',
    status_changed_at timestamptz,
    replaces_shipment_id bigint UNIQUE REFERENCES oms.shipment,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    shipped_at      timestamptz,
    estimated_delivery date,
    delivered_at    timestamptz,
    UNIQUE (carrier_id, tracking_number),
    CHECK (shipped_at IS NULL OR (carrier_id IS NOT NULL AND tracking_number IS NOT NULL)),
    CHECK (status NOT IN ('shipped', 'in_transit', 'delivered', 'lost', 'returned_to_sender')
           OR shipped_at IS NOT NULL),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
COMMENT ON TABLE oms.shipment IS 'A parcel of one order from one location.  status follows the shipment machine; an order may ship in several shipments from several locations.';
COMMENT ON COLUMN oms.shipment.shipment_number IS 'Human shipment number, such as SH-000042.';
COMMENT ON COLUMN oms.shipment.status IS 'pending, picking, packed, shipped, in_transit, delivered; lost or returned_to_sender once it left; cancelled before it left.';
COMMENT ON COLUMN oms.shipment.tracking_number IS 'The carrier''s tracking number; unique per carrier.';
COMMENT ON COLUMN oms.shipment.replaces_shipment_id IS 'For a replacement shipment: the lost shipment it replaces.';
COMMENT ON COLUMN oms.shipment.estimated_delivery IS 'Shipping date plus the carrier''s transit days for the service level (set when it ships).';
CREATE INDEX shipment_order_idx ON oms.shipment (order_id);
CREATE INDEX shipment_open_idx ON oms.shipment (location_id, created_at)
    WHERE status IN ('pending', 'picking', 'packed');

CREATE TRIGGER status_guard
    BEFORE INSERT OR UPDATE OF status ON oms.shipment
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('shipment', 'shipment_id');
CREATE TRIGGER status_log
    AFTER INSERT OR UPDATE OF status ON oms.shipment
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('shipment', 'shipment_id');

CREATE TABLE oms.shipment_line (
    shipment_id bigint NOT NULL REFERENCES oms.shipment,
    line_id     bigint NOT NULL REFERENCES oms.order_line,
    item_id     bigint NOT NULL REFERENCES oms.item,
    qty         bigint NOT NULL CHECK (qty > 0),
    PRIMARY KEY (shipment_id, line_id)
);
COMMENT ON TABLE oms.shipment_line IS 'Units of one order line in one shipment (a line may ship partially, in several shipments).';
CREATE INDEX shipment_line_line_idx ON oms.shipment_line (line_id);

-- The timeline and the tracking view read an order's events by entity.
CREATE INDEX event_entity_idx ON oms.event (entity, entity_id, event_id);


-- pg_dump keeps the data of these tables and their identity sequences
-- (restore with session_replication_role = replica: README, Dump and restore).
SELECT pg_catalog.pg_extension_config_dump('oms.carrier', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.carrier', 'carrier_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.carrier_service', '');
SELECT pg_catalog.pg_extension_config_dump('oms.shipment', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.shipment', 'shipment_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.shipment_number_seq', '');
SELECT pg_catalog.pg_extension_config_dump('oms.shipment_line', '');

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------
-- The rule is oms_payment_satisfies() in payments.c, which C code calls too.
CREATE FUNCTION oms.payment_satisfied(required text, status text)
    RETURNS boolean
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'oms_payment_satisfied';
COMMENT ON FUNCTION oms.payment_satisfied(text, text) IS 'Whether an order''s payment_status meets its payment_required, so it may ship: none always; authorized when authorized, partially_paid, paid or partially_refunded; captured when paid or partially_refunded.';

-- Bounded: days is a transit time (carrier_service.transit_days is at most
-- 90), so 0 to 365; a larger count or an infinite date would otherwise run
-- past any sane time or overflow.
CREATE FUNCTION oms.add_transit_days(shipped date, days integer, business_days boolean)
    RETURNS date
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF shipped IS NULL OR days IS NULL THEN
        RETURN NULL;
    END IF;
    IF days < 0 OR days > 365 THEN
        RAISE EXCEPTION 'days % is out of range', days
            USING ERRCODE = 'numeric_value_out_of_range',
                  DETAIL = 'A transit time is 0 to 365 days.';
    END IF;
    IF NOT pg_catalog.isfinite(shipped) THEN
        RAISE EXCEPTION 'shipped must be a finite date, got %', shipped
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF shipped NOT BETWEEN date '0001-01-01' AND date '9999-12-31' THEN
        RAISE EXCEPTION 'shipped must be a date in the years 1 to 9999, got %', shipped
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT business_days OR days = 0 THEN
        RETURN shipped + days;
    END IF;
    RETURN (SELECT g.d::date
            FROM pg_catalog.generate_series(shipped + 1, shipped + days * 2 + 7, interval '1 day') AS g(d)
            WHERE pg_catalog.date_part('isodow', g.d) < 6
            ORDER BY g.d OFFSET days - 1 LIMIT 1);
END
$$;
COMMENT ON FUNCTION oms.add_transit_days(date, integer, boolean) IS 'The delivery date days (0 to 365) after shipped, counting only Monday to Friday when business_days.';

-- ---------------------------------------------------------------------------
-- Fulfillment API (C)
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.create_shipment(order_id bigint, location text,
                                    lines jsonb DEFAULT NULL, options jsonb DEFAULT '{}',
                                    idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_create_shipment';
COMMENT ON FUNCTION oms.create_shipment(bigint, text, jsonb, jsonb, text) IS 'Create a pending shipment of what the order has reserved at a location: all of it (lines NULL) or [{"sku": ..., "qty": n}].  options: carrier, service_level.  Returns the shipment id.';

CREATE FUNCTION oms.ship(shipment_id bigint, carrier text, tracking_number text,
                         service_level text DEFAULT NULL,
                         idempotency_key text DEFAULT NULL)
    RETURNS date
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_ship';
COMMENT ON FUNCTION oms.ship(bigint, text, text, text, text) IS 'Hand a shipment to the carrier: consumes its reserved units (a shipment movement in the ledger), records carrier and tracking number.  Returns the estimated delivery date.';

CREATE FUNCTION oms.deliver(shipment_id bigint, delivered_at timestamptz DEFAULT pg_catalog.now(),
                            idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_deliver';
COMMENT ON FUNCTION oms.deliver(bigint, timestamptz, text) IS 'Confirm delivery of a shipped shipment; the order completes when every unit is delivered or cancelled.  Returns the order''s fulfillment status.';

CREATE FUNCTION oms.advance_shipment(shipment_id bigint, to_status text, reason text DEFAULT NULL,
                                     idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_advance_shipment';
COMMENT ON FUNCTION oms.advance_shipment(bigint, text, text, text) IS 'Move a shipment to picking, packed, in_transit, lost or cancelled (shipped, delivered and returned_to_sender have their own functions).  Returns the new status.';

CREATE FUNCTION oms.reship(shipment_id bigint, location text DEFAULT NULL,
                           idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_reship';
COMMENT ON FUNCTION oms.reship(bigint, text, text) IS 'Replace a lost shipment: reserve its units again from available stock (at its location, or the one named) in a new pending shipment linked to it.  Returns the new shipment id.';

CREATE FUNCTION oms.return_to_sender(shipment_id bigint, then_do text DEFAULT 'cancel',
                                     reason text DEFAULT NULL,
                                     idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_return_to_sender';
COMMENT ON FUNCTION oms.return_to_sender(bigint, text, text, text) IS 'A shipment came back undelivered: its units restock at its location through the ledger, and the order''s units are cancelled (then_do cancel) or wait to ship again (then_do reship).  Returns the order''s fulfillment status.';

CREATE FUNCTION oms.create_shipments(order_id bigint, options jsonb DEFAULT '{}',
                                     idempotency_key text DEFAULT NULL)
    RETURNS SETOF bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    replay jsonb;
    ids bigint[];
BEGIN
    IF idempotency_key IS NOT NULL THEN
        replay := oms.idempotency_claim('create_shipments', idempotency_key,
                                        pg_catalog.jsonb_build_array(order_id, options)::text);
        IF replay IS NOT NULL THEN
            RETURN QUERY SELECT e::bigint
                         FROM pg_catalog.jsonb_array_elements_text((replay->>'result')::jsonb)
                              WITH ORDINALITY AS t(e, n)
                         ORDER BY t.n;
            RETURN;
        END IF;
    END IF;
    ids := ARRAY(
    SELECT oms.create_shipment(create_shipments.order_id, loc.code, NULL, options)
    FROM (SELECT DISTINCT h.location_id
          FROM (SELECT r.line_id, r.location_id, sum(r.qty) AS reserved
                FROM oms.order_line l
                JOIN oms.reservation r ON r.line_id = l.line_id AND r.state = 'active'
                WHERE l.order_id = create_shipments.order_id
                GROUP BY r.line_id, r.location_id) AS h
          WHERE h.reserved > COALESCE((SELECT sum(sl.qty) FROM oms.shipment_line sl
                                       JOIN oms.shipment s ON s.shipment_id = sl.shipment_id
                                       WHERE sl.line_id = h.line_id AND s.location_id = h.location_id
                                         AND s.status IN ('pending', 'picking', 'packed')), 0)) AS x
    JOIN oms.location loc ON loc.location_id = x.location_id
    ORDER BY loc.code);
    IF idempotency_key IS NOT NULL THEN
        PERFORM oms.idempotency_store('create_shipments', idempotency_key, pg_catalog.to_jsonb(ids)::text);
    END IF;
    RETURN QUERY SELECT u FROM pg_catalog.unnest(ids) WITH ORDINALITY AS t(u, n) ORDER BY t.n;
END
$$;
COMMENT ON FUNCTION oms.create_shipments(bigint, jsonb, text) IS 'One pending shipment per location that holds reserved units of the order not yet in a shipment (a split shipment when there are several).  Returns the shipment ids.';

-- ---------------------------------------------------------------------------
-- Pick list
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.pick_list(location text, start boolean DEFAULT false)
    RETURNS TABLE (sku text, name text, qty bigint, shipments text[], orders text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    loc_id bigint;
    s record;
BEGIN
    SELECT l.location_id INTO loc_id FROM oms.location l WHERE l.code = pick_list.location;
    IF loc_id IS NULL THEN
        RAISE EXCEPTION 'unknown location "%"', pick_list.location USING ERRCODE = 'OM003';
    END IF;
    IF start THEN
        -- the picker takes the pending shipments: each moves to picking
        FOR s IN SELECT sh.shipment_id FROM oms.shipment sh
                 WHERE sh.location_id = loc_id AND sh.status = 'pending'
                 ORDER BY sh.shipment_id FOR UPDATE
        LOOP
            UPDATE oms.shipment SET status = 'picking' WHERE shipment_id = s.shipment_id;
        END LOOP;
    END IF;
    RETURN QUERY
        SELECT i.sku, i.name, sum(sl.qty)::bigint,
               array_agg(DISTINCT sh.shipment_number ORDER BY sh.shipment_number),
               array_agg(DISTINCT o.order_number ORDER BY o.order_number)
        FROM oms.shipment sh
        JOIN oms.shipment_line sl ON sl.shipment_id = sh.shipment_id
        JOIN oms.item i ON i.item_id = sl.item_id
        JOIN oms.sales_order o ON o.order_id = sh.order_id
        WHERE sh.location_id = loc_id
          AND sh.status IN ('pending', 'picking')
        GROUP BY i.sku, i.name
        ORDER BY i.sku;
END
$$;
COMMENT ON FUNCTION oms.pick_list(text, boolean) IS 'What to pick at a location: units per sku over its pending and picking shipments, sorted by sku, with the shipments and orders they go to.  start moves the pending shipments to picking.';

GRANT SELECT ON oms.carrier, oms.carrier_service, oms.shipment, oms.shipment_line TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.carrier, oms.carrier_service TO oms_admin;
REVOKE ALL ON FUNCTION oms.create_shipment(bigint, text, jsonb, jsonb, text),
                       oms.create_shipments(bigint, jsonb, text),
                       oms.ship(bigint, text, text, text, text),
                       oms.deliver(bigint, timestamptz, text),
                       oms.advance_shipment(bigint, text, text, text),
                       oms.reship(bigint, text, text),
                       oms.return_to_sender(bigint, text, text, text),
                       oms.pick_list(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.create_shipment(bigint, text, jsonb, jsonb, text),
                          oms.create_shipments(bigint, jsonb, text),
                          oms.ship(bigint, text, text, text, text),
                          oms.deliver(bigint, timestamptz, text),
                          oms.advance_shipment(bigint, text, text, text),
                          oms.reship(bigint, text, text),
                          oms.return_to_sender(bigint, text, text, text),
                          oms.pick_list(text, boolean) TO oms_admin, oms_app;
