# The README tour runs as pasted: every ```sql block of README.md, in order,
# as one psql script (scripts/readme_tour.sh) with ON_ERROR_STOP, against a
# fresh CREATE EXTENSION oms database in a cluster with pg_cron (the Jobs
# section schedules jobs), oms preloaded (its event notifier) and
# wal_level = logical (the change data capture example).  Statements the README shows failing ("-- ERROR:")
# must fail with exactly the message shown.  Afterwards ledger, levels,
# reservations, incoming and payments agree.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run ();

my $root = $ENV{OMS_ROOT} or BAIL_OUT('OMS_ROOT is not set');
my $readme = "$root/README.md";

my ($script, $stderr);
my $extracted = IPC::Run::run([ 'bash', "$root/scripts/readme_tour.sh", $readme ],
	'>', \$script, '2>', \$stderr);
ok($extracted, 'scripts/readme_tour.sh extracts the tour') or diag($stderr);
my $blocks = () = $script =~ /^\\echo '== README\.md line \d+'$/mg;
my $errors = () = $script =~ /AS tour_error_as_shown \\gset$/mg;
cmp_ok($blocks, '>=', 10, "the tour has $blocks sql blocks");
cmp_ok($errors, '>=', 1, "and $errors statements shown failing");

my $file = PostgreSQL::Test::Utils::tempdir() . '/readme_tour.sql';
PostgreSQL::Test::Utils::append_to_file($file, $script);

my $node = PostgreSQL::Test::Cluster->new('readme_tour');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron,oms'
wal_level = logical
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION oms');

my ($out, $err);
my $rc = $node->psql('postgres', undef, extra_params => [ '-f', $file ],
	on_error_stop => 1, stdout => \$out, stderr => \$err);
is($rc, 0, 'the tour runs to its end with ON_ERROR_STOP');
like($out, qr/== the tour ran: $blocks sql blocks/, 'and says so');
if ($rc != 0)
{
	# where it stopped: the last block it entered and what psql said
	my @entered = $out =~ /(== README\.md line \d+)/g;
	diag('stopped in ' . ($entered[-1] // 'the first block'));
	diag($err);
}
else
{
	note($err) if $err;
}

is($node->safe_psql('postgres', 'SELECT count(*) FROM oms.check_inventory()'),
	'0', 'check_inventory() agrees after the tour');
is($node->safe_psql('postgres', 'SELECT count(*) FROM oms.check_payments()'),
	'0', 'check_payments() agrees after the tour');

$node->stop;
done_testing();
