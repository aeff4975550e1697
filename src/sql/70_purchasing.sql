
-- ===========================================================================
-- 70_purchasing.sql: suppliers, purchase orders and their lines, the
-- purchase-order machine's bucket arithmetic (incoming) and the purchasing
-- API (purchasing.c)
-- ===========================================================================
-- A purchase order is a draft until it is submitted; from then until it is
-- received, closed or cancelled (its "open" states) the units it still
-- expects count as incoming at its location.  The C triggers keep incoming
-- equal to that sum whoever moves the status; check_incoming() proves it.

CREATE TABLE oms.supplier (
    supplier_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'),
    name           text NOT NULL CHECK (name <> ''),
    email          text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    lead_time_days integer NOT NULL DEFAULT 7
                   CONSTRAINT supplier_lead_time_days_range CHECK (lead_time_days BETWEEN 0 AND 365),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms.supplier IS 'Suppliers that purchase orders are placed with.';
COMMENT ON COLUMN oms.supplier.code IS 'Short unique code used by the API, such as ACME.';
COMMENT ON COLUMN oms.supplier.lead_time_days IS 'Days from submitting a purchase order to receiving it, 0 to 365; a reorder rule without its own lead time uses this.';

CREATE SEQUENCE oms.po_number_seq;

CREATE TABLE oms.purchase_order (
    po_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_number         text NOT NULL UNIQUE
                      DEFAULT oms.document_number('PO', pg_catalog.nextval('oms.po_number_seq')),
    supplier_id       bigint NOT NULL REFERENCES oms.supplier,
    location_id       bigint NOT NULL REFERENCES oms.location,
    origin            text NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'reorder')),
    status            text NOT NULL DEFAULT 'draft',
    status_changed_at timestamptz,
    expected_on       date,
    note              text,
    created_at        timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms.purchase_order IS 'Purchase orders to a supplier for one receiving location.  status follows the purchase_order machine; while submitted or partially received, the units still expected count as incoming.';
COMMENT ON COLUMN oms.purchase_order.po_number IS 'Human purchase-order number, such as PO-000012; the reference of its receipts in the ledger.';
COMMENT ON COLUMN oms.purchase_order.origin IS 'manual, or reorder when oms.run_reorder() created it.';
COMMENT ON COLUMN oms.purchase_order.status IS 'draft, submitted, partially_received, received, closed or cancelled.  partially_received and received follow the received quantities and are set only by oms.receive_purchase_order().';
COMMENT ON COLUMN oms.purchase_order.status_changed_at IS 'When status last changed (set by the guard).';
COMMENT ON COLUMN oms.purchase_order.expected_on IS 'When the goods are expected (run_reorder sets today + lead time).';
-- run_reorder keeps at most one draft per supplier and location: the index
-- makes a duplicate impossible even for runs that do not serialize.
CREATE UNIQUE INDEX purchase_order_reorder_draft_idx ON oms.purchase_order (supplier_id, location_id)
    WHERE status = 'draft' AND origin = 'reorder';
CREATE INDEX purchase_order_open_idx ON oms.purchase_order (location_id)
    WHERE status IN ('draft', 'submitted', 'partially_received');

CREATE TABLE oms.purchase_order_line (
    po_line_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_id        bigint NOT NULL REFERENCES oms.purchase_order ON DELETE CASCADE,
    item_id      bigint NOT NULL REFERENCES oms.item,
    qty_ordered  bigint NOT NULL CHECK (qty_ordered > 0),
    qty_received bigint NOT NULL DEFAULT 0 CHECK (qty_received >= 0),
    unit_cost    numeric(14,4) CHECK (unit_cost >= 0),
    UNIQUE (po_id, item_id)
);
COMMENT ON TABLE oms.purchase_order_line IS 'Lines of a purchase order, one per item.  Lines change only while the order is a draft; qty_received only by oms.receive_purchase_order().';
COMMENT ON COLUMN oms.purchase_order_line.qty_received IS 'Units received so far; above qty_ordered only within oms.over_receipt_tolerance.';
COMMENT ON COLUMN oms.purchase_order_line.unit_cost IS 'Agreed cost per unit (optional).';

SELECT pg_catalog.pg_extension_config_dump('oms.supplier', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.supplier', 'supplier_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.purchase_order', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.purchase_order', 'po_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.purchase_order_line', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.purchase_order_line', 'po_line_id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('oms.po_number_seq', '');

-- ---------------------------------------------------------------------------
-- Triggers.  Triggers fire in name order: purchase_order_guard before the
-- status guard, purchase_order_incoming after the status log.
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.purchase_order_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_purchase_order_guard';
COMMENT ON FUNCTION oms.purchase_order_guard() IS 'Purchase-order trigger: refuses moves to partially_received or received by hand, supplier or location changes after the draft, and deleting anything but a draft.';
CREATE FUNCTION oms.purchase_order_incoming() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_purchase_order_incoming';
COMMENT ON FUNCTION oms.purchase_order_incoming() IS 'Purchase-order trigger: adds the units still expected to incoming when an order opens (submitted) and removes them when it leaves the open states (received, closed, cancelled).';
CREATE FUNCTION oms.purchase_order_line_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_purchase_order_line_guard';
COMMENT ON FUNCTION oms.purchase_order_line_guard() IS 'Purchase-order line trigger: lines change only on drafts, qty_received only through oms.receive_purchase_order().';

CREATE TRIGGER purchase_order_guard
    BEFORE UPDATE OR DELETE ON oms.purchase_order
    FOR EACH ROW EXECUTE FUNCTION oms.purchase_order_guard();
CREATE TRIGGER status_guard
    BEFORE INSERT OR UPDATE OF status ON oms.purchase_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('purchase_order', 'po_id');
CREATE TRIGGER status_log
    AFTER INSERT OR UPDATE OF status ON oms.purchase_order
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('purchase_order', 'po_id');
CREATE TRIGGER status_log_incoming
    AFTER UPDATE OF status ON oms.purchase_order
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION oms.purchase_order_incoming();
CREATE TRIGGER purchase_order_line_guard
    BEFORE INSERT OR UPDATE OR DELETE ON oms.purchase_order_line
    FOR EACH ROW EXECUTE FUNCTION oms.purchase_order_line_guard();

-- ---------------------------------------------------------------------------
-- Purchasing API.  create, submit, cancel and close are status moves and
-- line inserts, guarded by the triggers above; receiving writes the ledger
-- and is C.
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.create_purchase_order(supplier text, location text,
                                          lines jsonb DEFAULT NULL, note text DEFAULT NULL,
                                          idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    replay jsonb;
    sup oms.supplier;
    loc_id bigint;
    po bigint;
    line jsonb;
    it oms.item;
    qty bigint;
    n bigint;
    bad_key text;
    cost numeric;
    before bigint;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        replay := oms.idempotency_claim('create_purchase_order', idempotency_key,
                                        pg_catalog.jsonb_build_array(supplier, location, lines, note)::text);
        IF replay IS NOT NULL THEN
            RETURN (replay->>'result')::bigint;
        END IF;
    END IF;
    IF supplier IS NULL THEN
        RAISE EXCEPTION 'supplier must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF location IS NULL THEN
        RAISE EXCEPTION 'location must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO sup FROM oms.supplier s WHERE s.code = create_purchase_order.supplier;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown supplier "%"', supplier USING ERRCODE = 'OM003';
    END IF;
    SELECT l.location_id INTO loc_id FROM oms.location l WHERE l.code = create_purchase_order.location;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown location "%"', location USING ERRCODE = 'OM003';
    END IF;
    IF lines IS NOT NULL AND jsonb_typeof(lines) <> 'array' THEN
        RAISE EXCEPTION 'lines must be a JSON array of lines'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example [{"sku": "TEE-M", "qty": 24, "unit_cost": "4.10"}].';
    END IF;
    IF jsonb_array_length(COALESCE(lines, '[]')) > 1000 THEN
        RAISE EXCEPTION 'lines holds % lines, more than the 1000 a call accepts', jsonb_array_length(lines)
            USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Split the work over several calls.';
    END IF;
    INSERT INTO oms.purchase_order (supplier_id, location_id, note, expected_on)
    VALUES (sup.supplier_id, loc_id, note, NULL)
    RETURNING po_id INTO po;
    FOR line, n IN SELECT e, o - 1 FROM jsonb_array_elements(COALESCE(lines, '[]')) WITH ORDINALITY AS t(e, o)
    LOOP
        IF jsonb_typeof(line) <> 'object' OR jsonb_typeof(line->'sku') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'each line must be an object with a sku, got %', line
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT k INTO bad_key FROM jsonb_object_keys(line) AS k
        WHERE k NOT IN ('sku', 'qty', 'unit_cost') ORDER BY k LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'unknown key % in lines[%]', to_jsonb(bad_key), n
                USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Known keys: sku, qty, unit_cost.';
        END IF;
        SELECT * INTO it FROM oms.item i WHERE i.sku = line->>'sku';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown sku "%"', line->>'sku' USING ERRCODE = 'OM003';
        END IF;
        IF jsonb_typeof(line->'qty') IS DISTINCT FROM 'number' OR (line->>'qty')::numeric <= 0
           OR (line->>'qty')::numeric <> trunc((line->>'qty')::numeric) THEN
            RAISE EXCEPTION 'qty of sku "%" must be a positive whole number, got %', it.sku, COALESCE(line->'qty', 'null')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF (line->>'qty')::numeric > 9223372036854775807 THEN
            RAISE EXCEPTION 'qty % of sku "%" is out of range', line->'qty', it.sku
                USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'Quantities are bigint.';
        END IF;
        qty := (line->>'qty')::bigint;
        cost := NULL;
        IF line->'unit_cost' IS NOT NULL AND jsonb_typeof(line->'unit_cost') <> 'null' THEN
            IF NOT (jsonb_typeof(line->'unit_cost') = 'number'
                    OR (jsonb_typeof(line->'unit_cost') = 'string' AND line->>'unit_cost' ~ '^\+?[0-9]*\.?[0-9]+$|^\+?[0-9]+\.$'))
               OR (line->>'unit_cost')::numeric < 0 THEN
                RAISE EXCEPTION 'unit_cost of sku "%" must be an amount of zero or more, got %', it.sku, line->'unit_cost'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            cost := (line->>'unit_cost')::numeric;
            IF cost >= 10000000000 THEN
                RAISE EXCEPTION 'unit_cost % of sku "%" is out of range', cost, it.sku
                    USING ERRCODE = 'numeric_value_out_of_range',
                          DETAIL = 'Unit costs are numeric(14,4): at most 9999999999.9999.';
            END IF;
            IF cost <> round(cost, 4) THEN
                RAISE EXCEPTION 'unit_cost of sku "%" must have at most four decimal places, got %', it.sku, cost
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        END IF;
        SELECT l.qty_ordered INTO before FROM oms.purchase_order_line l WHERE l.po_id = po AND l.item_id = it.item_id;
        IF FOUND AND before::numeric + qty > 9223372036854775807 THEN
            RAISE EXCEPTION 'qty of sku "%" adds up to % and is out of range', it.sku, before::numeric + qty
                USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'Quantities are bigint.';
        END IF;
        INSERT INTO oms.purchase_order_line AS l (po_id, item_id, qty_ordered, unit_cost)
        VALUES (po, it.item_id, qty, cost)
        ON CONFLICT (po_id, item_id) DO UPDATE SET qty_ordered = l.qty_ordered + EXCLUDED.qty_ordered;
    END LOOP;
    IF idempotency_key IS NOT NULL THEN
        PERFORM oms.idempotency_store('create_purchase_order', idempotency_key, (po)::text);
    END IF;
    RETURN po;
END
$$;
COMMENT ON FUNCTION oms.create_purchase_order(text, text, jsonb, text, text) IS 'Create a draft purchase order to supplier for location with lines [{"sku": ..., "qty": n, "unit_cost": ...}] (a sku given twice adds up).  Returns the po_id.';

CREATE FUNCTION oms.submit_purchase_order(po_id bigint, reason text DEFAULT NULL,
                                          idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    replay jsonb;
    po oms.purchase_order;
    sup oms.supplier;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        replay := oms.idempotency_claim('submit_purchase_order', idempotency_key,
                                        pg_catalog.jsonb_build_array(po_id, reason)::text);
        IF replay IS NOT NULL THEN
            RETURN (replay->>'result');
        END IF;
    END IF;
    IF po_id IS NULL THEN
        RAISE EXCEPTION 'po_id must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO po FROM oms.purchase_order p WHERE p.po_id = submit_purchase_order.po_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown purchase order %', po_id USING ERRCODE = 'OM003';
    END IF;
    IF po.status = 'draft' AND NOT EXISTS (SELECT 1 FROM oms.purchase_order_line l WHERE l.po_id = po.po_id) THEN
        RAISE EXCEPTION 'purchase order % has no lines', po.po_number
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Add lines to the draft before submitting it.';
    END IF;
    SELECT * INTO sup FROM oms.supplier s WHERE s.supplier_id = po.supplier_id;
    PERFORM pg_catalog.set_config('oms.reason', COALESCE(reason, ''), true);
    UPDATE oms.purchase_order p
    SET status = 'submitted',
        expected_on = COALESCE(p.expected_on, CURRENT_DATE + sup.lead_time_days)
    WHERE p.po_id = po.po_id;
    IF idempotency_key IS NOT NULL THEN
        PERFORM oms.idempotency_store('submit_purchase_order', idempotency_key, ('submitted')::text);
    END IF;
    RETURN 'submitted';
END
$$;
COMMENT ON FUNCTION oms.submit_purchase_order(bigint, text, text) IS 'Send a draft purchase order to its supplier: its quantities count as incoming from now on.  Returns the new status.';

CREATE FUNCTION oms.cancel_purchase_order(po_id bigint, reason text DEFAULT NULL,
                                          idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    replay jsonb;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        replay := oms.idempotency_claim('cancel_purchase_order', idempotency_key,
                                        pg_catalog.jsonb_build_array(po_id, reason)::text);
        IF replay IS NOT NULL THEN
            RETURN (replay->>'result');
        END IF;
    END IF;
    IF po_id IS NULL THEN
        RAISE EXCEPTION 'po_id must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.set_config('oms.reason', COALESCE(reason, ''), true);
    UPDATE oms.purchase_order p SET status = 'cancelled' WHERE p.po_id = cancel_purchase_order.po_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown purchase order %', po_id USING ERRCODE = 'OM003';
    END IF;
    IF idempotency_key IS NOT NULL THEN
        PERFORM oms.idempotency_store('cancel_purchase_order', idempotency_key, ('cancelled')::text);
    END IF;
    RETURN 'cancelled';
END
$$;
COMMENT ON FUNCTION oms.cancel_purchase_order(bigint, text, text) IS 'Cancel a draft or submitted purchase order (nothing received yet): its units no longer count as incoming.  Returns the new status.';

CREATE FUNCTION oms.close_purchase_order(po_id bigint, reason text DEFAULT NULL,
                                         idempotency_key text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    replay jsonb;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        replay := oms.idempotency_claim('close_purchase_order', idempotency_key,
                                        pg_catalog.jsonb_build_array(po_id, reason)::text);
        IF replay IS NOT NULL THEN
            RETURN (replay->>'result');
        END IF;
    END IF;
    IF po_id IS NULL THEN
        RAISE EXCEPTION 'po_id must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_catalog.set_config('oms.reason', COALESCE(reason, ''), true);
    UPDATE oms.purchase_order p SET status = 'closed' WHERE p.po_id = close_purchase_order.po_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown purchase order %', po_id USING ERRCODE = 'OM003';
    END IF;
    IF idempotency_key IS NOT NULL THEN
        PERFORM oms.idempotency_store('close_purchase_order', idempotency_key, ('closed')::text);
    END IF;
    RETURN 'closed';
END
$$;
COMMENT ON FUNCTION oms.close_purchase_order(bigint, text, text) IS 'Close a received or partially received purchase order; a short delivery''s missing units stop counting as incoming.  Returns the new status.';

CREATE FUNCTION oms.receive_purchase_order(po_id bigint, lines jsonb DEFAULT NULL,
                                           reference text DEFAULT NULL,
                                           idempotency_key text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_receive_purchase_order';
COMMENT ON FUNCTION oms.receive_purchase_order(bigint, jsonb, text, text) IS 'Receive a delivery against a submitted purchase order: lines [{"sku": ..., "qty": n}] (with "serials": [...], one per unit, for a serialized item), or NULL for everything still expected.  Each unit moves from incoming to on_hand through the ledger (reference: the PO number) and fills backorders oldest first.  Returns the units received.';

-- check_incoming: every level whose incoming differs from the units its
-- open purchase orders still expect.  Part of check_inventory().
CREATE FUNCTION oms.check_incoming()
    RETURNS TABLE (sku text, location text, problem text, expected bigint, actual bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH open AS (
        SELECT l.item_id, p.location_id,
               sum(GREATEST(l.qty_ordered - l.qty_received, 0))::bigint AS qty
        FROM oms.purchase_order p
        JOIN oms.purchase_order_line l ON l.po_id = p.po_id
        WHERE p.status IN ('submitted', 'partially_received')
        GROUP BY l.item_id, p.location_id
    )
    SELECT i.sku, c.code, 'incoming differs from the open purchase orders',
           COALESCE(o.qty, 0), COALESCE(v.incoming, 0)
    FROM oms.inventory_level v
    FULL JOIN open o ON o.item_id = v.item_id AND o.location_id = v.location_id
    JOIN oms.item i ON i.item_id = COALESCE(v.item_id, o.item_id)
    JOIN oms.location c ON c.location_id = COALESCE(v.location_id, o.location_id)
    WHERE COALESCE(o.qty, 0) <> COALESCE(v.incoming, 0)
    ORDER BY 1, 2
$$;
COMMENT ON FUNCTION oms.check_incoming() IS 'Proves incoming = the units open purchase orders still expect, per item and location: no rows when all is well.';

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
GRANT SELECT ON oms.supplier, oms.purchase_order, oms.purchase_order_line TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.supplier TO oms_admin;
GRANT INSERT, DELETE, UPDATE (status, supplier_id, location_id, expected_on, note) ON oms.purchase_order TO oms_admin;
GRANT INSERT, DELETE, UPDATE (item_id, qty_ordered, unit_cost) ON oms.purchase_order_line TO oms_admin;
-- a draft inserted by hand takes its number (PO-000012) from the sequence
GRANT USAGE ON SEQUENCE oms.po_number_seq TO oms_admin;
REVOKE ALL ON FUNCTION oms.purchase_order_guard(), oms.purchase_order_incoming(),
                       oms.purchase_order_line_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION oms.create_purchase_order(text, text, jsonb, text, text),
                       oms.submit_purchase_order(bigint, text, text),
                       oms.cancel_purchase_order(bigint, text, text),
                       oms.close_purchase_order(bigint, text, text),
                       oms.receive_purchase_order(bigint, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.create_purchase_order(text, text, jsonb, text, text),
                          oms.submit_purchase_order(bigint, text, text),
                          oms.cancel_purchase_order(bigint, text, text),
                          oms.close_purchase_order(bigint, text, text),
                          oms.receive_purchase_order(bigint, jsonb, text, text) TO oms_admin, oms_app;
GRANT EXECUTE ON FUNCTION oms.check_incoming() TO oms_admin, oms_app, oms_reader;
