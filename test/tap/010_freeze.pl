# test/tap/010_freeze.pl: VACUUM, freezing and relfrozenxid of an lsm table
# under a long stream of transactions.
#
# An lsm table with a primary key and its heap twin receive the same 200
# transactions, each inserting, updating and deleting rows in both.  Between
# transactions the xid counter is pushed forward (txid_current() in separate
# transactions), VACUUM runs on the lsm table every 20 transactions, and the
# 1MB memtable makes flushes and compactions happen along the way (the
# table compacts L0 at 2 SSTables, so that compactions, which are what
# freezes entries, come every few flushes).
# Afterwards:
#   - the lsm table holds exactly the heap twin's rows (count, sum, md5),
#     through a seq scan and through its primary key, and amcheck finds every
#     row in the index;
#   - age(relfrozenxid) of the lsm table is far below the number of xids
#     consumed since it was created: VACUUM advanced relfrozenxid;
#   - VACUUM (FREEZE) brings age(relfrozenxid) close to 0, and the table
#     still matches and still takes updates and deletes of its frozen rows;
#   - CompactionJob lists finished compactions of the table that dropped
#     keys (old versions and tombstones), and no failed job.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use LsmAmTest;

my $ntx = 200;            # transactions on the table pair
my $vacuum_every = 20;    # VACUUM of the lsm table every that many
my $burn = 40;            # extra xids consumed after each transaction
my $rows_per_tx = 100;    # rows inserted by each transaction

my $node = lsm_new_node('freeze');
$node->start;

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION lsm_am;
CREATE EXTENSION amcheck;
CREATE TABLE f (id int PRIMARY KEY, grp int NOT NULL, v bigint, pad text)
  USING lsm WITH (l0_compaction_trigger = 2);
CREATE TABLE f_heap (id int PRIMARY KEY, grp int NOT NULL, v bigint, pad text) USING heap;
});

# count|sum|md5 of a table's rows in id order.
sub digest
{
	my ($table, $settings) = @_;
	$settings //= '';
	return $node->safe_psql(
		'postgres', qq{
$settings
SELECT count(*) || '|' || coalesce(sum(id), 0) || '|' || coalesce(sum(v), 0) || '|' ||
       md5(coalesce(string_agg(id || ',' || grp || ',' || coalesce(v::text, '<null>') || ',' ||
                               coalesce(pad, '<null>'), ';' ORDER BY id), ''))
FROM $table WHERE id > 0});
}

sub age_relfrozenxid
{
	my ($table) = @_;
	return $node->safe_psql('postgres',
		"SELECT age(relfrozenxid) FROM pg_class WHERE oid = '$table'::regclass");
}

# The same statements, applied to f and to f_heap.
sub both
{
	my ($sql) = @_;
	(my $heap = $sql) =~ s/\bf\b/f_heap/g;
	return "$sql; $heap;";
}

# Transaction I: insert a new id range, update rows spread over the whole
# table (some of them several times over the run, some never flushed before
# being updated again), delete rows spread likewise and a few of the newest.
sub tx_sql
{
	my ($i) = @_;
	my $lo = $i * $rows_per_tx + 1;
	my $hi = $lo + $rows_per_tx - 1;
	return
	    'BEGIN; '
	  . both("INSERT INTO f SELECT g, g % 10, g, CASE WHEN g % 31 = 0 THEN NULL "
		  . "ELSE md5(g::text) || repeat('p', 60) END FROM generate_series($lo, $hi) g")
	  . both("UPDATE f SET v = v + $i, pad = md5((id + $i)::text) WHERE id % 97 = "
		  . ($i % 97))
	  . both("UPDATE f SET grp = grp + 1 WHERE id BETWEEN $lo - 300 AND $lo - 1 AND id % 7 = "
		  . ($i % 7))
	  . both("DELETE FROM f WHERE id % 89 = " . ($i % 89) . " AND id % 3 = 0")
	  . both("DELETE FROM f WHERE id BETWEEN $lo AND $hi AND id % 17 = 0")
	  . 'COMMIT;';
}

my $xid_start = $node->safe_psql('postgres', 'SELECT txid_current()');
my $age_start = age_relfrozenxid('f');
note("xid at start $xid_start, age(relfrozenxid) of f $age_start");

# Initial rows, in the same transaction for both tables.
$node->safe_psql('postgres', tx_sql(0));

my $session = $node->background_psql('postgres', on_error_stop => 1);
my $burn_sql = join(' ', ('SELECT txid_current();') x $burn);
my $t0 = time;
my $vacuums = 0;
my $advances = 0;    # vacuums after which age(relfrozenxid) went down
my $prev_age = $age_start;
for my $i (1 .. $ntx)
{
	$session->query_safe(tx_sql($i));
	$session->query_safe($burn_sql);
	if ($i % $vacuum_every == 0)
	{
		$session->query_safe('VACUUM f');
		$vacuums++;
		my $age = age_relfrozenxid('f');
		$advances++ if $age < $prev_age;
		$prev_age = $age;
		note(sprintf(
				"after tx %d (%.1fs): age(relfrozenxid) of f %s, SSTables %s",
				$i, time - $t0, $age, lsm_sstables($node, 'f')));
	}
}
$session->quit;
my $xid_end = $node->safe_psql('postgres', 'SELECT txid_current()');
my $consumed = $xid_end - $xid_start;
note(sprintf("%d transactions, %d vacuums, %d xids consumed in %.1fs",
		$ntx, $vacuums, $consumed, time - $t0));
cmp_ok($consumed, '>=', $ntx * ($burn + 1), 'the xid counter moved by thousands');

# --- Same rows as the heap twin ----------------------------------------

my $heap = digest('f_heap');
my ($count) = split /\|/, $heap;
cmp_ok($count, '>', 10000, "the heap twin holds $count rows");
is(digest('f'), $heap, 'lsm table matches its heap twin after the loop (seq scan)');
is( digest('f', 'SET enable_seqscan = off; SET enable_bitmapscan = off;'),
	$heap, 'lsm table matches its heap twin after the loop (primary key index scan)');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT bt_index_check('f_pkey', true)) s"),
	'1', 'amcheck: every row of f is in f_pkey');

# --- relfrozenxid advanced -----------------------------------------------

cmp_ok($advances, '>=', 2,
	"relfrozenxid of f advanced during the loop ($advances of $vacuums vacuums lowered its age)");
my $age = age_relfrozenxid('f');
note("age(relfrozenxid) of f after the loop: $age (xids consumed: $consumed)");
cmp_ok($age, '<', $consumed / 2,
	'age(relfrozenxid) of f is well below the xids consumed: VACUUM advanced it');
cmp_ok(
	$node->safe_psql('postgres',
		"SELECT relfrozenxid::text::bigint FROM pg_class WHERE oid = 'f'::regclass"),
	'>', $xid_start, 'relfrozenxid of f moved past the xid of its creation');

# --- VACUUM (FREEZE) -------------------------------------------------------

$node->safe_psql('postgres', 'VACUUM (FREEZE) f');
my $age_frozen = age_relfrozenxid('f');
note("age(relfrozenxid) of f after VACUUM (FREEZE): $age_frozen");
cmp_ok($age_frozen, '<=', 10, 'VACUUM (FREEZE) brings age(relfrozenxid) of f close to 0');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM lsm_am.memtables WHERE relation = 'f'::regclass AND entries > 0"),
	'0', 'VACUUM (FREEZE) left no memtable entries of f');
is(digest('f'), digest('f_heap'), 'lsm table matches its heap twin after VACUUM (FREEZE)');
is( digest('f', 'SET enable_seqscan = off; SET enable_bitmapscan = off;'),
	digest('f_heap'), 'the same through the primary key after VACUUM (FREEZE)');

# Frozen rows can still be updated and deleted, and a later plain VACUUM
# keeps relfrozenxid young.
$node->safe_psql('postgres',
	'BEGIN; '
	  . both('UPDATE f SET v = -v WHERE id % 5 = 0')
	  . both('DELETE FROM f WHERE id % 11 = 0')
	  . both("INSERT INTO f VALUES (-1, 0, 0, 'negative')")
	  . 'COMMIT;');
$node->safe_psql('postgres', 'VACUUM f');
is(digest('f'), digest('f_heap'), 'updates and deletes of frozen rows match the heap twin');
is( $node->safe_psql('postgres', 'SELECT pad FROM f WHERE id = -1'),
	'negative', 'a row inserted after the freeze is there');
cmp_ok(age_relfrozenxid('f'), '<', $consumed / 2,
	'age(relfrozenxid) of f stays small after more writes and a VACUUM');

# --- Compaction jobs -------------------------------------------------------

my $jobs = $node->safe_psql(
	'postgres', q{
SELECT count(*) FILTER (WHERE kind = 'flush' AND status = 'done') || '|' ||
       count(*) FILTER (WHERE kind = 'compaction' AND status = 'done') || '|' ||
       count(*) FILTER (WHERE kind = 'compaction' AND status = 'done' AND keys_dropped > 0) || '|' ||
       coalesce(sum(keys_dropped) FILTER (WHERE kind = 'compaction' AND status = 'done'), 0) || '|' ||
       count(*) FILTER (WHERE status = 'failed')
FROM CompactionJob WHERE relation = 'f'::regclass});
note("CompactionJob for f: flushes|compactions|compactions dropping keys|keys dropped|failed = $jobs");
my ($flushes, $compactions, $dropping, $dropped, $failed) = split /\|/, $jobs;
cmp_ok($flushes, '>=', 2, 'several flushes of f are listed in CompactionJob');
cmp_ok($compactions, '>=', 1, 'compactions of f are listed in CompactionJob');
cmp_ok($dropping, '>=', 1, 'some compactions of f dropped keys (keys_dropped > 0)');
cmp_ok($dropped, '>', 0, "compactions of f dropped $dropped keys in all");
is($failed, '0', 'no flush or compaction job of f failed');

note(sprintf('total time %.1fs', time - $t0));
$node->stop;
done_testing();
