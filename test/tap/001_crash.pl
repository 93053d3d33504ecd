# test/tap/001_crash.pl: crash recovery of lsm tables.
#
# Committed rows must survive a crash wherever they were at that moment (in
# SSTables written before the last checkpoint, in SSTables written after it,
# in frozen memtables, in the active memtable); rows of transactions that
# were still open or had rolled back must not appear.  Two kinds of crash:
# `pg_ctl stop -m immediate`, and SIGKILL of the whole server right after
# lsm_am.flush() returned.  The lsm table is compared with a heap table that
# received the same rows in the same transactions (see LsmAmTest.pm).  The
# server runs with wal_consistency_checking (LsmAmTest.pm): crash recovery
# compares each page its redo produces with the image in the record, and
# must replay without "inconsistent page found".

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('crash');
$node->start;
lsm_setup_schema($node, 't');

# --- Case 1: immediate shutdown with data everywhere -------------------

# Rows that reach an SSTable before the checkpoint.
$node->safe_psql('postgres', lsm_insert_sql('t', 1, 20000));
my $written = $node->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
like($written, qr/^\d+$/, 'lsm_am.flush returns an integer');
cmp_ok(lsm_sstables($node, 't'), '>=', 1, 'SSTableMeta lists t after flush');
$node->safe_psql('postgres', 'CHECKPOINT');

# Many commits after the checkpoint: 40,000 rows, several times the 1MB
# memtable, so memtables freeze (and may be flushed in the background).
for my $i (0 .. 7)
{
	my $lo = 20001 + $i * 5000;
	$node->safe_psql('postgres', lsm_insert_sql('t', $lo, $lo + 4999));
}

# An open transaction whose rows interleave with committed ones in the
# memtable, and a rolled-back one.
my $open = $node->background_psql('postgres');
$open->query_safe('BEGIN');
$open->query_safe(lsm_insert_sql('t', 1000001, 1005000));
$node->safe_psql('postgres',
	'BEGIN; ' . lsm_insert_sql('t', 2000001, 2001000) . ' ROLLBACK;');
# Committed rows that should still be in the active memtable.
$node->safe_psql('postgres', lsm_insert_sql('t', 60001, 62000));
$open->query_safe(lsm_insert_sql('t', 1005001, 1010000));

note('SSTables before the crash: ' . lsm_sstables($node, 't'));
$node->stop('immediate');
eval { $open->quit; };

$node->start;
lsm_check_same($node, 't', 62000, 'after immediate shutdown');
is( $node->safe_psql(
		'postgres', 'SELECT count(*) FROM t WHERE id > 1000000'),
	'0',
	'no row of the open or the rolled-back transaction is visible');

# The recovered table takes new rows and still flushes.
$node->safe_psql('postgres', lsm_insert_sql('t', 62001, 63000));
$node->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
lsm_check_same($node, 't', 63000, 'insert and flush after recovery');

# --- Case 2: SIGKILL of the whole server right after a flush ----------

$node->safe_psql('postgres', lsm_insert_sql('t', 63001, 70000));
$node->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
lsm_kill9_server($node);
$node->start;
lsm_check_same($node, 't', 70000, 'after SIGKILL right after flush');

# --- Case 3: SIGKILL with rows only in the memtable, twice in a row ---

# (After a checkpoint, so that the recovery replays every record of these
# inserts and compares the log pages it rebuilds with the logged images.)
$node->safe_psql('postgres', 'CHECKPOINT');
my $from = $node->lsn('insert');
$node->safe_psql('postgres', lsm_insert_sql('t', 70001, 75000));
lsm_check_wal_checked($node, $from, $node->lsn('flush'), 'memtable inserts before the kill');
my $log_offset = -s $node->logfile;
lsm_kill9_server($node);
$node->start;
lsm_check_replay_checked($node, $log_offset, 'crash recovery', redo_from => $from);
lsm_check_same($node, 't', 75000, 'after SIGKILL with memtable rows');

$node->safe_psql('postgres', lsm_insert_sql('t', 75001, 76000));
lsm_kill9_server($node);
$node->start;
lsm_check_same($node, 't', 76000, 'after a second SIGKILL');

# Every SSTable listed still belongs to t and has entries.
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM SSTableMeta WHERE relation = 't'::regclass AND entries <= 0"),
	'0',
	'no empty SSTable listed after recovery');

$node->stop;
done_testing();
