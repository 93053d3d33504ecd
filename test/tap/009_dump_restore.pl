# test/tap/009_dump_restore.pl: pg_dump / pg_restore of a database with lsm
# tables.
#
# A database holds several lsm tables covering what a dump must carry: a
# plain table, one with per-table options (reloptions), tables with a
# primary key, unique and secondary btree indexes, a foreign key between two
# lsm tables, a TOASTed wide column, NULLs, rows updated and deleted, and
# data partly in SSTables (lsm_am.flush) and partly only in memtables; plus
# one heap table.  It is dumped three ways (custom format restored by
# pg_restore, directory format restored by pg_restore -j 2, plain SQL fed to
# psql), and every restored database must match the original: the same
# access method and reloptions for every table, the same rows (count, sum,
# md5 of the rows in key order), the same indexes and constraints, all
# valid, a foreign key and unique indexes that are still enforced, indexes
# that agree with the table (amcheck and index scans), and tables that take
# new rows and flush.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('dump');
$node->start;

# Every user table of the test database, and the key that orders its rows.
my %tables = (
	plain => 'id',
	opts => 'id',
	parent => 'id',
	child => 'id',
	wide => 'id',
	heap_twin => 'id',);
my @lsm_tables = qw(plain opts parent child wide);

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql(
	'src', q{
CREATE EXTENSION lsm_am;
CREATE EXTENSION amcheck;

CREATE TABLE plain (id bigint, n numeric, t text, ts timestamptz) USING lsm;
CREATE TABLE opts (id int, v text)
  USING lsm WITH (compression = 'none', compaction_style = 'tiered', target_file_size = 1024);
CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE, grp int, note text) USING lsm;
CREATE INDEX parent_grp_idx ON parent (grp);
CREATE TABLE child (id int PRIMARY KEY,
                    parent_id int NOT NULL REFERENCES parent (id),
                    qty int CHECK (qty >= 0), label text) USING lsm;
CREATE INDEX child_parent_idx ON child (parent_id);
CREATE TABLE wide (id int PRIMARY KEY, body text, extra bytea) USING lsm;
CREATE TABLE heap_twin (id int PRIMARY KEY, v text) USING heap;
});

# Part 1 of the data, flushed to SSTables.
$node->safe_psql(
	'src', q{
INSERT INTO plain
  SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE g * 1.5 END,
         CASE WHEN g % 13 = 0 THEN NULL ELSE 'row ' || g || ' ' || md5(g::text) END,
         timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 20000) g;
INSERT INTO opts SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 5000) g;
INSERT INTO parent
  SELECT g, 'code-' || g, g % 17, CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text) END
  FROM generate_series(1, 3000) g;
INSERT INTO child
  SELECT g, 1 + (g * 7) % 3000, g % 50, CASE WHEN g % 9 = 0 THEN NULL ELSE 'c' || g END
  FROM generate_series(1, 10000) g;
INSERT INTO wide
  SELECT g, (SELECT string_agg(md5((g * 1000 + k)::text), '') FROM generate_series(1, 400) k),
         CASE WHEN g % 4 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END
  FROM generate_series(1, 60) g;
INSERT INTO heap_twin SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
});
for my $t (@lsm_tables)
{
	$node->safe_psql('src', "SELECT lsm_am.flush('$t'::regclass)");
}

# Part 2: updates, deletes and new rows, left in the memtables (the 1MB
# memtable may freeze on its own for the larger tables; what matters is that
# some of them are not flushed).
$node->safe_psql(
	'src', q{
UPDATE plain SET n = n * 2, t = t || ' upd' WHERE id % 7 = 0;
DELETE FROM plain WHERE id % 10 = 3;
INSERT INTO plain SELECT g, NULL, NULL, NULL FROM generate_series(20001, 20100) g;
UPDATE opts SET v = 'changed ' || id WHERE id % 100 = 0;
DELETE FROM opts WHERE id BETWEEN 4000 AND 4500;
INSERT INTO opts SELECT g, NULL FROM generate_series(5001, 5050) g;
UPDATE parent SET note = 'updated', grp = grp + 100 WHERE id % 50 = 0;
DELETE FROM child WHERE parent_id % 300 = 1;
DELETE FROM parent p WHERE id % 300 = 1
  AND NOT EXISTS (SELECT 1 FROM child c WHERE c.parent_id = p.id);
INSERT INTO parent VALUES (3001, 'code-3001', NULL, NULL), (3002, 'code-3002', 1, 'x');
UPDATE child SET qty = qty + 1, label = NULL WHERE id % 25 = 0;
INSERT INTO child VALUES (10001, 3001, 0, 'new'), (10002, 3002, 5, NULL);
UPDATE wide SET body = body || 'tail' WHERE id % 3 = 0;
DELETE FROM wide WHERE id = 7;
INSERT INTO wide
  SELECT g, (SELECT string_agg(md5((g * 1000 + k)::text), '') FROM generate_series(1, 400) k), NULL
  FROM generate_series(61, 70) g;
UPDATE heap_twin SET v = NULL WHERE id % 3 = 0;
DELETE FROM heap_twin WHERE id % 10 = 0;
});

# The state the dump must carry.
my $memtable_entries = $node->safe_psql('src',
	"SELECT coalesce(sum(entries), 0) FROM lsm_am.memtables");
cmp_ok($memtable_entries, '>', 0, 'some entries are only in memtables when dumping');
for my $t (@lsm_tables)
{
	cmp_ok(
		$node->safe_psql('src',
			"SELECT count(*) FROM SSTableMeta WHERE relation = '$t'::regclass"),
		'>=', 1, "$t has SSTables when dumping");
}
my $toast_table = $node->safe_psql('src',
	"SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'wide'::regclass");
cmp_ok($node->safe_psql('src', "SELECT count(*) FROM $toast_table"),
	'>', 0, 'wide stores its bodies out of line in its TOAST table');

# The result of a query, or the error it raised: a failure shows up as one
# failed comparison instead of ending the test.
sub query
{
	my ($db, $sql) = @_;
	my ($ret, $out, $err) = $node->psql($db, $sql);
	return $ret == 0 ? $out : "ERROR ($ret): $err";
}

# count|sum|md5 of a table's rows ordered by its key.
sub digest
{
	my ($db, $table) = @_;
	my $key = $tables{$table};
	return query(
		$db, qq{
SELECT count(*) || '|' || coalesce(sum($key), 0) || '|' ||
       md5(coalesce(string_agg(r::text, ';' ORDER BY $key), ''))
FROM $table r});
}

# Catalog facts of one table that must survive: access method and
# reloptions, indexes with definition and validity, constraints with
# definition and validity.  TABLE is substituted for the table's name.
my %catalog_sql = (
	'access method and reloptions' => q{
SELECT c.relname, a.amname, coalesce(array_to_string(c.reloptions, ','), '<none>')
FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.relnamespace = 'public'::regnamespace AND c.relname = 'TABLE'},
	'indexes' => q{
SELECT i.indexrelid::regclass, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisready,
       i.indislive, i.indisunique, i.indisprimary
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = 'public'::regnamespace AND c.relname = 'TABLE'
ORDER BY i.indexrelid::regclass::text},
	'constraints' => q{
SELECT conname, contype, pg_get_constraintdef(oid), convalidated
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text = 'TABLE'
ORDER BY 1});

sub catalog
{
	my ($db, $what, $table) = @_;
	(my $sql = $catalog_sql{$what}) =~ s/TABLE/$table/g;
	return query($db, $sql);
}

my (%orig_catalog, %orig_digest);
for my $t (keys %tables)
{
	$orig_catalog{$t}{$_} = catalog('src', $_, $t) for keys %catalog_sql;
	$orig_digest{$t} = digest('src', $t);
}

is($orig_catalog{opts}{'access method and reloptions'},
	'opts|lsm|compression=none,compaction_style=tiered,target_file_size=1024',
	'the source table opts has its options');
is( $node->safe_psql('src',
		"SELECT string_agg(relname || ':' || amname, ',' ORDER BY relname) FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"),
	'child:lsm,heap_twin:heap,opts:lsm,parent:lsm,plain:lsm,wide:lsm',
	'source tables use the intended access methods');

# Run a client program against the node; check that it succeeds and says
# nothing on stderr.
sub run_client
{
	my ($what, @cmd) = @_;
	my ($stdout, $stderr) = ('', '');
	local %ENV = %ENV;
	$ENV{PGHOST} = $node->host;
	$ENV{PGPORT} = $node->port;
	my $ok = IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	ok($ok, "$what succeeds");
	is($stderr, '', "$what prints nothing on stderr");
	return $stdout;
}

# Everything the restored database DB must satisfy.
sub check_restored
{
	my ($db, $how) = @_;

	for my $t (sort keys %tables)
	{
		for my $what (sort keys %catalog_sql)
		{
			is(catalog($db, $what, $t), $orig_catalog{$t}{$what},
				"$how: $t has the same $what as the original");
		}
		is(digest($db, $t), $orig_digest{$t}, "$how: $t has the same rows");
	}

	# The same rows through the indexes.
	is( query(
			$db, q{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) || '|' || md5(string_agg(code, ',' ORDER BY id)) FROM parent WHERE id > 0;
}),
		query(
			'src', q{
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) || '|' || md5(string_agg(code, ',' ORDER BY id)) FROM parent WHERE id > 0;
}),
		"$how: parent through its primary key matches the original seq scan");
	is( query(
			$db, q{
SET enable_seqscan = off;
SELECT count(*) || '|' || sum(id) FROM child WHERE parent_id BETWEEN 100 AND 900;
}),
		query(
			'src', q{
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) FROM child WHERE parent_id BETWEEN 100 AND 900;
}),
		"$how: child through child_parent_idx matches the original");

	# Every btree index holds every row of its table.
	is( query(
			$db, q{
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT count(*) FROM (
  SELECT bt_index_check(i.indexrelid, true)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
  WHERE c.relnamespace = 'public'::regnamespace) s;
}),
		'7',
		"$how: amcheck verifies all 7 btree indexes with heapallindexed");

	# Constraints are enforced.
	my ($ret, $out, $err) = $node->psql($db,
		"INSERT INTO child VALUES (20001, 99999, 1, 'orphan')");
	isnt($ret, 0, "$how: inserting a child without parent fails");
	like($err, qr/violates foreign key constraint "child_parent_id_fkey"/,
		"$how: ... on the foreign key");
	($ret, $out, $err) = $node->psql($db, "DELETE FROM parent WHERE id = 2");
	like($err, qr/violates foreign key constraint "child_parent_id_fkey"/,
		"$how: deleting a referenced parent fails on the foreign key");
	($ret, $out, $err) = $node->psql($db,
		"INSERT INTO parent VALUES (5000, 'code-10', 1, NULL)");
	like($err, qr/duplicate key value violates unique constraint "parent_code_key"/,
		"$how: the unique constraint on parent.code is enforced");
	($ret, $out, $err) = $node->psql($db,
		"INSERT INTO wide VALUES (1, 'dup', NULL)");
	like($err, qr/duplicate key value violates unique constraint "wide_pkey"/,
		"$how: the primary key of wide is enforced");
	($ret, $out, $err) = $node->psql($db,
		"UPDATE child SET qty = -1 WHERE id = 1");
	like($err, qr/violates check constraint "child_qty_check"/,
		"$how: the check constraint of child is enforced");

	# The restored tables take new rows, flush, and keep them.
	query(
		$db, q{
INSERT INTO parent VALUES (9001, 'code-9001', 3, 'after restore');
INSERT INTO child VALUES (30001, 9001, 1, 'after restore');
INSERT INTO opts SELECT g, 'after restore' FROM generate_series(6001, 6100) g;
});
	for my $t (@lsm_tables)
	{
		query($db, "SELECT lsm_am.flush('$t'::regclass)");
		like(
			query($db,
				"SELECT count(*) FROM SSTableMeta WHERE relation = '$t'::regclass"),
			qr/^[1-9][0-9]*$/, "$how: $t has SSTables after a flush");
	}
	is( query(
			$db, q{
SELECT (SELECT count(*) FROM child c JOIN parent p ON p.id = c.parent_id WHERE c.id = 30001)
    || '|' || (SELECT count(*) FROM opts WHERE v = 'after restore')}),
		'1|100',
		"$how: rows inserted after the restore are there after a flush");
	return;
}

my $tmp = PostgreSQL::Test::Utils::tempdir;

# --- Custom format, pg_restore -------------------------------------------

run_client('pg_dump -Fc', 'pg_dump', '-Fc', '-f', "$tmp/src.dump", '-d', 'src');
run_client('createdb', 'createdb', 'restored');
run_client('pg_restore', 'pg_restore', '-d', 'restored', "$tmp/src.dump");
check_restored('restored', 'pg_dump -Fc | pg_restore');

# --- Directory format, parallel dump and restore -------------------------

run_client('pg_dump -Fd -j 2', 'pg_dump', '-Fd', '-j', '2', '-f', "$tmp/src.dir", '-d', 'src');
run_client('createdb', 'createdb', 'restored_par');
run_client('pg_restore -j 2', 'pg_restore', '-j', '2', '-d', 'restored_par',
	"$tmp/src.dir");
check_restored('restored_par', 'pg_dump -Fd | pg_restore -j 2');

# --- Plain SQL through psql ------------------------------------------------

my $sql = run_client('pg_dump (plain)', 'pg_dump', '-d', 'src');
like($sql, qr/SET default_table_access_method = lsm;/,
	'the plain dump sets default_table_access_method = lsm');
like($sql,
	qr/WITH \(compression='?none'?, compaction_style='?tiered'?, target_file_size='?1024'?\);/,
	'the plain dump carries the options of opts');
open(my $fh, '>', "$tmp/src.sql") or die "cannot write $tmp/src.sql: $!";
print $fh $sql;
close $fh;
run_client('createdb', 'createdb', 'restored_sql');
run_client('psql < plain dump', 'psql', '-X', '-q', '-d', 'restored_sql',
	'-f', "$tmp/src.sql");
check_restored('restored_sql', 'pg_dump | psql');

# The source is untouched by all this.
for my $t (sort keys %tables)
{
	is(digest('src', $t), $orig_digest{$t}, "source table $t unchanged after the dumps");
}

$node->stop;
done_testing();
