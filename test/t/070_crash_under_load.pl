# Crash under load (issue 15, item 1).  Concurrent clients place, pay, ship,
# cancel, hold and receive; each records every call whose commit it saw.  At
# a random moment the postmaster and every process of the cluster get
# SIGKILL at once (as on power loss; fsync is on).  After the restart:
#   - every acknowledged order is there, with exactly its planned lines and
#     units, and every acknowledged payment, shipment, cancellation, cart
#     hold and receipt is there too;
#   - an order whose commit was not acknowledged (at most one per client:
#     the call in flight) is either absent or whole;
#   - every invariant of test/reliability/invariants.sql holds (the check
#     functions of oms return nothing, and the rest recomputed from the
#     tables).
# One more cycle kills the server while a pg_cron job (reservation expiry and
# a reorder run, in one transaction) is running: none of it survives.
#
# OMS_CRASH_CYCLES (default 10) sets the number of cycles, OMS_CRASH_CRON=0
# skips the pg_cron cycle; test/reliability/crash.sh runs 100 cycles.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(sleep time);

my $cycles = $ENV{OMS_CRASH_CYCLES} // 10;
my $with_cron = $ENV{OMS_CRASH_CRON} // 1;
my $clients = 4;
my $seed = $ENV{OMS_CRASH_SEED} // time();
srand($seed);
note("seed $seed (OMS_CRASH_SEED=$seed repeats this run)");

my $root = $ENV{OMS_ROOT} or die 'OMS_ROOT is not set';
my $node = PostgreSQL::Test::Cluster->new('crash_load');
$node->init;
$node->append_conf('postgresql.conf', q{
fsync = on
synchronous_commit = on
shared_preload_libraries = 'pg_cron,oms'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
max_connections = 40
log_min_messages = fatal
});
$node->start;

my @skus = qw(HOT WARM A B C BACK);
$node->safe_psql('postgres', q{
    CREATE EXTENSION pg_cron;
    CREATE EXTENSION oms;
    INSERT INTO oms.location (code, name, priority) VALUES ('EAST', 'East', 10), ('WEST', 'West', 20);
    INSERT INTO oms.item (sku, name, backorder_policy) VALUES
        ('HOT', 'Hot', 'deny'), ('WARM', 'Warm', 'deny'), ('A', 'A', 'deny'),
        ('B', 'B', 'deny'), ('C', 'C', 'deny'), ('BACK', 'Backorderable', 'allow');
    INSERT INTO oms.channel (code, name) VALUES ('web', 'Web');
    INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
    INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days, business_days)
    SELECT carrier_id, 'ground', 3, true FROM oms.carrier;
    INSERT INTO oms.supplier (code, name) VALUES ('ACME', 'Acme');
    SELECT oms.receive_stock(i.sku, l.code, 150) FROM oms.item i, oms.location l;
    SELECT oms.set_reorder_rule(i.sku, 'EAST', 'ACME', 100000, 200000) FROM oms.item i;
});
$node->safe_psql('postgres', slurp_file("$root/test/reliability/invariants.sql"));

# ---------------------------------------------------------------------------
# The clients: each is a psql reading a generated script.  In autocommit a
# statement's result reaches psql only after its commit, so an "ACK|..." row
# in a client's output is a commit the client saw.
# ---------------------------------------------------------------------------
my %plan;    # ref => { lines => n, units => u }

sub pick_sku
{
    my $r = rand();
    return 'HOT' if $r < 0.4;
    return 'WARM' if $r < 0.6;
    return $skus[ 2 + int(rand(4)) ];
}

sub client_script
{
    my ($cycle, $c) = @_;
    my $s = "\\set VERBOSITY verbose\n\\set SHOW_CONTEXT never\n";
    for my $n (1 .. 600)
    {
        my $ref = "k$cycle-c$c-$n";
        my $nl = 1 + int(rand(3));
        my ($units, @lines, %seen) = (0);
        for my $i (1 .. $nl)
        {
            my $sku = pick_sku();
            redo if $seen{$sku}++;
            my $q = 1 + int(rand(3));
            $units += $q;
            push @lines, sprintf('{"sku": "%s", "qty": %d, "unit_price": "%d.50"}', $sku, $q, 5 + $i);
        }
        $plan{$ref} = { lines => $nl, units => $units };
        my $o = "FROM oms.sales_order o WHERE o.channel_order_ref = '$ref'";
        $s .= "SELECT 'ACK|place|$ref|' || oms.place_order('c$c\@example.com', 'web', '["
          . join(', ', @lines) . "]', '{\"channel_order_ref\": \"$ref\", \"confirm\": true}');\n";
        my $r = rand();
        if ($r < 0.15)
        {
            $s .= "SELECT 'ACK|cancel|$ref|' || oms.cancel_order(o.order_id) $o;\n";
        }
        elsif ($r < 0.75)
        {
            $s .= "SELECT 'ACK|auth|$ref|' || oms.record_payment(o.order_id, 'authorization', o.total) $o;\n";
            $s .= "SELECT 'ACK|capture|$ref|' || oms.record_payment(o.order_id, 'capture', o.total) $o;\n";
            if (rand() < 0.7)
            {
                $s .= "SELECT 'ACK|ship|$ref|' || count(oms.ship(s, 'UPS', 'T-' || s)) FROM oms.sales_order o, oms.create_shipments(o.order_id) s WHERE o.channel_order_ref = '$ref';\n";
            }
            elsif (rand() < 0.5)
            {
                $s .= "SELECT 'ACK|cancel|$ref|' || oms.cancel_order(o.order_id) $o;\n";
            }
        }
        if (rand() < 0.1)
        {
            $s .= sprintf("SELECT 'ACK|hold|H-$ref|' || oms.hold_stock('H-$ref', '[{\"sku\": \"%s\", \"qty\": 1}]', '2 seconds');\n",
                pick_sku());
        }
        if (rand() < 0.08)
        {
            $s .= sprintf("SELECT 'ACK|receive|$ref|' || oms.receive_stock('%s', '%s', 40, 'restock $ref');\n",
                pick_sku(), rand() < 0.5 ? 'EAST' : 'WEST');
        }
    }
    return $s;
}

my $tmp = PostgreSQL::Test::Utils::tempdir();

sub start_clients
{
    my ($cycle) = @_;
    my @h;
    for my $c (1 .. $clients)
    {
        my $f = "$tmp/c$cycle-$c";
        open my $fh, '>', "$f.sql" or die $!;
        print $fh client_script($cycle, $c);
        close $fh;
        push @h, IPC::Run::start(
            [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=0', '-d', $node->connstr('postgres'), '-f', "$f.sql" ],
            '>', "$f.out", '2>', "$f.err");
    }
    return @h;
}

# SIGKILL the postmaster and all its children in one go.
sub crash
{
    my $pm = $node->{_pid};
    my @kids;
    opendir(my $d, '/proc') or die $!;
    for my $p (grep { /^\d+$/ } readdir $d)
    {
        open my $st, '<', "/proc/$p/stat" or next;
        my $line = <$st>;
        close $st;
        push @kids, $p if defined $line && $line =~ /^\d+ \(.*\) \S (\d+) / && $1 == $pm;
    }
    closedir $d;
    kill 'KILL', $pm, @kids;
    $node->{_pid} = undef;
    for my $p ($pm, @kids)
    {
        sleep(0.01) while kill 0, $p;
    }
    return scalar @kids;
}

my %samples;    # SQLSTATE => the first message seen

# Read what the clients saw: acknowledgements and errors by SQLSTATE.
sub collect
{
    my ($cycle, $acks, $errors) = @_;
    for my $c (1 .. $clients)
    {
        my $f = "$tmp/c$cycle-$c";
        open my $o, '<', "$f.out" or die $!;
        while (<$o>)
        {
            chomp;
            next unless /^ACK\|(\w+)\|([^|]+)\|(.*)$/;
            push @{ $acks->{$1} }, [ $2, $3 ];
        }
        close $o;
        open my $e, '<', "$f.err" or die $!;
        while (<$e>)
        {
            next unless /ERROR:\s+([0-9A-Z]{5}):\s*(.*)/;
            $errors->{$1}++;
            $samples{$1} //= $2;
        }
        close $e;
    }
}

my ($survived, $lost, $half, $unacked, $total_acked, $invariant_checks) = (0, 0, 0, 0, 0, 0);
my %errors;

# Everything acknowledged is there; nothing is half there; every invariant holds.
sub verify
{
    my ($cycle, $acks) = @_;
    my $ok = 1;
    my %db;
    for my $row (split /\n/, $node->safe_psql('postgres', qq{
        SELECT o.channel_order_ref, o.status, count(l.line_id), sum(l.qty_ordered),
               (SELECT count(*) FROM oms.payment p WHERE p.order_id = o.order_id AND p.kind = 'authorization'),
               (SELECT count(*) FROM oms.payment p WHERE p.order_id = o.order_id AND p.kind = 'capture'),
               (SELECT count(*) FROM oms.shipment s WHERE s.order_id = o.order_id AND s.status = 'shipped')
        FROM oms.sales_order o JOIN oms.order_line l USING (order_id)
        WHERE o.channel_order_ref LIKE 'k$cycle-%' GROUP BY o.order_id}))
    {
        my ($ref, $status, $nl, $units, $auth, $cap, $ship) = split /\|/, $row;
        $db{$ref} = { status => $status, auth => $auth, capture => $cap, ship => $ship };
        if ($nl != $plan{$ref}{lines} || $units != $plan{$ref}{units})
        {
            diag("order $ref is half there: $nl lines, $units units; planned $plan{$ref}{lines}, $plan{$ref}{units}");
            $half++;
            $ok = 0;
        }
    }
    my %placed = map { $_->[0] => 1 } @{ $acks->{place} // [] };
    $total_acked += keys %placed;
    for my $ref (keys %placed)
    {
        next if $db{$ref};
        diag("acknowledged order $ref is lost");
        $lost++;
        $ok = 0;
    }
    my $extra = grep { !$placed{$_} } keys %db;
    $unacked += $extra;
    if ($extra > $clients)
    {
        diag("$extra orders committed without an acknowledgement: more than one per client");
        $ok = 0;
    }
    my %need = (auth => 'auth', capture => 'capture');
    for my $kind (qw(auth capture))
    {
        for my $a (@{ $acks->{$kind} // [] })
        {
            next if ($db{ $a->[0] }{$kind} // 0) >= 1;
            diag("acknowledged $kind of $a->[0] is lost");
            $lost++;
            $ok = 0;
        }
    }
    for my $a (@{ $acks->{ship} // [] })
    {
        next if ($db{ $a->[0] }{ship} // 0) >= $a->[1];
        diag("acknowledged shipments ($a->[1]) of $a->[0] are lost");
        $lost++;
        $ok = 0;
    }
    for my $a (@{ $acks->{cancel} // [] })
    {
        next if ($db{ $a->[0] }{status} // '') eq 'cancelled';
        diag("acknowledged cancellation of $a->[0] is lost");
        $lost++;
        $ok = 0;
    }
    if (my @holds = map { $_->[0] } @{ $acks->{hold} // [] })
    {
        my $found = $node->safe_psql('postgres',
            "SELECT count(*) FROM oms.cart_hold WHERE hold_ref IN ('" . join("', '", @holds) . "')");
        if ($found != @holds)
        {
            diag('acknowledged cart holds lost: ' . (@holds - $found));
            $lost += @holds - $found;
            $ok = 0;
        }
    }
    if (my @moves = map { $_->[1] } @{ $acks->{receive} // [] })
    {
        my $found = $node->safe_psql('postgres',
            'SELECT count(*) FROM oms.inventory_movement WHERE movement_id IN (' . join(', ', @moves) . ')');
        if ($found != @moves)
        {
            diag('acknowledged receipts lost: ' . (@moves - $found));
            $lost += @moves - $found;
            $ok = 0;
        }
    }
    my $bad = $node->safe_psql('postgres',
        q{SELECT string_agg(invariant || ': ' || violations, '; ') FROM oms_invariants() WHERE violations <> 0});
    $invariant_checks += $node->safe_psql('postgres', 'SELECT count(*) FROM oms_invariants()');
    if ($bad ne '')
    {
        diag("invariants broken: $bad");
        diag($node->safe_psql('postgres', q{SELECT * FROM oms.check_inventory()}));
        $ok = 0;
    }
    return $ok;
}

# The job runs every minute, from now on: a regular cycle may kill it too,
# and the pg_cron cycle below waits for it to be running.
$node->safe_psql('postgres', q{
    SELECT cron.schedule('crash-job', '* * * * *',
        'SELECT oms.expire_reservations(), (SELECT count(*) FROM oms.run_reorder()), pg_sleep(30)')}) if $with_cron;

my $job_running = q{
    SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%run_reorder()), pg_sleep(30)%'
      AND backend_type <> 'client backend'};

# One cycle: clients run, the server is killed, restarted and verified.
# With $cron, the kill comes while the pg_cron job is running (the caller
# waited for it), and none of the job's work may survive.
sub cycle
{
    my ($cycle, $cron) = @_;
    my @h = start_clients($cycle);
    my ($po_before, $wait);
    if ($cron)
    {
        $po_before = $node->safe_psql('postgres',
            q{SELECT count(*) || '/' || (SELECT count(*) FROM oms.purchase_order_line) FROM oms.purchase_order});
        $wait = 0.5 + rand(1.0);
    }
    else
    {
        $wait = 0.5 + rand(2.0);
    }
    sleep($wait);
    my $killed = crash();
    $_->finish for @h;    # each psql exits when its connection is lost
    $node->start;
    my (%acks, %err);
    collect($cycle, \%acks, \%err);
    $errors{$_} += $err{$_} for keys %err;
    my $ok = verify($cycle, \%acks);
    if ($cron)
    {
        is($node->safe_psql('postgres',
                q{SELECT count(*) || '/' || (SELECT count(*) FROM oms.purchase_order_line) FROM oms.purchase_order}),
            $po_before, 'pg_cron cycle: nothing of the killed reorder run survives');
    }
    $survived++ if $ok;
    ok($ok, sprintf('cycle %d%s: killed after %.1f s (%d processes), %d orders acknowledged, all there and whole',
            $cycle, $cron ? ' (during the pg_cron job)' : '', $wait, $killed + 1, scalar @{ $acks{place} // [] }));
}

my $t0 = time();
my $cron_done = !$with_cron;
my $n = 0;
for my $i (1 .. $cycles)
{
    # the job starts at the top of a minute: when it is running, the next
    # cycle kills it
    if (!$cron_done && $node->safe_psql('postgres', $job_running) eq 't')
    {
        cycle(++$n, 1);
        $cron_done = 1;
    }
    cycle(++$n, 0);
}
if (!$cron_done)
{
    ok($node->poll_query_until('postgres', $job_running), 'the pg_cron job started');
    cycle(++$n, 1);
}
$cycles = $n;
$node->safe_psql('postgres', q{SELECT cron.unschedule('crash-job')}) if $with_cron;

# the engine works after the last recovery
like($node->safe_psql('postgres', q{SELECT oms.place_order('after@example.com', 'web', '[{"sku": "BACK", "qty": 1}]')}),
    qr/^\d+$/, 'place_order works after the last recovery');

my $errs = join(', ', map { "$_ $errors{$_}" } sort keys %errors) || 'none';
note("first $_: $samples{$_}") for sort keys %samples;
note(sprintf('crash under load: %d of %d cycles survived, %d orders acknowledged, %d acknowledged commits lost, '
      . '%d orders half there, %d committed without an acknowledgement (whole), %d invariant checks, '
      . 'client errors by SQLSTATE: %s; %.0f s',
    $survived, $cycles, $total_acked, $lost, $half, $unacked, $invariant_checks, $errs, time() - $t0));
is($lost, 0, 'no acknowledged commit was lost');
is($half, 0, 'no order is half there');

$node->stop;
done_testing();
