-- roles: every row of README "Roles", tried as each role (SET ROLE), each
-- documented capability and each documented refusal (42501), what
-- oms_reader may not see (personal data), and the privileges of every
-- object of the extension read from the catalogs, so drift shows here
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
RESET client_min_messages;
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
\set filename :abs_srcdir '/sql/include/try.sql'
\i :filename
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;
-- SELECT * of every table and view of the schema, as the current role
CREATE FUNCTION pg_temp.read_all() RETURNS TABLE (relation text, kind text, select_star text)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, c.relkind FROM pg_class c
             WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind IN ('r', 'v')
             ORDER BY c.relkind, c.relname
    LOOP
        relation := r.relname;
        kind := CASE r.relkind WHEN 'r' THEN 'table' ELSE 'view' END;
        select_star := pg_temp.try(format('SELECT * FROM oms.%I LIMIT 1', r.relname));
        RETURN NEXT;
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.read_all() TO PUBLIC;

-- a shop with one order to a person, shipped, with events about it
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('TEE', 'Tee', 'allow'), ('MUG', 'Mug', 'deny');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.supplier (code, name, email, lead_time_days) VALUES ('ACME', 'Acme', 'jane@acme.example', 5);
SELECT oms.receive_stock('MUG', 'EAST', 10);
SELECT oms.place_order('maya@example.com', 'web', '[{"sku": "MUG", "qty": 2, "unit_price": 8}]',
    '{"customer_name": "Maya Chen", "confirm": true,
      "ship_to": {"name": "Maya Chen", "line1": "350 5th Ave", "city": "New York",
                  "postal_code": "10118", "country": "US"}}') AS o1 \gset
SELECT oms.create_shipment(:o1, 'EAST') AS s1 \gset
-- and one backordered tee, waiting for stock
SELECT oms.place_order('ben@example.com', 'web', '[{"sku": "TEE", "qty": 3, "unit_price": 20}]',
    '{"confirm": true}') AS o2 \gset

-- ===========================================================================
-- oms_admin: configure; everything oms_app may
-- ===========================================================================
CREATE SCHEMA roles_admin AUTHORIZATION oms_admin;
SET ROLE oms_admin;
-- locations, items, bundles
SELECT pg_temp.try($$INSERT INTO oms.location (code, name) VALUES ('WEST', 'West DC')$$) AS location_insert;
SELECT pg_temp.try($$UPDATE oms.location SET name = 'West' WHERE code = 'WEST'$$) AS location_update;
SELECT pg_temp.try($$INSERT INTO oms.item (sku, name) VALUES ('CAP', 'Cap'), ('PAIR', 'Two mugs')$$) AS item_insert;
SELECT pg_temp.try($$UPDATE oms.item SET is_bundle = true WHERE sku = 'PAIR'$$) AS item_update;
SELECT pg_temp.try($$INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
    SELECT b.item_id, c.item_id, 2 FROM oms.item b, oms.item c WHERE b.sku = 'PAIR' AND c.sku = 'MUG'$$) AS bundle_insert;
SELECT pg_temp.try($$DELETE FROM oms.bundle_component$$) AS bundle_delete;
-- safety stock: a new level and its safety stock, by hand
SELECT pg_temp.try($$INSERT INTO oms.inventory_level (item_id, location_id)
    SELECT i.item_id, l.location_id FROM oms.item i, oms.location l WHERE i.sku = 'CAP' AND l.code = 'WEST'$$) AS level_insert;
SELECT pg_temp.try($$UPDATE oms.inventory_level SET safety_stock = 1
    WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'MUG')$$) AS safety_stock_update;
-- ledger movements: the trigger writes the level (it used to fail with 42501
-- on inventory_level), and a receipt fills the backorder of o2 (it would
-- have failed on reservation)
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reason)
    SELECT i.item_id, l.location_id, 'receipt', 5, 'found in the back' FROM oms.item i, oms.location l
    WHERE i.sku = 'TEE' AND l.code = 'EAST'$$) AS ledger_receipt;
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta, reason)
    SELECT i.item_id, l.location_id, 'adjustment', -1, 'broken' FROM oms.item i, oms.location l
    WHERE i.sku = 'MUG' AND l.code = 'EAST'$$) AS ledger_adjustment;
-- state machines
SELECT pg_temp.try($$INSERT INTO oms.status_transition (machine, from_status, to_status) VALUES ('return', 'rejected', 'requested')$$) AS transition_insert;
SELECT pg_temp.try($$DELETE FROM oms.status_transition WHERE machine = 'return' AND from_status = 'rejected' AND NOT seeded$$) AS transition_delete;
-- suppliers, customers, channels, carriers
SELECT pg_temp.try($$INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('BOLT', 'Bolt', 3)$$) AS supplier_insert;
SELECT pg_temp.try($$UPDATE oms.supplier SET lead_time_days = 4 WHERE code = 'BOLT'$$) AS supplier_update;
SELECT pg_temp.try($$UPDATE oms.customer SET name = 'Ben' WHERE email = 'ben@example.com'$$) AS customer_update;
SELECT pg_temp.try($$INSERT INTO oms.channel (code, name) VALUES ('pos', 'Shop till')$$) AS channel_insert;
SELECT pg_temp.try($$INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS')$$) AS carrier_insert;
SELECT pg_temp.try($$INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days)
    SELECT carrier_id, 'ground', 3 FROM oms.carrier WHERE code = 'UPS'$$) AS carrier_service_insert;
-- reorder rules, directly and through set_reorder_rule
SELECT pg_temp.try($$INSERT INTO oms.reorder_rule (item_id, location_id, supplier_id, reorder_point, reorder_qty)
    SELECT i.item_id, l.location_id, s.supplier_id, 2, 10 FROM oms.item i, oms.location l, oms.supplier s
    WHERE i.sku = 'CAP' AND l.code = 'EAST' AND s.code = 'ACME'$$) AS rule_insert;
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', reorder_point => 3, reorder_qty => 12)$$) AS set_reorder_rule;
SELECT pg_temp.try($$SELECT * FROM oms.suggest_reorder_rules()$$) AS suggest_reorder_rules;
SELECT pg_temp.try($$SELECT oms.refresh_forecast()$$) AS refresh_forecast;
-- draft purchase orders by hand: the number comes from its sequence (it
-- used to fail with 42501 on po_number_seq)
SELECT pg_temp.try($$INSERT INTO oms.purchase_order (supplier_id, location_id)
    SELECT s.supplier_id, l.location_id FROM oms.supplier s, oms.location l WHERE s.code = 'BOLT' AND l.code = 'EAST'$$) AS po_insert;
SELECT pg_temp.try($$INSERT INTO oms.purchase_order_line (po_id, item_id, qty_ordered, unit_cost)
    SELECT po.po_id, i.item_id, 6, 2.5 FROM oms.purchase_order po, oms.item i
    WHERE po.supplier_id = (SELECT supplier_id FROM oms.supplier WHERE code = 'BOLT') AND i.sku = 'CAP'$$) AS po_line_insert;
SELECT pg_temp.try($$UPDATE oms.purchase_order_line SET qty_ordered = 12
    WHERE item_id = (SELECT item_id FROM oms.item WHERE sku = 'CAP')$$) AS po_line_update;
SELECT pg_temp.try($$UPDATE oms.purchase_order SET status = 'submitted'
    WHERE supplier_id = (SELECT supplier_id FROM oms.supplier WHERE code = 'BOLT')$$) AS po_submit_by_hand;
-- attach the status guard to a table of its own (keys far from the real
-- orders': history and events of machine order are keyed by entity_id)
CREATE TABLE roles_admin.ticket (ticket_id bigint PRIMARY KEY, status text NOT NULL);
SELECT pg_temp.try($$CREATE TRIGGER status_guard BEFORE INSERT OR UPDATE OF status ON roles_admin.ticket
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('order', 'ticket_id')$$) AS attach_guard;
SELECT pg_temp.try($$INSERT INTO roles_admin.ticket VALUES (900001, 'pending')$$) AS guarded_insert;
-- emit and purge events; purge keys; expire reservations; the job list
SELECT pg_temp.try($$SELECT oms.emit_event('admin.note', 'order', 900002, '{"note": "hello"}')$$) AS emit_event;
SELECT pg_temp.try($$SELECT oms.purge_events('1 day')$$) AS purge_events;
SELECT pg_temp.try($$SELECT oms.purge_idempotency_keys('1 day')$$) AS purge_idempotency_keys;
SELECT pg_temp.try($$SELECT oms.expire_reservations()$$) AS expire_reservations;
SELECT pg_temp.try($$SELECT count(*) FROM oms.job_definitions()$$) AS job_definitions;
-- everything oms_app may: the API, claim and ack, reading
SELECT pg_temp.try($$SELECT oms.receive_stock('CAP', 'EAST', 4)$$) AS api_receive_stock;
SELECT pg_temp.try($$INSERT INTO oms.event_consumer (consumer, role_name) VALUES ('admin-consumer', 'oms_admin'), ('app-consumer', 'oms_app')$$) AS register_consumers;
SELECT pg_temp.try($$SELECT oms.claim_events('admin-consumer', 1)$$) AS claim_events;
SELECT pg_temp.try($$SELECT oms.ack_events('admin-consumer', ARRAY(SELECT event_id FROM oms.event WHERE claimed_by = 'admin-consumer'))$$) AS ack_events;
-- refused: the buckets, the ledger's history, the engine's tables, the jobs
SELECT pg_temp.try($$UPDATE oms.inventory_level SET on_hand = 100$$) AS level_on_hand;
SELECT pg_temp.try($$INSERT INTO oms.inventory_level (item_id, location_id, on_hand)
    SELECT i.item_id, l.location_id, 7 FROM oms.item i, oms.location l WHERE i.sku = 'TEE' AND l.code = 'WEST'$$) AS level_insert_stock;
SELECT pg_temp.try($$UPDATE oms.inventory_movement SET reason = 'rewritten'$$) AS ledger_update;
SELECT pg_temp.try($$DELETE FROM oms.inventory_movement$$) AS ledger_delete;
SELECT pg_temp.try($$INSERT INTO oms.sales_order DEFAULT VALUES$$) AS order_insert;
SELECT pg_temp.try($$UPDATE oms.order_line SET qty_ordered = 1$$) AS order_line_update;
SELECT pg_temp.try($$DELETE FROM oms.reservation$$) AS reservation_delete;
SELECT pg_temp.try($$INSERT INTO oms.payment (order_id, kind, amount, currency) VALUES (1, 'capture', 1, 'USD')$$) AS payment_insert;
SELECT pg_temp.try($$UPDATE oms.shipment SET tracking_number = 'X'$$) AS shipment_update;
SELECT pg_temp.try($$INSERT INTO oms.event (topic) VALUES ('order.completed')$$) AS event_insert;
SELECT pg_temp.try($$UPDATE oms.purchase_order SET po_number = 'PO-1'$$) AS po_number_update;
SELECT pg_temp.try($$TRUNCATE oms.purchase_order CASCADE$$) AS po_truncate;
SELECT pg_temp.try($$SELECT pg_catalog.nextval('oms.order_number_seq')$$) AS order_number_seq;
SELECT pg_temp.try($$SELECT oms.schedule_jobs()$$) AS schedule_jobs;
RESET ROLE;
-- what the admin's writes did: the ledger applied, the backorder filled, a numbered draft
SELECT sku, location, on_hand, reserved, safety_stock, available, incoming
FROM oms.inventory_position ORDER BY sku, location;
SELECT l.qty_backordered, l.qty_reserved FROM oms.order_line l WHERE l.order_id = :o2;
SELECT kind, on_hand_delta, on_hand_after FROM oms.inventory_movement WHERE reason IN ('found in the back', 'broken') ORDER BY movement_id;
SELECT po_number ~ '^PO-[0-9]{6}$' AS numbered, status FROM oms.purchase_order ORDER BY po_id;
SELECT topic FROM oms.event WHERE topic IN ('order.backorder_filled', 'admin.note') ORDER BY event_id;

-- ===========================================================================
-- oms_app: the API functions; claim and acknowledge events; read everything
-- ===========================================================================
SET ROLE oms_app;
SELECT pg_temp.try($$SELECT oms.receive_stock('MUG', 'EAST', 2)$$) AS api_receive_stock;
SELECT pg_temp.try($$SELECT oms.place_order('cy@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]')$$) AS api_place_order;
SELECT pg_temp.try(format($$SELECT oms.ship(%s, 'UPS', '1Z999')$$, :s1)) AS api_ship;
SELECT pg_temp.try($$SELECT oms.run_reorder()$$) AS api_run_reorder;
SELECT pg_temp.try($$SELECT count(*) FROM oms.pick_list('EAST')$$) AS api_pick_list;
SELECT pg_temp.try($$SELECT count(*) FROM oms.claim_events('app-consumer', 1000)$$) AS claim_events;
SELECT pg_temp.try($$SELECT oms.ack_events('app-consumer', ARRAY(SELECT event_id FROM oms.event WHERE claimed_by = 'app-consumer'))$$) AS ack_events;
SELECT * FROM pg_temp.read_all();
-- refused: configuration and administration
SELECT pg_temp.try($$INSERT INTO oms.location (code, name) VALUES ('NORTH', 'North')$$) AS location_insert;
SELECT pg_temp.try($$INSERT INTO oms.item (sku, name) VALUES ('HAT', 'Hat')$$) AS item_insert;
SELECT pg_temp.try($$UPDATE oms.inventory_level SET safety_stock = 0$$) AS safety_stock_update;
SELECT pg_temp.try($$INSERT INTO oms.inventory_movement (item_id, location_id, kind, on_hand_delta) VALUES (1, 1, 'receipt', 1)$$) AS ledger_insert;
SELECT pg_temp.try($$INSERT INTO oms.status_transition VALUES ('order', 'completed', 'pending')$$) AS transition_insert;
SELECT pg_temp.try($$INSERT INTO oms.supplier (code, name) VALUES ('ZED', 'Zed')$$) AS supplier_insert;
SELECT pg_temp.try($$INSERT INTO oms.customer (email) VALUES ('x@example.com')$$) AS customer_insert;
SELECT pg_temp.try($$UPDATE oms.reorder_rule SET reorder_point = 0$$) AS rule_update;
SELECT pg_temp.try($$SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', reorder_point => 1, reorder_qty => 1)$$) AS set_reorder_rule;
SELECT pg_temp.try($$SELECT * FROM oms.suggest_reorder_rules()$$) AS suggest_reorder_rules;
SELECT pg_temp.try($$SELECT oms.refresh_forecast()$$) AS refresh_forecast;
SELECT pg_temp.try($$INSERT INTO oms.purchase_order (supplier_id, location_id) VALUES (1, 1)$$) AS po_insert;
SELECT pg_temp.try($$UPDATE oms.sales_order SET status = 'on_hold'$$) AS order_status_update;
SELECT pg_temp.try($$SELECT oms.emit_event('app.note')$$) AS emit_event;
SELECT pg_temp.try($$SELECT oms.purge_events('1 day')$$) AS purge_events;
SELECT pg_temp.try($$SELECT oms.purge_idempotency_keys('1 day')$$) AS purge_idempotency_keys;
SELECT pg_temp.try($$SELECT oms.expire_reservations()$$) AS expire_reservations;
SELECT pg_temp.try($$SELECT oms.job_definitions()$$) AS job_definitions;
SELECT pg_temp.try($$CREATE TRIGGER status_guard BEFORE INSERT ON roles_admin.ticket
    FOR EACH ROW EXECUTE FUNCTION oms.status_guard('order', 'ticket_id')$$) AS attach_guard;
SELECT pg_temp.try($$SELECT pg_catalog.nextval('oms.po_number_seq')$$) AS po_number_seq;
RESET ROLE;

-- ===========================================================================
-- oms_reader: read the views and nothing else (no table: no events
-- outbox, no personal data beyond what a view shows: customer email and
-- name, ship-to, supplier email, event payloads); no API, no events
-- ===========================================================================
SET ROLE oms_reader;
SELECT * FROM pg_temp.read_all();
-- the columns of the views it may read, by name
SELECT order_number, status, units_shipped, last_event FROM oms.order_tracking WHERE order_id = :o1;
-- a timeline shows what happened and when, not the payloads
SELECT source, what, at IS NOT NULL AS dated FROM oms.order_timeline WHERE order_id = :o1 ORDER BY at, source DESC, seq;
SELECT count(*) AS returns FROM oms.returns_overview;
-- and no further: no table, not even its columns without personal data
SELECT pg_temp.try($$SELECT customer_id FROM oms.customer$$) AS customer_key;
SELECT pg_temp.try($$SELECT order_number, status, total FROM oms.sales_order$$) AS sales_order;
SELECT pg_temp.try($$SELECT code, name, lead_time_days FROM oms.supplier$$) AS supplier;
SELECT pg_temp.try($$SELECT count(*) FROM oms.inventory_level$$) AS inventory_level;
SELECT pg_temp.try($$SELECT email FROM oms.customer$$) AS customer_email;
SELECT pg_temp.try($$SELECT name FROM oms.customer$$) AS customer_name;
SELECT pg_temp.try($$SELECT ship_to FROM oms.sales_order$$) AS ship_to;
SELECT pg_temp.try($$SELECT email FROM oms.supplier$$) AS supplier_email;
SELECT pg_temp.try($$SELECT customer FROM oms.order_tracking$$) AS tracking_customer;
SELECT pg_temp.try($$SELECT payload FROM oms.order_timeline$$) AS timeline_payload;
SELECT pg_temp.try($$SELECT customer FROM oms.returns_overview$$) AS returns_customer;
SELECT pg_temp.try($$SELECT payload FROM oms.event$$) AS event_payload;
SELECT pg_temp.try($$SELECT topic FROM oms.event$$) AS event_topic;
SELECT pg_temp.try($$SELECT * FROM oms.claim_events('reader')$$) AS claim_events;
SELECT pg_temp.try($$SELECT oms.receive_stock('MUG', 'EAST', 1)$$) AS api_receive_stock;
SELECT pg_temp.try($$SELECT oms.place_order('dee@example.com', 'web', '[{"sku": "MUG", "qty": 1}]')$$) AS api_place_order;
SELECT pg_temp.try($$SELECT count(*) FROM oms.pick_list('EAST')$$) AS api_pick_list;
SELECT pg_temp.try($$SELECT oms.run_reorder()$$) AS api_run_reorder;
SELECT pg_temp.try($$INSERT INTO oms.location (code, name) VALUES ('SOUTH', 'South')$$) AS location_insert;
SELECT pg_temp.try($$UPDATE oms.item SET name = 'x'$$) AS item_update;
SELECT pg_temp.try($$SELECT pg_catalog.nextval('oms.order_number_seq')$$) AS order_number_seq;
-- the checks and the reports are everyone's
SELECT count(*) AS inventory_problems FROM oms.check_inventory();
SELECT count(*) AS payment_problems FROM oms.check_payments();
SELECT count(*) >= 0 AS forecasts FROM oms.forecast_demand();
SELECT left(oms.machine_dot('order'), 7) AS machine_dot;
RESET ROLE;

-- a role outside the three: nothing at all
CREATE ROLE roles_nobody;
SET ROLE roles_nobody;
SELECT pg_temp.try($$SELECT count(*) FROM oms.item$$) AS item;
SELECT pg_temp.try($$SELECT oms.version()$$) AS version;
SELECT pg_temp.try($$SELECT count(*) FROM oms.check_inventory()$$) AS check_inventory;
RESET ROLE;
DROP ROLE roles_nobody;

-- ===========================================================================
-- The catalogs: who may do what on every object of the extension.  A new
-- table, view, sequence or function shows up here with its grants.
-- ===========================================================================
-- tables, views and sequences: privileges per role (r select, a insert,
-- w update, d delete, D truncate, U usage); PUBLIC has none
SELECT c.relname AS relation,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'S' THEN 'sequence' END AS kind,
       (SELECT string_agg(DISTINCT CASE a.privilege_type WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                WHEN 'UPDATE' THEN 'w' WHEN 'DELETE' THEN 'd' WHEN 'TRUNCATE' THEN 'D' WHEN 'USAGE' THEN 'U'
                ELSE a.privilege_type END, '')
        FROM aclexplode(c.relacl) a WHERE a.grantee = r.oid) AS admin,
       (SELECT string_agg(DISTINCT CASE a.privilege_type WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                WHEN 'UPDATE' THEN 'w' WHEN 'DELETE' THEN 'd' WHEN 'TRUNCATE' THEN 'D' WHEN 'USAGE' THEN 'U'
                ELSE a.privilege_type END, '')
        FROM aclexplode(c.relacl) a WHERE a.grantee = p.oid) AS app,
       (SELECT string_agg(DISTINCT CASE a.privilege_type WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                WHEN 'UPDATE' THEN 'w' WHEN 'DELETE' THEN 'd' WHEN 'TRUNCATE' THEN 'D' WHEN 'USAGE' THEN 'U'
                ELSE a.privilege_type END, '')
        FROM aclexplode(c.relacl) a WHERE a.grantee = d.oid) AS reader,
       EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0) AS public
FROM pg_class c, pg_roles r, pg_roles p, pg_roles d
WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind IN ('r', 'v', 'S', 'm', 'f', 'p')
  AND r.rolname = 'oms_admin' AND p.rolname = 'oms_app' AND d.rolname = 'oms_reader'
ORDER BY kind, relation;
-- grants on single columns (the table-wide ones are above)
SELECT c.relname AS relation, pg_get_userbyid(a.grantee) AS grantee, a.privilege_type,
       string_agg(t.attname, ', ' ORDER BY t.attnum) AS columns
FROM pg_class c
JOIN pg_attribute t ON t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped
CROSS JOIN LATERAL aclexplode(t.attacl) a
WHERE c.relnamespace = 'oms'::regnamespace
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- every function: who may execute it (trigger functions: nobody needs to)
SELECT p.oid::regprocedure AS function,
       CASE WHEN p.prorettype = 'trigger'::regtype THEN 'trigger' ELSE p.provolatile::text END AS vol,
       p.prosecdef AS definer,
       has_function_privilege('oms_admin', p.oid, 'EXECUTE') AS admin,
       has_function_privilege('oms_app', p.oid, 'EXECUTE') AS app,
       has_function_privilege('oms_reader', p.oid, 'EXECUTE') AS reader
FROM pg_proc p WHERE p.pronamespace = 'oms'::regnamespace
ORDER BY p.oid::regprocedure::text;
-- what must stay empty: anything of the schema PUBLIC may use
SELECT 'function' AS kind, p.oid::regprocedure::text AS object FROM pg_proc p
WHERE p.pronamespace = 'oms'::regnamespace
  AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0))
UNION ALL
SELECT 'relation', c.relname FROM pg_class c
WHERE c.relnamespace = 'oms'::regnamespace
  AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0)
UNION ALL
SELECT 'schema', n.nspname FROM pg_namespace n
WHERE n.nspname = 'oms' AND EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = 0)
ORDER BY 1, 2;
-- ... and a column oms_reader may read that is personal data
SELECT c.relname, t.attname FROM pg_class c
JOIN pg_attribute t ON t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped
WHERE c.relnamespace = 'oms'::regnamespace
  AND (c.relname, t.attname) IN (('customer', 'email'), ('customer', 'name'), ('sales_order', 'ship_to'),
                                  ('supplier', 'email'), ('event', 'payload'), ('order_tracking', 'customer'),
                                  ('order_timeline', 'payload'), ('returns_overview', 'customer'))
  AND has_column_privilege('oms_reader', c.oid, t.attnum, 'SELECT')
ORDER BY 1, 2;

SELECT * FROM oms.check_inventory();
SELECT * FROM oms.check_payments();
DROP SCHEMA roles_admin CASCADE;
