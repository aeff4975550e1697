
-- ===========================================================================
-- 66_returns.sql: return authorizations (RMA) and their lines, the return
-- API (returns.c) and the returns views
-- ===========================================================================

CREATE SEQUENCE oms.rma_number_seq;

CREATE TABLE oms.return_authorization (
    rma_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_number        text NOT NULL UNIQUE
                      DEFAULT oms.document_number('RMA', pg_catalog.nextval('oms.rma_number_seq')),
    order_id          bigint NOT NULL REFERENCES oms.sales_order,
    kind              text NOT NULL CHECK (kind IN ('refund', 'exchange')),
    status            text NOT NULL DEFAULT 'requested',
    status_changed_at timestamptz,
    note              text,
    exchange_lines    jsonb CHECK (pg_catalog.jsonb_typeof(exchange_lines) = 'array'),
    location_id       bigint REFERENCES oms.location,
    refund_amount     numeric(14,2) CHECK (refund_amount >= 0),
    refund_payment_id bigint,
    exchange_order_id bigint REFERENCES oms.sales_order,
    requested_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    received_at       timestamptz,
    completed_at      timestamptz,
    CHECK ((kind = 'exchange') = (exchange_lines IS NOT NULL)),
    CHECK (status NOT IN ('received', 'completed') OR received_at IS NOT NULL)
);
COMMENT ON TABLE oms.return_authorization IS 'Return authorizations (RMA): what a customer sends back from one order, as a refund or an exchange.  status follows the return machine.';
COMMENT ON COLUMN oms.return_authorization.rma_number IS 'Human RMA number, such as RMA-000045.';
COMMENT ON COLUMN oms.return_authorization.status IS 'requested, authorized, received, completed; rejected; cancelled.';
COMMENT ON COLUMN oms.return_authorization.exchange_lines IS 'For an exchange: the replacement items [{"sku", "qty", "unit_price"}].';
COMMENT ON COLUMN oms.return_authorization.location_id IS 'Where the return was received (restocked).';
COMMENT ON COLUMN oms.return_authorization.refund_amount IS 'What completion refunded to the payment ledger.';
COMMENT ON COLUMN oms.return_authorization.exchange_order_id IS 'The linked replacement order an exchange created.';
CREATE INDEX return_authorization_order_idx ON oms.return_authorization (order_id);

CREATE TRIGGER status_guard
    BEFORE INSERT OR UPDATE OF status ON oms.return_authorization
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('return', 'rma_id');
CREATE TRIGGER status_log
    AFTER INSERT OR UPDATE OF status ON oms.return_authorization
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('return', 'rma_id');

CREATE TABLE oms.return_line (
    rma_id         bigint NOT NULL REFERENCES oms.return_authorization,
    line_id        bigint NOT NULL REFERENCES oms.order_line,
    item_id        bigint NOT NULL REFERENCES oms.item,
    qty            bigint NOT NULL CHECK (qty > 0),
    reason_code    text NOT NULL CHECK (reason_code IN
                   ('damaged', 'defective', 'wrong_item', 'not_as_described', 'size_fit',
                    'changed_mind', 'arrived_late', 'other')),
    qty_received   bigint NOT NULL DEFAULT 0 CHECK (qty_received >= 0),
    qty_resellable bigint NOT NULL DEFAULT 0 CHECK (qty_resellable >= 0),
    qty_damaged    bigint NOT NULL DEFAULT 0 CHECK (qty_damaged >= 0),
    PRIMARY KEY (rma_id, line_id),
    CHECK (qty_received <= qty),
    CHECK (qty_resellable + qty_damaged = qty_received)
);
COMMENT ON TABLE oms.return_line IS 'Units of one order line on an RMA, with the reason and, once received, their condition.';
COMMENT ON COLUMN oms.return_line.reason_code IS 'damaged, defective, wrong_item, not_as_described, size_fit, changed_mind, arrived_late or other.';
COMMENT ON COLUMN oms.return_line.qty_resellable IS 'Received units restocked to on_hand.';
COMMENT ON COLUMN oms.return_line.qty_damaged IS 'Received units put in the damaged bucket.';
CREATE INDEX return_line_line_idx ON oms.return_line (line_id);

-- pg_dump keeps the data of these tables and their identity sequences
-- (restore with session_replication_role = replica: README, Dump and restore).
SELECT pg_catalog.pg_extension_config_dump('oms.return_authorization', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.return_authorization', 'rma_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.rma_number_seq', '');
SELECT pg_catalog.pg_extension_config_dump('oms.return_line', '');

CREATE FUNCTION oms.line_unit_value(line_id bigint)
    RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE WHEN l.kind = 'component'
                THEN p.unit_price * p.qty_ordered
                     / NULLIF((SELECT sum(c.qty_ordered) FROM oms.order_line c WHERE c.parent_line_id = p.line_id), 0)
                ELSE l.unit_price END
    FROM oms.order_line l LEFT JOIN oms.order_line p ON p.line_id = l.parent_line_id
    WHERE l.line_id = line_unit_value.line_id
$$;
COMMENT ON FUNCTION oms.line_unit_value(bigint) IS 'What one unit of an order line is worth when it comes back: its unit price, or for a bundle component the bundle''s price shared equally over the bundle''s component units.';

-- ---------------------------------------------------------------------------
-- Return API (C)
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.request_return(order_id bigint, lines jsonb, kind text DEFAULT 'refund',
                                   options jsonb DEFAULT '{}',
                                   idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_request_return';
COMMENT ON FUNCTION oms.request_return(bigint, jsonb, text, jsonb, text) IS 'Open an RMA for shipped units: lines [{"sku", "qty", "reason"}], kind refund or exchange.  options: exchange (replacement lines), note, authorize.  Returns the RMA id.';

CREATE FUNCTION oms.advance_return(rma_id bigint, to_status text, reason text DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_advance_return';
COMMENT ON FUNCTION oms.advance_return(bigint, text, text, text) IS 'Authorize, reject or cancel an RMA.  Cancelling a received RMA closes it with no refund and no replacement; the units that arrived stay returned and in stock.  Returns the new status.';

CREATE FUNCTION oms.change_return(rma_id bigint, kind text, exchange jsonb DEFAULT NULL,
                                  reason text DEFAULT NULL,
                                  idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_change_return';
COMMENT ON FUNCTION oms.change_return(bigint, text, jsonb, text, text) IS 'Change what a requested, authorized or received RMA gives back: kind refund, or exchange with new replacement lines [{"sku", "qty", "unit_price"}], checked like a request against the value received (or asked back before receipt).  The way out of an exchange that cannot complete.  Returns the status.';

CREATE FUNCTION oms.receive_return(rma_id bigint, location text, lines jsonb DEFAULT NULL,
                                   idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_receive_return';
COMMENT ON FUNCTION oms.receive_return(bigint, text, jsonb, text) IS 'Receive an authorized RMA at a location: lines [{"sku", "qty", "condition"}] (default: every unit resellable).  Resellable units restock to on_hand, damaged ones to damaged, through the ledger.  Returns the new status.';

CREATE FUNCTION oms.inspect_return(rma_id bigint, lines jsonb,
                                   idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_inspect_return';
COMMENT ON FUNCTION oms.inspect_return(bigint, jsonb, text) IS 'Change the condition of received units before completion: lines [{"sku", "resellable", "damaged"}]; the stock moves through the ledger (damage or restore).  Returns the status.';

CREATE FUNCTION oms.complete_return(rma_id bigint, reason text DEFAULT NULL,
                                    idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_complete_return';
COMMENT ON FUNCTION oms.complete_return(bigint, text, text) IS 'Complete a received RMA: a refund RMA refunds the returned value to the payment ledger (never more than is refundable); an exchange creates the linked replacement order.  Returns the new status.';

-- ---------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------
CREATE VIEW oms.returns_overview AS
SELECT r.rma_id,
       r.rma_number,
       o.order_number,
       c.email AS customer,
       r.kind,
       r.status,
       l.units_requested,
       l.units_received,
       l.units_resellable,
       l.units_damaged,
       l.reasons,
       r.refund_amount,
       x.order_number AS exchange_order,
       loc.code AS location,
       r.requested_at,
       r.received_at,
       r.completed_at
FROM oms.return_authorization r
JOIN oms.sales_order o ON o.order_id = r.order_id
LEFT JOIN oms.customer c ON c.customer_id = o.customer_id
LEFT JOIN oms.sales_order x ON x.order_id = r.exchange_order_id
LEFT JOIN oms.location loc ON loc.location_id = r.location_id
CROSS JOIN LATERAL (
    SELECT sum(rl.qty)::bigint AS units_requested,
           sum(rl.qty_received)::bigint AS units_received,
           sum(rl.qty_resellable)::bigint AS units_resellable,
           sum(rl.qty_damaged)::bigint AS units_damaged,
           array_agg(DISTINCT rl.reason_code ORDER BY rl.reason_code) AS reasons
    FROM oms.return_line rl WHERE rl.rma_id = r.rma_id) l;
COMMENT ON VIEW oms.returns_overview IS 'One row per RMA: order, customer, kind, status, units requested, received, resellable and damaged, reasons, refund and exchange order.';

CREATE VIEW oms.returns_by_reason AS
SELECT rl.reason_code,
       count(DISTINCT rl.rma_id)::bigint AS returns,
       sum(rl.qty)::bigint AS units_requested,
       sum(rl.qty_received)::bigint AS units_received,
       sum(rl.qty_damaged)::bigint AS units_damaged,
       sum(round(oms.line_unit_value(rl.line_id) * rl.qty_received, 2)) AS value_received
FROM oms.return_line rl
JOIN oms.return_authorization r ON r.rma_id = rl.rma_id
WHERE r.status NOT IN ('rejected', 'cancelled')
GROUP BY rl.reason_code;
COMMENT ON VIEW oms.returns_by_reason IS 'Returns per reason code (rejected and cancelled RMAs left out): RMAs, units requested, received and damaged, value received.';

GRANT SELECT ON oms.return_authorization, oms.return_line TO oms_admin, oms_app, oms_reader;
GRANT SELECT ON oms.returns_overview, oms.returns_by_reason TO oms_admin, oms_app, oms_reader;
REVOKE ALL ON FUNCTION oms.request_return(bigint, jsonb, text, jsonb, text),
                       oms.advance_return(bigint, text, text, text),
                       oms.change_return(bigint, text, jsonb, text, text),
                       oms.receive_return(bigint, text, jsonb, text),
                       oms.inspect_return(bigint, jsonb, text),
                       oms.complete_return(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.request_return(bigint, jsonb, text, jsonb, text),
                          oms.advance_return(bigint, text, text, text),
                          oms.change_return(bigint, text, jsonb, text, text),
                          oms.receive_return(bigint, text, jsonb, text),
                          oms.inspect_return(bigint, jsonb, text),
                          oms.complete_return(bigint, text, text) TO oms_admin, oms_app;
