
-- ===========================================================================
-- 80_jobs.sql: the periodic jobs, scheduled with pg_cron when a DBA opts in
-- ===========================================================================
-- pg_cron is not required by the extension.  schedule_jobs() creates (or
-- updates, by job name) the jobs in cron.job when pg_cron is installed in
-- this database; unschedule_jobs() removes them.  Each job is a plain
-- function a DBA may also call by hand.

CREATE FUNCTION oms.schedule_jobs(expire_schedule text DEFAULT '* * * * *',
                                  purge_schedule text DEFAULT '17 3 * * *')
    RETURNS TABLE (jobname text, schedule text, command text, jobid bigint)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    j record;
BEGIN
    IF pg_catalog.to_regnamespace('cron') IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.current_database()
            USING ERRCODE = 'undefined_object',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database and CREATE EXTENSION pg_cron.';
    END IF;
    FOR j IN
        SELECT * FROM (VALUES
            ('oms-expire-reservations', expire_schedule, 'SELECT oms.expire_reservations()'),
            ('oms-purge-events', purge_schedule, 'SELECT oms.purge_events()'),
            ('oms-purge-idempotency-keys', purge_schedule, 'SELECT oms.purge_idempotency_keys()')
        ) AS v(name, sched, cmd)
    LOOP
        jobname := j.name;
        schedule := j.sched;
        command := j.cmd;
        EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO jobid USING j.name, j.sched, j.cmd;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION oms.schedule_jobs(text, text) IS 'Create or update the oms pg_cron jobs (reservation expiry, event and idempotency-key purge).  Idempotent.  Returns the jobs.';

CREATE FUNCTION oms.unschedule_jobs()
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    n bigint := 0;
    name text;
BEGIN
    IF pg_catalog.to_regnamespace('cron') IS NULL THEN
        RETURN 0;
    END IF;
    FOR name IN EXECUTE 'SELECT jobname FROM cron.job WHERE jobname LIKE ''oms-%'''
    LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING name;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION oms.unschedule_jobs() IS 'Remove every oms pg_cron job.  Returns how many were removed.';

REVOKE ALL ON FUNCTION oms.schedule_jobs(text, text), oms.unschedule_jobs() FROM PUBLIC;
