
-- ===========================================================================
-- 40_orders.sql: customers, channels, sales orders and their lines, the
-- idempotency keys, and the order API (orders.c)
-- ===========================================================================

CREATE TABLE oms.customer (
    customer_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    name        text,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms.customer IS 'Customers, keyed by email without regard to case.  place_order creates a customer on its first order (guest checkout).';
COMMENT ON COLUMN oms.customer.email IS 'Unique without regard to case (Ann@Example.com and ann@example.com are one customer); place_order stores it in lower case.';
-- One customer per address whatever its case: place_order looks customers up
-- by lower(email) and inserts ON CONFLICT on this index.
CREATE UNIQUE INDEX customer_email_lower_idx ON oms.customer (pg_catalog.lower(email));

CREATE TABLE oms.channel (
    channel_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
    name       text NOT NULL,
    kind       text NOT NULL DEFAULT 'web'
               CHECK (kind IN ('web', 'marketplace', 'pos', 'phone', 'b2b')),
    active     boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE oms.channel IS 'Sales channels: web shop, marketplace, point of sale, phone, B2B.';

CREATE SEQUENCE oms.order_number_seq;

CREATE TABLE oms.sales_order (
    order_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_number      text NOT NULL UNIQUE
                      DEFAULT oms.document_number('SO', pg_catalog.nextval('oms.order_number_seq')),
    channel_id        bigint REFERENCES oms.channel,
    channel_order_ref text,
    customer_id       bigint REFERENCES oms.customer,
    order_type        text NOT NULL DEFAULT 'normal'
                      CHECK (order_type IN ('normal', 'preorder', 'backorder')),
    status            text NOT NULL DEFAULT 'pending',
    status_changed_at timestamptz,
    fulfillment_status text NOT NULL DEFAULT 'unfulfilled',
    payment_status    text NOT NULL DEFAULT 'unpaid',
    payment_required  text NOT NULL DEFAULT 'none'
                      CHECK (payment_required IN ('none', 'authorized', 'captured')),
    ship_to           jsonb CHECK (jsonb_typeof(ship_to) = 'object'),
    service_level     text NOT NULL DEFAULT 'ground'
                      CHECK (service_level IN ('ground', 'air', 'express', 'same_day')),
    currency          text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal          numeric(14,2) NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    tax               numeric(14,2) NOT NULL DEFAULT 0 CHECK (tax >= 0),
    shipping          numeric(14,2) NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    discount          numeric(14,2) NOT NULL DEFAULT 0 CHECK (discount >= 0),
    total             numeric(14,2) GENERATED ALWAYS AS
                      (GREATEST(subtotal - discount, 0) + tax + shipping) STORED,
    allocation_strategy text,
    promised_at       timestamptz,
    placed_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (channel_id, channel_order_ref)
);
COMMENT ON TABLE oms.sales_order IS 'Sales orders.  status follows the order state machine (oms.status_transition); every change is guarded and recorded.';
COMMENT ON COLUMN oms.sales_order.order_number IS 'Human order number, such as SO-000123.';
COMMENT ON COLUMN oms.sales_order.channel_order_ref IS 'The channel''s own order reference; unique per channel: placing it twice returns the first order.';
COMMENT ON COLUMN oms.sales_order.status IS 'pending, confirmed, processing, completed, on_hold or cancelled; moves only as the order machine allows.';
COMMENT ON COLUMN oms.sales_order.status_changed_at IS 'When status last changed (set by the guard).';
COMMENT ON COLUMN oms.sales_order.order_type IS 'normal; backorder when a line waits for stock; preorder when a pre-order item waits for stock.';
COMMENT ON COLUMN oms.sales_order.payment_required IS 'What payment must exist before the order may ship: none, authorized or captured.';
COMMENT ON COLUMN oms.sales_order.ship_to IS 'Ship-to address: name, line1, city, postal_code, country (ISO 3166-1 alpha-2) required; region, latitude, longitude used for routing.';
COMMENT ON COLUMN oms.sales_order.discount IS 'Discount off the subtotal given at placing (a place_order option; an imported order''s platform discounts), at most the subtotal then.';
COMMENT ON COLUMN oms.sales_order.total IS 'subtotal (sum of line unit_price x qty) - discount (down to 0 when cancellations take the subtotal below it) + tax + shipping.';
CREATE INDEX sales_order_customer_idx ON oms.sales_order (customer_id);
CREATE INDEX sales_order_open_idx ON oms.sales_order (placed_at)
    WHERE status NOT IN ('completed', 'cancelled');

-- The guard checks and stamps before the row is written; the same function
-- AFTER the row is written records the change.
CREATE TRIGGER status_guard
    BEFORE INSERT OR UPDATE OF status ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('order', 'order_id');
CREATE TRIGGER status_log
    AFTER INSERT OR UPDATE OF status ON oms.sales_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('order', 'order_id');

CREATE TABLE oms.order_line (
    line_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint NOT NULL REFERENCES oms.sales_order,
    line_no         integer NOT NULL CHECK (line_no > 0),
    item_id         bigint NOT NULL REFERENCES oms.item,
    kind            text NOT NULL DEFAULT 'item' CHECK (kind IN ('item', 'bundle', 'component')),
    parent_line_id  bigint REFERENCES oms.order_line,
    qty_ordered     bigint NOT NULL CHECK (qty_ordered >= 0),
    qty_reserved    bigint NOT NULL DEFAULT 0 CHECK (qty_reserved >= 0),
    qty_backordered bigint NOT NULL DEFAULT 0 CHECK (qty_backordered >= 0),
    qty_shipped     bigint NOT NULL DEFAULT 0 CHECK (qty_shipped >= 0),
    qty_cancelled   bigint NOT NULL DEFAULT 0 CHECK (qty_cancelled >= 0),
    qty_returned    bigint NOT NULL DEFAULT 0 CHECK (qty_returned >= 0),
    qty_delivered   bigint NOT NULL DEFAULT 0 CHECK (qty_delivered >= 0),
    unit_price      numeric(14,2) NOT NULL DEFAULT 0 CHECK (unit_price >= 0),
    UNIQUE (order_id, line_no),
    CHECK ((kind = 'component') = (parent_line_id IS NOT NULL)),
    CHECK (qty_returned <= qty_shipped),
    CHECK (qty_delivered <= qty_shipped),
    -- every unit of a stocked line is reserved, backordered, shipped or cancelled
    CONSTRAINT order_line_quantities CHECK (kind = 'bundle' OR
        qty_reserved + qty_backordered + qty_shipped + qty_cancelled = qty_ordered),
    CONSTRAINT order_line_bundle_quantities CHECK (kind <> 'bundle' OR
        (qty_reserved = 0 AND qty_backordered = 0 AND qty_cancelled <= qty_ordered))
);
COMMENT ON TABLE oms.order_line IS 'Order lines.  A bundle line carries the price; its component lines carry the stock.';
COMMENT ON COLUMN oms.order_line.qty_reserved IS 'Units held by active reservations (always their sum).';
COMMENT ON COLUMN oms.order_line.qty_shipped IS 'Units that left a location in a shipment (a lost shipment''s units stay shipped until it is re-shipped).';
COMMENT ON COLUMN oms.order_line.qty_delivered IS 'Units of shipped units that the carrier delivered.';
COMMENT ON COLUMN oms.order_line.qty_backordered IS 'Units waiting for stock; filled oldest order first when stock arrives.';
CREATE INDEX order_line_order_idx ON oms.order_line (order_id);
CREATE INDEX order_line_backordered_idx ON oms.order_line (item_id, order_id)
    WHERE qty_backordered > 0;

CREATE TABLE oms.idempotency_key (
    scope        text NOT NULL,
    key          text NOT NULL CHECK (key <> ''),
    request_hash text NOT NULL,
    result       jsonb,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (scope, key)
);
COMMENT ON TABLE oms.idempotency_key IS 'Idempotency keys of API calls: the arguments'' hash and the first result.  oms.purge_idempotency_keys() removes old ones.';
CREATE INDEX idempotency_key_created_idx ON oms.idempotency_key (created_at);


-- pg_dump keeps the data of these tables and their identity sequences
-- (restore with session_replication_role = replica: README, Dump and restore).
SELECT pg_catalog.pg_extension_config_dump('oms.customer', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.customer', 'customer_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.channel', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.channel', 'channel_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.sales_order', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.sales_order', 'order_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.order_line', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.order_line', 'line_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.idempotency_key', '');
SELECT pg_catalog.pg_extension_config_dump('oms.order_number_seq', '');

-- ---------------------------------------------------------------------------
-- Order API (C)
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.place_order(customer text, channel text, lines jsonb,
                                options jsonb DEFAULT '{}')
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_place_order';
COMMENT ON FUNCTION oms.place_order(text, text, jsonb, jsonb) IS 'Create an order with its lines and reserve its stock in one call.  Returns the order id.  See README for lines and options.';

CREATE FUNCTION oms.confirm_order(order_id bigint, reason text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_confirm_order';
COMMENT ON FUNCTION oms.confirm_order(bigint, text, text) IS 'Move a pending order to confirmed (verification passed).  Returns the new status.';

CREATE FUNCTION oms.hold_order(order_id bigint, reason text DEFAULT NULL,
                               idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_hold_order';
COMMENT ON FUNCTION oms.hold_order(bigint, text, text) IS 'Put an open order on hold (fraud review, address check).  Its reservations stay.  Returns the new status.';

CREATE FUNCTION oms.release_order(order_id bigint, reason text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_release_order';
COMMENT ON FUNCTION oms.release_order(bigint, text, text) IS 'Take an order off hold, back to the status it had before.  Returns the new status.';

CREATE FUNCTION oms.cancel_order(order_id bigint, lines jsonb DEFAULT NULL, reason text DEFAULT NULL,
                                 idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_cancel_order';
COMMENT ON FUNCTION oms.cancel_order(bigint, jsonb, text, text) IS 'Cancel a whole order (lines NULL) or some units of some lines ([{"sku": ..., "qty": n}]), releasing exactly what they held.  Returns the units cancelled.';

CREATE FUNCTION oms.edit_order(order_id bigint, changes jsonb, reason text DEFAULT NULL,
                               idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_edit_order';
COMMENT ON FUNCTION oms.edit_order(bigint, jsonb, text, text) IS 'Set line quantities ([{"sku": ..., "qty": n, "unit_price": ...}]): more reserves the difference, less releases it, 0 removes the line, a new sku adds a line.  Returns the order id.';

-- The idempotency key of the API functions written in SQL (purchase order
-- moves, create_shipments); the C ones claim theirs in C.  Internal: only
-- the extension's own SECURITY DEFINER functions call these.
CREATE FUNCTION oms.idempotency_claim(scope text, key text, request text)
    RETURNS jsonb
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_idempotency_claim';
COMMENT ON FUNCTION oms.idempotency_claim(text, text, text) IS 'Internal: claim an idempotency key of scope for request.  NULL when the key is new (claimed until this transaction ends), {"result": first result} for a repeat with the same request; OM004 for another request.';

CREATE FUNCTION oms.idempotency_store(scope text, key text, result text)
    RETURNS void
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_idempotency_store';
COMMENT ON FUNCTION oms.idempotency_store(text, text, text) IS 'Internal: store the result of the call that claimed an idempotency key.';

CREATE FUNCTION oms.purge_idempotency_keys(older_than interval DEFAULT '7 days')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    purged bigint;
BEGIN
    -- a negative age would purge the keys of calls still being retried
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must not be negative, got %', coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF older_than > interval '10 years' THEN
        RAISE EXCEPTION 'older_than % is out of range', older_than
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'older_than is at most 10 years.';
    END IF;
    DELETE FROM oms.idempotency_key k WHERE k.created_at < now() - older_than;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;
COMMENT ON FUNCTION oms.purge_idempotency_keys(interval) IS 'Delete idempotency keys older than the given age.  Returns how many.';

GRANT SELECT ON oms.customer, oms.channel, oms.sales_order, oms.order_line TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.customer, oms.channel TO oms_admin;
GRANT UPDATE (status) ON oms.sales_order TO oms_admin;
GRANT SELECT ON oms.idempotency_key TO oms_admin;
REVOKE ALL ON FUNCTION oms.place_order(text, text, jsonb, jsonb),
                       oms.confirm_order(bigint, text, text),
                       oms.hold_order(bigint, text, text),
                       oms.release_order(bigint, text, text),
                       oms.cancel_order(bigint, jsonb, text, text),
                       oms.edit_order(bigint, jsonb, text, text),
                       oms.purge_idempotency_keys(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.place_order(text, text, jsonb, jsonb),
                          oms.confirm_order(bigint, text, text),
                          oms.hold_order(bigint, text, text),
                          oms.release_order(bigint, text, text),
                          oms.cancel_order(bigint, jsonb, text, text),
                          oms.edit_order(bigint, jsonb, text, text) TO oms_admin, oms_app;
GRANT EXECUTE ON FUNCTION oms.purge_idempotency_keys(interval) TO oms_admin;
