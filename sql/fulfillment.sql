-- fulfillment: shipments, split and partial shipping, carriers, delivery,
-- lost and re-shipped, returned to sender, the tracking views
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
CREATE FUNCTION pg_temp.levels() RETURNS TABLE (sku text, location text, on_hand bigint, reserved bigint, available bigint)
LANGUAGE sql AS $$
    SELECT sku, location, on_hand, reserved, available FROM oms.inventory_position ORDER BY 1, 2
$$;
-- an order's lines with their quantities
CREATE FUNCTION pg_temp.lines(o bigint) RETURNS TABLE (line_no int, sku text, ordered bigint, reserved bigint, backordered bigint, shipped bigint, delivered bigint, cancelled bigint)
LANGUAGE sql AS $$
    SELECT l.line_no, i.sku, l.qty_ordered, l.qty_reserved, l.qty_backordered, l.qty_shipped, l.qty_delivered, l.qty_cancelled
    FROM oms.order_line l JOIN oms.item i USING (item_id)
    WHERE l.order_id = o ORDER BY l.line_no
$$;
-- an order's shipments with their lines
CREATE FUNCTION pg_temp.shipments(o bigint) RETURNS TABLE (shipment text, location text, status text, carrier text, tracking text, replaces text, lines text)
LANGUAGE sql AS $$
    SELECT s.shipment_number, loc.code, s.status, c.code, s.tracking_number, r.shipment_number,
           (SELECT string_agg(i.sku || ' x' || sl.qty, ', ' ORDER BY i.sku) FROM oms.shipment_line sl
            JOIN oms.item i ON i.item_id = sl.item_id WHERE sl.shipment_id = s.shipment_id)
    FROM oms.shipment s JOIN oms.location loc USING (location_id)
    LEFT JOIN oms.carrier c USING (carrier_id)
    LEFT JOIN oms.shipment r ON r.shipment_id = s.replaces_shipment_id
    WHERE s.order_id = o ORDER BY s.shipment_id
$$;
CREATE FUNCTION pg_temp.status(o bigint) RETURNS TABLE (status text, fulfillment_status text)
LANGUAGE sql AS $$ SELECT status, fulfillment_status FROM oms.sales_order WHERE order_id = o $$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10), ('WEST', 'West DC', 20);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TEE', 'Tee', 'deny'), ('MUG', 'Mug', 'allow'), ('CAP', 'Cap', 'deny');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit: tee + 2 mugs', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, v.q FROM (VALUES ('TEE', 1), ('MUG', 2)) v(sku, q)
JOIN oms.item c ON c.sku = v.sku, oms.item b WHERE b.sku = 'KIT';
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name, tracking_url) VALUES
    ('UPS', 'UPS', 'https://www.ups.com/track?tracknum={tracking_number}'),
    ('DHL', 'DHL Express', NULL);
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT c.carrier_id, v.level, v.days, v.business FROM oms.carrier c JOIN (VALUES
    ('UPS', 'ground', 3, true), ('UPS', 'express', 1, true), ('UPS', 'same_day', 0, true),
    ('DHL', 'air', 2, false)) v(code, level, days, business) ON v.code = c.code;
SELECT oms.receive_stock('TEE', 'EAST', 3) > 0, oms.receive_stock('TEE', 'WEST', 10) > 0,
       oms.receive_stock('MUG', 'WEST', 10) > 0, oms.receive_stock('CAP', 'EAST', 4) > 0;

-- ---------------------------------------------------------------------------
-- the transit-time arithmetic: business days skip the weekend
-- ---------------------------------------------------------------------------
SELECT d AS shipped, oms.add_transit_days(d, 1, true) AS express, oms.add_transit_days(d, 3, true) AS ground,
       oms.add_transit_days(d, 0, true) AS same_day, oms.add_transit_days(d, 2, false) AS calendar
FROM (VALUES (date '2026-11-20'), (date '2026-11-21'), (date '2026-11-23')) v(d);

-- ---------------------------------------------------------------------------
-- a single shipment: create, pick, pack, ship, deliver; the order completes
-- ---------------------------------------------------------------------------
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "CAP", "qty": 2, "unit_price": 12}]',
    '{"confirm": true, "service_level": "express"}') AS o1 \gset
SELECT oms.create_shipment(:o1, 'EAST') AS s1 \gset
SELECT * FROM pg_temp.shipments(:o1);
SELECT * FROM pg_temp.status(:o1);
SELECT service_level FROM oms.shipment WHERE shipment_id = :s1;
SELECT sku, name, qty, shipments, orders FROM oms.pick_list('EAST', true);
SELECT status FROM oms.shipment WHERE shipment_id = :s1;
SELECT oms.advance_shipment(:s1, 'packed');
SELECT oms.ship(:s1, 'UPS', '1Z0001') = oms.add_transit_days(current_date, 1, true) AS eta_is_one_business_day;
SELECT * FROM pg_temp.lines(:o1);
SELECT * FROM pg_temp.status(:o1);
-- reserved and on_hand went down together, through one shipment movement
SELECT * FROM pg_temp.levels() WHERE sku = 'CAP';
SELECT kind, on_hand_delta, on_hand_after, reference FROM oms.inventory_movement
WHERE kind = 'shipment' ORDER BY movement_id;
SELECT state, qty FROM oms.reservation r JOIN oms.order_line l USING (line_id) WHERE l.order_id = :o1;
-- the shipped event carries carrier, tracking number and ETA
SELECT topic, payload->>'carrier' AS carrier, payload->>'tracking_number' AS tracking,
       payload->>'service_level' AS level, (payload->>'estimated_delivery')::date = oms.add_transit_days(current_date, 1, true) AS eta_ok,
       payload->>'order_number' AS order_number
FROM oms.event WHERE topic = 'shipment.shipped';
SELECT oms.advance_shipment(:s1, 'in_transit');
SELECT oms.deliver(:s1, now());
SELECT * FROM pg_temp.status(:o1);
SELECT * FROM pg_temp.lines(:o1);
SELECT topic, payload ? 'delivered_at' AS has_delivered_at FROM oms.event WHERE topic = 'shipment.delivered';
-- a delivered shipment moves no further
SELECT pg_temp.try(format('SELECT oms.deliver(%s)', :s1));
SELECT pg_temp.try(format('SELECT oms.advance_shipment(%s, %L)', :s1, 'lost'));

-- ---------------------------------------------------------------------------
-- a split order: two locations, two shipments; partial shipping of a line
-- ---------------------------------------------------------------------------
SELECT oms.place_order('bob@example.com', 'web',
    '[{"sku": "TEE", "qty": 5, "unit_price": 20}, {"sku": "MUG", "qty": 4, "unit_price": 8}]',
    '{"confirm": true}') AS o2 \gset
SELECT string_agg(l.code || ':' || r.qty, ' ' ORDER BY l.code, r.qty) AS reserved_at
FROM oms.reservation r JOIN oms.location l USING (location_id) JOIN oms.order_line ol USING (line_id)
WHERE ol.order_id = :o2 AND r.state = 'active';
-- part of the WEST units first: 1 tee and 3 mugs
SELECT oms.create_shipment(:o2, 'WEST', '[{"sku": "TEE", "qty": 1}, {"sku": "MUG", "qty": 3}]',
    '{"carrier": "DHL", "service_level": "air"}') AS s2 \gset
-- over-shipping is refused, naming sku, location and what is there
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'WEST', '[{"sku": "TEE", "qty": 2}]')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST', '[{"sku": "TEE", "qty": 4}]')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST', '[{"sku": "CAP", "qty": 1}]')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST', '[{"sku": "MUG", "qty": 1}]')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'NORTH')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST', NULL, '{"carrier": "FEDEX"}')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST', NULL, '{"carrier": "DHL", "service_level": "ground"}')$$, :o2));
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'EAST', NULL, '{"service_level": "teleport"}')$$, :o2));
SELECT pg_temp.try('SELECT oms.create_shipment(424242, ''EAST'')');
-- the rest, one shipment per location
SELECT count(*) AS created FROM oms.create_shipments(:o2);
SELECT * FROM pg_temp.shipments(:o2);
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'WEST')$$, :o2));
-- the pick list of WEST: per sku, sorted, with the shipments and orders
SELECT sku, name, qty, shipments, orders FROM oms.pick_list('WEST');
SELECT pg_temp.try($$SELECT * FROM oms.pick_list('NORTH')$$);
-- the queue: what each location still has to ship
SELECT location, order_number, units_reserved, units_in_shipments, units_to_ship, open_shipments
FROM oms.fulfillment_queue WHERE order_id = :o2 ORDER BY location;
-- ship the first WEST parcel: the order is partially shipped
SELECT oms.ship(:s2, NULL, 'JD0002') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.lines(:o2);
SELECT * FROM pg_temp.status(:o2);
-- tracking numbers are unique per carrier, free across carriers
SELECT min(shipment_id) AS s3 FROM oms.shipment WHERE order_id = :o2 AND status = 'pending' AND location_id = (SELECT location_id FROM oms.location WHERE code = 'EAST') \gset
SELECT max(shipment_id) AS s4 FROM oms.shipment WHERE order_id = :o2 AND status = 'pending' AND location_id = (SELECT location_id FROM oms.location WHERE code = 'WEST') \gset
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'DHL', 'JD0002')$$, :s3));
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'DHL', 'JD0002', 'air')$$, :s3));
SELECT pg_temp.try(format($$SELECT oms.ship(%s, NULL, '1Z0003')$$, :s3));
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', '')$$, :s3));
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', 'bad/number')$$, :s3));
SELECT pg_temp.try(format($$SELECT oms.advance_shipment(%s, 'shipped')$$, :s3));
SELECT pg_temp.try(format($$SELECT oms.advance_shipment(%s, 'in_transit')$$, :s3));
SELECT pg_temp.try('SELECT oms.ship(424242, ''UPS'', ''X1'')');
SELECT oms.ship(:s3, 'UPS', 'JD0002') IS NOT NULL AS shipped;
SELECT oms.ship(:s4, 'UPS', '1Z0004') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.lines(:o2);
SELECT * FROM pg_temp.status(:o2);
SELECT oms.deliver(:s3);
SELECT * FROM pg_temp.status(:o2);
SELECT oms.deliver(:s2), oms.deliver(:s4);
SELECT * FROM pg_temp.status(:o2);

-- ---------------------------------------------------------------------------
-- bundles ship their components in proportion
-- ---------------------------------------------------------------------------
SELECT oms.place_order('kit@example.com', 'web', '[{"sku": "KIT", "qty": 2, "unit_price": 30}]',
    '{"confirm": true}') AS o6 \gset
SELECT oms.create_shipment(:o6, 'WEST', '[{"sku": "KIT", "qty": 1}]') AS s6 \gset
SELECT * FROM pg_temp.shipments(:o6);
SELECT oms.ship(:s6, 'UPS', '1Z0006') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.lines(:o6);
SELECT * FROM pg_temp.status(:o6);

-- ---------------------------------------------------------------------------
-- what may not ship: unpaid, unconfirmed, on hold
-- ---------------------------------------------------------------------------
SELECT oms.place_order('cy@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": 20}]',
    '{"payment_required": "captured"}') AS o3 \gset
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'WEST')$$, :o3));
SELECT oms.confirm_order(:o3);
SELECT pg_temp.try(format($$SELECT oms.create_shipment(%s, 'WEST')$$, :o3));
SELECT count(*) AS not_queued FROM oms.fulfillment_queue WHERE order_id = :o3;
-- once the payment is captured (a direct sale of the order total: paid) it ships
SELECT oms.record_payment(:o3, 'capture', 20) > 0 AS captured;
SELECT payment_status FROM oms.sales_order WHERE order_id = :o3;
SELECT oms.create_shipment(:o3, 'WEST') AS s5 \gset
-- a hold stops a created shipment from leaving
SELECT oms.hold_order(:o3, 'address check');
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', '1Z0005')$$, :s5));
SELECT oms.release_order(:o3);
SELECT oms.ship(:s5, 'UPS', '1Z0005') IS NOT NULL AS shipped;
SELECT * FROM pg_temp.status(:o3);

-- ---------------------------------------------------------------------------
-- a shipment and cancellation: shipped or in-shipment units cannot be cancelled
-- ---------------------------------------------------------------------------
SELECT oms.place_order('dee@example.com', 'web', '[{"sku": "TEE", "qty": 3, "unit_price": 20}]',
    '{"confirm": true}') AS o4 \gset
SELECT oms.create_shipment(:o4, 'WEST', '[{"sku": "TEE", "qty": 2}]') AS s7 \gset
SELECT pg_temp.try(format($$SELECT oms.cancel_order(%s, '[{"sku": "TEE", "qty": 2}]')$$, :o4));
SELECT pg_temp.try(format($$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 0}]')$$, :o4));
SELECT oms.cancel_order(:o4, '[{"sku": "TEE", "qty": 1}]') AS cancelled;
SELECT * FROM pg_temp.lines(:o4);
-- cancelling the shipment gives its units back to the order, still reserved
SELECT oms.advance_shipment(:s7, 'cancelled', 'customer changed address');
SELECT oms.cancel_order(:o4, '[{"sku": "TEE", "qty": 1}]') AS cancelled;
SELECT oms.create_shipment(:o4, 'WEST') AS s8 \gset
-- cancelling the whole order cancels its open shipment too
SELECT oms.cancel_order(:o4, NULL, 'fraud');
SELECT * FROM pg_temp.shipments(:o4);
SELECT * FROM pg_temp.status(:o4);
SELECT * FROM pg_temp.lines(:o4);
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', '1Z0008')$$, :s8));

-- ---------------------------------------------------------------------------
-- lost and re-shipped
-- ---------------------------------------------------------------------------
SELECT oms.place_order('eve@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": 20}]',
    '{"confirm": true}') AS o5 \gset
SELECT oms.create_shipment(:o5, 'WEST') AS s9 \gset
SELECT pg_temp.try(format('SELECT oms.reship(%s)', :s9));
SELECT oms.ship(:s9, 'UPS', '1Z0009') IS NOT NULL AS shipped;
SELECT oms.advance_shipment(:s9, 'lost', 'carrier lost it');
SELECT * FROM pg_temp.levels() WHERE sku = 'TEE';
SELECT pg_temp.try(format($$SELECT oms.reship(%s, 'EAST')$$, :s9));
SELECT oms.reship(:s9) AS s10 \gset
SELECT * FROM pg_temp.shipments(:o5);
SELECT * FROM pg_temp.lines(:o5);
SELECT * FROM pg_temp.status(:o5);
SELECT * FROM pg_temp.levels() WHERE sku = 'TEE';
SELECT pg_temp.try(format('SELECT oms.reship(%s)', :s9));
SELECT topic, payload->>'replacement' = (SELECT shipment_number FROM oms.shipment WHERE shipment_id = :s10) AS links
FROM oms.event WHERE topic = 'shipment.reshipped';
SELECT oms.ship(:s10, 'UPS', '1Z0010') IS NOT NULL AS shipped;
SELECT oms.deliver(:s10);
SELECT * FROM pg_temp.status(:o5);

-- ---------------------------------------------------------------------------
-- returned to sender: the units restock through the ledger
-- ---------------------------------------------------------------------------
SELECT oms.place_order('fay@example.com', 'web', '[{"sku": "CAP", "qty": 2, "unit_price": 12}]',
    '{"confirm": true}') AS o7 \gset
SELECT oms.create_shipment(:o7, 'EAST') AS s11 \gset
SELECT pg_temp.try(format('SELECT oms.return_to_sender(%s)', :s11));
SELECT oms.ship(:s11, 'UPS', '1Z0011') IS NOT NULL AS shipped;
SELECT pg_temp.try(format($$SELECT oms.return_to_sender(%s, 'refund')$$, :s11));
SELECT * FROM pg_temp.levels() WHERE sku = 'CAP';
SELECT oms.return_to_sender(:s11, 'cancel', 'address unknown');
SELECT * FROM pg_temp.levels() WHERE sku = 'CAP';
SELECT kind, on_hand_delta, reason, reference FROM oms.inventory_movement
WHERE kind = 'return_restock' ORDER BY movement_id;
SELECT * FROM pg_temp.lines(:o7);
SELECT * FROM pg_temp.status(:o7);
SELECT subtotal FROM oms.sales_order WHERE order_id = :o7;
-- returned to sender and shipped again: the units wait on the line and are reserved when they land
SELECT oms.place_order('gus@example.com', 'web', '[{"sku": "CAP", "qty": 1, "unit_price": 12}]',
    '{"confirm": true}') AS o8 \gset
SELECT oms.create_shipment(:o8, 'EAST') AS s12 \gset
SELECT oms.ship(:s12, 'UPS', '1Z0012') IS NOT NULL AS shipped;
SELECT oms.return_to_sender(:s12, 'reship');
SELECT * FROM pg_temp.lines(:o8);
SELECT * FROM pg_temp.status(:o8);
SELECT oms.create_shipment(:o8, 'EAST') IS NOT NULL AS created_again;

-- ---------------------------------------------------------------------------
-- the views
-- ---------------------------------------------------------------------------
SELECT order_number, customer, channel, status, payment_status, fulfillment_status,
       units_ordered, units_cancelled, units_shipped, units_delivered, units_outstanding, last_event
FROM oms.order_tracking ORDER BY order_id;
SELECT k AS shipment_keys FROM oms.order_tracking t, jsonb_object_keys(t.shipments->0) k WHERE t.order_id = :o1 ORDER BY k;
SELECT s->>'shipment_number' AS shipment, s->>'location' AS location, s->>'status' AS status,
       s->>'carrier' AS carrier, s->>'tracking_number' AS tracking, s->>'tracking_url' AS url,
       s->>'units' AS units, (s->>'estimated_delivery') IS NOT NULL AS has_eta, s->>'replaces' AS replaces
FROM oms.order_tracking t, jsonb_array_elements(t.shipments) s
WHERE t.order_id IN (:o2, :o5) ORDER BY t.order_id, s->>'shipment_number';
SELECT source, entity, entity_ref ~ '^(SO|SH)-\d{6}$' AS ref_ok, what, from_status, to_status, reason
FROM oms.order_timeline WHERE order_id = :o5 ORDER BY at, seq, source;
-- the fulfillment queue: oldest promise first
SELECT location, order_number, status, units_reserved, units_in_shipments, units_to_ship
FROM oms.fulfillment_queue ORDER BY location, promised_at NULLS LAST, placed_at;
-- the reader role sees the views, the app role may not write shipments directly
SET ROLE oms_reader;
SELECT count(*) > 0 AS reader_sees FROM oms.order_tracking;
SELECT count(*) > 0 AS reader_sees FROM oms.order_timeline;
RESET ROLE;
SET ROLE oms_app;
SELECT pg_temp.try(format($$UPDATE oms.shipment SET status = 'delivered' WHERE shipment_id = %s$$, :s12));
RESET ROLE;
-- the shipment machine guards direct writes too
SELECT pg_temp.try(format($$UPDATE oms.shipment SET status = 'pending' WHERE shipment_id = %s$$, :s1));

-- ---------------------------------------------------------------------------
-- the order completes however its last open units go: cancelled after a delivery, or a release
-- ---------------------------------------------------------------------------
SELECT oms.receive_stock('MUG', 'WEST', 20) > 0 AS received, oms.receive_stock('TEE', 'WEST', 5) > 0 AS received;
SELECT oms.place_order('ida@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": 20}, {"sku": "MUG", "qty": 1, "unit_price": 8}]',
    '{"confirm": true}') AS o9 \gset
SELECT oms.create_shipment(:o9, 'WEST', '[{"sku": "TEE", "qty": 1}]') AS s13 \gset
SELECT oms.ship(:s13, 'UPS', '1Z0013') IS NOT NULL AS shipped;
SELECT oms.deliver(:s13);
SELECT * FROM pg_temp.status(:o9);
SELECT oms.cancel_order(:o9, '[{"sku": "MUG", "qty": 1}]') AS cancelled;
SELECT * FROM pg_temp.status(:o9);
-- a completed order has nothing left to cancel
SELECT pg_temp.try(format('SELECT oms.cancel_order(%s)', :o9));
SELECT oms.place_order('jo@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]', '{"confirm": true}') AS o10 \gset
SELECT oms.create_shipment(:o10, 'WEST') AS s14 \gset
SELECT oms.ship(:s14, 'UPS', '1Z0014') IS NOT NULL AS shipped;
SELECT oms.hold_order(:o10, 'chargeback review');
SELECT oms.deliver(:s14);
SELECT * FROM pg_temp.status(:o10);
SELECT oms.release_order(:o10);
SELECT * FROM pg_temp.status(:o10);
-- delivery times are real: not in the future, not before the parcel left
SELECT oms.place_order('kay@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]', '{"confirm": true}') AS o11 \gset
SELECT oms.create_shipment(:o11, 'WEST') AS s15 \gset
SELECT oms.ship(:s15, 'UPS', '1Z0015') IS NOT NULL AS shipped;
SELECT regexp_replace(pg_temp.try(format($$SELECT oms.deliver(%s, now() + interval '1 day')$$, :s15)), '\d{4}-\d{2}-\d{2} [0-9:.+-]+', 'TIME', 'g');
SELECT regexp_replace(pg_temp.try(format($$SELECT oms.deliver(%s, now() - interval '1 day')$$, :s15)), '\d{4}-\d{2}-\d{2} [0-9:.+-]+', 'TIME', 'g');
-- create_shipments finds units left over after an edit split the line's reservations
SELECT oms.place_order('lu@example.com', 'web', '[{"sku": "MUG", "qty": 2, "unit_price": 8}]', '{"confirm": true}') AS o12 \gset
SELECT oms.edit_order(:o12, '[{"sku": "MUG", "qty": 5}]') = :o12 AS edited;
SELECT oms.create_shipment(:o12, 'WEST', '[{"sku": "MUG", "qty": 4}]') IS NOT NULL AS four_in_a_box;
SELECT count(*) AS more_shipments FROM oms.create_shipments(:o12);
SELECT * FROM pg_temp.shipments(:o12);
-- a kit returned to sender and cancelled cancels the kit line too: the subtotal drops to 0
SELECT oms.place_order('max@example.com', 'web', '[{"sku": "KIT", "qty": 1, "unit_price": 30}]', '{"confirm": true}') AS o13 \gset
SELECT oms.create_shipment(:o13, 'WEST') AS s16 \gset
SELECT oms.ship(:s16, 'UPS', '1Z0016') IS NOT NULL AS shipped;
SELECT oms.return_to_sender(:s16, 'cancel');
SELECT l.kind, i.sku, l.qty_ordered, l.qty_shipped, l.qty_cancelled FROM oms.order_line l JOIN oms.item i USING (item_id)
WHERE l.order_id = :o13 ORDER BY l.line_no;
SELECT status, subtotal FROM oms.sales_order WHERE order_id = :o13;

SELECT * FROM oms.check_inventory();
