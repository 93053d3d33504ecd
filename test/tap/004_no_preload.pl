# test/tap/004_no_preload.pl: lsm_am without shared_preload_libraries.
#
# lsm_am keeps memtables in shared memory and logs through a custom WAL
# resource manager, which exist only when the library is preloaded.  Without
# the preload, CREATE EXTENSION must fail with an error that names
# shared_preload_libraries and carries a HINT, and the server must stay up.
# A database whose lsm tables were created with the preload and that is
# restarted without it must refuse to use them the same way, without
# crashing or losing them.  With the preload, everything works.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

# Run $sql, which must fail; check that the error names
# shared_preload_libraries and has a HINT, and that the server is still up.
sub fails_without_preload
{
	my ($node, $sql, $what) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql(
		'postgres', $sql,
		stdout => \$stdout,
		stderr => \$stderr,
		on_error_stop => 1);
	isnt($ret, 0, "$what: fails");
	like($stderr, qr/ERROR:.*shared_preload_libraries/,
		"$what: error names shared_preload_libraries");
	like($stderr, qr/^HINT:\s+\S/m, "$what: error has a HINT");
	unlike($stderr, qr/server closed the connection|terminated abnormally/,
		"$what: no backend crash");
	is($node->safe_psql('postgres', 'SELECT 1'), '1',
		"$what: server still accepts queries");
	return $stderr;
}

# --- A node that never had the preload ---------------------------------

# wal_consistency_checking: 'all' while lsm_am is not preloaded, since a
# server refuses to start when the setting names a resource manager it does
# not have; $LsmAmTest::WAL_CHECKING (which names lsm_am) while it is.
my $node = PostgreSQL::Test::Cluster->new('no_preload');
$node->init;
$node->append_conf('postgresql.conf', "wal_consistency_checking = 'all'\n");
$node->start;

my $stderr = fails_without_preload($node, 'CREATE EXTENSION lsm_am',
	'CREATE EXTENSION without preload');
note("error was:\n$stderr");

# Nothing of the extension is left behind.
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'lsm_am'"),
	'0',
	'no extension row after the failed CREATE EXTENSION');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM pg_am WHERE amname = 'lsm'"),
	'0',
	'no lsm access method after the failed CREATE EXTENSION');

# LOAD of the library does not crash either, and does not make it work.
$node->psql('postgres', "LOAD 'lsm_am'");
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server up after LOAD');
fails_without_preload($node, "LOAD 'lsm_am'; CREATE EXTENSION lsm_am",
	'CREATE EXTENSION after LOAD');

# A second attempt fails the same way (nothing cached from the first).
fails_without_preload($node, 'CREATE EXTENSION lsm_am',
	'second CREATE EXTENSION without preload');

# --- With the preload: it works -----------------------------------------

$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'lsm_am'
lsm_am.memtable_size = '1MB'
max_worker_processes = 16
wal_consistency_checking = '$LsmAmTest::WAL_CHECKING'
});
$node->restart;

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'lsm_am', 'preload configured');
$node->safe_psql('postgres', 'CREATE EXTENSION lsm_am');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'lsm_am'"),
	'1',
	'CREATE EXTENSION works with the preload');
$node->safe_psql(
	'postgres', q{
CREATE TABLE t (id int, v text) USING lsm;
INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
SELECT lsm_am.flush('t');
INSERT INTO t SELECT g, md5(g::text) FROM generate_series(20001, 21000) g;
});
my $expected = '21000|220510500';
is($node->safe_psql('postgres', q{SELECT count(*) || '|' || sum(id) FROM t}),
	$expected, 'lsm table works with the preload');
cmp_ok(lsm_sstables($node, 't'), '>=', 1, 'SSTableMeta lists t');

# --- Restarted without the preload: lsm tables refuse to work -----------

# Memtable rows are in the WAL-logged log pages of t: a clean shutdown
# keeps them without the preload's help.
$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "''");
$node->adjust_conf('postgresql.conf', 'wal_consistency_checking', "'all'");
$node->restart;
is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'', 'preload removed');

fails_without_preload($node, 'SELECT count(*) FROM t', 'SELECT from lsm table');
fails_without_preload($node, 'INSERT INTO t VALUES (0, NULL)',
	'INSERT into lsm table');
fails_without_preload($node, "SELECT lsm_am.flush('t')", 'lsm_am.flush');
fails_without_preload($node, 'SELECT count(*) FROM SSTableMeta',
	'SSTableMeta');
fails_without_preload($node, 'SELECT count(*) FROM lsm_am.memtables',
	'lsm_am.memtables');
fails_without_preload($node, 'CREATE TABLE t2 (id int) USING lsm',
	'CREATE TABLE USING lsm');
fails_without_preload($node, 'TRUNCATE t', 'TRUNCATE lsm table');

# A heap table works as usual.
$node->safe_psql('postgres',
	'CREATE TABLE h (id int); INSERT INTO h VALUES (1), (2);');
is($node->safe_psql('postgres', 'SELECT sum(id) FROM h'),
	'3', 'heap tables unaffected');

# --- Preload back: the rows are all there --------------------------------

$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', "'lsm_am'");
$node->adjust_conf('postgresql.conf', 'wal_consistency_checking',
	"'$LsmAmTest::WAL_CHECKING'");
$node->restart;
is($node->safe_psql('postgres', q{SELECT count(*) || '|' || sum(id) FROM t}),
	$expected, 'rows intact after a restart without the preload');
$node->safe_psql('postgres', 'INSERT INTO t VALUES (21001, NULL)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'21001', 'lsm table takes rows again');
is( $node->safe_psql('postgres', "SELECT to_regclass('t2') IS NULL"),
	't', 'the failed CREATE TABLE left no table behind');

$node->stop;
done_testing();
