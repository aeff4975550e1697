
-- ===========================================================================
-- 00_map.sql: the placement map (merchant -> node) and how a call finds its
-- database
-- ===========================================================================
-- Tenancy: one database per merchant.  A merchant's database holds the full
-- oms extension, unchanged; it lives on one node (a PostgreSQL cluster) and
-- moves between nodes as a whole (30_move.sql).  The router database holds
-- only this map and PL/Proxy functions: no merchant data.
--
-- Every merchant call goes through connect_rw() (writes, and any call
-- that is not STABLE) or connect_ro() (STABLE and IMMUTABLE calls), whose
-- result is the libpq connection string PL/Proxy opens (and keeps: one
-- connection per connection string per router backend).  connect_rw() takes
-- a shared advisory lock on the merchant for the caller's transaction; a
-- move takes it exclusively, so it waits for the calls in flight and turns
-- new ones away with 40001 until the map is switched (README, Scale-out).
-- It also refuses a write for a second merchant in the same transaction
-- (0A000): each routed call commits on its own on its node.

-- The roles oms creates on each node; the router's routed functions are
-- granted to the same names (99_privileges.sql, 10_api.sql).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'oms_app') THEN
        CREATE ROLE oms_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'oms_reader') THEN
        CREATE ROLE oms_reader NOLOGIN;
    END IF;
END
$roles$;

CREATE TABLE oms_router.node (
    node            text PRIMARY KEY CHECK (node ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    connstr         text NOT NULL CHECK (connstr !~ '(^|\s)dbname\s*='),
    standby_connstr text CHECK (standby_connstr !~ '(^|\s)dbname\s*='),
    note            text
);
COMMENT ON TABLE oms_router.node IS 'The oms nodes (PostgreSQL clusters) the router sends calls to.';
COMMENT ON COLUMN oms_router.node.node IS 'Name of the node, as the placement map refers to it.';
COMMENT ON COLUMN oms_router.node.connstr IS 'libpq connection string of the node''s primary without dbname (the merchant''s database is added) and, normally, without user (PL/Proxy adds user=current_user) or password (use the router server''s .pgpass, or trust/peer over a private network or socket).';
COMMENT ON COLUMN oms_router.node.standby_connstr IS 'libpq connection string of a hot standby of the node (streaming replication) for read-only calls, or NULL: read-only calls then go to the primary.';
COMMENT ON COLUMN oms_router.node.note IS 'Free text for operators.';

CREATE TABLE oms_router.merchant (
    merchant  text PRIMARY KEY CHECK (merchant ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    node      text NOT NULL REFERENCES oms_router.node ON UPDATE CASCADE,
    dbname    text NOT NULL UNIQUE CHECK (dbname ~ '^[a-z0-9_][a-z0-9_-]{0,62}$'),
    moves     integer NOT NULL DEFAULT 0,
    placed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE oms_router.merchant IS 'The placement map: which node holds each merchant''s database.  Changed by hand to add a merchant, by switch_merchant() when a merchant moves.';
COMMENT ON COLUMN oms_router.merchant.merchant IS 'The merchant key every routed call takes first.';
COMMENT ON COLUMN oms_router.merchant.node IS 'The node whose primary holds the merchant''s database now.';
COMMENT ON COLUMN oms_router.merchant.dbname IS 'The merchant''s database on its node (oms installed there); unique over the platform, so a fan-out row names its merchant.';
COMMENT ON COLUMN oms_router.merchant.moves IS 'How many times the merchant moved between nodes.';
COMMENT ON COLUMN oms_router.merchant.placed_at IS 'When the merchant was added or last moved.';

-- The version PL/Proxy compares to reload the fan-out clusters: bumped by
-- every change of the map.
CREATE TABLE oms_router.map_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version integer NOT NULL DEFAULT 1
);
INSERT INTO oms_router.map_version DEFAULT VALUES;
COMMENT ON TABLE oms_router.map_version IS 'One row: the version of the placement map, bumped by every change of node or merchant (PL/Proxy reloads its fan-out clusters when it grows).';
COMMENT ON COLUMN oms_router.map_version.one IS 'Always true: the table has one row.';
COMMENT ON COLUMN oms_router.map_version.version IS 'Bumped by every statement that changes node or merchant.';

CREATE FUNCTION oms_router.bump_map_version()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE oms_router.map_version SET version = version + 1;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION oms_router.bump_map_version() IS 'Trigger: a change of the map bumps map_version.';
CREATE TRIGGER bump_map_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON oms_router.node
    FOR EACH STATEMENT EXECUTE FUNCTION oms_router.bump_map_version();
CREATE TRIGGER bump_map_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON oms_router.merchant
    FOR EACH STATEMENT EXECUTE FUNCTION oms_router.bump_map_version();

-- The map is configuration: pg_dump keeps it.
SELECT pg_catalog.pg_extension_config_dump('oms_router.node', '');
SELECT pg_catalog.pg_extension_config_dump('oms_router.merchant', '');

-- The advisory lock key of a merchant: one key space (the first key is the
-- hash of 'oms_router'), so it does not collide with a caller's locks.
CREATE FUNCTION oms_router.lock_key(merchant text)
    RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$ SELECT pg_catalog.hashtextextended('oms_router:' || merchant, 0) $$;
COMMENT ON FUNCTION oms_router.lock_key(text) IS 'The advisory lock key of a merchant: shared by every routed write of the merchant for its transaction, exclusive while switch_merchant() moves it.';

CREATE FUNCTION oms_router.unknown_merchant(merchant text)
    RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF merchant IS NULL THEN
        RAISE EXCEPTION 'merchant must not be NULL'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RAISE EXCEPTION 'unknown merchant "%"', merchant
        USING ERRCODE = 'OM003',
              DETAIL = 'The router''s placement map (oms_router.merchant) has no such merchant.';
END
$$;
COMMENT ON FUNCTION oms_router.unknown_merchant(text) IS 'Raises the error of a merchant the map does not know (OM003, or 22023 for NULL).';

-- Where a write goes: the merchant's database on its node's primary.  The
-- shared lock (for the caller's transaction) is what a move waits for; a
-- move holding it exclusively makes this fail at once with 40001.
CREATE FUNCTION oms_router.connect_rw(merchant text)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    conn text;
    other text;
BEGIN
    IF merchant IS NULL THEN
        RETURN oms_router.unknown_merchant(merchant);
    END IF;
    -- one merchant per router transaction: each routed call commits on its
    -- own on the node, so two merchants in one transaction would look
    -- atomic and are not
    other := pg_catalog.current_setting('oms_router.transaction_merchant', true);
    IF other <> '' AND other <> merchant THEN
        RAISE EXCEPTION 'this transaction already wrote for merchant "%", not "%"', other, merchant
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'A router transaction writes for one merchant: each routed call commits on its own on the merchant''s node, so no transaction spans two merchants.',
                  HINT = 'Write for each merchant in its own transaction.';
    END IF;
    PERFORM pg_catalog.set_config('oms_router.transaction_merchant', merchant, true);
    IF NOT pg_catalog.pg_try_advisory_xact_lock_shared(oms_router.lock_key(merchant)) THEN
        RAISE EXCEPTION 'merchant "%" is moving to another node', merchant
            USING ERRCODE = 'serialization_failure',
                  DETAIL = 'Writes of this merchant are refused for the moment of the switch; nothing was done.',
                  HINT = 'Retry the call: it goes to the merchant''s new node once the move ends.';
    END IF;
    SELECT n.connstr || ' dbname=' || m.dbname INTO conn
      FROM oms_router.merchant m JOIN oms_router.node n USING (node)
     WHERE m.merchant = connect_rw.merchant;
    IF conn IS NULL THEN
        RETURN oms_router.unknown_merchant(merchant);
    END IF;
    RETURN conn;
END
$$;
COMMENT ON FUNCTION oms_router.connect_rw(text) IS 'PL/Proxy CONNECT function of routed writes: the merchant''s database on its node''s primary; takes the merchant''s shared move lock for the transaction; 40001 while the merchant is being switched, 0A000 for a second merchant in one transaction, OM003 for an unknown merchant.';

-- Where a read goes: the node's standby unless oms_router.reads is
-- 'primary' (read-your-writes) or the node has none.
CREATE FUNCTION oms_router.connect_ro(merchant text)
    RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    conn text;
    reads text := COALESCE(NULLIF(pg_catalog.current_setting('oms_router.reads', true), ''), 'standby');
BEGIN
    IF reads NOT IN ('standby', 'primary') THEN
        RAISE EXCEPTION 'oms_router.reads must be standby or primary, not "%"', reads
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT CASE WHEN reads = 'standby' THEN COALESCE(n.standby_connstr, n.connstr) ELSE n.connstr END
           || ' dbname=' || m.dbname INTO conn
      FROM oms_router.merchant m JOIN oms_router.node n USING (node)
     WHERE m.merchant = connect_ro.merchant;
    IF conn IS NULL THEN
        RETURN oms_router.unknown_merchant(merchant);
    END IF;
    RETURN conn;
END
$$;
COMMENT ON FUNCTION oms_router.connect_ro(text) IS 'PL/Proxy CONNECT function of routed read-only calls: the merchant''s database on its node''s standby, or on the primary when the node has no standby or the setting oms_router.reads is primary.';

-- ---------------------------------------------------------------------------
-- Fan-out clusters for RUN ON ALL: every merchant database is one partition
-- (modular_mapping lifts PL/Proxy's power-of-two rule).  'oms_merchants' is
-- the primaries, 'oms_merchants_ro' the standbys where there are some.
-- PL/Proxy looks these functions up in schema plproxy.
-- ---------------------------------------------------------------------------
CREATE SCHEMA plproxy;
COMMENT ON SCHEMA plproxy IS 'PL/Proxy''s cluster configuration functions, answered from the oms_router placement map.';

CREATE FUNCTION plproxy.get_cluster_version(cluster_name text)
    RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF cluster_name NOT IN ('oms_merchants', 'oms_merchants_ro') THEN
        RAISE EXCEPTION 'unknown PL/Proxy cluster "%"', cluster_name
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'oms_router knows the clusters oms_merchants and oms_merchants_ro.';
    END IF;
    RETURN (SELECT version FROM oms_router.map_version);
END
$$;
COMMENT ON FUNCTION plproxy.get_cluster_version(text) IS 'PL/Proxy: the version of a fan-out cluster, the version of the placement map.';

CREATE FUNCTION plproxy.get_cluster_partitions(cluster_name text)
    RETURNS SETOF text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF cluster_name NOT IN ('oms_merchants', 'oms_merchants_ro') THEN
        RAISE EXCEPTION 'unknown PL/Proxy cluster "%"', cluster_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM oms_router.merchant) THEN
        RAISE EXCEPTION 'the placement map has no merchant'
            USING ERRCODE = 'OM003',
                  HINT = 'Add nodes and merchants to oms_router.node and oms_router.merchant.';
    END IF;
    RETURN QUERY
        SELECT CASE WHEN cluster_name = 'oms_merchants_ro'
                    THEN COALESCE(n.standby_connstr, n.connstr) ELSE n.connstr END
               || ' dbname=' || m.dbname
          FROM oms_router.merchant m JOIN oms_router.node n USING (node)
         ORDER BY m.merchant;
END
$$;
COMMENT ON FUNCTION plproxy.get_cluster_partitions(text) IS 'PL/Proxy: one partition per merchant database, in merchant order (primaries for oms_merchants, standbys where there are some for oms_merchants_ro).';

CREATE FUNCTION plproxy.get_cluster_config(cluster_name text, OUT key text, OUT val text)
    RETURNS SETOF record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    VALUES ('modular_mapping', '1'),
           ('connection_lifetime', COALESCE(NULLIF(pg_catalog.current_setting('oms_router.connection_lifetime', true), ''), '1800'))
$$;
COMMENT ON FUNCTION plproxy.get_cluster_config(text) IS 'PL/Proxy: any number of partitions (modular_mapping) and the lifetime of a fan-out connection (setting oms_router.connection_lifetime, seconds, default 1800).';

-- Where a merchant's calls land now: the database, server port, and whether
-- it is a standby.  For operators, and for the tests.
CREATE FUNCTION oms_router.route(merchant text, OUT dbname text, OUT port integer, OUT in_recovery boolean)
    LANGUAGE plproxy
    AS $$
    CONNECT oms_router.connect_rw(merchant);
    SELECT pg_catalog.current_database()::text AS dbname, pg_catalog.current_setting('port')::integer AS port,
           pg_catalog.pg_is_in_recovery() AS in_recovery;
$$;
COMMENT ON FUNCTION oms_router.route(text) IS 'Where the merchant''s writes land now: database, port and recovery state of the server that answers.';

CREATE FUNCTION oms_router.route_ro(merchant text, OUT dbname text, OUT port integer, OUT in_recovery boolean)
    LANGUAGE plproxy
    AS $$
    CONNECT oms_router.connect_ro(merchant);
    SELECT pg_catalog.current_database()::text AS dbname, pg_catalog.current_setting('port')::integer AS port,
           pg_catalog.pg_is_in_recovery() AS in_recovery;
$$;
COMMENT ON FUNCTION oms_router.route_ro(text) IS 'Where the merchant''s read-only calls land now (a standby when the node has one and oms_router.reads is not primary).';
