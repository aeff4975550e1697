
-- ===========================================================================
-- 80_jobs.sql: the periodic jobs, scheduled with pg_cron when a DBA opts in
-- ===========================================================================
-- pg_cron is not required by the extension.  It lives in one database per
-- cluster (cron.database_name).  schedule_jobs() creates (or updates, by
-- job name) the jobs:
--   * in pg_cron's database itself with cron.schedule(), named oms-<job>;
--   * from any other database through cron.schedule_in_database(), run in
--     pg_cron's database over dblink, named oms-<job>@<database>.  Without
--     dblink, schedule_jobs_sql() prints the statements to run there.
-- unschedule_jobs() removes this database's jobs.  Each job is a plain
-- function a DBA may also call by hand.

CREATE FUNCTION oms.job_definitions(expire_schedule text DEFAULT '* * * * *',
                                    purge_schedule text DEFAULT '17 3 * * *',
                                    reorder_schedule text DEFAULT '5 * * * *',
                                    forecast_schedule text DEFAULT '30 2 * * *')
    RETURNS TABLE (jobname text, schedule text, command text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    VALUES ('oms-expire-reservations', expire_schedule, 'SELECT oms.expire_reservations()'),
           ('oms-purge-events', purge_schedule, 'SELECT oms.purge_events()'),
           ('oms-purge-idempotency-keys', purge_schedule, 'SELECT oms.purge_idempotency_keys()'),
           ('oms-reorder', reorder_schedule, 'SELECT count(*) FROM oms.run_reorder()'),
           ('oms-refresh-forecast', forecast_schedule, 'SELECT oms.refresh_forecast()'),
           ('oms-refresh-kpis', '* * * * *', 'SELECT oms.refresh_kpis()')
$$;
COMMENT ON FUNCTION oms.job_definitions(text, text, text, text) IS 'The oms jobs with their schedules and commands, as schedule_jobs() creates them.';

-- A libpq connection string to pg_cron's database on this server: the first
-- unix socket directory (or localhost) and this server's port.
CREATE FUNCTION oms.cron_conninfo()
    RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sockets text := pg_catalog.btrim(pg_catalog.split_part(pg_catalog.current_setting('unix_socket_directories'), ',', 1));
    host text;
BEGIN
    host := CASE WHEN sockets = '' OR sockets LIKE '@%' THEN 'localhost' ELSE sockets END;
    RETURN pg_catalog.format('dbname=%s host=%s port=%s',
        '''' || replace(replace(pg_catalog.current_setting('cron.database_name', true), '\', '\\'), '''', '\''') || '''',
        '''' || replace(replace(host, '\', '\\'), '''', '\''') || '''',
        pg_catalog.current_setting('port'));
END
$$;
COMMENT ON FUNCTION oms.cron_conninfo() IS 'Connection string that schedule_jobs() uses by default to reach pg_cron''s database on this server over dblink.';

-- Where pg_cron is, and how to reach it: 'local', 'dblink' or an error.
CREATE FUNCTION oms.cron_dblink_schema()
    RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cron_db text := pg_catalog.current_setting('cron.database_name', true);
    nsp name;
BEGIN
    IF cron_db IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not loaded in this cluster'
            USING ERRCODE = 'undefined_object',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name, restart, and CREATE EXTENSION pg_cron in that database.';
    END IF;
    SELECT n.nspname INTO nsp
    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'dblink';
    IF nsp IS NULL THEN
        RAISE EXCEPTION 'pg_cron is installed in database "%", not in "%"', cron_db, pg_catalog.current_database()
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'Jobs for this database are created with cron.schedule_in_database() in pg_cron''s database.',
                  HINT = pg_catalog.format('CREATE EXTENSION dblink here and call oms.schedule_jobs() again, or run the output of oms.schedule_jobs_sql() in database %s.', cron_db);
    END IF;
    RETURN nsp;
END
$$;
COMMENT ON FUNCTION oms.cron_dblink_schema() IS 'The schema of dblink in this database, used to reach pg_cron in another database; an error saying what to do when there is none.';

CREATE FUNCTION oms.schedule_jobs_sql(expire_schedule text DEFAULT '* * * * *',
                                      purge_schedule text DEFAULT '17 3 * * *',
                                      reorder_schedule text DEFAULT '5 * * * *',
                                      forecast_schedule text DEFAULT '30 2 * * *')
    RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT pg_catalog.string_agg(pg_catalog.format('SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                                   j.jobname || '@' || pg_catalog.current_database(),
                                                   j.schedule, j.command, pg_catalog.current_database()),
                                 E'\n' ORDER BY j.jobname)
    FROM oms.job_definitions(expire_schedule, purge_schedule, reorder_schedule, forecast_schedule) j
$$;
COMMENT ON FUNCTION oms.schedule_jobs_sql(text, text, text, text) IS 'The statements that create this database''s oms jobs, to run in pg_cron''s database when it is another one (psql -Atc "SELECT oms.schedule_jobs_sql()" shop | psql postgres).';

CREATE FUNCTION oms.schedule_jobs(expire_schedule text DEFAULT '* * * * *',
                                  purge_schedule text DEFAULT '17 3 * * *',
                                  reorder_schedule text DEFAULT '5 * * * *',
                                  forecast_schedule text DEFAULT '30 2 * * *',
                                  cron_conninfo text DEFAULT NULL)
    RETURNS TABLE (jobname text, schedule text, command text, jobid bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    j record;
    nsp name;
    conn text;
BEGIN
    IF pg_catalog.to_regnamespace('cron') IS NOT NULL THEN
        -- pg_cron is in this database
        FOR j IN SELECT * FROM oms.job_definitions(expire_schedule, purge_schedule, reorder_schedule, forecast_schedule) d
        LOOP
            jobname := j.jobname;
            schedule := j.schedule;
            command := j.command;
            EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO jobid USING j.jobname, j.schedule, j.command;
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;
    -- pg_cron is in another database: schedule there, for this one
    nsp := oms.cron_dblink_schema();
    conn := COALESCE(schedule_jobs.cron_conninfo, oms.cron_conninfo());
    FOR j IN SELECT * FROM oms.job_definitions(expire_schedule, purge_schedule, reorder_schedule, forecast_schedule) d
    LOOP
        jobname := j.jobname || '@' || pg_catalog.current_database();
        schedule := j.schedule;
        command := j.command;
        EXECUTE pg_catalog.format('SELECT t.id FROM %I.dblink($1, $2) AS t(id bigint)', nsp)
            INTO jobid
            USING conn, pg_catalog.format('SELECT cron.schedule_in_database(%L, %L, %L, %L)',
                                          jobname, j.schedule, j.command, pg_catalog.current_database());
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION oms.schedule_jobs(text, text, text, text, text) IS 'Create or update the oms pg_cron jobs (reservation expiry, event and idempotency-key purge, reorder run, forecast refresh), in this database or, when pg_cron lives in another one, through cron.schedule_in_database() over dblink.  Idempotent.  Returns the jobs.';

CREATE FUNCTION oms.unschedule_jobs(cron_conninfo text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint := 0;
    name text;
    nsp name;
BEGIN
    IF pg_catalog.to_regnamespace('cron') IS NOT NULL THEN
        FOR name IN EXECUTE 'SELECT j.jobname FROM cron.job j WHERE j.jobname LIKE ''oms-%'' AND j.database = pg_catalog.current_database()'
        LOOP
            EXECUTE 'SELECT cron.unschedule($1)' USING name;
            n := n + 1;
        END LOOP;
        RETURN n;
    END IF;
    IF pg_catalog.current_setting('cron.database_name', true) IS NULL THEN
        RETURN 0;
    END IF;
    nsp := oms.cron_dblink_schema();
    EXECUTE pg_catalog.format('SELECT t.n FROM %I.dblink($1, $2) AS t(n bigint)', nsp)
        INTO n
        USING COALESCE(unschedule_jobs.cron_conninfo, oms.cron_conninfo()),
              pg_catalog.format('SELECT count(cron.unschedule(jobid)) FROM cron.job WHERE jobname LIKE %L AND database = %L',
                                'oms-%@' || pg_catalog.current_database(), pg_catalog.current_database());
    RETURN n;
END
$$;
COMMENT ON FUNCTION oms.unschedule_jobs(text) IS 'Remove this database''s oms pg_cron jobs (over dblink when pg_cron lives in another database).  Returns how many were removed.';

REVOKE ALL ON FUNCTION oms.schedule_jobs(text, text, text, text, text), oms.unschedule_jobs(text),
                       oms.schedule_jobs_sql(text, text, text, text), oms.cron_conninfo(),
                       oms.cron_dblink_schema() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION oms.job_definitions(text, text, text, text) TO oms_admin;
