
-- ===========================================================================
-- 40_orders.sql: sales orders and their state machine
-- ===========================================================================

CREATE SEQUENCE oms.order_number_seq;
SELECT pg_catalog.pg_extension_config_dump('oms.order_number_seq', '');

CREATE TABLE oms.sales_order (
    order_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_number      text NOT NULL UNIQUE
                      DEFAULT 'SO-' || pg_catalog.lpad(pg_catalog.nextval('oms.order_number_seq')::text, 6, '0'),
    status            text NOT NULL DEFAULT 'pending',
    status_changed_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms.sales_order IS 'Sales orders.  status follows the order state machine (oms.status_transition); every change is guarded and recorded.';
COMMENT ON COLUMN oms.sales_order.order_number IS 'Human order number, such as SO-000123.';
COMMENT ON COLUMN oms.sales_order.status IS 'pending, confirmed, processing, completed, on_hold or cancelled; moves only as the order machine allows.';
COMMENT ON COLUMN oms.sales_order.status_changed_at IS 'When status last changed (set by the guard).';
SELECT pg_catalog.pg_extension_config_dump('oms.sales_order', '');
-- and its identity sequence, or restored rows would collide with new ones
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.sales_order', 'order_id')::pg_catalog.regclass, '');

-- The guard checks and stamps before the row is written; the same function
-- AFTER the row is written records the change, so a row that is not written
-- after all (ON CONFLICT, another trigger) leaves no history and no event.
CREATE TRIGGER status_guard
    BEFORE INSERT OR UPDATE OF status ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('order', 'order_id');
CREATE TRIGGER status_log
    AFTER INSERT OR UPDATE OF status ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('order', 'order_id');

GRANT SELECT ON oms.sales_order TO oms_admin, oms_app, oms_reader;
GRANT UPDATE (status) ON oms.sales_order TO oms_admin;
