-- import: marketplace and storefront orders (Shopify, WooCommerce, Amazon)
-- imported from fixture payloads written from each platform's published
-- examples (test/fixtures/import/), payment notices in both orders of
-- arrival, re-deliveries, and every error class (README, Marketplace import)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
\set fixtures :abs_srcdir '/test/fixtures/import'
\set shopify_order `cat :'fixtures'/shopify_order.json`
\set shopify_auth `cat :'fixtures'/shopify_transaction_authorization.json`
\set shopify_capture `cat :'fixtures'/shopify_transaction_capture.json`
\set woo_order `cat :'fixtures'/woocommerce_order.json`
\set woo_paid `cat :'fixtures'/woocommerce_order_paid.json`
\set amazon_order `cat :'fixtures'/amazon_getOrder.json`
\set amazon_items `cat :'fixtures'/amazon_getOrderItems.json`
CREATE TEMP TABLE fixture (name text PRIMARY KEY, payload jsonb);
INSERT INTO fixture VALUES ('shopify_order', :'shopify_order'), ('shopify_auth', :'shopify_auth'),
    ('shopify_capture', :'shopify_capture'), ('woo_order', :'woo_order'), ('woo_paid', :'woo_paid'),
    -- Amazon: the payload objects of getOrder and getOrderItems, merged
    ('amazon_order', (:'amazon_order'::jsonb -> 'payload') || (:'amazon_items'::jsonb -> 'payload'));
CREATE FUNCTION pg_temp.fx(n text) RETURNS jsonb LANGUAGE sql AS $$ SELECT payload FROM fixture WHERE name = n $$;
-- an imported order, compactly
CREATE FUNCTION pg_temp.imported(o bigint) RETURNS TABLE (order_number text, channel text, ref text, customer text,
    currency text, subtotal numeric, discount numeric, tax numeric, shipping numeric, total numeric,
    service_level text, payment_status text)
LANGUAGE sql AS $$
    SELECT s.order_number, c.code, s.channel_order_ref, cu.email, s.currency, s.subtotal, s.discount, s.tax,
           s.shipping, s.total, s.service_level, s.payment_status
    FROM oms.sales_order s JOIN oms.channel c USING (channel_id) JOIN oms.customer cu USING (customer_id)
    WHERE s.order_id = o
$$;
CREATE FUNCTION pg_temp.lines(o bigint) RETURNS TABLE (line_no integer, sku text, qty bigint, unit_price numeric)
LANGUAGE sql AS $$
    SELECT l.line_no, i.sku, l.qty_ordered, l.unit_price FROM oms.order_line l JOIN oms.item i USING (item_id)
    WHERE l.order_id = o ORDER BY l.line_no
$$;

INSERT INTO oms.location (code, name, region) VALUES ('EAST', 'East DC', 'US-KY'), ('WEST', 'West DC', 'US-WA');
INSERT INTO oms.item (sku, name) VALUES ('NANO-GRN', 'iPod nano, green'), ('NANO-RED', 'iPod nano, red'),
    ('TEE', 'Tee'), ('HOODIE-BLK-M', 'Hoodie, black, M'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name, kind) VALUES ('shopify', 'Shopify store', 'web'),
    ('woocommerce', 'WooCommerce store', 'web'), ('amazon', 'Amazon US', 'marketplace'),
    ('shopify-eu', 'Shopify EU store', 'web');
SELECT count(oms.receive_stock(s, l, 20)) AS received
FROM unnest(ARRAY['NANO-GRN', 'NANO-RED', 'TEE', 'HOODIE-BLK-M', 'MUG']) s, unnest(ARRAY['EAST', 'WEST']) l;

-- the sku maps: per channel, the platform's sku -> ours
SELECT oms.set_sku_map('shopify', 'IPOD2008GREEN', 'NANO-GRN'), oms.set_sku_map('shopify', 'IPOD2008RED', 'TEE');
SELECT oms.set_sku_map('shopify', 'IPOD2008RED', 'NANO-RED');   -- corrected: replaces the first mapping
SELECT oms.set_sku_map('woocommerce', 'woo-single', 'TEE'),
       oms.set_sku_map('woocommerce', 'woo-ship-your-idea-black-m', 'HOODIE-BLK-M'),
       oms.set_sku_map('amazon', 'MY-SKU-12345', 'HOODIE-BLK-M'), oms.set_sku_map('amazon', 'MY-SKU-67890', 'MUG');
SELECT c.code, m.external_sku, i.sku FROM oms.sku_map m JOIN oms.channel c USING (channel_id) JOIN oms.item i USING (item_id)
ORDER BY 1, 2;
SELECT oms.set_sku_map('shopify', 'TMP', 'TEE'), oms.unset_sku_map('shopify', 'TMP') AS removed,
       oms.unset_sku_map('shopify', 'TMP') AS removed_again;
SELECT pg_temp.try($$SELECT oms.set_sku_map('nope', 'X', 'TEE')$$);
SELECT pg_temp.try($$SELECT oms.set_sku_map('shopify', 'X', 'NOPE')$$);
SELECT pg_temp.try($$SELECT oms.set_sku_map('shopify', '', 'TEE')$$);
SELECT pg_temp.try($$SELECT oms.set_sku_map('shopify', 'X', NULL)$$);

-- ===========================================================================
-- Shopify: the authorization arrives before its order (webhooks come out of
-- order): kept, then applied when the order is imported; the capture
-- arrives after and is applied at once
-- ===========================================================================
SELECT oms.import_payment('shopify', pg_temp.fx('shopify_auth')) AS payment_before_order;
SELECT platform_order_id, notice_key, kind, amount, currency, provider, provider_ref, state, payment_id
FROM oms.import_payment_notice ORDER BY notice_id;
SELECT platform_order_id, source, order_id FROM oms.order_import ORDER BY 1;
-- redelivered before the order: still kept, once
SELECT oms.import_payment('shopify', pg_temp.fx('shopify_auth')) AS payment_before_order,
       (SELECT count(*) FROM oms.import_payment_notice) AS notices;

SELECT oms.import_order('shopify', pg_temp.fx('shopify_order')) AS shopify \gset
SELECT * FROM pg_temp.imported(:shopify);
SELECT * FROM pg_temp.lines(:shopify);
SELECT jsonb_pretty(ship_to) FROM oms.sales_order WHERE order_id = :shopify;
SELECT platform_order_id, platform_order_name, source, order_id = :shopify AS this_order, imported_at IS NOT NULL AS imported
FROM oms.order_import ORDER BY 1;
-- the early authorization was applied when the order arrived, once
SELECT notice_key, state, (SELECT kind FROM oms.payment p WHERE p.payment_id = n.payment_id) AS ledger_kind
FROM oms.import_payment_notice n ORDER BY notice_id;
SELECT kind, amount, currency, provider, provider_ref, idempotency_key FROM oms.payment WHERE order_id = :shopify ORDER BY payment_id;

-- a re-delivered webhook returns the first order and changes nothing; so
-- does one whose fields oms does not read changed (updated_at, note)
SELECT oms.import_order('shopify', pg_temp.fx('shopify_order')) = :shopify AS same_order,
       oms.import_order('shopify', pg_temp.fx('shopify_order') || '{"updated_at": "2008-01-11T09:00:00-05:00", "note": "gift"}') = :shopify AS same_order,
       (SELECT count(*) FROM oms.sales_order) AS orders, (SELECT count(*) FROM oms.payment) AS payments;
-- the same id with other contents is OM004, naming the first order
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$,
    jsonb_set(pg_temp.fx('shopify_order'), '{shipping_address,address1}', '"Elm Street 1"')));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L, options => '{"confirm": true}')$$, pg_temp.fx('shopify_order')));

-- the capture arrives after the order: recorded at once; redelivered, the same payment
SELECT oms.import_payment('shopify', pg_temp.fx('shopify_capture')) AS capture \gset
SELECT :capture = oms.import_payment('shopify', pg_temp.fx('shopify_capture')) AS same_payment;
SELECT kind, amount, provider_ref, idempotency_key FROM oms.payment WHERE order_id = :shopify ORDER BY payment_id;
SELECT * FROM pg_temp.imported(:shopify);
-- a pending or failed transaction records nothing
SELECT oms.import_payment('shopify', pg_temp.fx('shopify_capture') || '{"id": 1068278476, "status": "failure"}') AS failed_transaction,
       (SELECT count(*) FROM oms.import_payment_notice) AS notices;
-- the same transaction id with other contents is OM004
SELECT pg_temp.try(format($$SELECT oms.import_payment('shopify', %L)$$,
    pg_temp.fx('shopify_capture') || '{"amount": "1.00"}'));

-- ===========================================================================
-- WooCommerce: the order first, then order.updated saying it was paid
-- ===========================================================================
SELECT oms.import_payment('woocommerce', pg_temp.fx('woo_order')) AS unpaid_order_records_nothing;
SELECT oms.import_order('woocommerce', pg_temp.fx('woo_order'), options => '{"payment_required": "captured"}') AS woo \gset
SELECT * FROM pg_temp.imported(:woo);
SELECT * FROM pg_temp.lines(:woo);
SELECT ship_to FROM oms.sales_order WHERE order_id = :woo;
SELECT oms.import_payment('woocommerce', pg_temp.fx('woo_paid')) > 0 AS paid_after_order;
SELECT kind, amount, provider, provider_ref FROM oms.payment WHERE order_id = :woo ORDER BY payment_id;
-- the paid order re-delivered: the same order, the same single capture
SELECT oms.import_order('woocommerce', pg_temp.fx('woo_order'), options => '{"payment_required": "captured"}') = :woo AS same_order,
       oms.import_payment('woocommerce', pg_temp.fx('woo_paid')) IS NOT NULL AS same_payment,
       (SELECT count(*) FROM oms.payment WHERE order_id = :woo) AS payments;
SELECT * FROM pg_temp.imported(:woo);

-- WooCommerce the other way round: paid (order.updated) before order.created
SELECT oms.import_payment('woocommerce', pg_temp.fx('woo_paid') || '{"id": 728, "number": "728"}') AS paid_before_order;
SELECT oms.import_order('woocommerce', pg_temp.fx('woo_order') || '{"id": 728, "number": "728"}') AS woo2 \gset
SELECT order_number, payment_status, total FROM pg_temp.imported(:woo2);
SELECT platform_order_id, notice_key, state FROM oms.import_payment_notice n
JOIN oms.channel c USING (channel_id) WHERE c.code = 'woocommerce' ORDER BY notice_id;

-- ===========================================================================
-- Amazon: getOrder's payload merged with getOrderItems'
-- ===========================================================================
SELECT oms.import_order('amazon', pg_temp.fx('amazon_order')) AS amazon \gset
SELECT * FROM pg_temp.imported(:amazon);
SELECT * FROM pg_temp.lines(:amazon);
SELECT ship_to FROM oms.sales_order WHERE order_id = :amazon;
SELECT oms.import_order('amazon', pg_temp.fx('amazon_order')) = :amazon AS same_order;
SELECT pg_temp.try(format($$SELECT oms.import_payment('amazon', %L)$$, pg_temp.fx('amazon_order')));

-- ===========================================================================
-- A notice the ledger refuses when its order arrives does not stop the
-- import: it is kept as failed, with the reason
-- ===========================================================================
SELECT oms.import_payment('shopify', pg_temp.fx('shopify_auth') || '{"id": 7001, "order_id": 9001, "currency": "EUR"}') AS kept;
SELECT oms.import_order('shopify', pg_temp.fx('shopify_order') || '{"id": 9001, "name": "#1002"}') AS s9001 \gset
SELECT notice_key, state, payment_id, error FROM oms.import_payment_notice WHERE platform_order_id = '9001';
SELECT payment_status FROM oms.sales_order WHERE order_id = :s9001;

-- ===========================================================================
-- Another channel of the same platform has its own sku map
-- ===========================================================================
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L, 'shopify-eu')$$, pg_temp.fx('shopify_order')));

-- ===========================================================================
-- Every error class; a refused import writes nothing
-- ===========================================================================
CREATE TEMP TABLE counts AS
SELECT (SELECT count(*) FROM oms.sales_order) AS orders, (SELECT count(*) FROM oms.order_import) AS imports,
       (SELECT count(*) FROM oms.import_payment_notice) AS notices, (SELECT count(*) FROM oms.payment) AS payments;
-- unknown source, payload not an object (22023)
SELECT pg_temp.try($$SELECT oms.import_order('ebay', '{}')$$);
SELECT pg_temp.try($$SELECT oms.import_order(NULL, '{}')$$);
SELECT pg_temp.try($$SELECT oms.import_order('shopify', '[]')$$);
SELECT pg_temp.try($$SELECT oms.import_payment('magento', '{}')$$);
-- unknown channel (OM003)
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L, 'nope')$$, pg_temp.fx('shopify_order')));
-- missing platform id (22023)
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, pg_temp.fx('shopify_order') - 'id'));
SELECT pg_temp.try(format($$SELECT oms.import_order('woocommerce', %L)$$, pg_temp.fx('woo_order') - 'id'));
SELECT pg_temp.try(format($$SELECT oms.import_order('amazon', %L)$$, pg_temp.fx('amazon_order') - 'AmazonOrderId'));
SELECT pg_temp.try(format($$SELECT oms.import_payment('shopify', %L)$$, pg_temp.fx('shopify_capture') - 'order_id'));
-- malformed payloads (22023, naming the field)
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, pg_temp.fx('shopify_order') - 'line_items'));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, jsonb_set(pg_temp.fx('shopify_order'), '{line_items,1,quantity}', '"two"')));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, jsonb_set(pg_temp.fx('shopify_order'), '{line_items,0,price}', '"19.999"')));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, jsonb_set(pg_temp.fx('shopify_order'), '{line_items,0,sku}', 'null')));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, jsonb_set(pg_temp.fx('shopify_order'), '{total_tax}', '{"amount": 1}')));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, pg_temp.fx('shopify_order') - 'email' - 'contact_email' - 'customer'));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, pg_temp.fx('shopify_order') || '{"taxes_included": true}'));
SELECT pg_temp.try(format($$SELECT oms.import_order('woocommerce', %L)$$, jsonb_set(pg_temp.fx('woo_order'), '{line_items,0,subtotal}', '"6.01"')));
SELECT pg_temp.try(format($$SELECT oms.import_order('amazon', %L)$$, jsonb_set(pg_temp.fx('amazon_order'), '{OrderItems,1,ItemPrice,CurrencyCode}', '"EUR"')));
SELECT pg_temp.try(format($$SELECT oms.import_order('amazon', %L)$$, (:'amazon_order'::jsonb -> 'payload')));
SELECT pg_temp.try(format($$SELECT oms.import_payment('shopify', %L)$$, pg_temp.fx('shopify_capture') || '{"kind": "change"}'));
-- the platform's total differs from what the order would say (22023): a tip oms does not map
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, pg_temp.fx('shopify_order') || '{"id": 1, "total_price": "613.94", "total_tip_received": "5.00"}'));
-- an option the payload decides, or an unknown one (22023)
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L, options => '{"tax": "0"}')$$, pg_temp.fx('shopify_order')));
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L, options => '[]')$$, pg_temp.fx('shopify_order')));
-- unmapped sku (OM003, naming it and the channel)
SELECT pg_temp.try(format($$SELECT oms.import_order('shopify', %L)$$, jsonb_set(pg_temp.fx('shopify_order') || '{"id": 2}', '{line_items,1,sku}', '"IPOD2008BLUE"')));
-- an order from another source under a platform id the channel knows (22023)
SELECT pg_temp.try(format($$SELECT oms.import_payment('woocommerce', %L, 'shopify')$$, pg_temp.fx('woo_paid') || '{"id": 450789469}'));
-- same platform id, different payload (OM004)
SELECT pg_temp.try(format($$SELECT oms.import_order('amazon', %L)$$, jsonb_set(pg_temp.fx('amazon_order'), '{ShippingAddress,AddressLine1}', '"2 Main St"')));
SELECT (SELECT count(*) FROM oms.sales_order) AS orders, (SELECT count(*) FROM oms.order_import) AS imports,
       (SELECT count(*) FROM oms.import_payment_notice) AS notices, (SELECT count(*) FROM oms.payment) AS payments
EXCEPT SELECT * FROM counts;

-- ===========================================================================
-- The discount on the order (place_order option): at most the subtotal; a
-- cancellation that takes the subtotal below it leaves total = tax + shipping
-- ===========================================================================
SELECT pg_temp.try($$SELECT oms.place_order('d@example.com', 'shopify', '[{"sku": "TEE", "qty": 1, "unit_price": "10.00"}]', '{"discount": "10.01"}')$$);
SELECT pg_temp.try($$SELECT oms.place_order('d@example.com', 'shopify', '[{"sku": "TEE", "qty": 1, "unit_price": "10.00"}]', '{"discount": "-1"}')$$);
SELECT oms.place_order('d@example.com', 'shopify', '[{"sku": "TEE", "qty": 2, "unit_price": "10.00"}, {"sku": "MUG", "qty": 1, "unit_price": "5.00"}]',
                       '{"discount": "12.00", "tax": "1.00", "shipping": "2.00"}') AS disc \gset
SELECT subtotal, discount, tax, shipping, total FROM oms.sales_order WHERE order_id = :disc;
SELECT oms.record_payment(:disc, 'capture', 16.00) > 0 AS captured;
SELECT payment_status FROM oms.sales_order WHERE order_id = :disc;
SELECT oms.cancel_order(:disc, '[{"sku": "TEE", "qty": 2}]') AS cancelled;
SELECT subtotal, discount, tax, shipping, total, payment_status FROM oms.sales_order WHERE order_id = :disc;
SELECT pg_temp.try(format($$UPDATE oms.sales_order SET discount = 0 WHERE order_id = %s$$, :disc));

-- everything still agrees
SELECT count(*) AS inventory_problems FROM oms.check_inventory();
SELECT count(*) AS payment_problems FROM oms.check_payments();
