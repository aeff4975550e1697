# Events outbox and LISTEN/NOTIFY: a consumer listening on channel
# oms_events is told the id of every event once its transaction commits,
# in commit order, and never about an event whose transaction (or
# subtransaction) rolled back.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('events');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION oms');

my $consumer = $node->background_psql('postgres');
$consumer->query_safe('LISTEN oms_events');
my @seen;

# Run a query in the consumer session and collect the notifications psql
# prints after it.
sub drain
{
	my $out = $consumer->query_safe('SELECT 1');
	while ($out =~ /Asynchronous notification "oms_events" with payload "([^"]*)" received/g)
	{
		push @seen, $1;
	}
}

# Wait until the consumer has been told about event $id.
sub wait_for
{
	my ($id) = @_;
	for (1 .. 300)
	{
		drain();
		return 1 if grep { $_ eq $id } @seen;
		usleep(100_000);
	}
	return 0;
}

# Not before commit: the producer holds an open transaction with an event.
my $producer = $node->background_psql('postgres');
$producer->query_safe('BEGIN');
$producer->query_safe('INSERT INTO oms.sales_order DEFAULT VALUES');
my $open_id = $producer->query_safe(
	q{SELECT event_id FROM oms.event WHERE topic = 'order.pending'});
chomp $open_id;
drain() for 1 .. 3;
ok(!grep({ $_ eq $open_id } @seen), 'no notification while the transaction is open');

# After commit: the event id arrives.
$producer->query_safe('COMMIT');
ok(wait_for($open_id), "notification with payload $open_id after commit");

# A status change and an emitted event in one transaction: both, in order.
my $ids = $node->safe_psql('postgres', q{
BEGIN;
UPDATE oms.sales_order SET status = 'confirmed';
SELECT oms.emit_event('order.paid', 'order', 1, '{"amount": "10.00"}');
SELECT string_agg(event_id::text, ',' ORDER BY event_id) FROM oms.event
WHERE topic IN ('order.confirmed', 'order.paid');
COMMIT;
});
my ($confirmed_id, $paid_id) = split /,/, (split /\n/, $ids)[-1];
ok(wait_for($paid_id), "notification for the emitted event $paid_id");
my @tail = @seen[ -2, -1 ];
is_deeply(\@tail, [ $confirmed_id, $paid_id ],
	'status event and emitted event arrive in the order they were written');

# Rolled back: nothing, neither for a status change nor for an emitted event.
my $rolled = $node->safe_psql('postgres', q{
BEGIN;
INSERT INTO oms.sales_order DEFAULT VALUES;
SELECT oms.emit_event('order.placed', 'order', 2);
SELECT string_agg(event_id::text, ',') FROM oms.event WHERE topic IN ('order.pending', 'order.placed')
  AND event_id > (SELECT min(event_id) FROM oms.event);
ROLLBACK;
});
my @rolled_ids = split /,/, (split /\n/, $rolled)[-1];
is(scalar @rolled_ids, 2, 'the rolled-back transaction wrote two events');

# A subtransaction rolled back: only what survived it.
my $sub = $node->safe_psql('postgres', q{
BEGIN;
SAVEPOINT s;
SELECT oms.emit_event('order.placed', 'order', 3);
ROLLBACK TO SAVEPOINT s;
SELECT oms.emit_event('order.placed', 'order', 4);
COMMIT;
});
my ($sub_dropped, $sub_kept) = split /\n/, $sub;

# With oms.notify_events off the event is written but not announced.
my $quiet = $node->safe_psql('postgres', q{
SET oms.notify_events = off;
SELECT oms.emit_event('order.placed', 'order', 5);
});

# A marker committed last: once it arrives, everything committed before it
# has arrived too (notifications come in commit order).
my $marker = $node->safe_psql('postgres', q{SELECT oms.emit_event('test.marker')});
ok(wait_for($marker), 'marker notification arrives');
ok(wait_for($sub_kept), "event $sub_kept kept by the subtransaction is announced");
for my $id (@rolled_ids, $sub_dropped)
{
	ok(!grep({ $_ eq $id } @seen), "no notification for rolled-back event $id");
}
ok(!grep({ $_ eq $quiet } @seen), "no notification for event $quiet with oms.notify_events off");
is($node->safe_psql('postgres', "SELECT count(*) FROM oms.event WHERE event_id = $quiet"),
	'1', 'the unannounced event is in the outbox all the same');

my %count;
$count{$_}++ for @seen;
ok(!grep({ $count{$_} > 1 } keys %count), 'each event is announced once');
is_deeply([ sort { $a <=> $b } @seen ], \@seen, 'announced in event id order');

$consumer->quit;
$producer->quit;
$node->stop;
done_testing();
