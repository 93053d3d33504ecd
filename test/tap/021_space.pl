# test/tap/021_space.pl: free space goes back to the operating system.
#
# A compaction that rewrites a whole level writes the new copy before it
# frees the old, so the file holds both; when the old copy was at the
# start of the file, its space is free but not at the end.  VACUUM moves
# SSTables from the end of the file into that free space (page copies,
# logged; a manifest edit per SSTable) and cuts the free tail off
# (AccessExclusiveLock taken without waiting, as heap's VACUUM).  Checked:
# the file shrinks to within 1.3x its SSTable bytes; a cursor opened
# before the move reads on, from the old copies, while the truncation
# waits for it (no lock, no cut); every row reads back through the table
# and its lsm index, on the primary and on a standby replaying the moves
# with wal_consistency_checking (LsmAmTest.pm); a restart sweeps nothing.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('space', allows_streaming => 1);
$node->start;
lsm_setup_schema($node, 'sp');
$node->safe_psql('postgres', q{
ALTER TABLE sp SET (target_file_size = 256, level_base_size = 1048576, l0_compaction_trigger = 64);
CREATE INDEX sp_dev ON sp USING lsm (device, id) WITH (target_file_size = 256, level_base_size = 1048576);
});
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('space_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;

sub stats
{
	my ($on) = @_;
	return $on->safe_psql('postgres',
		"SELECT relation_bytes || ':' || round(relation_bytes::numeric / sstable_bytes, 2) || ':' || "
		  . "(relation_bytes - sstable_bytes - memtable_log_bytes - free_bytes - manifest_bytes) "
		  . "FROM lsm_am.relation_stats WHERE relation = 'sp'::regclass");
}

sub vacuum_detail
{
	my ($ret, $out, $err) = $node->psql('postgres', 'VACUUM (VERBOSE) sp');
	is($ret, 0, 'VACUUM runs') or diag($err);
	my ($moved, $cut) = $err =~ /(\d+) SSTables moved towards the start of their files, (\d+) blocks truncated/;
	return ($moved // -1, $cut // -1);
}

# Level 1 written, then rewritten in full by an UPDATE of every row (the
# rows keep their row ids: the new level-0 SSTable overlaps all of level
# 1): the new copy lands after the old one, whose blocks are then free.
$node->safe_psql('postgres', lsm_insert_sql('sp', 1, 60000));
$node->safe_psql('postgres', "SELECT lsm_am.flush('sp'); SELECT lsm_am.compact('sp')");
$node->safe_psql('postgres', q{
BEGIN;
UPDATE sp SET payload = payload || '+' WHERE payload IS NOT NULL;
UPDATE sp_heap SET payload = payload || '+' WHERE payload IS NOT NULL;
COMMIT;
});
$node->safe_psql('postgres', "SELECT lsm_am.flush('sp'); SELECT lsm_am.compact('sp')");
my ($bytes0, $amp0, $unacc0) = split /:/, stats($node);
cmp_ok($amp0, '>', 1.6, "after the rewrite the file is $amp0 times its SSTable bytes");
is($unacc0, 0, 'every block is accounted for');

# A reader opened before the move keeps reading the old copies; the
# truncation needs a lock the reader's session holds, so nothing is cut.
my $cursor = $node->background_psql('postgres');
$cursor->query_safe('BEGIN');
$cursor->query_safe('DECLARE c CURSOR FOR SELECT id FROM sp ORDER BY id');
is($cursor->query_safe('FETCH 3 FROM c'), "1\n2\n3", 'a cursor reads before the move');
my ($moved, $cut) = vacuum_detail();
cmp_ok($moved, '>', 0, "VACUUM moved $moved SSTables towards the start of the file");
is($cut, 0, 'nothing is cut while another session reads the table');
is($cursor->query_safe('FETCH 2 FROM c'), "4\n5", 'the cursor reads on after the move');
is($cursor->query_safe('SELECT count(*) FROM sp'), '60000', '... and its session reads every row');
$cursor->query_safe('COMMIT');
$cursor->quit;

# With the reader gone its old version's blocks are free: a worker gives
# them back when its view closes and may cut the tail itself before
# VACUUM does; either way the file shrinks.
my ($bytes_mid) = split /:/, stats($node);
($moved, $cut) = vacuum_detail();
ok($cut > 0 || $bytes_mid < $bytes0,
	"with the reader gone the tail is cut (by VACUUM: $cut blocks; file $bytes0 -> $bytes_mid bytes before it)");
my ($bytes1, $amp1, $unacc1) = split /:/, stats($node);
cmp_ok($amp1, '<=', 1.3, "the file is now $amp1 times its SSTable bytes ($bytes0 -> $bytes1 bytes)");
is($unacc1, 0, 'every block is still accounted for');
lsm_check_same($node, 'sp', 60000, 'after the moves and the cut');
my $idx = q{SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || ':' || sum(id) FROM sp WHERE device BETWEEN 10 AND 500};
my $want = $node->safe_psql('postgres',
	"SELECT count(*) || ':' || sum(id) FROM sp_heap WHERE device BETWEEN 10 AND 500");
is($node->safe_psql('postgres', $idx), $want, 'the lsm index finds the same rows');

my $lsn = $node->lsn('insert');
$node->wait_for_catchup($standby, 'replay', $lsn);
is(lsm_digest($standby, 'sp'), lsm_digest($node, 'sp_heap'), 'the standby reads every row');
is($standby->safe_psql('postgres', $idx), $want, 'the standby reads the index');
is(stats($standby), stats($node), 'the standby has the same file and SSTables');
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $lsn);

my $offset = -s $node->logfile;
$node->restart;
lsm_check_same($node, 'sp', 60000, 'after a restart');
unlike(slurp_file($node->logfile, $offset), qr/unreferenced blocks returned/,
	'the restart finds no unreferenced block');

$standby->stop;
$node->stop;
done_testing();
