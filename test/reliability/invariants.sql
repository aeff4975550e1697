-- invariants.sql: every invariant of issue 15 as one query per invariant.
--
-- Creates public.oms_invariants(), which returns one row per invariant with
-- the number of rows that break it (0 when it holds).  The crash, soak and
-- fuzz tests (test/t/07*.pl, test/reliability/*.sh) load this file into
-- their database and assert that every count is 0.  It reads only, so it
-- runs while the load runs, and it is independent of the engine: each check
-- is recomputed from the tables, next to the check functions of oms.
CREATE OR REPLACE FUNCTION public.oms_invariants()
    RETURNS TABLE (invariant text, violations bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT 'no negative bucket', count(*) FROM oms.inventory_level
     WHERE on_hand < 0 OR reserved < 0 OR damaged < 0 OR incoming < 0 OR safety_stock < 0
    UNION ALL
    SELECT 'no oversell: reserved <= on_hand', count(*) FROM oms.inventory_level WHERE reserved > on_hand
    UNION ALL
    SELECT 'reserved = active reservations (level)', count(*)
      FROM oms.inventory_level v
      LEFT JOIN (SELECT item_id, location_id, sum(qty) AS qty FROM oms.reservation
                  WHERE state = 'active' GROUP BY 1, 2) r USING (item_id, location_id)
     WHERE v.reserved <> COALESCE(r.qty, 0)
    UNION ALL
    SELECT 'reserved = active reservations (line)', count(*)
      FROM oms.order_line l
      LEFT JOIN (SELECT line_id, sum(qty) AS qty FROM oms.reservation
                  WHERE state = 'active' AND line_id IS NOT NULL GROUP BY 1) r USING (line_id)
     WHERE l.qty_reserved <> COALESCE(r.qty, 0)
    UNION ALL
    SELECT 'ledger = levels', count(*)
      FROM oms.inventory_level v
      FULL JOIN (SELECT item_id, location_id, sum(on_hand_delta) AS on_hand, sum(damaged_delta) AS damaged
                   FROM oms.inventory_movement GROUP BY 1, 2) g USING (item_id, location_id)
     WHERE COALESCE(v.on_hand, 0) <> COALESCE(g.on_hand, 0) OR COALESCE(v.damaged, 0) <> COALESCE(g.damaged, 0)
    UNION ALL
    SELECT 'check_inventory() is empty', count(*) FROM oms.check_inventory()
    UNION ALL
    SELECT 'check_reservations() is empty', count(*) FROM oms.check_reservations()
    UNION ALL
    SELECT 'check_incoming() is empty', count(*) FROM oms.check_incoming()
    UNION ALL
    SELECT 'check_payments() is empty', count(*) FROM oms.check_payments()
    UNION ALL
    SELECT 'check_serials() is empty', count(*) FROM oms.check_serials()
    UNION ALL
    SELECT 'every status-history row is an allowed move', count(*)
      FROM oms.status_history h
     WHERE CASE WHEN h.from_status IS NULL
                THEN NOT EXISTS (SELECT 1 FROM oms.status_machine m
                                  WHERE m.machine = h.machine AND m.initial_status = h.to_status)
                ELSE NOT EXISTS (SELECT 1 FROM oms.status_transition t
                                  WHERE t.machine = h.machine AND t.from_status = h.from_status
                                    AND t.to_status = h.to_status) END
    UNION ALL
    SELECT 'refunds never exceed captures', count(*)
      FROM (SELECT order_id FROM oms.payment GROUP BY order_id
             HAVING sum(amount) FILTER (WHERE kind = 'refund') > COALESCE(sum(amount) FILTER (WHERE kind = 'capture'), 0)) x
    UNION ALL
    SELECT 'shipped never exceeds ordered', count(*) FROM oms.order_line
     WHERE qty_shipped > qty_ordered - qty_cancelled OR qty_delivered > qty_shipped
    UNION ALL
    SELECT 'line quantities add up', count(*) FROM oms.order_line
     WHERE qty_reserved + qty_backordered + qty_shipped + qty_cancelled > qty_ordered
        OR LEAST(qty_ordered, qty_reserved, qty_backordered, qty_shipped, qty_cancelled, qty_returned, qty_delivered) < 0
    UNION ALL
    SELECT 'returned never exceeds shipped', count(*) FROM oms.order_line WHERE qty_returned > qty_shipped
    UNION ALL
    SELECT 'return lines never exceed shipped', count(*)
      FROM (SELECT rl.line_id, sum(rl.qty) AS qty FROM oms.return_line rl
              JOIN oms.return_authorization a USING (rma_id)
             WHERE a.status NOT IN ('rejected', 'cancelled') GROUP BY 1) r
      JOIN oms.order_line l USING (line_id)
     WHERE r.qty > l.qty_shipped
    UNION ALL
    SELECT 'no order without lines', count(*) FROM oms.sales_order o
     WHERE NOT EXISTS (SELECT 1 FROM oms.order_line l WHERE l.order_id = o.order_id)
    UNION ALL
    SELECT 'no shipment without lines', count(*) FROM oms.shipment s
     WHERE NOT EXISTS (SELECT 1 FROM oms.shipment_line l WHERE l.shipment_id = s.shipment_id)
    UNION ALL
    SELECT 'no return without lines', count(*) FROM oms.return_authorization a
     WHERE NOT EXISTS (SELECT 1 FROM oms.return_line l WHERE l.rma_id = a.rma_id)
    UNION ALL
    SELECT 'no reservation without a line or a hold', count(*) FROM oms.reservation
     WHERE (line_id IS NULL) = (hold_id IS NULL)
    UNION ALL
    SELECT 'no row pointing at a missing item or location', count(*) FROM (
        SELECT item_id, NULL::bigint AS location_id FROM oms.order_line
        UNION ALL SELECT item_id, location_id FROM oms.reservation
        UNION ALL SELECT item_id, location_id FROM oms.inventory_level
        UNION ALL SELECT item_id, location_id FROM oms.inventory_movement
        UNION ALL SELECT item_id, NULL FROM oms.shipment_line
        UNION ALL SELECT NULL, location_id FROM oms.shipment) r
     WHERE (r.item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM oms.item i WHERE i.item_id = r.item_id))
        OR (r.location_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM oms.location l WHERE l.location_id = r.location_id))
    UNION ALL
    SELECT 'shipment lines match their line', count(*)
      FROM oms.shipment_line sl JOIN oms.order_line l USING (line_id)
      JOIN oms.shipment s USING (shipment_id)
     WHERE sl.item_id <> l.item_id OR s.order_id <> l.order_id
$$;
