# test/tap/014_sstable_limit.pl: a relation that reaches its SSTable limit.
#
# A flush or compaction whose manifest switch is refused (the manifest
# would list more SSTables than it holds) must fail as an ERROR: in the
# log and in CompactionJob with status 'failed', with the statement that
# ran it (if any) failing with that error, while every other session,
# CHECKPOINT and a fast shutdown go on working, and a failed automatic job
# is retried after a growing pause, not in a hot loop.
#
# The manifest spans pages and holds LSM_META_MAX_SSTS (165,600)
# SSTables, more than a test can write (020_many_sstables.pl writes
# thousands); lsm_am.debug_max_sstables lowers the limit here, to force
# the failure in each place that switches the manifest: a compaction that
# a user's statement brings about (tiny target_file_size, so one
# compaction would write hundreds of SSTables), a flush by a worker and by
# a writer under backpressure, a compaction by a worker, by a writer at
# the level-0 stop trigger, and by lsm_am.compact().
#
# The primary runs with wal_consistency_checking (LsmAmTest.pm: 'all',
# lsm_am included) and streams to a standby, which must replay everything
# (including the refused switches' logged give-back of their blocks),
# comparing each page with the primary's image, and answer as the primary.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LsmAmTest;

my $node = lsm_new_node('limit', allows_streaming => 1);
$node->append_conf(
	'postgresql.conf', q{
lsm_am.max_frozen_memtables = 2
shared_buffers = 16MB
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION lsm_am');
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('limit_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;

# A table the probes read while the others fail.
$node->safe_psql('postgres',
	"CREATE TABLE probe (id int, v text) USING lsm; "
	  . "INSERT INTO probe SELECT g, md5(g::text) FROM generate_series(1, 1000) g");

# Other sessions keep working: a query, CHECKPOINT (needs every buffer
# lock the flushes and compactions took), pg_stat_activity.
sub probe_ok
{
	my ($what) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres',
		"SELECT count(*) FROM probe; CHECKPOINT; SELECT count(*) >= 1 FROM pg_stat_activity;",
		timeout => 60);
	is($ret . '|' . $out, "0|1000\nt", "$what: another session reads, checkpoints, sees pg_stat_activity");
	return;
}

# Run SQL in the background: psql with ON_ERROR_STOP, output captured.
sub bg_start
{
	my ($sql) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-c', $sql ],
		'>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return { h => $h, out => \$out, err => \$err };
}

# Probe while it runs; returns (exit code, stderr).
sub bg_finish_probing
{
	my ($bg, $what) = @_;
	my $probes = 0;
	while ($bg->{h}->pumpable)
	{
		probe_ok("$what (while running)") if $probes++ < 3;
		$bg->{h}->pump_nb;
		usleep(200_000);
	}
	$bg->{h}->finish;
	return ($bg->{h}->result(0), ${ $bg->{err} });
}

sub set_limits
{
	my (%gucs) = @_;
	for my $g (sort keys %gucs)
	{
		$node->safe_psql('postgres', "ALTER SYSTEM SET lsm_am.$g = $gucs{$g}");
	}
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	return;
}

sub reset_limits
{
	$node->safe_psql('postgres', 'ALTER SYSTEM RESET ALL');
	$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
	return;
}

sub failed_jobs
{
	my ($rel, $kind) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM CompactionJob WHERE relation = '$rel'::regclass "
		  . "AND kind = '$kind' AND status = 'failed' AND reason LIKE '%too many SSTables%'");
}

# Insert batches of n rows into rel, one statement each, until one fails
# (at most max).  Returns (committed rows, stderr of the failure or '').
# Insert n rows per statement until one fails (at most max statements);
# with also, more SQL in the same transaction (psql runs the script's
# statements one by one).
sub insert_until_error
{
	my ($rel, $n, $max, $also) = @_;
	my $rows = 0;
	for my $i (0 .. $max - 1)
	{
		my $lo = $i * $n + 1;
		my $hi = $lo + $n - 1;
		my ($ret, $out, $err) = $node->psql(
			'postgres',
			defined $also
			? "BEGIN; INSERT INTO $rel SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series($lo, $hi) g"
			  . "$also; COMMIT;"
			: "INSERT INTO $rel SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series($lo, $hi) g",
			timeout => $PostgreSQL::Test::Utils::timeout_default);
		return ($rows, $err) if $ret != 0;
		$rows += $n;
	}
	return ($rows, '');
}

sub count_is
{
	my ($rel, $n, $what) = @_;
	is($node->safe_psql('postgres', "SELECT count(*) FROM $rel"), $n, $what);
	return;
}

# ---- 1. The limit, reached by a user's statement.
my $log_offset = -s $node->logfile;
set_limits(debug_max_sstables => 40);
$node->safe_psql('postgres',
	"CREATE TABLE m (id bigint, v text) USING lsm WITH (target_file_size = 64, level_base_size = 1024)");
# (rows of the first half are updated before the second: the level-0
# SSTables overlap and are merged into outputs of 64 kB; disjoint ones
# would move down as they are)
my $bg = bg_start("INSERT INTO m SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 250000) g; "
	  . "UPDATE m SET v = md5(v) WHERE id % 100 = 1; "
	  . "INSERT INTO m SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(250001, 500000) g");
my ($rc, $err) = bg_finish_probing($bg, 'real limit');
ok($rc == 0 || $err =~ /lsm relation "m" would have too many SSTables \(\d+, at most \d+\)/,
	"INSERT reaching the SSTable limit returns or fails with a clear error (rc $rc)")
  or diag($err);
my $m_rows = $rc == 0 ? 500000 : 0;
ok( $node->poll_query_until(
		'postgres', "SELECT count(*) > 0 FROM CompactionJob WHERE relation = 'm'::regclass AND status = 'failed'"),
	'the refused compaction of m shows in CompactionJob as failed');
ok($node->wait_for_log(qr/ERROR:  lsm relation "m" would have too many SSTables/, $log_offset),
	'the reason is in the server log');
probe_ok('real limit, after the failures');
count_is('m', $m_rows, 'm holds exactly its committed rows');

# Bigger outputs fit: the user's way out works.
$node->safe_psql('postgres', 'ALTER TABLE m SET (target_file_size = 65536)');
is($node->psql('postgres', "SELECT lsm_am.compact('m')", timeout => 120), 0,
	'after raising target_file_size, lsm_am.compact(m) succeeds');
if ($m_rows == 0)
{
	$node->safe_psql('postgres',
		"INSERT INTO m SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 500000) g");
	$m_rows = 500000;
}
count_is('m', $m_rows, 'm after raising target_file_size');
reset_limits();

# ---- 2. A flush refused: by the worker, then by a backpressured writer.
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', "CREATE TABLE f (id bigint, v text) USING lsm WITH (l0_compaction_trigger = 64)");
set_limits(debug_max_sstables => 3);
my ($f_rows, $ferr) = insert_until_error('f', 5000, 100);
like($ferr, qr/lsm relation "f" would have too many SSTables \(4, at most 3\)/,
	"a writer's own flush fails with a clear error ($f_rows rows committed before)");
like($ferr, qr/DETAIL:  The flush would replace 0 SSTables by 1/, '... naming the flush');
ok($node->wait_for_log(qr/automatic flush of "f" failed/, $log_offset),
	"the worker's refused flushes are logged");
probe_ok('refused flushes');
count_is('f', $f_rows, 'f holds exactly its committed rows');
my ($fret, $fout, $ferr2) = $node->psql('postgres', "SELECT lsm_am.flush('f')");
like($ferr2, qr/would have too many SSTables/, 'lsm_am.flush(f) fails with the same clear error');
ok($node->poll_query_until('postgres', "SELECT " . failed_jobs('f', 'flush') . " > 0"),
	'refused flushes show in CompactionJob as failed');
reset_limits();
is($node->psql('postgres', "SELECT lsm_am.flush('f')", timeout => 120), 0,
	'with room again, lsm_am.flush(f) succeeds');
count_is('f', $f_rows, 'f after its memtables were flushed');

# ---- 3. A compaction refused in the worker.
$log_offset = -s $node->logfile;
$node->safe_psql('postgres',
	"CREATE TABLE c (id bigint, v text) USING lsm WITH (target_file_size = 64, l0_compaction_trigger = 2)");
set_limits(debug_max_sstables => 6);
# (Rows of the first statement are updated all over their row ids before
# the second: later level-0 SSTables overlap the earlier ones, and the
# compaction must merge them; disjoint ones would move down without new
# SSTables.)
$bg = bg_start("INSERT INTO c SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 20000) g; "
	  . "UPDATE c SET v = md5(v) WHERE id % 50 = 1; "
	  . "INSERT INTO c SELECT g, md5(g::text) FROM generate_series(20001, 40000) g");
($rc, $err) = bg_finish_probing($bg, 'worker compaction');
is($rc, 0, 'inserts into c commit') or diag($err);
ok($node->wait_for_log(qr/automatic compaction of "c" failed/, $log_offset),
	"the worker's refused compaction of c is logged");
ok($node->poll_query_until('postgres', "SELECT " . failed_jobs('c', 'compaction') . " > 0"),
	'... and shows in CompactionJob as failed');
ok($node->wait_for_log(qr/automatic compaction of "c" failed 2 times in a row/, $log_offset),
	'the log says that automatic compactions of c keep failing');
# Retried after a growing pause (1 s, 2 s, 4 s, ...), not in a hot loop:
# over 8 s at most 5 attempts (a busy loop would make hundreds).
my $before = $node->safe_psql('postgres',
	"SELECT count(*) FROM lsm_am.compaction_history WHERE relid = 'c'::regclass AND status = 'failed'");
sleep 8;
my $after = $node->safe_psql('postgres',
	"SELECT count(*) FROM lsm_am.compaction_history WHERE relid = 'c'::regclass AND status = 'failed'");
cmp_ok($after - $before, '<=', 5, "failed automatic compactions are not retried in a loop ($before -> $after in 8 s)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) > $after FROM lsm_am.compaction_history WHERE relid = 'c'::regclass AND status = 'failed'"),
	'... but they are retried');

probe_ok('refused worker compaction');
count_is('c', 40000, 'c holds exactly its committed rows');

# ---- 4. A compaction refused in lsm_am.compact(): the session goes on.
my $session = $node->background_psql('postgres', on_error_stop => 0);
my $out = $session->query("SELECT lsm_am.compact('c')");
like($session->{stderr}, qr/would have too many SSTables/, 'lsm_am.compact(c) in a session fails');
$out = $session->query("SELECT 'after' || count(*) FROM c");
like($out, qr/after40000/, 'the session that ran the refused lsm_am.compact(c) goes on');
$session->quit;
($fret, $fout, $ferr2) = $node->psql('postgres', "SELECT lsm_am.compact('c')");
like($ferr2, qr/ERROR:  lsm relation "c" would have too many SSTables.*\n.*DETAIL:  The compaction would replace/,
	'lsm_am.compact(c) fails with a clear error');
probe_ok('refused manual compaction');

# ---- 5. A compaction refused in a writer at the level-0 stop trigger.
$node->safe_psql('postgres',
	"CREATE TABLE w (id bigint, v text) USING lsm WITH (target_file_size = 64, l0_compaction_trigger = 2)");
set_limits(debug_max_sstables => 8, l0_slowdown_trigger => 3, l0_stop_trigger => 4);
# (each statement also updates a few earlier rows: overlapping level-0
# SSTables, which the compaction merges)
my ($w_rows, $werr) = insert_until_error('w', 12000, 40, "; UPDATE w SET v = md5(v) WHERE id % 500 = 1");
like($werr, qr/ERROR:  lsm relation "w" would have too many SSTables.*\n.*DETAIL:  The compaction would replace/,
	"a writer's own compaction at the stop trigger fails with a clear error ($w_rows rows committed)");
probe_ok('refused writer compaction');
count_is('w', $w_rows, 'w holds exactly its committed rows');
reset_limits();

# Every table on the standby as on the primary (wal_consistency_checking
# compared each page it replayed with the primary's image).
my $end = $node->lsn('insert');
$node->wait_for_catchup($standby, 'replay', $end);
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $end);
for my $t ([ 'm', $m_rows ], [ 'f', $f_rows ], [ 'c', 40000 ], [ 'w', $w_rows ], [ 'probe', 1000 ])
{
	is($standby->safe_psql('postgres', "SELECT count(*) FROM $t->[0]"), $t->[1], "standby: $t->[0]");
}

# A fast shutdown completes (it would wait forever on a stuck worker).
$node->stop('fast');
$node->start;
for my $t ([ 'm', $m_rows ], [ 'f', $f_rows ], [ 'c', 40000 ], [ 'w', $w_rows ])
{
	count_is($t->[0], $t->[1], "after a fast shutdown and restart: $t->[0]");
}
$standby->stop('fast');
$node->stop('fast');
done_testing();
