
-- ===========================================================================
-- 90_views.sql: the integrity checks and the read model (views), defined
-- last because they span every concern
-- ===========================================================================

-- check_inventory: every disagreement between the ledger and the levels, and
-- between the reservations and the reserved bucket.  No rows means all agree.
CREATE FUNCTION oms.check_inventory()
    RETURNS TABLE (sku text, location text, problem text, expected bigint, actual bigint)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH ledger AS (
        SELECT m.item_id, m.location_id,
               sum(m.on_hand_delta)::bigint AS on_hand,
               sum(m.damaged_delta)::bigint AS damaged,
               (array_agg(m.on_hand_after ORDER BY m.movement_id DESC))[1] AS on_hand_after,
               (array_agg(m.damaged_after ORDER BY m.movement_id DESC))[1] AS damaged_after
        FROM oms.inventory_movement m
        GROUP BY m.item_id, m.location_id
    ), joined AS (
        SELECT COALESCE(v.item_id, g.item_id) AS item_id,
               COALESCE(v.location_id, g.location_id) AS location_id,
               COALESCE(v.on_hand, 0) AS level_on_hand,
               COALESCE(v.damaged, 0) AS level_damaged,
               COALESCE(g.on_hand, 0) AS ledger_on_hand,
               COALESCE(g.damaged, 0) AS ledger_damaged,
               COALESCE(g.on_hand_after, 0) AS last_on_hand_after,
               COALESCE(g.damaged_after, 0) AS last_damaged_after
        FROM oms.inventory_level v
        FULL JOIN ledger g ON g.item_id = v.item_id AND g.location_id = v.location_id
    )
    SELECT i.sku, l.code, p.problem, p.expected, p.actual
    FROM joined j
    JOIN oms.item i ON i.item_id = j.item_id
    JOIN oms.location l ON l.location_id = j.location_id
    CROSS JOIN LATERAL (VALUES
        ('on_hand differs from the sum of the ledger', j.ledger_on_hand, j.level_on_hand),
        ('damaged differs from the sum of the ledger', j.ledger_damaged, j.level_damaged),
        ('on_hand differs from the last running balance', j.last_on_hand_after, j.level_on_hand),
        ('damaged differs from the last running balance', j.last_damaged_after, j.level_damaged)
    ) AS p(problem, expected, actual)
    WHERE p.expected IS DISTINCT FROM p.actual
    UNION ALL
    SELECT * FROM oms.check_reservations()
    UNION ALL
    SELECT * FROM oms.check_incoming()
    ORDER BY 1, 2, 3
$$;
COMMENT ON FUNCTION oms.check_inventory() IS 'Proves the ledger, the levels, the reservations and the open purchase orders agree: one row per disagreement, none when all is well.';

-- Stock per item and location.  A cart hold that has expired but not yet been
-- released by oms.expire_reservations() no longer counts as reserved here.
CREATE VIEW oms.inventory_position AS
SELECT i.sku,
       i.name AS item_name,
       l.code AS location,
       l.kind AS location_kind,
       v.on_hand,
       v.reserved - x.expired AS reserved,
       v.safety_stock,
       GREATEST(v.on_hand - (v.reserved - x.expired) - v.safety_stock, 0) AS available,
       v.damaged,
       v.incoming,
       x.held,
       v.updated_at,
       v.item_id,
       v.location_id,
       v.reorder_point,
       GREATEST(v.on_hand - (v.reserved - x.expired) - v.safety_stock, 0)::numeric + v.incoming <= v.reorder_point
           AS below_reorder_point,
       round((GREATEST(v.on_hand - (v.reserved - x.expired) - v.safety_stock, 0)
              / NULLIF(f.daily_demand, 0))::numeric, 1) AS days_of_cover
FROM oms.inventory_level v
JOIN oms.item i ON i.item_id = v.item_id
JOIN oms.location l ON l.location_id = v.location_id
LEFT JOIN oms.demand_forecast f ON f.item_id = v.item_id AND f.location_id = v.location_id
CROSS JOIN LATERAL (
    SELECT COALESCE(sum(r.qty) FILTER (WHERE r.expires_at <= pg_catalog.now()), 0)::bigint AS expired,
           COALESCE(sum(r.qty) FILTER (WHERE r.expires_at > pg_catalog.now()), 0)::bigint AS held
    FROM oms.reservation r
    WHERE r.item_id = v.item_id AND r.location_id = v.location_id
      AND r.state = 'active' AND r.expires_at IS NOT NULL
) x;
COMMENT ON VIEW oms.inventory_position IS 'Stock per item and location with every bucket; held = units in live cart holds (part of reserved); the reorder point of its rule, whether available + incoming is at or below it, and days of cover (available / forecast daily demand).';

CREATE VIEW oms.inventory_summary AS
SELECT i.sku,
       i.name AS item_name,
       count(p.location_id) FILTER (WHERE p.on_hand > 0) AS locations_stocked,
       COALESCE(sum(p.on_hand), 0) AS on_hand,
       COALESCE(sum(p.reserved), 0) AS reserved,
       COALESCE(sum(p.safety_stock), 0) AS safety_stock,
       COALESCE(sum(p.available), 0) AS available,
       COALESCE(sum(p.damaged), 0) AS damaged,
       COALESCE(sum(p.incoming), 0) AS incoming,
       i.item_id
FROM oms.item i
LEFT JOIN oms.inventory_position p ON p.item_id = i.item_id
WHERE NOT i.is_bundle
GROUP BY i.item_id, i.sku, i.name;
COMMENT ON VIEW oms.inventory_summary IS 'Stock per item over all locations (numeric sums: buckets near the top of bigint at several locations cannot overflow the view).';

GRANT SELECT ON oms.inventory_position, oms.inventory_summary TO oms_admin, oms_app, oms_reader;
GRANT EXECUTE ON FUNCTION oms.check_inventory() TO oms_admin, oms_app, oms_reader;
