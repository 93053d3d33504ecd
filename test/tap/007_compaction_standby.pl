# test/tap/007_compaction_standby.pl: compactions replayed on a streaming
# standby.
#
# Compaction outputs are logged as page images and the switch from inputs
# to outputs as one XLOG_LSM_COMPACT record carrying the metapage; trivial
# moves only change levels in it.  After catch-up a standby must list the
# same SSTables as the primary (level, entries, blocks) and return the same
# rows, also while one of its scans is open across a replayed compaction,
# and after a restart.  Compacting is refused on the standby.  The primary
# runs with wal_consistency_checking (LsmAmTest.pm): the standby compares
# each page its redo produces with the primary's image, and must replay
# without "inconsistent page found".

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

# Small levels and files, so that the workers' automatic compactions and
# ours spread the rows over several levels.
$primary->safe_psql('postgres',
	"ALTER TABLE t SET (l0_compaction_trigger = 2, level_base_size = 256, level_multiplier = 4, target_file_size = 128)"
);

# Before the backup: some rows, flushed and compacted.
$primary->safe_psql('postgres', lsm_insert_sql('t', 1, 20000));
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t')");
$primary->safe_psql('postgres', "SELECT lsm_am.compact('t')");

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# fetch up to lim rows of cursor c: "count|sum of ids"
$primary->safe_psql(
	'postgres', q{
CREATE FUNCTION cursor_fetch(c refcursor, lim bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n bigint := 0;
  s bigint := 0;
BEGIN
  WHILE n < lim LOOP
    FETCH c INTO r;
    EXIT WHEN NOT FOUND;
    n := n + 1;
    s := s + r.id;
  END LOOP;
  RETURN n || '|' || s;
END $$});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

# A scan open on the standby across the compactions replayed below.
my $cursor = $standby->background_psql('postgres', on_error_stop => 0);
$cursor->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$cursor->query_safe('DECLARE c NO SCROLL CURSOR FOR SELECT id FROM t');
is($cursor->query_safe("SELECT cursor_fetch('c', 1000)"),
	'1000|500500', 'a standby cursor fetched the first 1000 rows');

# After the backup: batches, a rolled-back one flushed while open,
# flushes and compactions of every kind.
for my $i (0 .. 5)
{
	my $lo = 20001 + $i * 10000;
	$primary->safe_psql('postgres', lsm_insert_sql('t', $lo, $lo + 9999));
}
$primary->safe_psql('postgres',
	"BEGIN; " . lsm_insert_sql('t', 1000001, 1010000) . " SELECT lsm_am.flush('t'); ROLLBACK;");
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t')");
$primary->safe_psql('postgres', "SELECT lsm_am.compact('t', 0)");
$primary->safe_psql('postgres', "SELECT lsm_am.compact('t', 1)");
$primary->safe_psql('postgres', lsm_insert_sql('t', 80001, 90000));
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t')");

# Let the workers finish their automatic compactions (bounded wait), so
# that the shape compared below is final.
ok( $primary->poll_query_until(
		'postgres', q{
SELECT lsm_am.compact('t', NULL, false) = 0
   AND NOT EXISTS (SELECT FROM CompactionJob WHERE relation = 't'::regclass AND status = 'running')
   AND NOT EXISTS (SELECT FROM lsm_am.level_shape() WHERE relation = 't'::regclass AND score >= 1)}),
	'automatic compaction settles on the primary');
diag($primary->safe_psql('postgres',
	"SELECT level, files, size_bytes, score FROM lsm_am.level_shape() WHERE relation = 't'::regclass ORDER BY level"))
  if !Test::More->builder->is_passing;

lsm_check_same($primary, 't', 90000, 'primary');
my $levels = $primary->safe_psql('postgres',
	"SELECT count(DISTINCT level) FROM SSTableMeta WHERE relation = 't'::regclass");
cmp_ok($levels, '>=', 2, 'the primary has SSTables in several levels');
is( $primary->safe_psql(
		'postgres', q{
SELECT count(*) > 0 FROM CompactionJob
WHERE relation = 't'::regclass AND kind = 'compaction' AND status = 'done' AND trivial_move}),
	't',
	'some compactions were trivial moves');

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

# SSTables: everything but created_at (the time redo ran may differ).
my $meta_sql = q{
SELECT id, level, encode(min_key, 'hex'), encode(max_key, 'hex'), size_bytes,
       entries, tombstones, start_block, end_block
FROM SSTableMeta WHERE relation = 't'::regclass ORDER BY level, min_key};
my $meta_primary = $primary->safe_psql('postgres', $meta_sql);
is($standby->safe_psql('postgres', $meta_sql),
	$meta_primary, 'standby SSTableMeta equals the primary\'s');
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby returns the same rows as the primary (count|sum|md5)');
is( $standby->safe_psql(
		'postgres', q{
SELECT level || ':' || files || ':' || size_bytes FROM lsm_am.level_stats
WHERE relation = 't'::regclass ORDER BY level}),
	$primary->safe_psql(
		'postgres', q{
SELECT level || ':' || files || ':' || size_bytes FROM lsm_am.level_stats
WHERE relation = 't'::regclass ORDER BY level}),
	'standby level_stats shape equals the primary\'s');
is( $standby->safe_psql(
		'postgres',
		"SELECT sstables || ':' || entries || ':' || sstable_bytes FROM lsm_am.relation_stats WHERE relation = 't'::regclass"
	),
	$primary->safe_psql(
		'postgres',
		"SELECT sstables || ':' || entries || ':' || sstable_bytes FROM lsm_am.relation_stats WHERE relation = 't'::regclass"
	),
	'standby relation_stats equals the primary\'s');

# The open cursor returns exactly the rest of its snapshot, ids
# 1001..20000, or -- if the primary reused blocks of an SSTable it was
# reading (the primary cannot see the standby's readers) -- fails with a
# recovery conflict; never other rows.
my ($rest, $failed) = $cursor->query("SELECT cursor_fetch('c', 1000000)");
if ($failed)
{
	like($cursor->{stderr}, qr/canceling statement due to conflict with recovery/,
		'the standby cursor was canceled by a recovery conflict');
}
else
{
	is($rest, '19000|199509500',
		'the standby cursor returned exactly the rest of its snapshot');
}
eval { $cursor->quit; };

# Compacting is refused during recovery.
my ($rc, $out, $err) = $standby->psql('postgres', "SELECT lsm_am.compact('t')");
isnt($rc, 0, 'lsm_am.compact fails on a standby');
# (a full compaction flushes first, so the flush may be what refuses)
like($err, qr/cannot compact lsm relations during recovery/, 'with a clear error');

# More compactions after catch-up, then a standby restart.
$primary->safe_psql('postgres', "SELECT lsm_am.compact('t')");
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', $meta_sql),
	$primary->safe_psql('postgres', $meta_sql),
	'standby SSTableMeta equals the primary\'s after a full compaction');
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby rows equal the primary\'s after a full compaction');

$standby->restart;
my $from = $primary->lsn('insert');
$primary->safe_psql('postgres', lsm_insert_sql('t', 90001, 91000));
my $to = $primary->lsn('flush');
lsm_check_wal_checked($primary, $from, $to, 'inserts after the standby restart');
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t')");
$primary->safe_psql('postgres', "SELECT lsm_am.compact('t', 0)");
my $end = $primary->lsn('insert');
$primary->wait_for_catchup($standby, 'replay', $end);
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $end);
lsm_check_same($primary, 't', 91000, 'primary at the end');
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby rows equal the primary\'s after a standby restart');
is($standby->safe_psql('postgres', $meta_sql),
	$primary->safe_psql('postgres', $meta_sql),
	'standby SSTableMeta equals the primary\'s after a standby restart');

$standby->stop;
$primary->stop;
done_testing();
