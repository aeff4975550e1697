-- tracking_history.sql: the status_history rows of the data set of
-- bench/tracking.sh, as the status guard would have written them, from the
-- stage tables of tracking_setup.sql (psql variable t0).  Runs alongside
-- tracking_events.sql.
--
-- One statement per step of the lifecycle (placed, shipment created,
-- picked and packed, shipped, in transit, delivered, returned), each a scan
-- of one stage table in key order: history_id numbers every entity's
-- changes in time order, and an order's rows lie in several parts of the
-- table, as rows written days apart do.  Triggers are off
-- (session_replication_role = replica, see tracking_setup.sql).
\set ON_ERROR_STOP on
SET session_replication_role = replica;
SET synchronize_seqscans = off;
SET max_parallel_workers_per_gather = 0;

-- placed: pending, then confirmed once paid, or cancelled
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at, reason)
SELECT 'order', o.order_id, h.f, h.t, h.ts, h.reason
FROM bench.o o CROSS JOIN LATERAL (VALUES
    (true, NULL, 'pending', o.placed_at, 'placed'),
    (o.paid, 'pending', 'confirmed', o.confirmed_at, NULL),
    (o.stage = 'cancelled', 'pending', 'cancelled', o.cancelled_at, 'payment declined')
) h(keep, f, t, ts, reason)
WHERE h.keep;

-- a shipment is created; the order's first one makes it processing
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at, reason)
SELECT h.machine, h.id, h.f, h.t, s.created_at, h.reason
FROM bench.s s CROSS JOIN LATERAL (VALUES
    (true, 'shipment', s.shipment_id, NULL, 'pending', NULL),
    (s.first_of_order, 'order', s.order_id, 'confirmed', 'processing', 'shipment ' || s.shipment_number || ' created')
) h(keep, machine, id, f, t, reason)
WHERE h.keep;

-- picked and packed
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at, reason)
SELECT 'shipment', s.shipment_id, h.f, h.t, h.ts, h.reason
FROM bench.s s CROSS JOIN LATERAL (VALUES
    (s.level >= 2, 'pending', 'picking', s.picking_at, 'pick list'),
    (s.level >= 3, 'picking', 'packed', s.packed_at, NULL)
) h(keep, f, t, ts, reason)
WHERE s.level >= 2 AND h.keep;

-- shipped
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at)
SELECT 'shipment', s.shipment_id, 'packed', 'shipped', s.shipped_at
FROM bench.s s WHERE s.level >= 4;

-- in transit
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at)
SELECT 'shipment', s.shipment_id, 'shipped', 'in_transit', s.in_transit_at
FROM bench.s s WHERE s.level >= 5;

-- delivered; the order's last delivery completes it
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at, reason)
SELECT h.machine, h.id, h.f, h.t, s.delivered_at, h.reason
FROM bench.s s CROSS JOIN LATERAL (VALUES
    (true, 'shipment', s.shipment_id, 'in_transit', 'delivered', NULL),
    (s.last_of_order, 'order', s.order_id, 'processing', 'completed', 'every unit delivered or cancelled')
) h(keep, machine, id, f, t, reason)
WHERE s.level = 6 AND h.keep;

-- returns
INSERT INTO oms.status_history (machine, entity_id, from_status, to_status, changed_at, reason)
SELECT 'return', r.rma_id, h.f, h.t, h.ts, h.reason
FROM bench.r r CROSS JOIN LATERAL (VALUES
    (true, NULL, 'requested', r.requested_at, NULL),
    (true, 'requested', 'authorized', r.authorized_at, 'within the return window'),
    (r.received_at IS NOT NULL, 'authorized', 'received', r.received_at, NULL),
    (r.completed_at IS NOT NULL, 'received', 'completed', r.completed_at, NULL)
) h(keep, f, t, ts, reason)
WHERE h.keep;
