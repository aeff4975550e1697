
-- ===========================================================================
-- 95_guards.sql: the guards that hold the engine-owned tables to the API
-- (guards.c).  A write the engine did not make is refused with OM012,
-- naming the function to call; README "Who may write what" lists every
-- table, what a direct write may do and why.
-- ===========================================================================

CREATE FUNCTION oms.engine_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_engine_guard';
COMMENT ON FUNCTION oms.engine_guard() IS 'Guard of an engine-owned table: oms.engine_guard(api [, ''INSERT''] [, ''DELETE:column''] [, column ...]).  BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW it refuses writes outside the engine (OM012, naming api), except those its arguments allow; BEFORE TRUNCATE it refuses the TRUNCATE.';

CREATE FUNCTION oms.status_api_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_status_api_guard';
COMMENT ON FUNCTION oms.status_api_guard() IS 'Guard of the status of an order, shipment or return: oms.status_api_guard(machine, key_column).  Refuses a direct status move that has side effects only the API performs (OM012, naming the function).';

REVOKE ALL ON FUNCTION oms.engine_guard(), oms.status_api_guard() FROM PUBLIC;

-- Triggers fire in name order: engine_guard before every other BEFORE
-- trigger (it sees the row as the statement wrote it), status_guard_api
-- after status_guard (a move the machine refuses is OM002 first).

-- Orders: a bare order may be inserted (the machine examples do); its lines
-- come only from the API.  A plain UPDATE may move the status (below) and
-- correct the ship-to address, service level and dates; payment_status has
-- its own guard (OM008).
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard(
        'oms.place_order(), oms.edit_order() or oms.cancel_order()', 'INSERT',
        'status', 'payment_status', 'ship_to', 'service_level', 'promised_at', 'placed_at');
CREATE TRIGGER status_guard_api
    BEFORE UPDATE OF status ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_api_guard('order', 'order_id');
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.order_line
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('oms.place_order(), oms.edit_order() or oms.cancel_order()');
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.cart_hold
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('oms.hold_stock(), oms.release_hold() or oms.expire_reservations()');
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.reservation
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('oms.place_order(), oms.hold_stock(), oms.edit_order() or oms.cancel_order()');

-- Shipments: a plain UPDATE may move the status where the move has no side
-- effect (picking, packed, in_transit, cancelled before it left) and
-- correct the tracking number and dates.
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.shipment
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard(
        'oms.create_shipment(), oms.ship(), oms.deliver() or oms.advance_shipment()',
        'status', 'tracking_number', 'shipped_at', 'estimated_delivery');
CREATE TRIGGER status_guard_api
    BEFORE UPDATE OF status ON oms.shipment
    FOR EACH ROW EXECUTE FUNCTION oms.status_api_guard('shipment', 'shipment_id');
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.shipment_line
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('oms.create_shipment()');

-- Returns: a plain UPDATE may authorize, reject or cancel, and edit the note.
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.return_authorization
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard(
        'oms.request_return(), oms.advance_return(), oms.receive_return() or oms.complete_return()',
        'status', 'note');
CREATE TRIGGER status_guard_api
    BEFORE UPDATE OF status ON oms.return_authorization
    FOR EACH ROW EXECUTE FUNCTION oms.status_api_guard('return', 'rma_id');
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.return_line
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('oms.request_return(), oms.receive_return() or oms.inspect_return()');

-- History is written only by the status guard; nobody rewrites it.
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.status_history
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard('a status move (the status guard records it; history is never rewritten)');

-- The outbox: events are written by the engine or oms.emit_event();
-- consumers claim and acknowledge them (plain UPDATEs of the claim columns,
-- as claim_events() and ack_events() do, are allowed) and only acknowledged
-- events may be deleted, as purge_events() does.
CREATE TRIGGER engine_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.event
    FOR EACH ROW EXECUTE FUNCTION oms.engine_guard(
        'oms.emit_event(), oms.claim_events(), oms.ack_events() or oms.purge_events()',
        'DELETE:acked_at', 'claimed_by', 'claimed_at', 'acked_at', 'created_at');

-- TRUNCATE of every table whose rows carry invariants (the inventory
-- ledger, the levels and the payment ledger have their own).
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.sales_order
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.cancel_order()');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.order_line
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.cancel_order() or oms.edit_order()');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.cart_hold
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.release_hold() or oms.expire_reservations()');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.reservation
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.cancel_order(), oms.release_hold() or oms.expire_reservations()');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.shipment
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.advance_shipment(shipment_id, ''cancelled'')');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.shipment_line
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.advance_shipment(shipment_id, ''cancelled'')');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.return_authorization
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.advance_return(rma_id, ''cancelled'')');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.return_line
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.advance_return(rma_id, ''cancelled'')');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.purchase_order
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.cancel_purchase_order() or DELETE of a draft');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.purchase_order_line
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('DELETE of the lines of a draft');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.status_history
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('a status move (the status guard records it; history is never rewritten)');
CREATE TRIGGER engine_guard_truncate BEFORE TRUNCATE ON oms.event
    FOR EACH STATEMENT EXECUTE FUNCTION oms.engine_guard('oms.purge_events(), which deletes acknowledged events');

-- Items: is_bundle decides whether an item holds stock or expands into
-- components, so it may change only while nothing depends on it.
CREATE FUNCTION oms.item_bundle_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    why text;
BEGIN
    IF NEW.is_bundle IS NOT DISTINCT FROM OLD.is_bundle THEN
        RETURN NEW;
    END IF;
    why := CASE
        WHEN EXISTS (SELECT 1 FROM oms.inventory_movement m WHERE m.item_id OPERATOR(pg_catalog.=) OLD.item_id)
            THEN 'it has inventory movements'
        WHEN EXISTS (SELECT 1 FROM oms.inventory_level v WHERE v.item_id OPERATOR(pg_catalog.=) OLD.item_id)
            THEN 'it has stock levels'
        WHEN EXISTS (SELECT 1 FROM oms.order_line l WHERE l.item_id OPERATOR(pg_catalog.=) OLD.item_id)
            THEN 'it is on order lines'
        WHEN EXISTS (SELECT 1 FROM oms.bundle_component c
                     WHERE c.bundle_id OPERATOR(pg_catalog.=) OLD.item_id
                        OR c.component_id OPERATOR(pg_catalog.=) OLD.item_id)
            THEN 'it is part of a bundle definition'
        WHEN EXISTS (SELECT 1 FROM oms.purchase_order_line p WHERE p.item_id OPERATOR(pg_catalog.=) OLD.item_id)
            THEN 'it is on purchase orders'
        WHEN EXISTS (SELECT 1 FROM oms.reorder_rule r WHERE r.item_id OPERATOR(pg_catalog.=) OLD.item_id)
            THEN 'it has a reorder rule'
    END;
    IF why IS NOT NULL THEN
        RAISE EXCEPTION 'is_bundle of sku "%" cannot change: %', OLD.sku, why
            USING ERRCODE = 'OM006',
                  DETAIL = 'A bundle holds no stock and expands into its components; an item with history keeps what it is.',
                  HINT = 'Create a new item with the other kind instead.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION oms.item_bundle_guard() IS 'Item trigger: refuses a change of is_bundle once the item has stock, movements, order or purchase-order lines, components or a reorder rule (OM006).';
REVOKE ALL ON FUNCTION oms.item_bundle_guard() FROM PUBLIC;
CREATE TRIGGER item_bundle_guard
    BEFORE UPDATE OF is_bundle ON oms.item
    FOR EACH ROW EXECUTE FUNCTION oms.item_bundle_guard();
