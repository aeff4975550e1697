
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

CREATE FUNCTION oms.claim_events(consumer text, batch integer DEFAULT 100,
                                 visibility_timeout interval DEFAULT '5 minutes')
    RETURNS SETOF oms.event
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    claim_time timestamptz := clock_timestamp();
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
    -- Lock the oldest deliverable events, skipping those another consumer
    -- is claiming right now, then stamp them as ours.
    RETURN QUERY
    WITH picked AS MATERIALIZED (
        SELECT e.event_id
        FROM oms.event e
        WHERE e.acked_at IS NULL
          AND (e.claimed_at IS NULL OR e.claimed_at <= claim_time - visibility_timeout)
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
COMMENT ON FUNCTION oms.claim_events(text, integer, interval) IS 'Claim up to batch (at most 10000) unacknowledged events, oldest first: those never claimed and those whose claim is older than visibility_timeout.  Concurrent consumers never get the same event (SKIP LOCKED).';

CREATE FUNCTION oms.ack_events(consumer text, event_ids bigint[])
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE
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
    UPDATE oms.event e
    SET acked_at = clock_timestamp()
    WHERE e.event_id = ANY (event_ids)
      AND e.claimed_by = consumer
      AND e.acked_at IS NULL;
    GET DIAGNOSTICS acked = ROW_COUNT;
    RETURN acked;
END
$$;
COMMENT ON FUNCTION oms.ack_events(text, bigint[]) IS 'Acknowledge events this consumer holds the latest claim of.  Returns how many were acknowledged; ids claimed by another consumer, unknown or already acknowledged are skipped.';

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
REVOKE ALL ON oms.event FROM PUBLIC;
GRANT SELECT ON oms.event TO oms_admin, oms_app;
REVOKE ALL ON FUNCTION oms.emit_event(text, text, bigint, jsonb),
                       oms.claim_events(text, integer, interval),
                       oms.ack_events(text, bigint[]),
                       oms.purge_events(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.emit_event(text, text, bigint, jsonb),
                          oms.purge_events(interval) TO oms_admin;
GRANT EXECUTE ON FUNCTION oms.claim_events(text, integer, interval),
                          oms.ack_events(text, bigint[]) TO oms_admin, oms_app;
