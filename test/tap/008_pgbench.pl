# test/tap/008_pgbench.pl: pgbench's TPC-B workload on lsm tables.
#
# pgbench -i creates its four tables (with primary keys) while
# default_table_access_method is lsm, then two clients run the default
# TPC-B script for 20 seconds at READ COMMITTED: every transaction updates
# a row of pgbench_accounts, pgbench_tellers and pgbench_branches (the
# latter two are hot: 20 tellers and 2 branches for 2 clients, so updaters
# wait for each other and EvalPlanQual rechecks rows) and inserts into
# pgbench_history.  Afterwards the balances must add up: the sum of
# abalance, of tbalance, of bbalance and of delta are equal, and
# pgbench_history has one row per transaction pgbench reports.  At READ
# COMMITTED no transaction may fail.  The checks are repeated after a
# flush and a compaction of every table, through seq scans and index scans,
# and amcheck verifies that every row is in the primary key indexes.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my @tables = qw(pgbench_accounts pgbench_branches pgbench_tellers pgbench_history);

my $node = lsm_new_node('pgbench');
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION lsm_am; CREATE EXTENSION amcheck;');

# Run pgbench with the given arguments against the node, bounded in time;
# returns (exit status ok, stdout, stderr).
sub run_pgbench
{
	my @args = @_;
	my ($stdout, $stderr) = ('', '');
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGOPTIONS} = '-c default_table_access_method=lsm';
	my $ok = IPC::Run::run([ 'pgbench', @args, 'postgres' ],
		'>', \$stdout, '2>', \$stderr,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	note("pgbench @args:\n$stdout\n$stderr");
	return ($ok, $stdout, $stderr);
}

my ($ok, $out, $err) = run_pgbench('-i', '-s', '2', '-q');
ok($ok, 'pgbench -i -s 2 with default_table_access_method = lsm');

for my $t (@tables)
{
	is( $node->safe_psql(
			'postgres',
			"SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = '$t'::regclass"
		),
		'lsm',
		"$t uses the lsm table access method");
}
is( $node->safe_psql(
		'postgres',
		'SELECT (SELECT count(*) FROM pgbench_accounts) || \'|\' || '
		  . '(SELECT count(*) FROM pgbench_tellers) || \'|\' || '
		  . '(SELECT count(*) FROM pgbench_branches) || \'|\' || '
		  . '(SELECT count(*) FROM pgbench_history)'),
	'200000|20|2|0',
	'pgbench -i loaded 200000 accounts, 20 tellers, 2 branches');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text)
		   FROM pg_index WHERE indrelid::regclass::text LIKE 'pgbench%'"),
	'pgbench_accounts_pkey,pgbench_branches_pkey,pgbench_tellers_pkey',
	'pgbench -i created the primary keys');

($ok, $out, $err) = run_pgbench('-c', '2', '-j', '2', '-T', '20');
ok($ok, 'pgbench: 2 clients, 20 seconds of TPC-B');
my ($processed) = $out =~ /number of transactions actually processed: (\d+)/;
my ($failed) = $out =~ /number of failed transactions: (\d+)/;
ok(defined $processed && $processed > 0, 'pgbench processed transactions')
  or diag("pgbench output:\n$out\n$err");
is($failed, 0, 'no failed transactions at READ COMMITTED')
  or diag(
	"server log errors:\n",
	join('', grep { /ERROR|DETAIL|Process \d+/ } split /^/,
		slurp_file($node->logfile)));
unlike($err, qr/ERROR|FATAL|PANIC/, 'pgbench reported no server errors');
$processed //= -1;

# The balances add up, and there is one history row per transaction.
my $sums = q{
SELECT (SELECT sum(abalance) FROM pgbench_accounts) || '|' ||
       (SELECT sum(tbalance) FROM pgbench_tellers) || '|' ||
       (SELECT sum(bbalance) FROM pgbench_branches) || '|' ||
       (SELECT sum(delta) FROM pgbench_history) || '|' ||
       (SELECT count(*) FROM pgbench_history) || '|' ||
       (SELECT count(*) FROM pgbench_accounts) || '|' ||
       (SELECT count(*) FROM pgbench_tellers) || '|' ||
       (SELECT count(*) FROM pgbench_branches)
};
sub check_sums
{
	my ($what, $settings) = @_;
	my $r = $node->safe_psql('postgres', "$settings $sums");
	my ($a, $t, $b, $h, $hist, $na, $nt, $nb) = split /\|/, $r;
	ok($a == $t && $t == $b && $b == $h,
		"$what: sum(abalance) = sum(tbalance) = sum(bbalance) = sum(delta)")
	  or diag("sums: $r");
	is($hist, $processed, "$what: one pgbench_history row per transaction");
	is("$na|$nt|$nb", '200000|20|2', "$what: no account, teller or branch lost or duplicated");
	return $r;
}

my $before = check_sums('after pgbench', '');
# The same through the primary key indexes.
is( $node->safe_psql(
		'postgres', q{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(abalance) FROM pgbench_accounts WHERE aid > 0;
SELECT count(*) || '|' || sum(tbalance) FROM pgbench_tellers WHERE tid > 0;
SELECT count(*) || '|' || sum(bbalance) FROM pgbench_branches WHERE bid > 0;
}),
	$node->safe_psql(
		'postgres', q{
SELECT count(*) || '|' || sum(abalance) FROM pgbench_accounts;
SELECT count(*) || '|' || sum(tbalance) FROM pgbench_tellers;
SELECT count(*) || '|' || sum(bbalance) FROM pgbench_branches;
}),
	'index scans and seq scans agree');
$node->safe_psql('postgres',
	"SELECT bt_index_check(indexrelid, true) FROM pg_index WHERE indrelid::regclass::text LIKE 'pgbench%'");
pass('amcheck: every row is in its primary key index');

# Flush and compact every table: nothing changes.
for my $t (@tables)
{
	$node->safe_psql('postgres', "SELECT lsm_am.flush('$t'); SELECT lsm_am.compact('$t');");
}
is(check_sums('after flush and compaction', ''), $before,
	'flush and compaction change no sum or count');
$node->safe_psql('postgres',
	"SELECT bt_index_check(indexrelid, true) FROM pg_index WHERE indrelid::regclass::text LIKE 'pgbench%'");
pass('amcheck after compaction');

# The server is still healthy.
$node->restart;
is(check_sums('after restart', ''), $before, 'a restart changes no sum or count');

$node->stop;
done_testing();
