-- ---------------------------------------------------------------------------
-- References without row locks (src/engine/references.c).  A foreign-key check
-- locks its parent row FOR KEY SHARE; every order names the same channel,
-- every shipment the same few locations and carriers, the orders of a hot
-- sku the same item, so those shared locks became MultiXacts (a global lock
-- and an SLRU write each).  Instead, reference rows are never deleted and
-- their keys never change (reference_guard, 23503; retire a row with
-- active = false), and the hot tables check that what they point at exists
-- with a plain read (reference_check, 23503), which needs no lock because
-- the row cannot go away, or are written only by the engine.  Configuration and purchasing keep their foreign
-- keys.
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.reference_check() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_reference_check';
COMMENT ON FUNCTION oms.reference_check() IS 'Row trigger oms.reference_check(column, parent, key [, ...]): each non-NULL column must name an existing row of oms.<parent>, checked without locking it (23503).';
CREATE FUNCTION oms.reference_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_reference_guard';
COMMENT ON FUNCTION oms.reference_guard() IS 'Trigger oms.reference_guard(key): rows of a reference table are never deleted or truncated and their key never changes (23503); retire them with active = false.';

-- the reference tables
CREATE TRIGGER reference_guard BEFORE DELETE OR UPDATE OF item_id ON oms.item
    FOR EACH ROW EXECUTE FUNCTION oms.reference_guard('item_id');
CREATE TRIGGER reference_guard_truncate BEFORE TRUNCATE ON oms.item
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reference_guard('item_id');
CREATE TRIGGER reference_guard BEFORE DELETE OR UPDATE OF location_id ON oms.location
    FOR EACH ROW EXECUTE FUNCTION oms.reference_guard('location_id');
CREATE TRIGGER reference_guard_truncate BEFORE TRUNCATE ON oms.location
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reference_guard('location_id');
CREATE TRIGGER reference_guard BEFORE DELETE OR UPDATE OF channel_id ON oms.channel
    FOR EACH ROW EXECUTE FUNCTION oms.reference_guard('channel_id');
CREATE TRIGGER reference_guard_truncate BEFORE TRUNCATE ON oms.channel
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reference_guard('channel_id');
CREATE TRIGGER reference_guard BEFORE DELETE OR UPDATE OF carrier_id ON oms.carrier
    FOR EACH ROW EXECUTE FUNCTION oms.reference_guard('carrier_id');
CREATE TRIGGER reference_guard_truncate BEFORE TRUNCATE ON oms.carrier
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reference_guard('carrier_id');

-- the hot tables that point at them.  Those a direct writer may insert
-- into check what they name; the others are written only by the engine
-- (their engine_guard refuses everyone else, 95_guards.sql), which writes
-- ids it has just read by sku or code and which cannot go away.
ALTER TABLE oms.sales_order DROP CONSTRAINT sales_order_channel_id_fkey;
CREATE TRIGGER reference_check BEFORE INSERT OR UPDATE OF channel_id ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.reference_check('channel_id', 'channel', 'channel_id');
ALTER TABLE oms.inventory_movement DROP CONSTRAINT inventory_movement_item_id_fkey,
    DROP CONSTRAINT inventory_movement_location_id_fkey;
CREATE TRIGGER reference_check BEFORE INSERT ON oms.inventory_movement
    FOR EACH ROW EXECUTE FUNCTION oms.reference_check('item_id', 'item', 'item_id',
                                                      'location_id', 'location', 'location_id');
ALTER TABLE oms.order_line DROP CONSTRAINT order_line_item_id_fkey;
ALTER TABLE oms.shipment DROP CONSTRAINT shipment_location_id_fkey,
    DROP CONSTRAINT shipment_carrier_id_fkey;
ALTER TABLE oms.shipment_line DROP CONSTRAINT shipment_line_item_id_fkey;
ALTER TABLE oms.return_authorization DROP CONSTRAINT return_authorization_location_id_fkey;
ALTER TABLE oms.return_line DROP CONSTRAINT return_line_item_id_fkey;

-- The order path's own children.  Order lines and their reservations are
-- written only by the engine (engine_guard), which points them at the
-- order row and the lines it has just inserted; orders and lines are never
-- deleted (engine_guard refuses a DELETE, and the engine issues none) and
-- never truncated.  Their foreign keys checked what holds by construction,
-- at a statement per row: six of the ten checks of a three-line order.
-- The reservation's level keeps its key: an empty level may be deleted.
ALTER TABLE oms.order_line DROP CONSTRAINT order_line_order_id_fkey;
ALTER TABLE oms.reservation DROP CONSTRAINT reservation_line_id_fkey;
