# test/tap/006_compaction_crash.pl: a crash in the middle of a compaction.
#
# A compaction writes its output SSTables first (into blocks reserved in a
# logged metapage change) and then switches the manifest from inputs to
# outputs in one WAL record.  A crash between the two must leave the inputs
# authoritative: the table returns exactly its rows (compared with a heap
# twin, see LsmAmTest.pm), SSTableMeta lists the SSTables of before, and
# the next start gives the orphaned output blocks back to the free list
# ("N unreferenced blocks returned to the free list" in the server log),
# so that later compactions reuse them instead of growing the relation.
#
# lsm_am.debug_compaction_pause holds a compaction after its outputs are
# written, before the switch, showing "lsm_am: compaction paused before
# switch" in pg_stat_activity.query; the test crashes the server there.
# Case 1 stops it in immediate mode while the outputs were written by
# extending the relation; case 2 SIGKILLs it while they were written into
# blocks taken off the free list.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('compaction_crash');
$node->start;
lsm_setup_schema($node, 't');

# No automatic compaction of t (a level-0 trigger it never reaches, levels
# that hold everything): only the compactions started here run.  Small
# output files, so that a compaction writes several.
$node->safe_psql('postgres',
	"ALTER TABLE t SET (l0_compaction_trigger = 64, level_base_size = 65536, target_file_size = 256)"
);

# A committed transaction makes the WAL written before it durable: the
# compaction's block reservation must reach disk before each crash, or
# there would be nothing to sweep (a lost reservation leaves its blocks on
# the free list, which is correct too, but not what is tested here).
$node->safe_psql('postgres', 'CREATE TABLE wal_flush (x int)');
sub flush_wal
{
	my ($node) = @_;
	$node->safe_psql('postgres', 'INSERT INTO wal_flush VALUES (1)');
	return;
}

my $meta_sql = q{
SELECT string_agg(id || ':' || level || ':' || entries, ',' ORDER BY id)
FROM SSTableMeta WHERE relation = 't'::regclass};
my $stats_sql = q{
SELECT sstables, entries, sstable_bytes, free_bytes, relation_bytes
FROM lsm_am.relation_stats WHERE relation = 't'::regclass};

sub relstats
{
	my ($node) = @_;
	my @v = split /\|/, $node->safe_psql('postgres', $stats_sql);
	my %s;
	@s{qw(sstables entries sstable_bytes free_bytes relation_bytes)} = @v;
	note(join(', ', map { "$_ = $s{$_}" } sort keys %s));
	return \%s;
}

# Start lsm_am.compact('t', $level) in a new session with the pause set,
# and wait until it is paused before its switch.  Returns the session.
sub start_paused_compaction
{
	my ($node, $level) = @_;
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	$bg->query_safe("SET lsm_am.debug_compaction_pause = '600s'");
	$bg->query_until(qr/started/,
		"\\echo started\nSELECT lsm_am.compact('t', $level);\n");
	ok( $node->poll_query_until(
			'postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
WHERE query LIKE 'lsm_am: compaction paused before switch%'}),
		'the compaction pauses before its switch');
	is( $node->safe_psql(
			'postgres', q{
SELECT count(*) FROM CompactionJob
WHERE relation = 't'::regclass AND status = 'running' AND kind = 'compaction'}),
		'1',
		'CompactionJob shows the paused compaction as running');
	return $bg;
}

# Rows in several committed batches, one rolled-back batch whose rows were
# flushed while its transaction was open (compaction would drop them),
# everything flushed: about ten level-0 SSTables.
for my $i (0 .. 5)
{
	my $lo = 1 + $i * 10000;
	$node->safe_psql('postgres', lsm_insert_sql('t', $lo, $lo + 9999));
}
$node->safe_psql('postgres',
	"BEGIN; " . lsm_insert_sql('t', 1000001, 1010000) . " SELECT lsm_am.flush('t'); ROLLBACK;");
$node->safe_psql('postgres', "SELECT lsm_am.flush('t')");
lsm_check_same($node, 't', 60000, 'before the compaction');
cmp_ok(lsm_sstables($node, 't'), '>', 3, 't has several SSTables');
is($node->safe_psql('postgres', "SELECT max(level) FROM SSTableMeta WHERE relation = 't'::regclass"),
	'0', 'all of them in level 0');

# --- Case 1: immediate shutdown during a compaction that extended t ---

my $meta_before = $node->safe_psql('postgres', $meta_sql);
my $before = relstats($node);

my $bg = start_paused_compaction($node, 'NULL');
my $during = relstats($node);
cmp_ok($during->{relation_bytes}, '>', $before->{relation_bytes},
	'the paused compaction has written its outputs (t grew)');
is($node->safe_psql('postgres', $meta_sql),
	$meta_before, 'the manifest still lists the inputs while paused');
lsm_check_same($node, 't', 60000, 'while the compaction is paused');

my $log_offset = -s $node->logfile;
flush_wal($node);
$node->stop('immediate');
eval { $bg->quit; };
$node->start;

lsm_check_same($node, 't', 60000, 'after a crash during compaction');
is( $node->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id > 1000000'),
	'0', 'rows of the rolled-back transaction stay invisible');
is($node->safe_psql('postgres', $meta_sql),
	$meta_before, 'SSTableMeta lists the SSTables of before the compaction');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM CompactionJob WHERE relation = 't'::regclass AND kind = 'compaction'"
	),
	'0',
	'the interrupted compaction is neither running nor in the history');

# The first reader of t after the restart swept the outputs back.
$node->wait_for_log(
	qr/lsm relation "t": \d+ unreferenced blocks returned to the free list/,
	$log_offset);
my ($swept) = slurp_file($node->logfile, $log_offset) =~
  /lsm relation "t": (\d+) unreferenced blocks returned to the free list/;
my $after_crash = relstats($node);
cmp_ok($swept * 8192, '>=', $during->{relation_bytes} - $before->{relation_bytes},
	'the sweep returned every block the compaction had added');
cmp_ok($after_crash->{free_bytes}, '>=', $swept * 8192,
	'relation_stats free_bytes covers the swept blocks');
is($after_crash->{relation_bytes}, $during->{relation_bytes},
	'the relation keeps its size (its blocks are free, not truncated)');
is($after_crash->{sstable_bytes}, $before->{sstable_bytes},
	'sstable_bytes is that of the inputs');

# A restart finds nothing more to sweep.
$log_offset = -s $node->logfile;
$node->restart;
lsm_check_same($node, 't', 60000, 'after a clean restart');
ok( !(slurp_file($node->logfile, $log_offset) =~ /unreferenced blocks returned/),
	'a clean restart sweeps nothing');

# The same compaction, uninterrupted, reuses the swept blocks: the
# relation does not grow.
is($node->safe_psql('postgres', "SELECT lsm_am.compact('t')"),
	'1', 'the compaction runs again');
my $first = relstats($node);
is($first->{entries}, '60000', 'the aborted rows are gone after compaction');
is($node->safe_psql('postgres',
	"SELECT count(DISTINCT level) || ':' || min(level) FROM SSTableMeta WHERE relation = 't'::regclass"),
	'1:1', 'one sorted run in level 1');
cmp_ok($first->{relation_bytes}, '<=', $after_crash->{relation_bytes},
	'the compaction after the crash wrote into the swept blocks');
lsm_check_same($node, 't', 60000, 'after the compaction');
is( $node->safe_psql(
		'postgres', q{
SELECT keys_in || ':' || keys_dropped FROM CompactionJob
WHERE relation = 't'::regclass AND kind = 'compaction' AND status = 'done'}),
	'70000:10000',
	'the compaction read every entry and dropped the aborted ones');

# A second full compaction of the same rows: no leak, the relation stays
# within the space the first left (outputs + the inputs' freed blocks).
is($node->safe_psql('postgres', "SELECT lsm_am.compact('t')"),
	'1', 'a second full compaction');
my $second = relstats($node);
cmp_ok($second->{relation_bytes}, '<=', $first->{relation_bytes} + $first->{sstable_bytes},
	'the second compaction grows the relation by less than one copy');
is($node->safe_psql('postgres', "SELECT lsm_am.compact('t')"),
	'1', 'a third full compaction');
my $third = relstats($node);
is($third->{relation_bytes}, $second->{relation_bytes},
	'the third compaction does not grow the relation');
lsm_check_same($node, 't', 60000, 'after repeated compactions');

# --- Case 2: SIGKILL during a compaction that reused free blocks ------

# New rows in level 0, then level 0 into level 1 with a pause: its
# outputs go into free blocks.
$node->safe_psql('postgres', lsm_insert_sql('t', 60001, 70000));
$node->safe_psql('postgres', "SELECT lsm_am.flush('t')");
$meta_before = $node->safe_psql('postgres', $meta_sql);
$before = relstats($node);
cmp_ok($before->{free_bytes}, '>', 0, 't has free space');

$bg = start_paused_compaction($node, '0');
$during = relstats($node);
cmp_ok($during->{free_bytes}, '<', $before->{free_bytes},
	'the paused compaction took blocks off the free list');

$log_offset = -s $node->logfile;
flush_wal($node);
lsm_kill9_server($node);
eval { $bg->quit; };
$node->start;

lsm_check_same($node, 't', 70000, 'after SIGKILL during compaction');
is($node->safe_psql('postgres', $meta_sql),
	$meta_before, 'SSTableMeta lists the SSTables of before the compaction');
$node->wait_for_log(
	qr/lsm relation "t": \d+ unreferenced blocks returned to the free list/,
	$log_offset);
my $after_kill = relstats($node);
is($after_kill->{free_bytes}, $before->{free_bytes},
	'the free space is what it was before the compaction');
is($after_kill->{relation_bytes}, $before->{relation_bytes},
	'the relation did not grow');

# Compaction works as before, and everything still adds up.
is($node->safe_psql('postgres', "SELECT lsm_am.compact('t')"),
	'1', 'a full compaction after the SIGKILL');
lsm_check_same($node, 't', 70000, 'after the last compaction');
is( $node->safe_psql(
		'postgres', q{
SELECT space_amplification = 1 AND relation_bytes >= sstable_bytes + free_bytes
FROM lsm_am.relation_stats WHERE relation = 't'::regclass}),
	't',
	'one sorted run; SSTables and free space fit in the relation');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM SSTableMeta a JOIN SSTableMeta b
  ON a.relation = b.relation AND a.id < b.id
 AND a.min_key <= b.max_key AND b.min_key <= a.max_key
WHERE a.relation = 't'::regclass}),
	'0',
	'no two SSTables overlap');

# The crash recoveries above ran with wal_consistency_checking (LsmAmTest.pm).
lsm_check_replay_checked($node, 0, 'crash recoveries');

$node->stop;
done_testing();
