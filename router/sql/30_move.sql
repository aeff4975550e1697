
-- ===========================================================================
-- 30_move.sql: the switch of a merchant from one node to another
-- ===========================================================================
-- router/move_merchant.sh copies the merchant's database to the target node
-- with logical replication (a publication of schema oms on the source, a
-- subscription on the target) while the merchant keeps working, then calls
-- switch_merchant(), which in one router transaction:
--
--   1. takes the merchant's move lock exclusively: it waits for the routed
--      calls in flight (each holds the lock shared until its transaction
--      ends; their remote calls have committed on the source by then), and
--      from the moment it queues every new write of the merchant is refused
--      at once with 40001 (connect_rw), before anything is sent anywhere;
--   2. reads the source's WAL position and waits until the subscription has
--      confirmed it (catch-up: the write freeze lasts this long);
--   3. compares the row count of every oms table on both sides (verify);
--   4. sets every oms sequence on the target to the source's value
--      (PostgreSQL 15 does not replicate sequences);
--   5. points the map at the target.  Commit releases the lock: the refused
--      writes' retries and every new call go to the target.
--
-- Any failure (lock_timeout while waiting for a long transaction, catch-up
-- timeout, a count that differs) rolls it all back: the merchant stays on
-- the source, unfrozen, and the switch can be tried again.
--
-- The helpers below reach a node's database by a connection string given as
-- an argument (PL/Proxy CONNECT argname), as the calling user: they are the
-- owner's alone (no EXECUTE for anyone else).

CREATE FUNCTION oms_router.remote_wal_lsn(connstr text)
    RETURNS pg_lsn
    LANGUAGE plproxy
    AS $proxy$
    CONNECT connstr;
    SELECT pg_catalog.pg_current_wal_lsn() AS remote_wal_lsn;
$proxy$;
COMMENT ON FUNCTION oms_router.remote_wal_lsn(text) IS 'Move helper: the current WAL position of the server at connstr.';

CREATE FUNCTION oms_router.remote_slot_lsn(connstr text, slot text)
    RETURNS pg_lsn
    LANGUAGE plproxy
    AS $proxy$
    CONNECT connstr;
    SELECT (SELECT s.confirmed_flush_lsn FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $2) AS remote_slot_lsn;
$proxy$;
COMMENT ON FUNCTION oms_router.remote_slot_lsn(text, text) IS 'Move helper: the position a logical slot''s subscriber has confirmed (NULL without such a slot).';

CREATE FUNCTION oms_router.remote_sequences(connstr text)
    RETURNS TABLE (seq text, last_value bigint)
    LANGUAGE plproxy
    AS $proxy$
    CONNECT connstr;
    SELECT pg_catalog.format('%I.%I', s.schemaname, s.sequencename) AS seq, s.last_value
      FROM pg_catalog.pg_sequences s
     WHERE s.schemaname = 'oms' AND s.last_value IS NOT NULL;
$proxy$;
COMMENT ON FUNCTION oms_router.remote_sequences(text) IS 'Move helper: every oms sequence that has been used, with its last value.';

CREATE FUNCTION oms_router.remote_setval(connstr text, seq text, val bigint)
    RETURNS bigint
    LANGUAGE plproxy
    AS $proxy$
    CONNECT connstr;
    SELECT pg_catalog.setval($2::pg_catalog.regclass, GREATEST($3, s.last_value)) AS remote_setval
      FROM pg_catalog.pg_sequences s
     WHERE pg_catalog.format('%I.%I', s.schemaname, s.sequencename) = $2;
$proxy$;
COMMENT ON FUNCTION oms_router.remote_setval(text, text, bigint) IS 'Move helper: sets a sequence to val (never backwards) and returns the value set.';

CREATE FUNCTION oms_router.remote_row_counts(connstr text)
    RETURNS TABLE (relname text, n bigint)
    LANGUAGE plproxy
    AS $proxy$
    CONNECT connstr;
    SELECT c.relname::text AS relname,
           (pg_catalog.xpath('/row/n/text()',
                             pg_catalog.query_to_xml(pg_catalog.format('SELECT pg_catalog.count(*) AS n FROM oms.%I', c.relname),
                                                     false, true, '')))[1]::text::bigint AS n
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'oms'::pg_catalog.regnamespace AND c.relkind = 'r';
$proxy$;
COMMENT ON FUNCTION oms_router.remote_row_counts(text) IS 'Move helper: the row count of every table of schema oms.';

CREATE FUNCTION oms_router.switch_merchant(merchant text, to_node text, slot text,
                                           catchup_timeout interval DEFAULT '30 seconds',
                                           verify boolean DEFAULT true)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    m oms_router.merchant;
    src text;
    dst text;
    t0 timestamptz := pg_catalog.clock_timestamp();
    t_locked timestamptz;
    t_caught timestamptz;
    lsn pg_lsn;
    confirmed pg_lsn;
    diff text;
    ntables integer := 0;
    rows_verified bigint := 0;
    seqs integer := 0;
    r record;
BEGIN
    SELECT * INTO m FROM oms_router.merchant x WHERE x.merchant = switch_merchant.merchant FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM oms_router.unknown_merchant(merchant);
    END IF;
    IF NOT EXISTS (SELECT FROM oms_router.node n WHERE n.node = to_node) THEN
        RAISE EXCEPTION 'unknown node "%"', to_node USING ERRCODE = 'OM003';
    END IF;
    IF m.node = to_node THEN
        RAISE EXCEPTION 'merchant "%" is already on node "%"', merchant, to_node
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT n.connstr || ' dbname=' || m.dbname INTO src FROM oms_router.node n WHERE n.node = m.node;
    SELECT n.connstr || ' dbname=' || m.dbname INTO dst FROM oms_router.node n WHERE n.node = to_node;

    -- 1. freeze: wait for the calls in flight, refuse new ones (40001)
    PERFORM pg_catalog.pg_advisory_xact_lock(oms_router.lock_key(merchant));
    t_locked := pg_catalog.clock_timestamp();

    -- 2. catch-up
    lsn := oms_router.remote_wal_lsn(src);
    LOOP
        confirmed := oms_router.remote_slot_lsn(src, slot);
        IF confirmed IS NULL THEN
            RAISE EXCEPTION 'no replication slot "%" on the source of merchant "%"', slot, merchant
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Subscribe the target to the source first (router/move_merchant.sh).';
        END IF;
        EXIT WHEN confirmed >= lsn;
        IF pg_catalog.clock_timestamp() - t_locked > catchup_timeout THEN
            RAISE EXCEPTION 'the target of merchant "%" did not catch up within %', merchant, catchup_timeout
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = pg_catalog.format('The source is at %s, the subscription confirmed %s.', lsn, confirmed),
                      HINT = 'Nothing was switched; the merchant stays on its node.  Retry when the subscription keeps up.';
        END IF;
        PERFORM pg_catalog.pg_sleep(0.01);
    END LOOP;
    t_caught := pg_catalog.clock_timestamp();

    -- 3. verify: the same rows on both sides
    IF verify THEN
        SELECT pg_catalog.string_agg(pg_catalog.format('%s: source %s, target %s', COALESCE(s.relname, d.relname),
                                                       s.n, d.n), '; ' ORDER BY COALESCE(s.relname, d.relname))
                   FILTER (WHERE s.n IS DISTINCT FROM d.n),
               pg_catalog.count(*), COALESCE(pg_catalog.sum(s.n), 0)
          INTO diff, ntables, rows_verified
          FROM oms_router.remote_row_counts(src) s
          FULL JOIN oms_router.remote_row_counts(dst) d ON d.relname = s.relname;
        IF diff IS NOT NULL THEN
            RAISE EXCEPTION 'the copy of merchant "%" differs from its source', merchant
                USING ERRCODE = 'data_corrupted', DETAIL = diff,
                      HINT = 'Nothing was switched.  Check the subscription on the target.';
        END IF;
    END IF;

    -- 4. sequences
    FOR r IN SELECT * FROM oms_router.remote_sequences(src) LOOP
        PERFORM oms_router.remote_setval(dst, r.seq, r.last_value);
        seqs := seqs + 1;
    END LOOP;

    -- 5. the map
    UPDATE oms_router.merchant x
       SET node = to_node, moves = x.moves + 1, placed_at = pg_catalog.clock_timestamp()
     WHERE x.merchant = switch_merchant.merchant;

    RETURN pg_catalog.jsonb_build_object(
        'merchant', merchant, 'from', m.node, 'to', to_node, 'lsn', lsn::text,
        'wait_for_calls_ms', pg_catalog.round(EXTRACT(epoch FROM t_locked - t0) * 1000, 1),
        'catch_up_ms', pg_catalog.round(EXTRACT(epoch FROM t_caught - t_locked) * 1000, 1),
        'freeze_ms', pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - t_locked) * 1000, 1),
        'tables_verified', ntables, 'rows_verified', rows_verified, 'sequences_set', seqs);
END
$$;
COMMENT ON FUNCTION oms_router.switch_merchant(text, text, text, interval, boolean) IS 'The switch of a move (router/move_merchant.sh): freeze the merchant''s writes (in-flight calls complete, new ones get 40001), wait until the subscription behind slot has caught up, compare every table''s rows (verify), copy the sequences, point the map at to_node; all or nothing.  Returns the timings and counts.';
