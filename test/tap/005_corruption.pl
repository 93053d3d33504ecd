# test/tap/005_corruption.pl: a damaged SSTable block is reported, not read.
#
# Every SSTable block carries an xxHash checksum verified on read.  Flip a
# byte inside a data block and another inside the footer of a second
# table's SSTable (with the server stopped, in the relation's file), then
# read: each scan must fail with ERRCODE_DATA_CORRUPTED (XX001) naming the
# relation and the damaged block, other tables must stay readable and the
# server must keep running.  Data checksums are off (the default), so the
# only thing that can notice is lsm_am's own checksum.

use strict;
use warnings;

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LsmAmTest;

my $node = lsm_new_node('corruption');
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION lsm_am;
CREATE TABLE victim (id bigint, payload text) USING lsm;
CREATE TABLE footer_victim (id bigint, payload text) USING lsm;
CREATE TABLE bystander (id bigint, payload text) USING lsm;
INSERT INTO victim SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
INSERT INTO footer_victim SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
INSERT INTO bystander SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
SELECT lsm_am.flush('victim'), lsm_am.flush('footer_victim'), lsm_am.flush('bystander');
});

# One SSTable per table: where it lives.
sub sst_range
{
	my ($table) = @_;
	my $r = $node->safe_psql('postgres',
		"SELECT min(start_block), max(end_block), count(*) FROM SSTableMeta WHERE relation = '$table'::regclass"
	);
	my ($start, $end, $n) = split /\|/, $r;
	return ($start, $end, $n);
}

my ($vstart, $vend, $vn) = sst_range('victim');
my ($fstart, $fend, $fn) = sst_range('footer_victim');
cmp_ok($vn, '>=', 1, 'victim has SSTables');
cmp_ok($fn, '>=', 1, 'footer_victim has SSTables');
my $vpath = $node->data_dir . '/'
  . $node->safe_psql('postgres', "SELECT pg_relation_filepath('victim')");
my $fpath = $node->data_dir . '/'
  . $node->safe_psql('postgres', "SELECT pg_relation_filepath('footer_victim')");
my ($fend_last) = $node->safe_psql('postgres',
	"SELECT end_block FROM SSTableMeta WHERE relation = 'footer_victim'::regclass ORDER BY end_block DESC LIMIT 1"
);
my $before = $node->safe_psql('postgres', 'SELECT count(*), sum(id) FROM bystander');

$node->stop;

# Flip one byte at a file offset.
sub flip_byte
{
	my ($path, $offset) = @_;
	open(my $fh, '+<', $path) or die "open $path: $!";
	binmode $fh;
	sysseek($fh, $offset, 0) or die "seek: $!";
	sysread($fh, my $byte, 1) == 1 or die "read: $!";
	sysseek($fh, $offset, 0) or die "seek: $!";
	syswrite($fh, chr(ord($byte) ^ 0x5a), 1) == 1 or die "write: $!";
	close($fh);
	return;
}

# 300 bytes into the first page of the victim's first SSTable: inside its
# first data block (page header is 24 bytes).
flip_byte($vpath, $vstart * 8192 + 24 + 300);

# The footer is the last 64 bytes of the SSTable's byte stream, which end
# at pd_lower of its last page: read pd_lower (bytes 12-13 of the page).
{
	open(my $fh, '<', $fpath) or die;
	binmode $fh;
	sysseek($fh, $fend_last * 8192 + 12, 0);
	sysread($fh, my $lower, 2);
	close($fh);
	my $pd_lower = unpack('v', $lower);
	cmp_ok($pd_lower, '>', 64 + 24, 'last SSTable page holds the footer');
	flip_byte($fpath, $fend_last * 8192 + $pd_lower - 20);
}

$node->start;

my ($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT count(*) FROM victim");
isnt($ret, 0, 'scan of a table with a damaged data block fails');
like($err, qr/ERROR:  XX001: corrupted SSTable in relation "victim" at block $vstart\b/,
	'error is data_corrupted and names the relation and the block');
like($err, qr/blocks $vstart\.\.\d+/, 'detail names the SSTable block range');

($ret, $out, $err) = $node->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT count(*) FROM footer_victim");
isnt($ret, 0, 'scan of a table with a damaged footer fails');
like($err,
	qr/ERROR:  XX001: corrupted SSTable in relation "footer_victim" at block $fend_last\b/,
	'footer damage is reported at the last block');

is($node->safe_psql('postgres', 'SELECT count(*), sum(id) FROM bystander'),
	$before, 'other tables are still readable');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still running');

# Writes to the damaged table still work (they go to the memtable), and
# the error stays an error, not a crash.
$node->safe_psql('postgres',
	"INSERT INTO victim VALUES (0, 'after'); SELECT count(*) FROM bystander");
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM victim');
isnt($ret, 0, 'damaged table still refuses to be read');

$node->stop;
done_testing();
