-- events: the outbox, its writers and its consumer API
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
SHOW oms.notify_events;

-- ---------------------------------------------------------------------------
-- writing events
-- ---------------------------------------------------------------------------
-- a status change writes <machine>.<to_status> with from, to and reason
INSERT INTO oms.sales_order DEFAULT VALUES;
BEGIN;
SET LOCAL oms.reason = 'payment captured';
UPDATE oms.sales_order SET status = 'confirmed' WHERE order_id = 1;
COMMIT;
SELECT event_id, topic, entity, entity_id, payload, claimed_by, acked_at
FROM oms.event ORDER BY event_id;

-- emit_event() for anything else; entity and payload are optional
SELECT oms.emit_event('inventory.below_reorder_point', 'item', 42,
                      '{"sku": "MUG", "available": 3, "reorder_point": 5}');
SELECT oms.emit_event('system.heartbeat');
SELECT oms.emit_event('shipment.shipped', 'shipment', 7, NULL);
SELECT event_id, topic, entity, entity_id, payload FROM oms.event WHERE event_id > 2 ORDER BY event_id;

-- bad input (22023): topic, payload
SELECT pg_temp.try($$SELECT oms.emit_event(NULL)$$);
SELECT pg_temp.try($$SELECT oms.emit_event('')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('order')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('Order.Placed')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('order.placed.')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('order..placed')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('order.placed now')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('order.placed', 'order', 1, '[1, 2]')$$);
SELECT pg_temp.try($$SELECT oms.emit_event('order.placed', 'order', 1, '"text"')$$);
-- and the table holds the same rules for whoever owns it
SELECT pg_temp.try($$INSERT INTO oms.event (topic) VALUES ('nodot')$$);
SELECT pg_temp.try($$INSERT INTO oms.event (topic, payload) VALUES ('a.b', '3')$$);

-- an event exists exactly when its transaction committed
SELECT count(*) AS events_before FROM oms.event \gset
BEGIN;
SELECT oms.emit_event('order.placed', 'order', 100) > 0 AS emitted;
ROLLBACK;
BEGIN;
SELECT oms.emit_event('order.placed', 'order', 101) > 0 AS emitted;
SAVEPOINT s;
SELECT oms.emit_event('order.placed', 'order', 102) > 0 AS emitted;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT topic, entity_id FROM oms.event ORDER BY event_id OFFSET :events_before;

-- ---------------------------------------------------------------------------
-- claiming and acknowledging
-- ---------------------------------------------------------------------------
-- a clean slate: the events so far count as delivered; then six test events,
-- known below by their entity_id n
UPDATE oms.event SET claimed_by = 'earlier', claimed_at = now(), acked_at = now();
SELECT oms.emit_event('test.event', 'test', g) FROM generate_series(1, 6) g \g /dev/null
CREATE FUNCTION pg_temp.ids(VARIADIC n bigint[]) RETURNS bigint[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(e.event_id ORDER BY e.event_id), '{}')
    FROM oms.event e WHERE e.topic = 'test.event' AND e.entity_id = ANY (n)
$$;
CREATE FUNCTION pg_temp.show() RETURNS TABLE (n bigint, claimed_by text, acked boolean) LANGUAGE sql AS $$
    SELECT e.entity_id, e.claimed_by, e.acked_at IS NOT NULL
    FROM oms.event e WHERE e.topic = 'test.event' ORDER BY e.event_id
$$;

-- oldest first, a batch at a time; a claimed event is not claimed again
SELECT entity_id AS n, topic, claimed_by FROM oms.claim_events('worker-a', 2);
SELECT entity_id AS n, topic, claimed_by FROM oms.claim_events('worker-b', 2);
SELECT entity_id AS n, topic, claimed_by FROM oms.claim_events('worker-c');
SELECT entity_id AS n, topic, claimed_by FROM oms.claim_events('worker-c');
SELECT * FROM pg_temp.show();

-- a consumer acknowledges only what it holds
SELECT oms.ack_events('worker-b', pg_temp.ids(1, 2, 3) || 999::bigint) AS b_acked;
SELECT oms.ack_events('worker-a', pg_temp.ids(1, 2)) AS a_acked;
SELECT oms.ack_events('worker-a', pg_temp.ids(1, 2)) AS a_acked_again;
SELECT oms.ack_events('worker-a', '{}') AS nothing;
SELECT * FROM pg_temp.show();

-- acknowledged events are never delivered again, whatever the timeout
SELECT entity_id AS n, claimed_by FROM oms.claim_events('worker-d', 100, '1 microsecond');

-- a claim older than the visibility timeout may be claimed again: worker-d
-- took 4, 5 and 6 and went away without acknowledging them
SELECT pg_sleep(0.2);
SELECT count(*) AS within_timeout FROM oms.claim_events('worker-e', 10, '1 hour');
SELECT entity_id AS n, claimed_by FROM oms.claim_events('worker-e', 10, '100 milliseconds');
-- worker-d comes back: its claims are gone, so its ack does nothing
SELECT oms.ack_events('worker-d', pg_temp.ids(4, 5, 6)) AS d_acked_late;
SELECT oms.ack_events('worker-e', pg_temp.ids(4)) AS e_acked;
-- the same with claims made to look old, and the default timeout (5 minutes)
UPDATE oms.event SET claimed_at = claimed_at - interval '6 minutes'
WHERE claimed_by = 'worker-e' AND acked_at IS NULL;
SELECT entity_id AS n, claimed_by FROM oms.claim_events('worker-f', 1);
SELECT * FROM pg_temp.show();

-- a claim rolled back leaves the events as they were
BEGIN;
SELECT entity_id AS n, claimed_by FROM oms.claim_events('worker-g', 100, '1 microsecond');
ROLLBACK;
SELECT * FROM pg_temp.show();

-- bad input (22023)
SELECT pg_temp.try($$SELECT oms.claim_events(NULL)$$);
SELECT pg_temp.try($$SELECT oms.claim_events('')$$);
SELECT pg_temp.try($$SELECT oms.claim_events('w', 0)$$);
SELECT pg_temp.try($$SELECT oms.claim_events('w', NULL)$$);
SELECT pg_temp.try($$SELECT oms.claim_events('w', 1, '0 seconds')$$);
SELECT pg_temp.try($$SELECT oms.claim_events('w', 1, '-1 minute')$$);
SELECT pg_temp.try($$SELECT oms.ack_events(NULL, ARRAY[1])$$);
SELECT pg_temp.try($$SELECT oms.ack_events('w', NULL)$$);
SELECT pg_temp.try($$SELECT oms.purge_events(NULL)$$);
SELECT pg_temp.try($$SELECT oms.purge_events('-1 day')$$);

-- ---------------------------------------------------------------------------
-- purging: only acknowledged events, only old enough ones
-- ---------------------------------------------------------------------------
SELECT oms.purge_events() AS purged_fresh;
UPDATE oms.event SET acked_at = acked_at - interval '8 days'
WHERE topic = 'test.event' AND entity_id IN (1, 2);
-- old but never acknowledged: kept
UPDATE oms.event SET created_at = created_at - interval '30 days' WHERE acked_at IS NULL;
SELECT oms.purge_events() AS purged_default;
SELECT oms.purge_events('1 hour') AS purged_hour;
SELECT * FROM pg_temp.show();
SELECT oms.purge_events('0 seconds') AS purged_all_acked;
SELECT topic, entity_id, claimed_by, acked_at IS NOT NULL AS acked FROM oms.event ORDER BY event_id;

-- ---------------------------------------------------------------------------
-- privileges
-- ---------------------------------------------------------------------------
-- a role claims as a consumer registered for it (sql/event_consumers.sql)
INSERT INTO oms.event_consumer (consumer, role_name) VALUES ('app-worker', 'oms_app');
SET ROLE oms_app;
SELECT event_id FROM oms.claim_events('app-worker', 1, '1 microsecond');
SELECT oms.ack_events('app-worker', (SELECT array_agg(event_id) FROM oms.event WHERE claimed_by = 'app-worker')) AS app_acked;
SELECT count(*) > 0 AS app_reads_events FROM oms.event;
SELECT pg_temp.try($$SELECT oms.emit_event('order.placed')$$);
SELECT pg_temp.try($$SELECT oms.purge_events()$$);
SELECT pg_temp.try($$INSERT INTO oms.event (topic) VALUES ('order.placed')$$);
-- it stamps the claim columns of its own consumers' rows (what claim and
-- ack do, sql/event_consumers.sql), nothing else and for no one else
SELECT pg_temp.try($$UPDATE oms.event SET acked_at = now()$$);
SELECT pg_temp.try($$UPDATE oms.event SET payload = '{}'$$);
SELECT pg_temp.try($$UPDATE oms.event SET created_at = now()$$);
SELECT pg_temp.try($$UPDATE oms.event SET claimed_by = 'someone-else'$$);
RESET ROLE;
SET ROLE oms_admin;
SELECT oms.emit_event('admin.note', payload => '{"text": "restocked by hand"}') > 0 AS admin_emits;
SELECT oms.purge_events() >= 0 AS admin_purges;
RESET ROLE;
SET ROLE oms_reader;
SELECT pg_temp.try($$SELECT count(*) FROM oms.event$$);
SELECT pg_temp.try($$SELECT oms.claim_events('reader')$$);
RESET ROLE;
SELECT topic, payload FROM oms.event WHERE topic = 'admin.note';

-- notifications can be turned off (by a superuser) where consumers poll
SET oms.notify_events = off;
SELECT oms.emit_event('order.placed', 'order', 5) > 0 AS emitted_quietly;
RESET oms.notify_events;
SET ROLE oms_admin;
SELECT pg_temp.try($$SET oms.notify_events = off$$);
RESET ROLE;
