-- tracking_events.sql: the oms.event rows of the data set of
-- bench/tracking.sh, as the engine would have written them (topics and
-- payloads of a real run), from the stage tables of tracking_setup.sql
-- (psql variable t0).  Runs alongside tracking_history.sql.
--
-- One statement per step of the lifecycle, each a scan of one stage table
-- in key order (see tracking_history.sql).  Events older than a day have
-- been claimed and acknowledged by a consumer; newer ones are pending.
-- Nothing is purged: the worst case for the lookups (purge_events() would
-- keep only the last 7 days of acknowledged events).
\set ON_ERROR_STOP on
SET session_replication_role = replica;
SET synchronize_seqscans = off;
SET max_parallel_workers_per_gather = 0;

-- placed: pending, placed, the card authorized and captured, confirmed;
-- or cancelled
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT e.topic, 'order', o.order_id, e.payload, e.ts,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN e.ts + interval '1 second' END,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN e.ts + interval '2 seconds' END
FROM bench.o o CROSS JOIN LATERAL (VALUES
    (true, 'order.pending', o.placed_at,
     jsonb_build_object('to', 'pending', 'from', NULL, 'reason', 'placed')),
    (true, 'order.placed', o.placed_at,
     jsonb_build_object('lines', o.nlines, 'channel', (ARRAY['WEB', 'AMAZON', 'PHONE'])[o.channel_id],
                        'currency', 'USD', 'customer', 'c' || o.customer_id || '@bench.example',
                        'order_number', o.order_number, 'backordered_units', 0)),
    (o.paid, 'payment.authorized', o.placed_at + interval '1 minute',
     jsonb_build_object('kind', 'authorization', 'amount', o.total::text, 'reason', NULL, 'currency', 'USD',
                        'provider', 'stripe', 'payment_id', o.pay_rank * 2 - 1, 'order_number', o.order_number,
                        'provider_ref', 'pi_' || o.order_id, 'payment_status', 'authorized')),
    (o.paid, 'payment.captured', o.placed_at + interval '2 minutes',
     jsonb_build_object('kind', 'capture', 'amount', o.total::text, 'reason', NULL, 'currency', 'USD',
                        'provider', 'stripe', 'payment_id', o.pay_rank * 2, 'order_number', o.order_number,
                        'provider_ref', 'ch_' || o.order_id, 'payment_status', 'paid')),
    (o.paid, 'order.confirmed', o.confirmed_at,
     jsonb_build_object('to', 'confirmed', 'from', 'pending', 'reason', NULL)),
    (o.stage = 'cancelled', 'order.cancelled', o.cancelled_at,
     jsonb_build_object('to', 'cancelled', 'from', 'pending', 'reason', 'payment declined'))
) e(keep, topic, ts, payload)
WHERE e.keep;

-- a shipment is created; the order's first one makes it processing
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT e.topic, e.entity, e.id, e.payload, s.created_at,
       CASE WHEN s.created_at < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN s.created_at < :'t0'::timestamptz - interval '1 day' THEN s.created_at + interval '1 second' END,
       CASE WHEN s.created_at < :'t0'::timestamptz - interval '1 day' THEN s.created_at + interval '2 seconds' END
FROM bench.s s CROSS JOIN LATERAL (VALUES
    (true, 'shipment.pending', 'shipment', s.shipment_id,
     jsonb_build_object('to', 'pending', 'from', NULL, 'reason', NULL)),
    (s.first_of_order, 'order.processing', 'order', s.order_id,
     jsonb_build_object('to', 'processing', 'from', 'confirmed',
                        'reason', 'shipment ' || s.shipment_number || ' created'))
) e(keep, topic, entity, id, payload)
WHERE e.keep;

-- picked and packed
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT e.topic, 'shipment', s.shipment_id, e.payload, e.ts,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN e.ts + interval '1 second' END,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN e.ts + interval '2 seconds' END
FROM bench.s s CROSS JOIN LATERAL (VALUES
    (s.level >= 2, 'shipment.picking', s.picking_at,
     jsonb_build_object('to', 'picking', 'from', 'pending', 'reason', 'pick list')),
    (s.level >= 3, 'shipment.packed', s.packed_at,
     jsonb_build_object('to', 'packed', 'from', 'picking', 'reason', NULL))
) e(keep, topic, ts, payload)
WHERE s.level >= 2 AND e.keep;

-- shipped, with the carrier and the tracking number
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT 'shipment.shipped', 'shipment', s.shipment_id,
       jsonb_build_object('to', 'shipped', 'from', 'packed', 'reason', NULL, 'carrier', s.carrier,
                          'location', s.location, 'order_number', s.order_number,
                          'service_level', s.service_level, 'shipment_number', s.shipment_number,
                          'tracking_number', s.tracking_number, 'estimated_delivery', s.estimated_delivery),
       s.shipped_at,
       CASE WHEN s.shipped_at < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN s.shipped_at < :'t0'::timestamptz - interval '1 day' THEN s.shipped_at + interval '1 second' END,
       CASE WHEN s.shipped_at < :'t0'::timestamptz - interval '1 day' THEN s.shipped_at + interval '2 seconds' END
FROM bench.s s WHERE s.level >= 4;

-- in transit
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT 'shipment.in_transit', 'shipment', s.shipment_id,
       jsonb_build_object('to', 'in_transit', 'from', 'shipped', 'reason', NULL),
       s.in_transit_at,
       CASE WHEN s.in_transit_at < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN s.in_transit_at < :'t0'::timestamptz - interval '1 day' THEN s.in_transit_at + interval '1 second' END,
       CASE WHEN s.in_transit_at < :'t0'::timestamptz - interval '1 day' THEN s.in_transit_at + interval '2 seconds' END
FROM bench.s s WHERE s.level >= 5;

-- delivered; the order's last delivery completes it
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT e.topic, e.entity, e.id, e.payload, s.delivered_at,
       CASE WHEN s.delivered_at < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN s.delivered_at < :'t0'::timestamptz - interval '1 day' THEN s.delivered_at + interval '1 second' END,
       CASE WHEN s.delivered_at < :'t0'::timestamptz - interval '1 day' THEN s.delivered_at + interval '2 seconds' END
FROM bench.s s CROSS JOIN LATERAL (VALUES
    (true, 'shipment.delivered', 'shipment', s.shipment_id,
     jsonb_build_object('to', 'delivered', 'from', 'in_transit', 'reason', NULL,
                        'delivered_at', s.delivered_at::text, 'order_number', s.order_number,
                        'shipment_number', s.shipment_number, 'tracking_number', s.tracking_number,
                        'estimated_delivery', s.estimated_delivery)),
    (s.last_of_order, 'order.completed', 'order', s.order_id,
     jsonb_build_object('to', 'completed', 'from', 'processing', 'reason', 'every unit delivered or cancelled'))
) e(keep, topic, entity, id, payload)
WHERE s.level = 6 AND e.keep;

-- returns: requested, authorized, received, refunded (an order event) and
-- completed
INSERT INTO oms.event (topic, entity, entity_id, payload, created_at, claimed_by, claimed_at, acked_at)
SELECT e.topic, e.entity, e.id, e.payload, e.ts,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN 'bench-consumer' END,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN e.ts + interval '1 second' END,
       CASE WHEN e.ts < :'t0'::timestamptz - interval '1 day' THEN e.ts + interval '2 seconds' END
FROM bench.r r CROSS JOIN LATERAL (VALUES
    (true, 'return.requested', 'return', r.rma_id, r.requested_at,
     jsonb_build_object('to', 'requested', 'from', NULL, 'kind', 'refund',
                        'lines', jsonb_build_array(jsonb_build_object('qty', 1, 'sku', 'SKU-' || r.item_id,
                                                                      'reason', r.reason_code)),
                        'units', 1, 'reason', NULL, 'rma_number', r.rma_number, 'order_number', r.order_number)),
    (true, 'return.authorized', 'return', r.rma_id, r.authorized_at,
     jsonb_build_object('to', 'authorized', 'from', 'requested', 'reason', 'within the return window')),
    (r.received_at IS NOT NULL, 'return.received', 'return', r.rma_id, r.received_at,
     jsonb_build_object('to', 'received', 'from', 'authorized', 'reason', NULL,
                        'damaged', CASE WHEN r.damaged THEN 1 ELSE 0 END,
                        'location', (ARRAY['WH-EAST', 'WH-WEST', 'WH-SOUTH', 'WH-CENTRAL', 'NYC-STORE'])[r.location_id],
                        'resellable', CASE WHEN r.damaged THEN 0 ELSE 1 END,
                        'rma_number', r.rma_number, 'order_number', r.order_number)),
    (r.completed_at IS NOT NULL, 'refund.issued', 'order', r.order_id, r.completed_at,
     jsonb_build_object('kind', 'refund', 'amount', r.refund::text, 'reason', 'return ' || r.rma_number,
                        'currency', 'USD', 'provider', NULL, 'payment_id', r.refund_payment_id,
                        'order_number', r.order_number, 'provider_ref', r.rma_number,
                        'payment_status', 'partially_refunded')),
    (r.completed_at IS NOT NULL, 'return.completed', 'return', r.rma_id, r.completed_at,
     jsonb_build_object('to', 'completed', 'from', 'received', 'kind', 'refund', 'value', r.unit_price::text,
                        'reason', NULL, 'refund', r.refund::text, 'rma_number', r.rma_number,
                        'refund_owed', r.refund::text, 'order_number', r.order_number,
                        'replacement_order_number', NULL))
) e(keep, topic, entity, id, ts, payload)
WHERE e.keep;
