# pg_dump keeps the payment ledger and its identity sequence, and the
# derived payment_status with the orders.  Restored with
# session_replication_role = replica (the ledger guard would refuse the
# rows, which the engine checked when it wrote them), the copy works on: a
# new payment gets the next key, the rules see the restored sums, and
# check_payments() finds nothing wrong.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('payment_dump');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('postgres', 'CREATE DATABASE dst');

$node->safe_psql('src', q{
CREATE EXTENSION oms;
INSERT INTO oms.sales_order (subtotal) VALUES (100), (50);
SELECT oms.record_payment(1, 'authorization', 100, NULL, 'stripe', 'pi_1');
SELECT oms.record_payment(1, 'capture', 100, NULL, 'stripe', 'ch_1', 'cap-1');
SELECT oms.refund(1, 30, 'damaged', 'rf-1');
SELECT oms.record_payment(2, 'capture', 20);
});

my $summary = q{
SELECT (SELECT string_agg(payment_id || ':' || order_id || ':' || kind || ':' || amount || ':' || coalesce(parent_payment_id::text, '-'), ' ' ORDER BY payment_id) FROM oms.payment),
       (SELECT string_agg(order_id || ':' || payment_status, ' ' ORDER BY order_id) FROM oms.sales_order),
       (SELECT string_agg(scope || ':' || key, ' ' ORDER BY key) FROM oms.idempotency_key)
};
my $before = $node->safe_psql('src', $summary);
is($before,
	'1:1:authorization:100.00:- 2:1:capture:100.00:- 3:1:refund:30.00:- 4:2:authorization:20.00:- 5:2:capture:20.00:4|1:partially_refunded 2:partially_paid|payment:cap-1 payment:rf-1',
	'the source ledger');

my $dump = $node->basedir . '/src.sql';
command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('dst'), '-f', $dump ],
		'restore');
}
is($node->safe_psql('dst', $summary), $before, 'ledger, payment_status and keys as they were');
is($node->safe_psql('dst', 'SELECT count(*) FROM oms.check_payments()'), '0', 'check_payments() finds nothing');

# The copy works on.
is($node->safe_psql('dst', q{SELECT oms.refund(1, 70, 'returned')}), '6',
	'a new payment gets the next key');
is($node->safe_psql('dst', q{SELECT oms.refund(1, 30, 'damaged', 'rf-1')}), '3',
	'a restored idempotency key answers with its first payment');
my ($ret, $out, $err) = $node->psql('dst', q{SELECT oms.refund(1, 0.01)});
like($err, qr/cannot refund 0.01 USD on order SO-000001: only 0.00 USD of its captures is left to refund/,
	'the rules see the restored sums');
($ret, $out, $err) = $node->psql('dst', q{DELETE FROM oms.payment});
like($err, qr/the payment ledger is append-only/, 'the ledger guard holds in the restored database');
is($node->safe_psql('dst', q{SELECT payment_status FROM oms.sales_order WHERE order_id = 1}), 'refunded',
	'payment_status follows');

$node->stop;
done_testing();
