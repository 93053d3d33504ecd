# test/tap/020_many_sstables.pl: a relation with thousands of SSTables.
#
# The manifest spans pages: the metapage lists manifest pages, and each
# flush or compaction writes the pages it changes afresh and switches the
# directory in one logged metapage image.  A table and an lsm index with
# 64 kB SSTables (target_file_size = 64) grow far past the 82 SSTables a
# single-page manifest held; every row must read back, through the table
# and the index, on the primary, on a streaming standby (replaying the
# multi-page switches with wal_consistency_checking, LsmAmTest.pm), after
# a kill -9 in the middle of compactions, and after a clean restart whose
# sweep finds nothing unreferenced.  Every block of the relation must be
# accounted for (metapage, manifest pages, SSTables, log pages, free) once
# no reader holds an older version of the manifest.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('many', allows_streaming => 1);
$node->append_conf('postgresql.conf', "lsm_am.memtable_size = '4MB'\n");
$node->start;
lsm_setup_schema($node, 'ms');
$node->safe_psql('postgres', q{
ALTER TABLE ms SET (target_file_size = 64, level_base_size = 1048576, compression = 'none');
CREATE INDEX ms_dev ON ms USING lsm (device, id)
  WITH (target_file_size = 64, level_base_size = 1048576, compression = 'none');
CREATE INDEX ms_heap_dev ON ms_heap (device, id);
});
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('many_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;

my $rows = 0;
sub load
{
	my ($n) = @_;
	for (1 .. $n / 50000)
	{
		$node->safe_psql('postgres', lsm_insert_sql('ms', $rows + 1, $rows + 50000));
		$rows += 50000;
	}
	return;
}

sub relation_counts
{
	my ($on, $rel) = @_;
	return $on->safe_psql('postgres',
		"SELECT sstables || ':' || manifest_bytes / 8192 || ':' || "
		  . "(relation_bytes - sstable_bytes - memtable_log_bytes - free_bytes - manifest_bytes) "
		  . "FROM lsm_am.relation_stats WHERE relation = '$rel'::regclass");
}

# Blocks neither listed, free, log pages nor manifest pages are the inputs
# of switches that a reader (autovacuum's ANALYZE, say) still holds an
# older version for, given back by a worker when it closes
# (lsm_manifest_reclaim), or blocks a worker's flush or compaction has
# reserved and not yet switched in.  Wait until none are left: 0, or what
# was still unaccounted when the wait gave up.
sub unaccounted_settles
{
	my ($rel) = @_;
	return 0
	  if $node->poll_query_until('postgres',
		"SELECT relation_bytes - sstable_bytes - memtable_log_bytes - free_bytes - manifest_bytes "
		  . "FROM lsm_am.relation_stats WHERE relation = '$rel'::regclass", '0');
	my (undef, undef, $u) = split /:/, relation_counts($node, $rel);
	return $u;
}

# A standby query that replay cancels is run again: the primary's workers
# cut free tails off the table and the index under AccessExclusiveLock,
# which a standby replays and which a query holding the other relation's
# lock can deadlock with (README Limitations).  Other errors fail.
sub on_standby
{
	my ($what) = @_;
	for my $try (1 .. 10)
	{
		my $r = eval { $what->() };
		return $r if defined $r;
		die $@ unless $@ =~ /deadlock detected|conflict with recovery/;
		diag("a standby query was canceled by replay (try $try), running it again");
		sleep 1;
	}
	die 'standby queries were canceled by replay ten times';
}

sub index_digest
{
	my ($on, $table) = @_;
	return $on->safe_psql('postgres', qq{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) || '|' || md5(string_agg(id::text, ',' ORDER BY device, id))
FROM (SELECT device, id FROM $table WHERE device BETWEEN 100 AND 199 ORDER BY device, id) s});
}

sub check_all
{
	my ($what) = @_;
	lsm_check_same($node, 'ms', $rows, $what);
	is(index_digest($node, 'ms'), index_digest($node, 'ms_heap'),
		"$what: an index scan of the lsm index returns what the btree returns");
	return;
}

# ---- 1. Thousands of SSTables.
load(600000);
$node->safe_psql('postgres', "SELECT lsm_am.flush('ms'); SELECT lsm_am.compact('ms')");
$node->safe_psql('postgres', "SELECT lsm_am.flush('ms_dev'); SELECT lsm_am.compact('ms_dev')");
load(500000);
$node->safe_psql('postgres', "SELECT lsm_am.flush('ms'); SELECT lsm_am.compact('ms')");
$node->safe_psql('postgres', "SELECT lsm_am.flush('ms_dev'); SELECT lsm_am.compact('ms_dev')");
my ($nssts, $npages) = split /:/, relation_counts($node, 'ms');
cmp_ok($nssts, ">", 2000, "the table has $nssts SSTables (a one-page manifest held 82)");
cmp_ok($npages, '>', 10, "... listed by $npages manifest pages and the metapage");
is(unaccounted_settles('ms'), 0, '... and every block of the table is accounted for');
is($node->safe_psql('postgres', "SELECT count(*) FROM SSTableMeta WHERE relation = 'ms'::regclass"),
	$nssts, 'SSTableMeta lists every SSTable of the table');
my ($inssts, $inpages) = split /:/, relation_counts($node, 'ms_dev');
cmp_ok($inssts, ">", 300, "the index has $inssts SSTables");
is(unaccounted_settles('ms_dev'), 0, '... and every block of the index is accounted for');
check_all('thousands of SSTables');

# ---- 2. The standby replays the multi-page switches.
my $lsn = $node->lsn('insert');
$node->wait_for_catchup($standby, 'replay', $lsn);
is(on_standby(sub { lsm_digest($standby, 'ms') }), lsm_digest($node, 'ms_heap'),
	'the standby reads every row of the table');
is(on_standby(sub { index_digest($standby, 'ms') }), index_digest($node, 'ms_heap'),
	'the standby reads the index');
# (SSTables and manifest pages only: a worker may cut a free tail after
# the LSN waited for, and the standby's file is then longer for a while)
sub listed { my ($n, $p) = split /:/, relation_counts($_[0], 'ms'); return "$n:$p"; }
is(on_standby(sub { listed($standby) }), listed($node),
	'the standby lists the same SSTables and manifest pages');
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $lsn);

# ---- 3. kill -9 while compactions rewrite the manifest.
$node->safe_psql('postgres', q{
BEGIN;
UPDATE ms SET payload = payload || 'x' WHERE id % 7 = 0;
UPDATE ms_heap SET payload = payload || 'x' WHERE id % 7 = 0;
COMMIT;
});
$node->safe_psql('postgres', "SELECT lsm_am.flush('ms', false); SELECT lsm_am.flush('ms_dev', false)");
# let the workers start their compactions
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM CompactionJob WHERE relation IN ('ms'::regclass, 'ms_dev'::regclass)")
  or diag('no compaction was seen running');
lsm_kill9_server($node);
$node->start;
check_all('after kill -9 during compactions');
$node->safe_psql('postgres', "SELECT lsm_am.compact('ms'); SELECT lsm_am.compact('ms_dev')");
check_all('after compacting again');
for my $rel ('ms', 'ms_dev')
{
	is(unaccounted_settles($rel), 0,
		"$rel: every block is accounted for after the crash and the sweep");
}

# ---- 4. A clean restart sweeps nothing.
my $offset = -s $node->logfile;
$node->restart;
check_all('after a clean restart');
unlike(slurp_file($node->logfile, $offset), qr/unreferenced blocks returned/,
	'a clean restart finds no unreferenced block');
$lsn = $node->lsn('insert');
$node->wait_for_catchup($standby, 'replay', $lsn);
is(on_standby(sub { lsm_digest($standby, 'ms') }), lsm_digest($node, 'ms_heap'),
	'the standby after the crash and the restart');
lsm_check_replay_checked($standby, 0, 'standby at the end', replayed_upto => $lsn);

$standby->stop;
$node->stop;
done_testing();
