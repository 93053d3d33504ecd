# test/tap/013_index_crash_standby.pl: lsm indexes survive kill -9 and reach a
# streaming standby.
#
# A heap table and an lsm table each carry an lsm index (and the heap one a
# unique lsm index).  Rows committed before a kill -9 must be found through
# the indexes after restart (the index memtables are rebuilt from their
# WAL-logged log pages), with the same answers as sequential scans; rows of
# a transaction in progress at the kill must not be.  A standby built from
# a base backup must answer index scans like the primary, for entries in
# SSTables, in frozen and in active memtables, and after a compaction.
# The primary runs with wal_consistency_checking (LsmAmTest.pm): both the
# crash recovery and the standby compare each page their redo produces with
# the primary's image, and must replay without "inconsistent page found".

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('primary', allows_streaming => 1);
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION lsm_am;
	CREATE TABLE h (id int, k int, t text);
	CREATE UNIQUE INDEX h_id ON h USING lsm (id);
	CREATE INDEX h_k ON h USING lsm (k, t);
	CREATE TABLE l (id int, k int, t text) USING lsm;
	CREATE INDEX l_k ON l USING lsm (k DESC, t);
});

sub load
{
	my ($n, $lo, $hi) = @_;
	$n->safe_psql('postgres', qq{
		INSERT INTO h SELECT g, g % 97, 'v' || g FROM generate_series($lo, $hi) g;
		INSERT INTO l SELECT g, g % 97, 'v' || g FROM generate_series($lo, $hi) g;
	});
}

# One query, through the indexes and through sequential scans.
my @queries = (
	"SELECT count(*), sum(id) FROM h WHERE k = 13",
	"SELECT count(*), sum(id) FROM h WHERE k BETWEEN 20 AND 25 AND t > 'v5'",
	"SELECT id FROM h WHERE id > 1000 ORDER BY id LIMIT 5",
	"SELECT count(*), sum(id) FROM l WHERE k = 13",
	"SELECT id FROM l WHERE k IN (3, 96) ORDER BY k DESC, t LIMIT 7",
);

sub answers
{
	my ($n, $use_index) = @_;
	my $set = $use_index
	  ? 'SET enable_seqscan = off; SET enable_bitmapscan = off;'
	  : 'SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;';
	return join("\n", map { $n->safe_psql('postgres', "$set $_") } @queries);
}

sub check_node
{
	my ($n, $what) = @_;
	my $plan = $n->safe_psql('postgres',
		"SET enable_seqscan = off; EXPLAIN (COSTS OFF) $queries[0]");
	like($plan, qr/h_k/, "$what: the lsm index is used");
	is(answers($n, 1), answers($n, 0), "$what: index scans answer as sequential scans");
}

# Entries in an SSTable (flushed), in a frozen memtable and in the active one.
load($node, 1, 20000);
$node->safe_psql('postgres', "SELECT lsm_am.flush('h_k'), lsm_am.flush('l_k')");
load($node, 20001, 40000);
check_node($node, 'before the crash');

# A transaction in progress at the kill: its entries are in the index
# memtables, but its rows are not committed.
my $bg = $node->background_psql('postgres', on_error_stop => 0);
# A small committed batch after a checkpoint, whose records the recovery
# below must replay (and check).
$node->safe_psql('postgres', 'CHECKPOINT');
my $from = $node->lsn('insert');
load($node, 40001, 40100);
$bg->query_safe(q{BEGIN; INSERT INTO h VALUES (999999, 13, 'lost'); INSERT INTO l VALUES (999999, 13, 'lost');});
lsm_check_wal_checked($node, $from, $node->lsn('flush'), 'index and table inserts before the kill');
my $log_offset = -s $node->logfile;
lsm_kill9_server($node);
$node->start;
lsm_check_replay_checked($node, $log_offset, 'crash recovery', redo_from => $from);
check_node($node, 'after kill -9');
is($node->safe_psql('postgres', "SET enable_seqscan = off; SELECT count(*) FROM h WHERE id = 999999"),
	'0', 'the uncommitted row is not found through the unique index');
is($node->safe_psql('postgres', "SELECT count(*) FROM h WHERE id <= 40100"), '40100', 'committed rows are all there');
# the unique index still refuses duplicates, and accepts the lost key
my ($ret, $out, $err) = $node->psql('postgres', "INSERT INTO h VALUES (5, 0, 'dup')");
like($err, qr/duplicate key value violates unique constraint "h_id"/, 'unique index enforced after restart');
$node->safe_psql('postgres', "INSERT INTO h VALUES (999999, 0, 'again')");

# Standby from a base backup, then more writes, a flush and a compaction.
$node->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'bk', has_streaming => 1);
$standby->start;
load($node, 40101, 60000);
$node->wait_for_catchup($standby, 'replay', $node->lsn('insert'));
check_node($standby, 'standby, memtable entries');
is(answers($standby, 1), answers($node, 1), 'standby answers as the primary (memtables)');

$node->safe_psql('postgres', "SELECT lsm_am.compact('h_k'), lsm_am.compact('l_k'), lsm_am.compact('h_id')");
$node->safe_psql('postgres', "DELETE FROM h WHERE id % 5 = 0; VACUUM h;");
$from = $node->lsn('insert');
load($node, 60001, 61000);
my $to = $node->lsn('flush');
lsm_check_wal_checked($node, $from, $to, 'inserts after the compaction');
$node->wait_for_catchup($standby, 'replay', $node->lsn('insert'));
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $to);
check_node($node, 'primary after compaction, delete and VACUUM');
check_node($standby, 'standby after compaction, delete and VACUUM');
is(answers($standby, 1), answers($node, 1), 'standby answers as the primary (SSTables)');

$standby->stop;
$node->stop;
done_testing();
