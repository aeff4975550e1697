-- demo.sql: the life of a small shop's orders in oms, run by scripts/demo.sh (make demo)
-- in a throwaway database where pg_cron and oms are installed.  Each part is a
-- heading, one line of prose per step and a compact result.
\set QUIET on
\set ON_ERROR_STOP on
\set SHOW_CONTEXT never
\pset footer off
\pset null '-'

-- Run a statement that oms must refuse and say how it was refused; the
-- statement's subtransaction rolls back, so nothing is written.
CREATE FUNCTION pg_temp.refused(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'NOT REFUSED';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

\echo
\echo '== 1. The shop'
\echo 'Two warehouses and a store, four products and a kit made of them, two sales channels.'
INSERT INTO oms.location (code, name, kind, priority, region, latitude, longitude) VALUES
    ('WH-EAST', 'East Coast DC (Newark)', 'warehouse', 10, 'US-NJ', 40.73, -74.17),
    ('WH-WEST', 'West Coast DC (Reno)', 'warehouse', 20, 'US-NV', 39.53, -119.81),
    ('NYC-SOHO', 'SoHo flagship store', 'store', 50, 'US-NY', 40.72, -74.00);
INSERT INTO oms.item (sku, name, backorder_policy) VALUES
    ('TEE-BLK-M', 'Organic tee, black, M', 'deny'),
    ('TEE-WHT-M', 'Organic tee, white, M', 'deny'),
    ('MUG-12OZ', 'Stoneware mug 12oz', 'allow'),
    ('HOODIE-L', 'Heavyweight hoodie, L', 'preorder');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('STARTER-KIT', 'Starter kit: a black tee and 2 mugs', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
SELECT b.item_id, c.item_id, v.qty
FROM (VALUES ('TEE-BLK-M', 1), ('MUG-12OZ', 2)) AS v (sku, qty)
JOIN oms.item c ON c.sku = v.sku CROSS JOIN oms.item b WHERE b.sku = 'STARTER-KIT';
INSERT INTO oms.channel (code, name, kind) VALUES ('web', 'Web shop', 'web'), ('amazon', 'Amazon US', 'marketplace');
INSERT INTO oms.carrier (code, name, tracking_url) VALUES
    ('UPS', 'UPS', 'https://www.ups.com/track?tracknum={tracking_number}'),
    ('FEDEX', 'FedEx', 'https://www.fedex.com/fedextrack/?trknbr={tracking_number}');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT c.carrier_id, v.level, v.days, true FROM oms.carrier c JOIN (VALUES
    ('UPS', 'ground', 3), ('UPS', 'express', 1), ('FEDEX', 'ground', 4), ('FEDEX', 'air', 2)) v (code, level, days)
    ON v.code = c.code;
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme Organic Textiles', 10);
SELECT sku, name, backorder_policy AS "when out of stock", is_bundle FROM oms.item ORDER BY item_id;

\echo
\echo '== 2. Stock comes in, moves and gets counted'
\echo 'Two supplier deliveries land at the warehouses; 10 black tees at the East DC are kept back as safety stock.'
SELECT count(oms.receive_stock(v.sku, v.location, v.qty, v.reference)) AS receipts
FROM (VALUES ('TEE-BLK-M', 'WH-EAST', 120, 'ASN-7781'), ('TEE-WHT-M', 'WH-EAST', 80, 'ASN-7781'),
             ('MUG-12OZ', 'WH-EAST', 60, 'ASN-7781'), ('TEE-BLK-M', 'WH-WEST', 45, 'ASN-7790'),
             ('MUG-12OZ', 'WH-WEST', 24, 'ASN-7790')) AS v (sku, location, qty, reference);
SELECT oms.set_safety_stock('TEE-BLK-M', 'WH-EAST', 10) AS east_black_tees_available;
\echo 'The store is replenished by transfer (both ledger legs in one call); its count finds 14 tees, not 15.'
SELECT oms.transfer_stock('TEE-BLK-M', 'WH-EAST', 'NYC-SOHO', 15, 'store replenishment') > 0 AS transferred,
       oms.transfer_stock('MUG-12OZ', 'WH-EAST', 'NYC-SOHO', 12, 'store replenishment') > 0 AS transferred,
       oms.count_stock('TEE-BLK-M', 'NYC-SOHO', 14, 'weekly cycle count') AS count_adjustment;
\echo 'A dropped carton breaks 3 mugs at the East DC; 2 of them are beyond repair.'
SELECT oms.damage_stock('MUG-12OZ', 'WH-EAST', 3, 'carton dropped at receiving') > 0 AS damaged,
       oms.scrap_stock('MUG-12OZ', 'WH-EAST', 2, 'beyond repair') > 0 AS scrapped;
\echo 'Every change is a ledger row with its running balance:'
SELECT m.movement_id AS id, i.sku, l.code AS location, m.kind, m.on_hand_delta AS "Δ on hand",
       m.damaged_delta AS "Δ damaged", m.on_hand_after AS on_hand, COALESCE(m.reference, m.reason) AS why
FROM oms.inventory_movement m JOIN oms.item i USING (item_id) JOIN oms.location l USING (location_id)
ORDER BY m.movement_id;

\echo
\echo '== 3. The rules hold for everyone, whatever the client'
\echo 'Each of these is refused and writes nothing: an oversized transfer, a bulk UPDATE that bypasses the ledger, rewriting history.'
\pset tuples_only on
SELECT pg_temp.refused($$SELECT oms.transfer_stock('TEE-BLK-M', 'NYC-SOHO', 'WH-WEST', 50)$$);
SELECT pg_temp.refused($$UPDATE oms.inventory_level SET on_hand = on_hand + 100$$);
SELECT pg_temp.refused($$DELETE FROM oms.inventory_movement$$);
\pset tuples_only off

\echo
\echo '== 4. Cart holds'
\echo 'Three shoppers put items in their carts; each cart holds its stock for a while.'
SELECT oms.hold_stock('cart-8812', '[{"sku": "TEE-BLK-M", "qty": 2}]', '15 minutes') > 0 AS maya_holds,
       oms.hold_stock('cart-9001', '[{"sku": "TEE-WHT-M", "qty": 5}]', '2 seconds') > 0 AS quick_cart_holds,
       oms.hold_stock('cart-9002', '[{"sku": "MUG-12OZ", "qty": 1}]') > 0 AS third_cart_holds;
SELECT sku, location, on_hand, held, available FROM oms.inventory_position
WHERE held > 0 ORDER BY sku, location;
\echo 'The third shopper empties the cart: its mug is released at once.'
SELECT oms.release_hold('cart-9002') AS units_released;
\echo 'The quick cart is abandoned; two seconds later its hold has expired and no longer counts, even before the job tidies up.'
SELECT pg_sleep(2.2) IS NOT NULL AS two_seconds_later \gset
SELECT sku, location, on_hand, held, available FROM oms.inventory_position WHERE sku = 'TEE-WHT-M';
\echo 'The oms-expire-reservations job (every minute) releases it for good:'
SELECT oms.expire_reservations() AS units_released;

\echo
\echo '== 5. Maya checks out'
\echo 'Her order takes the cart hold over, expands the kit into its components and routes to the nearest stock (the store is in New York).'
SELECT oms.place_order('maya@example.com', 'web',
    '[{"sku": "TEE-BLK-M", "qty": 2, "unit_price": "24.00"}, {"sku": "STARTER-KIT", "qty": 1, "unit_price": "49.00"}]',
    '{"hold": "cart-8812", "idempotency_key": "checkout-8812", "customer_name": "Maya Chen",
      "ship_to": {"name": "Maya Chen", "line1": "350 5th Ave", "city": "New York", "postal_code": "10118",
                  "country": "US", "region": "US-NY", "latitude": 40.75, "longitude": -73.99},
      "strategy": "nearest", "tax": "6.48", "shipping": "5.00", "payment_required": "captured"}') AS maya \gset
\echo 'The storefront times out and retries with the same idempotency key: the same order, nothing new.'
SELECT oms.place_order('maya@example.com', 'web',
    '[{"sku": "TEE-BLK-M", "qty": 2, "unit_price": "24.00"}, {"sku": "STARTER-KIT", "qty": 1, "unit_price": "49.00"}]',
    '{"hold": "cart-8812", "idempotency_key": "checkout-8812", "customer_name": "Maya Chen",
      "ship_to": {"name": "Maya Chen", "line1": "350 5th Ave", "city": "New York", "postal_code": "10118",
                  "country": "US", "region": "US-NY", "latitude": 40.75, "longitude": -73.99},
      "strategy": "nearest", "tax": "6.48", "shipping": "5.00", "payment_required": "captured"}') = :maya AS same_order,
       (SELECT count(*) FROM oms.sales_order) AS orders_in_the_system;
\echo 'She calls: 3 black tees instead of 2, and a white tee; then she changes her mind about the white tee.'
SELECT oms.edit_order(:maya, '[{"sku": "TEE-BLK-M", "qty": 3}, {"sku": "TEE-WHT-M", "qty": 1, "unit_price": "24.00"}]',
                      'customer call') > 0 AS edited,
       oms.cancel_order(:maya, '[{"sku": "TEE-WHT-M", "qty": 1}]', 'changed mind') AS units_cancelled;
SELECT l.line_no, i.sku, l.kind, l.qty_ordered AS ordered, l.qty_reserved AS reserved, l.qty_cancelled AS cancelled,
       (SELECT string_agg(loc.code || ':' || r.qty, ' ' ORDER BY loc.code) FROM oms.reservation r
        JOIN oms.location loc USING (location_id) WHERE r.line_id = l.line_id AND r.state = 'active') AS reserved_at
FROM oms.order_line l JOIN oms.item i USING (item_id) WHERE l.order_id = :maya ORDER BY l.line_no;
SELECT order_number, status, subtotal, tax, shipping, total, payment_required FROM oms.sales_order WHERE order_id = :maya;

\echo
\echo '== 6. Backorders and pre-orders'
\echo 'A marketplace order wants more mugs than there are (policy allow: the rest is backordered) and a hoodie not yet made (a pre-order).'
SELECT oms.place_order('li@example.com', 'amazon',
    '[{"sku": "MUG-12OZ", "qty": 80, "unit_price": "12.50"}, {"sku": "HOODIE-L", "qty": 1, "unit_price": "65.00"}]',
    '{"channel_order_ref": "112-5550123", "confirm": true}') AS li \gset
\set li_lines 'SELECT o.order_number, o.order_type, i.sku, l.qty_ordered AS ordered, l.qty_reserved AS reserved, l.qty_backordered AS backordered FROM oms.order_line l JOIN oms.item i USING (item_id) JOIN oms.sales_order o USING (order_id) WHERE l.order_id = ' :li ' ORDER BY l.line_no'
:li_lines;
\echo 'Thirty mugs arrive at the West DC: the backorder fills, oldest order first; the hoodie waits for its first delivery.'
SELECT oms.receive_stock('MUG-12OZ', 'WH-WEST', 30, 'ASN-7802') > 0 AS received \gset
:li_lines;

\echo
\echo '== 7. Maya pays; her order is held for review, then released'
\echo 'Her card is authorized for the total; the shop confirms the order.'
SELECT total AS maya_total FROM oms.sales_order WHERE order_id = :maya \gset
SELECT oms.record_payment(:maya, 'authorization', :maya_total, NULL, 'stripe', 'pi_8812', 'auth-8812') > 0 AS authorized,
       oms.confirm_order(:maya, 'payment authorized') AS status;
\echo 'Fraud screening puts a new customer''s first order on hold; a held order does not ship.'
SELECT oms.hold_order(:maya, 'fraud review: new customer') AS status;
\pset tuples_only on
SELECT pg_temp.refused(format('SELECT oms.create_shipments(%s)', :maya));
\pset tuples_only off
\echo 'The review passes: the order goes back to where it was. It still must not ship before the money is captured.'
SELECT oms.release_order(:maya, 'fraud review passed') AS status;
\pset tuples_only on
SELECT pg_temp.refused(format('SELECT oms.create_shipments(%s)', :maya));
\pset tuples_only off
\echo 'The capture goes through; the payment app retries it with the same key and captures once.'
SELECT oms.record_payment(:maya, 'capture', :maya_total, NULL, 'stripe', 'ch_8812', 'capture-8812') AS capture,
       oms.record_payment(:maya, 'capture', :maya_total, NULL, 'stripe', 'ch_8812', 'capture-8812') AS retried_capture;
SELECT order_number, total, authorized, captured, payment_status, payment_satisfied AS may_ship
FROM oms.order_payments WHERE order_id = :maya;

\echo
\echo '== 8. Maya''s order ships from two places and is delivered'
\echo 'The fulfillment queue shows what each location has to ship, oldest promise first.'
SELECT location, order_number, status, units_to_ship FROM oms.fulfillment_queue
ORDER BY location, promised_at NULLS LAST, placed_at;
\echo 'One shipment per location holding her units; the store''s clerk prints the pick list.'
SELECT array_agg(s ORDER BY s) AS maya_shipments FROM oms.create_shipments(:maya) AS s \gset
SELECT sku, name, qty, shipments FROM oms.pick_list('NYC-SOHO', start => true);
\echo 'Both parcels are packed and handed to UPS: reserved and on hand fall together through the ledger.'
SELECT s.shipment_number, loc.code AS location, oms.ship(s.shipment_id, 'UPS', '1Z8812' || s.shipment_id) AS estimated_delivery
FROM oms.shipment s JOIN oms.location loc USING (location_id) WHERE s.order_id = :maya ORDER BY s.shipment_id;
\echo 'The carrier delivers; the order completes when every unit is delivered.'
SELECT shipment_number, oms.deliver(shipment_id) AS order_fulfillment FROM oms.shipment
WHERE order_id = :maya ORDER BY shipment_id;
SELECT order_number, status, payment_status, fulfillment_status, units_delivered FROM oms.order_tracking
WHERE order_id = :maya;

\echo
\echo '== 9. A parcel is lost'
\echo 'Noah orders white tees (only the East DC has them) and mugs (the West DC''s): a split shipment.'
SELECT oms.place_order('noah@example.com', 'web',
    '[{"sku": "TEE-WHT-M", "qty": 2, "unit_price": "24.00"}, {"sku": "MUG-12OZ", "qty": 4, "unit_price": "12.50"}]',
    '{"confirm": true, "customer_name": "Noah Park", "tax": "7.84", "shipping": "6.00",
      "ship_to": {"name": "Noah Park", "line1": "1 Ferry Building", "city": "San Francisco",
                  "postal_code": "94111", "country": "US", "region": "US-CA"}}') AS noah \gset
SELECT min(s) AS noah_east, max(s) AS noah_west FROM oms.create_shipments(:noah) AS s \gset
SELECT oms.ship(:noah_east, 'UPS', '1Z999AA10123456784') AS east_eta,
       oms.ship(:noah_west, 'FEDEX', '7712 3456 7890', 'air') AS west_eta;
\echo 'The FedEx parcel goes missing in transit; the same units are reserved again and sent in a new parcel.'
SELECT oms.advance_shipment(:noah_west, 'in_transit') AS status,
       oms.advance_shipment(:noah_west, 'lost', 'carrier claim 5521') AS status;
SELECT oms.reship(:noah_west) AS noah_reship \gset
SELECT oms.ship(:noah_reship, 'FEDEX', '7712 3456 7999', 'air') IS NOT NULL AS reshipped,
       oms.deliver(:noah_east) AS order_fulfillment, oms.deliver(:noah_reship) AS order_fulfillment;
SELECT s.shipment_number, loc.code AS location, c.code AS carrier, s.tracking_number, s.status,
       r.shipment_number AS replaces
FROM oms.shipment s JOIN oms.location loc USING (location_id) LEFT JOIN oms.carrier c USING (carrier_id)
LEFT JOIN oms.shipment r ON r.shipment_id = s.replaces_shipment_id
WHERE s.order_id = :noah ORDER BY s.shipment_id;

\echo
\echo '== 10. A parcel comes back to the sender'
\echo 'Ava''s parcel is returned by the carrier (address unknown): the tee is restocked and cancelled on her order.'
SELECT oms.place_order('ava@example.com', 'web', '[{"sku": "TEE-BLK-M", "qty": 1, "unit_price": "24.00"}]',
    '{"confirm": true}') AS ava \gset
SELECT oms.create_shipment(:ava, 'WH-EAST') AS ava_parcel \gset
SELECT oms.ship(:ava_parcel, 'UPS', '1Z777AA1') IS NOT NULL AS shipped,
       oms.return_to_sender(:ava_parcel, 'cancel', 'address unknown') AS order_fulfillment;
SELECT o.order_number, o.status, o.subtotal, m.kind AS ledger, m.on_hand_delta AS "Δ on hand", m.reference
FROM oms.sales_order o, oms.inventory_movement m
WHERE o.order_id = :ava AND m.kind = 'return_restock';

\echo
\echo '== 11. An order is cancelled while its parcel is being packed'
\echo 'Sam''s card is declined after the warehouse started on his order: cancelling it cancels the open shipment and frees the stock.'
SELECT oms.place_order('sam@example.com', 'web', '[{"sku": "TEE-WHT-M", "qty": 5, "unit_price": "24.00"}]',
    '{"confirm": true}') AS sam \gset
SELECT oms.create_shipment(:sam, 'WH-EAST') AS sam_parcel \gset
SELECT oms.cancel_order(:sam, NULL, 'payment declined') AS units_cancelled;
SELECT o.order_number, o.status AS order_status, s.shipment_number, s.status AS shipment_status,
       (SELECT reserved FROM oms.inventory_level WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'TEE-WHT-M')
          AND location_id = s.location_id) AS white_tees_reserved_at_east
FROM oms.sales_order o JOIN oms.shipment s USING (order_id) WHERE o.order_id = :sam;

\echo
\echo '== 12. Maya sends things back'
\echo 'Two black tees for a refund: one is fine and goes back on the shelf, one arrives torn.'
SELECT oms.request_return(:maya, '[{"sku": "TEE-BLK-M", "qty": 2, "reason": "size_fit"}]', 'refund',
    '{"note": "runs small"}') AS rma_refund \gset
SELECT oms.advance_return(:rma_refund, 'authorized', 'within the 30-day window') AS status,
       oms.receive_return(:rma_refund, 'WH-EAST', '[{"sku": "TEE-BLK-M", "qty": 1, "condition": "resellable"},
                                                   {"sku": "TEE-BLK-M", "qty": 1, "condition": "damaged"}]') AS status;
\echo 'Asking for three more is refused: one black tee is left that may come back.'
\pset tuples_only on
SELECT pg_temp.refused(format($$SELECT oms.request_return(%s, '[{"sku": "TEE-BLK-M", "qty": 3}]')$$, :maya));
\pset tuples_only off
\echo 'Completing the return refunds 2 x 24.00 plus their share of the tax (6.48 x 48/121), through the payment ledger.'
SELECT oms.complete_return(:rma_refund, 'refund approved') AS status;
\echo 'Her third black tee she exchanges for a white one of the same price: a replacement order, nothing to pay.'
SELECT oms.request_return(:maya, '[{"sku": "TEE-BLK-M", "qty": 1, "reason": "not_as_described"}]', 'exchange',
    '{"exchange": [{"sku": "TEE-WHT-M", "qty": 1}], "authorize": true}') AS rma_exchange \gset
SELECT oms.receive_return(:rma_exchange, 'WH-EAST') AS status, oms.complete_return(:rma_exchange) AS status;
SELECT rma_number, kind, status, units_received, units_resellable AS resellable, units_damaged AS damaged,
       refund_amount, exchange_order
FROM oms.returns_overview ORDER BY rma_id;
SELECT order_number, total, captured, refunded, refundable, payment_status FROM oms.order_payments WHERE order_id = :maya;

\echo
\echo '== 13. Reordering'
\echo 'A rule for white tees at the East DC: when available + incoming falls to 60, order up to 150, in cases of 12.'
SELECT (oms.set_reorder_rule('TEE-WHT-M', 'WH-EAST', 'ACME', reorder_point => 60, max_level => 150,
                             order_multiple => 12, min_order_qty => 24)).reorder_point AS reorder_point;
\echo 'A boutique orders 25 and takes stock below the point: one event. The next sale stays below and announces nothing new.'
SELECT oms.place_order('shop@boutique.example', 'web', '[{"sku": "TEE-WHT-M", "qty": 25, "unit_price": "14.00"}]',
    '{"confirm": true}') > 0 AS wholesale_order,
       oms.place_order('kim@example.com', 'web', '[{"sku": "TEE-WHT-M", "qty": 1, "unit_price": "24.00"}]') > 0 AS another_sale;
SELECT topic, payload->>'sku' AS sku, payload->>'location' AS location, payload->>'available' AS available,
       payload->>'reorder_point' AS reorder_point
FROM oms.event WHERE topic = 'inventory.below_reorder_point' ORDER BY event_id;
\echo 'The reorder run (the oms-reorder job, hourly) drafts a purchase order; running it again orders nothing twice.'
SELECT po_number, supplier, location, sku, action, qty, available, incoming FROM oms.run_reorder();
SELECT count(*) AS lines_written_by_a_second_run FROM oms.run_reorder();
\echo 'The buyer submits it: the units count as incoming. The supplier delivers in two drops; too many is refused.'
SELECT po_id AS po FROM oms.purchase_order WHERE origin = 'reorder' AND status = 'draft' \gset
SELECT oms.submit_purchase_order(:po, 'approved by buyer') AS status,
       oms.receive_purchase_order(:po, '[{"sku": "TEE-WHT-M", "qty": 48}]', 'ASN-9001') AS first_drop;
\pset tuples_only on
SELECT pg_temp.refused(format($$SELECT oms.receive_purchase_order(%s, '[{"sku": "TEE-WHT-M", "qty": 500}]')$$, :po));
\pset tuples_only off
SELECT oms.receive_purchase_order(:po, NULL, 'ASN-9002') AS second_drop;
SELECT o.po_number, o.status, l.qty_ordered, l.qty_received, p.available, p.incoming, p.below_reorder_point
FROM oms.purchase_order o JOIN oms.purchase_order_line l USING (po_id)
JOIN oms.inventory_position p ON p.sku = 'TEE-WHT-M' AND p.location = 'WH-EAST' WHERE o.po_id = :po;

\echo
\echo '== 14. An event consumer'
\echo 'Every step wrote an event to the outbox. The mailer claims the five oldest, sends its emails and acknowledges them.'
SELECT event_id, topic, entity, entity_id FROM oms.claim_events('mailer', 5);
SELECT oms.ack_events('mailer', ARRAY(SELECT event_id FROM oms.event WHERE claimed_by = 'mailer' AND acked_at IS NULL))
       AS acknowledged;
\echo 'A second mailer claiming at the same time gets the next ones, never the same; acknowledged events never come back.'
SELECT event_id, topic, entity, entity_id FROM oms.claim_events('mailer-2', 3);
SELECT count(*) FILTER (WHERE acked_at IS NOT NULL) AS acknowledged,
       count(*) FILTER (WHERE claimed_at IS NOT NULL AND acked_at IS NULL) AS claimed_being_handled,
       count(*) FILTER (WHERE claimed_at IS NULL) AS waiting
FROM oms.event;

\echo
\echo '== 15. Maya''s order, step by step'
\echo 'Her order''s timeline: one line per step of the order, its parcels and its returns.'
SELECT row_number() OVER (ORDER BY at, seq) AS step, entity_ref, what,
       concat_ws(' ', payload->>'reason', payload->>'tracking_number', payload->>'amount',
                 payload->>'refund', payload->>'replacement_order') AS detail
FROM oms.order_timeline WHERE order_id = :maya AND source = 'event' ORDER BY at, seq;

\echo
\echo '== 15b. A serialized unit: received, shipped and returned by its serial number'
\echo 'Headphones carry serial numbers: the receipt names each unit, and so does every movement after it.'
INSERT INTO oms.item (sku, name, serialized) VALUES ('HEADPHONES', 'Noise-cancelling headphones', true);
SELECT oms.receive_serials('HEADPHONES', 'WH-EAST', ARRAY['HP-0001', 'HP-0002', 'HP-0003'], 'ASN-7790') AS receipt;
SELECT oms.place_order('liam@example.com', 'web', '[{"sku": "HEADPHONES", "qty": 1, "unit_price": "199.00"}]',
                       '{"confirm": true, "payment_required": "none"}') AS liam \gset
SELECT oms.create_shipment(:liam, 'WH-EAST') AS liam_parcel \gset
\echo 'The packer scans the unit into the parcel; a parcel of a serialized item does not ship without it.'
SELECT oms.assign_serials(:liam_parcel, '[{"sku": "HEADPHONES", "serials": ["HP-0002"]}]') AS assigned;
SELECT oms.ship(:liam_parcel, 'UPS', '1Z8812HP') AS eta, oms.deliver(:liam_parcel) AS delivered;
SELECT oms.request_return(:liam, '[{"sku": "HEADPHONES", "qty": 1, "reason": "defective"}]', 'refund',
                          '{"authorize": true}') AS liam_rma \gset
\echo 'The box that comes back holds another unit (HP-0003 never left the warehouse): refused, OM013.'
SELECT pg_temp.refused(format($$SELECT oms.receive_return(%s, 'WH-EAST', '[{"sku": "HEADPHONES", "qty": 1, "serials": ["HP-0003"]}]')$$, :liam_rma));
\echo 'The unit that was shipped comes back, graded damaged.'
SELECT oms.receive_return(:liam_rma, 'WH-EAST',
                          '[{"sku": "HEADPHONES", "qty": 1, "condition": "damaged", "serials": ["HP-0002"]}]') AS received;
SELECT serial, event, location, shipment_number, order_number, reference
FROM oms.serial_history WHERE serial = 'HP-0002' ORDER BY seq;
SELECT (SELECT count(*) FROM oms.check_serials()) AS serial_disagreements;

\echo
\echo '== 16. Jobs'
\echo 'The DBA opts in to the jobs with pg_cron: expiring cart holds, purging old events and keys, reordering, forecasting.'
SELECT jobname, schedule, command FROM oms.schedule_jobs() ORDER BY jobname;

\echo
\echo '== 17. Everything still agrees'
\echo 'Ledger and levels, reservations, incoming and payments are checked against each other: no disagreements.'
SELECT (SELECT count(*) FROM oms.check_inventory()) AS inventory_disagreements,
       (SELECT count(*) FROM oms.check_payments()) AS payment_problems;
SELECT order_number, customer, status, payment_status, fulfillment_status, units_ordered, units_delivered
FROM oms.order_tracking ORDER BY order_number;

\echo
\echo '== 18. A Shopify order imported'
\echo 'The shop also sells on Shopify. Its skus map to ours; the webhooks post the order JSON as Shopify sends it.'
INSERT INTO oms.channel (code, name, kind) VALUES ('shopify', 'Shopify store', 'web');
SELECT oms.set_sku_map('shopify', 'TSHIRT-BLACK-M', 'TEE-BLK-M'), oms.set_sku_map('shopify', 'MUG-STONEWARE', 'MUG-12OZ');
\set shopify_order '{"id": 5820398712345, "name": "#1042", "email": "Lena.Fischer@example.com", "currency": "USD", "financial_status": "paid", "taxes_included": false, "customer": {"first_name": "Lena", "last_name": "Fischer", "email": "Lena.Fischer@example.com"}, "line_items": [{"id": 1, "sku": "TSHIRT-BLACK-M", "quantity": 2, "price": "24.00", "total_discount": "4.80", "tax_lines": [{"price": "3.07", "rate": 0.08}]}, {"id": 2, "sku": "MUG-STONEWARE", "quantity": 1, "price": "12.00", "total_discount": "1.20", "tax_lines": [{"price": "0.77", "rate": 0.08}]}], "total_discounts": "6.00", "total_tax": "3.84", "shipping_lines": [{"code": "Standard", "price": "5.00", "discounted_price": "5.00"}], "shipping_address": {"name": "Lena Fischer", "address1": "250 Broad St", "city": "Newark", "province_code": "NJ", "zip": "07104", "country_code": "US", "latitude": 40.74, "longitude": -74.17}, "total_price": "62.84"}'
\set shopify_sale '{"id": 7300112233, "order_id": 5820398712345, "kind": "sale", "status": "success", "amount": "62.84", "currency": "USD", "gateway": "shopify_payments", "authorization": "pi_3Qx81"}'
\echo 'The payment webhook overtakes the order webhook: the notice is kept (no payment yet).'
SELECT oms.import_payment('shopify', :'shopify_sale') AS payment_id;
\echo 'The order arrives: placed with its discount, tax, shipping and ship-to address, its stock reserved, and the kept payment applied.'
SELECT oms.import_order('shopify', :'shopify_order') AS shopify_id \gset
SELECT order_number, channel_order_ref, subtotal, discount, tax, shipping, total, payment_status,
       ship_to->>'region' AS region
FROM oms.sales_order WHERE order_id = :shopify_id;
SELECT l.line_no, i.sku, l.qty_ordered, l.unit_price, r.location
FROM oms.order_line l JOIN oms.item i USING (item_id)
LEFT JOIN LATERAL (SELECT string_agg(DISTINCT lo.code, ', ') AS location FROM oms.reservation rv
                   JOIN oms.location lo USING (location_id) WHERE rv.line_id = l.line_id) r ON true
WHERE l.order_id = :shopify_id ORDER BY l.line_no;
\echo 'Shopify retries the webhook: the same order comes back, nothing is placed twice. A sku nobody mapped is refused by name.'
SELECT oms.import_order('shopify', :'shopify_order') = :shopify_id AS same_order,
       (SELECT count(*) FROM oms.payment WHERE order_id = :shopify_id AND kind = 'capture') AS captures;
\pset tuples_only on
SELECT pg_temp.refused(format($$SELECT oms.import_order('shopify', %L)$$,
    jsonb_set(:'shopify_order'::jsonb || '{"id": 5820398712346}', '{line_items,1,sku}', '"MUG-ENAMEL"')));
\pset tuples_only off
SELECT (SELECT count(*) FROM oms.check_inventory()) AS inventory_disagreements,
       (SELECT count(*) FROM oms.check_payments()) AS payment_problems;
\echo '== 19. Customer notifications'
\echo 'The DBA turns customer notifications on for the shop database (they are off by default).'
SELECT format('ALTER DATABASE %I SET oms.customer_notifications = on', current_database()) \gexec
SET oms.customer_notifications = on;
\echo 'The shop installs its message templates: email in English and German, SMS in English.'
SELECT language, channel, count(*) AS templates
FROM oms.default_notification_templates() t,
     LATERAL (SELECT oms.set_notification_template(t.kind, t.channel, t.language, t.subject, t.body)) s
GROUP BY 1, 2 ORDER BY 1, 2;
\echo 'Maya reads German; Noah wants SMS and nothing about payments.'
SELECT c.email, p.channel, p.language, p.phone, p.opt_out
FROM (VALUES ('maya@example.com', NULL, 'de', NULL, NULL::text[]),
             ('noah@example.com', 'sms', NULL, '+15550100', '{payment_confirmation}')) AS v (email, channel, language, phone, opt_out)
CROSS JOIN LATERAL oms.set_notification_preference(v.email, v.channel, v.language, v.phone, v.opt_out) p
JOIN oms.customer c ON c.customer_id = p.customer_id;
\echo 'Ava orders two mugs. Her confirmation email is rendered in the same transaction as the order;'
\echo 'the worker sends it next (make demo prints it as the mail server received it).'
SELECT oms.place_order('ava@example.com', 'web', '[{"sku": "MUG-12OZ", "qty": 2, "unit_price": "12.00"}]',
                       '{"shipping": "4.90", "ship_to": {"name": "Ava Jones", "line1": "12 Elm St",
                         "city": "Boston", "postal_code": "02108", "country": "US"}}') AS ava_again \gset
SELECT notification_id, kind, channel, language, recipient, state, subject
FROM oms.notification WHERE order_id = :ava_again;
