
-- ===========================================================================
-- 92_tracking.sql: the order tracking views, which read across orders,
-- shipments, returns, payments and events
-- ===========================================================================

CREATE VIEW oms.order_tracking AS
SELECT o.order_id,
       o.order_number,
       (SELECT c.email FROM oms.customer c WHERE c.customer_id = o.customer_id) AS customer,
       (SELECT ch.code FROM oms.channel ch WHERE ch.channel_id = o.channel_id) AS channel,
       o.status,
       o.payment_status,
       o.fulfillment_status,
       o.placed_at,
       o.promised_at,
       u.ordered AS units_ordered,
       u.cancelled AS units_cancelled,
       u.shipped AS units_shipped,
       u.delivered AS units_delivered,
       u.ordered - u.cancelled - u.shipped AS units_outstanding,
       COALESCE(sh.shipments, '[]'::jsonb) AS shipments,
       ev.topic AS last_event,
       ev.created_at AS last_event_at,
       o.channel_order_ref
FROM oms.sales_order o
CROSS JOIN LATERAL (
    SELECT COALESCE(sum(l.qty_ordered), 0) AS ordered,
           COALESCE(sum(l.qty_cancelled), 0) AS cancelled,
           COALESCE(sum(l.qty_shipped), 0) AS shipped,
           COALESCE(sum(l.qty_delivered), 0) AS delivered
    FROM oms.order_line l
    WHERE l.order_id = o.order_id AND l.kind <> 'bundle') u
LEFT JOIN LATERAL (
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'shipment_number', s.shipment_number,
               'location', loc.code,
               'status', s.status,
               'carrier', ca.code,
               'service_level', s.service_level,
               'tracking_number', s.tracking_number,
               'tracking_url', pg_catalog.replace(ca.tracking_url, '{tracking_number}', s.tracking_number),
               'shipped_at', s.shipped_at,
               'estimated_delivery', s.estimated_delivery,
               'delivered_at', s.delivered_at,
               'replaces', r.shipment_number,
               'units', (SELECT sum(sl.qty) FROM oms.shipment_line sl WHERE sl.shipment_id = s.shipment_id))
             ORDER BY s.shipment_id) AS shipments
    FROM oms.shipment s
    JOIN oms.location loc ON loc.location_id = s.location_id
    LEFT JOIN oms.carrier ca ON ca.carrier_id = s.carrier_id
    LEFT JOIN oms.shipment r ON r.shipment_id = s.replaces_shipment_id
    WHERE s.order_id = o.order_id) sh ON true
LEFT JOIN LATERAL (
    -- the newest event of the order and its shipments: its id from the
    -- entity index alone (index-only), then that one row
    SELECT e.topic, e.created_at
    FROM (SELECT e1.event_id FROM oms.event e1
          WHERE e1.entity = 'order' AND e1.entity_id = o.order_id
          UNION ALL
          SELECT e2.event_id FROM oms.shipment s2
          JOIN oms.event e2 ON e2.entity = 'shipment' AND e2.entity_id = s2.shipment_id
          WHERE s2.order_id = o.order_id
          ORDER BY 1 DESC LIMIT 1) last
    JOIN oms.event e ON e.event_id = last.event_id) ev ON true;
COMMENT ON VIEW oms.order_tracking IS 'One row per order: statuses, units ordered, cancelled, shipped, delivered and outstanding, its shipments (carrier, tracking number and link, status, ETA) as a jsonb array, and its last event.';

CREATE VIEW oms.order_timeline AS
SELECT o.order_id, o.order_number, t.at, t.source, t.entity, t.entity_ref, t.what,
       t.from_status, t.to_status, t.reason, t.payload, t.seq
FROM oms.sales_order o
CROSS JOIN LATERAL (
    SELECT h.changed_at AS at, 'status'::text AS source, 'order'::text AS entity,
           o.order_number AS entity_ref, 'order.' || h.to_status AS what,
           h.from_status, h.to_status, h.reason, NULL::jsonb AS payload, h.history_id AS seq
    FROM oms.status_history h
    WHERE h.machine = 'order' AND h.entity_id = o.order_id
    UNION ALL
    SELECT h.changed_at, 'status', 'shipment', s.shipment_number, 'shipment.' || h.to_status,
           h.from_status, h.to_status, h.reason, NULL, h.history_id
    FROM oms.shipment s
    JOIN oms.status_history h ON h.machine = 'shipment' AND h.entity_id = s.shipment_id
    WHERE s.order_id = o.order_id
    UNION ALL
    SELECT e.created_at, 'event', 'order', o.order_number, e.topic,
           NULL, NULL, NULL, e.payload, e.event_id
    FROM oms.event e
    WHERE e.entity = 'order' AND e.entity_id = o.order_id
    UNION ALL
    SELECT e.created_at, 'event', 'shipment', s.shipment_number, e.topic,
           NULL, NULL, NULL, e.payload, e.event_id
    FROM oms.shipment s
    JOIN oms.event e ON e.entity = 'shipment' AND e.entity_id = s.shipment_id
    WHERE s.order_id = o.order_id
    UNION ALL
    SELECT h.changed_at, 'status', 'return', r.rma_number, 'return.' || h.to_status,
           h.from_status, h.to_status, h.reason, NULL, h.history_id
    FROM oms.return_authorization r
    JOIN oms.status_history h ON h.machine = 'return' AND h.entity_id = r.rma_id
    WHERE r.order_id = o.order_id
    UNION ALL
    SELECT e.created_at, 'event', 'return', r.rma_number, e.topic,
           NULL, NULL, NULL, e.payload, e.event_id
    FROM oms.return_authorization r
    JOIN oms.event e ON e.entity = 'return' AND e.entity_id = r.rma_id
    WHERE r.order_id = o.order_id) t;
COMMENT ON VIEW oms.order_timeline IS 'Every status change (source status) and every event (source event) of an order, its shipments and its returns.  ORDER BY at, source DESC, seq for time order.';

CREATE VIEW oms.fulfillment_queue AS
SELECT loc.code AS location,
       o.order_id,
       o.order_number,
       o.status,
       o.service_level,
       o.promised_at,
       o.placed_at,
       q.units_reserved,
       q.units_in_shipments,
       q.units_reserved - q.units_in_shipments AS units_to_ship,
       q.open_shipments
FROM (
    SELECT l.order_id, r.location_id,
           sum(r.qty) AS units_reserved,
           COALESCE((SELECT sum(sl.qty) FROM oms.shipment s
                     JOIN oms.shipment_line sl ON sl.shipment_id = s.shipment_id
                     WHERE s.order_id = l.order_id AND s.location_id = r.location_id
                       AND s.status IN ('pending', 'picking', 'packed')), 0) AS units_in_shipments,
           (SELECT array_agg(s.shipment_number ORDER BY s.shipment_id) FROM oms.shipment s
            WHERE s.order_id = l.order_id AND s.location_id = r.location_id
              AND s.status IN ('pending', 'picking', 'packed')) AS open_shipments
    FROM oms.order_line l
    JOIN oms.reservation r ON r.line_id = l.line_id AND r.state = 'active'
    GROUP BY l.order_id, r.location_id) q
JOIN oms.sales_order o ON o.order_id = q.order_id
JOIN oms.location loc ON loc.location_id = q.location_id
WHERE o.status IN ('confirmed', 'processing')
  AND oms.payment_satisfied(o.payment_required, o.payment_status);
COMMENT ON VIEW oms.fulfillment_queue IS 'Per location, the orders ready to pick (confirmed or processing, payment requirement met, units reserved there).  ORDER BY location, promised_at NULLS LAST, placed_at for oldest promise first.';

GRANT SELECT ON oms.order_tracking, oms.order_timeline, oms.fulfillment_queue TO oms_admin, oms_app, oms_reader;
