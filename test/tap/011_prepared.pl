# test/tap/011_prepared.pl: prepared transactions and exclusion constraints
# on lsm tables.
#
# A prepared transaction's inserts, updates and row locks must behave as
# heap's: invisible until COMMIT PREPARED, gone after ROLLBACK PREPARED,
# its row lock blocking others until it ends, and surviving a restart in
# between.  An exclusion constraint (GiST) must reject overlaps and accept
# them again once the conflicting row is deleted.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('prepared');
$node->append_conf('postgresql.conf', "max_prepared_transactions = 5\n");
$node->start;
# rows of pt as "id:v,..." in id order
sub rows
{
	return $node->safe_psql('postgres',
		q{SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM pt});
}

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION lsm_am;
CREATE TABLE pt (id int PRIMARY KEY, v int) USING lsm;
INSERT INTO pt VALUES (1, 1), (2, 2);
});

$node->safe_psql(
	'postgres', q{
BEGIN;
INSERT INTO pt VALUES (3, 3);
UPDATE pt SET v = 10 WHERE id = 1;
SELECT * FROM pt WHERE id = 2 FOR UPDATE;
PREPARE TRANSACTION 'p1';
});
is(rows(),
	'1:1,2:2', 'prepared changes are invisible');

my ($ret, $out, $err) = $node->psql('postgres',
	"SET lock_timeout = '200ms'; UPDATE pt SET v = 20 WHERE id = 2");
isnt($ret, 0, 'the prepared row lock blocks an update');
like($err, qr/lock timeout/, 'by a lock wait');

# a prepared transaction survives a restart
$node->restart;
is($node->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'), 'p1',
	'prepared transaction kept across restart');
is(rows(),
	'1:1,2:2', 'still invisible after restart');

$node->safe_psql('postgres', "COMMIT PREPARED 'p1'");
is(rows(),
	'1:10,2:2,3:3', 'COMMIT PREPARED makes them visible');
$node->safe_psql('postgres', 'UPDATE pt SET v = 20 WHERE id = 2');

$node->safe_psql(
	'postgres', q{
BEGIN;
DELETE FROM pt WHERE id = 3;
INSERT INTO pt VALUES (4, 4);
PREPARE TRANSACTION 'p2';
ROLLBACK PREPARED 'p2';
});
is(rows(),
	'1:10,2:20,3:3', 'ROLLBACK PREPARED discards them');
$node->safe_psql('postgres', q{SELECT lsm_am.flush('pt'), lsm_am.compact('pt')});
is(rows(),
	'1:10,2:20,3:3', 'same after flush and compaction');

# exclusion constraint
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION btree_gist;
CREATE TABLE ex (room int, during tsrange,
                 EXCLUDE USING gist (room WITH =, during WITH &&)) USING lsm;
INSERT INTO ex VALUES (1, '[2024-01-01 10:00, 2024-01-01 11:00)');
});
($ret, $out, $err) = $node->psql('postgres',
	"INSERT INTO ex VALUES (1, '[2024-01-01 10:30, 2024-01-01 12:00)')");
isnt($ret, 0, 'overlapping booking rejected');
like($err, qr/conflicting key value violates exclusion constraint/, 'by the exclusion constraint');
$node->safe_psql('postgres',
	"INSERT INTO ex VALUES (2, '[2024-01-01 10:30, 2024-01-01 12:00)')");
$node->safe_psql('postgres', 'DELETE FROM ex WHERE room = 1');
$node->safe_psql('postgres',
	"INSERT INTO ex VALUES (1, '[2024-01-01 10:30, 2024-01-01 12:00)')");
is($node->safe_psql('postgres', 'SELECT count(*) FROM ex'), '2',
	'accepted once the conflicting row is deleted');

$node->stop;
done_testing();
