# Customer notifications really go out (issue 16, item 1): the reference
# worker tools/notify-worker/oms-notify-worker sends the notifications of
# 150 orders to a local SMTP sink (tools/notify-worker/smtp-sink), is killed
# with kill -9 mid-batch, and two workers started afterwards finish the job
# side by side.  Every notification arrives; a repeat carries the same
# Message-ID and the same text; a 451 is retried after a backoff and a 550
# fails for good.  Prints: sent, arrived, distinct Message-IDs, duplicates,
# lost (target 0).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(usleep time);

my $root = $ENV{OMS_ROOT} or die "OMS_ROOT is not set";
my $tools = "$root/tools/notify-worker";
my $orders = 150;

my $node = PostgreSQL::Test::Cluster->new('notify');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'oms'\noms.customer_notifications = on\n");
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name) VALUES ('TEE', 'Tee');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
SELECT oms.receive_stock('TEE', 'EAST', 100000);
SELECT count(oms.set_notification_template(kind, channel, language, subject, body))
FROM oms.default_notification_templates();
});
$node->safe_psql('postgres', qq{
DO \$\$
BEGIN
    FOR i IN 1..$orders LOOP
        PERFORM oms.place_order(format('c%s\@example.com', i), 'web',
                                '[{"sku": "TEE", "qty": 1, "unit_price": "10"}]',
                                jsonb_build_object('customer_name', 'Customer ' || i));
    END LOOP;
    PERFORM oms.place_order('flaky\@example.com', 'web', '[{"sku": "TEE", "qty": 1}]');
    PERFORM oms.place_order('bounce\@example.com', 'web', '[{"sku": "TEE", "qty": 1}]');
END
\$\$;
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM oms.notification WHERE state = 'pending'}),
	$orders + 2, 'each order has a pending confirmation');

# the sink: stores each message before it answers 250, then waits 30 ms
my $dir = PostgreSQL::Test::Utils::tempdir();
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $sink = spawn($^X, "$tools/smtp-sink", '--port', $port, '--dir', $dir, '--delay-ms', 30,
	'--tempfail', '^flaky@', '--reject', '^bounce@');
for (1 .. 100)
{
	last if IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
	usleep(50_000);
}

sub spawn
{
	my @cmd = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open STDOUT, '>>', "$PostgreSQL::Test::Utils::tmp_check/notify_worker.log";
		open STDERR, '>&', \*STDOUT;
		exec @cmd or POSIX::_exit(127);
	}
	return $pid;
}

sub worker
{
	my ($name) = @_;
	return spawn($^X, "$tools/oms-notify-worker", '--db', $node->connstr('postgres'),
		'--smtp', "127.0.0.1:$port", '--from', 'Shop <shop@oms-test.example>', '--name', $name,
		'--batch', 10, '--lease', 2, '--backoff', 1, '--poll', 0.2, '--verbose');
}

sub arrived
{
	opendir my $dh, $dir or die "$dir: $!";
	return grep { /\.eml$/ } readdir $dh;
}

sub db { $node->safe_psql('postgres', $_[0]) }

# one worker, killed with kill -9 once 25 messages arrived, at a moment
# when the sink has stored a message the worker has not marked sent yet
# (the sink waits 30 ms before its 250): that one arrives twice
my $t0 = time;
my $w1 = worker('w1');
until (time - $t0 > 30)
{
	my $n = () = arrived();
	last if $n >= 25
	  && $n > db(q{SELECT count(*) FROM oms.notification WHERE state = 'sent'});
	usleep(2_000);
}
kill 'KILL', $w1;
waitpid $w1, 0;
my $arrived_at_kill = () = arrived();
my $sent_at_kill = db(q{SELECT count(*) FROM oms.notification WHERE state = 'sent'});
my $claimed_at_kill = db(q{SELECT count(*) FROM oms.notification WHERE state = 'pending' AND claimed_by = 'w1'});
ok($arrived_at_kill >= 25 && $arrived_at_kill < $orders, "killed mid-way: $arrived_at_kill arrived, $sent_at_kill marked sent");

# two workers finish: what w1 held comes back when its lease ends
my @w = (worker('w2'), worker('w3'));
$t0 = time;
usleep(100_000)
  until db(q{SELECT count(*) FROM oms.notification WHERE state = 'pending'}) == 0 || time - $t0 > 60;
kill 'TERM', @w;
waitpid $_, 0 for @w;
kill 'TERM', $sink;
waitpid $sink, 0;
my $elapsed = time - $t0;

is(db(q{SELECT count(*) FROM oms.notification WHERE state = 'pending'}), 0, 'nothing left pending');
is(db(q{SELECT state || ' ' || attempts || ' ' || split_part(last_error, ' ', 1) FROM oms.notification WHERE recipient = 'flaky@example.com'}),
	'sent 2 451', 'a 451 is retried after the backoff and then sent');
is(db(q{SELECT state || ' ' || split_part(last_error, ' ', 1) FROM oms.notification WHERE recipient = 'bounce@example.com'}),
	'failed 550', 'a 550 fails for good');

# what arrived, by Message-ID
my (%by_id, %text);
my $mismatch = 0;
for my $f (arrived())
{
	open my $fh, '<', "$dir/$f" or die "$f: $!";
	my $msg = do { local $/; <$fh> };
	my ($id) = $msg =~ /^Message-ID: <oms-notification-(\d+)\@oms-test\.example>$/m
	  or die "no Message-ID in $f";
	my ($body) = $msg =~ /\n\n(.*)\z/s;
	push @{ $by_id{$id} }, $f;
	$mismatch++ if defined $text{$id} && $text{$id} ne $body;
	$text{$id} = $body;
}
my @sent_ids = split /\n/, db(q{SELECT notification_id FROM oms.notification WHERE state = 'sent' ORDER BY 1});
my $arrived = () = arrived();
my $distinct = keys %by_id;
my $duplicates = $arrived - $distinct;
my $lost = grep { !$by_id{$_} } @sent_ids;
my $unknown = grep { my $id = $_; !grep { $_ == $id } @sent_ids } keys %by_id;
diag(sprintf('notifications %d: sent %d, failed 1, arrived %d, distinct Message-IDs %d, duplicates %d, lost %d '
		. '(at the kill -9: %d arrived, %d marked sent, %d claimed by the killed worker); finished in %.1f s',
		$orders + 2, scalar @sent_ids, $arrived, $distinct, $duplicates, $lost,
		$arrived_at_kill, $sent_at_kill, $claimed_at_kill, $elapsed));
is(scalar @sent_ids, $orders + 1, 'every notification but the bounce was sent');
is($lost, 0, 'lost: every sent notification arrived');
is($unknown, 0, 'nothing arrived that is not a sent notification');
is($mismatch, 0, 'a repeat carries the same Message-ID and the same text');
cmp_ok($duplicates, '<=', 1, 'at most the one message in flight at the kill arrived twice');
like(db(q{SELECT string_agg(DISTINCT claimed_by, ',' ORDER BY claimed_by) FROM oms.notification WHERE state = 'sent'}),
	qr/w2,w3/, 'the two workers shared the rest');

$node->stop;
done_testing();
