# The pg_cron worker itself runs the reservation-expiry job that
# oms.schedule_jobs() creates: an expired cart hold is released and the
# reserved bucket drops, with no client involved.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION pg_cron;
    CREATE EXTENSION oms;
    INSERT INTO oms.location (code, name) VALUES ('A', 'A');
    INSERT INTO oms.item (sku, name) VALUES ('X', 'X');
    SELECT oms.receive_stock('X', 'A', 10);
    SELECT oms.hold_stock('cart-1', '[{"sku": "X", "qty": 4}]', '1 second');
});
is($node->safe_psql('postgres', q{SELECT reserved FROM oms.inventory_level}), '4', 'the hold reserves 4');

is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.schedule_jobs()}), '6', 'six jobs scheduled (expiry, two purges, reorder, forecast and KPI refresh)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.schedule_jobs()}), '6', 'scheduling again is idempotent');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname LIKE 'oms-%'}), '6',
    'cron.job holds each job once');

# The expiry job runs every minute: wait for the worker to release the hold.
ok($node->poll_query_until('postgres',
        q{SELECT state = 'expired' AND (SELECT reserved FROM oms.inventory_level) = 0 FROM oms.cart_hold},
        't'),
    'the pg_cron worker released the expired hold');
ok($node->poll_query_until('postgres',
        q{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
          WHERE j.jobname = 'oms-expire-reservations' AND d.status = 'succeeded'},
        't'),
    'cron.job_run_details records a successful run');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.check_inventory()}), '0', 'ledger, levels and reservations agree');

is($node->safe_psql('postgres', q{SELECT oms.unschedule_jobs()}), '6', 'unschedule_jobs removes them');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job}), '0', 'no job left');

$node->stop;
done_testing();
