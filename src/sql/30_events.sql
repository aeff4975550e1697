
-- ===========================================================================
-- 30_events.sql: the events outbox.  Every business step writes a row in
-- its own transaction and sends NOTIFY oms_events; consumers claim rows with
-- FOR UPDATE SKIP LOCKED and acknowledge them.
-- ===========================================================================

CREATE TABLE oms.event (
    event_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic      text NOT NULL
               CHECK (topic ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    entity     text,
    entity_id  bigint,
    payload    jsonb NOT NULL DEFAULT '{}' CHECK (pg_catalog.jsonb_typeof(payload) = 'object'),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    claimed_by text,
    claimed_at timestamptz,
    acked_at   timestamptz,
    CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
    CHECK (acked_at IS NULL OR claimed_at IS NOT NULL)
);
COMMENT ON TABLE oms.event IS 'Outbox of business events, written in the transaction that made them; consumed with oms.claim_events() and oms.ack_events().';
COMMENT ON COLUMN oms.event.topic IS 'What happened, as lowercase dotted words: order.confirmed, shipment.shipped.';
COMMENT ON COLUMN oms.event.entity IS 'Kind of the thing it happened to (the state machine for status changes: order, shipment, ...).';
COMMENT ON COLUMN oms.event.entity_id IS 'Key of the thing it happened to.';
COMMENT ON COLUMN oms.event.payload IS 'Details, a JSON object; status changes carry from, to and reason.';
COMMENT ON COLUMN oms.event.claimed_by IS 'Consumer holding the latest claim; another may claim it again once the claim is older than its visibility timeout.';
COMMENT ON COLUMN oms.event.acked_at IS 'When the consumer acknowledged it; acknowledged events are never delivered again and are purged after a while.';
-- what claim_events() scans, and what purge_events() deletes
CREATE INDEX event_pending_idx ON oms.event (event_id) WHERE acked_at IS NULL;
CREATE INDEX event_acked_idx ON oms.event (acked_at) WHERE acked_at IS NOT NULL;
SELECT pg_catalog.pg_extension_config_dump('oms.event', '');
-- and its identity sequence, or restored rows would collide with new ones
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('oms.event', 'event_id')::pg_catalog.regclass, '');

CREATE FUNCTION oms.emit_event(topic text, entity text DEFAULT NULL,
                               entity_id bigint DEFAULT NULL,
                               payload jsonb DEFAULT '{}')
    RETURNS bigint
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'oms_emit_event_sql';
COMMENT ON FUNCTION oms.emit_event(text, text, bigint, jsonb) IS 'Write an event to the outbox in the current transaction and NOTIFY oms_events with its id at commit.  Returns the event id.';

-- ---------------------------------------------------------------------------
-- Consumers.  A consumer is a name bound to a role and to the topics it
-- receives.  Row-level security on oms.event keys every row to the
-- consumers of the role reading it: an application role (a member of
-- oms_app) sees, claims and acknowledges only the events of its own
-- consumers' topics that are unclaimed or claimed by one of its own
-- consumers, never the rows another role's consumer holds.  The engine writes events as the tables' owner, which
-- row-level security does not apply to, so the order path is unchanged.
-- ---------------------------------------------------------------------------
CREATE TABLE oms.event_consumer (
    consumer   text PRIMARY KEY
               CHECK (consumer <> '' AND pg_catalog.length(consumer) <= 255),
    role_name  regrole NOT NULL,
    topics     text[] NOT NULL DEFAULT '{*}'
               CHECK (pg_catalog.cardinality(topics) BETWEEN 1 AND 100
                      AND pg_catalog.array_position(topics, NULL) IS NULL
                      AND pg_catalog.array_to_string(topics, ',')
                          ~ '^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)(,(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?))*$'),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms.event_consumer IS 'Registered event consumers: the name a consumer passes to claim_events() and ack_events(), the role allowed to use it and the topics it receives.  Written by oms_admin.';
COMMENT ON COLUMN oms.event_consumer.consumer IS 'The consumer name passed to oms.claim_events() and oms.ack_events().';
COMMENT ON COLUMN oms.event_consumer.role_name IS 'The role whose members (and only they) may claim and acknowledge as this consumer and read its events.';
COMMENT ON COLUMN oms.event_consumer.topics IS 'Topics it receives: a topic (order.placed), a prefix (order.*) or * for all.';
COMMENT ON COLUMN oms.event_consumer.created_at IS 'When it was registered.';
SELECT pg_catalog.pg_extension_config_dump('oms.event_consumer', '');

CREATE FUNCTION oms.event_topic_matches(topic text, topics text[])
    RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT 1 FROM pg_catalog.unnest(topics) AS p(pattern)
        WHERE p.pattern = '*' OR p.pattern = topic
           OR (pg_catalog.right(p.pattern, 2) = '.*'
               AND pg_catalog.starts_with(topic, pg_catalog.left(p.pattern, -1))));
END;
COMMENT ON FUNCTION oms.event_topic_matches(text, text[]) IS 'Does topic match one of topics (a topic, a prefix such as order.*, or *)?  What oms.event_consumer.topics means.';

ALTER TABLE oms.event ENABLE ROW LEVEL SECURITY;
-- The policies that restrict apply to the application role (its members
-- whose rights come from it).  Every other role keeps what its grants give
-- (oms_admin, a DBA's own roles; the guards hold for them as before): a
-- policy on oms_app's rows only is evaluated for its members, so their
-- rights on oms.event_consumer and event_topic_matches() suffice.
CREATE POLICY not_the_app ON oms.event
    USING (NOT pg_catalog.pg_has_role('oms_app', 'USAGE'))
    WITH CHECK (NOT pg_catalog.pg_has_role('oms_app', 'USAGE'));
-- The application's rows: those its consumers hold, and those of their
-- topics that nobody holds or whose holder is no registered consumer (an
-- unregistered name, or a consumer since removed; claim_events() takes them
-- over once the claim is older than its visibility timeout).
CREATE POLICY consumer_reads ON oms.event FOR SELECT TO oms_app
    USING (claimed_by IN (SELECT c.consumer FROM oms.event_consumer c
                          WHERE pg_catalog.pg_has_role(c.role_name, 'MEMBER'))
           OR ((claimed_by IS NULL
                OR claimed_by NOT IN (SELECT c.consumer FROM oms.event_consumer c))
               AND EXISTS (SELECT 1 FROM oms.event_consumer c
                           WHERE pg_catalog.pg_has_role(c.role_name, 'MEMBER')
                             AND oms.event_topic_matches(topic, c.topics))));
-- It claims, releases and acknowledges those rows, as its own consumers.
CREATE POLICY consumer_claims ON oms.event FOR UPDATE TO oms_app
    USING (claimed_by IN (SELECT c.consumer FROM oms.event_consumer c
                          WHERE pg_catalog.pg_has_role(c.role_name, 'MEMBER'))
           OR ((claimed_by IS NULL
                OR claimed_by NOT IN (SELECT c.consumer FROM oms.event_consumer c))
               AND EXISTS (SELECT 1 FROM oms.event_consumer c
                           WHERE pg_catalog.pg_has_role(c.role_name, 'MEMBER')
                             AND oms.event_topic_matches(topic, c.topics))))
    WITH CHECK (claimed_by IS NULL
                OR claimed_by IN (SELECT c.consumer FROM oms.event_consumer c
                                  WHERE pg_catalog.pg_has_role(c.role_name, 'MEMBER')));
-- oms_admin reads the whole outbox, also when it is an oms_app member too
-- (it claims and acknowledges only as its own consumers: claim_events()).
CREATE POLICY admin_reads ON oms.event FOR SELECT TO oms_admin USING (true);

-- The consumer a caller names must be registered and bound to a role the
-- caller is a member of.  Callers that row-level security does not apply
-- to (the owner, superusers) may use any name, registered or not.
CREATE FUNCTION oms.event_consumer_topics(consumer text)
    RETURNS text[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    c oms.event_consumer;
BEGIN
    IF consumer IS NULL OR consumer = '' THEN
        RAISE EXCEPTION 'consumer must not be null or empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO c FROM oms.event_consumer ec WHERE ec.consumer = event_consumer_topics.consumer;
    IF NOT pg_catalog.row_security_active('oms.event'::pg_catalog.regclass) THEN
        RETURN c.topics;                    -- NULL: every topic
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consumer "%" is not registered', consumer
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An administrator registers it: INSERT INTO oms.event_consumer (consumer, role_name, topics) VALUES (''name'', ''role'', ''{order.*}'').';
    END IF;
    IF NOT pg_catalog.pg_has_role(c.role_name, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" may not act as consumer "%"', current_user, consumer
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Consumer "%s" belongs to role "%s"; only its members claim, read and acknowledge its events.', consumer, c.role_name);
    END IF;
    RETURN c.topics;
END
$$;
COMMENT ON FUNCTION oms.event_consumer_topics(text) IS 'The topics of a registered consumer, after checking that the caller is a member of its role (42501 otherwise, or when it is not registered).  NULL (every topic) for an unregistered name used by the owner or a superuser.';

-- claim_events() and ack_events() run with the caller's rights, so
-- row-level security applies to what they read and write.
CREATE FUNCTION oms.claim_events(consumer text, batch integer DEFAULT 100,
                                 visibility_timeout interval DEFAULT '5 minutes')
    RETURNS SETOF oms.event
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    claim_time timestamptz := clock_timestamp();
    wanted text[];
BEGIN
    IF consumer IS NULL OR consumer = '' THEN
        RAISE EXCEPTION 'consumer must not be null or empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF batch IS NULL OR batch <= 0 THEN
        RAISE EXCEPTION 'batch must be greater than zero, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF batch > 10000 THEN
        RAISE EXCEPTION 'batch % is out of range', batch
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'A claim takes at most 10000 events.';
    END IF;
    IF visibility_timeout IS NULL OR visibility_timeout <= interval '0' THEN
        RAISE EXCEPTION 'visibility_timeout must be greater than zero, got %', coalesce(visibility_timeout::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF visibility_timeout > interval '7 days' THEN
        RAISE EXCEPTION 'visibility_timeout % is out of range', visibility_timeout
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'A claim is visible again after at most 7 days.';
    END IF;
    wanted := oms.event_consumer_topics(consumer);
    -- Lock the oldest deliverable events of the consumer's topics, skipping
    -- those another consumer is claiming right now, then stamp them as ours.
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT e.event_id
        FROM oms.event e
        WHERE e.acked_at IS NULL
          AND (e.claimed_at IS NULL OR e.claimed_at <= claim_time - visibility_timeout)
          AND (wanted IS NULL OR oms.event_topic_matches(e.topic, wanted))
        ORDER BY e.event_id
        LIMIT batch
        FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE oms.event e
        SET claimed_by = consumer, claimed_at = claim_time
        FROM picked
        WHERE e.event_id = picked.event_id
        RETURNING e.*
    )
    SELECT * FROM claimed ORDER BY claimed.event_id;
END
$$;
COMMENT ON FUNCTION oms.claim_events(text, integer, interval) IS 'Claim up to batch (at most 10000) unacknowledged events of the consumer''s topics, oldest first: those never claimed and those whose claim is older than visibility_timeout.  The consumer must be registered in oms.event_consumer for a role the caller is a member of (42501).  Concurrent consumers never get the same event (SKIP LOCKED).';

CREATE FUNCTION oms.ack_events(consumer text, event_ids bigint[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    acked integer;
BEGIN
    IF consumer IS NULL OR consumer = '' THEN
        RAISE EXCEPTION 'consumer must not be null or empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF event_ids IS NULL THEN
        RAISE EXCEPTION 'event_ids must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF cardinality(event_ids) > 10000 THEN
        RAISE EXCEPTION 'event_ids holds % ids, more than the 10000 a call accepts', cardinality(event_ids)
            USING ERRCODE = 'numeric_value_out_of_range',
                  HINT = 'Acknowledge each batch of claim_events() (at most 10000) on its own.';
    END IF;
    PERFORM oms.event_consumer_topics(consumer);
    UPDATE oms.event e
    SET acked_at = clock_timestamp()
    WHERE e.event_id = ANY (event_ids)
      AND e.claimed_by = consumer
      AND e.acked_at IS NULL;
    GET DIAGNOSTICS acked = ROW_COUNT;
    RETURN acked;
END
$$;
COMMENT ON FUNCTION oms.ack_events(text, bigint[]) IS 'Acknowledge events this consumer holds the latest claim of.  The consumer must be registered for a role the caller is a member of (42501).  Returns how many were acknowledged; ids claimed by another consumer, unknown or already acknowledged are skipped.';

CREATE FUNCTION oms.purge_events(older_than interval DEFAULT '7 days')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    purged bigint;
BEGIN
    IF older_than IS NULL OR older_than < interval '0' THEN
        RAISE EXCEPTION 'older_than must not be negative, got %', coalesce(older_than::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF older_than > interval '10 years' THEN
        RAISE EXCEPTION 'older_than % is out of range', older_than
            USING ERRCODE = 'numeric_value_out_of_range', DETAIL = 'older_than is at most 10 years.';
    END IF;
    DELETE FROM oms.event e
    WHERE e.acked_at IS NOT NULL
      AND e.acked_at < clock_timestamp() - older_than;
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;
COMMENT ON FUNCTION oms.purge_events(interval) IS 'Delete acknowledged events older than older_than.  Unacknowledged events are never purged.  Returns how many were deleted.';

-- ---------------------------------------------------------------------------
-- Privileges.  Only the engine writes the outbox (as the owner of the
-- extension's tables); consumers go through claim and ack.
-- ---------------------------------------------------------------------------
REVOKE ALL ON oms.event, oms.event_consumer FROM PUBLIC;
GRANT SELECT ON oms.event TO oms_admin, oms_app;
-- claim_events() and ack_events() stamp the claim columns with the caller's
-- rights; row-level security keeps each role to its consumers' rows.
GRANT UPDATE (claimed_by, claimed_at, acked_at) ON oms.event TO oms_admin, oms_app;
GRANT SELECT ON oms.event_consumer TO oms_admin, oms_app;
GRANT INSERT, UPDATE, DELETE ON oms.event_consumer TO oms_admin;
REVOKE ALL ON FUNCTION oms.emit_event(text, text, bigint, jsonb),
                       oms.event_topic_matches(text, text[]),
                       oms.event_consumer_topics(text),
                       oms.claim_events(text, integer, interval),
                       oms.ack_events(text, bigint[]),
                       oms.purge_events(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.emit_event(text, text, bigint, jsonb),
                          oms.purge_events(interval) TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.event_topic_matches(text, text[]),
                          oms.event_consumer_topics(text),
                          oms.claim_events(text, integer, interval),
                          oms.ack_events(text, bigint[]) TO oms_admin, oms_app;
