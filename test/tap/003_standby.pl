# test/tap/003_standby.pl: lsm tables on a streaming standby.
#
# A standby built from a base backup must replay lsm inserts and flushes:
# after catch-up it returns the same rows as the primary (count, sum, md5 of
# all rows in id order) and SSTableMeta lists the same SSTables.  Rows come
# from before the backup, after it, and after the flush (memtable only).
# The primary runs with wal_consistency_checking (LsmAmTest.pm), so the
# standby compares every page its redo produces with the primary's image:
# it must replay without "inconsistent page found".

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $primary = lsm_new_node('primary', allows_streaming => 1);
$primary->start;
lsm_setup_schema($primary, 't');

# Before the backup: some rows flushed, some in the memtable.
$primary->safe_psql('postgres', lsm_insert_sql('t', 1, 10000));
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
$primary->safe_psql('postgres', lsm_insert_sql('t', 10001, 15000));

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# After the backup: enough rows to freeze memtables, then a flush.
for my $i (0 .. 4)
{
	my $lo = 15001 + $i * 5000;
	$primary->safe_psql('postgres', lsm_insert_sql('t', $lo, $lo + 4999));
}
$primary->safe_psql('postgres', "SELECT lsm_am.flush('t'::regclass)");
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

my $digest_primary = lsm_digest($primary, 't');
lsm_check_same($primary, 't', 40000, 'primary after flush');
is(lsm_digest($standby, 't'), $digest_primary,
	'standby returns the same rows as the primary after flush');

# SSTables: everything but created_at (the time redo ran may differ).
my $meta_sql = q{
SELECT id, level, encode(min_key, 'hex'), encode(max_key, 'hex'), file_path,
       size_bytes, bloom_filter_fp_rate, entries, tombstones, start_block, end_block
FROM SSTableMeta WHERE relation = 't'::regclass ORDER BY id};
my $meta_primary = $primary->safe_psql('postgres', $meta_sql);
isnt($meta_primary, '', 'primary lists SSTables for t');
is($standby->safe_psql('postgres', $meta_sql),
	$meta_primary, 'standby SSTableMeta lists the same SSTables as the primary');

# Rows only in the primary's memtable are visible on the standby too.
my $from = $primary->lsn('insert');
$primary->safe_psql('postgres', lsm_insert_sql('t', 40001, 41000));
my $to = $primary->lsn('flush');
lsm_check_wal_checked($primary, $from, $to, 'memtable inserts');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
lsm_check_same($primary, 't', 41000, 'primary with memtable rows');
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby returns the same rows as the primary without a flush');
lsm_check_replay_checked($standby, 0, 'standby', replayed_upto => $to);

# A restarted standby still agrees (it rebuilds whatever it keeps in memory).
$standby->restart;
$from = $primary->lsn('insert');
$primary->safe_psql('postgres', lsm_insert_sql('t', 41001, 42000));
$to = $primary->lsn('flush');
lsm_check_wal_checked($primary, $from, $to, 'inserts after the standby restart');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is(lsm_digest($standby, 't'), lsm_digest($primary, 't'),
	'standby agrees with the primary after a standby restart');
lsm_check_replay_checked($standby, 0, 'restarted standby', replayed_upto => $to);

$standby->stop;
$primary->stop;
done_testing();
