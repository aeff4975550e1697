# Change data capture from the outbox: a logical replication slot
# (test_decoding, shipped with PostgreSQL) delivers the oms.event rows of
# committed transactions, in commit order, and nothing of rolled-back ones
# (whole transactions or subtransactions).  This is how a Kafka/Debezium
# style pipeline reads oms's events.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cdc');
$node->init(allows_streaming => 'logical');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION oms');
$node->safe_psql('postgres',
	q{SELECT pg_create_logical_replication_slot('oms_events_cdc', 'test_decoding')});

# Two transactions that overlap: the one that commits first comes first,
# whatever the order their events were written in.
my $first = $node->background_psql('postgres');
my $second = $node->background_psql('postgres');
$first->query_safe('BEGIN');
$first->query_safe(q{SELECT oms.emit_event('cdc.first_written', 'order', 1)});
$second->query_safe('BEGIN');
$second->query_safe(q{SELECT oms.emit_event('cdc.second_written', 'order', 2)});
$second->query_safe(q{INSERT INTO oms.sales_order DEFAULT VALUES});
$second->query_safe('COMMIT');
$first->query_safe('COMMIT');

# A rolled-back transaction and a rolled-back subtransaction.
$node->safe_psql('postgres', q{
BEGIN;
SELECT oms.emit_event('cdc.rolled_back', 'order', 3);
ROLLBACK;
});
$node->safe_psql('postgres', q{
BEGIN;
SAVEPOINT s;
SELECT oms.emit_event('cdc.sub_rolled_back', 'order', 4);
ROLLBACK TO SAVEPOINT s;
SELECT oms.emit_event('cdc.kept', 'order', 5);
COMMIT;
});
$first->quit;
$second->quit;

# Read the slot: keep the inserts into oms.event, with their transaction.
my $changes = $node->safe_psql('postgres', q{
SELECT data FROM pg_logical_slot_get_changes('oms_events_cdc', NULL, NULL,
    'include-xids', '1', 'skip-empty-xacts', '1')
});
my (@topics, %xact_of, $xid);
for my $line (split /\n/, $changes)
{
	if ($line =~ /^BEGIN (\d+)/)
	{
		$xid = $1;
	}
	elsif ($line =~ /^table oms\.event: INSERT: .*topic\[text\]:'([^']*)'/)
	{
		push @topics, $1;
		$xact_of{$1} = $xid;
	}
}
is_deeply(\@topics,
	[ 'cdc.second_written', 'order.pending', 'cdc.first_written', 'cdc.kept' ],
	'events of committed transactions, in commit order; none rolled back');
is($xact_of{'cdc.second_written'}, $xact_of{'order.pending'},
	'the status event travels in the transaction of the order it belongs to');
isnt($xact_of{'cdc.first_written'}, $xact_of{'cdc.second_written'},
	'each transaction is its own unit');

# The slot keeps its place: a second read starts after what was consumed.
$node->safe_psql('postgres', q{SELECT oms.emit_event('cdc.later')});
my $later = $node->safe_psql('postgres', q{
SELECT string_agg(substring(data from 'topic\[text\]:''([^'']*)'''), ',')
FROM pg_logical_slot_get_changes('oms_events_cdc', NULL, NULL)
WHERE data LIKE 'table oms.event: INSERT:%'
});
is($later, 'cdc.later', 'a consumer resumes where it acknowledged');

$node->safe_psql('postgres', q{SELECT pg_drop_replication_slot('oms_events_cdc')});
$node->stop;
done_testing();
