# test/tap/015_consistency_fpw_off.pl: wal_consistency_checking of a crash
# recovery that replays onto pages read from disk.
#
# With full_page_writes = off, the first change of a page after a checkpoint
# carries no full-page image to restore, so crash recovery redoes the
# records on the pages as the last checkpoint wrote them, and (with
# wal_consistency_checking, on for every node of LsmAmTest.pm) compares the
# result with the image each record carries for verification.  A compaction
# that shortens the metapage's directory of manifest pages leaves the old
# block numbers past pd_lower (lsm_meta_set_lower only moves pd_lower), and
# the checkpoint writes them; the images leave that unused space out
# (zeros).  lsm_mask masks it: without that, this recovery stops with FATAL
# "inconsistent page found" on block 0.  Here the recovery must replay the
# memtable inserts (log pages and metapage deltas) after such a compaction,
# find every page consistent, and give back exactly the committed rows.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('fpw_off');
$node->append_conf('postgresql.conf', "full_page_writes = off\n");
$node->start;
lsm_setup_schema($node, 't');
$node->safe_psql('postgres', 'CREATE EXTENSION pageinspect');

# Compacted into outputs of 64 kB, the table's SSTables fill more than one
# manifest page (92 entries each); compacted again into large outputs, they
# fit one: the directory shrinks.
sub manifest_pages
{
	return $node->safe_psql('postgres',
		"SELECT manifest_bytes / 8192 - 1 FROM lsm_am.relation_stats WHERE relation = 't'::regclass");
}
$node->safe_psql('postgres',
	"ALTER TABLE t SET (l0_compaction_trigger = 64, target_file_size = 64, compression = 'none')");
$node->safe_psql('postgres', lsm_insert_sql('t', 1, 60000));
$node->safe_psql('postgres', "SELECT lsm_am.flush('t')");
$node->safe_psql('postgres', "SELECT lsm_am.compact('t')");
cmp_ok(lsm_sstables($node, 't'), '>', 92, 'more than a manifest page of SSTables ('
	  . lsm_sstables($node, 't') . ')');
cmp_ok(manifest_pages(), '>=', 2, 'listed by several manifest pages');
$node->safe_psql('postgres', 'ALTER TABLE t SET (target_file_size = 65536)');
$node->safe_psql('postgres', "SELECT lsm_am.compact('t')");
is(manifest_pages(), '1', 'one manifest page after compacting into large outputs');

# The checkpoint writes the metapage with the old entries past pd_lower.
$node->safe_psql('postgres', 'CHECKPOINT');
cmp_ok(
	$node->safe_psql(
		'postgres', q{
SELECT count(*) FROM page_header(get_raw_page('t', 0)) h,
       generate_series(h.lower, 8191) i
WHERE get_byte(get_raw_page('t', 0), i) <> 0}),
	'>', 0,
	'the metapage holds old bytes in its unused space');

# Memtable inserts after the checkpoint: log pages and metapage deltas,
# none of them with a full-page image to restore.
my $from = $node->lsn('insert');
$node->safe_psql('postgres', lsm_insert_sql('t', 60001, 62000));
lsm_check_wal_checked($node, $from, $node->lsn('flush'), 'memtable inserts');
is( $node->safe_psql(
		'postgres', qq{
SELECT count(*) FROM pg_get_wal_records_info('$from', pg_current_wal_flush_lsn())
WHERE resource_manager = 'lsm_am' AND block_ref ~ 'blk 0 .?FPW for WAL verification'}),
	$node->safe_psql(
		'postgres', qq{
SELECT count(*) FROM pg_get_wal_records_info('$from', pg_current_wal_flush_lsn())
WHERE resource_manager = 'lsm_am' AND record_type = 'NEW_LOGPAGE'}),
	'every NEW_LOGPAGE record checks the metapage');

my $log_offset = -s $node->logfile;
lsm_kill9_server($node);
my $started = $node->start(fail_ok => 1);
ok($started, 'crash recovery completes');
if (!$started)
{
	unlike(slurp_file($node->logfile, $log_offset), qr/inconsistent page found/,
		'crash recovery: no "inconsistent page found" in the log');
	done_testing();
	exit;
}
lsm_check_replay_checked($node, $log_offset, 'crash recovery', redo_from => $from);
lsm_check_same($node, 't', 62000, 'after crash recovery');

$node->stop;
done_testing();
