# The extension's pg_cron jobs and a hot standby (issue 15, item 8).
# pg_cron's scheduler is a background worker that starts only once recovery
# has finished: on a standby it does not run, so the jobs that
# oms.schedule_jobs() made (replicated in cron.job) are not run there.
# Each job's function called by hand on the standby fails with 25006 and
# writes nothing.  After promotion the scheduler starts on the new primary
# and the jobs run there: an expired cart hold is released by the
# reservation-expiry job and the KPI refresh succeeds.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('cron_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION pg_cron;
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 7);
SELECT oms.receive_stock('MUG', 'EAST', 20);
SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', reorder_point => 50, reorder_qty => 100);
SELECT oms.place_order('a@example.com', 'web', '[{"sku": "MUG", "qty": 2, "unit_price": 8}]');
SELECT oms.hold_stock('cart-standby', '[{"sku": "MUG", "qty": 3}]', '1 second');
});
is($primary->safe_psql('postgres', q{SELECT count(*) FROM oms.schedule_jobs()}), '6', 'the six jobs are scheduled on the primary');
ok($primary->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher'}),
	'the primary runs the pg_cron scheduler');

$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('cron_standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
# The primary stops before its scheduler runs anything more (the hold has
# expired but nobody released it): what happens next is the standby's.
$primary->wait_for_catchup($standby);
$primary->stop;

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is in recovery');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE jobname LIKE 'oms-%'}), '6',
	'it has the jobs (cron.job is replicated)');
# Give a scheduler every chance to start: two seconds, then look.
sleep 2;
is($standby->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('pg_cron launcher', 'pg_cron worker', 'oms notifier')}),
	'0', 'but no pg_cron scheduler (nor an oms notifier) runs on the standby');
my $log = slurp_file($standby->logfile);
unlike($log, qr/pg_cron scheduler started/, 'its log shows no pg_cron scheduler starting');

# Every job's function, called by hand on the standby: 25006, nothing written.
my $state = q{SELECT (SELECT state FROM oms.cart_hold WHERE hold_ref = 'cart-standby') || ':'
    || (SELECT reserved FROM oms.inventory_level) || ':' || (SELECT count(*) FROM oms.purchase_order)};
is($standby->safe_psql('postgres', $state), 'active:5:0', 'the hold has expired but is still held, no purchase order');
my $refused = 0;
for my $job ('SELECT oms.expire_reservations()', 'SELECT count(*) FROM oms.run_reorder()', 'SELECT oms.refresh_kpis()',
	'SELECT oms.purge_events()', 'SELECT oms.purge_idempotency_keys()', 'SELECT oms.refresh_forecast()')
{
	my ($ret, $out, $err) = $standby->psql('postgres', $job, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  25006: cannot execute \w+.* in a read-only transaction/, "on the standby, $job: 25006");
	note("$job: $err");
	$refused++ if $err =~ /25006/;
}
is($standby->safe_psql('postgres', $state), 'active:5:0', 'nothing changed on the standby');
note("job functions refused on the standby with 25006: $refused of 6");

# Promotion: the scheduler starts on the new primary and the jobs run there.
$standby->promote;
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 'f', 'the standby is promoted');
ok($standby->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher'}),
	'the pg_cron scheduler starts on the new primary');
# The expiry and KPI jobs run every minute: wait for the next one.
ok($standby->poll_query_until('postgres',
		q{SELECT state = 'expired' FROM oms.cart_hold WHERE hold_ref = 'cart-standby'}),
	'the expiry job released the expired hold on the new primary');
ok($standby->poll_query_until('postgres',
		q{SELECT count(DISTINCT j.jobname) = 2 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
          WHERE j.jobname IN ('oms-expire-reservations', 'oms-refresh-kpis') AND d.status = 'succeeded'}),
	'cron.job_run_details records their successful runs');
is($standby->safe_psql('postgres', q{SELECT reserved FROM oms.inventory_level}), '2', 'only the order holds stock now');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM oms.check_inventory()}), '0', 'and the checks agree');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM cron.job_run_details WHERE status = 'failed'}), '0',
	'no job run failed');

$standby->stop;
done_testing();
