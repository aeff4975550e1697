# Scale-out (issue 17): a router (oms_router, PL/Proxy), two oms nodes and a
# hot standby of the first, four clusters talking over loopback TCP.
#
#   1. Orders for four merchants go through the router, each to its own
#      database on its node; where each landed is checked on the nodes.
#   2. Read-only calls go to the standby; platform KPIs fan out to every
#      merchant database and add up; one transaction cannot write for two
#      merchants.
#   3. Merchant m1 moves from node1 to node2 (router/move_merchant.sh:
#      logical replication, then a short write freeze at the switch) while
#      clients keep placing orders for m1, m2 and m3 through the router.
#      Every acknowledged order is on the target, none twice; the calls
#      refused during the freeze (40001) left nothing; the sequences go on;
#      every invariant (test/reliability/invariants.sql) holds in every
#      merchant database of every node.
#
# Prints the figures: orders per merchant and node, orders placed during
# the move, refused, lost (0), duplicated (0), the switch's timings and the
# invariant checks.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time usleep);

my $root = $ENV{OMS_ROOT} or die 'OMS_ROOT is not set (run through scripts/test.sh)';
my $started = time;

# A node that listens on 127.0.0.1 (its own port) and trusts loopback.
sub loopback_node
{
	my ($name, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', qq{
listen_addresses = '127.0.0.1'
max_connections = 80
max_worker_processes = 24
max_logical_replication_workers = 6
max_sync_workers_per_subscription = 4
log_min_messages = warning
});
	$node->append_conf('postgresql.conf', "max_replication_slots = 10\nmax_wal_senders = 10\n")
	  if $init{allows_streaming};
	$node->append_conf('pg_hba.conf',
		"host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n");
	return $node;
}

my $node1 = loopback_node('node1', allows_streaming => 'logical');
my $node2 = loopback_node('node2', allows_streaming => 'logical');
my $router = loopback_node('router');
$_->start for ($node1, $node2, $router);

$node1->backup('b1');
my $standby1 = PostgreSQL::Test::Cluster->new('standby1');
$standby1->init_from_backup($node1, 'b1', has_streaming => 1);
$standby1->start;

sub tcp { my ($n) = @_; return 'host=127.0.0.1 port=' . $n->port; }

# One database per merchant; the login roles exist on every cluster.
my %home = (m1 => $node1, m2 => $node1, m3 => $node2, m4 => $node2);
for my $node ($node1, $node2, $router)
{
	$node->safe_psql('postgres', q{CREATE ROLE shop LOGIN; CREATE ROLE bi LOGIN;});
}
for my $m (sort keys %home)
{
	my $node = $home{$m};
	$node->safe_psql('postgres', "CREATE DATABASE $m");
	$node->safe_psql($m, qq{
CREATE EXTENSION oms;
GRANT oms_app TO shop;
GRANT oms_reader TO bi;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('MUG', 'Mug'), ('CUP', 'Cup');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
SELECT oms.receive_stock('MUG', 'EAST', 1000000);
SELECT oms.receive_stock('CUP', 'EAST', 1000000);
});
	$node->safe_psql($m, slurp_file("$root/test/reliability/invariants.sql"));
}
$router->safe_psql('postgres', 'CREATE DATABASE router');
$router->safe_psql('router', sprintf(q{
CREATE EXTENSION oms_router CASCADE;
GRANT oms_app TO shop;
GRANT oms_reader TO bi;
INSERT INTO oms_router.node (node, connstr, standby_connstr)
VALUES ('node1', '%s', '%s'), ('node2', '%s', NULL);
INSERT INTO oms_router.merchant (merchant, node, dbname)
VALUES ('m1', 'node1', 'm1'), ('m2', 'node1', 'm2'), ('m3', 'node2', 'm3'), ('m4', 'node2', 'm4');
}, tcp($node1), tcp($standby1), tcp($node2)));

sub as_shop
{
	my ($sql, %opt) = @_;
	return $router->psql('router', $sql, extra_params => [ '-U', $opt{user} // 'shop' ], %opt);
}
sub shop_ok
{
	my ($sql, $user) = @_;
	my ($rc, $out, $err) = as_shop($sql, user => $user);
	die "router call failed: $err\n$sql" if $rc;
	return $out;
}

# ---------------------------------------------------------------------------
# 1. Orders through the router land on their merchant's node
# ---------------------------------------------------------------------------
my %placed = (m1 => 30, m2 => 20, m3 => 25, m4 => 15);
for my $m (sort keys %placed)
{
	# one merchant per transaction: one statement per order
	my $sql = join '', map {
		qq{SELECT oms_router.place_order('$m', 'pre$_\@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}, {"sku": "CUP", "qty": 2, "unit_price": 3}]', '{"channel_order_ref": "$m-pre-$_"}');\n}
	} 1 .. $placed{$m};
	shop_ok($sql);
}
for my $m (sort keys %placed)
{
	is($home{$m}->safe_psql($m, 'SELECT count(*) FROM oms.sales_order'),
		$placed{$m}, "$m: its $placed{$m} orders are in its database on " . $home{$m}->name);
	my $other = $home{$m} == $node1 ? $node2 : $node1;
	is($other->safe_psql('postgres', "SELECT count(*) FROM pg_database WHERE datname = '$m'"),
		0, "$m: no database on " . $other->name);
}
is(shop_ok(q{SELECT dbname || ' ' || (port = } . $node1->port . q{) || ' ' || in_recovery FROM oms_router.route('m1')}),
	'm1 true false', 'route: m1 writes go to node1');
is(shop_ok(q{SELECT dbname || ' ' || (port = } . $node2->port . q{) FROM oms_router.route('m4')}),
	'm4 true', 'route: m4 writes go to node2');

# ---------------------------------------------------------------------------
# 2. Reads on the standby, platform KPIs, one merchant per transaction
# ---------------------------------------------------------------------------
$node1->wait_for_catchup($standby1);
is(shop_ok(q{SELECT (port = } . $standby1->port . q{) || ' ' || in_recovery FROM oms_router.route_ro('m2')}, 'bi'),
	'true true', 'route_ro: m2 reads go to the standby of node1');
is(shop_ok(q{SELECT (port = } . $node2->port . q{) || ' ' || in_recovery FROM oms_router.route_ro('m3')}, 'bi'),
	'true false', 'route_ro: m3 reads go to node2 (no standby)');
is(shop_ok(q{SET oms_router.reads = 'primary'; SELECT in_recovery FROM oms_router.route_ro('m2')}, 'bi'),
	'f', 'oms_router.reads = primary: m2 reads go to node1');
is(shop_ok(q{SELECT count(*) FROM oms_router.check_inventory('m1')}, 'bi'), 0,
	'check_inventory of m1 answers on the standby, empty');
is(shop_ok(q{SELECT refundable_balance IS NOT NULL FROM oms_router.refundable_balance('m2', 1)}, 'bi'), 't',
	'refundable_balance of m2 answers on the standby');
my ($rc, $out, $err) = as_shop(q{SELECT oms_router.place_order('m2', 'x@example.com', 'web', '[]')}, user => 'bi');
like($err, qr/permission denied/, 'oms_reader cannot place an order through the router');

my $kpi = shop_ok(q{SELECT merchants || ' ' || orders || ' ' || revenue FROM oms_router.platform_sales_daily()}, 'bi');
my $total_pre = 0;
$total_pre += $_ for values %placed;
is($kpi, "4 $total_pre " . sprintf('%.2f', $total_pre * 14), "platform KPI: 4 merchants, $total_pre orders, revenue");
my $by_merchant = shop_ok(q{SELECT string_agg(merchant || '@' || node || '=' || orders, ' ' ORDER BY merchant) FROM oms_router.sales_by_merchant()}, 'bi');
is($by_merchant, 'm1@node1=30 m2@node1=20 m3@node2=25 m4@node2=15', 'KPI per merchant fans out to both nodes');
is(shop_ok(q{SELECT string_agg(merchant || ':' || order_number, ' ') FROM oms_router.find_orders('m3-pre-7')}, 'bi'),
	'm3:SO-000007', 'find_orders: a channel reference across all merchants');

($rc, $out, $err) = as_shop(q{
BEGIN;
SELECT oms_router.place_order('m2', 'two@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]', '{"channel_order_ref": "two-merchants"}');
SELECT oms_router.place_order('m3', 'two@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]', '{"channel_order_ref": "two-merchants"}');
COMMIT;}, on_error_stop => 1);
like($err, qr/already wrote for merchant "m2", not "m3"/, 'a transaction cannot write for two merchants (0A000)');
is($node1->safe_psql('m2', q{SELECT count(*) FROM oms.sales_order WHERE channel_order_ref = 'two-merchants'}), 1,
	'... and the first call committed on its node anyway: each routed call commits on its own');
is($node2->safe_psql('m3', q{SELECT count(*) FROM oms.sales_order WHERE channel_order_ref = 'two-merchants'}), 0,
	'... the refused one wrote nothing');
$placed{m2}++;

# ---------------------------------------------------------------------------
# 3. Move m1 to node2 while clients keep placing orders
# ---------------------------------------------------------------------------
my $dir = PostgreSQL::Test::Utils::tempdir;
my $stop = "$dir/stop";
my %clients = (c1 => 'm1', c2 => 'm1', c3 => 'm2', c4 => 'm3');
my %run;
# A generator prints one place_order per line until the stop file appears;
# psql runs what it was fed and ends.  Each result line is an acknowledged
# commit; -b echoes a failed statement (its reference) to stderr.
my $client_sh = "$dir/client.sh";
open my $cs, '>', $client_sh or die;
print $cs <<'SH';
c=$1 m=$2 stop=$3 i=0
while [ ! -e "$stop" ]; do
    i=$((i + 1))
    printf "SELECT '%s-%s', oms_router.place_order('%s', '%s-%s@example.com', 'web', '[{\"sku\": \"MUG\", \"qty\": 1, \"unit_price\": 8}]', '{\"channel_order_ref\": \"%s-%s\"}');\n" \
        "$c" "$i" "$m" "$c" "$i" "$c" "$i"
done
SH
close $cs;
for my $c (sort keys %clients)
{
	my ($o, $e) = ('', '');
	my $cmd = "bash '$client_sh' $c $clients{$c} '$stop' | psql -X -At -F ' ' -v VERBOSITY=sqlstate -b -h 127.0.0.1 -p "
	  . $router->port . ' -U shop -d router';
	$run{$c} = { out => \$o, err => \$e,
		h => IPC::Run::start([ 'bash', '-c', $cmd ], '>', \$o, '2>', \$e) };
}
usleep(1_000_000);

my $move_started = time;
my ($move_out, $move_err) = ('', '');
my $moved = IPC::Run::run(
	[ 'bash', "$root/router/move_merchant.sh", 'host=127.0.0.1 port=' . $router->port . ' dbname=router', 'm1', 'node2' ],
	'>', \$move_out, '2>', \$move_err);
my $move_seconds = time - $move_started;
note $move_out;
ok($moved, 'move_merchant.sh moved m1 to node2') or diag $move_err;
usleep(1_500_000);    # the clients go on against the new node
open my $fh, '>', $stop or die;
close $fh;
$_->{h}->finish for values %run;

my (%acked, %refused, %other_errors);
for my $c (sort keys %clients)
{
	my @ok = grep { /^$c-\d+ \d+$/ } split /\n/, ${ $run{$c}{out} };
	$acked{$c} = { map { (split / /)[0] => 1 } @ok };
	my $e = ${ $run{$c}{err} };
	my @codes = $e =~ /^ERROR:\s+(\w{5})\s*$/mg;
	$refused{$c} = scalar grep { $_ eq '40001' } @codes;
	$other_errors{$c} = scalar grep { $_ ne '40001' } @codes;
	$run{$c}{refused_refs} = [ $e =~ /channel_order_ref": "($c-\d+)"/g ];
}

# every acknowledged order is on the target, once; refused calls left nothing
my $m1_refs = $node2->safe_psql('m1', q{SELECT string_agg(channel_order_ref, ' ') FROM oms.sales_order});
my %on_target;
$on_target{$_}++ for split / /, $m1_refs;
my ($lost, $dup, $phantom, $acked_m1) = (0, 0, 0, 0);
for my $c (qw(c1 c2))
{
	for my $ref (keys %{ $acked{$c} })
	{
		$acked_m1++;
		$lost++ unless $on_target{$ref};
	}
	for my $ref (@{ $run{$c}{refused_refs} })
	{
		$phantom++ if $on_target{$ref};
	}
}
$dup += ($_ > 1 ? $_ - 1 : 0) for values %on_target;
my $target_orders = $node2->safe_psql('m1', 'SELECT count(*) FROM oms.sales_order');
my $switched_at = $router->safe_psql('router', q{SELECT placed_at FROM oms_router.merchant WHERE merchant = 'm1'});
my $after_switch = $node2->safe_psql('m1', qq{SELECT count(*) FROM oms.sales_order WHERE placed_at >= '$switched_at'});

is($lost, 0, "m1: all $acked_m1 orders acknowledged during the move are on node2");
is($dup, 0, 'm1: no order twice');
is($phantom, 0, 'm1: no refused call left an order');
is($target_orders, $placed{m1} + $acked_m1, 'm1 on node2: the orders before the move + those acknowledged, exactly');
ok($after_switch > 0, "m1: $after_switch orders placed on node2 after the switch");
is($other_errors{$_}, 0, "$_: no error but 40001") for sort keys %clients;
is($refused{c3} + $refused{c4}, 0, 'm2 and m3 were never refused while m1 moved');
for my $c (qw(c3 c4))
{
	my $m = $clients{$c};
	is($home{$m}->safe_psql($m, "SELECT count(*) FROM oms.sales_order WHERE channel_order_ref LIKE '$c-%'"),
		scalar(keys %{ $acked{$c} }), "$m: every acknowledged order of $c is on " . $home{$m}->name);
}
is(shop_ok(q{SELECT (port = } . $node2->port . q{) || ' ' || in_recovery FROM oms_router.route('m1')}),
	'true false', 'route: m1 writes now go to node2');
is(shop_ok(q{SELECT (port = } . $node2->port . q{) FROM oms_router.route_ro('m1')}, 'bi'),
	't', 'route_ro: m1 reads now go to node2 (no standby there)');
is($node1->safe_psql('postgres', q{SELECT datallowconn FROM pg_database WHERE datname = 'm1'}), 'f',
	'the old m1 on node1 is closed to connections');
is($node1->safe_psql('postgres', q{SELECT count(*) FROM pg_replication_slots}), 0, 'no slot left on node1');
is($node2->safe_psql('m1', q{SELECT count(*) FROM pg_subscription}), 0, 'no subscription left on node2');
like($move_out, qr/"freeze_ms"/, 'the switch printed its timings');

# one more order through the router: the sequences went on
my $next = shop_ok(q{SELECT oms_router.place_order('m1', 'after@example.com', 'web', '[{"sku": "CUP", "qty": 1, "unit_price": 3}]')});
is($node2->safe_psql('m1', "SELECT order_id = (SELECT max(order_id) FROM oms.sales_order) FROM oms.sales_order WHERE order_id = $next"),
	't', 'a new m1 order takes the next number on node2');

# every invariant in every merchant database of every node (the moved
# database gets the checking function, which is not part of oms)
$node2->safe_psql('m1', slurp_file("$root/test/reliability/invariants.sql"));
my %where = (m1 => $node2, m2 => $node1, m3 => $node2, m4 => $node2);
my ($checks, $broken) = (0, '');
for my $m (sort keys %where)
{
	$checks += $where{$m}->safe_psql($m, 'SELECT count(*) FROM oms_invariants()');
	my $b = $where{$m}->safe_psql($m, q{SELECT string_agg(invariant || ': ' || violations, '; ') FROM oms_invariants() WHERE violations <> 0});
	$broken .= "$m: $b " if $b ne '';
	for my $check (qw(check_inventory check_reservations check_payments check_incoming))
	{
		$checks++;
		my $n = $where{$m}->safe_psql($m, "SELECT count(*) FROM oms.$check()");
		$broken .= "$m: $check $n " if $n ne '0';
	}
}
is($broken, '', "every invariant holds in every merchant database ($checks checks)");

# the platform KPI after the move adds up to what the nodes hold
my %count;
for my $m (sort keys %where) { $count{$m} = $where{$m}->safe_psql($m, 'SELECT count(*) FROM oms.sales_order'); }
my $sum = 0;
$sum += $_ for values %count;
is(shop_ok(q{SET oms_router.reads = 'primary'; SELECT sum(orders) FROM oms_router.sales_by_merchant()}, 'bi'), $sum,
	"platform KPI after the move: $sum orders, as the nodes hold");

# the figures
my ($switch) = $move_out =~ /switched: (\{.*\})/;
diag sprintf("orders per merchant and node after the move: %s",
	join(', ', map { "$_ " . $count{$_} . ' on ' . $where{$_}->name } sort keys %count));
diag sprintf("orders placed during the move: %s (m1 %d, of which %d on node2 after the switch); refused with 40001: %s; lost: %d; duplicated: %d; refused but written: %d",
	join(', ', map { "$_(" . $clients{$_} . ') ' . scalar(keys %{ $acked{$_} }) } sort keys %clients),
	$acked_m1, $after_switch, join(', ', map { "$_ $refused{$_}" } sort keys %clients), $lost, $dup, $phantom);
diag sprintf("move: %.1f s in all; switch %s", $move_seconds, $switch // '?');
diag sprintf("invariant checks: %d, broken: %s; test time %.0f s", $checks, $broken eq '' ? 'none' : $broken, time - $started);

$_->stop for ($standby1, $router, $node2, $node1);
done_testing();
