-- orders: capture, reservation, routing, backorders, cart holds, cancel, edit
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- the levels, compactly
CREATE FUNCTION pg_temp.levels() RETURNS TABLE (sku text, location text, on_hand bigint, reserved bigint, available bigint)
LANGUAGE sql AS $$
    SELECT sku, location, on_hand, reserved, available FROM oms.inventory_position ORDER BY 1, 2
$$;
-- an order's lines, compactly
CREATE FUNCTION pg_temp.lines(o bigint) RETURNS TABLE (line_no int, sku text, kind text, ordered bigint, reserved bigint, backordered bigint, cancelled bigint, unit_price numeric, allocated text)
LANGUAGE sql AS $$
    SELECT l.line_no, i.sku, l.kind, l.qty_ordered, l.qty_reserved, l.qty_backordered, l.qty_cancelled, l.unit_price,
           (SELECT string_agg(loc.code || ':' || r.qty, ' ' ORDER BY loc.code)
            FROM oms.reservation r JOIN oms.location loc USING (location_id)
            WHERE r.line_id = l.line_id AND r.state = 'active')
    FROM oms.order_line l JOIN oms.item i USING (item_id)
    WHERE l.order_id = o ORDER BY l.line_no
$$;

INSERT INTO oms.location (code, name, priority, region, latitude, longitude) VALUES
    ('EAST', 'East DC', 10, 'US-NJ', 40.73, -74.17),
    ('WEST', 'West DC', 20, 'US-NV', 39.53, -119.81),
    ('STORE', 'Store', 30, 'US-NY', 40.72, -74.00);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TEE', 'Tee', 'deny'), ('MUG', 'Mug', 'allow'), ('CAP', 'Cap', 'deny'), ('BOOK', 'Book', 'preorder');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit: tee + 2 mugs', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, v.q FROM (VALUES ('TEE', 1), ('MUG', 2)) v(sku, q)
JOIN oms.item c ON c.sku = v.sku, oms.item b WHERE b.sku = 'KIT';
INSERT INTO oms.channel (code, name, kind) VALUES ('web', 'Web shop', 'web'), ('amazon', 'Amazon', 'marketplace');

SELECT oms.receive_stock('TEE', 'EAST', 5) > 0, oms.receive_stock('TEE', 'WEST', 10) > 0,
       oms.receive_stock('MUG', 'WEST', 4) > 0, oms.receive_stock('CAP', 'EAST', 2) > 0,
       oms.receive_stock('CAP', 'WEST', 2) > 0, oms.receive_stock('CAP', 'STORE', 3) > 0;

-- ---------------------------------------------------------------------------
-- capture: totals, priority routing with a split, customers created on first order
-- ---------------------------------------------------------------------------
SELECT oms.place_order('ann@example.com', 'web',
    '[{"sku": "TEE", "qty": 7, "unit_price": "19.90"}, {"sku": "CAP", "qty": 1, "unit_price": 12}]',
    '{"ship_to": {"name": "Ann", "line1": "1 Main St", "city": "Newark", "postal_code": "07102", "country": "US"},
      "tax": "3.10", "shipping": "4.99", "customer_name": "Ann Lee", "channel_order_ref": "W-1001"}') AS o1 \gset
SELECT order_number, status, order_type, currency, subtotal, tax, shipping, total, service_level, allocation_strategy
FROM oms.sales_order WHERE order_id = :o1;
SELECT * FROM pg_temp.lines(:o1);
SELECT email, name FROM oms.customer;
-- the same channel reference again returns the first order and changes nothing
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "TEE", "qty": 1}]',
    '{"channel_order_ref": "W-1001"}') = :o1 AS same_order;
SELECT count(*) AS orders FROM oms.sales_order;
SELECT * FROM pg_temp.levels();

-- ---------------------------------------------------------------------------
-- backorder policies
-- ---------------------------------------------------------------------------
-- deny: short of stock fails the whole order, naming sku, wanted and available
SELECT pg_temp.try($$SELECT oms.place_order('bob@example.com', 'web', '[{"sku": "MUG", "qty": 1}, {"sku": "TEE", "qty": 9}]')$$);
SELECT count(*) AS orders FROM oms.sales_order;
-- allow: the shortfall is backordered on the line
SELECT oms.place_order('bob@example.com', 'web', '[{"sku": "MUG", "qty": 6, "unit_price": "8"}]') AS o2 \gset
SELECT order_type FROM oms.sales_order WHERE order_id = :o2;
SELECT * FROM pg_temp.lines(:o2);
-- preorder: sold before any stock exists
SELECT oms.place_order('cy@example.com', 'web', '[{"sku": "BOOK", "qty": 2, "unit_price": "30"}]') AS o3 \gset
SELECT order_type FROM oms.sales_order WHERE order_id = :o3;
SELECT * FROM pg_temp.lines(:o3);

-- stock arrives: backorders fill oldest order first, at the receiving location
SELECT oms.place_order('dee@example.com', 'web', '[{"sku": "MUG", "qty": 1}]') AS o4 \gset
SELECT oms.receive_stock('MUG', 'EAST', 2) > 0 AS received;
SELECT * FROM pg_temp.lines(:o2);
SELECT * FROM pg_temp.lines(:o4);
SELECT oms.transfer_stock('TEE', 'WEST', 'STORE', 1) > 0 AS transferred;  -- no MUG backorders touched
SELECT oms.receive_stock('MUG', 'STORE', 5) > 0 AS received;
SELECT * FROM pg_temp.lines(:o4);
SELECT oms.receive_stock('BOOK', 'WEST', 1) > 0 AS received;
SELECT * FROM pg_temp.lines(:o3);
SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- bundles expand into components; duplicates merge when prices agree
-- ---------------------------------------------------------------------------
SELECT oms.place_order('eve@example.com', 'web',
    '[{"sku": "KIT", "qty": 1, "unit_price": "39"}, {"sku": "TEE", "qty": 1, "unit_price": "19.90"}, {"sku": "TEE", "qty": 1, "unit_price": "19.90"}]') AS o5 \gset
SELECT * FROM pg_temp.lines(:o5);
SELECT subtotal FROM oms.sales_order WHERE order_id = :o5;
SELECT pg_temp.try($$SELECT oms.place_order('eve@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "1"}, {"sku": "TEE", "qty": 1, "unit_price": "2"}]')$$);

-- ---------------------------------------------------------------------------
-- routing strategies
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.levels() WHERE sku = 'CAP';
-- fewest shipments: CAP x3 fits only at STORE, though EAST has a better priority
SELECT oms.place_order('fay@example.com', 'web', '[{"sku": "CAP", "qty": 3}]', '{"strategy": "fewest_shipments"}') AS o6 \gset
SELECT * FROM pg_temp.lines(:o6);
SELECT oms.cancel_order(:o6) AS cancelled_units;
-- priority with splitting off: one location must fill the line
SELECT oms.place_order('fay@example.com', 'web', '[{"sku": "CAP", "qty": 2}]', '{"allow_split": false}') AS o7 \gset
SELECT * FROM pg_temp.lines(:o7);
SELECT oms.cancel_order(:o7) AS cancelled_units;
-- nearest: a west-coast address by coordinates, then by region
SELECT oms.place_order('gus@example.com', 'web', '[{"sku": "CAP", "qty": 1}]',
    '{"strategy": "nearest", "ship_to": {"name": "Gus", "line1": "2 Pine", "city": "Sparks", "postal_code": "89431", "country": "US", "latitude": 39.5, "longitude": -119.7}}') AS o8 \gset
SELECT * FROM pg_temp.lines(:o8);
SELECT oms.place_order('gus@example.com', 'web', '[{"sku": "CAP", "qty": 1}]',
    '{"strategy": "nearest", "ship_to": {"name": "Gus", "line1": "2 Pine", "city": "NYC", "postal_code": "10001", "country": "US", "region": "US-NY"}}') AS o9 \gset
SELECT * FROM pg_temp.lines(:o9);
-- the setting chooses the default
SET oms.allocation_strategy = 'fewest_shipments';
SHOW oms.allocation_strategy;
RESET oms.allocation_strategy;
-- splitting off and no single location can fill it: deny fails, naming why
SELECT pg_temp.try($$SELECT oms.place_order('gus@example.com', 'web', '[{"sku": "CAP", "qty": 4}]', '{"allow_split": false}')$$);

-- ---------------------------------------------------------------------------
-- idempotency
-- ---------------------------------------------------------------------------
SELECT oms.place_order('hal@example.com', 'amazon', '[{"sku": "TEE", "qty": 1}]', '{"idempotency_key": "req-1"}') AS o10 \gset
SELECT oms.place_order('hal@example.com', 'amazon', '[{"sku": "TEE", "qty": 1}]', '{"idempotency_key": "req-1"}') = :o10 AS retry_same_order;
SELECT count(*) AS orders_for_hal FROM oms.sales_order s JOIN oms.customer c USING (customer_id) WHERE c.email = 'hal@example.com';
SELECT pg_temp.try($$SELECT oms.place_order('hal@example.com', 'amazon', '[{"sku": "TEE", "qty": 2}]', '{"idempotency_key": "req-1"}')$$);
SELECT oms.purge_idempotency_keys('0 seconds') AS purged;

-- ---------------------------------------------------------------------------
-- cart holds: hold, re-hold replaces, take-over, expiry at read time, release
-- ---------------------------------------------------------------------------
SELECT oms.hold_stock('cart-42', '[{"sku": "TEE", "qty": 2}]', '1 hour') > 0 AS held;
SELECT sku, location, reserved, held FROM oms.inventory_position WHERE sku = 'TEE' ORDER BY location;
SELECT oms.hold_stock('cart-42', '[{"sku": "TEE", "qty": 3}]', '1 hour') > 0 AS held_again;
SELECT sum(qty) AS held_units FROM oms.reservation r JOIN oms.cart_hold h USING (hold_id) WHERE h.hold_ref = 'cart-42' AND r.state = 'active';
SELECT oms.place_order('ivy@example.com', 'web', '[{"sku": "TEE", "qty": 2}]', '{"hold": "cart-42"}') AS o11 \gset
SELECT * FROM pg_temp.lines(:o11);
SELECT state, order_id = :o11 AS to_this_order FROM oms.cart_hold WHERE hold_ref = 'cart-42';
SELECT pg_temp.try($$SELECT oms.place_order('ivy@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"hold": "cart-42"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('ivy@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"hold": "no-such-cart"}')$$);
-- a hold that has expired stops counting at once, before any job runs
SELECT oms.hold_stock('cart-43', '[{"sku": "MUG", "qty": 1}]', '10 milliseconds') > 0 AS held;
SELECT pg_sleep(0.05);
SELECT sku, location, on_hand, reserved, held, available FROM oms.inventory_position WHERE sku = 'MUG' ORDER BY location;
SELECT oms.expire_reservations() AS expired_units;
SELECT state FROM oms.cart_hold WHERE hold_ref = 'cart-43';
SELECT oms.hold_stock('cart-44', '[{"sku": "CAP", "qty": 1}]', '1 hour') > 0 AS held;
SELECT oms.release_hold('cart-44') AS released_units;
SELECT pg_temp.try($$SELECT oms.release_hold('cart-99')$$);
SELECT pg_temp.try($$SELECT oms.hold_stock('cart-45', '[{"sku": "TEE", "qty": 1000}]', '1 hour')$$);
SELECT pg_temp.try($$SELECT oms.hold_stock('cart-45', '[{"sku": "TEE", "qty": 1}]', '-1 hour')$$);
SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- status moves: confirm, hold and release (back to where it was), history
-- ---------------------------------------------------------------------------
SELECT oms.confirm_order(:o1, 'payment verified');
SELECT oms.hold_order(:o1, 'address check');
SELECT oms.release_order(:o1);
SELECT pg_temp.try(format('SELECT oms.release_order(%s)', :o1));
SELECT pg_temp.try(format('SELECT oms.confirm_order(%s)', :o1));
SELECT from_status, to_status, reason FROM oms.status_history WHERE machine = 'order' AND entity_id = :o1 ORDER BY history_id;
-- payment requirement is carried by the order
SELECT oms.place_order('jo@example.com', 'web', '[{"sku": "TEE", "qty": 1}]', '{"payment_required": "captured", "confirm": true}') AS o13 \gset
SELECT status, payment_required FROM oms.sales_order WHERE order_id = :o13;

-- ---------------------------------------------------------------------------
-- cancellation: some lines, then the rest; nothing releases more than it holds
-- ---------------------------------------------------------------------------
SELECT * FROM pg_temp.lines(:o1);
SELECT oms.cancel_order(:o1, '[{"sku": "TEE", "qty": 3}]', 'customer changed mind') AS cancelled_units;
SELECT * FROM pg_temp.lines(:o1);
SELECT pg_temp.try(format($q$SELECT oms.cancel_order(%s, '[{"sku": "TEE", "qty": 5}]')$q$, :o1));
SELECT pg_temp.try(format($q$SELECT oms.cancel_order(%s, '[{"sku": "MUG", "qty": 1}]')$q$, :o1));
SELECT oms.cancel_order(:o5, '[{"sku": "KIT", "qty": 1}]') AS cancelled_bundles;
SELECT * FROM pg_temp.lines(:o5);
SELECT oms.cancel_order(:o1) AS cancelled_units;
SELECT status, subtotal FROM oms.sales_order WHERE order_id = :o1;
SELECT pg_temp.try(format('SELECT oms.cancel_order(%s)', :o1));
SELECT pg_temp.try('SELECT oms.cancel_order(999999)');
SELECT * FROM oms.check_inventory();

-- ---------------------------------------------------------------------------
-- edits: more reserves the difference, less releases it, new lines, 0 removes
-- ---------------------------------------------------------------------------
SELECT oms.place_order('kim@example.com', 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "20"}]') AS o12 \gset
SELECT oms.edit_order(:o12, '[{"sku": "TEE", "qty": 4}, {"sku": "MUG", "qty": 1, "unit_price": "8"}]', 'upsell') = :o12 AS edited;
SELECT * FROM pg_temp.lines(:o12);
SELECT oms.edit_order(:o12, '[{"sku": "TEE", "qty": 1}, {"sku": "MUG", "qty": 0}]') = :o12 AS edited;
SELECT * FROM pg_temp.lines(:o12);
SELECT subtotal FROM oms.sales_order WHERE order_id = :o12;
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 1000}]')$q$, :o12));
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "KIT", "qty": 1}]')$q$, :o12));
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": -1}]')$q$, :o12));
SELECT pg_temp.try(format($q$SELECT oms.edit_order(%s, '[{"sku": "TEE", "qty": 1}]')$q$, :o1));
SELECT * FROM pg_temp.lines(:o12);

-- ---------------------------------------------------------------------------
-- bad input: each with its SQLSTATE, nothing written
-- ---------------------------------------------------------------------------
SELECT count(*) AS orders_before FROM oms.sales_order \gset
SELECT pg_temp.try($$SELECT oms.place_order('nobody', 'web', '[{"sku": "TEE", "qty": 1}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'fax', '[{"sku": "TEE", "qty": 1}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "NOPE", "qty": 1}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '{"sku": "TEE"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE"}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 0}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1.5}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": "two"}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 99999999999999999999}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "-1"}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "abc"}]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"ship_to": {"name": "X"}}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"ship_to": {"name": "X", "line1": "1", "city": "C", "postal_code": "1", "country": "USA"}}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"service_level": "teleport"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"currency": "usd"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"strategy": "cheapest"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"payment_required": "maybe"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '{"allow_split": "yes"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "TEE", "qty": 1}]', '[1]')$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', NULL)$$);
SELECT pg_temp.try($$SELECT oms.place_order('a@b.c', 'web', '[{"sku": "KIT", "qty": 4611686018427387904}]')$$);
SELECT count(*) = :orders_before AS nothing_written FROM oms.sales_order;

-- direct writes are held to the same rules
SELECT pg_temp.try($$UPDATE oms.inventory_level SET reserved = 0$$);
SELECT pg_temp.try(format($q$UPDATE oms.sales_order SET status = 'completed' WHERE order_id = %s$q$, :o12));

-- events written for the order steps
SELECT topic, count(*) FROM oms.event WHERE topic LIKE 'order.%' GROUP BY topic ORDER BY topic;
SELECT * FROM pg_temp.levels();
SELECT * FROM oms.check_inventory();

-- document numbers keep growing past six digits instead of wrapping into a collision
SELECT oms.document_number('SO', 123) AS small, oms.document_number('SO', 999999) AS last_six,
       oms.document_number('SO', 1000000) AS millionth;
SELECT setval('oms.order_number_seq', 999999) > 0 AS jumped;
SELECT oms.place_order('million@example.com', 'web', '[{"sku": "MUG", "qty": 1}]') AS millionth \gset
SELECT order_number FROM oms.sales_order WHERE order_id = :millionth;
