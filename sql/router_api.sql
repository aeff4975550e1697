-- router_api: the router (router/, extension oms_router) has a routed twin of
-- every oms API function (every function of extension oms that oms_app or
-- oms_reader may execute): the same arguments with their defaults after a
-- merchant text, the same result (a row type of oms spelled out as TABLE),
-- the call of oms.f on the merchant's database, connect_rw() for VOLATILE
-- and connect_ro() for the others, EXECUTE for the same roles.  When the API
-- changes this fails until the router is regenerated:
--
--   bash router/generate.sh      (rewrites router/sql/10_api.sql)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS oms_router CASCADE;
DROP EXTENSION IF EXISTS oms CASCADE;
CREATE EXTENSION oms;
CREATE EXTENSION oms_router CASCADE;
RESET client_min_messages;

CREATE TEMP VIEW api AS
SELECT p.oid, p.proname::text AS proname, p.proargtypes, p.provolatile,
       pg_get_function_arguments(p.oid) AS args,
       CASE WHEN t.typtype = 'c' AND t.typnamespace = 'oms'::regnamespace THEN
                'TABLE(' || (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                               FROM pg_attribute a
                              WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) || ')'
            ELSE pg_get_function_result(p.oid) END AS result,
       has_function_privilege('oms_app', p.oid, 'EXECUTE') AS to_app,
       has_function_privilege('oms_reader', p.oid, 'EXECUTE') AS to_reader
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'oms'
  JOIN pg_type t ON t.oid = p.prorettype
 WHERE p.prokind = 'f'
   AND (has_function_privilege('oms_app', p.oid, 'EXECUTE') OR has_function_privilege('oms_reader', p.oid, 'EXECUTE'));

-- the routed twins: PL/Proxy functions of oms_router that call oms.f
CREATE TEMP VIEW twin AS
SELECT p.oid, p.proname::text AS proname, p.proargtypes, p.prosrc
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'oms_router'::regnamespace AND l.lanname = 'plproxy'
   AND p.prosrc ~ 'SELECT \* FROM oms\.';

-- every difference, one row each: none
SELECT a.proname, 'no routed twin with arguments (merchant text, ' || a.args || ')' AS problem
  FROM api a
 WHERE NOT EXISTS (SELECT FROM twin w WHERE w.proname = a.proname
                      AND w.proargtypes::oid[] = ('text'::regtype::oid || a.proargtypes::oid[]))
UNION ALL
SELECT w.proname, 'a twin of no API function: ' || w.oid::regprocedure::text
  FROM twin w
 WHERE NOT EXISTS (SELECT FROM api a WHERE w.proname = a.proname
                      AND w.proargtypes::oid[] = ('text'::regtype::oid || a.proargtypes::oid[]))
UNION ALL
SELECT a.proname, concat_ws(', ',
           CASE WHEN pg_get_function_arguments(w.oid) <> 'merchant text' || CASE WHEN a.args = '' THEN '' ELSE ', ' || a.args END
                THEN 'arguments ' || pg_get_function_arguments(w.oid) END,
           CASE WHEN pg_get_function_result(w.oid) <> a.result
                THEN 'result ' || pg_get_function_result(w.oid) || ' instead of ' || a.result END,
           CASE WHEN position(format('CONNECT oms_router.%s(merchant);', CASE WHEN a.provolatile = 'v' THEN 'connect_rw' ELSE 'connect_ro' END) IN w.prosrc) = 0
                THEN 'routed to the wrong server' END,
           CASE WHEN position(format('SELECT * FROM oms.%s(', a.proname) IN w.prosrc) = 0
                THEN 'does not call oms.' || a.proname END,
           CASE WHEN has_function_privilege('oms_app', w.oid, 'EXECUTE') <> a.to_app
                  OR has_function_privilege('oms_reader', w.oid, 'EXECUTE') <> a.to_reader
                THEN 'EXECUTE granted to other roles' END)
  FROM api a JOIN twin w ON w.proname = a.proname AND w.proargtypes::oid[] = ('text'::regtype::oid || a.proargtypes::oid[])
 WHERE pg_get_function_arguments(w.oid) <> 'merchant text' || CASE WHEN a.args = '' THEN '' ELSE ', ' || a.args END
    OR pg_get_function_result(w.oid) <> a.result
    OR position(format('CONNECT oms_router.%s(merchant);', CASE WHEN a.provolatile = 'v' THEN 'connect_rw' ELSE 'connect_ro' END) IN w.prosrc) = 0
    OR position(format('SELECT * FROM oms.%s(', a.proname) IN w.prosrc) = 0
    OR has_function_privilege('oms_app', w.oid, 'EXECUTE') <> a.to_app
    OR has_function_privilege('oms_reader', w.oid, 'EXECUTE') <> a.to_reader
ORDER BY 1, 2;

SELECT (SELECT count(*) FROM api) = (SELECT count(*) FROM twin) AS every_api_function_routed,
       (SELECT count(*) FROM api) > 50 AS api_found;

-- nobody but the owner reads the nodes' connection strings or moves a merchant
SELECT has_table_privilege('oms_app', 'oms_router.node', 'SELECT') AS app_reads_nodes,
       has_table_privilege('oms_reader', 'oms_router.node', 'SELECT') AS reader_reads_nodes,
       has_function_privilege('oms_app', 'oms_router.switch_merchant(text, text, text, interval, boolean)', 'EXECUTE') AS app_switches,
       has_function_privilege('oms_app', 'oms_router.remote_setval(text, text, bigint)', 'EXECUTE') AS app_sets_sequences;

SET client_min_messages = warning;
DROP EXTENSION oms_router;
DROP EXTENSION plproxy;
RESET client_min_messages;
