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
  lsm_check_same lsm_sstables lsm_kill9_server);

# lsm_new_node(name, %init_params): a node with lsm_am preloaded and a 1MB
# memtable, so that a few tens of thousands of rows freeze several memtables.
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
});
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

1;
