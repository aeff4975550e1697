
-- ===========================================================================
-- 10_inventory.sql: locations, items, bundles, stock levels, the movement
-- ledger, the inventory API and its views
-- ===========================================================================

CREATE TABLE oms.location (
    location_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE
                CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL DEFAULT 'warehouse'
                CHECK (kind IN ('warehouse', 'store', 'dropship')),
    priority    integer NOT NULL DEFAULT 100 CHECK (priority >= 0),
    region      text,
    latitude    double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude   double precision CHECK (longitude BETWEEN -180 AND 180),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
COMMENT ON TABLE oms.location IS 'Places that hold stock: warehouses, stores and drop-ship suppliers.';
COMMENT ON COLUMN oms.location.code IS 'Short unique code used by the API, such as WH-EAST.';
COMMENT ON COLUMN oms.location.priority IS 'Routing priority: lower numbers are preferred.';
COMMENT ON COLUMN oms.location.region IS 'Region used by nearest-location routing (for example a country or state code).';

CREATE TABLE oms.item (
    item_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku              text NOT NULL UNIQUE CHECK (sku ~ '^\S+$'),
    name             text NOT NULL CHECK (name <> ''),
    unit             text NOT NULL DEFAULT 'each',
    backorder_policy text NOT NULL DEFAULT 'deny'
                     CHECK (backorder_policy IN ('deny', 'allow', 'preorder')),
    is_bundle        boolean NOT NULL DEFAULT false,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms.item IS 'Sellable items (SKUs).  A bundle holds no stock; it expands into its components.';
COMMENT ON COLUMN oms.item.backorder_policy IS 'deny: an order short of stock fails; allow: the shortfall is backordered; preorder: sold before stock exists.';

CREATE TABLE oms.bundle_component (
    bundle_id    bigint NOT NULL REFERENCES oms.item ON DELETE CASCADE,
    component_id bigint NOT NULL REFERENCES oms.item,
    qty          integer NOT NULL CHECK (qty > 0),
    PRIMARY KEY (bundle_id, component_id),
    CHECK (bundle_id <> component_id)
);
COMMENT ON TABLE oms.bundle_component IS 'Components of a bundle item and how many of each one bundle takes.';

-- A bundle's components are plain items, and only bundles have components:
-- this keeps expansion one level deep.
CREATE FUNCTION oms.bundle_component_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT (SELECT is_bundle FROM oms.item WHERE item_id = NEW.bundle_id) THEN
        RAISE EXCEPTION 'item % is not a bundle', NEW.bundle_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Set oms.item.is_bundle = true first.';
    END IF;
    IF (SELECT is_bundle FROM oms.item WHERE item_id = NEW.component_id) THEN
        RAISE EXCEPTION 'item % is a bundle and cannot be a component', NEW.component_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Bundles nest one level only.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bundle_component_check
    BEFORE INSERT OR UPDATE ON oms.bundle_component
    FOR EACH ROW EXECUTE FUNCTION oms.bundle_component_check();

CREATE TABLE oms.inventory_level (
    item_id      bigint NOT NULL REFERENCES oms.item,
    location_id  bigint NOT NULL REFERENCES oms.location,
    on_hand      bigint NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    safety_stock bigint NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    damaged      bigint NOT NULL DEFAULT 0 CHECK (damaged >= 0),
    incoming     bigint NOT NULL DEFAULT 0 CHECK (incoming >= 0),
    available    bigint GENERATED ALWAYS AS
                 (GREATEST(on_hand - reserved - safety_stock, 0)) STORED,
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (item_id, location_id),
    CONSTRAINT inventory_level_reserved_on_hand CHECK (reserved <= on_hand)
);
COMMENT ON TABLE oms.inventory_level IS 'Stock per item and location.  on_hand, damaged, reserved and incoming change only through the ledger and the engine.';
COMMENT ON COLUMN oms.inventory_level.on_hand IS 'Physical sellable units.';
COMMENT ON COLUMN oms.inventory_level.reserved IS 'Units promised to orders and cart holds.';
COMMENT ON COLUMN oms.inventory_level.safety_stock IS 'Units kept back from sale.';
COMMENT ON COLUMN oms.inventory_level.damaged IS 'Damaged or quarantined units: not sellable, not in on_hand.';
COMMENT ON COLUMN oms.inventory_level.incoming IS 'Units on open purchase orders.';
COMMENT ON COLUMN oms.inventory_level.available IS 'on_hand - reserved - safety_stock, floored at zero: what can still be promised.';
CREATE INDEX inventory_level_location_idx ON oms.inventory_level (location_id);

CREATE SEQUENCE oms.transfer_id_seq;

CREATE TABLE oms.inventory_movement (
    movement_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id        bigint NOT NULL REFERENCES oms.item,
    location_id    bigint NOT NULL REFERENCES oms.location,
    kind           text NOT NULL CHECK (kind IN
                   ('receipt', 'adjustment', 'count', 'transfer_out', 'transfer_in',
                    'shipment', 'return_restock', 'return_damaged', 'damage', 'scrap', 'restore')),
    on_hand_delta  bigint NOT NULL DEFAULT 0,
    damaged_delta  bigint NOT NULL DEFAULT 0,
    counted        bigint CHECK (counted >= 0),
    on_hand_after  bigint,
    damaged_after  bigint,
    reason         text,
    reference      text,
    transfer_id    bigint,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by     name NOT NULL DEFAULT SESSION_USER,
    CONSTRAINT inventory_movement_kind_deltas CHECK (CASE kind
        WHEN 'receipt'        THEN on_hand_delta > 0 AND damaged_delta = 0
        WHEN 'adjustment'     THEN on_hand_delta <> 0 AND damaged_delta = 0 AND reason IS NOT NULL
        WHEN 'count'          THEN counted IS NOT NULL AND damaged_delta = 0
        WHEN 'transfer_out'   THEN on_hand_delta < 0 AND damaged_delta = 0 AND transfer_id IS NOT NULL
        WHEN 'transfer_in'    THEN on_hand_delta > 0 AND damaged_delta = 0 AND transfer_id IS NOT NULL
        WHEN 'shipment'       THEN on_hand_delta < 0 AND damaged_delta = 0
        WHEN 'return_restock' THEN on_hand_delta > 0 AND damaged_delta = 0
        WHEN 'return_damaged' THEN on_hand_delta = 0 AND damaged_delta > 0
        WHEN 'damage'         THEN on_hand_delta < 0 AND damaged_delta = -on_hand_delta
        WHEN 'scrap'          THEN on_hand_delta = 0 AND damaged_delta < 0
        WHEN 'restore'        THEN on_hand_delta > 0 AND damaged_delta = -on_hand_delta AND reason IS NOT NULL
    END),
    CHECK (kind = 'count' OR counted IS NULL)
);
COMMENT ON TABLE oms.inventory_movement IS 'Append-only ledger: every change of on_hand or damaged is one row.  UPDATE and DELETE are refused.';
COMMENT ON COLUMN oms.inventory_movement.counted IS 'For kind count: the quantity counted; on_hand_delta is computed from it.';
COMMENT ON COLUMN oms.inventory_movement.on_hand_after IS 'on_hand of the level right after this movement (set by the ledger trigger).';
COMMENT ON COLUMN oms.inventory_movement.transfer_id IS 'Links the transfer_out and transfer_in legs of one transfer.';
CREATE INDEX inventory_movement_item_location_idx ON oms.inventory_movement (item_id, location_id, movement_id);
CREATE INDEX inventory_movement_transfer_idx ON oms.inventory_movement (transfer_id) WHERE transfer_id IS NOT NULL;


-- pg_dump keeps the data of these tables and their identity sequences
-- (restore with session_replication_role = replica: README, Dump and restore).
SELECT pg_catalog.pg_extension_config_dump('oms.location', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.location', 'location_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.item', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.item', 'item_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.bundle_component', '');
SELECT pg_catalog.pg_extension_config_dump('oms.inventory_level', '');
SELECT pg_catalog.pg_extension_config_dump('oms.inventory_movement', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.inventory_movement', 'movement_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.transfer_id_seq', '');

-- The C triggers of the ledger.
CREATE FUNCTION oms.inventory_movement_apply() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_inventory_movement_apply';
COMMENT ON FUNCTION oms.inventory_movement_apply() IS 'Ledger trigger: applies a movement to its inventory_level row under a row lock.';
CREATE FUNCTION oms.inventory_movement_refuse() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_inventory_movement_refuse';
COMMENT ON FUNCTION oms.inventory_movement_refuse() IS 'Ledger trigger: refuses UPDATE, DELETE and TRUNCATE of the ledger.';
CREATE FUNCTION oms.inventory_level_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_inventory_level_guard';
COMMENT ON FUNCTION oms.inventory_level_guard() IS 'Level trigger: refuses writes to stock buckets that bypass the ledger and the engine.';

CREATE TRIGGER inventory_movement_apply
    BEFORE INSERT ON oms.inventory_movement
    FOR EACH ROW EXECUTE FUNCTION oms.inventory_movement_apply();
CREATE TRIGGER inventory_movement_refuse
    BEFORE UPDATE OR DELETE ON oms.inventory_movement
    FOR EACH ROW EXECUTE FUNCTION oms.inventory_movement_refuse();
CREATE TRIGGER inventory_movement_refuse_truncate
    BEFORE TRUNCATE ON oms.inventory_movement
    FOR EACH STATEMENT EXECUTE FUNCTION oms.inventory_movement_refuse();
CREATE TRIGGER inventory_level_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.inventory_level
    FOR EACH ROW EXECUTE FUNCTION oms.inventory_level_guard();
CREATE TRIGGER inventory_level_guard_truncate
    BEFORE TRUNCATE ON oms.inventory_level
    FOR EACH STATEMENT EXECUTE FUNCTION oms.inventory_level_guard();

-- ---------------------------------------------------------------------------
-- Inventory API (C).  Not STRICT: a NULL argument is answered with 22023
-- naming the argument.
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.receive_stock(sku text, location text, qty bigint,
                                  reference text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_receive_stock';
COMMENT ON FUNCTION oms.receive_stock(text, text, bigint, text, text) IS 'Receive qty units of sku at location (ledger kind receipt).  Returns the movement id.';

CREATE FUNCTION oms.adjust_stock(sku text, location text, delta bigint, reason text,
                                 idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_adjust_stock';
COMMENT ON FUNCTION oms.adjust_stock(text, text, bigint, text, text) IS 'Add (delta > 0) or remove (delta < 0) units with a reason (ledger kind adjustment).  Returns the movement id.';

CREATE FUNCTION oms.count_stock(sku text, location text, counted bigint,
                                reason text DEFAULT 'cycle count',
                                idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_count_stock';
COMMENT ON FUNCTION oms.count_stock(text, text, bigint, text, text) IS 'Record a cycle count: on_hand becomes counted.  Returns the adjustment (counted - previous on_hand).';

CREATE FUNCTION oms.transfer_stock(sku text, from_location text, to_location text,
                                   qty bigint, reference text DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_transfer_stock';
COMMENT ON FUNCTION oms.transfer_stock(text, text, text, bigint, text, text) IS 'Move qty available units between locations: both ledger legs in one call.  Returns the transfer id.';

CREATE FUNCTION oms.damage_stock(sku text, location text, qty bigint, reason text,
                                 idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_damage_stock';
COMMENT ON FUNCTION oms.damage_stock(text, text, bigint, text, text) IS 'Move qty units from on_hand to damaged (ledger kind damage).  Returns the movement id.';

CREATE FUNCTION oms.scrap_stock(sku text, location text, qty bigint, reason text,
                                idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_scrap_stock';
COMMENT ON FUNCTION oms.scrap_stock(text, text, bigint, text, text) IS 'Dispose of qty damaged units (ledger kind scrap).  Returns the movement id.';

CREATE FUNCTION oms.restore_stock(sku text, location text, qty bigint, reason text,
                                  idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_restore_stock';
COMMENT ON FUNCTION oms.restore_stock(text, text, bigint, text, text) IS 'Move qty damaged units back to on_hand (ledger kind restore: repaired, or passed inspection).  Returns the movement id.';

CREATE FUNCTION oms.set_safety_stock(sku text, location text, qty bigint,
                                     idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_set_safety_stock';
COMMENT ON FUNCTION oms.set_safety_stock(text, text, bigint, text) IS 'Set the units kept back from sale at a location.  Returns the new available quantity.';

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
GRANT SELECT ON oms.location, oms.item, oms.bundle_component,
               oms.inventory_level, oms.inventory_movement TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.location, oms.item, oms.bundle_component TO oms_admin;
GRANT INSERT, UPDATE (safety_stock) ON oms.inventory_level TO oms_admin;
GRANT INSERT ON oms.inventory_movement TO oms_admin;
REVOKE ALL ON FUNCTION oms.receive_stock(text, text, bigint, text, text),
                       oms.adjust_stock(text, text, bigint, text, text),
                       oms.count_stock(text, text, bigint, text, text),
                       oms.transfer_stock(text, text, text, bigint, text, text),
                       oms.damage_stock(text, text, bigint, text, text),
                       oms.scrap_stock(text, text, bigint, text, text),
                       oms.restore_stock(text, text, bigint, text, text),
                       oms.set_safety_stock(text, text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.receive_stock(text, text, bigint, text, text),
                          oms.adjust_stock(text, text, bigint, text, text),
                          oms.count_stock(text, text, bigint, text, text),
                          oms.transfer_stock(text, text, text, bigint, text, text),
                          oms.damage_stock(text, text, bigint, text, text),
                          oms.scrap_stock(text, text, bigint, text, text),
                          oms.restore_stock(text, text, bigint, text, text),
                          oms.set_safety_stock(text, text, bigint, text) TO oms_admin, oms_app;
