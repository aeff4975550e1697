# Soak (issue 15, item 2): pgbench clients mix every business operation on
# six skus (one hot, one backorderable) over three locations, first under
# READ COMMITTED and then under SERIALIZABLE with retries (--max-tries).
# Afterwards every invariant of test/reliability/invariants.sql holds.
# Printed: transactions, business errors by SQLSTATE, serialization failures
# and deadlocks (the target is 0 deadlocks), invariant checks.  No error
# outside the documented classes (no XX000, no 23xxx from inside the API).
#
# OMS_SOAK_SECONDS (default 20) per isolation level, OMS_SOAK_CLIENTS
# (default 8); test/reliability/soak.sh runs it longer.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seconds = $ENV{OMS_SOAK_SECONDS} // 20;
my $clients = $ENV{OMS_SOAK_CLIENTS} // 8;
my $root = $ENV{OMS_ROOT} or die 'OMS_ROOT is not set';

my $node = PostgreSQL::Test::Cluster->new('soak');
$node->init;
$node->append_conf('postgresql.conf', qq{
max_connections = @{[ $clients + 20 ]}
shared_preload_libraries = 'oms'
log_min_messages = warning
deadlock_timeout = 100ms
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION oms');
$node->safe_psql('postgres', slurp_file("$root/test/reliability/soak.sql"));
$node->safe_psql('postgres', slurp_file("$root/test/reliability/invariants.sql"));

# weights: orders flow from place to pay, ship, deliver and return
my %weight = (place => 30, edit => 6, cancel => 5, hold => 5, release => 3, hold_order => 3, pay => 15,
    ship => 12, deliver => 8, return => 4, refund => 3, receive => 4, count => 2, transfer => 3, expire => 1);
my %scripts = map { ("071_soak_$_\@$weight{$_}" => "SELECT soak_step('$_');\n") } sort keys %weight;

my %total = (transactions => 0, serialization => 0, deadlocks => 0, retried => 0, failed => 0);
for my $iso ('read committed', 'serializable')
{
    $node->safe_psql('postgres', "ALTER DATABASE postgres SET default_transaction_isolation = '$iso'");
    my ($rc, $out, $err) = (0, '', '');
    my @cmd = ('pgbench', '--no-vacuum', "--client=$clients", '--jobs=2', "--time=$seconds",
        '--max-tries=20', '--failures-detailed', '--random-seed=rand', $node->connstr('postgres'));
    my $dir = PostgreSQL::Test::Utils::tempdir();
    for my $name (sort keys %scripts)
    {
        (my $file = $name) =~ s/\@.*//;
        PostgreSQL::Test::Utils::append_to_file("$dir/$file.sql", $scripts{$name});
        (my $w = $name) =~ s/.*\@//;
        push @cmd, '-f', "$dir/$file.sql\@$w";
    }
    ($out, $err) = run_command(\@cmd);
    my ($tx) = $out =~ /number of transactions actually processed: (\d+)/;
    my ($failed) = $out =~ /number of failed transactions: (\d+)/;
    my ($ser) = $out =~ /number of serialization failures: (\d+)/;
    my ($dl) = $out =~ /number of deadlock failures: (\d+)/;
    my ($retried) = $out =~ /number of transactions retried: (\d+)/;
    my ($aborted) = $err =~ /(client \d+ aborted.*)/;
    ok(defined $tx && !$aborted, "$iso: pgbench ran to the end") or diag("$out\n$err");
    $tx //= 0;
    note(sprintf('%s: %d transactions, %d failed after retries, %d serialization failures, %d deadlocks, %d retried',
        $iso, $tx, $failed // 0, $ser // 0, $dl // 0, $retried // 0));
    is($dl // 0, 0, "$iso: no deadlock");
    $total{transactions} += $tx;
    $total{serialization} += $ser // 0;
    $total{deadlocks} += $dl // 0;
    $total{retried} += $retried // 0;
    $total{failed} += $failed // 0;

    my $bad = $node->safe_psql('postgres',
        q{SELECT string_agg(invariant || ': ' || violations, '; ') FROM oms_invariants() WHERE violations <> 0});
    is($bad, '', "$iso: every invariant holds");
}

my $ops = $node->safe_psql('postgres', q{
    SELECT string_agg(op || ' ' || n, ', ' ORDER BY op) FROM (
        SELECT op, count(*) AS n FROM soak_log WHERE sqlstate IS NULL GROUP BY op) x});
my $errors = $node->safe_psql('postgres', q{
    SELECT string_agg(sqlstate || ' ' || n, ', ' ORDER BY sqlstate) FROM (
        SELECT sqlstate, count(*) AS n FROM soak_log WHERE sqlstate IS NOT NULL GROUP BY sqlstate) x});
my $checks = $node->safe_psql('postgres', 'SELECT count(*) FROM oms_invariants()');
note("operations done: $ops");
note("business errors by SQLSTATE: " . ($errors || 'none'));
note($node->safe_psql('postgres', q{
    SELECT string_agg(format('  %s %s, e.g. %s: %s', sqlstate, n, op, message), E'\n' ORDER BY sqlstate) FROM (
        SELECT DISTINCT ON (sqlstate) sqlstate, op, message, count(*) OVER (PARTITION BY sqlstate) AS n
        FROM soak_log WHERE sqlstate IS NOT NULL ORDER BY sqlstate, op) x}));
note(sprintf('soak: %d transactions, %d retried after a serialization failure or deadlock, %d still failing after '
      . '20 tries (serialization %d, deadlock %d), %d invariant checks passed at each of 2 levels',
    $total{transactions}, $total{retried}, $total{failed}, $total{serialization}, $total{deadlocks}, $checks));
# the documented classes: OMxxx business errors, 22xxx bad values
is($node->safe_psql('postgres', q{
    SELECT string_agg(DISTINCT sqlstate || ' ' || op || ': ' || message, '; ') FROM soak_log
    WHERE sqlstate !~ '^(OM|22)'}), '', 'no error outside the documented classes');

$node->stop;
done_testing();
