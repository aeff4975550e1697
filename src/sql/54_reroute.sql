
-- ===========================================================================
-- 54_reroute.sql: moving an order line's open reservation between
-- locations (reroute.c, issue 16 item 5)
-- ===========================================================================
CREATE FUNCTION oms.reroute_line(line_id bigint, from_location text, to_location text,
                                 qty bigint DEFAULT NULL, idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_reroute_line';
COMMENT ON FUNCTION oms.reroute_line(bigint, text, text, bigint, text) IS 'Move qty (NULL: all) of an order line''s reserved units that are in no shipment from one location to another that has them available (a warehouse found a unit damaged).  Emits order.line_rerouted.  Returns the units moved.';

CREATE FUNCTION oms.reallocate_line(line_id bigint, idempotency_key text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_reallocate_line';
COMMENT ON FUNCTION oms.reallocate_line(bigint, text) IS 'Release an order line''s reserved units that are in no shipment and allocate them again with the order''s strategy; what finds no stock is backordered if the sku allows it (else OM001, nothing changes).  Emits order.line_reallocated.  Returns the new reservations [{"location", "qty"}].';

REVOKE ALL ON FUNCTION oms.reroute_line(bigint, text, text, bigint, text),
                       oms.reallocate_line(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.reroute_line(bigint, text, text, bigint, text),
                          oms.reallocate_line(bigint, text) TO oms_admin, oms_app;
