-- notifications: customer notifications rendered from the outbox (issue 16,
-- item 1): templates per kind, channel and language, preferences per
-- customer, the notification table fed in the event's transaction, the
-- worker's claim and marks, and every error class
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
-- off by default (it costs place_order): a superuser turns it on, for a
-- database with ALTER DATABASE ... SET, here for the session
SHOW oms.customer_notifications;
SET oms.customer_notifications = on;

INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee'), ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name, tracking_url) VALUES ('UPS', 'UPS', 'https://ups.example/track?n={tracking_number}');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
SELECT count(oms.receive_stock(s, 'EAST', 100)) AS received FROM unnest(ARRAY['TEE', 'MUG']) s;

-- the kinds and the variables their templates may use
SELECT kind, topic, variables FROM oms.notification_kind ORDER BY kind;

-- ---------------------------------------------------------------------------
-- without a template an order's customer gets nothing, and it shows
-- ---------------------------------------------------------------------------
SELECT oms.place_order('first@example.com', 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "10"}]') AS o0 \gset
SELECT kind, channel, language, recipient, state, last_error FROM oms.notification ORDER BY notification_id;

-- the reference templates: email and sms in en, email in de
SELECT count(oms.set_notification_template(kind, channel, language, subject, body)) AS templates
FROM oms.default_notification_templates();
SELECT language, channel, count(*) FROM oms.notification_template GROUP BY 1, 2 ORDER BY 1, 2;

-- ---------------------------------------------------------------------------
-- bad templates: unknown kind OM003; channel, language, subject, body and
-- placeholders 22023; direct writes are checked the same way
-- ---------------------------------------------------------------------------
SELECT pg_temp.try($$SELECT oms.set_notification_template('order_shipped', 'email', 'en', 's', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template(NULL, 'email', 'en', 's', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'fax', 'en', 's', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'email', 'english', 's', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'email', NULL, 's', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'email', 'en', NULL, 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'email', 'en', E'two\nlines', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'sms', 'en', 'a subject', 'b')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'email', 'en', 's', ' ')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'sms', 'en', NULL, repeat('x', 1601))$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'email', 'en', 'Order {order_number}', 'Hi {first_name}')$$);
-- a variable of another kind is unknown here too: an order confirmation has no tracking link
SELECT pg_temp.try($$SELECT oms.set_notification_template('order_confirmation', 'email', 'en', 'Order {order_number}', 'Track: {tracking_link}')$$);
SELECT pg_temp.try($$INSERT INTO oms.notification_template (kind, channel, language, subject, body) VALUES ('delivery', 'email', 'fr', 'Livré {eta}', 'x')$$);
SELECT pg_temp.try($$UPDATE oms.notification_template SET body = body || '{bogus}' WHERE kind = 'delivery' AND channel = 'sms'$$);
-- nothing changed
SELECT count(*) AS templates, count(*) FILTER (WHERE body LIKE '%bogus%') AS bogus FROM oms.notification_template;
-- braces that are no placeholder are text
SELECT oms.render_template('Hi {name}, {not a placeholder} {} {', '{"name": "Ann"}');
-- one pass: a value that looks like a placeholder stays as it is
SELECT oms.render_template('{customer_name} owes {total}', '{"customer_name": "{total}", "total": "5.00"}');

-- ---------------------------------------------------------------------------
-- preferences: unknown customer, language or kind OM003; bad channel,
-- language tag, phone, sms without phone, NULL kinds 22023
-- ---------------------------------------------------------------------------
SELECT oms.place_order(c, 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "10"}]',
                       jsonb_build_object('customer_name', n)) IS NOT NULL AS customer_created
FROM (VALUES ('ann@example.com', 'Ann'), ('bernd@example.com', 'Bernd'), ('cy@example.com', 'Cy'),
             ('dee@example.com', 'Dee'), ('eve@example.com', 'Eve')) AS v(c, n)
ORDER BY c;
SELECT pg_temp.try($$SELECT oms.set_notification_preference('nobody@example.com', 'sms')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('', 'email')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', 'pigeon')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', language => 'EN_us')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', language => 'fr')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', phone => '555-1234')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', 'sms')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', opt_out => '{order_confirmation,newsletter}')$$);
SELECT pg_temp.try($$SELECT oms.set_notification_preference('ann@example.com', opt_out => '{NULL}')$$);
SELECT pg_temp.try($$INSERT INTO oms.notification_preference (customer_id, channel) SELECT customer_id, 'carrier pigeon' FROM oms.customer WHERE email = 'ann@example.com'$$);
SELECT count(*) AS preferences FROM oms.notification_preference;

SELECT channel, language, phone, opt_out FROM oms.set_notification_preference('BERND@example.com', language => 'de');
SELECT channel, language, phone, opt_out FROM oms.set_notification_preference('cy@example.com', 'sms', phone => '+15551234567');
SELECT channel, language, phone, opt_out FROM oms.set_notification_preference('dee@example.com', opt_out => '{order_confirmation,delivery,delivery}');
SELECT channel, language, phone, opt_out FROM oms.set_notification_preference('eve@example.com', 'none');
-- NULL keeps what was set; Cy reads German, but there is no German sms:
-- Cy gets the English one (language says which template was used)
SELECT channel, language, phone, opt_out FROM oms.set_notification_preference('cy@example.com', language => 'de');

-- ---------------------------------------------------------------------------
-- each customer's order confirmation: email in en (and en for a language
-- without that template), email in de, sms, opted out, none
-- ---------------------------------------------------------------------------
DELETE FROM oms.notification;
SELECT count(oms.place_order(c, 'web', '[{"sku": "TEE", "qty": 2, "unit_price": "12.50"}, {"sku": "MUG", "qty": 1, "unit_price": "8"}]',
                             '{"shipping": "4.90", "tax": "3.10", "confirm": true}')) AS placed
FROM unnest(ARRAY['ann@example.com', 'bernd@example.com', 'cy@example.com', 'dee@example.com', 'eve@example.com']) c;
SELECT n.kind, c.email AS customer, n.channel, n.language, n.recipient, n.state, n.attempts, n.last_error,
       n.subject
FROM oms.notification n JOIN oms.customer c USING (customer_id) ORDER BY n.notification_id;
SELECT regexp_replace(body, '\d{4}-\d{2}-\d{2}', 'YYYY-MM-DD', 'g') AS body
FROM oms.notification WHERE state = 'pending' ORDER BY notification_id;
-- the event it came from
SELECT e.topic, e.entity, n.order_id = e.entity_id AS same_order
FROM oms.notification n JOIN oms.event e USING (event_id) ORDER BY n.notification_id LIMIT 1;

-- ---------------------------------------------------------------------------
-- the life of Ann's order: payment, shipment with tracking link and ETA,
-- delivery, return received, refund
-- ---------------------------------------------------------------------------
SELECT order_id AS ann FROM oms.sales_order so JOIN oms.customer c USING (customer_id)
WHERE c.email = 'ann@example.com' ORDER BY order_id DESC LIMIT 1 \gset
DELETE FROM oms.notification;
SELECT oms.record_payment(:ann, 'authorization', 41.00) > 0 AS authorized,
       oms.record_payment(:ann, 'capture', 41.00) > 0 AS captured;
SELECT oms.create_shipment(:ann, 'EAST') AS s \gset
SELECT oms.ship(:s, 'UPS', '1Z 999') IS NOT NULL AS shipped;
SELECT oms.deliver(:s) AS delivered;
SELECT oms.request_return(:ann, '[{"sku": "MUG", "qty": 1, "reason": "damaged"}]', 'refund', '{"authorize": true}') AS r \gset
SELECT oms.receive_return(:r, 'EAST', '[{"sku": "MUG", "qty": 1, "condition": "damaged"}]');
SELECT oms.refund(:ann, 8.00, 'damaged mug') > 0 AS refunded;
SELECT kind, recipient, state, subject,
       regexp_replace(body, '\d{4}-\d{2}-\d{2}', 'YYYY-MM-DD', 'g') AS body
FROM oms.notification ORDER BY notification_id;
-- Cy hears the same by sms, with the tracking link and the ETA
SELECT order_id AS cy FROM oms.sales_order so JOIN oms.customer c USING (customer_id)
WHERE c.email = 'cy@example.com' ORDER BY order_id DESC LIMIT 1 \gset
SELECT oms.create_shipment(:cy, 'EAST') AS cys \gset
SELECT oms.ship(:cys, 'UPS', '1Z1000') IS NOT NULL AS shipped;
SELECT kind, recipient, regexp_replace(body, '\d{4}-\d{2}-\d{2}', 'YYYY-MM-DD', 'g') AS body
FROM oms.notification WHERE order_id = :cy;

-- ---------------------------------------------------------------------------
-- what is not notified: a rolled-back order, an order without customer,
-- an admin's event about no order, everything with the setting off
-- ---------------------------------------------------------------------------
DELETE FROM oms.notification;
BEGIN;
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "TEE", "qty": 1}]') > 0 AS placed;
SELECT count(*) AS in_transaction FROM oms.notification;
ROLLBACK;
INSERT INTO oms.sales_order DEFAULT VALUES;
SELECT oms.emit_event('order.placed', 'order', 999999) > 0 AS emitted;
SET oms.customer_notifications = off;
SELECT oms.place_order('ann@example.com', 'web', '[{"sku": "TEE", "qty": 1}]') > 0 AS placed_with_setting_off;
SET oms.customer_notifications = on;
SELECT count(*) AS notifications FROM oms.notification;
-- the setting is the superuser's
SET ROLE oms_app;
SELECT pg_temp.try($$SET oms.customer_notifications = off$$);
RESET ROLE;

-- ---------------------------------------------------------------------------
-- the worker's side, as oms_app: claim, mark sent, fail and retry
-- ---------------------------------------------------------------------------
SELECT oms.place_order(c, 'web', '[{"sku": "TEE", "qty": 1, "unit_price": "10"}]') > 0 AS placed
FROM unnest(ARRAY['ann@example.com', 'bernd@example.com', 'cy@example.com', 'first@example.com', 'eve@example.com']) c;
SELECT channel, state, count(*) FROM oms.notification GROUP BY 1, 2 ORDER BY 1, 2;
SET ROLE oms_app;
SELECT notification_id AS n1 FROM oms.claim_notifications('w1', 2) ORDER BY notification_id LIMIT 1 \gset
SELECT recipient, attempts, claimed_by, next_attempt_at > now() + interval '50 seconds' AS leased
FROM oms.notification WHERE claimed_by IS NOT NULL ORDER BY notification_id;
-- another worker gets the rest, never the claimed ones
SELECT recipient FROM oms.claim_notifications('w2', 10) ORDER BY notification_id;
SELECT count(*) AS left_to_claim FROM oms.claim_notifications('w3', 10);
-- the sms worker gets Cy's
SELECT recipient, body FROM oms.claim_notifications('sms-1', 10, channel => 'sms');
-- sent once; a second mark says false (already sent)
SELECT oms.notification_sent('w1', :n1) AS marked, oms.notification_sent('w1', :n1) AS marked_again;
-- a transient failure: pending again, due after the backoff (30 s after
-- the first attempt) or retry_in; a permanent one: failed
SELECT notification_id AS n2 FROM oms.notification WHERE claimed_by = 'w1' AND state = 'pending' \gset
SELECT oms.notification_failed('w1', :n2, '451 try again later') AS state;
SELECT state, attempts, last_error, next_attempt_at BETWEEN now() + interval '29 seconds' AND now() + interval '31 seconds' AS backoff
FROM oms.notification WHERE notification_id = :n2;
SELECT notification_id AS n3 FROM oms.notification WHERE claimed_by = 'w2' AND state = 'pending' ORDER BY notification_id LIMIT 1 \gset
SELECT oms.notification_failed('w2', :n3, '550 no such user', permanent => true) AS state;
-- marks of what is not claimed and pending: OM002; unknown: OM003
SELECT pg_temp.try(format($$SELECT oms.notification_sent('w2', %s)$$, :n3));
SELECT pg_temp.try(format($$SELECT oms.notification_failed('w1', %s, 'x')$$, :n1));
SELECT pg_temp.try(format($$SELECT oms.notification_sent('w1', %s)$$, (SELECT min(notification_id) FROM oms.notification WHERE state = 'suppressed')));
SELECT pg_temp.try($$SELECT oms.notification_sent('w1', 424242)$$);
-- bad arguments: 22023, and 22003 past a bound
SELECT pg_temp.try($$SELECT * FROM oms.claim_notifications('', 10)$$);
SELECT pg_temp.try($$SELECT * FROM oms.claim_notifications('w1', 0)$$);
SELECT pg_temp.try($$SELECT * FROM oms.claim_notifications('w1', 10001)$$);
SELECT pg_temp.try($$SELECT * FROM oms.claim_notifications('w1', 10, '0 seconds')$$);
SELECT pg_temp.try($$SELECT * FROM oms.claim_notifications('w1', 10, '2 days')$$);
SELECT pg_temp.try($$SELECT * FROM oms.claim_notifications('w1', 10, channel => 'none')$$);
SELECT pg_temp.try(format($$SELECT oms.notification_failed('w2', %s, '')$$, :n2));
SELECT pg_temp.try(format($$SELECT oms.notification_failed('w2', %s, 'x', retry_in => '-1 second')$$, :n2));
SELECT pg_temp.try(format($$SELECT oms.notification_failed('w2', %s, 'x', retry_in => '8 days')$$, :n2));
-- the app cannot write notifications, templates or preferences directly, nor purge
SELECT pg_temp.try($$UPDATE oms.notification SET state = 'sent'$$);
SELECT pg_temp.try($$DELETE FROM oms.notification_template$$);
SELECT pg_temp.try($$SELECT oms.set_notification_template('delivery', 'sms', 'en', NULL, 'x')$$);
SELECT pg_temp.try($$SELECT oms.purge_notifications()$$);
RESET ROLE;
-- the reader sees states and counts through the view, not the table with
-- its recipients and bodies
SET ROLE oms_reader;
SELECT kind, channel, state, count(*) FROM oms.notification_overview GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT pg_temp.try($$SELECT recipient FROM oms.notification$$);
SELECT pg_temp.try($$SELECT state FROM oms.notification$$);
RESET ROLE;

-- a lease that ended makes the notification claimable again
UPDATE oms.notification SET next_attempt_at = now() - interval '1 second' WHERE notification_id = :n2;
SELECT notification_id = :n2 AS same, attempts FROM oms.claim_notifications('w9', 1);

-- purge: what is done and old enough; pending never
SELECT pg_temp.try($$SELECT oms.purge_notifications('-1 day')$$);
SELECT pg_temp.try($$SELECT oms.purge_notifications('11 years')$$);
SELECT oms.purge_notifications('0 seconds') AS purged;
SELECT state, count(*) FROM oms.notification GROUP BY 1 ORDER BY 1;
