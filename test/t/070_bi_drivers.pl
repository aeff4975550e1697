# BI tools read the KPI views as oms_reader through the drivers they use:
# PostgreSQL's ODBC driver (Debian odbc-postgresql) driven by unixODBC's
# isql, and JDBC (Debian libpostgresql-jdbc-java) from a JVM.  Over TCP, as
# a login role that is a member of oms_reader only: every view answers, the
# column types are what a BI tool needs (money and rates numeric, counts
# integers, times with time zone, days dates), and the tables behind the
# views, personal data and writes are refused (42501).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Temp qw(tempdir);

my $node = PostgreSQL::Test::Cluster->new('bi');
$node->init;
$node->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'");
$node->append_conf('pg_hba.conf', "host all all 127.0.0.1/32 trust");
$node->start;
my $port = $node->port;

# a shop with a bit of everything the views count
$node->safe_psql('postgres', q{
CREATE EXTENSION oms;
INSERT INTO oms.location (code, name) VALUES ('EAST', 'East DC');
INSERT INTO oms.item (sku, name, backorder_policy) VALUES ('MUG', 'Mug', 'allow'), ('TEE', 'Tee', 'deny');
INSERT INTO oms.channel (code, name) VALUES ('web', 'Web shop');
INSERT INTO oms.carrier (code, name) VALUES ('UPS', 'UPS');
INSERT INTO oms.carrier_service (carrier_id, service_level, transit_days) SELECT carrier_id, 'ground', 2 FROM oms.carrier;
INSERT INTO oms.supplier (code, name, lead_time_days) VALUES ('ACME', 'Acme', 7);
SELECT oms.receive_stock('MUG', 'EAST', 10), oms.receive_stock('TEE', 'EAST', 10);
SELECT oms.place_order('a' || g || '@example.com', 'web',
          '[{"sku": "MUG", "qty": 2, "unit_price": 8}, {"sku": "TEE", "qty": 1, "unit_price": "12.50"}]',
          jsonb_build_object('confirm', true, 'promised_at', now() + interval '1 day',
              'ship_to', jsonb_build_object('name', 'A', 'line1', '1 Main', 'city', 'NYC', 'postal_code', '10001',
                                            'country', 'US', 'region', 'NY')))
FROM generate_series(1, 3) g;
SELECT oms.ship(oms.create_shipment(o, 'EAST'), 'UPS', '1Z' || o) FROM generate_series(1, 3) o;
SELECT oms.deliver(s) FROM generate_series(1, 3) s;
SELECT oms.record_payment(1, 'authorization', 28.50), oms.record_payment(1, 'capture', 28.50);
SELECT oms.request_return(1, '[{"sku": "MUG", "qty": 1, "reason": "size_fit"}]', 'refund', '{"authorize": true}');
SELECT oms.receive_return(1, 'EAST');
SELECT oms.complete_return(1);
SELECT oms.submit_purchase_order(oms.create_purchase_order('ACME', 'EAST', '[{"sku": "MUG", "qty": 5, "unit_cost": "3.10"}]'));
SELECT oms.receive_purchase_order(p.po_id) FROM oms.purchase_order p;
SELECT oms.refresh_kpis();
SELECT oms.place_order('late@example.com', 'web', '[{"sku": "MUG", "qty": 1, "unit_price": 8}]');
CREATE ROLE bi LOGIN IN ROLE oms_reader;
-- what README "For BI tools" advises: the tools list the views of schema oms
ALTER ROLE bi SET search_path = oms, public;
});
my @views = split /\n/, $node->safe_psql('postgres', q{
SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind = 'v'
ORDER BY c.relname});
my @kpi = grep { /^kpi_/ } @views;
cmp_ok(scalar @kpi, '>=', 15, 'the KPI views are there');

# What each column should look like to a BI tool, by the type PostgreSQL
# gives it: the drivers report these type names.
my %want;
for my $row (split /\n/, $node->safe_psql('postgres', q{
SELECT c.relname || '.' || a.attname || '=' || format_type(a.atttypid, NULL)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'oms'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'kpi\_%'}))
{
    my ($k, $v) = split /=/, $row, 2;
    $want{$k} = $v;
}
# the view definitions themselves: money and rates numeric, times with zone
my @bad = grep {
    my $t = $want{$_};
    ($_ =~ /\.(revenue\w*|subtotal|tax|shipping|average_order_value|\w*_rate|refund_amount|stock_value|unit_cost|turnover|\w*share)$/ && $t ne 'numeric')
      || ($_ =~ /_at$/ && $t ne 'timestamp with time zone')
      || ($_ =~ /\.(day|first_day|last_day)$/ && $t ne 'date')
} sort keys %want;
is_deeply(\@bad, [], 'money and rates are numeric, times timestamptz, days dates');

# --- ODBC: psqlODBC through unixODBC's isql
SKIP:
{
    skip 'isql (unixodbc) or the PostgreSQL ODBC driver is not installed', 5
      unless -x '/usr/bin/isql' && -e '/etc/odbcinst.ini'
      && `grep -c 'PostgreSQL Unicode' /etc/odbcinst.ini` > 0;
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/odbc.ini" or die;
    print $fh "[oms]\nDriver = PostgreSQL Unicode\nServername = 127.0.0.1\nPort = $port\n"
      . "Database = postgres\nUsername = bi\nSSLmode = disable\nBoolsAsChar = 0\n";
    close $fh;
    local $ENV{ODBCINI} = "$dir/odbc.ini";
    my $isql = sub {
        my ($sql) = @_;
        my ($out, $err) = run_command([ 'isql', '-b', '-v', '-d|', 'oms', 'bi' ], $sql);
        return ($out, $err);
    };
    sub run_command
    {
        my ($cmd, $in) = @_;
        my ($out, $err);
        IPC::Run::run($cmd, '<', \$in, '>', \$out, '2>', \$err);
        return ($out, $err);
    }
    # every view answers: one line per row after the header
    my @failed;
    for my $v (@views)
    {
        next if $v =~ /^(order_tracking|order_timeline|returns_overview)$/;   # carry personal data: named columns only
        my ($out, $err) = $isql->("SELECT * FROM oms.$v\n");
        push @failed, "$v: $out $err" if $out =~ /\[ISQL\]ERROR|error/i || $err =~ /\S/;
    }
    is_deeply(\@failed, [], 'ODBC: oms_reader reads every view');
    my ($out) = $isql->("SELECT orders, revenue, average_order_value FROM oms.kpi_sales_daily ORDER BY day\n");
    like($out, qr/^4\|93\.50\|23\.38$/m, 'ODBC: kpi_sales_daily answers (3 orders of 28.50, 1 of 8 after the rollup: 93.50 / 4)');

    # the column types ODBC reports (SQLColumns through isql's help)
    my %odbc;
    for my $v (@kpi)
    {
        my ($cols) = $isql->("help $v\n");
        for my $line (split /\n/, $cols)
        {
            my @f = split /\|/, $line;
            next unless @f > 6 && $f[2] eq $v;
            $odbc{"$v.$f[3]"} = "$f[5]/$f[4]";    # TYPE_NAME/DATA_TYPE
        }
    }
    my @wrong = grep {
        my $pg = $want{$_};
        my $o = $odbc{$_} // 'missing';
        # ODBC SQL types: NUMERIC 2, BIGINT -5, INTEGER 4, DATE 9,
        # TIMESTAMP 11, BIT -7, LONGVARCHAR -1 / VARCHAR 12
        !(($pg eq 'numeric' && $o eq 'numeric/2')
          || ($pg eq 'bigint' && $o eq 'int8/-5')
          || ($pg eq 'integer' && $o eq 'int4/4')
          || ($pg eq 'date' && $o eq 'date/9')
          || ($pg eq 'timestamp with time zone' && $o eq 'timestamptz/11')
          || ($pg eq 'boolean' && $o eq 'bool/-7')
          || ($pg =~ /^(text|character)$/ && $o =~ m{^(text|varchar|bpchar|char)/(-1|12|1)$}))
    } sort keys %want;
    is_deeply([ map { "$_: $want{$_} -> " . ($odbc{$_} // 'missing') } @wrong ], [],
        'ODBC: every KPI column has its PostgreSQL type (numeric, int8, date, timestamptz, ...)');

    # nothing else: the tables behind the views, personal data, writes
    my @refused;
    for my $sql ('SELECT * FROM oms.kpi_sales_delta', 'SELECT * FROM oms.kpi_sales_hour',
        'SELECT email FROM oms.customer', 'SELECT ship_to FROM oms.sales_order',
        'SELECT customer_id FROM oms.customer', 'SELECT count(*) FROM oms.order_line',
        'SELECT count(*) FROM oms.inventory_level', 'SELECT count(*) FROM oms.payment',
        'SELECT payload FROM oms.event', "SELECT oms.refresh_kpis()",
        "UPDATE oms.sales_order SET status = 'cancelled'", "INSERT INTO oms.channel (code, name) VALUES ('x', 'x')")
    {
        my ($o, $e) = $isql->("$sql\n");
        push @refused, $sql unless "$o$e" =~ /42501|permission denied/;
    }
    is_deeply(\@refused, [], 'ODBC: the tables behind the views, personal data and writes are refused (42501)');
    ($out) = $isql->("SELECT count(*) FROM oms.kpi_inventory\n");
    like($out, qr/^2$/m, 'ODBC: kpi_inventory has both item-locations');
}

# --- JDBC: pgjdbc from a JVM (a single-file Java program)
SKIP:
{
    my $jar = '/usr/share/java/postgresql.jar';
    skip 'java or libpostgresql-jdbc-java is not installed', 2
      unless -e $jar && system('java -version >/dev/null 2>&1') == 0;
    my $dir = tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/BiCheck.java" or die;
    print $fh <<'JAVA';
import java.sql.*;
public class BiCheck {
    public static void main(String[] a) throws Exception {
        try (Connection c = DriverManager.getConnection(a[0], "bi", "")) {
            for (int i = 1; i < a.length; i++) {
                try (Statement s = c.createStatement();
                     ResultSet r = s.executeQuery("SELECT * FROM oms." + a[i])) {
                    ResultSetMetaData m = r.getMetaData();
                    int rows = 0;
                    while (r.next()) {
                        rows++;
                        for (int k = 1; k <= m.getColumnCount(); k++) r.getObject(k);
                    }
                    for (int k = 1; k <= m.getColumnCount(); k++)
                        System.out.println(a[i] + "." + m.getColumnName(k) + "=" + m.getColumnTypeName(k)
                                           + ":" + m.getColumnClassName(k));
                    System.out.println(a[i] + " rows=" + rows);
                }
            }
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT * FROM oms.kpi_sales_delta");
                System.out.println("delta readable");
            } catch (SQLException e) {
                System.out.println("delta refused " + e.getSQLState());
            }
        }
    }
}
JAVA
    close $fh;
    my ($out, $err);
    IPC::Run::run([ 'java', '-cp', $jar, "$dir/BiCheck.java",
        "jdbc:postgresql://127.0.0.1:$port/postgres?sslmode=disable", @kpi ],
        '>', \$out, '2>', \$err);
    my %jdbc;
    for my $line (split /\n/, $out)
    {
        $jdbc{$1} = $2 if $line =~ /^(\w+\.\w+)=(.*)$/;
    }
    my @wrong = grep {
        my $pg = $want{$_};
        my $j = $jdbc{$_} // 'missing';
        !(($pg eq 'numeric' && $j eq 'numeric:java.math.BigDecimal')
          || ($pg eq 'bigint' && $j eq 'int8:java.lang.Long')
          || ($pg eq 'integer' && $j eq 'int4:java.lang.Integer')
          || ($pg eq 'date' && $j eq 'date:java.sql.Date')
          || ($pg eq 'timestamp with time zone' && $j eq 'timestamptz:java.sql.Timestamp')
          || ($pg eq 'boolean' && $j eq 'bool:java.lang.Boolean')
          || ($pg =~ /^(text|character)$/ && $j =~ /^(text|varchar|bpchar):java.lang.String$/))
    } sort keys %want;
    is_deeply([ map { "$_: $want{$_} -> " . ($jdbc{$_} // 'missing') } @wrong ], [],
        'JDBC: every KPI view answers and each column has its type (BigDecimal, Long, Date, Timestamp, ...)')
      or diag($err);
    like($out, qr/^delta refused 42501$/m, 'JDBC: the tables behind the views are refused (42501)');
}

$node->stop;
done_testing();
