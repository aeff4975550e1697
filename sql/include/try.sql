-- try(): run a statement and show its SQLSTATE, message and detail, so each
-- error class is visible in the expected output without file:line noise.
-- Each regression file that uses it loads it itself (README, Testing).
CREATE FUNCTION pg_temp.try(cmd text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE cmd;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    -- a constraint's detail repeats the failing row, timestamps included
    IF SQLSTATE LIKE '23%' THEN
        detail := NULL;
    END IF;
    RETURN SQLSTATE || ': ' || SQLERRM || COALESCE(' | ' || NULLIF(detail, ''), '');
END
$$;
