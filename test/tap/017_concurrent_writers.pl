# test/tap/017_concurrent_writers.pl: concurrent writers of one table and
# its indexes against a model, with flushes, compactions, a crash and a
# streaming standby.
#
# Three pgbench clients run randomized transactions (pgbench's random(),
# a different seed each run, printed) that write the same rows, in the
# same statement, into
#   cw   an lsm table with a non-unique lsm index on k, a two-column lsm
#        index on (g, k DESC) and a unique lsm index on id,
#   cwn  an lsm table without unique indexes, with an lsm index on k and a
#        btree on (g, k): its new rows wait in the writers' batches too
#        (lsm_am.write_batch_rows), while the btree already names them and
#        its scans and page cleanups ask the table whether they are dead,
#   hw   a heap table with a non-unique lsm index on k,
#   cwh  a heap table with btree indexes: the model;
# inserts of 1..300 rows (and a rolled-back savepoint of 50 more), updates
# that change k (a new row id, new index entries), deletes, and now and
# then a flush or a compaction of an index.  Entries of the non-unique
# indexes wait in each writer's batch until it commits, the unique index's
# are written at once, and writers of one index interleave in its memtable.
# Then every index is read in both directions and must return exactly the
# model's rows (count, sums and the keys in index order); on the primary
# after the run, on the standby after it caught up (replaying with
# wal_consistency_checking), after kill -9 of the primary in the middle of
# a run and crash recovery, and after more writing.  Last, rows held back
# when the server dies, whose TIDs a btree index already logged: after
# recovery no new row may take those TIDs (the index would return it).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $primary = lsm_new_node('primary', allows_streaming => 1);
$primary->append_conf('postgresql.conf', "max_connections = 30\n");
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION lsm_am;
CREATE SEQUENCE cw_id;
CREATE TABLE cw (id bigint, k bigint, g int, p text) USING lsm;
CREATE INDEX cw_k ON cw USING lsm (k);
CREATE INDEX cw_gk ON cw USING lsm (g, k DESC);
CREATE UNIQUE INDEX cw_pk ON cw USING lsm (id);
CREATE TABLE cwn (id bigint, k bigint, g int, p text) USING lsm;
CREATE INDEX cwn_k ON cwn USING lsm (k);
CREATE INDEX cwn_gk ON cwn USING btree (g, k);
CREATE TABLE hw (id bigint, k bigint, g int, p text);
CREATE INDEX hw_k ON hw USING lsm (k);
CREATE TABLE cwh (id bigint PRIMARY KEY, k bigint, g int, p text);
CREATE INDEX cwh_k ON cwh (k);
});

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

my $dir = PostgreSQL::Test::Utils::tempdir;
my %scripts = (
	'ins.sql' => q{
\set n random(1, 300)
\set m random(1, 1000000)
BEGIN;
WITH i AS (INSERT INTO cw SELECT nextval('cw_id'), (g * :m) % 5000, g % 10, md5(g::text)
             FROM generate_series(1, :n) g RETURNING *),
     h AS (INSERT INTO hw SELECT * FROM i RETURNING 1),
     n AS (INSERT INTO cwn SELECT * FROM i RETURNING 1)
INSERT INTO cwh SELECT * FROM i;
SAVEPOINT s;
INSERT INTO cw SELECT nextval('cw_id'), -1, -1, 'rolled back' FROM generate_series(1, 50);
INSERT INTO hw SELECT nextval('cw_id'), -1, -1, 'rolled back' FROM generate_series(1, 50);
INSERT INTO cwn SELECT nextval('cw_id'), -1, -1, 'rolled back' FROM generate_series(1, 50);
ROLLBACK TO s;
COMMIT;
},
	'upd.sql' => q{
\set a random(1, 40000)
\set d random(1, 100)
WITH u AS (UPDATE cw SET k = k + :d WHERE id BETWEEN :a AND :a + 30 RETURNING id, k),
     uh AS (UPDATE hw SET k = u.k FROM u WHERE hw.id = u.id RETURNING 1),
     un AS (UPDATE cwn SET k = u.k FROM u WHERE cwn.id = u.id RETURNING 1)
UPDATE cwh SET k = u.k FROM u WHERE cwh.id = u.id;
},
	'del.sql' => q{
\set a random(1, 40000)
WITH d AS (DELETE FROM cw WHERE id BETWEEN :a AND :a + 10 RETURNING id),
     dh AS (DELETE FROM hw WHERE id IN (SELECT id FROM d) RETURNING 1),
     dn AS (DELETE FROM cwn WHERE id IN (SELECT id FROM d) RETURNING 1)
DELETE FROM cwh WHERE id IN (SELECT id FROM d);
},
	'flush.sql' => q{
\set r random(1, 4)
SELECT CASE :r WHEN 1 THEN lsm_am.flush('cw_k') WHEN 2 THEN lsm_am.flush('hw_k')
              WHEN 3 THEN lsm_am.compact('cw_k') ELSE lsm_am.flush('cwn') END;
},);
for my $f (keys %scripts)
{
	open(my $fh, '>', "$dir/$f") or die "cannot write $dir/$f: $!";
	print $fh $scripts{$f};
	close $fh;
}

sub pgbench_cmd
{
	my ($node, $secs) = @_;
	my $seed = int(rand(1_000_000_000));
	note("pgbench random seed $seed");
	return [
		'pgbench', '-n', '-h', $node->host, '-p', $node->port,
		'-c', '3', '-j', '3', '-T', $secs, '--max-tries', '50',
		"--random-seed=$seed",
		'-f', "$dir/ins.sql\@6", '-f', "$dir/upd.sql\@3",
		'-f', "$dir/del.sql\@2", '-f', "$dir/flush.sql\@1", 'postgres'
	];
}

sub run_pgbench
{
	my ($node, $secs, $what) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(pgbench_cmd($node, $secs), '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	ok($ok, "$what: pgbench ran") or diag("$out\n$err");
	my ($failed) = $out =~ /number of failed transactions: (\d+)/;
	is($failed, 0, "$what: no transaction failed") or diag("$out\n$err");
	my ($done) = $out =~ /number of transactions actually processed: (\d+)/;
	cmp_ok($done // 0, '>', 20, "$what: transactions ran (" . ($done // 0) . ")");
	return;
}

# What a table holds, read through one index (forced) or the model.
#   plain: count, sum(id), sum(k), sum(g), md5 of the ids in id order
#   k asc / k desc: the k values in index order (both directions)
#   gk: the (g, k) pairs in (g, k DESC) order, forward and backward
sub views
{
	my ($node, $table) = @_;
	my $force = 'SET enable_seqscan = off; SET enable_bitmapscan = off;';
	my %q = (
		'rows' => qq{SELECT count(*) || '|' || coalesce(sum(id), 0) || '|' || coalesce(sum(k), 0)
		  || '|' || coalesce(sum(g), 0) || '|' || md5(coalesce(string_agg(id || ':' || k || ':' || p, ',' ORDER BY id), ''))
		  FROM $table WHERE k > -1000000000},
		'k asc' => qq{SELECT md5(coalesce(string_agg(k::text, ','), '')) FROM
		  (SELECT k FROM $table WHERE k > -1000000000 ORDER BY k) s},
		'k desc' => qq{SELECT md5(coalesce(string_agg(k::text, ','), '')) FROM
		  (SELECT k FROM $table WHERE k > -1000000000 ORDER BY k DESC) s},);
	if ($table eq 'cw' || $table eq 'cwh')
	{
		$q{'gk fwd'} = qq{SELECT md5(coalesce(string_agg(g || ':' || k, ','), '')) FROM
		  (SELECT g, k FROM $table WHERE g >= 0 ORDER BY g, k DESC) s};
		$q{'gk back'} = qq{SELECT md5(coalesce(string_agg(g || ':' || k, ','), '')) FROM
		  (SELECT g, k FROM $table WHERE g >= 0 ORDER BY g DESC, k) s};
		$q{'by id'} = qq{SELECT count(*) || '|' || coalesce(sum(k), 0) FROM $table WHERE id > 0};
	}
	if ($table eq 'cwn' || $table eq 'cwh')
	{
		$q{'g k btree'} = qq{SELECT md5(coalesce(string_agg(g || ':' || k, ','), '')) FROM
		  (SELECT g, k FROM $table WHERE g >= 0 ORDER BY g, k) s};
	}
	my %r;
	for my $name (keys %q)
	{
		my $settings = $table eq 'cwh' ? '' : $force;
		$r{$name} = $node->safe_psql('postgres', "$settings $q{$name}");
	}
	return \%r;
}

sub plan_uses
{
	my ($node, $sql, $index) = @_;
	my $plan = $node->safe_psql('postgres',
		"SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN (COSTS OFF) $sql");
	like($plan, qr/Index (Only )?Scan( Backward)? using $index/, "the check reads $index");
	return;
}
plan_uses($primary, 'SELECT k FROM cw WHERE k > -1000000000 ORDER BY k DESC', 'cw_k');
plan_uses($primary, 'SELECT g, k FROM cw WHERE g >= 0 ORDER BY g DESC, k', 'cw_gk');
plan_uses($primary, 'SELECT count(*) FROM cw WHERE id > 0', 'cw_pk');
plan_uses($primary, 'SELECT k FROM hw WHERE k > -1000000000 ORDER BY k', 'hw_k');
plan_uses($primary, 'SELECT k FROM cwn WHERE k > -1000000000 ORDER BY k DESC', 'cwn_k');
plan_uses($primary, 'SELECT g, k FROM cwn WHERE g >= 0 ORDER BY g, k', 'cwn_gk');

sub check_model
{
	my ($node, $what) = @_;
	my $model = views($node, 'cwh');
	my $lsm = views($node, 'cw');
	my $heap = views($node, 'hw');
	my $nouniq = views($node, 'cwn');
	for my $name (sort keys %$lsm)
	{
		is($lsm->{$name}, $model->{$name}, "$what: lsm table through its indexes ($name) = model");
	}
	for my $name (sort keys %$heap)
	{
		is($heap->{$name}, $model->{$name}, "$what: heap table through its lsm index ($name) = model");
	}
	for my $name (sort keys %$nouniq)
	{
		is($nouniq->{$name}, $model->{$name},
			"$what: lsm table without unique indexes through its indexes ($name) = model");
	}
	my ($count) = split /\|/, $model->{rows};
	note("$what: model has $count rows");
	return $count;
}

run_pgbench($primary, 15, 'first run');
my $n1 = check_model($primary, 'primary after the first run');
cmp_ok($n1, '>', 1000, 'the first run left rows');
is($primary->safe_psql('postgres', "SELECT count(*) FROM cw WHERE p = 'rolled back'"),
	'0', 'no rolled-back row is visible');
cmp_ok($primary->safe_psql('postgres', "SELECT count(*) FROM SSTableMeta WHERE relation = 'cw_k'::regclass"),
	'>', 0, 'cw_k has SSTables (flushes ran during the run)');

$primary->wait_for_catchup($standby);
check_model($standby, 'standby after the first run');

# kill -9 in the middle of a run: committed transactions are in the model
# and in both tables, or in none
my ($out, $err) = ('', '');
my $h = IPC::Run::start(pgbench_cmd($primary, 60), '>', \$out, '2>', \$err);
sleep 8;
lsm_kill9_server($primary);
$h->finish;
note("pgbench interrupted by the crash:\n$out\n$err");
$primary->start;
my $n2 = check_model($primary, 'primary after kill -9 during a run');
cmp_ok($n2, '>', $n1, 'the interrupted run committed rows');

run_pgbench($primary, 8, 'run after the crash');
check_model($primary, 'primary after the run after the crash');
$primary->wait_for_catchup($standby);
check_model($standby, 'standby after the crash and the last run');

# Rows held back in an open transaction while their btree entries are
# logged (and flushed by a later commit); then the server dies.
$primary->safe_psql('postgres', q{
CREATE TABLE dt (id bigint, g int) USING lsm;
CREATE INDEX dt_g ON dt USING btree (g);
INSERT INTO dt SELECT g, 1 FROM generate_series(1, 100) g;
});
my $open = $primary->background_psql('postgres');
$open->query_safe('BEGIN');
$open->query_safe('INSERT INTO dt SELECT g, 777 FROM generate_series(1, 500) g');
$primary->safe_psql('postgres', 'SET synchronous_commit = on; CREATE TABLE flush_wal (a int)');
lsm_kill9_server($primary);
eval { $open->quit; };
$primary->start;
$primary->safe_psql('postgres', 'INSERT INTO dt SELECT g, 2 FROM generate_series(1, 3000) g');
is( $primary->safe_psql(
		'postgres', q{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) FROM dt WHERE g = 777}),
	'0',
	'no row took a TID that the btree logged for a row lost in the crash');
is( $primary->safe_psql(
		'postgres', q{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) FROM dt WHERE g = 2}),
	'3000|4501500',
	'the rows inserted after the crash are found through the btree');

$standby->stop;
$primary->stop;
done_testing();
