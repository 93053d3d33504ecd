# test/tap/012_index_differential.pl: the lsm index access method against
# btree, on the same random data, through many random queries.
#
# Four tables hold exactly the same rows: h_bt and h_lsm are heap tables,
# l_bt and l_lsm are lsm tables; the *_bt tables carry only btree indexes,
# the *_lsm tables the same indexes built with USING lsm.  So no DDL trick
# is needed to choose the index: a query on h_lsm can only go through lsm
# indexes (enable_seqscan is off, and EXPLAIN of every query on an *_lsm
# table must show an index scan node, or the query counts as a failure),
# and its result must equal the same query's on h_bt (likewise l_lsm
# against l_bt; l_bt against h_bt is a sanity check of the harness and the
# table AM).
#
# Columns: id int8 (unique), a int4 and b int4 (duplicates, NULLs, the
# int4 extremes), i8 int8 (extremes), t_c text COLLATE "C" and t_l text in
# an ICU collation when there is one (duplicates, NULLs, '', non-ASCII,
# long values), f8 float8 (-0 and 0, NaN, infinities, denormals), n numeric
# (equal values of different scales: 1.5 and 1.50, NaN, infinities),
# ts timestamptz (infinities), u uuid, bo bool, pay text (INCLUDE only).
# Indexes: UNIQUE (id), (a), (a, b), (i8 DESC NULLS FIRST), (t_c), (t_l),
# (f8), (n), (ts) INCLUDE (a, pay), (u), (bo, n DESC).
#
# Queries (300 per phase by default, random, from a fixed seed): equality,
# ranges (<, <=, >, >=, BETWEEN, two-sided, bounds computed at run time),
# IN lists and = ANY / > ANY arrays with absent values and NULL elements,
# cross-type comparisons (int8 column vs int4 and int2 values, int4 vs
# int8, float8 vs float4, timestamptz vs date and timestamp), IS [NOT]
# NULL, multi-column conditions (also on the second column only),
# ORDER BY ... [DESC] [NULLS FIRST|LAST] LIMIT [OFFSET] in both
# directions, min/max, count(*), index-only shapes (also with INCLUDE
# columns), self-joins (merge joins over ordered index scans, nested loops
# rescanning the inner index scan) and SCROLL cursors moved both ways
# (FETCH BACKWARD, RELATIVE, ABSOLUTE, FIRST, LAST).  Each runs under one
# of several planner settings (any index path; plain and index-only scans
# only; bitmap scans only; merge join or nested loop only).
#
# The EXPLAIN checks: a query that the btree table answers through an
# index must be answered through an index on the lsm-index table too; an
# ORDER BY that btree answers in index order (no Sort node) with sorting
# disabled must not need a Sort on the lsm-index table either (when the AM
# claims amcanorder).  One
# exemption: PostgreSQL 15 simplifies bo = true to bo (bo = false to NOT
# bo) and matches that form to btree and hash boolean operator families
# only (IsBooleanOpfamily in indxpath.c), so it cannot use an lsm index;
# those queries are still compared, and boolean equality is mostly written
# as bo = ANY (ARRAY[...]) or bo = (SELECT ...), which can.
#
# How results are compared, soundly:
#   - count queries: exactly;
#   - row queries without ORDER BY: as multisets (sorted lines);
#   - ORDER BY ... LIMIT: the sequence of sort keys must be the same (keys
#     compared by value: -0 = 0 for float8, 1.5 = 1.50 for numeric), and
#     the rows of every group of equal keys the same multiset, except the
#     group cut by LIMIT (or OFFSET), of which only the size must match:
#     which tied rows are returned there is up to the plan;
#   - cursors (which select only the sort key): the sequence of values;
#   - min/max: by value.
# A mismatch is shown (diag) with the query, its planner settings, both
# results, the rows only in one of them and both plans.

# Phases, each running the query battery:
#   1. 3600 rows loaded before CREATE INDEX (index build) and 1800 after it
#      (index inserts, plus a rolled-back batch): lsm index entries in
#      memtables;
#   2. after lsm_am.flush() of every lsm index and lsm table;
#   3. after more inserts flushed in steps (several SSTables per index),
#      another rolled-back batch, and rows left in memtables;
#   4. after lsm_am.compact() of every lsm index and lsm table, and more
#      rows left in memtables;
#   5. after DELETE of about a third of the rows, UPDATEs of key columns
#      (new values, NULLs, no-op updates), deletes and re-inserts of the
#      same ids, and inserts: dead entries in the indexes; the battery also
#      runs in a REPEATABLE READ transaction whose snapshot predates these
#      changes;
#   6. after VACUUM (INDEX_CLEANUP ON) of every table (ambulkdelete):
#      index deletions in memtables;
#   7. after inserting the deleted rows again (heap reuses their TIDs, so
#      entries equal to deleted ones come back) and a flush;
#   8. after compaction.
# Every phase also checks that the four tables hold the same rows (seq
# scan digest), and that the lsm-index tables used index scans, index-only
# scans, bitmap index scans and backward scans somewhere.
#
# Environment: LSM_DIFF_SEED (default 20261121), LSM_DIFF_QUERIES (queries
# per phase, default 300), LSM_DIFF_INDEX_AM (default lsm; btree runs the
# harness btree against btree).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use POSIX qw(strftime);
use LsmAmTest;

my $seed = $ENV{LSM_DIFF_SEED} // 20261121;
my $nqueries = $ENV{LSM_DIFF_QUERIES} // 300;
my $index_am = $ENV{LSM_DIFF_INDEX_AM} // 'lsm';
my $max_diag = 5;    # mismatches shown in full per phase and table pair
srand($seed);
note("seed $seed (LSM_DIFF_SEED), $nqueries queries per phase, index AM $index_am");
my $t_start = time;

my $db = 'diff';
my $node = lsm_new_node('index_diff');
# No autovacuum: "before VACUUM" must mean it.  Level-0 compactions only
# from 12 SSTables on, so that phase 3 keeps several per index.
# Statements that fail are still logged, with their text; the thousands of
# queries that do not would make a server log of many megabytes.
$node->append_conf('postgresql.conf',
	"autovacuum = off\nlsm_am.l0_compaction_trigger = 12\nlog_statement = 'ddl'\n");
$node->start;

# ---------------------------------------------------------------- schema

# A UTF8 database, so that ICU collations can be used.
my $locale_ok = $node->psql('postgres',
	"CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'");
if ($locale_ok != 0)
{
	$node->safe_psql('postgres',
		"CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
}
$node->safe_psql($db, 'CREATE EXTENSION lsm_am');

# The collation of t_l: a linguistic one if there is one.
my $coll = $node->safe_psql(
	$db, q{
SELECT collname FROM pg_collation
WHERE collname IN ('en-US-x-icu', 'en-x-icu', 'und-x-icu', 'en_US.utf8', 'en_US')
  AND collencoding IN (-1, pg_char_to_encoding('UTF8'))
ORDER BY array_position(ARRAY['en-US-x-icu', 'en-x-icu', 'und-x-icu', 'en_US.utf8', 'en_US']::name[], collname)
LIMIT 1});
$coll = 'default' if $coll eq '';
note("t_l uses collation \"$coll\"; database default collation: "
	  . $node->safe_psql($db, "SELECT datcollate FROM pg_database WHERE datname = '$db'"));

# Column name => type.  Output of bool is t/f.
my %type = (
	id => 'int8',
	a => 'int4',
	b => 'int4',
	i8 => 'int8',
	t_c => 'text',
	t_l => 'text',
	f8 => 'float8',
	n => 'numeric',
	ts => 'timestamptz',
	u => 'uuid',
	bo => 'bool',
	pay => 'text');
my @colnames = qw(id a b i8 t_c t_l f8 n ts u bo pay);
my $allcols = join(', ', @colnames);
my $coldefs =
  "id int8 NOT NULL, a int4, b int4, i8 int8, t_c text COLLATE \"C\", "
  . "t_l text COLLATE \"$coll\", f8 float8, n numeric, ts timestamptz, u uuid, "
  . "bo bool, pay text";

# Index suffix => definition after "ON table USING am".
my @indexes = (
	[ id => 'UNIQUE', '(id)' ],
	[ a => '', '(a)' ],
	[ ab => '', '(a, b)' ],
	[ i8d => '', '(i8 DESC NULLS FIRST)' ],
	[ tc => '', '(t_c)' ],
	[ tl => '', '(t_l)' ],
	[ f8 => '', '(f8)' ],
	[ n => '', '(n)' ],
	[ tsi => '', '(ts) INCLUDE (a, pay)' ],
	[ u => '', '(u)' ],
	[ bon => '', '(bo, n DESC)' ],);

# The four tables: name => [table AM, index AM].
my %tables = (
	h_bt => [ 'heap', 'btree' ],
	h_lsm => [ 'heap', $index_am ],
	l_bt => [ 'lsm', 'btree' ],
	l_lsm => [ 'lsm', $index_am ],);
my @tables = qw(h_bt h_lsm l_bt l_lsm);
my @lsm_tables = grep { $tables{$_}[0] eq 'lsm' } @tables;
# Compared pairs: [reference, target, what].
my @pairs = (
	[ 'h_bt', 'h_lsm', "heap table: $index_am index vs btree" ],
	[ 'l_bt', 'l_lsm', "lsm table: $index_am index vs btree" ],
	[ 'h_bt', 'l_bt', 'sanity: btree on lsm table vs btree on heap' ],);
my @targets = qw(h_lsm l_lsm);

# lsm indexes, for flush/compact (none when comparing btree with btree).
my @lsm_indexes;
if ($index_am eq 'lsm')
{
	for my $t (@targets)
	{
		push @lsm_indexes, map { "${t}_$_->[0]" } @indexes;
	}
}

# ---------------------------------------------------------------- data

my $nrows = 8000;
# Generated columns, in a fixed order (hash order would make the data
# depend on more than the seed).
my @gencols = qw(a b i8 t_c t_l f8 n ts u bo);

sub rint { return int(rand($_[0])); }
sub pick { return $_[ rint(scalar @_) ]; }
sub chance { return rand() < $_[0]; }

my @words = (
	'apple', 'Apple', 'APPLE', 'äpfel', 'Äpfel', 'apfel', 'zebra', 'Zebra',
	'zoë', 'Zoë', 'naïve', 'naive', 'résumé', 'resume', 'Resume', 'straße',
	'strasse', 'Straße', 'ß', 'ss', '日本語', '中文', 'ÿ', 'œuvre',
	'ångström', 'éclair', 'eclair', 'Éclair', '😀', 'a', 'A', 'b', 'B', 'z',
	'0', '9', '-x', 'x-y', 'a b', 'ab', 'a_b', 'Ab', 'aB', '~tilde', '[br]',
	'Ω', 'ω', 'ñandú', 'nandu', 'Ærø');

sub gen_text
{
	return undef if chance(0.05);
	return '' if chance(0.02);
	my $w = pick(@words);
	$w .= ' ' . pick(@words) if chance(0.3);
	$w .= rint(40) if chance(0.5);
	$w = $w x (30 + rint(40)) if chance(0.01);    # long keys
	# keys of 3-6 kB, compressed in the tables (and in btree)
	$w = $w x int((3000 + rint(3000)) / length($w) + 1) if chance(0.004);
	return $w;
}

sub gen_int4
{
	my ($lo, $span, $pnull) = @_;
	return undef if chance($pnull);
	return pick('-2147483648', '2147483647') if chance(0.01);
	return $lo + rint($span);
}

my @i8_pool = map { (chance(0.5) ? -1 : 1) * (rint(2**31) * 2**31 + rint(2**31)) } 1 .. 150;

sub gen_int8
{
	return undef if chance(0.05);
	return pick('-9223372036854775808', '9223372036854775807', '0', '-1', '1')
	  if chance(0.02);
	return pick(@i8_pool) if chance(0.5);
	return rint(2000) - 1000 if chance(0.3);
	return (chance(0.5) ? -1 : 1) * (rint(2**31) * 2**31 + rint(2**31));
}

my @f8_special = ('0', '-0', 'NaN', 'Infinity', '-Infinity', '1e+308', '-1e+308',
	'5e-324', '2.2250738585072014e-308', '1.5', '-1.5');
my @f8_pool = map { sprintf('%.6g', (rand() - 0.5) * 10**(rint(12) - 4)) } 1 .. 100;

sub gen_float8
{
	return undef if chance(0.05);
	return pick(@f8_special) if chance(0.08);
	return pick(@f8_pool) if chance(0.4);
	return sprintf('%.6g', (rand() - 0.5) * 10**(rint(12) - 4));
}

my @n_special = ('NaN', 'Infinity', '-Infinity', '0', '0.000', '-0.00',
	'123456789012345678901234567890.12345', '-123456789012345678901234567890',
	'0.00000000000000000001', '1e-20', '1.5', '1.50', '1.500');

sub gen_numeric
{
	return undef if chance(0.05);
	return pick(@n_special) if chance(0.06);
	# Quarter units printed with 2 to 4 decimals: equal values, different
	# scales (1.50, 1.500, 1.5000).
	my $x = (rint(3000) - 1500) / 4;
	return sprintf('%.*f', 2 + rint(3), $x) if chance(0.7);
	return sprintf('%.*f', rint(6), (rand() - 0.5) * 10**(rint(10)));
}

my $ts_base = 1704067200;    # 2024-01-01 00:00:00 UTC

sub fmt_ts
{
	my ($epoch, $usec) = @_;
	my $s = strftime('%Y-%m-%d %H:%M:%S', gmtime($epoch));
	$s .= sprintf('.%06d', $usec) if $usec;
	return "$s+00";
}

sub gen_ts
{
	return undef if chance(0.04);
	return pick('infinity', '-infinity') if chance(0.01);
	return fmt_ts($ts_base + rint(20000) * 600, chance(0.1) ? 1 + rint(999999) : 0);
}

sub rand_uuid
{
	return sprintf('%08x-%04x-%04x-%04x-%04x%08x',
		rint(2**32), rint(65536), rint(65536), rint(65536), rint(65536), rint(2**32));
}
my @u_pool = (('00000000-0000-0000-0000-000000000000',
		'ffffffff-ffff-ffff-ffff-ffffffffffff'), map { rand_uuid() } 1 .. 100);

sub gen_uuid
{
	return undef if chance(0.05);
	return pick(@u_pool) if chance(0.4);
	return rand_uuid();
}

sub gen_bool
{
	return undef if chance(0.1);
	return chance(0.5) ? 't' : 'f';
}

my %gen = (
	id => sub { 1 + rint($nrows + 300) },
	a => sub { gen_int4(-50, 300, 0.05) },
	b => sub { gen_int4(0, 25, 0.08) },
	i8 => \&gen_int8,
	t_c => \&gen_text,
	t_l => \&gen_text,
	f8 => \&gen_float8,
	n => \&gen_numeric,
	ts => \&gen_ts,
	u => \&gen_uuid,
	bo => \&gen_bool,);

sub gen_pay
{
	my ($id) = @_;
	return undef if chance(0.03);
	return "p$id-" . join('', map { pick('a' .. 'z', 'é') } 1 .. (5 + rint(30)));
}

# Row ord (insertion order) has id $ids[ord]: ids are not in insertion order.
my @ids = (1 .. $nrows);
for (my $i = $#ids; $i > 0; $i--)
{
	my $j = rint($i + 1);
	@ids[ $i, $j ] = @ids[ $j, $i ];
}
my @rows;
for my $ord (0 .. $nrows - 1)
{
	my %r = (id => $ids[$ord]);
	$r{$_} = $gen{$_}->() for @gencols;
	$r{pay} = gen_pay($r{id});
	push @rows, \%r;
}

# COPY text of some rows (columns of @colnames, plus ord first).
sub copy_lines
{
	my ($list, @cols) = @_;
	my $s = '';
	for my $r (@$list)
	{
		$s .= join("\t", map { defined $r->{$_} ? $r->{$_} : '\N' } @cols) . "\n";
	}
	return $s;
}

my @src_rows = map { { %{ $rows[$_] }, ord => $_ } } 0 .. $#rows;
$node->safe_psql($db,
	"CREATE TABLE src (ord int, $coldefs);\n"
	  . "COPY src (ord, $allcols) FROM STDIN;\n"
	  . copy_lines(\@src_rows, 'ord', @colnames)
	  . "\\.\n");
is($node->safe_psql($db, 'SELECT count(*), count(DISTINCT id) FROM src'),
	"$nrows|$nrows", "source table holds $nrows generated rows");

for my $t (@tables)
{
	$node->safe_psql($db, "CREATE TABLE $t ($coldefs) USING $tables{$t}[0]");
}

# SQL inserting rows ord lo..hi of src into TABLE (in ord order).
sub insert_sql
{
	my ($t, $lo, $hi) = @_;
	return "INSERT INTO $t SELECT $allcols FROM src WHERE ord BETWEEN $lo AND $hi ORDER BY ord;\n";
}

# Run SQL on every table (TABLE replaced by its name), each table in its
# own psql call; dies on error.
sub on_all_tables
{
	my ($sql) = @_;
	for my $t (@tables)
	{
		(my $s = $sql) =~ s/\bTABLE\b/$t/g;
		$node->safe_psql($db, $s);
	}
	return;
}

# count|md5 of a table's rows in id order, through a seq scan.
sub digest
{
	my ($t) = @_;
	return $node->safe_psql(
		$db, qq{
SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
SET TimeZone = 'UTC';
SELECT count(*) || '|' || md5(coalesce(string_agg(r::text, ';' ORDER BY id), '')) FROM $t r});
}

sub check_same_rows
{
	my ($phase) = @_;
	my %d = map { $_ => digest($_) } @tables;
	for my $t (@tables[ 1 .. $#tables ])
	{
		is($d{$t}, $d{h_bt}, "$phase: $t holds the same rows as h_bt (seq scan count|md5)");
	}
	return;
}

# flush or compact every lsm index and lsm table.
sub lsm_maintain
{
	my ($phase, $fn) = @_;
	my @rels = (@lsm_indexes, @lsm_tables);
	my $sql = join("\n", map { "SELECT '$_', lsm_am.$fn('$_'::regclass);" } @rels);
	my ($ret, $out, $err) = $node->psql($db, $sql);
	is($ret, 0,
		"$phase: lsm_am.$fn() of every lsm index and lsm table succeeds (" . scalar(@rels) . ' relations)')
	  or diag($err);
	note("$phase: lsm_am.$fn results: " . join(', ', split /\n/, $out));
	return;
}

# Where lsm indexes keep their entries: SSTables and memtable entries.
sub lsm_index_storage
{
	return ('', '') unless @lsm_indexes;
	my $list = join(',', map { "'$_'::regclass" } @lsm_indexes);
	my $sst = $node->safe_psql($db,
		"SELECT count(*) || '|' || count(DISTINCT relation) FROM SSTableMeta WHERE relation IN ($list)");
	my $mem = $node->safe_psql($db,
		"SELECT coalesce(sum(entries), 0) || '|' || count(DISTINCT relation) FROM lsm_am.memtables WHERE relation IN ($list) AND entries > 0"
	);
	return ($sst, $mem);
}

# ---------------------------------------------------------------- load

# 3600 rows, then the indexes (index build), then 1800 rows in 6
# transactions (index inserts) and a rolled-back batch of 400 (rows that
# phase 3 inserts for real).
on_all_tables(insert_sql('TABLE', 0, 3599));
for my $t (@tables)
{
	my $am = $tables{$t}[1];
	my $failed = '';
	for my $ix (@indexes)
	{
		my ($suffix, $unique, $def) = @$ix;
		my $name = "${t}_$suffix";
		my $ddl = 'CREATE ' . ($unique ? "$unique " : '') . "INDEX $name ON $t USING $am $def";
		my ($ret, $out, $err) = $node->psql($db, $ddl);
		$failed .= "$ddl: $err\n" if $ret != 0;
	}
	is($failed, '', "the " . scalar(@indexes) . " indexes of $t are built USING $am");
}
if ($index_am eq 'lsm')
{
	is( $node->safe_psql(
			$db,
			"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
			  . "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid IN ('h_lsm'::regclass, 'l_lsm'::regclass) "
			  . "AND a.amname = 'lsm_index'"),
		2 * scalar(@indexes),
		'every index of h_lsm and l_lsm uses the lsm index access method (lsm_index)');
	is( $node->safe_psql(
			$db,
			"SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
			  . "JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid IN ('h_bt'::regclass, 'l_bt'::regclass) "
			  . "AND a.amname = 'btree'"),
		2 * scalar(@indexes),
		'every index of h_bt and l_bt is a btree');
}
for my $k (0 .. 5)
{
	my $lo = 3600 + $k * 300;
	on_all_tables(insert_sql('TABLE', $lo, $lo + 299));
	on_all_tables("BEGIN;\n" . insert_sql('TABLE', 6600, 6999) . "ROLLBACK;") if $k == 2;
}

# Capabilities the lsm index AM claims, to know which plans to expect.
my %cap;
$cap{can_order} = $node->safe_psql($db,
	"SELECT pg_indexam_has_property(relam, 'can_order') FROM pg_class WHERE oid = 'h_lsm_a'::regclass");
$cap{can_backward} = $node->safe_psql($db,
	"SELECT pg_index_has_property('h_lsm_a'::regclass, 'backward_scan')");
$cap{returnable} = $node->safe_psql($db,
	"SELECT pg_index_column_has_property('h_lsm_a'::regclass, 1, 'returnable')");
$cap{include} = $node->safe_psql($db,
	"SELECT pg_indexam_has_property(relam, 'can_include') FROM pg_class WHERE oid = 'h_lsm_a'::regclass");
note('target index AM properties: ' . join(', ', map { "$_=$cap{$_}" } sort keys %cap));

# ---------------------------------------------------------------- queries

# SQL literal of value V of column C.  $plain: no cross-type variants.
sub lit
{
	my ($c, $v, $plain) = @_;
	return 'NULL' unless defined $v;
	my $t = $type{$c};
	if ($t eq 'int4')
	{
		return $v if $plain || !chance(0.25);
		return "'$v'::int8" if chance(0.6);
		return abs($v) < 32768 ? "'$v'::int2" : "'$v'::int8";
	}
	if ($t eq 'int8')
	{
		return "'$v'::int8" if $plain;
		return $v if abs($v) < 2**31 - 1 && chance(0.4);    # int4 literal
		return "'$v'::int2" if abs($v) < 32767 && chance(0.1);
		return "'$v'::int8";
	}
	if ($t eq 'float8')
	{
		return "'$v'::float4" if !$plain && $v !~ /e[+-]3/ && chance(0.12);
		return "'$v'::float8";
	}
	if ($t eq 'timestamptz')
	{
		if (!$plain && $v !~ /infinity/)
		{
			return "'" . substr($v, 0, 10) . "'::date" if chance(0.08);
			return "'" . substr($v, 0, length($v) - 3) . "'::timestamp" if chance(0.08);
		}
		return "'$v'::timestamptz";
	}
	if ($t eq 'bool')
	{
		return $v eq 't' ? 'true' : 'false';
	}
	(my $q = $v) =~ s/'/''/g;
	return "'$q'::$t";
}

# A value of column C for a query: most often one that is in the table.
sub qval
{
	my ($c) = @_;
	if (chance(0.7))
	{
		for (1 .. 10)
		{
			my $v = $rows[ rint(scalar @rows) ]{$c};
			return $v if defined $v;
		}
	}
	my $v;
	$v = $gen{$c}->() until defined $v;
	return $v;
}

# An array of 0-10 values of C (present, absent, NULL), as SQL.
sub array_sql
{
	my ($c) = @_;
	my $n = chance(0.03) ? 0 : 1 + rint(10);
	my @v = map { chance(0.15) ? undef : chance(0.75) ? qval($c) : $gen{$c}->() } 1 .. $n;
	if ($type{$c} eq 'int8' && chance(0.15) && !grep { defined $_ && abs($_) >= 2**31 - 1 } @v)
	{
		# cross-type: int8 column = ANY (int4[])
		return 'ARRAY[' . join(', ', map { defined $_ ? $_ : 'NULL' } @v) . ']::int4[]';
	}
	return 'ARRAY[' . join(', ', map { lit($c, $_, 1) } @v) . "]::$type{$c}\[\]";
}

# Set by cond() when it wrote a bare boolean equality (see there).
my $plain_bool = 0;

# A WHERE condition on column C; returns (sql, shape).
sub cond
{
	my ($c, $shape) = @_;
	$shape //= pick(qw(eq eq range range range range in in null));
	if ($shape eq 'eq' && $c eq 'bo')
	{
		# PostgreSQL 15 simplifies bo = true to bo (and bo = false to NOT
		# bo), which indxpath.c matches to btree and hash boolean operator
		# families only (IsBooleanOpfamily): written like that, the
		# condition cannot use an lsm index.  Mostly use forms it leaves
		# alone; the plain one is still compared, but exempt from the
		# EXPLAIN check.
		my $v = lit('bo', qval('bo'));
		my $r = rint(5);
		return ("bo = ANY (ARRAY[$v])", 'eq') if $r < 2;
		return ("bo = (SELECT $v)", 'eq') if $r < 4;
		$plain_bool = 1;
		return ("bo = $v", 'eq');
	}
	if ($shape eq 'eq')
	{
		return ("$c = " . lit($c, qval($c)), 'eq');
	}
	if ($shape eq 'range')
	{
		my $r = rint(7);
		return ("$c " . pick('<', '<=', '>', '>=') . ' ' . lit($c, qval($c)), 'range')
		  if $r < 3;
		return ("$c BETWEEN " . lit($c, qval($c)) . ' AND ' . lit($c, qval($c)), 'range')
		  if $r < 5;
		if ($r < 6)
		{
			# Bounds in the right order, computed at run time.
			my ($x, $y) = (lit($c, qval($c), 1), lit($c, qval($c), 1));
			return ("$c BETWEEN LEAST($x, $y) AND GREATEST($x, $y)", 'range');
		}
		return (
			"$c " . pick('>', '>=') . ' ' . lit($c, qval($c)) . " AND $c " . pick('<', '<=') . ' ' . lit($c, qval($c)),
			'range');
	}
	if ($shape eq 'in')
	{
		my $r = rint(10);
		return ("$c " . pick('>', '<') . ' ANY (' . array_sql($c) . ')', 'in') if $r == 0;
		if ($r < 4 && $c ne 'bo')    # bo IN (x) would become bo = x
		{
			my @v = map { chance(0.1) ? undef : qval($c) } 1 .. (1 + rint(8));
			return ("$c IN (" . join(', ', map { lit($c, $_, 1) } @v) . ')', 'in');
		}
		return ("$c = ANY (" . array_sql($c) . ')', 'in');
	}
	if ($shape eq 'null')
	{
		return ("$c IS " . pick('', 'NOT ') . 'NULL', 'null');
	}
	die "unknown shape $shape";
}

# Just the SQL of cond().
sub cw { return (cond(@_))[0]; }

# Columns that some index leads with, for single-column conditions.
my @single = qw(id a i8 t_c t_l f8 n ts u bo);
my @minmax_cols = qw(id a i8 t_c t_l f8 n ts);

# Some other columns to select besides the key.
sub extra_cols
{
	my (@have) = @_;
	return @colnames if chance(0.2);
	my %h = map { $_ => 1 } @have;
	my @c = grep { !$h{$_} } @colnames;
	return (@have, map { pick(@c) } 1 .. rint(3));
}

sub uniq
{
	my %s;
	return grep { !$s{$_}++ } @_;
}

sub order_clause
{
	my ($c) = @_;
	my $dir = pick('', ' DESC');
	my $nulls = chance(0.15) ? pick(' NULLS FIRST', ' NULLS LAST') : '';
	return "$c$dir$nulls";
}

sub limit_clause
{
	my ($q) = @_;
	$q->{limit} = pick(1, 2, 3, 5, 10, 25, 100, 400);
	my $s = " LIMIT $q->{limit}";
	if (chance(0.1))
	{
		$q->{offset} = pick(1, 5, 30);
		$s .= " OFFSET $q->{offset}";
	}
	return $s;
}

# One random query.  Fields: sql (table written %T%), kind (count, rows,
# ordered, canon), keytypes (ordered: types of the leading sort-key output
# columns), types (canon: types of all output columns), limit, offset,
# shape (label for reports).
sub gen_query
{
	my %q;
	$plain_bool = 0;
	my $r = rand();
	my $sql;
	if ($r < 0.52)
	{
		my $c = pick(@single);
		my $what = pick(qw(count rows rows ios ordered ordered));
		if ($what eq 'ordered')
		{
			my ($w, $shape) = chance(0.3) ? ('', 'all') : cond($c, pick(qw(range range eq in null)));
			my @sel = chance(0.3) ? ($c) : uniq($c, extra_cols('id'));
			$sql = 'SELECT ' . join(', ', @sel) . ' FROM %T%' . ($w ne '' ? " WHERE $w" : '')
			  . ' ORDER BY ' . order_clause($c);
			$sql .= limit_clause(\%q);
			%q = (%q, kind => 'ordered', keytypes => [ $type{$c} ], shape => "$c:order/$shape");
		}
		else
		{
			my ($w, $shape) = cond($c);
			if ($what eq 'count')
			{
				$sql = 'SELECT ' . pick('count(*)', 'count(*), sum(id)') . " FROM %T% WHERE $w";
				%q = (kind => 'count');
			}
			else
			{
				my @sel = $what eq 'ios' ? ($c) : uniq('id', $c, extra_cols());
				$sql = 'SELECT ' . join(', ', @sel) . " FROM %T% WHERE $w";
				%q = (kind => 'rows');
			}
			$q{shape} = "$c:$shape/$what";
		}
	}
	elsif ($r < 0.72)
	{
		# (a, b)
		my $s = rint(12);
		my ($w, $ord, $shape);
		if ($s == 0) { $w = cw('a', 'eq') . ' AND ' . cw('b', 'eq'); $shape = 'a=,b=' }
		elsif ($s == 1) { $w = cw('a', 'eq') . ' AND ' . cw('b', 'range'); $shape = 'a=,b<>' }
		elsif ($s == 2) { $w = cw('a', 'in') . ' AND ' . cw('b', pick('eq', 'in')); $shape = 'a in,b' }
		elsif ($s == 3) { $w = cw('a', 'range') . ' AND ' . cw('b', 'range'); $shape = 'a<>,b<>' }
		elsif ($s == 4) { $w = cw('a', pick('eq', 'null')) . ' AND ' . cw('b', 'null'); $shape = 'a,b null' }
		elsif ($s == 5) { $w = 'a IS NULL AND ' . cw('b', pick('eq', 'range')); $shape = 'a null,b' }
		elsif ($s == 6) { ($w) = cond('b', pick('eq', 'range', 'null')); $shape = 'b only' }
		elsif ($s == 7)
		{
			$w = cw('a', 'eq');
			$ord = order_clause('b');
			$shape = 'a= order b';
		}
		elsif ($s == 8)
		{
			$w = '';
			my $d = pick('', ' DESC');
			$ord = "a$d, b$d";
			$shape = 'order a,b';
		}
		elsif ($s == 9)
		{
			$w = cw('a', 'range');
			my $d = pick('', ' DESC');
			$ord = "a$d, b$d";
			$shape = 'a<> order a,b';
		}
		else
		{
			$w = cw('a', pick('eq', 'range', 'in')) . ' AND ' . cw('b', pick('eq', 'range', 'null', 'in'));
			$shape = 'a,b mixed';
		}
		my $where = $w ne '' ? " WHERE $w" : '';
		if (defined $ord)
		{
			my @keys = $ord =~ /^a/ ? ('a', 'b') : ('b');
			my @sel = chance(0.4) ? ('a', 'b') : uniq(@keys, 'a', 'b', extra_cols('id'));
			@sel = uniq(@keys, @sel);
			$sql = 'SELECT ' . join(', ', @sel) . " FROM %T%$where ORDER BY $ord";
			$sql .= limit_clause(\%q);
			%q = (%q, kind => 'ordered', keytypes => [ map { $type{$_} } @keys ]);
		}
		else
		{
			my $what = pick(qw(count rows ios));
			if ($what eq 'count')
			{
				$sql = "SELECT count(*) FROM %T%$where";
				%q = (kind => 'count');
			}
			else
			{
				my @sel = $what eq 'ios' ? ('a', 'b') : uniq('id', 'a', 'b', extra_cols());
				$sql = 'SELECT ' . join(', ', @sel) . " FROM %T%$where";
				%q = (kind => 'rows');
			}
		}
		$q{shape} = "(a,b):$shape";
	}
	elsif ($r < 0.82)
	{
		# (bo, n DESC)
		my $s = rint(6);
		my ($w, $ord, $shape);
		if ($s == 0) { $w = cw('bo', 'eq') . ' AND ' . cw('n', pick('eq', 'range', 'in')); $shape = 'bo=,n' }
		elsif ($s == 1) { $w = 'bo IS NULL AND ' . cw('n', pick('range', 'null')); $shape = 'bo null,n' }
		elsif ($s == 2)
		{
			$w = cw('bo', 'eq');
			$ord = 'n' . pick('', ' DESC');
			$shape = 'bo= order n';
		}
		elsif ($s == 3)
		{
			$w = '';
			$ord = pick('bo, n DESC', 'bo DESC, n');
			$shape = 'order bo,n';
		}
		elsif ($s == 4) { ($w) = cond('bo', pick('in', 'range', 'null')); $shape = 'bo' }
		else
		{
			$w = cw('bo', 'eq') . ' AND ' . cw('n', 'range');
			$ord = 'n' . pick('', ' DESC');
			$shape = 'bo=,n<> order n';
		}
		my $where = $w ne '' ? " WHERE $w" : '';
		if (defined $ord)
		{
			my @keys = $ord =~ /^bo/ ? ('bo', 'n') : ('n');
			my @sel = chance(0.4) ? (@keys) : uniq(@keys, extra_cols('id'));
			$sql = 'SELECT ' . join(', ', @sel) . " FROM %T%$where ORDER BY $ord";
			$sql .= limit_clause(\%q);
			%q = (%q, kind => 'ordered', keytypes => [ map { $type{$_} } @keys ]);
		}
		else
		{
			my $what = pick(qw(count rows ios));
			if ($what eq 'count') { $sql = "SELECT count(*) FROM %T%$where"; %q = (kind => 'count'); }
			else
			{
				my @sel = $what eq 'ios' ? ('bo', 'n') : uniq('id', 'bo', 'n', extra_cols());
				$sql = 'SELECT ' . join(', ', @sel) . " FROM %T%$where";
				%q = (kind => 'rows');
			}
		}
		$q{shape} = "(bo,n):$shape";
	}
	elsif ($r < 0.92)
	{
		# (ts) INCLUDE (a, pay): index-only shapes with INCLUDE columns
		if (chance(0.35))
		{
			my ($w) = chance(0.4) ? ('') : cond('ts', 'range');
			$sql = 'SELECT ts, a, pay FROM %T%' . ($w ne '' ? " WHERE $w" : '')
			  . ' ORDER BY ' . order_clause('ts');
			$sql .= limit_clause(\%q);
			%q = (%q, kind => 'ordered', keytypes => ['timestamptz'], shape => 'ts incl:order');
		}
		else
		{
			my ($w, $shape) = cond('ts');
			$sql = 'SELECT ' . pick('ts, a, pay', 'a', 'pay, ts', 'count(*)') . " FROM %T% WHERE $w";
			%q = (kind => 'rows', shape => "ts incl:$shape");
		}
	}
	elsif ($r < 0.94)
	{
		my $c = pick(@minmax_cols);
		my ($w) = chance(0.5) ? ('') : cond($c, pick('range', 'in'));
		$sql = "SELECT min($c), max($c) FROM %T%" . ($w ne '' ? " WHERE $w" : '');
		%q = (kind => 'canon', types => [ $type{$c}, $type{$c} ], shape => "$c:minmax");
	}
	elsif ($r < 0.97)
	{
		# Self-joins: a merge join reads ordered index scans (and marks and
		# restores the inner one over duplicates); a nested loop rescans
		# the inner index scan with a new key for every outer row.
		if (chance(0.5))
		{
			my $c = pick(qw(a t_c t_l f8 n ts u i8));
			my $on = $c eq 'a' && chance(0.5) ? 'x.a = y.a AND x.b = y.b' : "x.$c = y.$c";
			my $w = $c eq 'a' || chance(0.5) ? ' WHERE ' . cw($c, 'range') : '';
			$w =~ s/(?<![\w.'])\Q$c\E\b/x.$c/g;    # no literal holds a column name
			$sql = "SELECT count(*), sum(x.id), sum(y.id) FROM %T% x JOIN %T% y ON $on$w";
			%q = (kind => 'count', shape => "join:merge on $c", mode => 'merge');
		}
		else
		{
			my $c = pick(qw(a t_c t_l f8 n ts u i8 id));
			$sql = "SELECT count(*), sum(x.id), sum(y.id) FROM %T% x JOIN %T% y ON y.$c = x.$c WHERE x.id <= "
			  . (50 + rint(800));
			%q = (kind => 'count', shape => "join:nestloop on $c", mode => 'nestloop');
		}
	}
	else
	{
		# A scroll cursor moved both ways: index scans that turn around.
		# Only key columns are selected, so ties cannot differ.
		my ($ord, @keys);
		if (chance(0.3))
		{
			@keys = ('a', 'b');
			my $d = pick('', ' DESC');
			$ord = "a$d, b$d";
		}
		else
		{
			@keys = (pick(qw(id a i8 t_c t_l f8 n ts u)));
			$ord = order_clause($keys[0]);
		}
		my ($w) = chance(0.3) ? ('') : cond($keys[0], pick(qw(range range in null)));
		$sql = 'SELECT ' . join(', ', @keys) . ' FROM %T%' . ($w ne '' ? " WHERE $w" : '') . " ORDER BY $ord";
		my @moves;
		for (1 .. 3 + rint(6))
		{
			my $n = 1 + rint(20);
			push @moves,
			  pick("FETCH $n", "FETCH BACKWARD $n", 'FETCH PRIOR', 'FETCH NEXT', "FETCH RELATIVE -$n",
				"FETCH RELATIVE $n", "FETCH ABSOLUTE $n", 'FETCH FIRST', 'FETCH LAST', "MOVE $n",
				"MOVE BACKWARD $n", "FETCH BACKWARD $n", "FETCH $n");
		}
		%q = (
			kind => 'canonseq',
			types => [ map { $type{$_} } @keys ],
			cursor => \@moves,
			shape => 'cursor:' . join(',', @keys),
			mode => 'index');
	}
	$q{sql} = $sql;
	$q{plain_bool} = $plain_bool;
	$q{mode} //= pick(qw(any any index index bitmap));
	# Without WHERE, only ordered index scans can use an index.
	$q{mode} = pick(qw(any index)) if $q{mode} eq 'bitmap' && $sql !~ / WHERE /;
	return \%q;
}

# Planner settings of each mode (enable_seqscan is always off): which of
# indexscan, indexonlyscan, bitmapscan, sort, hashjoin, mergejoin,
# nestloop are on.
my %mode_sql;
{
	my @gucs = qw(indexscan indexonlyscan bitmapscan sort hashjoin mergejoin nestloop);
	my %on = (
		any => [qw(indexscan indexonlyscan bitmapscan sort hashjoin mergejoin nestloop)],
		index => [qw(indexscan indexonlyscan hashjoin mergejoin nestloop)],
		bitmap => [qw(bitmapscan sort hashjoin mergejoin nestloop)],
		merge => [qw(indexscan indexonlyscan mergejoin)],
		nestloop => [qw(indexscan indexonlyscan bitmapscan sort nestloop)],);
	for my $m (keys %on)
	{
		my %set = map { $_ => 1 } @{ $on{$m} };
		$mode_sql{$m} = join(' ', map { "SET enable_$_ = " . ($set{$_} ? 'on' : 'off') . ';' } @gucs);
	}
}

# ---------------------------------------------------------------- running

# The script running every query of @$qs on table T, with EXPLAIN first.
# Results go to the file $outfile (\o, \qecho), markers also to stderr
# (\warn) so that errors can be attributed to their query.
# $in_tx: the script runs inside a transaction (cursors need no BEGIN).
sub battery_script
{
	my ($t, $qs, $outfile, $in_tx) = @_;
	my $s = "\\o $outfile\n\\pset null '<NULL>'\n\\set ON_ERROR_ROLLBACK on\nSET TimeZone = 'UTC';\n"
	  . "SET max_parallel_workers_per_gather = 0;\nSET enable_seqscan = off;\nSET cursor_tuple_fraction = 1;\n";
	for my $i (0 .. $#$qs)
	{
		my $q = $qs->[$i];
		(my $sql = $q->{sql}) =~ s/%T%/$t/g;
		my $run = "$sql;\n";
		if ($q->{cursor})
		{
			$run = ($in_tx ? '' : "BEGIN;\n") . "DECLARE dc SCROLL CURSOR FOR $sql;\n"
			  . join("\\qecho ~\n", map { "$_ FROM dc;\n" } @{ $q->{cursor} })
			  . "CLOSE dc;\n" . ($in_tx ? '' : "COMMIT;\n");
		}
		$s .= "$mode_sql{$q->{mode}}\n\\qecho \@\@E $i\n\\warn \@\@E $i\nEXPLAIN (COSTS OFF) $sql;\n"
		  . "\\qecho \@\@R $i\n\\warn \@\@R $i\n$run";
	}
	$s .= "\\qecho \@\@END\n\\warn \@\@END\n\\o\n";
	return $s;
}

# Split a script's stdout and stderr by the markers: one entry per query
# with plan (lines), out (lines) and err (text).
sub parse_output
{
	my ($n, $stdout, $stderr) = @_;
	my @res = map { { plan => [], out => [], err => '' } } 1 .. $n;
	my ($cur, $sec, $ended) = (undef, undef, 0);
	for my $line (split /\n/, $stdout)
	{
		if ($line =~ /^\@\@([ER]) (\d+)$/) { ($sec, $cur) = ($1, $2); next; }
		if ($line eq '@@END') { $ended = 1; $cur = undef; next; }
		next unless defined $cur;
		push @{ $res[$cur]{ $sec eq 'E' ? 'plan' : 'out' } }, $line;
	}
	$cur = undef;
	for my $line (split /\n/, $stderr)
	{
		if ($line =~ /^\@\@([ER]) (\d+)$/) { $cur = $2; next; }
		if ($line eq '@@END') { $cur = undef; next; }
		if (defined $cur) { $res[$cur]{err} .= "$line\n"; }
		else { $res[0]{err} .= "(outside a query) $line\n"; }
	}
	return (\@res, $ended);
}

# Run the battery on every table.  The script goes to a file that psql
# reads with \i (IPC::Run fails on large inputs to a background psql);
# $runner->(psql input) returns stderr.
my $tmpdir = PostgreSQL::Test::Utils::tempdir;
my $nbattery = 0;

sub slurp
{
	my ($f) = @_;
	open(my $fh, '<', $f) or return '';
	local $/;
	my $s = <$fh>;
	close $fh;
	return $s // '';
}

sub run_battery
{
	my ($qs, $runner, $in_tx) = @_;
	my %res;
	for my $t (@tables)
	{
		$nbattery++;
		my $in = "$tmpdir/battery_$nbattery.sql";
		my $outfile = "$tmpdir/battery_$nbattery.out";
		open(my $fh, '>', $in) or die "cannot write $in: $!";
		print $fh battery_script($t, $qs, $outfile, $in_tx);
		close $fh;
		my $err = $runner->("\\i $in");
		my ($r, $ended) = parse_output(scalar @$qs, slurp($outfile), $err);
		ok($ended, "battery on $t ran to its end") or diag(substr($err, 0, 2000));
		$res{$t} = $r;
		unlink $in, $outfile;
	}
	return \%res;
}

sub psql_runner
{
	my ($script) = @_;
	my ($out, $err) = ('', '');
	$node->psql(
		$db, $script,
		stdout => \$out,
		stderr => \$err,
		on_error_stop => 0,
		timeout => 4 * $PostgreSQL::Test::Utils::timeout_default);
	return $err;
}

# ---------------------------------------------------------------- comparing

# A value in a form where equal values of the type are equal strings.
sub canon
{
	my ($t, $v) = @_;
	return $v if $v eq '<NULL>';
	if ($t eq 'float8' || $t eq 'float4')
	{
		return $v if $v =~ /^-?(NaN|Infinity)$/;
		return '0' if $v + 0 == 0;
		return sprintf('%.17g', $v);
	}
	if ($t eq 'numeric')
	{
		return $v if $v =~ /^-?(NaN|Infinity)$/;
		my $x = $v;
		if ($x =~ /\./) { $x =~ s/0+$//; $x =~ s/\.$//; }
		$x = '0' if $x =~ /^-?0$/;
		return $x;
	}
	return $v;
}

# The fields of an output line (an empty line is one empty field).
sub fields
{
	my ($line) = @_;
	my @f = split /\|/, $line, -1;
	return @f ? @f : ('');
}

sub sorted_eq
{
	my ($x, $y) = @_;
	return join("\n", sort @$x) eq join("\n", sort @$y);
}

# undef when the target's result equals the reference's, else why not.
sub compare
{
	my ($q, $ref, $got) = @_;
	return 'error: ' . ($ref->{err} ne '' ? "reference: $ref->{err}" : '') . ($got->{err} ne '' ? "target: $got->{err}" : '')
	  if $ref->{err} ne '' || $got->{err} ne '';
	my ($r, $g) = ($ref->{out}, $got->{out});
	my $k = $q->{kind};
	if ($k eq 'count')
	{
		return join("\n", @$r) eq join("\n", @$g) ? undef : 'different result';
	}
	if ($k eq 'rows')
	{
		return sorted_eq($r, $g) ? undef : 'different rows (as multisets)';
	}
	if ($k eq 'canonseq')
	{
		my $c = sub {
			join("\n", map { my @f = fields($_); $_ eq '~' ? '~' : join('|', map { canon($q->{types}[$_], $f[$_]) } 0 .. $#f) } @{ $_[0] });
		};
		return $c->($r) eq $c->($g) ? undef : 'different sequence (by value)';
	}
	if ($k eq 'canon')
	{
		my $c = sub {
			[ map { my @f = fields($_); join('|', map { canon($q->{types}[$_], $f[$_]) } 0 .. $#f) } @{ $_[0] } ];
		};
		return sorted_eq($c->($r), $c->($g)) ? undef : 'different values';
	}
	# ordered: groups of equal sort keys
	return 'different number of rows' if @$r != @$g;
	my $groups = sub {
		my @gr;
		for my $line (@{ $_[0] })
		{
			my @f = fields($line);
			my $key = join("\x01", map { canon($q->{keytypes}[$_], $f[$_]) } 0 .. $#{ $q->{keytypes} });
			if (!@gr || $gr[-1]{key} ne $key) { push @gr, { key => $key, lines => [] }; }
			push @{ $gr[-1]{lines} }, $line;
		}
		return \@gr;
	};
	my ($rg, $gg) = ($groups->($r), $groups->($g));
	return 'different sequence of sort keys' if @$rg != @$gg;
	my $cut = defined $q->{limit} && @$r == $q->{limit};
	for my $i (0 .. $#$rg)
	{
		return "different sort key at position $i"
		  if $rg->[$i]{key} ne $gg->[$i]{key}
		  || @{ $rg->[$i]{lines} } != @{ $gg->[$i]{lines} };
		next if $cut && $i == $#$rg;
		next if $q->{offset} && $i == 0;
		return "different rows among the ties of sort key group $i"
		  unless sorted_eq($rg->[$i]{lines}, $gg->[$i]{lines});
	}
	return undef;
}

sub show_lines
{
	my ($lines) = @_;
	my @l = @$lines;
	my $n = @l;
	my $s = join("\n", map { "      $_" } @l[ 0 .. ($n > 12 ? 11 : $n - 1) ]);
	$s .= "\n      ... ($n lines)" if $n > 12;
	return $n ? $s : '      (no rows)';
}

# Lines of one result missing from the other (multisets), for reports.
sub show_difference
{
	my ($rt, $r, $tt, $g) = @_;
	my %n;
	$n{$_}++ for @$r;
	$n{$_}-- for @$g;
	my @only_r = grep { $n{$_} > 0 } sort keys %n;
	my @only_g = grep { $n{$_} < 0 } sort keys %n;
	return '' unless @only_r || @only_g;
	return "  rows only in $rt (" . scalar(@only_r) . "):\n" . show_lines(\@only_r) . "\n"
	  . "  rows only in $tt (" . scalar(@only_g) . "):\n" . show_lines(\@only_g) . "\n";
}

# Index nodes of a plan: list of "Index Scan", "Index Only Scan Backward", ...
sub plan_nodes
{
	my ($plan) = @_;
	my @n;
	for (@$plan)
	{
		push @n, $1 . ($2 // '') if /(Bitmap Index Scan|Index Only Scan|Index Scan)( Backward)? (?:using|on) /;
	}
	return @n;
}

sub plan_sorts
{
	my ($plan) = @_;
	return scalar grep { /(?:^|\s|->\s*)(?:Incremental )?Sort\b/ && !/Sort Key/ } @$plan;
}

# Compare the battery results; one set of tests per phase.
sub check_battery
{
	my ($phase, $qs, $res) = @_;
	for my $p (@pairs)
	{
		my ($rt, $tt, $what) = @$p;
		my @bad;
		for my $i (0 .. $#$qs)
		{
			my $why = compare($qs->[$i], $res->{$rt}[$i], $res->{$tt}[$i]);
			push @bad, [ $i, $why ] if defined $why;
		}
		is(scalar @bad, 0, "$phase: $what: " . scalar(@$qs) . ' queries give the same results');
		for my $b (@bad[ 0 .. ($#bad < $max_diag - 1 ? $#bad : $max_diag - 1) ])
		{
			my ($i, $why) = @$b;
			my $q = $qs->[$i];
			(my $sql = $q->{sql}) =~ s/%T%/$tt/g;
			$sql = "DECLARE dc SCROLL CURSOR FOR $sql; " . join('; ', map { "$_ FROM dc" } @{ $q->{cursor} })
			  if $q->{cursor};
			diag(   "MISMATCH ($phase, seed $seed, query $i, shape $q->{shape}, mode $q->{mode}): $why\n"
				  . "  $mode_sql{$q->{mode}}\n  $sql;\n"
				  . "  $rt:\n" . show_lines($res->{$rt}[$i]{out}) . ($res->{$rt}[$i]{err} ne '' ? "\n  error: $res->{$rt}[$i]{err}" : '') . "\n"
				  . "  $tt:\n" . show_lines($res->{$tt}[$i]{out}) . ($res->{$tt}[$i]{err} ne '' ? "\n  error: $res->{$tt}[$i]{err}" : '') . "\n"
				  . show_difference($rt, $res->{$rt}[$i]{out}, $tt, $res->{$tt}[$i]{out})
				  . "  plan on $tt:\n" . show_lines($res->{$tt}[$i]{plan}) . "\n"
				  . "  plan on $rt:\n" . show_lines($res->{$rt}[$i]{plan}));
		}
	}

	my $empty = grep { !@{ $res->{h_bt}[$_]{out} } || join('', @{ $res->{h_bt}[$_]{out} }) =~ /^0(\|0)?$/ } 0 .. $#$qs;
	my $rowsout = 0;
	$rowsout += @{ $res->{h_bt}[$_]{out} } for 0 .. $#$qs;
	note("$phase: $empty of " . scalar(@$qs) . " queries found nothing on h_bt; $rowsout result lines in all");
	my %shapes;
	$shapes{ $_->{shape} =~ s/:.*//r }++ for @$qs;
	note("$phase: queries by column(s): " . join(', ', map { "$_ $shapes{$_}" } sort keys %shapes));

	# The target tables really went through their (lsm) indexes.
	for my $tt (@targets)
	{
		(my $rt = $tt) =~ s/_lsm$/_bt/;
		my (%seen, @noindex, @unordered);
		my $neither = 0;
		for my $i (0 .. $#$qs)
		{
			my @n = plan_nodes($res->{$tt}[$i]{plan});
			$seen{$_}++ for @n;
			$seen{'any Backward'}++ if grep { /Backward/ } @n;
			$seen{'(no index)'}++ unless @n;
			for my $j ('Merge Join', 'Nested Loop', 'Materialize')
			{
				$seen{$j}++ if grep { /\b$j\b/ } @{ $res->{$tt}[$i]{plan} };
			}
			# Where btree is used, the target's index must be too.
			if (!@n && plan_nodes($res->{$rt}[$i]{plan}))
			{
				if ($qs->[$i]{plain_bool}) { $seen{'(no index: bo = const)'}++; }
				else { push @noindex, $i; }
			}
			# btree gave the order without sorting, the target sorted
			# (only where sorting is disabled, so that no cost estimate
			# can make the difference).
			push @unordered, $i
			  if $qs->[$i]{kind} =~ /^(ordered|canonseq)$/
			  && $qs->[$i]{mode} eq 'index'
			  && !$qs->[$i]{plain_bool}
			  && plan_nodes($res->{$rt}[$i]{plan})
			  && !plan_sorts($res->{$rt}[$i]{plan})
			  && plan_sorts($res->{$tt}[$i]{plan});
		}
		is(scalar @noindex, 0,
			"$phase: every query planned with a btree scan on $rt is planned with an index scan on $tt (EXPLAIN)");
		for my $i (@noindex[ 0 .. ($#noindex < $max_diag - 1 ? $#noindex : $max_diag - 1) ])
		{
			(my $sql = $qs->[$i]{sql}) =~ s/%T%/$tt/g;
			diag("NO INDEX ($phase, query $i, shape $qs->[$i]{shape}, mode $qs->[$i]{mode}): $sql\n"
				  . show_lines($res->{$tt}[$i]{plan}));
		}
		if ($cap{can_order} eq 't')
		{
			is(scalar @unordered, 0,
				"$phase: on $tt, ORDER BY queries that btree answers in index order are answered in index order too");
			for my $i (@unordered[ 0 .. ($#unordered < $max_diag - 1 ? $#unordered : $max_diag - 1) ])
			{
				(my $sql = $qs->[$i]{sql}) =~ s/%T%/$tt/g;
				diag("SORTED ($phase, query $i, mode $qs->[$i]{mode}): $sql\n" . show_lines($res->{$tt}[$i]{plan}));
			}
		}
		note("$phase: index nodes in plans on $tt: " . join(', ', map { "$_: $seen{$_}" } sort keys %seen));
		my @want = ('Index Scan', 'Bitmap Index Scan');
		push @want, 'Index Only Scan' if $cap{returnable} eq 't';
		push @want, 'any Backward' if $cap{can_backward} eq 't' && $cap{can_order} eq 't';
		is(join(',', grep { !$seen{$_} } @want), '',
			"$phase: plans on $tt include every kind of index scan (" . join(', ', @want) . ')');
	}
	return;
}

my $nphase = 0;

sub phase
{
	my ($name) = @_;
	$nphase++;
	my $phase = "phase $nphase ($name)";
	my $t0 = time;
	my @qs = map { gen_query() } 1 .. $nqueries;
	check_same_rows($phase);
	my $res = run_battery(\@qs, \&psql_runner);
	check_battery($phase, \@qs, $res);
	my ($sst, $mem) = lsm_index_storage();
	note(sprintf('%s: %.1f s; lsm index SSTables|indexes: %s, memtable entries|indexes: %s',
			$phase, time - $t0, $sst, $mem));
	return (\@qs, $res);
}

# ---------------------------------------------------------------- phases

# 1. Right after the load: index entries in memtables.
if (@lsm_indexes)
{
	my ($sst, $mem) = lsm_index_storage();
	my ($entries) = split /\|/, $mem;
	cmp_ok($entries, '>', 0, 'phase 1: lsm indexes have entries in memtables');
}
phase('after load, memtables');

# 2. Everything flushed.
lsm_maintain('phase 2', 'flush');
if (@lsm_indexes)
{
	my $list = join(',', map { "'$_'::regclass" } @lsm_indexes);
	is( $node->safe_psql(
			$db,
			"SELECT count(*) FROM unnest(ARRAY[$list]) r WHERE NOT EXISTS (SELECT FROM SSTableMeta s WHERE s.relation = r)"
		),
		'0',
		'phase 2: every lsm index has SSTables after lsm_am.flush');
}
phase('after flush');

# 3. More inserts, flushed in steps: several SSTables per index, not
# compacted (unless the workers do it), a rolled-back batch among them,
# then more rows (those of the rolled-back batch) left in memtables.
on_all_tables(insert_sql('TABLE', 5400, 5999));
lsm_maintain('phase 3', 'flush');
on_all_tables(insert_sql('TABLE', 6000, 6599));
lsm_maintain('phase 3', 'flush');
on_all_tables("BEGIN;\n" . insert_sql('TABLE', 6600, 7199) . "ROLLBACK;");
lsm_maintain('phase 3', 'flush');
on_all_tables(insert_sql('TABLE', 6600, 6999));
phase('several SSTables and memtables');

# 4. Compaction, then more rows left in memtables.
lsm_maintain('phase 4', 'compact');
on_all_tables(insert_sql('TABLE', 7000, 7599));
phase('after compaction, more rows in memtables');

# 5. Deletes, updates, deletes and re-inserts, inserts, with a snapshot
# taken before them kept open.
my $old = $node->background_psql($db, on_error_stop => 0);
$old->set_query_timer_restart();
$old->query_safe("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM h_bt; SELECT count(*) FROM l_lsm;");
my $digest_before = digest('h_bt');

my @live = map { $rows[$_]{id} } 0 .. 7599;
my (@del, @keep);
for my $id (@live) { if (chance(1 / 3)) { push @del, $id } else { push @keep, $id } }
my @upd_ids = grep { chance(0.12) } @keep;
my %is_upd = map { $_ => 1 } @upd_ids;
my @reins = grep { !$is_upd{$_} && chance(0.02) } @keep;
my @upd = map {
	my %r = (id => $_);
	$r{$_} = $gen{$_}->() for @gencols;
	\%r
} @upd_ids;
my @keyset = @gencols;
$node->safe_psql($db,
	"CREATE TABLE del_ids (id int8);\nCOPY del_ids FROM STDIN;\n" . join('', map { "$_\n" } @del) . "\\.\n"
	  . "CREATE TABLE reins (id int8);\nCOPY reins FROM STDIN;\n" . join('', map { "$_\n" } @reins) . "\\.\n"
	  . "CREATE TABLE upd (id int8, " . join(', ', map { "$_ $type{$_}" } @keyset) . ");\n"
	  . 'COPY upd (id, ' . join(', ', @keyset) . ") FROM STDIN;\n"
	  . copy_lines(\@upd, 'id', @keyset) . "\\.\n");
# Where the deleted rows of h_lsm were, to see TIDs reused in phase 7.
$node->safe_psql($db, 'CREATE TABLE old_tids AS SELECT id, ctid AS tid FROM h_lsm WHERE id IN (SELECT id FROM del_ids)');
on_all_tables('DELETE FROM TABLE WHERE id IN (SELECT id FROM del_ids)');
on_all_tables('UPDATE TABLE x SET ' . join(', ', map { "$_ = u.$_" } @keyset) . ' FROM upd u WHERE x.id = u.id');
on_all_tables("UPDATE TABLE SET bo = bo WHERE id % 13 = 0 AND id NOT IN (SELECT id FROM del_ids)");
on_all_tables("UPDATE TABLE SET pay = pay || '+' WHERE id % 17 = 0");
on_all_tables("DELETE FROM TABLE WHERE id IN (SELECT id FROM reins);\n"
	  . "INSERT INTO TABLE SELECT $allcols FROM src WHERE id IN (SELECT id FROM reins) ORDER BY ord;");
on_all_tables(insert_sql('TABLE', 7600, 7999));
note(sprintf('phase 5 changes: %d deleted, %d updated, %d deleted and re-inserted, 400 inserted',
		scalar @del, scalar @upd, scalar @reins));
my ($qs5, $qs5_res) = phase('after deletes and updates, before VACUUM');

# The same battery, in the snapshot taken before the changes.
{
	my $old_res = run_battery(
		$qs5,
		sub {
			my ($script) = @_;
			$old->query($script);
			my $err = $old->{stderr};
			$old->{stderr} = '';
			return $err;
		},
		1);
	check_battery('phase 5 (in a snapshot from before the deletes)', $qs5, $old_res);
	# That snapshot did see the rows as they were.
	my ($in_old) = $old->query(
		"SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; SET TimeZone = 'UTC';\n"
		  . "SELECT count(*) || '|' || md5(coalesce(string_agg(r::text, ';' ORDER BY id), '')) FROM h_bt r");
	is($in_old, $digest_before, 'phase 5: the old snapshot sees the rows as they were before the changes');
	isnt($in_old, digest('h_bt'), 'phase 5: ... which differ from the rows now');
	my $differ = grep { join("\n", @{ $old_res->{h_bt}[$_]{out} }) ne join("\n", @{ $qs5_res->{h_bt}[$_]{out} }) } 0 .. $#$qs5;
	cmp_ok($differ, '>', 0, "phase 5: queries in the old snapshot see other results than now ($differ of " . scalar(@$qs5) . ')');
	$old->query('COMMIT');
	$old->quit;
}

# 6. VACUUM: the index entries of dead rows are deleted (ambulkdelete),
# their deletions are in the indexes' memtables.
for my $t (@tables)
{
	my ($ret, $out, $err) = $node->psql($db, "VACUUM (INDEX_CLEANUP ON, VERBOSE) $t");
	is($ret, 0, "phase 6: VACUUM of $t succeeds") or diag($err);
	note("VACUUM $t: " . join(' / ', map { s/^INFO:\s+//r } grep { /now contains|removed|vacuuming/ } split /\n/, $err));
}
phase('after VACUUM');

# 7. The deleted rows inserted again, as they were: heap reuses the TIDs
# VACUUM freed, so the heap table's lsm indexes get entries (key, TID)
# equal to ones VACUUM just deleted.  Then a flush: the deletions and the
# new entries in SSTables over the older ones.
on_all_tables("INSERT INTO TABLE SELECT $allcols FROM src WHERE id IN (SELECT id FROM del_ids) ORDER BY ord");
my $reused = $node->safe_psql($db,
	'SELECT count(*) FROM h_lsm WHERE ctid = ANY (ARRAY(SELECT tid FROM old_tids))');
my $same = $node->safe_psql($db,
	'SELECT count(*) FROM h_lsm h JOIN old_tids o USING (id) WHERE h.ctid = o.tid');
cmp_ok($reused, '>', 0, 'phase 7: rows inserted after VACUUM reuse TIDs of deleted rows in h_lsm');
note("phase 7: $reused rows of h_lsm sit at TIDs of rows deleted in phase 5, $same of them the same row as before");
lsm_maintain('phase 7', 'flush');
phase('after re-inserting deleted rows, and flush');

# 8. Everything compacted.
lsm_maintain('phase 8', 'compact');
phase('after compaction');

# ---------------------------------------------------------------- TID reuse
#
# Entries equal to deleted ones, for certain: a heap table whose rows are
# all deleted is truncated to nothing by VACUUM, so the same rows inserted
# again get the same TIDs, and an lsm index receives (key, TID) = PUT, then
# DELETE (VACUUM), then PUT again.  Checked with the entries in every
# combination of memtable and SSTables.
{
	my $am = $index_am;
	$node->safe_psql(
		$db, qq{
CREATE TABLE r_bt (k int, v text) USING heap;
CREATE TABLE r_lsm (k int, v text) USING heap;
CREATE INDEX r_bt_k ON r_bt USING btree (k);
CREATE INDEX r_lsm_k ON r_lsm USING $am (k) INCLUDE (v);
});
	my $fill = "INSERT INTO TABLE SELECT g % 500, 'v' || g FROM generate_series(1, 3000) g;";
	my $tids = sub {
		$node->safe_psql($db,
			"SELECT count(*) || '|' || md5(string_agg(ctid::text || ':' || k, ',' ORDER BY ctid)) FROM $_[0]");
	};
	my $check = sub {
		my ($what) = @_;
		my %r;
		for my $t (qw(r_bt r_lsm))
		{
			$r{$t} = $node->safe_psql(
				$db, qq{
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT count(*) FROM $t WHERE k >= 0;
SELECT string_agg(k || ':' || n, ',' ORDER BY k) FROM (SELECT k, count(*) AS n FROM $t WHERE k BETWEEN 100 AND 140 GROUP BY k) s;
SELECT string_agg(v, ',' ORDER BY v) FROM $t WHERE k = ANY ('{7,77,177,477}');
SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = on;
SELECT count(*) FROM $t WHERE k < 250;
});
		}
		is($r{r_lsm}, $r{r_bt}, "TID reuse, $what: the $am index gives btree's results");
		my $plan = $node->safe_psql($db,
			"SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN (COSTS OFF) SELECT count(*) FROM r_lsm WHERE k >= 0");
		like($plan, qr/Index (Only )?Scan using r_lsm_k/, "TID reuse, $what: ... through the index");
		return;
	};
	for my $t (qw(r_bt r_lsm)) { (my $s = $fill) =~ s/TABLE/$t/; $node->safe_psql($db, $s); }
	my $before = $tids->('r_lsm');
	$node->safe_psql($db, "SELECT lsm_am.flush('r_lsm_k'::regclass)") if $am eq 'lsm';
	$node->safe_psql($db, 'DELETE FROM r_bt; DELETE FROM r_lsm; VACUUM r_bt; VACUUM r_lsm;');
	is($node->safe_psql($db, "SELECT pg_relation_size('r_lsm')"), '0', 'TID reuse: VACUUM truncated the emptied table');
	for my $t (qw(r_bt r_lsm)) { (my $s = $fill) =~ s/TABLE/$t/; $node->safe_psql($db, $s); }
	is($tids->('r_lsm'), $before, 'TID reuse: the rows inserted again have the same TIDs and keys as before');
	$check->('PUT in an SSTable, DELETE and PUT in the memtable');
	$node->safe_psql($db, "SELECT lsm_am.flush('r_lsm_k'::regclass)") if $am eq 'lsm';
	$check->('all three in SSTables');
	$node->safe_psql($db, "SELECT lsm_am.compact('r_lsm_k'::regclass)") if $am eq 'lsm';
	$check->('after compaction');
	# Once more, all in one memtable: insert, delete, vacuum, insert.
	$node->safe_psql($db, 'DELETE FROM r_bt; DELETE FROM r_lsm; VACUUM r_bt; VACUUM r_lsm;');
	for my $t (qw(r_bt r_lsm)) { (my $s = $fill) =~ s/TABLE/$t/; $node->safe_psql($db, $s); }
	is($tids->('r_lsm'), $before, 'TID reuse: same TIDs again after a second delete, VACUUM and insert');
	$check->('a second time, over the compacted SSTable');
}

$node->stop;
note(sprintf('total %.1f s', time - $t_start));
done_testing();
