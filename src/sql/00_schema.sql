
-- ===========================================================================
-- 00_schema.sql: roles, the module's own functions
-- ===========================================================================
-- The schema oms itself is created by CREATE EXTENSION (schema = oms in the
-- control file).  The three roles are cluster-wide, so they are created only
-- when missing and are not members of the extension.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'oms_admin') THEN
        CREATE ROLE oms_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'oms_app') THEN
        CREATE ROLE oms_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'oms_reader') THEN
        CREATE ROLE oms_reader NOLOGIN;
    END IF;
END
$roles$;

REVOKE ALL ON SCHEMA oms FROM PUBLIC;
GRANT USAGE ON SCHEMA oms TO oms_admin, oms_app, oms_reader;

CREATE FUNCTION oms.version() RETURNS text
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'oms_version';
COMMENT ON FUNCTION oms.version() IS 'Version of the loaded oms module (from oms.control).';

-- Human document numbers: SO-000123, SH-000042, RMA-000045, PO-000012.
-- Six digits at least, more past 999999 (lpad alone would cut them and collide).
-- In C (oms.c): it runs in the column defaults of every document, and a SQL
-- body naming n twice is not inlined when n is nextval(), so it would plan
-- itself again for every insert.
CREATE FUNCTION oms.document_number(prefix text, n bigint)
    RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'oms_document_number';
COMMENT ON FUNCTION oms.document_number(text, bigint) IS 'A human document number: prefix, a dash and n with at least six digits (SO-000123; SO-1000000 past a million).';
