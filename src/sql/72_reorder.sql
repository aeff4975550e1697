
-- ===========================================================================
-- 72_reorder.sql: reorder rules, the reorder point on each level and the
-- trigger that announces a crossing, and run_reorder() (reorder.c)
-- ===========================================================================

CREATE TABLE oms.reorder_rule (
    item_id        bigint NOT NULL REFERENCES oms.item,
    location_id    bigint NOT NULL REFERENCES oms.location,
    supplier_id    bigint NOT NULL REFERENCES oms.supplier,
    reorder_point  bigint NOT NULL CHECK (reorder_point >= 0),
    reorder_qty    bigint CHECK (reorder_qty > 0),
    max_level      bigint,
    order_multiple bigint NOT NULL DEFAULT 1 CHECK (order_multiple > 0),
    min_order_qty  bigint NOT NULL DEFAULT 0 CHECK (min_order_qty >= 0),
    lead_time_days integer CHECK (lead_time_days >= 0),
    -- Bounded so that no rule can make run_reorder() fail for every rule:
    -- today + lead time is a date, and the quantities it computes fit bigint.
    CONSTRAINT reorder_rule_lead_time_days_range CHECK (lead_time_days <= 365),
    CONSTRAINT reorder_rule_quantities_range CHECK (reorder_point <= 1000000000000
        AND reorder_qty <= 1000000000000 AND max_level <= 1000000000000
        AND order_multiple <= 1000000000000 AND min_order_qty <= 1000000000000),
    active         boolean NOT NULL DEFAULT true,
    snooze_until   date,
    updated_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (item_id, location_id),
    CONSTRAINT reorder_rule_qty_or_max CHECK ((reorder_qty IS NULL) <> (max_level IS NULL)),
    CONSTRAINT reorder_rule_max_above_point CHECK (max_level IS NULL OR max_level > reorder_point)
);
COMMENT ON TABLE oms.reorder_rule IS 'When and how much to reorder, per item and location.  oms.run_reorder() orders for every active rule whose available + incoming is at or below its reorder point.';
COMMENT ON COLUMN oms.reorder_rule.reorder_point IS 'Reorder when available + incoming is at or below this.';
COMMENT ON COLUMN oms.reorder_rule.reorder_qty IS 'Fixed order quantity: order the fewest multiples of it that lift available + incoming above the reorder point.  Either this or max_level.';
COMMENT ON COLUMN oms.reorder_rule.max_level IS 'Order-up-to level: order max_level - (available + incoming).  Either this or reorder_qty.';
COMMENT ON COLUMN oms.reorder_rule.order_multiple IS 'Order quantities are rounded up to a multiple of this (case or pallet size).';
COMMENT ON COLUMN oms.reorder_rule.min_order_qty IS 'The supplier''s minimum order quantity for the item (applied before rounding to the multiple).';
COMMENT ON COLUMN oms.reorder_rule.lead_time_days IS 'Days from order to receipt, 0 to 365; NULL means the supplier''s lead time.';
COMMENT ON COLUMN oms.reorder_rule.active IS 'An inactive rule orders nothing and announces no crossing.';
COMMENT ON COLUMN oms.reorder_rule.snooze_until IS 'run_reorder() skips the rule before this date (crossings are still announced).';
CREATE INDEX reorder_rule_supplier_idx ON oms.reorder_rule (supplier_id);
SELECT pg_catalog.pg_extension_config_dump('oms.reorder_rule', '');

-- The rule's reorder point, kept on the level so that the crossing trigger
-- reads nothing but the row it fires for.  Configuration, not a bucket: the
-- level guard lets it change.
ALTER TABLE oms.inventory_level ADD COLUMN reorder_point bigint;
COMMENT ON COLUMN oms.inventory_level.reorder_point IS 'Reorder point of the active reorder rule of this item and location (NULL without one); kept by a trigger on oms.reorder_rule.';

-- Keep inventory_level.reorder_point equal to the active rule's point.  A
-- statement trigger, so a bulk load of rules is one pass; it locks the
-- levels in (item, location) order like every other writer of levels.
CREATE FUNCTION oms.reorder_rule_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    items bigint[];
    locs bigint[];
    bundle text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(k.item_id ORDER BY k.item_id, k.location_id),
               array_agg(k.location_id ORDER BY k.item_id, k.location_id)
        INTO items, locs FROM new_rows k;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(k.item_id ORDER BY k.item_id, k.location_id),
               array_agg(k.location_id ORDER BY k.item_id, k.location_id)
        INTO items, locs FROM old_rows k;
    ELSE
        SELECT array_agg(k.item_id ORDER BY k.item_id, k.location_id),
               array_agg(k.location_id ORDER BY k.item_id, k.location_id)
        INTO items, locs
        FROM (SELECT o.item_id, o.location_id FROM old_rows o
              UNION SELECT n.item_id, n.location_id FROM new_rows n) k;
    END IF;
    IF items IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT i.sku INTO bundle
    FROM oms.reorder_rule r JOIN oms.item i ON i.item_id = r.item_id
    JOIN unnest(items, locs) AS k(item_id, location_id)
      ON k.item_id = r.item_id AND k.location_id = r.location_id
    WHERE i.is_bundle LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'sku "%" is a bundle and holds no stock to reorder', bundle
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give its components reorder rules instead.';
    END IF;
    INSERT INTO oms.inventory_level (item_id, location_id)
    SELECT r.item_id, r.location_id
    FROM unnest(items, locs) AS k(item_id, location_id)
    JOIN oms.reorder_rule r ON r.item_id = k.item_id AND r.location_id = k.location_id
    ORDER BY 1, 2
    ON CONFLICT (item_id, location_id) DO NOTHING;
    PERFORM 1 FROM oms.inventory_level v
    JOIN unnest(items, locs) AS k(item_id, location_id)
      ON k.item_id = v.item_id AND k.location_id = v.location_id
    ORDER BY v.item_id, v.location_id
    FOR UPDATE OF v;
    UPDATE oms.inventory_level v
    SET reorder_point = s.rp
    FROM (SELECT k.item_id, k.location_id, CASE WHEN r.active THEN r.reorder_point END AS rp
          FROM unnest(items, locs) AS k(item_id, location_id)
          LEFT JOIN oms.reorder_rule r ON r.item_id = k.item_id AND r.location_id = k.location_id) s
    WHERE v.item_id = s.item_id AND v.location_id = s.location_id
      AND v.reorder_point IS DISTINCT FROM s.rp;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms.reorder_rule_sync() IS 'Statement trigger on oms.reorder_rule: keeps inventory_level.reorder_point equal to the point of the active rule.';
CREATE TRIGGER reorder_rule_sync_insert AFTER INSERT ON oms.reorder_rule
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reorder_rule_sync();
CREATE TRIGGER reorder_rule_sync_update AFTER UPDATE ON oms.reorder_rule
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reorder_rule_sync();
CREATE TRIGGER reorder_rule_sync_delete AFTER DELETE ON oms.reorder_rule
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION oms.reorder_rule_sync();

-- The crossing: fires only when one update takes available + incoming from
-- above the reorder point to at or below it (numeric: no overflow at the
-- top of bigint).  A change of the point itself is not a crossing.
CREATE FUNCTION oms.inventory_level_crossing() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', 'oms_inventory_level_crossing';
COMMENT ON FUNCTION oms.inventory_level_crossing() IS 'Level trigger: writes the event inventory.below_reorder_point when available + incoming crosses the reorder point downwards.';
CREATE TRIGGER inventory_level_below_reorder_point
    AFTER UPDATE ON oms.inventory_level
    FOR EACH ROW
    WHEN (NEW.reorder_point IS NOT NULL
          AND OLD.reorder_point = NEW.reorder_point
          AND NEW.available::numeric + NEW.incoming <= NEW.reorder_point
          AND OLD.available::numeric + OLD.incoming > NEW.reorder_point)
    EXECUTE FUNCTION oms.inventory_level_crossing();

-- ---------------------------------------------------------------------------
-- Reorder API
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.set_reorder_rule(sku text, location text, supplier text, reorder_point bigint,
                                     reorder_qty bigint DEFAULT NULL, max_level bigint DEFAULT NULL,
                                     order_multiple bigint DEFAULT 1, min_order_qty bigint DEFAULT 0,
                                     lead_time_days integer DEFAULT NULL, active boolean DEFAULT true,
                                     snooze_until date DEFAULT NULL)
    RETURNS oms.reorder_rule
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    it oms.item;
    loc_id bigint;
    sup_id bigint;
    result oms.reorder_rule;
BEGIN
    IF sku IS NULL OR location IS NULL OR supplier IS NULL OR reorder_point IS NULL
       OR order_multiple IS NULL OR min_order_qty IS NULL OR active IS NULL THEN
        RAISE EXCEPTION '% must not be null',
            CASE WHEN sku IS NULL THEN 'sku' WHEN location IS NULL THEN 'location'
                 WHEN supplier IS NULL THEN 'supplier' WHEN reorder_point IS NULL THEN 'reorder_point'
                 WHEN order_multiple IS NULL THEN 'order_multiple'
                 WHEN min_order_qty IS NULL THEN 'min_order_qty' ELSE 'active' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO it FROM oms.item i WHERE i.sku = set_reorder_rule.sku;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown sku "%"', sku USING ERRCODE = 'OM003';
    END IF;
    IF it.is_bundle THEN
        RAISE EXCEPTION 'sku "%" is a bundle and holds no stock to reorder', sku
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give its components reorder rules instead.';
    END IF;
    SELECT l.location_id INTO loc_id FROM oms.location l WHERE l.code = set_reorder_rule.location;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown location "%"', location USING ERRCODE = 'OM003';
    END IF;
    SELECT s.supplier_id INTO sup_id FROM oms.supplier s WHERE s.code = set_reorder_rule.supplier;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown supplier "%"', supplier USING ERRCODE = 'OM003';
    END IF;
    IF reorder_point < 0 THEN
        RAISE EXCEPTION 'reorder_point must not be negative, got %', reorder_point
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF reorder_point > 1000000000000 OR reorder_qty > 1000000000000 OR max_level > 1000000000000
       OR order_multiple > 1000000000000 OR min_order_qty > 1000000000000 THEN
        RAISE EXCEPTION '%',
            CASE WHEN reorder_point > 1000000000000 THEN format('reorder_point %s is out of range', reorder_point)
                 WHEN reorder_qty > 1000000000000 THEN format('reorder_qty %s is out of range', reorder_qty)
                 WHEN max_level > 1000000000000 THEN format('max_level %s is out of range', max_level)
                 WHEN order_multiple > 1000000000000 THEN format('order_multiple %s is out of range', order_multiple)
                 ELSE format('min_order_qty %s is out of range', min_order_qty) END
            USING ERRCODE = 'numeric_value_out_of_range',
                  DETAIL = 'Reorder quantities are at most 1000000000000 units.';
    END IF;
    IF (reorder_qty IS NULL) = (max_level IS NULL) THEN
        RAISE EXCEPTION 'give either reorder_qty or max_level for sku "%" at "%"', sku, location
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'reorder_qty orders a fixed quantity; max_level orders up to a level.';
    END IF;
    IF reorder_qty <= 0 THEN
        RAISE EXCEPTION 'reorder_qty must be greater than zero, got %', reorder_qty
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF max_level <= reorder_point THEN
        RAISE EXCEPTION 'max_level % must be above the reorder point %', max_level, reorder_point
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF order_multiple <= 0 THEN
        RAISE EXCEPTION 'order_multiple must be greater than zero, got %', order_multiple
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF min_order_qty < 0 THEN
        RAISE EXCEPTION 'min_order_qty must not be negative, got %', min_order_qty
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lead_time_days < 0 THEN
        RAISE EXCEPTION 'lead_time_days must not be negative, got %', lead_time_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lead_time_days > 365 THEN
        RAISE EXCEPTION 'lead_time_days % is out of range', lead_time_days
            USING ERRCODE = 'numeric_value_out_of_range',
                  DETAIL = 'A lead time is 0 to 365 days.';
    END IF;
    INSERT INTO oms.reorder_rule AS r (item_id, location_id, supplier_id, reorder_point, reorder_qty,
                                       max_level, order_multiple, min_order_qty, lead_time_days,
                                       active, snooze_until)
    VALUES (it.item_id, loc_id, sup_id, set_reorder_rule.reorder_point, set_reorder_rule.reorder_qty,
            set_reorder_rule.max_level, set_reorder_rule.order_multiple, set_reorder_rule.min_order_qty,
            set_reorder_rule.lead_time_days, set_reorder_rule.active, set_reorder_rule.snooze_until)
    ON CONFLICT (item_id, location_id) DO UPDATE
    SET supplier_id = EXCLUDED.supplier_id, reorder_point = EXCLUDED.reorder_point,
        reorder_qty = EXCLUDED.reorder_qty, max_level = EXCLUDED.max_level,
        order_multiple = EXCLUDED.order_multiple, min_order_qty = EXCLUDED.min_order_qty,
        lead_time_days = EXCLUDED.lead_time_days, active = EXCLUDED.active,
        snooze_until = EXCLUDED.snooze_until, updated_at = pg_catalog.now()
    RETURNING r.* INTO result;
    RETURN result;
END
$$;
COMMENT ON FUNCTION oms.set_reorder_rule(text, text, text, bigint, bigint, bigint, bigint, bigint, integer, boolean, date) IS 'Create or replace the reorder rule of sku at location: reorder point, either reorder_qty or max_level, order multiple, minimum order quantity, lead time (NULL: the supplier''s), active, snooze until a date.  Returns the rule.';

CREATE FUNCTION oms.run_reorder()
    RETURNS TABLE (po_id bigint, po_number text, supplier text, location text, sku text,
                   action text, qty_before bigint, qty bigint, available bigint,
                   incoming bigint, reorder_point bigint)
    LANGUAGE c VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_run_reorder';
COMMENT ON FUNCTION oms.run_reorder() IS 'For every active, unsnoozed rule at or below its reorder point, create or top up one draft purchase order per supplier and location, never ordering what draft orders already hold.  One run at a time (advisory lock).  Returns one row per line written: action created (new order), added (new line) or topped_up.';

GRANT SELECT ON oms.reorder_rule TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.reorder_rule TO oms_admin;
REVOKE ALL ON FUNCTION oms.reorder_rule_sync(), oms.inventory_level_crossing() FROM PUBLIC;
REVOKE ALL ON FUNCTION oms.set_reorder_rule(text, text, text, bigint, bigint, bigint, bigint, bigint, integer, boolean, date),
                       oms.run_reorder() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.set_reorder_rule(text, text, text, bigint, bigint, bigint, bigint, bigint, integer, boolean, date)
    TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.run_reorder() TO oms_admin, oms_app;
