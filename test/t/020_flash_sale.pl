# Flash sale: 16 pgbench clients race for the last 100 units of one sku
# (deny backorders, stock over two locations).  Orders past the stock fail
# with OM001 and are counted; none oversells: units sold + units left = 100,
# no level holds more reserved than on hand, and ledger, levels and
# reservations agree afterwards.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('flash');
$node->init;
$node->append_conf('postgresql.conf', 'max_connections = 40');
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION oms;
    INSERT INTO oms.location (code, name, priority) VALUES ('WH-A', 'A', 10), ('WH-B', 'B', 20);
    INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('HOT', 'Hot item', 'deny');
    INSERT INTO oms.channel (code, name) VALUES ('WEB', 'Web shop');
    SELECT oms.receive_stock('HOT', 'WH-A', 60);
    SELECT oms.receive_stock('HOT', 'WH-B', 40);

    -- one attempt: an order for q units; insufficient stock (OM001, and only
    -- that) is recorded as a failed attempt instead of aborting the client
    CREATE TABLE flash_attempt (
        attempt_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        qty        integer NOT NULL,
        order_id   bigint,
        sqlstate   text
    );
    CREATE FUNCTION flash_buy(q integer) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        o bigint;
    BEGIN
        o := oms.place_order('buyer' || pg_backend_pid() || '@example.com', 'WEB',
                             jsonb_build_array(jsonb_build_object('sku', 'HOT', 'qty', q,
                                                                  'unit_price', '9.99')),
                             '{"allow_split": true}');
        INSERT INTO flash_attempt (qty, order_id) VALUES (q, o);
        RETURN o;
    EXCEPTION WHEN SQLSTATE 'OM001' THEN
        INSERT INTO flash_attempt (qty, sqlstate) VALUES (q, 'OM001');
        RETURN NULL;
    END
    $$;
});

# 16 clients x 25 attempts of 1..3 units: demand (about 800 units) far
# exceeds supply, and the run is bounded by the transaction count.
$node->pgbench(
    '--no-vacuum --client=16 --jobs=4 --transactions=25',
    0,
    [ qr{processed: 400/400}, qr{number of failed transactions: 0 } ],
    [],
    'flash sale: every pgbench client runs to the end',
    {
        '020_flash_sale_buy' => q{
\set q random(1, 3)
SELECT flash_buy(:q);
}
    });

my $sold = $node->safe_psql('postgres', q{
    SELECT COALESCE(sum(l.qty_reserved), 0) FROM oms.order_line l
    JOIN oms.sales_order o USING (order_id) WHERE o.status <> 'cancelled'});
my $left = $node->safe_psql('postgres', q{
    SELECT sum(available) FROM oms.inventory_level v JOIN oms.item i USING (item_id)
    WHERE i.sku = 'HOT'});
my ($ok, $failed, $attempted_ok) = split /\|/, $node->safe_psql('postgres', q{
    SELECT count(*) FILTER (WHERE order_id IS NOT NULL),
           count(*) FILTER (WHERE sqlstate = 'OM001'),
           COALESCE(sum(qty) FILTER (WHERE order_id IS NOT NULL), 0)
    FROM flash_attempt});
note("orders placed $ok, refused with OM001 $failed, units sold $sold, left $left");

is($ok + $failed, 400, 'every attempt either placed an order or failed with OM001');
cmp_ok($failed, '>', 0, 'demand exceeded supply: some attempts were refused');
is($sold + $left, 100, 'units sold + units left = 100');
is($sold, 100, 'demand exceeded supply, so exactly 100 units were sold');
is($attempted_ok, $sold, 'the placed orders hold exactly the units they asked for');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM oms.inventory_level WHERE reserved > on_hand}),
    '0', 'no level has more reserved than on hand');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM oms.sales_order}),
    $ok, 'a refused order leaves no order row');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.check_inventory()}),
    '0', 'ledger, levels and reservations agree');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.check_reservations()}),
    '0', 'reserved is the sum of active reservations, per level and per line');

$node->stop;
done_testing();
