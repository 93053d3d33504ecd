# test/tap/016_updates_in_place.pl: UPDATEs that change no indexed column
# (the new version stays under the row id, with a back-pointer under its
# own seq) on a streaming standby and through a crash.
#
# The same statements run on an lsm table and a heap oracle: rounds of
# in-place updates (some in SSTables after a flush, some only in the
# memtable), an update of an indexed column, deletes of rows updated in
# place, an aborted update, and a compaction.  The standby must return the
# same rows as the primary and the oracle, by a sequential scan and
# through the index, replaying with wal_consistency_checking; after
# kill -9 of the primary and crash recovery, every committed version is
# there, fetches by the versions' TIDs work, and updates go on.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $primary = lsm_new_node('primary', allows_streaming => 1);
$primary->start;
lsm_setup_schema($primary, 't');
$primary->safe_psql('postgres', q{
CREATE INDEX t_id ON t (id);
CREATE INDEX t_device ON t (device);
CREATE INDEX t_heap_id ON t_heap (id);
CREATE INDEX t_heap_device ON t_heap (device);
});

sub both
{
	my ($node, $sql) = @_;
	(my $heap_sql = $sql) =~ s/\bt\b/t_heap/g;
	$node->safe_psql('postgres', "$sql; $heap_sql");
	return;
}

# Digest of the rows through the id index (no sequential scan).
sub index_digest
{
	my ($node, $table) = @_;
	return $node->safe_psql(
		'postgres', qq{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || md5(string_agg(id || ',' || coalesce(payload, '<null>'), ';' ORDER BY id))
FROM $table WHERE id BETWEEN 1 AND 100000});
}

$primary->safe_psql('postgres', lsm_insert_sql('t', 1, 20000));
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

my $from = $primary->lsn('insert');
for my $round (1 .. 3)
{
	both($primary, "UPDATE t SET payload = payload || '+$round' WHERE id % 7 = 0");
}
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
both($primary, "UPDATE t SET payload = 'late' WHERE id % 11 = 0");
both($primary, "UPDATE t SET device = device + 5000 WHERE id % 13 = 0");
both($primary, "DELETE FROM t WHERE id % 77 = 0");
$primary->safe_psql('postgres',
	"BEGIN; UPDATE t SET payload = 'aborted' WHERE id % 5 = 0; ROLLBACK;");
my $to = $primary->lsn('flush');
lsm_check_wal_checked($primary, $from, $to, 'in-place updates');

my $nrows = $primary->safe_psql('postgres', 'SELECT count(*) FROM t_heap');
lsm_check_same($primary, 't', $nrows, 'primary after in-place updates');
is(index_digest($primary, 't'), index_digest($primary, 't_heap'),
	'primary: index scans return the newest versions');
is( $primary->safe_psql('postgres',
		"SELECT n_tup_hot_upd > 0 FROM pg_stat_user_tables WHERE relname = 't'"),
	't', 'in-place updates are counted as HOT updates');

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(lsm_digest($standby, 't'), lsm_digest($primary, 't_heap'),
	'standby returns the oracle rows');
is(index_digest($standby, 't'), index_digest($primary, 't_heap'),
	'standby: index scans return the newest versions');
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $to);

# A compaction drops replaced versions; the standby follows.
$primary->safe_psql('postgres',
	"SELECT lsm_am.flush('t'::regclass); SELECT lsm_am.compact('t'::regclass)");
lsm_check_same($primary, 't', $nrows, 'primary after compaction');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(lsm_digest($standby, 't'), lsm_digest($primary, 't_heap'),
	'standby returns the oracle rows after the compaction');

# Crash with in-place updates only in the memtable.
both($primary, "UPDATE t SET payload = payload || '+crash' WHERE id % 3 = 0");
my $crash_lsn = $primary->lsn('insert');
my $log_offset = -s $primary->logfile;
lsm_kill9_server($primary);
$primary->start;
lsm_check_same($primary, 't', $nrows, 'primary after crash recovery');
is(index_digest($primary, 't'), index_digest($primary, 't_heap'),
	'after crash recovery: index scans return the newest versions');
lsm_check_replay_checked($primary, $log_offset, 'crash recovery', redo_from => $crash_lsn);

# Fetches by a version's TID, and further updates, after recovery.
is( $primary->safe_psql('postgres',
		"SELECT count(*) FROM t WHERE ctid = ANY (SELECT ctid FROM t WHERE id % 3 = 0)"),
	$primary->safe_psql('postgres', "SELECT count(*) FROM t_heap WHERE id % 3 = 0"),
	'every version is found by its own TID');
both($primary, "UPDATE t SET payload = 'after' WHERE id % 3 = 0");
lsm_check_same($primary, 't', $nrows, 'updates after crash recovery');

$standby->stop;
$primary->stop;
done_testing();
