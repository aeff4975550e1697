
-- ===========================================================================
-- 99_privileges.sql: who may call what on the router
-- ===========================================================================
-- The routed API (10_api.sql) is granted to the roles oms grants it to, and
-- PL/Proxy connects to the node as the calling user, so the node checks the
-- same rights again.  The map and the move functions stay the owner's (a
-- superuser): apps cannot read the nodes' connection strings from the map.
-- The functions PL/Proxy runs for a caller (the CONNECT functions and the
-- cluster configuration) are SECURITY DEFINER and granted to both roles.
REVOKE ALL ON ALL TABLES IN SCHEMA oms_router FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA oms_router FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA plproxy FROM PUBLIC;
GRANT USAGE ON SCHEMA oms_router, plproxy TO oms_app, oms_reader;
GRANT EXECUTE ON FUNCTION oms_router.connect_rw(text), oms_router.connect_ro(text),
                          oms_router.lock_key(text), oms_router.unknown_merchant(text),
                          oms_router.route(text), oms_router.route_ro(text),
                          plproxy.get_cluster_version(text), plproxy.get_cluster_partitions(text),
                          plproxy.get_cluster_config(text)
    TO oms_app, oms_reader;
-- The map without connection strings: the platform reports join on it.
GRANT SELECT ON oms_router.merchant TO oms_app, oms_reader;
