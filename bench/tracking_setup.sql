-- tracking_setup.sql: the order history of bench/tracking.sh, loaded set-based
-- into a fresh database with oms.  psql variables: orders, items, t0 (the
-- load's "now", a timestamptz literal).
--
-- A year of orders, oldest first (one every 365 days / orders), over 10,000
-- items (a few sell far more than most) at 5 locations, 200,000 customers
-- (orders / 5), 3 channels and 3 carriers.  Per order, by its age:
--
--   last 6 hours   pending (30%, unpaid) or confirmed, units reserved
--   6 h .. 1 day   processing: shipments pending, picking or packed
--   1 .. 1.5 days  shipped;  1.5 .. 4 days in transit
--   4 .. 6 days    delivered (70%) or in transit;  older: delivered
--   2% of orders older than 6 hours were cancelled before confirmation.
--   1 to 3 lines (50/30/20%) of 1 to 3 units; 15% of multi-line orders ship
--   from two locations (two shipments).  Paid orders have an authorization
--   and a capture in the payment ledger.
--   6% of delivered multi-line orders older than 8 days have a refund RMA
--   for one unit of their first line (85% resellable); it is authorized,
--   received or (after 12 days) completed, with its refund in the ledger.
--
-- Every row is what the engine would have written for that history: the
-- ledger (one receipt per level, a shipment movement per shipment and item,
-- return movements) with running balances that agree with the levels,
-- reservations (consumed, released or active) that agree with the reserved
-- bucket, payment_status from the payment ledger, fulfillment_status from
-- the lines.  Status history and events are written by tracking_history.sql
-- and tracking_events.sql from the stage tables made here (schema bench).
--
-- A benchmark data set, not a test: it is inserted with
-- session_replication_role = replica, so the status guards, the ledger and
-- level triggers and the foreign-key triggers do not fire (each row would
-- otherwise run the guards' SPI; the load would take hours).  Keys are
-- consistent by construction; bench/tracking.sh proves the ledger, the
-- reservations and the payments with check_inventory() and check_payments()
-- afterwards.  CHECK constraints and unique indexes are enforced as usual.

\set ON_ERROR_STOP on
SET session_replication_role = replica;
SET synchronize_seqscans = off;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '256MB';
SELECT pg_catalog.setseed(0.2024);

CREATE EXTENSION oms;
CREATE SCHEMA bench;

-- ---------------------------------------------------------------------------
-- Reference data
-- ---------------------------------------------------------------------------
INSERT INTO oms.location (code, name, kind, priority, region) VALUES
    ('WH-EAST', 'East DC', 'warehouse', 10, 'US-NJ'),
    ('WH-WEST', 'West DC', 'warehouse', 20, 'US-NV'),
    ('WH-SOUTH', 'South DC', 'warehouse', 30, 'US-TX'),
    ('WH-CENTRAL', 'Central DC', 'warehouse', 40, 'US-IL'),
    ('NYC-STORE', 'NYC flagship store', 'store', 50, 'US-NY');
INSERT INTO oms.item (sku, name, created_at)
SELECT 'SKU-' || g, 'Item ' || g, :'t0'::timestamptz - interval '400 days'
FROM generate_series(1, :items) g;
INSERT INTO oms.customer (email, name, created_at)
SELECT 'c' || g || '@bench.example', 'Customer ' || g, :'t0'::timestamptz - interval '400 days'
FROM generate_series(1, greatest(:orders / 5, 1000)) g;
INSERT INTO oms.channel (code, name, kind) VALUES
    ('WEB', 'Web shop', 'web'), ('AMAZON', 'Amazon US', 'marketplace'), ('PHONE', 'Phone orders', 'phone');
INSERT INTO oms.carrier (code, name, tracking_url) VALUES
    ('UPS', 'UPS', 'https://www.ups.com/track?tracknum={tracking_number}'),
    ('FEDEX', 'FedEx', 'https://www.fedex.com/fedextrack/?trknbr={tracking_number}'),
    ('DHL', 'DHL', 'https://www.dhl.com/track?id={tracking_number}');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT c.carrier_id, v.level, v.days, false
FROM oms.carrier c CROSS JOIN (VALUES ('ground', 3), ('air', 2), ('express', 1), ('same_day', 0)) v(level, days);
INSERT INTO oms.supplier (code, name, lead_time_days)
SELECT 'SUP-' || g, 'Supplier ' || g, 5 + g % 10 FROM generate_series(1, 20) g;

-- ---------------------------------------------------------------------------
-- Stage tables (schema bench, unlogged, dropped at the end).  Each is
-- written once, in key order, and never updated: tracking_history.sql and
-- tracking_events.sql scan them in physical order so that the identity
-- columns of status_history and event number each entity's steps in time
-- order.
-- ---------------------------------------------------------------------------
-- per order: its draws, its stage and the time of every step
CREATE UNLOGGED TABLE bench.o0 AS
WITH raw AS (
    -- the random draws, one row per order (a CTE with volatile functions
    -- is not inlined: each is drawn once per row)
    SELECT g, random() AS r_age, random() AS r_cust, random() AS r_chan, random() AS r_svc,
           random() AS r_lines, random() AS r_loc, random() AS r_split, random() AS r_stage,
           random() AS r_cancel, random() AS r_carrier, random() AS r_t1, random() AS r_t2,
           random() AS r_t3, random() AS r_t4, random() AS r_ret, random() AS r_cond, random() AS r_reason
    FROM generate_series(1, :orders) g
), a AS (
    SELECT raw.*,
           (:orders - g + r_age) * 365.0 / :orders AS age,      -- days before t0
           CASE WHEN r_svc < 0.8 THEN 'ground' WHEN r_svc < 0.92 THEN 'air'
                WHEN r_svc < 0.98 THEN 'express' ELSE 'same_day' END AS service_level,
           CASE WHEN r_lines < 0.5 THEN 1 WHEN r_lines < 0.8 THEN 2 ELSE 3 END AS nlines
    FROM raw
), b AS (
    SELECT a.*,
           CASE WHEN age >= 0.25 AND r_cancel < 0.02 THEN 'cancelled'
                WHEN age < 0.25 THEN CASE WHEN r_stage < 0.3 THEN 'pending' ELSE 'confirmed' END
                WHEN age < 1 THEN 'processing'
                WHEN age < 1.5 THEN 'shipped'
                WHEN age < 4 THEN 'in_transit'
                WHEN age < 6 THEN CASE WHEN r_stage < 0.7 THEN 'delivered' ELSE 'in_transit' END
                ELSE 'delivered' END AS stage,
           CASE service_level WHEN 'ground' THEN 3 WHEN 'air' THEN 2 WHEN 'express' THEN 1 ELSE 0 END AS transit_days,
           :'t0'::timestamptz - age * interval '1 day' AS placed_at,
           -- shipments are created 1-8 hours after placing (sooner for younger orders)
           :'t0'::timestamptz - age * interval '1 day'
               + least((1 + r_t1 * 7) * interval '1 hour', age * interval '12 hours') AS created_at,
           -- and leave 12-22 hours after placing
           :'t0'::timestamptz - age * interval '1 day' + (12 + r_t2 * 10) * interval '1 hour' AS shipped_at
    FROM a
), c AS (
    SELECT b.*,
           CASE WHEN stage = 'processing' THEN
                CASE WHEN r_t3 < 0.4 THEN 'pending' WHEN r_t3 < 0.7 THEN 'picking' ELSE 'packed' END
                WHEN stage IN ('shipped', 'in_transit', 'delivered') THEN stage END AS shipment_status,
           -- delivered 6-24 hours after the transit days
           least(shipped_at + transit_days * interval '1 day' + (6 + r_t4 * 18) * interval '1 hour',
                 :'t0'::timestamptz - interval '5 minutes') AS delivered_at,
           -- a refund RMA for one unit of the first line
           CASE WHEN stage = 'delivered' AND nlines > 1 AND age >= 8 AND r_ret < 0.06 THEN
                CASE WHEN age < 11 THEN 'authorized' WHEN age < 12 THEN 'received' ELSE 'completed' END
           END AS rma_status
    FROM b
)
SELECT g AS order_id,
       'SO-' || lpad(g::text, greatest(6, length(g::text)), '0') AS order_number,
       age, stage, nlines, service_level, transit_days, shipment_status,
       CASE shipment_status WHEN 'pending' THEN 1 WHEN 'picking' THEN 2 WHEN 'packed' THEN 3
            WHEN 'shipped' THEN 4 WHEN 'in_transit' THEN 5 WHEN 'delivered' THEN 6 END AS level,
       1 + floor(r_cust * greatest(:orders / 5, 1000))::bigint AS customer_id,
       CASE WHEN r_chan < 0.7 THEN 1 WHEN r_chan < 0.9 THEN 2 ELSE 3 END AS channel_id,
       1 + floor(r_loc * 5)::bigint AS loc,
       1 + (floor(r_loc * 5)::bigint + 1) % 5 AS loc2,
       nlines > 1 AND r_split < 0.15 AS split,
       CASE WHEN r_carrier < 0.5 THEN 1 WHEN r_carrier < 0.8 THEN 2 ELSE 3 END AS carrier_id,
       stage NOT IN ('pending', 'cancelled') AS paid,
       rma_status, r_cond < 0.15 AS rma_damaged,
       (ARRAY['damaged', 'defective', 'wrong_item', 'not_as_described', 'size_fit',
              'changed_mind', 'arrived_late', 'other'])[1 + floor(r_reason * 8)::int] AS rma_reason,
       placed_at,
       placed_at + (10 + r_t1 * 290) * interval '1 minute' AS cancelled_at,
       placed_at + interval '3 minutes' AS confirmed_at,
       created_at,
       CASE WHEN shipment_status = 'pending' OR shipment_status IS NULL THEN NULL
            WHEN stage = 'processing' THEN created_at + (:'t0'::timestamptz - created_at) * 0.4
            ELSE shipped_at - interval '3 hours' END AS picking_at,
       CASE WHEN shipment_status IN ('pending', 'picking') OR shipment_status IS NULL THEN NULL
            WHEN stage = 'processing' THEN created_at + (:'t0'::timestamptz - created_at) * 0.7
            ELSE shipped_at - interval '1 hour' END AS packed_at,
       CASE WHEN shipment_status IN ('shipped', 'in_transit', 'delivered') THEN shipped_at END AS shipped_at,
       CASE WHEN shipment_status IN ('in_transit', 'delivered') THEN shipped_at + interval '4 hours' END AS in_transit_at,
       CASE WHEN shipment_status IN ('shipped', 'in_transit', 'delivered')
            THEN (shipped_at AT TIME ZONE 'UTC')::date + transit_days END AS estimated_delivery,
       CASE WHEN shipment_status = 'delivered' THEN delivered_at END AS delivered_at,
       CASE WHEN rma_status IS NOT NULL THEN delivered_at + interval '1 day' END AS rma_requested_at,
       CASE WHEN rma_status IS NOT NULL THEN delivered_at + interval '1 day 1 hour' END AS rma_authorized_at,
       CASE WHEN rma_status IN ('received', 'completed') THEN delivered_at + interval '4 days' END AS rma_received_at,
       CASE WHEN rma_status = 'completed' THEN delivered_at + interval '5 days' END AS rma_completed_at
FROM c
ORDER BY g;

CREATE UNLOGGED TABLE bench.l AS
WITH raw AS (
    SELECT o.order_id, k AS line_no, o.stage, o.loc, o.loc2, o.split, o.rma_status,
           random() AS r_item, random() AS r_qty
    FROM bench.o0 o CROSS JOIN LATERAL generate_series(1, o.nlines) k
), d AS (
    SELECT raw.*,
           least(1 + floor(:items * r_item * r_item)::bigint, :items) AS item_id,   -- skewed: low ids sell most
           CASE WHEN r_qty < 0.6 THEN 1 WHEN r_qty < 0.9 THEN 2 ELSE 3 END AS qty
    FROM raw
)
SELECT row_number() OVER (ORDER BY order_id, line_no) AS line_id,
       order_id, line_no, item_id,
       CASE WHEN line_no > 1 AND split THEN loc2 ELSE loc END AS location_id,
       qty,
       (4.99 + (item_id * 37) % 196)::numeric(14,2) AS unit_price,
       CASE WHEN stage IN ('pending', 'confirmed', 'processing') THEN qty ELSE 0 END AS qty_reserved,
       CASE WHEN stage IN ('shipped', 'in_transit', 'delivered') THEN qty ELSE 0 END AS qty_shipped,
       CASE WHEN stage = 'cancelled' THEN qty ELSE 0 END AS qty_cancelled,
       CASE WHEN stage = 'delivered' THEN qty ELSE 0 END AS qty_delivered,
       CASE WHEN line_no = 1 AND rma_status IN ('received', 'completed') THEN 1 ELSE 0 END AS qty_returned
FROM d
ORDER BY line_id;
ALTER TABLE bench.l ADD PRIMARY KEY (line_id);

-- per order: the stage and the sums the engine keeps in step, the first
-- line (what an RMA returns), and the payment ledger's numbering
CREATE UNLOGGED TABLE bench.o AS
SELECT o.*, t.subtotal, t.tax, t.shipping, t.subtotal + t.tax + t.shipping AS total,
       t.open, t.shipped, t.delivered, t.returned,
       t.first_line_id, t.first_item_id, t.first_price,
       CASE WHEN o.paid THEN sum(o.paid::int) OVER (ORDER BY o.order_id) END AS pay_rank
FROM bench.o0 o
JOIN (SELECT l.order_id,
             sum(l.unit_price * (l.qty - l.qty_cancelled))::numeric(14,2) AS subtotal,
             round(sum(l.unit_price * l.qty) * 0.08, 2)::numeric(14,2) AS tax,
             CASE WHEN sum(l.unit_price * l.qty) >= 100 THEN 0 ELSE 5.95 END::numeric(14,2) AS shipping,
             sum(l.qty - l.qty_cancelled) AS open, sum(l.qty_shipped) AS shipped,
             sum(l.qty_delivered) AS delivered, sum(l.qty_returned) AS returned,
             min(l.line_id) AS first_line_id,
             (array_agg(l.item_id ORDER BY l.line_no))[1] AS first_item_id,
             (array_agg(l.unit_price ORDER BY l.line_no))[1] AS first_price
      FROM bench.l l GROUP BY l.order_id) t ON t.order_id = o.order_id
ORDER BY o.order_id;
ALTER TABLE bench.o ADD PRIMARY KEY (order_id);
DROP TABLE bench.o0;

-- returns, with the refund of a completed one: the unit's price and its
-- share of the tax (plan_refund in returns.c), paid after every
-- authorization and capture in the payment ledger
CREATE UNLOGGED TABLE bench.r AS
SELECT row_number() OVER (ORDER BY o.order_id) AS rma_id,
       'RMA-' || lpad((row_number() OVER (ORDER BY o.order_id))::text,
                      greatest(6, length((row_number() OVER (ORDER BY o.order_id))::text)), '0') AS rma_number,
       o.order_id, o.order_number, o.rma_status AS status, o.rma_damaged AS damaged, o.rma_reason AS reason_code,
       o.loc AS location_id, o.first_line_id AS line_id, o.first_item_id AS item_id, o.first_price AS unit_price,
       o.rma_requested_at AS requested_at, o.rma_authorized_at AS authorized_at,
       o.rma_received_at AS received_at, o.rma_completed_at AS completed_at,
       CASE WHEN o.rma_status = 'completed' THEN
            (o.first_price + round(o.tax * o.first_price / o.subtotal, 2))::numeric(14,2) END AS refund,
       CASE WHEN o.rma_status = 'completed' THEN
            (SELECT max(pay_rank) FROM bench.o) * 2
            + count(*) FILTER (WHERE o.rma_status = 'completed') OVER (ORDER BY o.order_id) END AS refund_payment_id
FROM bench.o o
WHERE o.rma_status IS NOT NULL
ORDER BY o.order_id;
ALTER TABLE bench.r ADD PRIMARY KEY (rma_id);

-- shipments: one per order and location, for orders past confirmation;
-- the columns the events need are copied in, so their loads read one table
CREATE UNLOGGED TABLE bench.s AS
SELECT x.shipment_id,
       'SH-' || lpad(x.shipment_id::text, greatest(6, length(x.shipment_id::text)), '0') AS shipment_number,
       x.order_id, o.order_number, x.location_id,
       (ARRAY['WH-EAST', 'WH-WEST', 'WH-SOUTH', 'WH-CENTRAL', 'NYC-STORE'])[x.location_id] AS location,
       x.n = 1 AS first_of_order, x.n = x.shipments AS last_of_order,
       o.shipment_status AS status, o.level, o.service_level,
       CASE WHEN o.level >= 4 THEN o.carrier_id END AS carrier_id,
       CASE WHEN o.level >= 4 THEN (ARRAY['UPS', 'FEDEX', 'DHL'])[o.carrier_id] END AS carrier,
       CASE WHEN o.level < 4 THEN NULL
            WHEN o.carrier_id = 1 THEN '1Z' || lpad(x.shipment_id::text, 16, '0')
            WHEN o.carrier_id = 2 THEN '7' || lpad(x.shipment_id::text, 11, '0')
            ELSE 'JD' || lpad(x.shipment_id::text, 10, '0') END AS tracking_number,
       o.created_at, o.picking_at, o.packed_at, o.shipped_at, o.in_transit_at,
       o.estimated_delivery, o.delivered_at
FROM (SELECT row_number() OVER (ORDER BY order_id, min(line_no)) AS shipment_id,
             order_id, location_id,
             row_number() OVER (PARTITION BY order_id ORDER BY min(line_no)) AS n,
             count(*) OVER (PARTITION BY order_id) AS shipments
      FROM bench.l
      WHERE order_id IN (SELECT order_id FROM bench.o WHERE shipment_status IS NOT NULL)
      GROUP BY order_id, location_id) x
JOIN bench.o o ON o.order_id = x.order_id
ORDER BY x.shipment_id;
ALTER TABLE bench.s ADD PRIMARY KEY (shipment_id);

-- ---------------------------------------------------------------------------
-- Orders, lines, shipments, returns, reservations, payments
-- ---------------------------------------------------------------------------
INSERT INTO oms.sales_order (order_id, order_number, channel_id, channel_order_ref, customer_id, order_type,
                             status, status_changed_at, fulfillment_status, payment_status, payment_required,
                             ship_to, service_level, currency, subtotal, tax, shipping, allocation_strategy,
                             promised_at, placed_at, created_at)
OVERRIDING SYSTEM VALUE
SELECT o.order_id, o.order_number, o.channel_id,
       CASE WHEN o.channel_id = 2 THEN '112-' || lpad(o.order_id::text, 7, '0') END,
       o.customer_id, 'normal',
       CASE o.stage WHEN 'cancelled' THEN 'cancelled' WHEN 'pending' THEN 'pending'
                    WHEN 'confirmed' THEN 'confirmed' WHEN 'delivered' THEN 'completed' ELSE 'processing' END,
       CASE o.stage WHEN 'cancelled' THEN o.cancelled_at WHEN 'pending' THEN o.placed_at
                    WHEN 'confirmed' THEN o.confirmed_at WHEN 'delivered' THEN o.delivered_at
                    ELSE o.created_at END,
       -- fulfillment_status as plan_refresh in fulfillment.c derives it
       CASE WHEN o.returned > 0 AND o.returned >= o.shipped THEN 'returned'
            WHEN o.returned > 0 THEN 'partially_returned'
            WHEN o.open > 0 AND o.delivered >= o.open THEN 'delivered'
            WHEN o.delivered > 0 THEN 'partially_delivered'
            WHEN o.open > 0 AND o.shipped >= o.open THEN 'shipped'
            WHEN o.shipped > 0 THEN 'partially_shipped'
            ELSE 'unfulfilled' END,
       -- payment_status as the engine derives it from the ledger below
       oms.payment_status_of(o.total, CASE WHEN o.paid THEN o.total ELSE 0 END,
                             CASE WHEN o.paid THEN o.total ELSE 0 END, COALESCE(r.refund, 0), 0),
       'captured',
       jsonb_build_object('name', 'Customer ' || o.customer_id, 'line1', (o.order_id % 9000 + 1) || ' Main St',
                          'city', (ARRAY['Newark', 'Reno', 'Austin', 'Chicago', 'New York'])[o.loc],
                          'postal_code', lpad((o.customer_id % 99999)::text, 5, '0'), 'country', 'US',
                          'region', (ARRAY['US-NJ', 'US-NV', 'US-TX', 'US-IL', 'US-NY'])[o.loc]),
       o.service_level, 'USD', o.subtotal, o.tax, o.shipping, 'priority',
       CASE WHEN o.order_id % 3 = 0 THEN o.placed_at + interval '5 days' END,
       o.placed_at, o.placed_at
FROM bench.o o
LEFT JOIN bench.r r ON r.order_id = o.order_id AND r.status = 'completed'
ORDER BY o.order_id;

INSERT INTO oms.order_line (line_id, order_id, line_no, item_id, kind, qty_ordered, qty_reserved, qty_backordered,
                            qty_shipped, qty_cancelled, qty_returned, qty_delivered, unit_price)
OVERRIDING SYSTEM VALUE
SELECT line_id, order_id, line_no, item_id, 'item', qty, qty_reserved, 0,
       qty_shipped, qty_cancelled, qty_returned, qty_delivered, unit_price
FROM bench.l ORDER BY line_id;

INSERT INTO oms.shipment (shipment_id, shipment_number, order_id, location_id, carrier_id, service_level,
                          tracking_number, status, status_changed_at, created_at, shipped_at,
                          estimated_delivery, delivered_at)
OVERRIDING SYSTEM VALUE
SELECT shipment_id, shipment_number, order_id, location_id, carrier_id, service_level,
       tracking_number, status,
       COALESCE(delivered_at, in_transit_at, shipped_at, packed_at, picking_at, created_at),
       created_at, shipped_at, estimated_delivery, delivered_at
FROM bench.s ORDER BY shipment_id;

INSERT INTO oms.shipment_line (shipment_id, line_id, item_id, qty)
SELECT s.shipment_id, l.line_id, l.item_id, l.qty
FROM bench.s s JOIN bench.l l ON l.order_id = s.order_id AND l.location_id = s.location_id
ORDER BY s.shipment_id, l.line_id;

INSERT INTO oms.return_authorization (rma_id, rma_number, order_id, kind, status, status_changed_at,
                                      location_id, refund_amount, refund_payment_id,
                                      requested_at, received_at, completed_at)
OVERRIDING SYSTEM VALUE
SELECT rma_id, rma_number, order_id, 'refund', status,
       COALESCE(completed_at, received_at, authorized_at),
       CASE WHEN received_at IS NOT NULL THEN location_id END, refund, refund_payment_id,
       requested_at, received_at, completed_at
FROM bench.r ORDER BY rma_id;

INSERT INTO oms.return_line (rma_id, line_id, item_id, qty, reason_code, qty_received, qty_resellable, qty_damaged)
SELECT rma_id, line_id, item_id, 1, reason_code,
       CASE WHEN received_at IS NOT NULL THEN 1 ELSE 0 END,
       CASE WHEN received_at IS NOT NULL AND NOT damaged THEN 1 ELSE 0 END,
       CASE WHEN received_at IS NOT NULL AND damaged THEN 1 ELSE 0 END
FROM bench.r ORDER BY rma_id;

-- one reservation per line: consumed when it shipped, released when the
-- order was cancelled, active until then
INSERT INTO oms.reservation (reservation_id, line_id, item_id, location_id, qty, state, created_at, closed_at)
OVERRIDING SYSTEM VALUE
SELECT l.line_id, l.line_id, l.item_id, l.location_id, l.qty,
       CASE WHEN o.stage = 'cancelled' THEN 'released' WHEN l.qty_shipped > 0 THEN 'consumed' ELSE 'active' END,
       o.placed_at,
       CASE WHEN o.stage = 'cancelled' THEN o.cancelled_at WHEN l.qty_shipped > 0 THEN o.shipped_at END
FROM bench.l l JOIN bench.o o ON o.order_id = l.order_id
ORDER BY l.line_id;

-- carts in checkout: 300 live holds, a third of them already past their
-- time and not yet released by expire_reservations()
INSERT INTO oms.cart_hold (hold_id, hold_ref, state, expires_at, created_at)
OVERRIDING SYSTEM VALUE
SELECT g, 'cart-' || g, 'active', :'t0'::timestamptz + ((g % 3) * 10 - 5) * interval '1 minute',
       :'t0'::timestamptz - interval '10 minutes'
FROM generate_series(1, 300) g;
INSERT INTO oms.reservation (reservation_id, hold_id, item_id, location_id, qty, state, expires_at, created_at)
OVERRIDING SYSTEM VALUE
SELECT (SELECT max(line_id) FROM bench.l) + g, g, 1 + (g * 7919) % :items, 1 + g % 5, 1 + g % 2, 'active',
       :'t0'::timestamptz + ((g % 3) * 10 - 5) * interval '1 minute', :'t0'::timestamptz - interval '10 minutes'
FROM generate_series(1, 300) g;

-- the payment ledger: an authorization and its capture per paid order,
-- then the refunds of completed RMAs
INSERT INTO oms.payment (payment_id, order_id, kind, amount, currency, provider, provider_ref,
                         parent_payment_id, created_at)
OVERRIDING SYSTEM VALUE
SELECT o.pay_rank * 2 - 2 + k.n, o.order_id, k.kind, o.total, 'USD', 'stripe',
       CASE k.n WHEN 1 THEN 'pi_' ELSE 'ch_' END || o.order_id,
       CASE k.n WHEN 2 THEN o.pay_rank * 2 - 1 END,
       o.placed_at + k.n * interval '1 minute'
FROM bench.o o
CROSS JOIN (VALUES (1, 'authorization'), (2, 'capture')) k(n, kind)
WHERE o.paid
ORDER BY 1;
INSERT INTO oms.payment (payment_id, order_id, kind, amount, currency, provider_ref,
                         reason, idempotency_key, created_at)
OVERRIDING SYSTEM VALUE
SELECT refund_payment_id, order_id, 'refund', refund, 'USD', rma_number,
       'return ' || rma_number, rma_number || '-refund', completed_at
FROM bench.r WHERE status = 'completed' ORDER BY refund_payment_id;

-- ---------------------------------------------------------------------------
-- Inventory: levels, the ledger with running balances, reorder rules,
-- forecasts
-- ---------------------------------------------------------------------------
-- the movements after the opening receipt, in time order
CREATE UNLOGGED TABLE bench.m AS
SELECT * FROM (
    SELECT sl.item_id, s.location_id, 'shipment' AS kind, -sum(sl.qty) AS on_hand_delta, 0 AS damaged_delta,
           NULL::text AS reason, s.shipment_number AS reference, s.shipped_at AS created_at
    FROM bench.s s JOIN oms.shipment_line sl ON sl.shipment_id = s.shipment_id
    WHERE s.level >= 4
    GROUP BY s.shipment_id, s.shipment_number, s.location_id, s.shipped_at, sl.item_id
    UNION ALL
    SELECT item_id, location_id, CASE WHEN damaged THEN 'return_damaged' ELSE 'return_restock' END,
           CASE WHEN damaged THEN 0 ELSE 1 END, CASE WHEN damaged THEN 1 ELSE 0 END,
           'return ' || rma_number, rma_number, received_at
    FROM bench.r WHERE received_at IS NOT NULL
) m;

-- per level: what left, what came back, what is reserved now, and what is
-- left on the shelf (5% of the levels nearly empty)
CREATE UNLOGGED TABLE bench.v AS
WITH mv AS (
    SELECT item_id, location_id,
           sum(on_hand_delta) AS on_hand_delta, sum(damaged_delta) AS damaged,
           -sum(on_hand_delta) FILTER (WHERE kind = 'shipment') AS shipped
    FROM bench.m GROUP BY item_id, location_id
), rv AS (
    SELECT item_id, location_id, sum(qty) AS reserved
    FROM oms.reservation WHERE state = 'active' GROUP BY item_id, location_id
), raw AS (
    SELECT i.item_id, loc.location_id, random() AS r_left, random() AS r_rule
    FROM oms.item i CROSS JOIN oms.location loc
)
SELECT raw.item_id, raw.location_id,
       COALESCE(mv.on_hand_delta, 0) AS on_hand_delta, COALESCE(mv.damaged, 0) AS damaged,
       COALESCE(mv.shipped, 0) AS shipped, COALESCE(rv.reserved, 0) AS reserved,
       -- the opening receipt: what shipped, what is reserved and what is left
       COALESCE(mv.shipped, 0) + COALESCE(rv.reserved, 0) + 1
       + CASE WHEN r_left < 0.05 THEN floor(r_left * 100)::bigint ELSE 20 + floor(r_left * 400)::bigint END AS receipt,
       r_rule < 0.6 AS has_rule, 10 + floor(r_rule * 40)::bigint AS reorder_point
FROM raw
LEFT JOIN mv ON mv.item_id = raw.item_id AND mv.location_id = raw.location_id
LEFT JOIN rv ON rv.item_id = raw.item_id AND rv.location_id = raw.location_id;

INSERT INTO oms.inventory_level (item_id, location_id, on_hand, reserved, safety_stock, damaged, incoming,
                                 updated_at, reorder_point)
SELECT item_id, location_id, receipt + on_hand_delta, reserved, 0, damaged, 0,
       :'t0'::timestamptz - interval '1 hour', CASE WHEN has_rule THEN reorder_point END
FROM bench.v ORDER BY item_id, location_id;

INSERT INTO oms.inventory_movement (movement_id, item_id, location_id, kind, on_hand_delta, damaged_delta,
                                    on_hand_after, damaged_after, reason, reference, created_at)
OVERRIDING SYSTEM VALUE
SELECT seq, item_id, location_id, kind, on_hand_delta, damaged_delta,
       sum(on_hand_delta) OVER w, sum(damaged_delta) OVER w, reason, reference, created_at
FROM (
    SELECT row_number() OVER (ORDER BY created_at, item_id, location_id) AS seq, *
    FROM (SELECT item_id, location_id, 'receipt' AS kind, receipt AS on_hand_delta, 0 AS damaged_delta,
                 NULL::text AS reason, 'OPENING' AS reference, :'t0'::timestamptz - interval '366 days' AS created_at
          FROM bench.v
          UNION ALL
          SELECT item_id, location_id, kind, on_hand_delta, damaged_delta, reason, reference, created_at
          FROM bench.m) x
) y
WINDOW w AS (PARTITION BY item_id, location_id ORDER BY seq)
ORDER BY seq;

INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, max_level, order_multiple,
                              min_order_qty, updated_at)
SELECT item_id, location_id, 1 + item_id % 20, reorder_point, reorder_point + 100, 6, 12,
       :'t0'::timestamptz - interval '100 days'
FROM bench.v WHERE has_rule ORDER BY item_id, location_id;

INSERT INTO oms.demand_forecast (item_id, location_id, daily_demand, sigma, dow_factors, history_days,
                                 source, computed_at)
SELECT item_id, location_id, shipped / 365.0, sqrt(shipped / 365.0), NULL, 365, 'shipped',
       :'t0'::timestamptz - interval '2 hours'
FROM bench.v WHERE shipped > 0 ORDER BY item_id, location_id;

-- ---------------------------------------------------------------------------
-- Sequences: the next row of each table gets the next number
-- ---------------------------------------------------------------------------
SELECT setval(pg_get_serial_sequence('oms.sales_order', 'order_id'), (SELECT max(order_id) FROM oms.sales_order)),
       setval(pg_get_serial_sequence('oms.order_line', 'line_id'), (SELECT max(line_id) FROM oms.order_line)),
       setval(pg_get_serial_sequence('oms.shipment', 'shipment_id'), (SELECT max(shipment_id) FROM oms.shipment)),
       setval(pg_get_serial_sequence('oms.return_authorization', 'rma_id'), (SELECT max(rma_id) FROM oms.return_authorization)),
       setval(pg_get_serial_sequence('oms.reservation', 'reservation_id'), (SELECT max(reservation_id) FROM oms.reservation)),
       setval(pg_get_serial_sequence('oms.cart_hold', 'hold_id'), (SELECT max(hold_id) FROM oms.cart_hold)),
       setval(pg_get_serial_sequence('oms.payment', 'payment_id'), (SELECT max(payment_id) FROM oms.payment)),
       setval(pg_get_serial_sequence('oms.inventory_movement', 'movement_id'), (SELECT max(movement_id) FROM oms.inventory_movement)),
       setval('oms.order_number_seq', (SELECT max(order_id) FROM oms.sales_order)),
       setval('oms.shipment_number_seq', (SELECT max(shipment_id) FROM oms.shipment)),
       setval('oms.rma_number_seq', (SELECT max(rma_id) FROM oms.return_authorization));
