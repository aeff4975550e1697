
-- ===========================================================================
-- 97_serials.sql: serial numbers (issue 16, item 3).  A serialized item
-- moves only with its serials: each ledger row of it names one serial per
-- unit, and the trigger serials_apply (engine/serials.c) moves exactly
-- those, so the serials in stock at a location are the level's on_hand and
-- the damaged ones its damaged.  After the guards (95) whose trigger
-- function the new tables use.
-- ===========================================================================

ALTER TABLE oms.item ADD COLUMN serialized boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN oms.item.serialized IS 'Every unit carries a serial number: its receipts, shipments, returns and other movements name the serials that move.  Set before the item''s first movement.';
ALTER TABLE oms.item ADD CONSTRAINT item_serialized_not_bundle CHECK (NOT (serialized AND is_bundle));

ALTER TABLE oms.inventory_movement ADD COLUMN serials text[]
    CHECK (serials IS NULL OR pg_catalog.cardinality(serials) > 0);
COMMENT ON COLUMN oms.inventory_movement.serials IS 'The serials that move, one per unit, for a serialized item (NULL for any other).';

CREATE TABLE oms.serial_unit (
    serial_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id     bigint NOT NULL REFERENCES oms.item,
    serial      text NOT NULL CHECK (serial ~ '^\S+$' AND pg_catalog.length(serial) <= 255),
    status      text NOT NULL CHECK (status IN ('in_stock', 'damaged', 'in_transfer', 'shipped', 'written_off')),
    location_id bigint REFERENCES oms.location,
    shipment_id bigint REFERENCES oms.shipment,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (item_id, serial),
    CHECK ((status IN ('in_stock', 'damaged')) = (location_id IS NOT NULL)),
    CHECK (status <> 'shipped' OR shipment_id IS NOT NULL)
);
COMMENT ON TABLE oms.serial_unit IS 'One row per serial of a serialized item: where the unit is now.  Written only by the ledger trigger and oms.assign_serials().';
COMMENT ON COLUMN oms.serial_unit.status IS 'in_stock or damaged (at location_id), in_transfer, shipped (in shipment_id), written_off (adjusted out, counted out or scrapped).';
COMMENT ON COLUMN oms.serial_unit.location_id IS 'Where an in_stock or damaged unit is.';
COMMENT ON COLUMN oms.serial_unit.shipment_id IS 'in_stock: the open shipment it is assigned to (oms.assign_serials), if any; shipped: the shipment it went out in.';
CREATE INDEX serial_unit_shipment_idx ON oms.serial_unit (shipment_id) WHERE shipment_id IS NOT NULL;

CREATE TABLE oms.serial_event (
    serial_event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial_id       bigint NOT NULL REFERENCES oms.serial_unit,
    event           text NOT NULL CHECK (event IN
                    ('received', 'adjusted_in', 'adjusted_out', 'counted_in', 'counted_out',
                     'transferred_out', 'transferred_in', 'assigned', 'unassigned', 'shipped',
                     'returned', 'restocked', 'damaged', 'restored', 'scrapped')),
    location_id     bigint,
    shipment_id     bigint,
    movement_id     bigint,
    reference       text,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by      name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE oms.serial_event IS 'Append-only history of each serial: one row per step, with the ledger movement that moved it.';
COMMENT ON COLUMN oms.serial_event.shipment_id IS 'assigned, unassigned, shipped: the shipment; returned: the shipment it came back from.';
COMMENT ON COLUMN oms.serial_event.movement_id IS 'The inventory_movement that moved the unit (NULL for assigned and unassigned).';
CREATE INDEX serial_event_serial_idx ON oms.serial_event (serial_id, serial_event_id);

SELECT pg_catalog.pg_extension_config_dump('oms.serial_unit', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.serial_unit', 'serial_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.serial_event', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.serial_event', 'serial_event_id')::pg_catalog.regclass, '');

-- The ledger trigger: after inventory_movement_apply (name order), when the
-- row names serials.  A movement that names none costs nothing here.
CREATE FUNCTION oms.serials_apply() RETURNS trigger
    LANGUAGE c
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_serials_apply';
COMMENT ON FUNCTION oms.serials_apply() IS 'Ledger trigger: moves the serials a movement names, one per unit, from the state its kind needs to the state it leaves them in (OM013 otherwise), and records each step in serial_event.';
CREATE TRIGGER serials_apply
    BEFORE INSERT ON oms.inventory_movement
    FOR EACH ROW WHEN (NEW.serials IS NOT NULL) EXECUTE FUNCTION oms.serials_apply();

-- Serials are the engine's: no direct write, no truncate.
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.serial_unit
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('a movement naming its serials (oms.receive_serials(), oms.ship(), oms.receive_return()) or oms.assign_serials()');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.serial_unit
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('a movement naming its serials');
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.serial_event
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('a movement naming its serials (the history is never rewritten)');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.serial_event
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('a movement naming its serials (the history is never rewritten)');

-- An item becomes serialized (or stops being) only before its first
-- movement: its stock would otherwise have units without serials.
CREATE FUNCTION oms.item_serial_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NEW.serialized IS NOT DISTINCT FROM OLD.serialized THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM oms.inventory_movement m WHERE m.item_id OPERATOR(pg_catalog.=) OLD.item_id) THEN
        RAISE EXCEPTION 'serialized of sku "%" cannot change: it has inventory movements', OLD.sku
            USING ERRCODE = 'OM006',
                  DETAIL = 'Its stock would hold units without serials, or serials of units that are not tracked.',
                  HINT = 'Create a new item instead.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION oms.item_serial_guard() IS 'Item trigger: refuses a change of serialized once the item has inventory movements (OM006).';
CREATE TRIGGER item_serial_guard
    BEFORE UPDATE OF serialized ON oms.item
    FOR EACH ROW EXECUTE FUNCTION oms.item_serial_guard();

-- ---------------------------------------------------------------------------
-- API
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.receive_serials(sku text, location text, serials text[],
                                    reference text DEFAULT NULL,
                                    idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_receive_serials';
COMMENT ON FUNCTION oms.receive_serials(text, text, text[], text, text) IS 'Receive the units of a serialized sku named by serials at location: one receipt movement of as many units as serials.  Returns the movement id.';

CREATE FUNCTION oms.assign_serials(shipment_id bigint, lines jsonb,
                                   idempotency_key text DEFAULT NULL)
    RETURNS integer
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_assign_serials';
COMMENT ON FUNCTION oms.assign_serials(bigint, jsonb, text) IS 'Name the serials an open shipment ships, lines [{"sku", "serials": [...]}]: each in stock at its location and assigned to no other open shipment; serials of the sku assigned before and not named are released.  Returns the serials newly assigned.';

-- ---------------------------------------------------------------------------
-- Read model and check
-- ---------------------------------------------------------------------------
CREATE VIEW oms.serial_history AS
SELECT i.sku,
       u.serial,
       e.created_at AS at,
       e.event,
       l.code AS location,
       s.shipment_number,
       o.order_number,
       m.kind AS movement_kind,
       e.reference,
       u.status AS current_status,
       e.created_by,
       e.serial_event_id AS seq
FROM oms.serial_event e
JOIN oms.serial_unit u ON u.serial_id = e.serial_id
JOIN oms.item i ON i.item_id = u.item_id
LEFT JOIN oms.location l ON l.location_id = e.location_id
LEFT JOIN oms.shipment s ON s.shipment_id = e.shipment_id
LEFT JOIN oms.sales_order o ON o.order_id = s.order_id
LEFT JOIN oms.inventory_movement m ON m.movement_id = e.movement_id;
COMMENT ON VIEW oms.serial_history IS 'One row per step of a serial: received, assigned, shipped, returned, restocked, damaged, restored, scrapped, transferred, adjusted or counted; ORDER BY sku, serial, seq.';
COMMENT ON COLUMN oms.serial_history.event IS 'The step: received, adjusted_in/out, counted_in/out, transferred_out/in, assigned, unassigned, shipped, returned, restocked, damaged, restored, scrapped.';
COMMENT ON COLUMN oms.serial_history.location IS 'Where the unit was or went (NULL when it left).';
COMMENT ON COLUMN oms.serial_history.shipment_number IS 'The shipment it was assigned to or shipped in, or came back from.';
COMMENT ON COLUMN oms.serial_history.order_number IS 'The order of that shipment.';
COMMENT ON COLUMN oms.serial_history.movement_kind IS 'The ledger kind of the movement that moved it.';
COMMENT ON COLUMN oms.serial_history.reference IS 'The movement''s reference: shipment, RMA or purchase-order number, or the caller''s.';
COMMENT ON COLUMN oms.serial_history.current_status IS 'Where the unit is now: in_stock, damaged, in_transfer, shipped, written_off.';
COMMENT ON COLUMN oms.serial_history.seq IS 'Order of the steps.';

-- Serials agree with the levels: per serialized item and location, the
-- serials in stock are on_hand and the damaged ones damaged.
CREATE FUNCTION oms.check_serials()
    RETURNS TABLE (sku text, location text, problem text, expected bigint, actual bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH s AS (
        SELECT u.item_id, u.location_id,
               count(*) FILTER (WHERE u.status = 'in_stock')::bigint AS in_stock,
               count(*) FILTER (WHERE u.status = 'damaged')::bigint AS damaged
        FROM oms.serial_unit u WHERE u.location_id IS NOT NULL
        GROUP BY u.item_id, u.location_id
    ), j AS (
        SELECT COALESCE(v.item_id, s.item_id) AS item_id, COALESCE(v.location_id, s.location_id) AS location_id,
               COALESCE(v.on_hand, 0) AS on_hand, COALESCE(v.damaged, 0) AS level_damaged,
               COALESCE(s.in_stock, 0) AS in_stock, COALESCE(s.damaged, 0) AS serial_damaged
        FROM (SELECT v.* FROM oms.inventory_level v JOIN oms.item i ON i.item_id = v.item_id
              WHERE i.serialized) v
        FULL JOIN s ON s.item_id = v.item_id AND s.location_id = v.location_id
    )
    SELECT i.sku, l.code, p.problem, p.expected, p.actual
    FROM j
    JOIN oms.item i ON i.item_id = j.item_id
    JOIN oms.location l ON l.location_id = j.location_id
    CROSS JOIN LATERAL (VALUES
        ('serials in stock differ from on_hand', j.on_hand, j.in_stock),
        ('damaged serials differ from damaged', j.level_damaged, j.serial_damaged)
    ) AS p(problem, expected, actual)
    WHERE p.expected IS DISTINCT FROM p.actual
    ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION oms.check_serials() IS 'Proves the serials agree with the stock levels of every serialized item: one row per disagreement, none when all is well.';

GRANT SELECT ON oms.serial_unit, oms.serial_event, oms.serial_history TO oms_admin, oms_app, oms_reader;
REVOKE ALL ON FUNCTION oms.serials_apply(), oms.item_serial_guard(),
                       oms.receive_serials(text, text, text[], text, text),
                       oms.assign_serials(bigint, jsonb, text), oms.check_serials() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.receive_serials(text, text, text[], text, text),
                          oms.assign_serials(bigint, jsonb, text) TO oms_admin, oms_app;
GRANT EXECUTE ON FUNCTION oms.check_serials() TO oms_admin, oms_app, oms_reader;
