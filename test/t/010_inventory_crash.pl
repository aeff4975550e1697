# Committed inventory movements survive kill -9 of the server; a movement
# in flight at the crash leaves no trace; ledger and levels agree after
# recovery.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
# the test framework turns this off; a crashed backend must bring a restart
$node->append_conf('postgresql.conf', 'restart_after_crash = on');
$node->start;

$node->safe_psql('postgres', q{
    CREATE EXTENSION oms;
    INSERT INTO oms.location (code, name) VALUES ('A', 'A'), ('B', 'B'), ('C', 'C');
    INSERT INTO oms.item (sku, name) VALUES ('X', 'X');
    SELECT oms.receive_stock('X', 'A', 100);
    SELECT oms.transfer_stock('X', 'A', 'B', 40);
    SELECT oms.count_stock('X', 'B', 38);
});

# 1. kill -9 of a backend holding an open transaction: the postmaster
#    reinitialises and every backend's work in flight is lost.
my $open = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $open->query_safe('SELECT pg_backend_pid()');
$open->query_safe('BEGIN');
$open->query_safe(q{SELECT oms.receive_stock('X', 'A', 999)});
kill 'KILL', $pid;
$open->quit;
$node->poll_query_until('postgres', 'SELECT 1', '1')
  or die 'server did not come back after the backend crash';

is($node->safe_psql('postgres',
        q{SELECT string_agg(location || '=' || on_hand, ',' ORDER BY location) FROM oms.inventory_position}),
    'A=60,B=38', 'after a backend crash: committed movements kept, the open one gone');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.check_inventory()}),
    '0', 'ledger and levels agree after crash recovery');

# 2. The whole server stops without a checkpoint (immediate shutdown, as on
#    power loss) while a transfer is open; recovery replays the WAL.
$open = $node->background_psql('postgres', on_error_stop => 0);
$open->query_safe('BEGIN');
$open->query_safe(q{SELECT oms.transfer_stock('X', 'A', 'B', 10)});
$node->safe_psql('postgres', q{SELECT oms.receive_stock('X', 'C', 2)});
$node->stop('immediate');
$open->quit;
$node->start;

is($node->safe_psql('postgres',
        q{SELECT string_agg(location || '=' || on_hand, ',' ORDER BY location) FROM oms.inventory_position}),
    'A=60,B=38,C=2', 'after an immediate shutdown: committed receipt kept, open transfer gone');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.inventory_movement}),
    '5', 'the ledger holds exactly the committed movements');
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.check_inventory()}),
    '0', 'ledger and levels agree after recovery');

# The engine still works after recovery.
$node->safe_psql('postgres', q{SELECT oms.receive_stock('X', 'A', 5)});
is($node->safe_psql('postgres', q{SELECT on_hand FROM oms.inventory_position WHERE location = 'A'}),
    '65', 'receiving works after recovery');

$node->stop;
done_testing();
