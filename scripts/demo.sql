-- demo.sql: a realistic walk through oms, run by scripts/demo.sh (make demo)
\set QUIET on
\pset footer off
\pset null '-'
\set ON_ERROR_STOP on

\echo
\echo '### 1. Reference data: three locations and a small catalogue'
INSERT INTO oms.location (code, name, kind, priority, region, latitude, longitude) VALUES
    ('WH-EAST', 'East Coast DC (Newark)', 'warehouse', 10, 'US-NJ', 40.73, -74.17),
    ('WH-WEST', 'West Coast DC (Reno)', 'warehouse', 20, 'US-NV', 39.53, -119.81),
    ('NYC-SOHO', 'SoHo flagship store', 'store', 50, 'US-NY', 40.72, -74.00);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TEE-BLK-M', 'Organic tee, black, M', 'deny'),
    ('TEE-WHT-M', 'Organic tee, white, M', 'deny'),
    ('MUG-12OZ', 'Stoneware mug 12oz', 'allow'),
    ('HOODIE-L', 'Heavyweight hoodie, L', 'preorder');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('STARTER-KIT', 'Starter kit: tee + 2 mugs', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, v.qty
FROM (VALUES ('TEE-BLK-M', 1), ('MUG-12OZ', 2)) AS v(sku, qty)
JOIN oms.item c ON c.sku = v.sku, oms.item b WHERE b.sku = 'STARTER-KIT';
SELECT code, name, kind, priority, region FROM oms.location ORDER BY priority;
SELECT sku, name, backorder_policy, is_bundle FROM oms.item ORDER BY item_id;

\echo
\echo '### 2. Receiving: two inbound shipments from suppliers land at the DCs'
SELECT oms.receive_stock('TEE-BLK-M', 'WH-EAST', 120, 'ASN-7781') AS movement_id;
SELECT oms.receive_stock('TEE-WHT-M', 'WH-EAST', 80, 'ASN-7781') AS movement_id;
SELECT oms.receive_stock('MUG-12OZ', 'WH-EAST', 60, 'ASN-7781') AS movement_id;
SELECT oms.receive_stock('TEE-BLK-M', 'WH-WEST', 45, 'ASN-7790') AS movement_id;
SELECT oms.receive_stock('MUG-12OZ', 'WH-WEST', 24, 'ASN-7790') AS movement_id;
\echo 'Keep 10 black tees back at the East DC as safety stock:'
SELECT oms.set_safety_stock('TEE-BLK-M', 'WH-EAST', 10) AS available_now;

\echo
\echo '### 3. Replenishing the store: a transfer moves stock in one call (both ledger legs)'
SELECT oms.transfer_stock('TEE-BLK-M', 'WH-EAST', 'NYC-SOHO', 15, 'store replenishment') AS transfer_id;
SELECT oms.transfer_stock('MUG-12OZ', 'WH-EAST', 'NYC-SOHO', 12, 'store replenishment') AS transfer_id;

\echo
\echo '### 4. Cycle count at the store finds 14 tees, not 15; a dropped carton breaks 3 mugs'
SELECT oms.count_stock('TEE-BLK-M', 'NYC-SOHO', 14, 'weekly cycle count') AS adjustment;
SELECT oms.damage_stock('MUG-12OZ', 'WH-EAST', 3, 'carton dropped at receiving') AS movement_id;
SELECT oms.scrap_stock('MUG-12OZ', 'WH-EAST', 2, 'beyond repair') AS movement_id;

\echo
\echo '### 5. The rules hold for everyone: each of these is refused, and nothing is written'
\set ON_ERROR_STOP off
\set SHOW_CONTEXT never
\echo '-- transfer more than is available:'
SELECT oms.transfer_stock('TEE-BLK-M', 'NYC-SOHO', 'WH-WEST', 50);
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\echo '-- a direct UPDATE that bypasses the ledger:'
UPDATE oms.inventory_level SET on_hand = on_hand + 100;
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\echo '-- rewriting history:'
DELETE FROM oms.inventory_movement;
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP on

\echo
\echo '### 6. The movement ledger (append-only, with running balances)'
SELECT m.movement_id AS id, i.sku, l.code AS location, m.kind, m.on_hand_delta AS "Δ on_hand",
       m.damaged_delta AS "Δ damaged", m.on_hand_after AS on_hand, m.reason, m.reference
FROM oms.inventory_movement m
JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
ORDER BY m.movement_id;

\echo
\echo '### 7. Inventory position (per item and location)'
SELECT sku, location, on_hand, reserved, safety_stock, available, damaged, incoming
FROM oms.inventory_position ORDER BY sku, location;

\echo
\echo '### 8. Inventory summary (per item)'
SELECT sku, item_name, locations_stocked, on_hand, reserved, safety_stock, available, damaged, incoming
FROM oms.inventory_summary ORDER BY sku;

\echo
\echo '### 9. Orders: inventory position before'
INSERT INTO oms.channel (code, name, kind) VALUES ('web', 'Web shop', 'web'), ('amazon', 'Amazon US', 'marketplace');
SELECT sku, location, on_hand, reserved, available FROM oms.inventory_position ORDER BY sku, location;

\echo
\echo '### 10. A cart holds stock for 15 minutes, then checks out: the order takes the hold over'
SELECT oms.hold_stock('cart-8812', '[{"sku": "TEE-BLK-M", "qty": 2}]', '15 minutes') AS hold_id;
SELECT oms.place_order('maya@example.com', 'web',
    '[{"sku": "TEE-BLK-M", "qty": 2, "unit_price": "24.00"}, {"sku": "STARTER-KIT", "qty": 1, "unit_price": "49.00"}]',
    '{"hold": "cart-8812", "idempotency_key": "checkout-8812", "customer_name": "Maya Chen",
      "ship_to": {"name": "Maya Chen", "line1": "350 5th Ave", "city": "New York", "postal_code": "10118",
                  "country": "US", "region": "US-NY", "latitude": 40.75, "longitude": -73.99},
      "strategy": "nearest", "tax": "6.48", "shipping": "5.00", "payment_required": "captured"}') AS maya \gset
\echo 'The storefront retries the same checkout (same idempotency key): same order, nothing new'
SELECT oms.place_order('maya@example.com', 'web',
    '[{"sku": "TEE-BLK-M", "qty": 2, "unit_price": "24.00"}, {"sku": "STARTER-KIT", "qty": 1, "unit_price": "49.00"}]',
    '{"hold": "cart-8812", "idempotency_key": "checkout-8812", "customer_name": "Maya Chen",
      "ship_to": {"name": "Maya Chen", "line1": "350 5th Ave", "city": "New York", "postal_code": "10118",
                  "country": "US", "region": "US-NY", "latitude": 40.75, "longitude": -73.99},
      "strategy": "nearest", "tax": "6.48", "shipping": "5.00", "payment_required": "captured"}') = :maya AS same_order;
SELECT order_number, status, order_type, subtotal, tax, shipping, total, payment_required FROM oms.sales_order WHERE order_id = :maya;
SELECT l.line_no, i.sku, l.kind, l.qty_ordered AS ordered, l.qty_reserved AS reserved, l.qty_backordered AS backordered,
       (SELECT string_agg(loc.code || ':' || r.qty, ' ') FROM oms.reservation r JOIN oms.location loc USING (location_id)
        WHERE r.line_id = l.line_id AND r.state = 'active') AS reserved_at
FROM oms.order_line l JOIN oms.item i USING (item_id) WHERE l.order_id = :maya ORDER BY l.line_no;

\echo
\echo '### 11. A marketplace order: mugs beyond stock are backordered (policy allow); hoodies are a pre-order'
SELECT oms.place_order('li@example.com', 'amazon',
    '[{"sku": "MUG-12OZ", "qty": 80, "unit_price": "12.50"}, {"sku": "HOODIE-L", "qty": 1, "unit_price": "65"}]',
    '{"channel_order_ref": "112-5550123", "confirm": true}') AS li \gset
SELECT order_number, status, order_type FROM oms.sales_order WHERE order_id = :li;
SELECT i.sku, l.qty_ordered AS ordered, l.qty_reserved AS reserved, l.qty_backordered AS backordered
FROM oms.order_line l JOIN oms.item i USING (item_id) WHERE l.order_id = :li ORDER BY l.line_no;

\echo
\echo '### 12. The customer edits: 3 tees instead of 2, and adds a white tee'
SELECT oms.edit_order(:maya, '[{"sku": "TEE-BLK-M", "qty": 3}, {"sku": "TEE-WHT-M", "qty": 1, "unit_price": "24.00"}]', 'customer call') > 0 AS edited;
\echo 'then cancels the white tee again, and a second order is cancelled whole'
SELECT oms.cancel_order(:maya, '[{"sku": "TEE-WHT-M", "qty": 1}]', 'changed mind') AS cancelled_units;
SELECT oms.place_order('sam@example.com', 'web', '[{"sku": "TEE-WHT-M", "qty": 5, "unit_price": "24.00"}]') AS sam \gset
SELECT oms.cancel_order(:sam, NULL, 'payment declined') AS cancelled_units;
SELECT o.order_number, o.status, o.subtotal, o.total FROM oms.sales_order o ORDER BY o.order_id;

\echo
\echo '### 13. Stock arrives: the backordered mugs fill, oldest order first'
SELECT oms.receive_stock('MUG-12OZ', 'WH-WEST', 30, 'ASN-7802') AS movement_id;
SELECT i.sku, l.qty_ordered AS ordered, l.qty_reserved AS reserved, l.qty_backordered AS backordered
FROM oms.order_line l JOIN oms.item i USING (item_id) WHERE l.order_id = :li ORDER BY l.line_no;

\echo
\echo '### 14. Inventory position after the orders'
SELECT sku, location, on_hand, reserved, held, available FROM oms.inventory_position ORDER BY sku, location;

\echo
\echo '### 15. Fulfillment: Noah orders white tees (only at the East DC) and mugs (left at the West DC)'
INSERT INTO oms.carrier (code, name, tracking_url) VALUES
    ('UPS', 'UPS', 'https://www.ups.com/track?tracknum={tracking_number}'),
    ('FEDEX', 'FedEx', 'https://www.fedex.com/fedextrack/?trknbr={tracking_number}');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT c.carrier_id, v.level, v.days, true FROM oms.carrier c JOIN (VALUES
    ('UPS', 'ground', 3), ('UPS', 'express', 1), ('FEDEX', 'ground', 4), ('FEDEX', 'air', 2)) v(code, level, days)
    ON v.code = c.code;
SELECT c.code AS carrier, s.service_level, s.transit_days FROM oms.carrier_service s JOIN oms.carrier c USING (carrier_id)
ORDER BY 1, 3;
SELECT oms.place_order('noah@example.com', 'web',
    '[{"sku": "TEE-WHT-M", "qty": 2, "unit_price": "24.00"}, {"sku": "MUG-12OZ", "qty": 4, "unit_price": "12.50"}]',
    '{"confirm": true, "customer_name": "Noah Park", "tax": "7.84", "shipping": "6.00",
      "ship_to": {"name": "Noah Park", "line1": "1 Ferry Building", "city": "San Francisco",
                  "postal_code": "94111", "country": "US", "region": "US-CA"}}') AS noah \gset
\echo 'The fulfillment queue: what each location has to ship, oldest promise first'
SELECT location, order_number, status, units_reserved, units_in_shipments, units_to_ship
FROM oms.fulfillment_queue ORDER BY location, promised_at NULLS LAST, placed_at;
\echo 'One pending shipment per location that holds the order''s units (a split shipment):'
SELECT oms.create_shipments(:noah) AS shipment_id;
SELECT s.shipment_number, loc.code AS location, s.status,
       (SELECT string_agg(i.sku || ' x' || sl.qty, ', ') FROM oms.shipment_line sl JOIN oms.item i USING (item_id)
        WHERE sl.shipment_id = s.shipment_id) AS contents
FROM oms.shipment s JOIN oms.location loc USING (location_id) WHERE s.order_id = :noah ORDER BY s.shipment_id;
SELECT min(shipment_id) AS east_parcel, max(shipment_id) AS west_parcel FROM oms.shipment WHERE order_id = :noah \gset
\echo 'The East DC picker''s list (starting it moves the shipments to picking):'
SELECT sku, name, qty, shipments, orders FROM oms.pick_list('WH-EAST', start => true);

\echo
\echo '### 16. The parcels leave: reserved and on_hand fall together through the ledger'
SELECT oms.advance_shipment(:east_parcel, 'packed');
SELECT oms.ship(:east_parcel, 'UPS', '1Z999AA10123456784') IS NOT NULL AS shipped;
SELECT order_number, status, fulfillment_status FROM oms.sales_order WHERE order_id = :noah;
SELECT oms.ship(:west_parcel, 'FEDEX', '7712 3456 7890', 'air') IS NOT NULL AS shipped;
SELECT m.kind, i.sku, l.code AS location, m.on_hand_delta, m.on_hand_after, m.reference
FROM oms.inventory_movement m JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
WHERE m.kind = 'shipment' ORDER BY m.movement_id;
\echo 'The carrier scans and delivers; the order completes when every unit is delivered:'
SELECT oms.advance_shipment(:east_parcel, 'in_transit');
SELECT oms.deliver(:east_parcel) AS fulfillment_status;
SELECT oms.deliver(:west_parcel) AS fulfillment_status;
\echo 'order_tracking, the row a storefront or BI tool reads:'
\x on
SELECT order_number, customer, channel, status, payment_status, fulfillment_status, units_ordered, units_shipped,
       units_delivered, units_outstanding, jsonb_pretty(shipments) AS shipments, last_event
FROM oms.order_tracking WHERE order_id = :noah;
\x off
\echo 'order_timeline, every status change and event of the order and its parcels:'
SELECT to_char(at, 'HH24:MI:SS.MS') AS at, source, entity_ref, what, from_status, to_status, reason,
       COALESCE(payload->>'tracking_number', '') AS tracking, COALESCE(payload->>'estimated_delivery', '') AS eta
FROM oms.order_timeline WHERE order_id = :noah ORDER BY at, source DESC, seq;

\echo
\echo '### 17. What happened, as events a consumer would receive'
SELECT event_id, topic, entity_id AS order_id, payload->>'order_number' AS order_number,
       COALESCE(payload->>'reason', '') AS reason
FROM oms.event WHERE topic LIKE 'order.%' ORDER BY event_id;

\echo
\echo '### 18. Ledger, levels and reservations agree: check_inventory() returns no rows'
SELECT * FROM oms.check_inventory();
SELECT count(*) AS disagreements FROM oms.check_inventory();

\echo
\echo '### 19. Payment: the card is authorized at checkout and captured at dispatch'
SELECT total AS maya_total FROM oms.sales_order WHERE order_id = :maya \gset
SELECT oms.record_payment(:maya, 'authorization', :maya_total, NULL, 'stripe', 'pi_demo_8812', 'auth-8812') AS authorization_id;
SELECT order_number, total, payment_status, payment_required, payment_satisfied AS may_ship
FROM oms.order_payments WHERE order_id = :maya;
SELECT oms.record_payment(:maya, 'capture', :maya_total, NULL, 'stripe', 'ch_demo_8812', 'capture-8812') AS capture_id;
\echo 'The payment app retries the capture (same idempotency key): same payment, captured once'
SELECT oms.record_payment(:maya, 'capture', :maya_total, NULL, 'stripe', 'ch_demo_8812', 'capture-8812') AS capture_id;
SELECT order_number, total, authorized, captured, refundable, payment_status, payment_satisfied AS may_ship
FROM oms.order_payments WHERE order_id = :maya;
SELECT topic, payload->>'amount' AS amount, payload->>'currency' AS currency, payload->>'payment_status' AS payment_status
FROM oms.event WHERE topic LIKE 'payment.%' ORDER BY event_id;
SELECT count(*) AS payment_problems FROM oms.check_payments();

\echo
\echo '### 20. Purchasing: a supplier and a reorder rule for white tees at the East DC'
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme Organic Textiles', 10);
SELECT (oms.set_reorder_rule('TEE-WHT-M', 'WH-EAST', 'ACME', reorder_point => 60, max_level => 150,
                             order_multiple => 12, min_order_qty => 24)).updated_at IS NOT NULL AS rule_set;
SELECT i.sku, l.code AS location, s.code AS supplier, r.reorder_point, r.max_level, r.order_multiple,
       r.min_order_qty, COALESCE(r.lead_time_days, s.lead_time_days) AS lead_time_days
FROM oms.reorder_rule r JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
JOIN oms.supplier s USING (supplier_id);
\echo 'Inventory position before:'
SELECT sku, location, on_hand, reserved, available, incoming, reorder_point, below_reorder_point
FROM oms.inventory_position WHERE sku = 'TEE-WHT-M';

\echo
\echo '### 21. A wholesale order of 25 takes available below the point of 60: one event, and none for the next sale'
SELECT oms.place_order('shop@boutique.example', 'web', '[{"sku": "TEE-WHT-M", "qty": 25, "unit_price": "14.00"}]') AS wholesale \gset
SELECT oms.place_order('kim@example.com', 'web', '[{"sku": "TEE-WHT-M", "qty": 1, "unit_price": "24.00"}]') > 0 AS another_sale_no_new_event;
SELECT topic, payload->>'sku' AS sku, payload->>'location' AS location, payload->>'available' AS available,
       payload->>'incoming' AS incoming, payload->>'reorder_point' AS reorder_point
FROM oms.event WHERE topic = 'inventory.below_reorder_point' ORDER BY event_id;

\echo
\echo '### 22. The reorder run (the pg_cron job oms-reorder does this hourly): up to 150, in multiples of 12'
SELECT po_number, supplier, location, sku, action, qty, available, incoming, reorder_point FROM oms.run_reorder();
\echo 'Running it again orders nothing twice:'
SELECT count(*) AS lines_written FROM oms.run_reorder();
SELECT po_id AS po FROM oms.purchase_order WHERE origin = 'reorder' AND status = 'draft' \gset
SELECT oms.submit_purchase_order(:po, 'approved by buyer') AS status;
SELECT sku, location, on_hand, available, incoming, reorder_point, below_reorder_point
FROM oms.inventory_position WHERE sku = 'TEE-WHT-M';

\echo
\echo '### 23. The supplier delivers in two drops: incoming moves to on hand through the ledger'
SELECT oms.receive_purchase_order(:po, '[{"sku": "TEE-WHT-M", "qty": 48}]', 'ASN-9001') AS units_received;
SELECT po_number, status FROM oms.purchase_order WHERE po_id = :po;
\echo 'An over-delivery is refused (OM005) unless oms.over_receipt_tolerance allows it:'
\set ON_ERROR_STOP off
SELECT oms.receive_purchase_order(:po, '[{"sku": "TEE-WHT-M", "qty": 500}]', 'ASN-9002');
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP on
SELECT oms.receive_purchase_order(:po, NULL, 'ASN-9002') AS units_received;
SELECT o.po_number, o.status, i.sku, l.qty_ordered, l.qty_received
FROM oms.purchase_order o JOIN oms.purchase_order_line l USING (po_id) JOIN oms.item i USING (item_id) WHERE o.po_id = :po;
SELECT m.kind, m.on_hand_delta AS "Δ on_hand", m.on_hand_after AS on_hand, m.reference
FROM oms.inventory_movement m JOIN oms.item i USING (item_id)
WHERE i.sku = 'TEE-WHT-M' AND m.kind = 'receipt' ORDER BY m.movement_id;
\echo 'Inventory position after:'
SELECT sku, location, on_hand, reserved, available, incoming, reorder_point, below_reorder_point
FROM oms.inventory_position WHERE sku = 'TEE-WHT-M';

\echo
\echo '### 24. Maya''s paid order ships and is delivered'
SELECT oms.confirm_order(:maya, 'payment captured');
SELECT oms.ship(s, 'UPS', '1Z8812' || s) IS NOT NULL AS shipped, oms.deliver(s) AS fulfillment_status
FROM oms.create_shipments(:maya) AS s;
SELECT order_number, status, fulfillment_status, payment_status FROM oms.sales_order WHERE order_id = :maya;

\echo
\echo '### 25. She sends two black tees back for a refund: one is fine, one arrives torn'
SELECT oms.request_return(:maya, '[{"sku": "TEE-BLK-M", "qty": 2, "reason": "size_fit"}]', 'refund',
    '{"note": "runs small"}') AS rma_refund \gset
SELECT oms.advance_return(:rma_refund, 'authorized', 'within the 30-day window');
\echo 'Asking for three more black tees is refused: two are on the open return, two are left'
\set ON_ERROR_STOP off
SELECT oms.request_return(:maya, '[{"sku": "TEE-BLK-M", "qty": 3}]');
\echo '   SQLSTATE' :LAST_ERROR_SQLSTATE
\set ON_ERROR_STOP on
SELECT oms.receive_return(:rma_refund, 'WH-EAST',
    '[{"sku": "TEE-BLK-M", "qty": 1, "condition": "resellable"}, {"sku": "TEE-BLK-M", "qty": 1, "condition": "damaged"}]');
SELECT m.kind, m.on_hand_delta AS "Δ on_hand", m.damaged_delta AS "Δ damaged", m.reference
FROM oms.inventory_movement m JOIN oms.item i USING (item_id)
WHERE i.sku = 'TEE-BLK-M' AND m.kind LIKE 'return%' ORDER BY m.movement_id;
\echo 'Completion refunds 2 x 24.00 and the tax share (6.48 x 48/121): 50.57, through the payment ledger'
SELECT oms.complete_return(:rma_refund, 'refund approved');

\echo
\echo '### 26. And exchanges her third black tee for a white one of the same price'
SELECT oms.request_return(:maya, '[{"sku": "TEE-BLK-M", "qty": 1, "reason": "not_as_described"}]', 'exchange',
    '{"exchange": [{"sku": "TEE-WHT-M", "qty": 1}], "authorize": true}') AS rma_exchange \gset
SELECT oms.receive_return(:rma_exchange, 'WH-EAST');
SELECT oms.complete_return(:rma_exchange);
SELECT rma_number, order_number, kind, status, units_received, units_resellable, units_damaged, reasons,
       refund_amount, exchange_order
FROM oms.returns_overview ORDER BY rma_id;
SELECT o.order_number AS replacement, o.channel_order_ref AS for_rma, o.status, o.payment_required, i.sku,
       l.qty_reserved AS reserved, l.unit_price
FROM oms.sales_order o JOIN oms.order_line l USING (order_id) JOIN oms.item i USING (item_id)
WHERE o.order_id = (SELECT exchange_order_id FROM oms.return_authorization WHERE rma_id = :rma_exchange);
\echo 'Maya''s payment status and ledger:'
SELECT order_number, total, captured, refunded, refundable, payment_status FROM oms.order_payments WHERE order_id = :maya;
SELECT kind, amount, provider_ref, reason FROM oms.payment WHERE order_id = :maya ORDER BY payment_id;
\echo 'Her order''s timeline (status changes and events of the order, its parcels and its returns):'
SELECT to_char(at, 'HH24:MI:SS.MS') AS at, source, entity_ref, what, COALESCE(reason, '') AS reason,
       COALESCE(payload->>'amount', payload->>'refund', '') AS amount
FROM oms.order_timeline WHERE order_id = :maya ORDER BY at, source DESC, seq;

\echo
\echo '### 27. Ledger, levels, reservations, open purchase orders and payments still agree'
SELECT count(*) AS disagreements FROM oms.check_inventory();
SELECT count(*) AS payment_problems FROM oms.check_payments();
