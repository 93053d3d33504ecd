# test/tap/019_log_lanes.pl: concurrent writers of one table spread its
# memtable log over several open log pages (lanes) chained in an order that
# is not block order.  After flushes, every block is accounted for: the
# relation's bytes are exactly its metapage, its SSTables, its log pages and
# its free extents (no compaction runs, so there are no zombies), a clean restart
# finds no unreferenced block to sweep, and every row is there.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

# memtables of a few thousand log pages, whose lanes interleave
my $node = lsm_new_node('lanes');
$node->append_conf('postgresql.conf', "lsm_am.memtable_size = '16MB'\n");
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION lsm_am;
CREATE TABLE lw (id bigint, g int, p text) USING lsm
  WITH (l0_compaction_trigger = 64);
});

my $dir = PostgreSQL::Test::Utils::tempdir;
open(my $fh, '>', "$dir/ins.sql") or die "cannot write $dir/ins.sql: $!";
print $fh q{
\set g random(1, 1000000)
INSERT INTO lw SELECT i, :g, repeat(md5(i::text), 2) FROM generate_series(1, 300) i;
};
close $fh;

my $rounds = 4;
my $per_round = 4 * 150 * 300;
for my $round (1 .. $rounds)
{
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[
			'pgbench', '-n', '-h', $node->host, '-p', $node->port,
			'-c', '4', '-j', '4', '-t', '150', '-f', "$dir/ins.sql", 'postgres'
		],
		'>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	ok($ok, "round $round: four writers ran") or diag("$out\n$err");
	$node->safe_psql('postgres', "SELECT lsm_am.flush('lw')");
}

my $stats = $node->safe_psql('postgres', q{
SELECT sstables || ':' || (relation_bytes - sstable_bytes - memtable_log_bytes - free_bytes - manifest_bytes)
FROM lsm_am.relation_stats WHERE relation = 'lw'::regclass});
my ($nssts, $unaccounted) = split /:/, $stats;
cmp_ok($nssts, '>=', 4, "several memtables were flushed ($nssts SSTables)");
is($unaccounted, 0,
	'every block of the relation is the metapage, a manifest page, an SSTable block, a log page or free');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT (id, g)) > 0 FROM lw'),
	($rounds * $per_round) . '|t', 'every row is there');

my $log_offset = -s $node->logfile;
$node->restart;
is($node->safe_psql('postgres', 'SELECT count(*) FROM lw'),
	$rounds * $per_round, 'every row is there after a clean restart');
ok( !(slurp_file($node->logfile, $log_offset) =~ /unreferenced blocks returned/),
	'a clean restart sweeps nothing');

$node->stop;
done_testing();
