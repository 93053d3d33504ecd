# test/tap/018_bulk_load.pl: bulk loads written straight to SSTables
# (lsm_am.bulk_write_size) across crashes and on a standby.
#
# A load's rows and index entries go to level-0 SSTables of their own
# before its transaction commits.  After SIGKILL of the whole server in the
# middle of a load, none of its rows may be visible (its SSTables may be
# listed: their rows carry an xid that never committed), every committed
# row (loaded in bulk or not) must be there, and an lsm index must agree
# with the table; a standby must replay the loads (SSTable pages and the
# manifest edits) and return the primary's rows.  The lsm table is compared
# with a heap table given the same rows in the same transactions
# (LsmAmTest.pm), under wal_consistency_checking.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $primary = lsm_new_node('bulk_primary', allows_streaming => 1);
$primary->append_conf('postgresql.conf',
	"lsm_am.bulk_write_size = '1MB'\nlsm_am.write_batch_size = 100\n");
$primary->start;
lsm_setup_schema($primary, 't');
$primary->safe_psql('postgres', 'CREATE INDEX t_device ON t USING lsm (device)');

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('bulk_standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# how many "bulk load" jobs a relation has done
sub bulk_jobs
{
	my ($node, $rel) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM lsm_am.compaction_history WHERE relid = '$rel'::regclass AND reason = 'bulk load' AND status = 'done'"
	);
}

# the lsm index returns what a seq scan returns
sub index_agrees
{
	my ($node, $what) = @_;
	my $via_index = $node->safe_psql(
		'postgres', q{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || coalesce(sum(id), 0) FROM t WHERE device BETWEEN 0 AND 999});
	my $via_seq = $node->safe_psql(
		'postgres', q{
SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || coalesce(sum(id), 0) FROM t WHERE device BETWEEN 0 AND 999});
	is($via_index, $via_seq, "$what: lsm index agrees with a seq scan");
	return;
}

# --- committed loads, replayed by the standby ----------------------------
$primary->safe_psql('postgres', lsm_insert_sql('t', 1, 40000));
$primary->safe_psql('postgres', lsm_insert_sql('t', 40001, 60000));
cmp_ok(bulk_jobs($primary, 't'), '>=', 2, 'the loads wrote bulk-load SSTables of t');
cmp_ok(bulk_jobs($primary, 't_device'), '>=', 2,
	'the loads wrote bulk-load SSTables of its lsm index');
lsm_check_same($primary, 't', 60000, 'primary after two loads');
index_agrees($primary, 'primary after two loads');

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby returns the primary rows after the loads');
index_agrees($standby, 'standby after the loads');

# --- kill -9 in the middle of a load ---------------------------------------
my $entries_sql =
  "SELECT coalesce(sum(entries), 0) FROM lsm_am.sstables() WHERE relation = 't'::regclass";
my $entries_before = $primary->safe_psql('postgres', $entries_sql);
my $open = $primary->background_psql('postgres');
$open->query_safe('BEGIN');
# into the lsm table only: these rows must not survive
$open->query_safe('INSERT INTO t SELECT * FROM lsm_rows(1000001, 1040000)');
cmp_ok($primary->safe_psql('postgres', $entries_sql) - $entries_before,
	'>=', 30000, 'the open load wrote most of its rows to SSTables');
# committed rows after the open load's SSTables, in the memtable
$primary->safe_psql('postgres', lsm_insert_sql('t', 60001, 61000));
lsm_kill9_server($primary);
eval { $open->quit; };
$primary->start;

lsm_check_same($primary, 't', 61000, 'after kill -9 during a load');
is( $primary->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id > 1000000'),
	'0', 'no row of the killed load is visible');
index_agrees($primary, 'after kill -9 during a load');

# compaction drops the killed load's rows
$primary->safe_psql('postgres', "SELECT lsm_am.compact('t')");
is( $primary->safe_psql('postgres',
		"SELECT sum(entries) FROM lsm_am.sstables() WHERE relation = 't'::regclass"),
	'61000',
	'after a full compaction t holds the committed rows only');
lsm_check_same($primary, 't', 61000, 'after compaction');

# a load after the crash, then the standby catches up with all of it
$primary->safe_psql('postgres', lsm_insert_sql('t', 61001, 90000));
lsm_check_same($primary, 't', 90000, 'a load after the crash');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby returns the primary rows after the crash and the compaction');
index_agrees($standby, 'standby at the end');

$standby->stop;
$primary->stop;
done_testing();
