-- reroute: moving an order line's open reservation between locations, and
-- allocating it again with the order's strategy (issue 16, item 5)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
CREATE FUNCTION pg_temp.res(o bigint) RETURNS TABLE (sku text, location text, qty bigint, state text)
LANGUAGE sql AS $$
    SELECT i.sku, loc.code, r.qty, r.state FROM oms.reservation r
    JOIN oms.order_line l USING (line_id) JOIN oms.item i ON i.item_id = l.item_id
    JOIN oms.location loc ON loc.location_id = r.location_id
    WHERE l.order_id = o ORDER BY r.reservation_id
$$;
CREATE FUNCTION pg_temp.levels() RETURNS TABLE (sku text, location text, on_hand bigint, reserved bigint, available bigint)
LANGUAGE sql AS $$
    SELECT sku, location, on_hand, reserved, available FROM oms.inventory_position ORDER BY 1, 2
$$;

INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East DC', 10), ('WEST', 'West DC', 20), ('NORTH', 'North DC', 30);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('TEE', 'Tee', 'deny'), ('MUG', 'Mug', 'allow');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, 1 FROM oms.item b, oms.item c WHERE b.sku = 'KIT' AND c.sku = 'TEE';
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SELECT oms.receive_stock('TEE', 'EAST', 3) > 0, oms.receive_stock('TEE', 'WEST', 2) > 0,
       oms.receive_stock('MUG', 'EAST', 2) > 0, oms.receive_stock('MUG', 'WEST', 1) > 0;

-- ---------------------------------------------------------------------------
-- 1. A warehouse finds a unit damaged: move the reservation, then damage it
-- ---------------------------------------------------------------------------
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "TEE", "qty": 3, "unit_price": "10"}]', '{"confirm": true}') AS o \gset
SELECT line_id AS tee FROM oms.order_line WHERE order_id = :o \gset
SELECT * FROM pg_temp.res(:o);
-- EAST cannot damage a reserved unit (every unit there is promised)
SELECT pg_temp.try($$SELECT oms.damage_stock('TEE', 'EAST', 1, 'crushed')$$);
SELECT oms.reroute_line(:tee, 'EAST', 'WEST', 1) AS moved;
SELECT oms.damage_stock('TEE', 'EAST', 1, 'crushed') > 0 AS damaged;
SELECT * FROM pg_temp.res(:o);
SELECT * FROM pg_temp.levels();
SELECT payload - 'order_number' AS rerouted FROM oms.event WHERE topic = 'order.line_rerouted' ORDER BY event_id;
SELECT l.qty_reserved, l.qty_backordered FROM oms.order_line l WHERE line_id = :tee;

-- ---------------------------------------------------------------------------
-- 2. Every error class
-- ---------------------------------------------------------------------------
-- 22023: NULL or non-positive arguments, the same location twice, a bundle line
SELECT pg_temp.try($$SELECT oms.reroute_line(NULL, 'EAST', 'WEST')$$);
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, NULL, 'WEST')$$, :tee));
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', NULL)$$, :tee));
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'WEST', 0)$$, :tee));
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'EAST')$$, :tee));
SELECT oms.place_order('kit@example.com', 'web', '[{"sku": "KIT", "qty": 1, "unit_price": "30"}]') AS ok \gset
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'WEST')$$,
                          (SELECT line_id FROM oms.order_line WHERE order_id = :ok AND kind = 'bundle')));
SELECT pg_temp.try(format($$SELECT oms.reallocate_line(%s)$$,
                          (SELECT line_id FROM oms.order_line WHERE order_id = :ok AND kind = 'bundle')));
SELECT pg_temp.try($$SELECT oms.reallocate_line(NULL)$$);
-- OM003: unknown line or location
SELECT pg_temp.try($$SELECT oms.reroute_line(999999, 'EAST', 'WEST')$$);
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'NOPE', 'WEST')$$, :tee));
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'NOPE')$$, :tee));
SELECT pg_temp.try($$SELECT oms.reallocate_line(999999)$$);
-- OM005: more than the line holds at the location outside shipments, or nothing there
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'NORTH', 5)$$, :tee));
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'NORTH', 'EAST')$$, :tee));
-- units in an open shipment stay: WEST's one unit goes into a pending shipment
SELECT oms.create_shipment(:o, 'WEST', '[{"sku": "TEE", "qty": 1}]') AS s \gset
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'WEST', 'EAST', 2)$$, :tee));
-- OM001: the target has too few available (NORTH holds no TEE; an inactive location has none)
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'NORTH')$$, :tee));
SELECT oms.receive_stock('TEE', 'NORTH', 5) > 0 AS received;
UPDATE oms.location SET active = false WHERE code = 'NORTH';
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'NORTH')$$, :tee));
UPDATE oms.location SET active = true WHERE code = 'NORTH';
-- safety stock counts as not available
SELECT oms.set_safety_stock('TEE', 'NORTH', 5);
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'NORTH')$$, :tee));
SELECT oms.set_safety_stock('TEE', 'NORTH', 0);
-- OM006: an order that can no longer change
SELECT oms.place_order('bob@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": "5"}]') AS oc \gset
SELECT oms.cancel_order(:oc);
SELECT pg_temp.try(format($$SELECT oms.reroute_line(%s, 'EAST', 'WEST')$$, (SELECT line_id FROM oms.order_line WHERE order_id = :oc)));
SELECT pg_temp.try(format($$SELECT oms.reallocate_line(%s)$$, (SELECT line_id FROM oms.order_line WHERE order_id = :oc)));
-- nothing moved
SELECT * FROM pg_temp.res(:o);

-- ---------------------------------------------------------------------------
-- 3. qty NULL moves every open unit there; the shipment keeps its unit
-- ---------------------------------------------------------------------------
SELECT oms.reroute_line(:tee, 'EAST', 'NORTH') AS moved;
SELECT * FROM pg_temp.res(:o) WHERE state = 'active';
-- the pending WEST shipment still ships from what WEST holds for it
SELECT oms.ship(:s, 'UPS', 'T-1') IS NOT NULL AS shipped;

-- ---------------------------------------------------------------------------
-- 4. reallocate_line: give back and allocate again with the order's strategy
-- ---------------------------------------------------------------------------
-- EAST (priority 10) has 2 available again: the 2 units at NORTH (30) go back there
SELECT * FROM pg_temp.levels();
SELECT oms.reallocate_line(:tee) AS now_reserved;
SELECT * FROM pg_temp.res(:o) WHERE state = 'active';
SELECT payload - 'order_number' AS reallocated FROM oms.event WHERE topic = 'order.line_reallocated' ORDER BY event_id;
-- an allow-policy line that finds less stock than it held backorders the rest
SELECT oms.place_order('cat@example.com', 'web', '[{"sku": "MUG", "qty": 3, "unit_price": "5"}]') AS om \gset
SELECT line_id AS mug FROM oms.order_line WHERE order_id = :om \gset
SELECT * FROM pg_temp.res(:om);
UPDATE oms.location SET active = false WHERE code = 'WEST';
SELECT oms.reallocate_line(:mug) AS now_reserved;
SELECT qty_reserved, qty_backordered FROM oms.order_line WHERE line_id = :mug;
-- a deny-policy line: OM001 and nothing changes
SELECT oms.place_order('dan@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "10"}]', '{"strategy": "priority"}') AS od \gset
SELECT * FROM pg_temp.res(:od);
UPDATE oms.location SET active = false WHERE code IN ('EAST', 'NORTH');
SELECT pg_temp.try(format($$SELECT oms.reallocate_line(%s)$$, (SELECT line_id FROM oms.order_line WHERE order_id = :od)));
UPDATE oms.location SET active = true;
SELECT * FROM pg_temp.res(:od);

SELECT * FROM oms.check_inventory();
SELECT * FROM oms.check_reservations();
