# The pg_cron worker itself runs the reorder job that oms.schedule_jobs()
# creates: an item sold below its reorder point gets a draft purchase order
# with no client involved.  Twice: with oms installed in pg_cron's database
# (cron.schedule), and in another database of the cluster, where
# schedule_jobs() reaches pg_cron's database over dblink and uses
# cron.schedule_in_database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron_reorder');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;

my $setup = q{
    CREATE EXTENSION oms;
    INSERT INTO oms.location (code, name) VALUES ('A', 'A');
    INSERT INTO oms.item (sku, name) VALUES ('X', 'X');
    INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');
    INSERT INTO oms.channel (code, name) VALUES ('web', 'Web');
    SELECT oms.receive_stock('X', 'A', 12);
    SELECT oms.set_reorder_rule('X', 'A', 'ACME', 5, max_level => 40, order_multiple => 10);
    SELECT oms.place_order('a@example.com', 'web', '[{"sku": "X", "qty": 8}]');
};

# pg_cron's own database
$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
$node->safe_psql('postgres', $setup);
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.purchase_order}), '0', 'postgres: no purchase order yet');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.schedule_jobs(reorder_schedule => '* * * * *')}),
    '6', 'postgres: six jobs scheduled');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.schedule_jobs(reorder_schedule => '* * * * *')}),
    '6', 'postgres: scheduling again is idempotent');
is($node->safe_psql('postgres', q{SELECT schedule FROM cron.job WHERE jobname = 'oms-reorder'}),
    '* * * * *', 'postgres: the reorder job runs every minute');

# another database: no pg_cron there, dblink reaches it
$node->safe_psql('postgres', 'CREATE DATABASE shop');
$node->safe_psql('shop', $setup);
my ($rc, $out, $err) = $node->psql('shop', q{SELECT oms.schedule_jobs()});
isnt($rc, 0, 'shop: without dblink schedule_jobs() refuses');
like($err, qr/pg_cron is installed in database "postgres", not in "shop"/, 'shop: and says where pg_cron is');
like($node->safe_psql('shop', q{SELECT oms.schedule_jobs_sql()}),
    qr/SELECT cron\.schedule_in_database\('oms-reorder\@shop', '5 \* \* \* \*', 'SELECT count\(\*\) FROM oms\.run_reorder\(\)', 'shop'\);/,
    'shop: schedule_jobs_sql() prints the statements for pg_cron\'s database');
$node->safe_psql('shop', 'CREATE EXTENSION dblink');
is($node->safe_psql('shop', q{SELECT count(*) FROM oms.schedule_jobs(reorder_schedule => '* * * * *')}),
    '6', 'shop: six jobs scheduled through dblink');
is($node->safe_psql('shop', q{SELECT count(*) FROM oms.schedule_jobs(reorder_schedule => '* * * * *')}),
    '6', 'shop: scheduling again is idempotent');
is($node->safe_psql('postgres', q{SELECT string_agg(jobname, ',' ORDER BY jobname) FROM cron.job WHERE database = 'shop'}),
    'oms-expire-reservations@shop,oms-purge-events@shop,oms-purge-idempotency-keys@shop,oms-refresh-forecast@shop,oms-refresh-kpis@shop,oms-reorder@shop',
    'shop: cron.job holds its jobs once, for database shop');

# The reorder job runs every minute: wait for the worker to order, in both.
for my $db ('postgres', 'shop')
{
    ok($node->poll_query_until($db,
            q{SELECT count(*) = 1 FROM oms.purchase_order o JOIN oms.purchase_order_line l USING (po_id)
              WHERE o.status = 'draft' AND o.origin = 'reorder' AND l.qty_ordered = 40},
            't'),
        "$db: the pg_cron worker created the draft purchase order (40 - 4 = 36, rounded up to 40)");
}
for my $job ('oms-reorder', 'oms-reorder@shop')
{
    ok($node->poll_query_until('postgres',
            qq{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
               WHERE j.jobname = '$job' AND d.status = 'succeeded'},
            't'),
        "cron.job_run_details records a successful run of $job");
}
# later runs add nothing: still one draft with one line in each
for my $db ('postgres', 'shop')
{
    is($node->safe_psql($db, q{SELECT count(*) FROM oms.purchase_order_line}), '1', "$db: one line, never duplicated");
    is($node->safe_psql($db, q{SELECT count(*) FROM oms.check_inventory()}), '0', "$db: ledger and levels agree");
}

is($node->safe_psql('shop', q{SELECT oms.unschedule_jobs()}), '6', 'shop: unschedule_jobs removes its six');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job WHERE database = 'shop'}), '0', 'shop: none left');
is($node->safe_psql('postgres', q{SELECT oms.unschedule_jobs()}), '6', 'postgres: unschedule_jobs removes its six');
is($node->safe_psql('postgres', q{SELECT count(*) FROM cron.job}), '0', 'no job left');

$node->stop;
done_testing();
