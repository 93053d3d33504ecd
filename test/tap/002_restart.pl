# test/tap/002_restart.pl: clean restarts keep everything.
#
# A fast shutdown (pg_ctl stop -m fast) and start must keep every committed
# row of an lsm table, those already in SSTables and those still only in the
# memtable, and it must keep doing so restart after restart.  The lsm table
# is compared with a heap table fed the same rows (see LsmAmTest.pm).

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('restart');
$node->start;
lsm_setup_schema($node, 't');

# Rows in SSTables.
$node->safe_psql('postgres', lsm_insert_sql('t', 1, 30000));
$node->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
cmp_ok(lsm_sstables($node, 't'), '>=', 1, 'SSTableMeta lists t after flush');

# Rows only in the memtable (well under the 1MB memtable).
$node->safe_psql('postgres', lsm_insert_sql('t', 30001, 31000));
lsm_check_same($node, 't', 31000, 'before restart');

$node->restart;    # fast mode
lsm_check_same($node, 't', 31000, 'after first restart');

$node->restart;
lsm_check_same($node, 't', 31000, 'after second restart in a row');

# The table keeps working across a restart: more memtable-only rows.
$node->safe_psql('postgres', lsm_insert_sql('t', 31001, 32000));
$node->restart;
lsm_check_same($node, 't', 32000, 'after third restart, new memtable rows');

# A table created, filled and never flushed survives a restart too; so does
# an empty lsm table.
$node->safe_psql('postgres',
	'CREATE TABLE u (id bigint, device int, ts timestamptz, payload text) USING lsm;'
	  . ' CREATE TABLE u_heap (LIKE u); CREATE TABLE empty_lsm (a int) USING lsm;');
$node->safe_psql('postgres', lsm_insert_sql('u', 1, 500));
$node->stop('fast');
$node->start;
lsm_check_same($node, 'u', 500, 'unflushed table after stop/start');
lsm_check_same($node, 't', 32000, 'first table after stop/start');
is($node->safe_psql('postgres', 'SELECT count(*) FROM empty_lsm'),
	'0', 'empty lsm table readable after restart');

$node->stop;
done_testing();
