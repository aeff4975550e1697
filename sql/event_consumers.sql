-- event_consumers: each consumer of the outbox is bound to a role and to
-- its topics; a role reads, claims and acknowledges only its consumers'
-- events (issue 15, item 6).  Row-level security on oms.event does it.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
DROP ROLE IF EXISTS oms_billing_svc;
DROP ROLE IF EXISTS oms_shipping_svc;
DROP ROLE IF EXISTS oms_billing_worker;
DROP ROLE IF EXISTS oms_dba_own;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename

-- two applications, each a role in oms_app; billing runs two workers
CREATE ROLE oms_billing_svc IN ROLE oms_app;
CREATE ROLE oms_shipping_svc IN ROLE oms_app;
CREATE ROLE oms_billing_worker IN ROLE oms_billing_svc;

-- the administrator registers the consumers
SET ROLE oms_admin;
INSERT INTO oms.event_consumer (consumer, role_name, topics) VALUES
    ('billing-1', 'oms_billing_svc', '{payment.*,refund.issued}'),
    ('billing-2', 'oms_billing_svc', '{payment.*,refund.issued}'),
    ('shipping', 'oms_shipping_svc', '{shipment.*,order.confirmed}');
-- topics are topics, prefixes (x.*) or *
SELECT pg_temp.try($$INSERT INTO oms.event_consumer VALUES ('bad', 'oms_app', '{Order.*}')$$) AS bad_topic;
SELECT pg_temp.try($$INSERT INTO oms.event_consumer VALUES ('bad', 'oms_app', '{}')$$) AS no_topic;
SELECT pg_temp.try($$INSERT INTO oms.event_consumer VALUES ('bad', 'oms_app', '{order.*,NULL}')$$) AS null_topic;
SELECT pg_temp.try($$INSERT INTO oms.event_consumer VALUES ('bad', 'no_such_role_x')$$) AS unknown_role;
SELECT pg_temp.try($$INSERT INTO oms.event_consumer VALUES ('', 'oms_app')$$) AS empty_name;
RESET ROLE;
SELECT consumer, role_name, topics FROM oms.event_consumer ORDER BY consumer;
SELECT t, oms.event_topic_matches(t, '{payment.*,refund.issued}') AS billing,
       oms.event_topic_matches(t, '{*}') AS everything
FROM unnest(ARRAY['payment.captured', 'payment', 'refund.issued', 'refund.issued.late', 'paymentx.y', 'order.placed']) t
ORDER BY t;

-- events of every kind
SELECT count(oms.emit_event(t, 'order', n)) AS emitted
FROM unnest(ARRAY['order.placed', 'payment.captured', 'shipment.shipped', 'refund.issued', 'order.confirmed']) t,
     generate_series(1, 2) n;

-- ---------------------------------------------------------------------------
-- billing reads and claims its own topics only
-- ---------------------------------------------------------------------------
SET ROLE oms_billing_svc;
SELECT topic, entity_id, claimed_by FROM oms.event ORDER BY event_id;
SELECT topic, entity_id, claimed_by FROM oms.claim_events('billing-1', 3);
RESET ROLE;
-- shipping: its own topics, none of billing's claims
SET ROLE oms_shipping_svc;
SELECT topic, entity_id, claimed_by FROM oms.event ORDER BY event_id;
SELECT topic, entity_id FROM oms.claim_events('shipping', 100);
SELECT count(*) AS billing_rows_seen FROM oms.event WHERE claimed_by LIKE 'billing-%' OR topic LIKE 'payment.%';

-- ---------------------------------------------------------------------------
-- shipping may not act as billing: 42501 naming the role and the consumer
-- ---------------------------------------------------------------------------
SELECT pg_temp.try($$SELECT * FROM oms.claim_events('billing-1')$$) AS claim_as_billing;
SELECT pg_temp.try($$SELECT oms.ack_events('billing-1', ARRAY(SELECT event_id FROM oms.event))$$) AS ack_as_billing;
SELECT * FROM oms.claim_events('billing-2');
SELECT oms.ack_events('billing-1', '{1,2,3,4,5,6,7,8,9,10}');
-- nor under a name nobody registered
SELECT pg_temp.try($$SELECT * FROM oms.claim_events('shipping-2')$$) AS claim_unregistered;
SELECT pg_temp.try($$SELECT oms.ack_events('shipping-2', '{1}')$$) AS ack_unregistered;
SELECT oms.ack_events('shipping-2', '{1}');
-- nor by writing the claim columns: billing's rows are not there to update,
-- and a row of its own cannot be handed to billing
UPDATE oms.event SET acked_at = now() WHERE claimed_by = 'billing-1';
UPDATE oms.event SET claimed_by = 'shipping' WHERE claimed_by = 'billing-1' OR topic LIKE 'payment.%';
SELECT pg_temp.try($$UPDATE oms.event SET claimed_by = 'billing-1' WHERE claimed_by = 'shipping'$$) AS hand_over_to_billing;
SELECT pg_temp.try($$UPDATE oms.event SET claimed_by = 'nobody' WHERE claimed_by = 'shipping'$$) AS hand_over_to_nobody;
-- its own acknowledgement works as before; ids of billing's events count 0
SELECT oms.ack_events('shipping', ARRAY(SELECT event_id FROM oms.event WHERE claimed_by = 'shipping')) AS shipping_acked;
SELECT oms.ack_events('shipping', '{1,2,3,4,5,6,7,8,9,10}') AS again;
RESET ROLE;

-- ---------------------------------------------------------------------------
-- billing's second worker (a member of the same role) takes over the
-- first one's expired claims; a member role acts as its role's consumers
-- ---------------------------------------------------------------------------
SET ROLE oms_billing_worker;
SELECT topic, entity_id, claimed_by FROM oms.claim_events('billing-2', 100, '1 microsecond');
SELECT oms.ack_events('billing-2', ARRAY(SELECT event_id FROM oms.event WHERE claimed_by = 'billing-2')) AS billing_acked;
-- the first worker's late acknowledgement is skipped, as before
SELECT oms.ack_events('billing-1', ARRAY(SELECT event_id FROM oms.event)) AS billing_1_late;
RESET ROLE;

-- the application role itself is no consumer's role: it reads nothing
SET ROLE oms_app;
SELECT count(*) AS app_rows FROM oms.event;
SELECT pg_temp.try($$SELECT * FROM oms.claim_events('shipping')$$) AS app_claims_shipping;
RESET ROLE;
-- the administrator reads the whole outbox, and claims as its own consumers only
SET ROLE oms_admin;
SELECT count(*) AS admin_rows FROM oms.event;
SELECT pg_temp.try($$SELECT * FROM oms.claim_events('billing-1')$$) AS admin_claims_billing;
RESET ROLE;

-- a role outside oms_app keeps what its grants give (a DBA's own role):
-- row-level security restricts the application's roles only
CREATE ROLE oms_dba_own;
GRANT USAGE ON SCHEMA oms TO oms_dba_own;
GRANT SELECT ON oms.event TO oms_dba_own;
SET ROLE oms_dba_own;
SELECT count(*) AS dba_rows FROM oms.event;
RESET ROLE;
DROP OWNED BY oms_dba_own;
DROP ROLE oms_dba_own;

-- what happened, as the superuser sees it
SELECT topic, entity_id, claimed_by, acked_at IS NOT NULL AS acked FROM oms.event ORDER BY event_id;

-- a consumer removed: what it still held goes to whoever claims it next
-- (here nothing is unacknowledged but order.placed, which nobody receives)
DELETE FROM oms.event_consumer WHERE consumer = 'billing-1';
SET ROLE oms_billing_svc;
SELECT pg_temp.try($$SELECT * FROM oms.claim_events('billing-1')$$) AS removed_consumer;
RESET ROLE;
-- the superuser and the owner may still use any name (no row-level security for them)
SELECT topic, entity_id FROM oms.claim_events('ops-by-hand', 100);

-- row-level security is on: the application's policies, and the rest
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'oms.event'::regclass;
SELECT polname, polcmd, polroles::regrole[] FROM pg_policy WHERE polrelid = 'oms.event'::regclass ORDER BY polname;

DROP EXTENSION oms CASCADE;
DROP ROLE oms_billing_worker;
DROP ROLE oms_billing_svc;
DROP ROLE oms_shipping_svc;
