
-- ===========================================================================
-- 50_reserve.sql: cart holds, reservations, backorder filling and the
-- reservation API (reserve.c)
-- ===========================================================================

CREATE TABLE oms.cart_hold (
    hold_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hold_ref   text NOT NULL UNIQUE CHECK (hold_ref <> ''),
    state      text NOT NULL DEFAULT 'active'
               CHECK (state IN ('active', 'converted', 'released', 'expired')),
    expires_at timestamptz NOT NULL,
    order_id   bigint REFERENCES oms.sales_order,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CHECK ((state = 'converted') = (order_id IS NOT NULL))
);
COMMENT ON TABLE oms.cart_hold IS 'Stock held for a shopping cart for a time to live.  An expired hold stops counting as reserved the moment it expires.';
COMMENT ON COLUMN oms.cart_hold.hold_ref IS 'The caller''s cart reference.';
CREATE INDEX cart_hold_expiry_idx ON oms.cart_hold (expires_at) WHERE state = 'active';

CREATE TABLE oms.reservation (
    reservation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line_id        bigint REFERENCES oms.order_line,
    hold_id        bigint REFERENCES oms.cart_hold,
    item_id        bigint NOT NULL,
    location_id    bigint NOT NULL,
    qty            bigint NOT NULL CHECK (qty >= 0),
    state          text NOT NULL DEFAULT 'active'
                   CHECK (state IN ('active', 'released', 'expired', 'consumed')),
    expires_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    closed_at      timestamptz,
    FOREIGN KEY (item_id, location_id) REFERENCES oms.inventory_level,
    CHECK (line_id IS NOT NULL OR hold_id IS NOT NULL),
    CHECK (line_id IS NULL OR expires_at IS NULL),
    CHECK ((state = 'active') = (closed_at IS NULL)),
    CHECK (state <> 'active' OR qty > 0)
);
COMMENT ON TABLE oms.reservation IS 'Units promised at one location to an order line or a cart hold.  inventory_level.reserved is always the sum of the active rows.';
COMMENT ON COLUMN oms.reservation.state IS 'active; released (cancelled or edited away); expired (cart hold past its time); consumed (shipped).';
COMMENT ON COLUMN oms.reservation.qty IS 'Units still held; a partial release lowers it, a full one closes the row.';
CREATE INDEX reservation_level_active_idx ON oms.reservation (item_id, location_id) WHERE state = 'active';
CREATE INDEX reservation_line_active_idx ON oms.reservation (line_id) WHERE state = 'active';
CREATE INDEX reservation_hold_idx ON oms.reservation (hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX reservation_expiring_idx ON oms.reservation (item_id, expires_at)
    WHERE state = 'active' AND expires_at IS NOT NULL;


-- pg_dump keeps the data of these tables and their identity sequences
-- (restore with session_replication_role = replica: README, Dump and restore).
SELECT pg_catalog.pg_extension_config_dump('oms.cart_hold', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.cart_hold', 'hold_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.reservation', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.reservation', 'reservation_id')::pg_catalog.regclass, '');

-- Fill backorders when stock arrives at a location, oldest order first.
CREATE FUNCTION oms.backorder_fill() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_backorder_fill';
COMMENT ON FUNCTION oms.backorder_fill() IS 'Ledger trigger: reserves arriving stock for backordered lines, oldest order first.';
CREATE TRIGGER backorder_fill
    AFTER INSERT ON oms.inventory_movement
    FOR EACH ROW
    WHEN (NEW.on_hand_delta > 0 AND NEW.kind IN ('receipt', 'transfer_in', 'return_restock', 'restore'))
    EXECUTE FUNCTION oms.backorder_fill();

CREATE FUNCTION oms.hold_stock(hold_ref text, lines jsonb, ttl interval DEFAULT NULL,
                               idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_hold_stock';
COMMENT ON FUNCTION oms.hold_stock(text, jsonb, interval, text) IS 'Hold stock for a cart ([{"sku": ..., "qty": n}]) for ttl (default oms.hold_ttl).  Holding the same cart again replaces its lines.  Returns the hold id.';

CREATE FUNCTION oms.release_hold(hold_ref text,
                                 idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_release_hold';
COMMENT ON FUNCTION oms.release_hold(text, text) IS 'Release a cart hold.  Returns the units released.';

CREATE FUNCTION oms.expire_reservations()
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_expire_reservations';
COMMENT ON FUNCTION oms.expire_reservations() IS 'Release every expired cart hold (the pg_cron job oms-expire-reservations calls it).  Returns the units released.';

-- check_reservations: every disagreement between reservations and the
-- reserved bucket, and between reservations and the order lines.
CREATE FUNCTION oms.check_reservations()
    RETURNS TABLE (sku text, location text, problem text, expected bigint, actual bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH r AS (
        SELECT item_id, location_id, sum(qty)::bigint AS qty
        FROM oms.reservation WHERE state = 'active'
        GROUP BY item_id, location_id
    )
    SELECT i.sku, l.code, 'reserved differs from the sum of active reservations',
           COALESCE(r.qty, 0), v.reserved
    FROM oms.inventory_level v
    LEFT JOIN r ON r.item_id = v.item_id AND r.location_id = v.location_id
    JOIN oms.item i ON i.item_id = v.item_id
    JOIN oms.location l ON l.location_id = v.location_id
    WHERE v.reserved <> COALESCE(r.qty, 0)
    UNION ALL
    SELECT i.sku, NULL, 'line ' || ol.line_id || ' qty_reserved differs from its active reservations',
           COALESCE(lr.qty, 0), ol.qty_reserved
    FROM oms.order_line ol
    LEFT JOIN (SELECT line_id, sum(qty)::bigint AS qty FROM oms.reservation
               WHERE state = 'active' AND line_id IS NOT NULL GROUP BY line_id) lr
           ON lr.line_id = ol.line_id
    JOIN oms.item i ON i.item_id = ol.item_id
    WHERE ol.qty_reserved <> COALESCE(lr.qty, 0)
    UNION ALL
    SELECT i.sku, l.code, 'reserved exceeds on_hand', v.on_hand, v.reserved
    FROM oms.inventory_level v
    JOIN oms.item i ON i.item_id = v.item_id
    JOIN oms.location l ON l.location_id = v.location_id
    WHERE v.reserved > v.on_hand
    UNION ALL
    -- a closed order holds nothing: stock left reserved for it is stuck
    SELECT i.sku, l.code, 'active reservation ' || r.reservation_id || ' of ' || o.status
           || ' order ' || o.order_number, 0::bigint, r.qty
    FROM oms.reservation r
    JOIN oms.order_line ol ON ol.line_id = r.line_id
    JOIN oms.sales_order o ON o.order_id = ol.order_id
    JOIN oms.item i ON i.item_id = r.item_id
    JOIN oms.location l ON l.location_id = r.location_id
    WHERE r.state = 'active' AND o.status IN ('cancelled', 'completed')
    UNION ALL
    SELECT i.sku, NULL, 'line ' || ol.line_id || ' of ' || o.status || ' order ' || o.order_number
           || ' is still backordered', 0::bigint, ol.qty_backordered
    FROM oms.order_line ol
    JOIN oms.sales_order o ON o.order_id = ol.order_id
    JOIN oms.item i ON i.item_id = ol.item_id
    WHERE ol.qty_backordered > 0 AND o.status IN ('cancelled', 'completed')
    ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION oms.check_reservations() IS 'Proves reserved = the sum of active reservations per level and per line, and that no cancelled or completed order still holds reservations or backorders: no rows when all is well.';

GRANT SELECT ON oms.cart_hold, oms.reservation TO oms_admin, oms_app, oms_reader;
REVOKE ALL ON FUNCTION oms.hold_stock(text, jsonb, interval, text), oms.release_hold(text, text),
                       oms.expire_reservations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.hold_stock(text, jsonb, interval, text), oms.release_hold(text, text)
    TO oms_admin, oms_app;
GRANT EXECUTE ON FUNCTION oms.expire_reservations() TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.check_reservations() TO oms_admin, oms_app, oms_reader;
