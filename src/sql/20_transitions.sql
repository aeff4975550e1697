
-- ===========================================================================
-- 20_transitions.sql: state machines.  The machines' initial states and
-- allowed moves, the status history, the guard trigger that holds every
-- stateful table to its machine, and the diagram renderers.
-- ===========================================================================

CREATE TABLE oms.status_machine (
    machine        text NOT NULL CHECK (machine ~ '^[a-z][a-z0-9_]{0,62}$'),
    initial_status text NOT NULL CHECK (initial_status ~ '^[a-z][a-z0-9_]{0,62}$'),
    seeded         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (machine, initial_status)
);
COMMENT ON TABLE oms.status_machine IS 'The states each state machine may start in: an INSERT into a guarded table must use one of them.  A machine may have several.';
COMMENT ON COLUMN oms.status_machine.seeded IS 'true for the rows the extension ships; rows a DBA adds (false) are kept by pg_dump.';

CREATE TABLE oms.status_transition (
    machine     text NOT NULL CHECK (machine ~ '^[a-z][a-z0-9_]{0,62}$'),
    from_status text NOT NULL CHECK (from_status ~ '^[a-z][a-z0-9_]{0,62}$'),
    to_status   text NOT NULL CHECK (to_status ~ '^[a-z][a-z0-9_]{0,62}$'),
    seeded      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (machine, from_status, to_status),
    CHECK (from_status <> to_status)
);
COMMENT ON TABLE oms.status_transition IS 'The allowed status moves of each state machine; the guard trigger refuses every other move.  A DBA may add rows; they apply from the next transaction of every session.';
COMMENT ON COLUMN oms.status_transition.seeded IS 'true for the rows the extension ships; rows a DBA adds (false) are kept by pg_dump.';

-- pg_dump keeps what a DBA added; the seeded rows come back with CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('oms.status_machine', 'WHERE NOT seeded');
SELECT pg_catalog.pg_extension_config_dump('oms.status_transition', 'WHERE NOT seeded');

INSERT INTO oms.status_machine (machine, initial_status, seeded) VALUES
    ('order', 'pending', true),
    ('shipment', 'pending', true),
    ('return', 'requested', true),
    ('purchase_order', 'draft', true);

INSERT INTO oms.status_transition (machine, from_status, to_status, seeded)
SELECT v.machine, v.from_status, v.to_status, true
FROM (VALUES
    -- order: pending -> confirmed -> processing -> completed; on hold and
    -- back from any open state; cancelled from anything not yet shipped
    ('order', 'pending', 'confirmed'),
    ('order', 'confirmed', 'processing'),
    ('order', 'processing', 'completed'),
    ('order', 'pending', 'on_hold'),
    ('order', 'confirmed', 'on_hold'),
    ('order', 'processing', 'on_hold'),
    ('order', 'on_hold', 'pending'),
    ('order', 'on_hold', 'confirmed'),
    ('order', 'on_hold', 'processing'),
    ('order', 'pending', 'cancelled'),
    ('order', 'confirmed', 'cancelled'),
    ('order', 'processing', 'cancelled'),
    ('order', 'on_hold', 'cancelled'),
    -- shipment: pending -> picking -> packed -> shipped -> in_transit ->
    -- delivered; a carrier may deliver without a transit scan; lost or
    -- returned once it left; cancelled before it left
    ('shipment', 'pending', 'picking'),
    ('shipment', 'picking', 'packed'),
    ('shipment', 'packed', 'shipped'),
    ('shipment', 'shipped', 'in_transit'),
    ('shipment', 'in_transit', 'delivered'),
    ('shipment', 'shipped', 'delivered'),
    ('shipment', 'shipped', 'lost'),
    ('shipment', 'in_transit', 'lost'),
    ('shipment', 'shipped', 'returned_to_sender'),
    ('shipment', 'in_transit', 'returned_to_sender'),
    ('shipment', 'pending', 'cancelled'),
    ('shipment', 'picking', 'cancelled'),
    ('shipment', 'packed', 'cancelled'),
    -- a lost shipment that will not be re-shipped: its units are cancelled
    ('shipment', 'lost', 'cancelled'),
    -- return: requested -> authorized -> received -> completed
    ('return', 'requested', 'authorized'),
    ('return', 'authorized', 'received'),
    ('return', 'received', 'completed'),
    ('return', 'requested', 'rejected'),
    ('return', 'requested', 'cancelled'),
    ('return', 'authorized', 'cancelled'),
    -- a received return whose refund or exchange is not wanted any more is
    -- closed without one (the units that arrived stay returned)
    ('return', 'received', 'cancelled'),
    -- purchase_order: draft -> submitted -> partially_received -> received
    -- (or received in one delivery); closed once received; cancelled
    -- before anything arrived
    ('purchase_order', 'draft', 'submitted'),
    ('purchase_order', 'submitted', 'partially_received'),
    ('purchase_order', 'partially_received', 'received'),
    ('purchase_order', 'submitted', 'received'),
    ('purchase_order', 'received', 'closed'),
    ('purchase_order', 'partially_received', 'closed'),
    ('purchase_order', 'draft', 'cancelled'),
    ('purchase_order', 'submitted', 'cancelled')
) AS v(machine, from_status, to_status);

CREATE TABLE oms.status_history (
    history_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    machine     text NOT NULL,
    entity_id   bigint NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by  name NOT NULL DEFAULT SESSION_USER,
    reason      text
);
COMMENT ON TABLE oms.status_history IS 'One row per status change of every guarded table, written by oms.status_guard() in the same transaction.';
COMMENT ON COLUMN oms.status_history.entity_id IS 'Key of the changed row (the guard''s key column, such as sales_order.order_id).';
COMMENT ON COLUMN oms.status_history.from_status IS 'Status before the change; NULL when the row was inserted.';
COMMENT ON COLUMN oms.status_history.changed_by IS 'The session user that made the change.';
COMMENT ON COLUMN oms.status_history.reason IS 'The setting oms.reason at the time of the change.';
CREATE INDEX status_history_entity_idx ON oms.status_history (machine, entity_id, history_id);
SELECT pg_catalog.pg_extension_config_dump('oms.status_history', '');
-- and its identity sequence, or restored rows would collide with new ones
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.status_history', 'history_id')::pg_catalog.regclass, '');

-- ---------------------------------------------------------------------------
-- The C triggers
-- ---------------------------------------------------------------------------
CREATE FUNCTION oms.status_guard() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'oms_status_guard';
COMMENT ON FUNCTION oms.status_guard() IS 'Guard of a status column: oms.status_guard(machine, key_column [, status_column]).  BEFORE INSERT OR UPDATE FOR EACH ROW it refuses moves its machine does not allow (OM002) and stamps <status_column>_changed_at; it writes oms.status_history and an event, or leaves that to the same function attached AFTER INSERT OR UPDATE FOR EACH ROW.';

CREATE FUNCTION oms.status_config_changed() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'oms_status_config_changed';
COMMENT ON FUNCTION oms.status_config_changed() IS 'Statement trigger on the machine tables: tells every session to reload its cache of them.';

-- ENABLE ALWAYS: a change made with session_replication_role = replica
-- (a restore, a logical replica) must reach the caches too.
CREATE TRIGGER status_machine_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON oms.status_machine
    FOR EACH STATEMENT EXECUTE FUNCTION oms.status_config_changed();
ALTER TABLE oms.status_machine ENABLE ALWAYS TRIGGER status_machine_changed;
CREATE TRIGGER status_transition_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON oms.status_transition
    FOR EACH STATEMENT EXECUTE FUNCTION oms.status_config_changed();
ALTER TABLE oms.status_transition ENABLE ALWAYS TRIGGER status_transition_changed;

-- ---------------------------------------------------------------------------
-- Diagrams
-- ---------------------------------------------------------------------------
-- machine_states(): every state of a machine with its flags, the shared
-- input of the two renderers.  State names are [a-z0-9_] (the CHECKs above),
-- so they need no escaping in DOT or Mermaid; "_start" cannot be a state.
CREATE FUNCTION oms.machine_states(machine text)
    RETURNS TABLE (status text, is_initial boolean, is_final boolean)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM oms.status_machine m WHERE m.machine = machine_states.machine)
       AND NOT EXISTS (SELECT 1 FROM oms.status_transition t WHERE t.machine = machine_states.machine) THEN
        RAISE EXCEPTION 'unknown state machine "%"', machine_states.machine
            USING ERRCODE = 'OM003',
                  HINT = 'The machines are the distinct values of oms.status_machine.machine.';
    END IF;
    RETURN QUERY
    WITH s AS (
        SELECT m.initial_status AS st FROM oms.status_machine m WHERE m.machine = machine_states.machine
        UNION
        SELECT t.from_status FROM oms.status_transition t WHERE t.machine = machine_states.machine
        UNION
        SELECT t.to_status FROM oms.status_transition t WHERE t.machine = machine_states.machine
    )
    SELECT s.st,
           EXISTS (SELECT 1 FROM oms.status_machine m
                   WHERE m.machine = machine_states.machine AND m.initial_status = s.st),
           NOT EXISTS (SELECT 1 FROM oms.status_transition t
                       WHERE t.machine = machine_states.machine AND t.from_status = s.st)
    FROM s
    ORDER BY s.st COLLATE "C";
END
$$;
COMMENT ON FUNCTION oms.machine_states(text) IS 'Every state of a machine: whether it is initial, and whether it is final (no move leaves it).';

CREATE FUNCTION oms.machine_dot(machine text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH s AS (SELECT * FROM oms.machine_states(machine))
    SELECT concat_ws(E'\n',
        format('digraph "%s" {', machine),
        '    rankdir=LR;',
        '    node [shape=circle];',
        '    "_start" [shape=point, label=""];',
        (SELECT string_agg(format('    "%s" [shape=doublecircle];', s.status), E'\n'
                           ORDER BY s.status COLLATE "C")
         FROM s WHERE s.is_final),
        (SELECT string_agg(format('    "_start" -> "%s";', s.status), E'\n'
                           ORDER BY s.status COLLATE "C")
         FROM s WHERE s.is_initial),
        (SELECT string_agg(format('    "%s" -> "%s";', t.from_status, t.to_status), E'\n'
                           ORDER BY t.from_status COLLATE "C", t.to_status COLLATE "C")
         FROM oms.status_transition t WHERE t.machine = machine_dot.machine),
        '}')
$$;
COMMENT ON FUNCTION oms.machine_dot(text) IS 'A machine as a Graphviz DOT digraph: an arrow from a start point into each initial state, final states as double circles.';

CREATE FUNCTION oms.machine_mermaid(machine text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH s AS (SELECT * FROM oms.machine_states(machine))
    SELECT concat_ws(E'\n',
        'stateDiagram-v2',
        (SELECT string_agg(format('    [*] --> %s', s.status), E'\n'
                           ORDER BY s.status COLLATE "C")
         FROM s WHERE s.is_initial),
        (SELECT string_agg(format('    %s --> %s', t.from_status, t.to_status), E'\n'
                           ORDER BY t.from_status COLLATE "C", t.to_status COLLATE "C")
         FROM oms.status_transition t WHERE t.machine = machine_mermaid.machine),
        (SELECT string_agg(format('    %s --> [*]', s.status), E'\n'
                           ORDER BY s.status COLLATE "C")
         FROM s WHERE s.is_final))
$$;
COMMENT ON FUNCTION oms.machine_mermaid(text) IS 'A machine as a Mermaid stateDiagram-v2: [*] into each initial state and out of each final state.';

-- ---------------------------------------------------------------------------
-- Privileges.  The history is written only by the guard (as the owner of
-- the extension's tables), so nobody can forge or rewrite it.
-- ---------------------------------------------------------------------------
REVOKE ALL ON oms.status_machine, oms.status_transition, oms.status_history FROM PUBLIC;
GRANT SELECT ON oms.status_machine, oms.status_transition, oms.status_history
    TO oms_admin, oms_app, oms_reader;
GRANT INSERT, UPDATE, DELETE ON oms.status_machine, oms.status_transition TO oms_admin;
-- Attaching the guard to a table writes history and events as the
-- extension's owner: only admins may attach it.
REVOKE ALL ON FUNCTION oms.status_guard(), oms.status_config_changed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.status_guard() TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.machine_states(text), oms.machine_dot(text), oms.machine_mermaid(text)
    TO oms_admin, oms_app, oms_reader;
