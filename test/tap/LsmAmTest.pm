# test/tap/LsmAmTest.pm: helpers shared by the lsm_am TAP tests (test/tap/*.pl).
#
# Every test table is an lsm table paired with a heap "oracle" table that
# receives exactly the same rows in the same transactions.  Heap is crash
# safe, so after a crash, restart or replay the lsm table must hold exactly
# what the heap table holds: same count, same sum, same md5 of every row in
# id order.  Rows are a pure function of their id (see lsm_rows()), so the
# tests are deterministic.

package LsmAmTest;

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Exporter 'import';
our @EXPORT = qw(lsm_new_node lsm_setup_schema lsm_insert_sql lsm_digest
  lsm_check_same lsm_sstables lsm_kill9_server lsm_check_wal_checked
  lsm_check_replay_checked);

# wal_consistency_checking for every node that preloads lsm_am: 'all' (every
# record of every resource manager with a mask function carries a full-page
# image of each page it touches, and whatever replays it, crash recovery or
# a standby, compares the page it produced with that image and stops with
# FATAL "inconsistent page found" if they differ).  lsm_am is named as well
# because PostgreSQL 15 resolves 'all' when it reads postgresql.conf at
# server start, before shared_preload_libraries has registered custom
# resource managers, so 'all' alone would leave lsm_am's records unchecked;
# naming a custom one defers the whole setting until the libraries are
# loaded, and then 'all' includes lsm_am.  (A server that does not preload
# lsm_am refuses the name: 004_no_preload.pl uses plain 'all' there.)
our $WAL_CHECKING = 'all,lsm_am';

# lsm_new_node(name, %init_params): a node with lsm_am preloaded, a 1MB
# memtable, so that a few tens of thousands of rows freeze several memtables,
# and wal_consistency_checking on ($WAL_CHECKING).
sub lsm_new_node
{
	my ($name, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%params);
	$node->append_conf(
		'postgresql.conf', qq{
shared_preload_libraries = 'lsm_am'
lsm_am.memtable_size = '1MB'
max_worker_processes = 16
wal_consistency_checking = '$WAL_CHECKING'
});
	# With the checking, every record carries page images (a row inserted
	# into a table is a page of WAL, or two with its index), so a primary
	# writes far more WAL than max_wal_size (128MB for streaming nodes) and
	# would recycle segments a standby, replaying and comparing behind it,
	# still needs: keep them.
	$node->append_conf('postgresql.conf', "wal_keep_size = '4GB'\n")
	  if $params{allows_streaming};
	return $node;
}

# Create the extension, the row generator and the table pair NAME (lsm) and
# NAME_heap (heap).
sub lsm_setup_schema
{
	my ($node, $name) = @_;
	$node->safe_psql(
		'postgres', qq{
CREATE EXTENSION IF NOT EXISTS lsm_am;
CREATE OR REPLACE FUNCTION lsm_rows(lo bigint, hi bigint)
RETURNS TABLE (id bigint, device int, ts timestamptz, payload text)
LANGUAGE sql IMMUTABLE AS \$\$
  SELECT g, (g % 1000)::int,
         timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
         CASE WHEN g % 97 = 0 THEN NULL
              ELSE 'dev' || (g % 1000) || ':' || md5(g::text) || md5((g * 31)::text) END
  FROM generate_series(lo, hi) AS g
\$\$;
CREATE TABLE $name (id bigint, device int, ts timestamptz, payload text) USING lsm;
CREATE TABLE ${name}_heap (id bigint, device int, ts timestamptz, payload text) USING heap;
});
	is( $node->safe_psql(
			'postgres',
			"SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = '$name'::regclass"
		),
		'lsm',
		"$name uses the lsm table access method");
	return;
}

# SQL inserting ids lo..hi into both NAME and NAME_heap (use it inside one
# transaction, or as one implicit transaction through safe_psql).
sub lsm_insert_sql
{
	my ($name, $lo, $hi) = @_;
	return "INSERT INTO $name SELECT * FROM lsm_rows($lo, $hi); "
	  . "INSERT INTO ${name}_heap SELECT * FROM lsm_rows($lo, $hi);";
}

# "count|sum|md5" of a table's rows in id order.
sub lsm_digest
{
	my ($node, $table) = @_;
	return $node->safe_psql(
		'postgres', qq{
SELECT count(*) || '|' || coalesce(sum(id), 0) || '|' ||
       md5(coalesce(string_agg(id || ',' || device || ',' || ts || ',' ||
                               coalesce(payload, '<null>'), ';' ORDER BY id), ''))
FROM $table});
}

# Check that lsm table NAME holds exactly the rows of NAME_heap, and that
# there are $expected_count of them.
sub lsm_check_same
{
	my ($node, $name, $expected_count, $what) = @_;
	my $lsm = lsm_digest($node, $name);
	my $heap = lsm_digest($node, "${name}_heap");
	my ($count) = split /\|/, $heap;
	is($count, $expected_count, "$what: oracle heap table has $expected_count rows");
	is($lsm, $heap, "$what: lsm table matches heap oracle (count|sum|md5)");
	return;
}

# Number of SSTables of a relation listed in SSTableMeta.
sub lsm_sstables
{
	my ($node, $name) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM SSTableMeta WHERE relation = '$name'::regclass");
}

# SIGKILL the postmaster and every one of its children at the same moment,
# like a power cut, then wait until all of them are gone so that the next
# start does not find the old shared memory still attached.  The postmaster
# is SIGSTOPped first so that it cannot fork anything while we collect.
sub lsm_kill9_server
{
	my ($node) = @_;
	my $pm = $node->{_pid};
	die "node is not running" unless defined $pm;

	kill 'STOP', $pm;
	my @children;
	opendir(my $proc, '/proc') or die "cannot read /proc: $!";
	for my $pid (grep { /^\d+$/ } readdir $proc)
	{
		open(my $fh, '<', "/proc/$pid/stat") or next;
		my $stat = <$fh>;
		close $fh;
		next unless defined $stat;
		# "pid (comm) state ppid ...": comm may contain spaces or parens.
		$stat =~ s/^.*\)\s+//;
		my (undef, $ppid) = split /\s+/, $stat;
		push @children, $pid if $ppid == $pm;
	}
	closedir $proc;
	kill 'KILL', @children if @children;
	$node->kill9;    # SIGKILLs the postmaster and forgets its pid

	# Wait (bounded) until every process is gone and reaped: a zombie
	# postmaster still answers kill(pid, 0), which is how the next postmaster
	# decides that postmaster.pid is stale.
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	for my $pid ($pm, @children)
	{
		while (1)
		{
			open(my $fh, '<', "/proc/$pid/stat") or last;
			my $stat = <$fh>;
			close $fh;
			last unless defined $stat;
			die "process $pid survived SIGKILL" if time > $deadline;
			select(undef, undef, undef, 0.05);
		}
	}
	note("killed postmaster $pm and " . scalar(@children) . " children with SIGKILL");
	return;
}

# Check on the primary that the lsm_am WAL records in [from_lsn, to_lsn)
# are checked by whatever replays them: every page reference of the INSERT
# and NEW_LOGPAGE records (the records whose redo changes pages; FLUSH,
# COMPACT and META restore a full metapage image, which is not compared)
# carries a full-page image (pg_walinspect's block_ref; without checking,
# only the first change of a page after a checkpoint does), and those that
# are not ordinary full-page writes (which redo restores) are images
# "for WAL verification": the image redo compares its own page with, after
# lsm_mask.  Call it while the WAL of the
# range is still in pg_wal (a small range, soon after writing it).
sub lsm_check_wal_checked
{
	my ($node, $from_lsn, $to_lsn, $what) = @_;
	$node->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS pg_walinspect');
	my ($records, $blocks, $images, $checked) = split /\|/, $node->safe_psql(
		'postgres', qq{
SELECT count(*) || '|' ||
       coalesce(sum(regexp_count(block_ref, 'blkref #')), 0) || '|' ||
       coalesce(sum(regexp_count(block_ref, 'FPW')), 0) || '|' ||
       coalesce(sum(regexp_count(block_ref, 'FPW for WAL verification')), 0)
FROM pg_get_wal_records_info('$from_lsn', '$to_lsn')
WHERE resource_manager = 'lsm_am' AND record_type IN ('INSERT', 'NEW_LOGPAGE')});
	cmp_ok($records, '>', 0, "$what: lsm_am INSERT/NEW_LOGPAGE records were written ($records)");
	is($images, $blocks, "$what: each of their $blocks page references carries an image");
	cmp_ok($checked, '>', 0, "$what: $checked of them are images for WAL verification");
	return;
}

# Check that node replayed WAL with wal_consistency_checking and found no
# difference: its server log from log_offset has no "inconsistent page
# found" (redo's FATAL when a replayed page differs from the primary's image
# after masking), and replay went far enough:
#   replayed_upto => LSN   (a standby) it replayed at least up to LSN;
#   redo_from => LSN       (crash recovery) the start in this log ran redo
#                          from at or before LSN, to its end.
sub lsm_check_replay_checked
{
	my ($node, $log_offset, $what, %opts) = @_;
	my $log = slurp_file($node->logfile, $log_offset);
	if (defined $opts{replayed_upto})
	{
		is( $node->safe_psql('postgres',
				"SELECT pg_last_wal_replay_lsn() >= '$opts{replayed_upto}'::pg_lsn"),
			't',
			"$what: replayed past $opts{replayed_upto}");
	}
	if (defined $opts{redo_from})
	{
		my ($start) = $log =~ m{redo starts at ([0-9A-F]+/[0-9A-F]+)};
		ok(defined $start && $log =~ /redo done at/, "$what: crash recovery ran redo")
		  or $start = '0/0';
		is( $node->safe_psql('postgres', "SELECT '$start'::pg_lsn <= '$opts{redo_from}'::pg_lsn"),
			't',
			"$what: redo started at $start, not after $opts{redo_from}");
	}
	unlike($log, qr/inconsistent page found/,
		"$what: no \"inconsistent page found\" in the log");
	return;
}

1;
