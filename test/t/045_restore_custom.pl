# A custom-format dump (pg_dump -Fc) restored with pg_restore into a fresh
# database: with session_replication_role = replica and --exit-on-error
# (README, Dump and restore) every row of every table of the extension
# comes back, the forecast included (days_of_cover is not NULL before the
# next refresh) and an exchange with its replacement order, the checks find
# nothing, and the copy works on: it places, ships, delivers and takes back
# an order.  The database's own oms.* settings (ALTER DATABASE ... SET, and
# ALTER ROLE ... IN DATABASE ... SET) come back with pg_restore --create,
# not when the dump is restored into a database made beforehand.  Without
# the setting pg_restore refuses rows the guards checked when they were
# written, reports the errors and carries on with half a database.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('restore_custom');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE src');

$node->safe_psql('src', q{
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC'), ('WEST', 'West DC');
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('MUG', 'Mug', 'deny'), ('TEE', 'Tee', 'allow');
INSERT INTO oms.item (sku, name, is_bundle) VALUES ('KIT', 'Kit', true);
INSERT INTO oms.bundle_component (bundle_id, component_id, qty)
    SELECT b.item_id, c.item_id, 1 FROM oms.item b, oms.item c WHERE b.sku = 'KIT' AND c.sku IN ('MUG', 'TEE');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days) SELECT carrier_id, 'ground', 2 FROM oms.carrier;
INSERT INTO oms.supplier (code, name, email, lead_time_days) VALUES ('ACME', 'Acme', 'jane@acme.example', 7);
INSERT INTO oms.status_transition (machine, from_status, to_status) VALUES ('order', 'on_hold', 'cancelled')
    ON CONFLICT DO NOTHING;
SELECT oms.receive_stock('MUG', 'EAST', 500), oms.receive_stock('TEE', 'EAST', 50);
SELECT oms.place_order('buyer' || g || '@example.com', 'web',
                       '[{"sku": "MUG", "qty": 2, "unit_price": 8}, {"sku": "KIT", "qty": 1, "unit_price": 20}]',
                       jsonb_build_object('confirm', true, 'idempotency_key', 'k' || g))
FROM generate_series(1, 12) g;
SELECT oms.record_payment(o, 'capture', 36, 'USD', 'stripe', 'ch_' || o) FROM generate_series(1, 6) o;
SELECT oms.ship(oms.create_shipment(o, 'EAST'), 'UPS', '1Z' || o) FROM generate_series(1, 8) o;
SELECT oms.deliver(s) FROM generate_series(1, 4) s;
SELECT oms.request_return(1, '[{"sku": "MUG", "qty": 1}]', 'refund', '{"authorize": true}');
SELECT oms.receive_return(1, 'EAST');
SELECT oms.request_return(2, '[{"sku": "MUG", "qty": 1, "reason": "size_fit"}]', 'exchange',
                          '{"exchange": [{"sku": "MUG", "qty": 1}], "authorize": true}');
SELECT oms.receive_return(2, 'EAST');
SELECT oms.complete_return(2);
SELECT oms.cancel_order(12);
SELECT oms.place_order('late@example.com', 'web', '[{"sku": "TEE", "qty": 60, "unit_price": 9}]');
SELECT oms.hold_stock('cart-1', '[{"sku": "MUG", "qty": 1}]', '1 hour');
SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', reorder_point => 10, reorder_qty => 100);
SELECT oms.submit_purchase_order(oms.create_purchase_order('ACME', 'EAST', '[{"sku": "TEE", "qty": 40, "unit_cost": 3}]'));
SELECT oms.refresh_forecast('shipped', 56, 0.3, current_date + 1);
SELECT oms.emit_event('shop.note', 'order', 1, '{"note": "restored?"}');
INSERT INTO oms.event_consumer (consumer, role_name, topics) VALUES ('billing', 'oms_app', '{payment.*}');
});
# The DBA's settings of the database (and of a role in it): pg_dump keeps
# them with the database's own properties, written out only by --create.
$node->safe_psql('postgres', q{
ALTER DATABASE src SET oms.allocation_strategy = 'fewest_shipments';
ALTER DATABASE src SET oms.return_window_days = 14;
ALTER DATABASE src SET oms.over_receipt_tolerance = 5;
CREATE ROLE shop_backend LOGIN IN ROLE oms_app;
ALTER ROLE shop_backend IN DATABASE src SET oms.allow_split = off;
});
my $settings = q{SELECT string_agg(coalesce(r.rolname, '*') || ':' || s.cfg, ' ' ORDER BY r.rolname NULLS FIRST, s.cfg)
FROM pg_db_role_setting d JOIN pg_database db ON db.oid = d.setdatabase
LEFT JOIN pg_roles r ON r.oid = d.setrole, unnest(d.setconfig) s(cfg)
WHERE db.datname = current_database()};
my $settings_before = $node->safe_psql('src', $settings);
is($settings_before,
	'*:oms.allocation_strategy=fewest_shipments *:oms.over_receipt_tolerance=5 *:oms.return_window_days=14 shop_backend:oms.allow_split=off',
	'the source database has its oms settings');

# What a restore must reproduce: every table and sequence of the extension,
# row by row.
my @tables = split /\n/, $node->safe_psql('src', q{
SELECT c.relname FROM pg_extension e
JOIN pg_depend d ON d.refobjid = e.oid AND d.deptype = 'e' AND d.classid = 'pg_class'::regclass
JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'r'
WHERE e.extname = 'oms' ORDER BY 1});
cmp_ok(scalar(@tables), '>=', 25, 'the tables of the extension');
my $summary = join(",\n", map {
	"(SELECT '$_:' || count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM oms.$_ t)"
} @tables);
$summary = "SELECT concat_ws(' ', $summary,\n"
  . "(SELECT string_agg(sequencename || ':' || coalesce(last_value, 0), ' ' ORDER BY sequencename)"
  . " FROM pg_sequences WHERE schemaname = 'oms'))";
my $before = $node->safe_psql('src', $summary);
like($before, qr/demand_forecast:2:/, 'the source has a stored forecast');
is($node->safe_psql('src', 'SELECT count(*) FROM oms.inventory_position WHERE days_of_cover IS NOT NULL'),
	'2', 'and days_of_cover');

my $dump = $node->basedir . '/src.dump';
my ($stdout, $stderr);
IPC::Run::run([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], '>', \$stdout, '2>', \$stderr)
  or die "pg_dump failed: $stderr";
note("pg_dump said: $stderr");

# Without the setting: pg_restore carries on past the refused rows.
$node->safe_psql('postgres', 'CREATE DATABASE half');
my $ok = IPC::Run::run([ 'pg_restore', '-d', $node->connstr('half'), $dump ], '>', \$stdout, '2>', \$stderr);
ok(!$ok, 'pg_restore without session_replication_role fails');
like($stderr, qr/errors ignored on restore: \d+/, '... after carrying on past its errors');
isnt($node->safe_psql('half', $summary), $before, '... with a database that is not the source');

# With it, as README says.
$node->safe_psql('postgres', 'CREATE DATABASE dst');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
		'pg_restore with session_replication_role = replica');
}
is($node->safe_psql('dst', $summary), $before, 'every row and sequence as it was');
is($node->safe_psql('dst', 'SELECT count(*) FROM oms.inventory_position WHERE days_of_cover IS NOT NULL'),
	'2', 'days_of_cover is not NULL before any refresh');
is($node->safe_psql('dst', 'SELECT count(*) FROM oms.check_inventory()'), '0', 'check_inventory() finds nothing');
is($node->safe_psql('dst', 'SELECT count(*) FROM oms.check_payments()'), '0', 'check_payments() finds nothing');

# The copy works on: fresh keys and numbers, the guards hold, a retried key answers.
my $new = $node->safe_psql('dst',
	q{SELECT oms.place_order('new@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]')});
is($node->safe_psql('dst', "SELECT order_id || ':' || order_number FROM oms.sales_order WHERE order_id = $new"),
	'15:SO-000015', 'a new order gets the next key and number (13 was placed late, 14 by the exchange)');
is($node->safe_psql('dst', q{SELECT oms.place_order('buyer3@example.com', 'web',
    '[{"sku": "MUG", "qty": 2, "unit_price": 8}, {"sku": "KIT", "qty": 1, "unit_price": 20}]',
    '{"confirm": true, "idempotency_key": "k3"}')}), '3', 'a restored idempotency key answers with its order');
my ($ret, $out, $err) = $node->psql('dst', q{UPDATE oms.sales_order SET status = 'pending' WHERE order_id = 1});
isnt($ret, 0, 'the status guard holds in the restored database');
is($node->safe_psql('dst', 'SELECT exchange_order_id IS NOT NULL FROM oms.return_authorization WHERE rma_id = 2'),
	't', 'the restored exchange still points at its replacement order');

# and ships, delivers and takes back the new order
$node->safe_psql('dst', "SELECT oms.confirm_order($new)");
my $shipment = $node->safe_psql('dst', "SELECT oms.create_shipment($new, 'EAST')");
$node->safe_psql('dst', "SELECT oms.ship($shipment, 'UPS', '1Z-NEW'); SELECT oms.deliver($shipment)");
my $rma = $node->safe_psql('dst',
	qq{SELECT oms.request_return($new, '[{"sku": "MUG", "qty": 1, "reason": "damaged"}]', 'refund', '{"authorize": true}')});
is($node->safe_psql('dst', "SELECT oms.receive_return($rma, 'EAST')"), 'received',
	'the new order ships, is delivered and comes back');
is($node->safe_psql('dst', 'SELECT count(*) FROM oms.check_inventory()'), '0', 'and the checks still find nothing');
is($node->safe_psql('dst', 'SELECT count(*) FROM oms.check_payments()'), '0', 'nor the payment checks');

# Restored under another name, the rows come back but not the database's
# settings: they are properties of the database, not of its contents.
is($node->safe_psql('dst', $settings), '', 'restored into another database: no oms settings come with it');
# README's way to carry them over: print them from the dump, rename, apply.
my $sql;
IPC::Run::run([ 'pg_restore', '--create', '-f', '-', $dump ], '>', \$sql, '2>', \$stderr)
  or die "pg_restore -f - failed: $stderr";
my @alter = map { s/DATABASE src /DATABASE dst /r } grep { /^ALTER (DATABASE|ROLE) .* SET / } split /\n/, $sql;
is(scalar(@alter), 4, 'the dump holds the four settings');
$node->safe_psql('dst', join("\n", @alter));
is($node->safe_psql('dst', $settings), $settings_before, 'applied to the other database, they are its settings');

# --create, as README says: the database is made again from the dump, with
# its settings and its role settings.  (Here in place of the source, as it
# would be on a new server.)
$node->safe_psql('postgres', 'DROP DATABASE src');
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	command_ok([ 'pg_restore', '--create', '--exit-on-error', '-d', $node->connstr('postgres'), $dump ],
		'pg_restore --create with session_replication_role = replica');
}
is($node->safe_psql('src', $settings), $settings_before, 'pg_restore --create brings back the oms settings');
is($node->safe_psql('src', 'SHOW oms.allocation_strategy; SHOW oms.return_window_days; SHOW oms.over_receipt_tolerance'),
	"fewest_shipments\n14\n5", 'and a new session runs with them');
is($node->safe_psql('src', 'SHOW oms.allow_split', extra_params => [ '-U', 'shop_backend' ]), 'off',
	'the role setting too');
is($node->safe_psql('src', $summary), $before, 'every row and sequence as it was, again');
is($node->safe_psql('src', q{SELECT consumer || ':' || role_name::text || ':' || topics::text FROM oms.event_consumer}),
	'billing:oms_app:{payment.*}', 'the event consumers with their roles');
is($node->safe_psql('src', 'SELECT count(*) FROM oms.check_inventory()'), '0', 'check_inventory() finds nothing there');

$node->stop;
done_testing();
