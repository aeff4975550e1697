# The reports run on a hot standby: suggest_reorder_rules() in preview
# (apply => false) used to fail there with 25006 because its one statement
# held the UPDATE of apply => true.  The preview, the views and the checks
# answer on the standby; apply => true is refused there with 25006 and a
# hint, and works on the primary.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('MUG', 'Mug');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days) SELECT carrier_id, 'ground', 2 FROM oms.carrier;
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 7);
SELECT oms.receive_stock('MUG', 'EAST', 100);
SELECT oms.ship(oms.create_shipment(oms.place_order('a' || g || '@example.com', 'web',
                    '[{"sku": "MUG", "qty": 2, "unit_price": 8}]', '{"confirm": true}'), 'EAST'), 'UPS', '1Z' || g)
FROM generate_series(1, 3) g;
SELECT oms.set_reorder_rule('MUG', 'EAST', 'ACME', reorder_point => 5, reorder_qty => 50);
SELECT oms.refresh_forecast('shipped', 56, 0.3, current_date + 1);
});
$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

my $preview = q{SELECT sku || ':' || current_reorder_point || '>' || suggested_reorder_point || ':' || applied
FROM oms.suggest_reorder_rules(false, 0.95, 'shipped', 56, 0.3, current_date + 1)};
is($standby->safe_psql('postgres', $preview), 'MUG:5>42:false', 'the preview runs on the standby');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM oms.inventory_position WHERE days_of_cover IS NOT NULL}),
	'1', 'inventory_position on the standby');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM oms.order_tracking}), '3', 'order_tracking on the standby');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM oms.check_inventory()}), '0', 'check_inventory() on the standby');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM oms.pick_list('EAST')}), '0', 'pick_list() on the standby');

my ($ret, $out, $err) = $standby->psql('postgres',
	q{SELECT * FROM oms.suggest_reorder_rules(true, 0.95, 'shipped', 56, 0.3, current_date + 1)},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/25006: suggest_reorder_rules\(apply => true\) writes the reorder rules/, 'apply is refused on the standby');
is($primary->safe_psql('postgres', q{SELECT applied FROM oms.suggest_reorder_rules(true, 0.95, 'shipped', 56, 0.3, current_date + 1)}),
	't', 'and applies on the primary');

$standby->stop;
$primary->stop;
done_testing();
