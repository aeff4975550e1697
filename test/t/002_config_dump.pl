# pg_dump keeps what a DBA added to the state machines and every row of the
# extension's data tables (orders, status history, events), and leaves out
# the seeded rows that CREATE EXTENSION brings back.  Restored with
# session_replication_role = replica (so the guard does not re-check rows
# already checked when they were written), the copy works on: its cache
# sees the DBA's moves, and new rows get fresh keys and order numbers.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('postgres', 'CREATE DATABASE dst');

$node->safe_psql('src', q{
CREATE EXTENSION oms;
INSERT INTO oms.status_transition (machine, from_status, to_status) VALUES
    ('order', 'pending', 'fraud_review'), ('order', 'fraud_review', 'confirmed');
INSERT INTO oms.status_machine (machine, initial_status) VALUES ('order', 'fraud_review');
INSERT INTO oms.sales_order DEFAULT VALUES;
INSERT INTO oms.sales_order DEFAULT VALUES;
UPDATE oms.sales_order SET status = 'fraud_review' WHERE order_id = 1;
UPDATE oms.sales_order SET status = 'confirmed' WHERE order_id = 1;
UPDATE oms.sales_order SET status = 'cancelled' WHERE order_id = 2;
SELECT oms.emit_event('order.note', 'order', 1);
});

# What a restore must reproduce.
my $summary = q{
SELECT (SELECT count(*) FROM oms.status_transition WHERE seeded),
       (SELECT string_agg(from_status || '>' || to_status, ' ' ORDER BY 1) FROM oms.status_transition WHERE NOT seeded),
       (SELECT string_agg(initial_status, ' ' ORDER BY 1) FROM oms.status_machine WHERE machine = 'order'),
       (SELECT string_agg(order_id || ':' || order_number || ':' || status, ' ' ORDER BY order_id) FROM oms.sales_order),
       (SELECT string_agg(history_id || ':' || coalesce(from_status, '') || '>' || to_status, ' ' ORDER BY history_id) FROM oms.status_history),
       (SELECT string_agg(event_id || ':' || topic, ' ' ORDER BY event_id) FROM oms.event)
};
my $before = $node->safe_psql('src', $summary);

my $dump = $node->basedir . '/src.sql';
command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('dst'), '-f', $dump ],
		'restore');
}
is($node->safe_psql('dst', $summary), $before,
	'seeded rows once, DBA rows, orders, history and events as they were');

# The copy works on.
my $after = $node->safe_psql('dst', q{
INSERT INTO oms.sales_order DEFAULT VALUES RETURNING order_id || ':' || order_number;
});
is($after, '3:SO-000003', 'a new order gets the next key and order number');
is($node->safe_psql('dst', q{
UPDATE oms.sales_order SET status = 'fraud_review' WHERE order_id = 3;
SELECT max(history_id) || ' ' || max(event_id) FROM oms.status_history, oms.event;
}), '7 8', 'the DBA move works, history and events continue their keys');
my ($ret, $out, $err) = $node->psql('dst',
	q{UPDATE oms.sales_order SET status = 'pending' WHERE order_id = 2});
like($err, qr/invalid status transition of order 2 from "cancelled" to "pending"/,
	'the guard holds in the restored database');

$node->stop;
done_testing();
