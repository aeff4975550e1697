# Fuzzing (issue 15, item 5).  Two fuzzers against a database with oms and
# data:
#   1. our own: pgbench clients call fuzz_step() (test/reliability/fuzz.sql),
#      a random function of the API with random valid and invalid arguments,
#      mixed with orders that move on (soak_step), while one more script
#      checks every invariant as it goes (fuzz_check);
#   2. sqlsmith (Debian's sqlsmith) generates random queries over the whole
#      schema as a role holding oms_admin, oms_app and oms_reader.
# Afterwards: the server never crashed, no call raised an internal error
# (XX000) or an error outside the documented classes, every invariant held
# at every check and holds at the end.  Printed: statements run, SQLSTATEs,
# crashes.
#
# OMS_FUZZ_SECONDS (default 15) for our fuzzer, OMS_SQLSMITH_QUERIES
# (default 2000) for sqlsmith; test/reliability/fuzz.sh runs them longer.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seconds = $ENV{OMS_FUZZ_SECONDS} // 15;
my $queries = $ENV{OMS_SQLSMITH_QUERIES} // 2000;
my $root = $ENV{OMS_ROOT} or die 'OMS_ROOT is not set';

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'oms'
max_connections = 30
deadlock_timeout = 100ms
log_line_prefix = '%e '
log_min_messages = error
log_min_error_statement = error
log_statement = none
log_error_verbosity = verbose
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION oms');
$node->safe_psql('postgres', slurp_file("$root/test/reliability/soak.sql"));
$node->safe_psql('postgres', slurp_file("$root/test/reliability/invariants.sql"));
$node->safe_psql('postgres', slurp_file("$root/test/reliability/fuzz.sql"));
$node->safe_psql('postgres', q{SELECT soak_step('place') FROM generate_series(1, 30)});

# 1. our fuzzer
my $dir = PostgreSQL::Test::Utils::tempdir();
my %scripts = (fuzz => ["SELECT fuzz_step();\n", 60], place => ["SELECT soak_step('place');\n", 8],
    pay => ["SELECT soak_step('pay');\n", 4], ship => ["SELECT soak_step('ship');\n", 4],
    deliver => ["SELECT soak_step('deliver');\n", 2], ret => ["SELECT soak_step('return');\n", 1],
    check => ["SELECT fuzz_check();\n", 1]);
my @cmd = ('pgbench', '--no-vacuum', '--client=4', '--jobs=2', "--time=$seconds", '--max-tries=20',
    $node->connstr('postgres'));
for my $s (sort keys %scripts)
{
    PostgreSQL::Test::Utils::append_to_file("$dir/$s.sql", $scripts{$s}[0]);
    push @cmd, '-f', "$dir/$s.sql\@$scripts{$s}[1]";
}
my ($out, $err) = run_command(\@cmd);
my ($tx) = $out =~ /number of transactions actually processed: (\d+)/;
my ($aborted) = $err =~ /(client \d+ aborted.*)/;
ok(defined $tx && !$aborted, 'API fuzzer: every pgbench client ran to the end') or diag("$out\n$err");

my ($calls, $ok) = split /\|/, $node->safe_psql('postgres',
    q{SELECT count(*), count(*) FILTER (WHERE sqlstate = 'ok') FROM fuzz_log});
my $states = $node->safe_psql('postgres',
    q{SELECT string_agg(sqlstate || ' ' || n, ', ' ORDER BY sqlstate) FROM (SELECT sqlstate, count(*) n FROM fuzz_log GROUP BY 1) x});
my $fns = $node->safe_psql('postgres', 'SELECT count(DISTINCT fn) FROM fuzz_log');
note("API fuzzer: $calls calls of $fns functions ($ok succeeded); SQLSTATEs: $states");
is($node->safe_psql('postgres', q{
    SELECT string_agg(DISTINCT sqlstate || ' ' || fn || ': ' || message || ' | ' || sql, E'\n')
    FROM fuzz_log WHERE sqlstate !~ '^(ok|OM0|22)'}), '', 'API fuzzer: no error outside OMxxx and 22xxx (no XX000)');
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT invariant, '; ') FROM fuzz_violation}), '',
    'API fuzzer: every invariant held at every check while it ran');

# 2. sqlsmith, as a role with every oms role (oms_admin, oms_app,
#    oms_reader: it reaches every table, view and function of oms, the
#    guards of direct writes included) but not a superuser, whose core
#    functions raise XX000 by design (pg_stop_making_pinned_objects() says
#    "cannot advance OID counter anymore"); each statement at most 2 s
$node->safe_psql('postgres', q{
    CREATE ROLE smith LOGIN IN ROLE oms_admin, oms_app, oms_reader;
    GRANT ALL ON SCHEMA public TO smith;
    ALTER ROLE smith SET statement_timeout = '2s';
});
my ($sout, $serr) = run_command(['sqlsmith', '--verbose', '--exclude-catalog', "--max-queries=$queries",
    '--seed=' . ($ENV{OMS_SQLSMITH_SEED} // 15), '--target=' . $node->connstr('postgres') . ' user=smith']);
my ($rate) = "$sout\n$serr" =~ /error rate: ([0-9.]+)/;
ok(defined $rate, "sqlsmith ran $queries queries") or diag("$sout\n$serr");
my @top = grep { /^\d+\tERROR/ } split /\n/, "$sout\n$serr";
note(sprintf('sqlsmith: %d queries, error rate %s (errors are expected: random SQL is mostly wrong)', $queries, $rate // '?'));
my @oms = grep { /oms|OM0/ } @top;
note("sqlsmith errors naming oms: " . scalar(@oms));
note("  $_") for @oms[0 .. ($#oms < 9 ? $#oms : 9)];

# the server is up and never crashed
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up');
my $log = slurp_file($node->logfile);
my $crashes = () = $log =~ /terminated by signal|was terminated by exception|server process .* exited with exit code [^0]/g;
# an internal error with its statement: the log holds "XX000 ERROR: ...",
# "XX000 LOCATION: function, file.c:line" (log_error_verbosity = verbose)
# and "XX000 STATEMENT: ..." (continued on lines without a prefix)
my %our_files = map { (m{([^/]+\.c)$})[0] => 1 } glob("$root/src/*.c $root/src/*/*.c");
my @entries = split /\n(?=[0-9A-Z]{5} )/, $log;
my (@ours, @core);
for my $i (0 .. $#entries)
{
    next unless $entries[$i] =~ /^XX000 ERROR:\s+(.*)/;
    my $msg = $1;
    my ($where, $stmt) = ('', '');
    for my $j ($i + 1 .. ($i + 3 < $#entries ? $i + 3 : $#entries))
    {
        $where = $1 if $entries[$j] =~ /^XX000 LOCATION:\s+\S+, ([^:\s]+):\d+/;
        $stmt = $1 if $entries[$j] =~ /^XX000 STATEMENT:\s+(.*)/s;
    }
    # oms is at fault when the error was raised in one of its source files;
    # PostgreSQL raises XX000 of its own on random SQL, in statements that
    # name oms's tables too (jsonb_to_tsvector on a jsonb column:
    # "unexpected end of flag array"; nested casts of NULL to unknown:
    # "failed to find conversion function from unknown to text")
    if ($our_files{$where} || ($where eq '' && $stmt =~ /\boms\./))
    {
        push @ours, "$msg ($where) | $stmt";
    }
    else { push @core, "$msg ($where)"; }
}
note(sprintf('server log: %d crashes, %d internal errors (XX000) raised by oms, '
      . '%d of PostgreSQL itself', $crashes, scalar @ours, scalar @core));
note("  core: $_") for @core;
diag("  oms: $_") for @ours;
is($crashes, 0, 'no backend crashed');
is(scalar @ours, 0, 'no internal error (XX000) raised by oms');
is($node->safe_psql('postgres',
        q{SELECT string_agg(invariant || ': ' || violations, '; ') FROM oms_invariants() WHERE violations <> 0}),
    '', 'every invariant holds after both fuzzers');

$node->stop;
done_testing();
