# The event notifier: with oms in shared_preload_libraries, a transaction
# that writes events issues no NOTIFY of its own (so it can even PREPARE),
# and a background worker per database wakes LISTEN oms_events consumers
# after the commit, with the newest committed event id.  Nothing for a
# rollback; the old per-transaction NOTIFY with oms.notify_events = commit;
# the notifier leaves after its idle timeout and comes back with the next
# event.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

my $node = PostgreSQL::Test::Cluster->new('notifier');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'oms'
max_prepared_transactions = 4
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION oms');

my $consumer = $node->background_psql('postgres');
$consumer->query_safe('LISTEN oms_events');
my @seen;

sub drain
{
	my $out = $consumer->query_safe('SELECT 1');
	while ($out =~ /Asynchronous notification "oms_events" with payload "([^"]*)" received/g)
	{
		push @seen, $1;
	}
}

# Wait until a notification with payload >= $id has arrived; returns the
# seconds it took, or undef.
sub wait_for_at_least
{
	my ($id) = @_;
	my $t0 = time;
	for (1 .. 2000)
	{
		drain();
		return time - $t0 if grep { $_ ne '' && $_ >= $id } @seen;
		usleep(2_000);
	}
	return undef;
}

sub notifier_running
{
	return $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'oms notifier'});
}

# The first event starts the notifier (that transaction still notifies
# itself, with its event id).
my $first = $node->safe_psql('postgres', q{SELECT oms.emit_event('test.first')});
ok(defined wait_for_at_least($first), 'the first event is announced');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'oms notifier'}),
	'a notifier runs for the database');

# Served by the notifier, a transaction with events may PREPARE: it has
# issued no NOTIFY (which PREPARE TRANSACTION refuses).
my $prepared = $node->safe_psql('postgres', q{
BEGIN;
INSERT INTO oms.sales_order DEFAULT VALUES;
SELECT max(event_id) FROM oms.event;
PREPARE TRANSACTION 'with_events';
});
like($prepared, qr/^\d+$/, 'a transaction that wrote events prepares: it sent no NOTIFY');
$node->safe_psql('postgres', q{COMMIT PREPARED 'with_events'});

# After commit, the consumer is woken with the newest committed event id.
my @latency;
for my $i (1 .. 20)
{
	my $id = $node->safe_psql('postgres', qq{SELECT oms.emit_event('test.tick', 'order', $i)});
	my $took = wait_for_at_least($id);
	ok(defined $took, "event $id announced after commit") or last;
	push @latency, $took;
}
my @sorted = sort { $a <=> $b } @latency;
diag(sprintf('commit-to-LISTEN latency over %d events (including two psql round trips): median %.1f ms, max %.1f ms',
	scalar @sorted, 1000 * $sorted[ int(@sorted / 2) ], 1000 * $sorted[-1]));

# Not while the transaction is open, not for a rollback.
my $producer = $node->background_psql('postgres');
$producer->query_safe('BEGIN');
my $open_id = $producer->query_safe(q{SELECT oms.emit_event('test.open')});
chomp $open_id;
drain() for 1 .. 5;
ok(!grep({ $_ ne '' && $_ >= $open_id } @seen), 'nothing while the transaction is open');
$producer->query_safe('ROLLBACK');
drain() for 1 .. 5;
ok(!grep({ $_ ne '' && $_ >= $open_id } @seen), 'nothing for a rolled-back transaction');
$producer->quit;

# Many commits at once are announced with one NOTIFY or a few, none lost:
# the last notification names the newest event.
my $last = $node->safe_psql('postgres', q{
SELECT max(oms.emit_event('test.burst', 'order', g)) FROM generate_series(1, 50) g;
});
ok(defined wait_for_at_least($last), "a burst is announced up to its newest event $last");

# oms.notify_events = commit: each transaction notifies itself, per event.
my $own = $node->safe_psql('postgres', q{
SET oms.notify_events = commit;
BEGIN;
SELECT oms.emit_event('test.own');
COMMIT;
});
ok(defined wait_for_at_least($own), 'commit mode announces the event id itself');
my $refused = $node->psql('postgres', q{
SET oms.notify_events = commit;
BEGIN;
SELECT oms.emit_event('test.own');
PREPARE TRANSACTION 'own';
});
isnt($refused, 0, 'in commit mode the transaction has sent NOTIFY and cannot prepare');

# Idle: the notifier leaves (the database can be dropped), and the next
# event brings it back.
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'oms notifier'}),
	'the notifier leaves when idle');
my $again = $node->safe_psql('postgres', q{SELECT oms.emit_event('test.again')});
ok(defined wait_for_at_least($again), 'an event after the notifier left is announced');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'oms notifier'}),
	'and the notifier is back');

# A database whose notifier ran can be dropped without FORCE: the notifier
# leaves within its idle timeout, inside the 5 s DROP DATABASE waits.
$node->safe_psql('postgres', 'CREATE DATABASE shop2');
$node->safe_psql('shop2', 'CREATE EXTENSION oms');
$node->safe_psql('shop2', q{SELECT oms.emit_event('test.first')});
$node->safe_psql('shop2', q{SELECT oms.emit_event('test.second')});
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'oms notifier' AND datname = 'shop2'}),
	'a notifier runs for the second database');
my ($drop_rc, $drop_out, $drop_err) = $node->psql('postgres', 'DROP DATABASE shop2');
is($drop_rc, 0, 'and the database is dropped without FORCE') or diag($drop_err);

$consumer->quit;
$node->stop;
done_testing();
