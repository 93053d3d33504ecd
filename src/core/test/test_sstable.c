/*
 * test_sstable.c
 *	  Unit tests of the SSTable builder and reader over an in-memory file:
 *	  round trips with and without zstd, props, seeks in both directions,
 *	  bloom filtering, detection of every single-byte corruption and of
 *	  truncation, compression effectiveness, error propagation.
 */
#include "lsm_block.h"
#include "lsm_sstable.h"
#include "lsm_test.h"
#include "lsm_test_mem.h"

/* Entry i: user key "k%08d" (even numbers, leaving gaps), seq, type, value. */
typedef struct entry_gen
{
	int			nkeys;
	int			versions;		/* versions per user key */
	int			big_every;		/* every n-th value is big (0: never) */
	size_t		big_size;
	bool		compressible;
} entry_gen;

static size_t
gen_ukey(char *dst, int k)
{
	return (size_t) sprintf(dst, "k%08d", 2 * k);
}

/* Entry number e = k * versions + v; the newest version comes first. */
static uint64_t
gen_seq(const entry_gen *g, int k, int v)
{
	return (uint64_t) k * 10 + (uint64_t) (g->versions - v) + 1;
}

static lsm_entry_type
gen_type(int k, int v)
{
	return ((k + v) % 7 == 3) ? LSM_TYPE_DELETE : LSM_TYPE_PUT;
}

static size_t
gen_value(const entry_gen *g, int k, int v, char *dst)
{
	size_t		n = 10 + (size_t) ((k * 31 + v) % 90);
	size_t		i;
	uint64_t	x = (uint64_t) k * 1000003 + (uint64_t) v;

	if (g->big_every && k % g->big_every == 0)
		n = g->big_size + (size_t) (k % 3) - 1;
	for (i = 0; i < n; i++)
	{
		if (g->compressible)
			dst[i] = "the quick brown fox "[(i + (size_t) k) % 20];
		else
		{
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			dst[i] = (char) (x >> 56);
		}
	}
	return n;
}

static char valbuf[200000];
static char valbuf2[200000];

/* Build a table from g into buf; returns the builder's props copy count. */
static lsm_status
build_table(const lsm_sst_options *opts, const entry_gen *g, test_buf *buf,
			uint64_t *nentries)
{
	lsm_sink	sink = test_buf_sink(buf);
	lsm_sst_builder *b = lsm_sst_builder_new(&test_alloc, opts, &sink);
	const lsm_sst_props *props;
	uint64_t	size;
	int			k,
				v;
	lsm_status	st = LSM_OK;

	CHECK(b != NULL);
	for (k = 0; k < g->nkeys && st == LSM_OK; k++)
	{
		for (v = 0; v < g->versions && st == LSM_OK; v++)
		{
			char		ik[64],
						u[32];
			size_t		ul = gen_ukey(u, k);
			size_t		kl = test_ikey(ik, u, ul, gen_seq(g, k, v), gen_type(k, v));
			size_t		vl = gen_value(g, k, v, valbuf);

			st = lsm_sst_builder_add(b, ik, kl, valbuf, vl);
		}
	}
	if (st == LSM_OK)
		st = lsm_sst_builder_finish(b, &props, &size);
	if (st == LSM_OK)
	{
		CHECK_EQ_INT(size, buf->len);
		CHECK_EQ_INT(lsm_sst_builder_file_size(b), buf->len);
		if (nentries)
			*nentries = props->num_entries;
	}
	lsm_sst_builder_free(b);
	return st;
}

/* Check that it is positioned on entry (k, v) of g. */
static bool
at_entry(lsm_iter *it, const entry_gen *g, int k, int v)
{
	char		ik[64],
				u[32];
	size_t		kl = test_ikey(ik, u, gen_ukey(u, k), gen_seq(g, k, v), gen_type(k, v));
	size_t		vl = gen_value(g, k, v, valbuf2);
	size_t		len;
	const char *p;

	if (!lsm_iter_valid(it))
		return false;
	p = lsm_iter_key(it, &len);
	if (len != kl || memcmp(p, ik, kl) != 0)
		return false;
	p = lsm_iter_value(it, &len);
	return len == vl && memcmp(p, valbuf2, vl) == 0;
}

/* Full forward and backward scans of a table built from g. */
static void
verify_table(const lsm_sst_options *opts, const entry_gen *g, test_buf *buf)
{
	lsm_file	f = test_buf_file(buf);
	lsm_sst_reader *r;
	lsm_iter   *it;
	uint64_t	bad = 0;
	int			k,
				v;
	lsm_status	st = lsm_sst_reader_open(&test_alloc, opts, &f, &r, &bad);

	CHECK_EQ_INT(st, LSM_OK);
	if (st != LSM_OK)
		return;
	it = lsm_sst_reader_iter(r);
	lsm_iter_seek_first(it);
	for (k = 0; k < g->nkeys; k++)
		for (v = 0; v < g->versions; v++)
		{
			CHECK(at_entry(it, g, k, v));
			lsm_iter_next(it);
		}
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);

	lsm_iter_seek_last(it);
	for (k = g->nkeys - 1; k >= 0; k--)
		for (v = g->versions - 1; v >= 0; v--)
		{
			CHECK(at_entry(it, g, k, v));
			lsm_iter_prev(it);
		}
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);
	lsm_iter_destroy(it);
	lsm_sst_reader_close(r);
}

static void
test_round_trip(void)
{
	entry_gen	gens[] = {
		{5000, 1, 0, 0, false},
		{2000, 3, 0, 0, true},
		{300, 2, 5, 4000, false},	/* values near the block size */
		{300, 1, 3, 9000, true},	/* values over the block size */
		{200, 1, 1, 70000, false},	/* every value several blocks long */
		{1, 1, 0, 0, false},
	};
	lsm_compression comps[] = {LSM_COMPRESSION_NONE, LSM_COMPRESSION_ZSTD};
	size_t		gi,
				ci;

	for (gi = 0; gi < sizeof(gens) / sizeof(gens[0]); gi++)
		for (ci = 0; ci < 2; ci++)
		{
			lsm_sst_options opts;
			test_buf	buf;
			uint64_t	n = 0;

			lsm_sst_options_default(&opts);
			opts.compression = comps[ci];
			test_buf_init(&buf);
			CHECK_EQ_INT(build_table(&opts, &gens[gi], &buf, &n), LSM_OK);
			CHECK_EQ_INT(n, (uint64_t) gens[gi].nkeys * gens[gi].versions);
			verify_table(&opts, &gens[gi], &buf);
			test_buf_free(&buf);
		}
}

static void
test_props(void)
{
	entry_gen	g = {3000, 2, 0, 0, false};
	lsm_sst_options opts;
	test_buf	buf;
	lsm_file	f;
	lsm_sst_reader *r;
	const lsm_sst_props *p;
	uint64_t	deletes = 0,
				kbytes = 0,
				vbytes = 0;
	int			k,
				v;
	char		ik[64],
				u[32];
	size_t		kl;

	lsm_sst_options_default(&opts);
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	p = lsm_sst_reader_props(r);

	for (k = 0; k < g.nkeys; k++)
		for (v = 0; v < g.versions; v++)
		{
			deletes += gen_type(k, v) == LSM_TYPE_DELETE;
			kbytes += gen_ukey(u, k) + 8;
			vbytes += gen_value(&g, k, v, valbuf);
		}
	CHECK_EQ_INT(p->num_entries, 6000);
	CHECK_EQ_INT(p->num_deletes, deletes);
	CHECK(deletes > 0);
	CHECK_EQ_INT(p->raw_key_bytes, kbytes);
	CHECK_EQ_INT(p->raw_value_bytes, vbytes);
	CHECK(p->num_data_blocks > 10);
	CHECK_EQ_INT(p->min_seq, gen_seq(&g, 0, 1));
	CHECK_EQ_INT(p->max_seq, gen_seq(&g, g.nkeys - 1, 0));
	CHECK(p->bloom_fp_rate == 0.01);
	CHECK_EQ_INT(p->compression, LSM_COMPRESSION_ZSTD);
	kl = test_ikey(ik, u, gen_ukey(u, 0), gen_seq(&g, 0, 0), gen_type(0, 0));
	CHECK(p->min_key_len == kl && memcmp(p->min_key, ik, kl) == 0);
	kl = test_ikey(ik, u, gen_ukey(u, g.nkeys - 1), gen_seq(&g, g.nkeys - 1, 1),
				   gen_type(g.nkeys - 1, 1));
	CHECK(p->max_key_len == kl && memcmp(p->max_key, ik, kl) == 0);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);
}

static void
test_empty_table(void)
{
	entry_gen	g = {0, 1, 0, 0, false};
	lsm_sst_options opts;
	test_buf	buf;
	lsm_file	f;
	lsm_sst_reader *r;
	lsm_iter   *it;
	char		ik[32];
	size_t		kl = test_ikey(ik, "x", 1, 1, LSM_TYPE_PUT);

	lsm_sst_options_default(&opts);
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	CHECK_EQ_INT(lsm_sst_reader_props(r)->num_entries, 0);
	CHECK_EQ_INT(lsm_sst_reader_props(r)->num_data_blocks, 0);
	CHECK(lsm_sst_reader_props(r)->min_key == NULL);
	CHECK(!lsm_sst_reader_may_contain(r, "x", 1));
	it = lsm_sst_reader_iter(r);
	lsm_iter_seek_first(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek_last(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek(it, ik, kl);
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);
	lsm_iter_destroy(it);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);
}

static void
test_seek(void)
{
	entry_gen	g = {2000, 3, 0, 0, false};
	lsm_sst_options opts;
	test_buf	buf;
	lsm_file	f;
	lsm_sst_reader *r;
	lsm_iter   *it;
	int			k,
				v;

	lsm_sst_options_default(&opts);
	opts.block_size = 512;
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	it = lsm_sst_reader_iter(r);

	for (k = 0; k < g.nkeys; k++)
	{
		char		ik[64],
					u[32];
		size_t		ul = gen_ukey(u, k);
		size_t		kl;

		for (v = 0; v < g.versions; v++)
		{
			kl = test_ikey(ik, u, ul, gen_seq(&g, k, v), gen_type(k, v));
			lsm_iter_seek(it, ik, kl);
			CHECK(at_entry(it, &g, k, v));
		}
		/* newer than every version (a snapshot seek): the newest version */
		kl = test_ikey(ik, u, ul, LSM_MAX_SEQ, LSM_TYPE_LOCK);
		lsm_iter_seek(it, ik, kl);
		CHECK(at_entry(it, &g, k, 0));
		/* a seq between versions 0 and 1 */
		kl = test_ikey(ik, u, ul, gen_seq(&g, k, 0) - 1, LSM_TYPE_LOCK);
		lsm_iter_seek(it, ik, kl);
		CHECK(at_entry(it, &g, k, 1));
		/* older than every version: the next user key */
		kl = test_ikey(ik, u, ul, 0, LSM_TYPE_PUT);
		lsm_iter_seek(it, ik, kl);
		if (k + 1 < g.nkeys)
			CHECK(at_entry(it, &g, k + 1, 0));
		else
			CHECK(!lsm_iter_valid(it));
		/* a user key in the gap after k */
		ul = (size_t) sprintf(u, "k%08d", 2 * k + 1);
		kl = test_ikey(ik, u, ul, 5, LSM_TYPE_PUT);
		lsm_iter_seek(it, ik, kl);
		if (k + 1 < g.nkeys)
		{
			CHECK(at_entry(it, &g, k + 1, 0));
			/* and step back over the block boundary, if any */
			lsm_iter_prev(it);
			CHECK(at_entry(it, &g, k, g.versions - 1));
		}
		else
			CHECK(!lsm_iter_valid(it));
	}
	{
		char		ik[32];
		size_t		kl = test_ikey(ik, "a", 1, 1, LSM_TYPE_PUT);

		lsm_iter_seek(it, ik, kl);
		CHECK(at_entry(it, &g, 0, 0));
		lsm_iter_prev(it);
		CHECK(!lsm_iter_valid(it));
		kl = test_ikey(ik, "z", 1, 1, LSM_TYPE_PUT);
		lsm_iter_seek(it, ik, kl);
		CHECK(!lsm_iter_valid(it));
		CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);
	}
	lsm_iter_destroy(it);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);
}

/* Bloom prefix for the tests: the first 5 bytes ("k0000" of "k00001234"). */
static size_t
prefix5(void *arg, const char *ukey, size_t len)
{
	return len < 5 ? len : 5;
}

static void
test_may_contain(void)
{
	entry_gen	g = {20000, 1, 0, 0, false};
	lsm_sst_options opts;
	test_buf	buf;
	lsm_file	f;
	lsm_sst_reader *r;
	int			k,
				fp = 0;
	char		u[32];

	lsm_sst_options_default(&opts);
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	for (k = 0; k < g.nkeys; k++)
		CHECK(lsm_sst_reader_may_contain(r, u, gen_ukey(u, k)));
	for (k = 0; k < 100000; k++)
		fp += lsm_sst_reader_may_contain(r, u, (size_t) sprintf(u, "k%08d", 2 * k + 1));
	printf("     absent keys passing the filter: %d of 100000\n", fp);
	CHECK(fp > 500 && fp < 1500);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);

	/* no filter: everything may be there */
	opts.bloom_fp_rate = 0;
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	CHECK(lsm_sst_reader_may_contain(r, "nope", 4));
	CHECK(lsm_sst_reader_props(r)->bloom_fp_rate == 0);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);

	/* prefix filter: keys k00000000..k00039998 have prefixes k0000..k0003 */
	lsm_sst_options_default(&opts);
	opts.bloom_prefix = prefix5;
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	CHECK(lsm_sst_reader_may_contain(r, "k0000zzz", 8));
	CHECK(lsm_sst_reader_may_contain(r, "k0003", 5));
	fp = 0;
	for (k = 0; k < 1000; k++)
		fp += lsm_sst_reader_may_contain(r, u, (size_t) sprintf(u, "x%04d", k));
	CHECK(fp < 100);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);
}

/*
 * The regions of a table, from its footer and index: every data block,
 * the index, bloom and props blocks (each with trailer) and the footer.
 */
typedef struct region
{
	uint64_t	start;
	uint64_t	end;
} region;

static int
table_regions(test_buf *buf, region *out, int max)
{
	lsm_file	f = test_buf_file(buf);
	const char *footer = buf->data + buf->len - LSM_SST_FOOTER_SIZE;
	int			n = 0,
				i;
	char	   *index;
	size_t		ilen;
	lsm_status	st;
	lsm_iter   *it;

	for (i = 0; i < 3; i++)
	{
		out[n].start = lsm_get_fixed64(footer + 16 * i);
		out[n].end = out[n].start + lsm_get_fixed64(footer + 16 * i + 8) + 5;
		n++;
	}
	out[n].start = buf->len - LSM_SST_FOOTER_SIZE;
	out[n].end = buf->len;
	n++;
	CHECK_EQ_INT(lsm_sst_read_block(&test_alloc, &f, out[0].start,
									out[0].end - out[0].start - 5, &index, &ilen), LSM_OK);
	it = lsm_block_iter_new(&test_alloc, &lsm_bytewise_comparator, true,
							index, ilen, true, &st);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it) && n < max; lsm_iter_next(it))
	{
		size_t		vl;
		const char *v = lsm_iter_value(it, &vl);

		out[n].start = lsm_get_fixed64(v);
		out[n].end = out[n].start + lsm_get_fixed64(v + 8) + 5;
		n++;
	}
	lsm_iter_destroy(it);
	return n;
}

/* Open and scan; returns the status met and the reported bad offset. */
static lsm_status
open_and_scan(const lsm_sst_options *opts, test_buf *buf, uint64_t *bad)
{
	lsm_file	f = test_buf_file(buf);
	lsm_sst_reader *r;
	lsm_iter   *it;
	lsm_status	st;

	*bad = UINT64_MAX;
	st = lsm_sst_reader_open(&test_alloc, opts, &f, &r, bad);
	if (st != LSM_OK)
		return st;
	it = lsm_sst_reader_iter(r);
	if (it == NULL)
	{
		lsm_sst_reader_close(r);
		return LSM_NOMEM;
	}
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
		;
	st = lsm_iter_status(it);
	if (st != LSM_OK)
		*bad = lsm_sst_iter_bad_offset(it);
	lsm_iter_destroy(it);
	lsm_sst_reader_close(r);
	return st;
}

static void
check_corruption(lsm_compression comp)
{
	entry_gen	g = {400, 2, 50, 3000, true};
	lsm_sst_options opts;
	test_buf	buf;
	region		regs[1000];
	int			nregs,
				i;
	uint64_t	off,
				covered = 0,
				tested = 0,
				detected = 0,
				located = 0;

	lsm_sst_options_default(&opts);
	opts.compression = comp;
	opts.block_size = 1024;
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	nregs = table_regions(&buf, regs, 1000);
	for (i = 0; i < nregs; i++)
		covered += regs[i].end - regs[i].start;
	/* regions tile the file: every byte is covered by some checksum */
	CHECK_EQ_INT(covered, buf.len);

	for (off = 0; off < buf.len; off += (off % 7 == 0) ? 1 : 3)
	{
		uint64_t	bad;
		lsm_status	st;
		char		saved = buf.data[off];
		int			pat;

		for (pat = 0; pat < 2; pat++)
		{
			buf.data[off] ^= (char) (pat == 0 ? 0x01 : 0xa5);
			st = open_and_scan(&opts, &buf, &bad);
			buf.data[off] = saved;
			tested++;
			if (st == LSM_CORRUPT)
				detected++;
			else
				fprintf(stderr, "  flip at %llu not detected (%s)\n",
						(unsigned long long) off, lsm_status_string(st));
			for (i = 0; i < nregs; i++)
				if (off >= regs[i].start && off < regs[i].end)
				{
					if (bad == regs[i].start)
						located++;
					else
						fprintf(stderr, "  flip at %llu reported at %llu, expected %llu\n",
								(unsigned long long) off, (unsigned long long) bad,
								(unsigned long long) regs[i].start);
				}
		}
	}
	printf("     %s: %llu bytes, %d regions, %llu corruptions tried, "
		   "%llu detected, %llu located\n",
		   comp == LSM_COMPRESSION_ZSTD ? "zstd" : "none",
		   (unsigned long long) buf.len, nregs, (unsigned long long) tested,
		   (unsigned long long) detected, (unsigned long long) located);
	CHECK_EQ_INT(detected, tested);
	CHECK_EQ_INT(located, tested);

	/* the clean file still reads */
	{
		uint64_t	bad;

		CHECK_EQ_INT(open_and_scan(&opts, &buf, &bad), LSM_OK);
	}
	test_buf_free(&buf);
}

static void
test_corruption_none(void)
{
	check_corruption(LSM_COMPRESSION_NONE);
}

static void
test_corruption_zstd(void)
{
	check_corruption(LSM_COMPRESSION_ZSTD);
}

static void
test_truncation(void)
{
	entry_gen	g = {500, 1, 0, 0, false};
	lsm_sst_options opts;
	test_buf	buf;
	size_t		full,
				len;

	lsm_sst_options_default(&opts);
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	full = buf.len;
	for (len = 0; len < full; len += (len < 200 || full - len < 200) ? 1 : 37)
	{
		uint64_t	bad;

		buf.len = len;
		CHECK_EQ_INT(open_and_scan(&opts, &buf, &bad), LSM_CORRUPT);
	}
	buf.len = full;
	test_buf_free(&buf);
}

/* Compressible data shrinks a lot; random data is stored uncompressed. */
static void
test_compression_ratio(void)
{
	entry_gen	comp = {3000, 1, 0, 0, true};
	entry_gen	rnd = {3000, 1, 0, 0, false};
	lsm_sst_options opts;
	test_buf	a,
				b;

	lsm_sst_options_default(&opts);
	test_buf_init(&a);
	test_buf_init(&b);
	opts.compression = LSM_COMPRESSION_NONE;
	CHECK_EQ_INT(build_table(&opts, &comp, &a, NULL), LSM_OK);
	opts.compression = LSM_COMPRESSION_ZSTD;
	CHECK_EQ_INT(build_table(&opts, &comp, &b, NULL), LSM_OK);
	printf("     compressible: none %zu bytes, zstd %zu bytes\n", a.len, b.len);
	CHECK(b.len < a.len / 2);
	test_buf_free(&a);
	test_buf_free(&b);

	test_buf_init(&a);
	test_buf_init(&b);
	opts.compression = LSM_COMPRESSION_NONE;
	CHECK_EQ_INT(build_table(&opts, &rnd, &a, NULL), LSM_OK);
	opts.compression = LSM_COMPRESSION_ZSTD;
	CHECK_EQ_INT(build_table(&opts, &rnd, &b, NULL), LSM_OK);
	printf("     random values: none %zu bytes, zstd %zu bytes\n", a.len, b.len);
	/* keys compress a little, but never beyond 1/8: same size */
	CHECK(b.len <= a.len && b.len > a.len * 7 / 8);
	verify_table(&opts, &rnd, &b);
	test_buf_free(&a);
	test_buf_free(&b);
}

/* Every block's trailer: compression byte + XXH32 that read_block checks. */
static void
test_read_block(void)
{
	entry_gen	g = {300, 1, 0, 0, true};
	lsm_sst_options opts;
	test_buf	buf;
	region		regs[100];
	int			n,
				i;
	lsm_file	f;

	lsm_sst_options_default(&opts);
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	n = table_regions(&buf, regs, 100);
	f = test_buf_file(&buf);
	for (i = 0; i < n; i++)
	{
		char	   *out;
		size_t		len;

		if (i == 3)
			continue;			/* the footer is not a block */
		CHECK_EQ_INT(lsm_sst_read_block(&test_alloc, &f, regs[i].start,
										regs[i].end - regs[i].start - 5, &out, &len),
					 LSM_OK);
		test_alloc.free(test_alloc.ctx, out);
		/* data blocks are zstd here, the meta blocks never */
		CHECK_EQ_INT((unsigned char) buf.data[regs[i].end - 5], i >= 4 ? 1 : 0);
	}
	/* handles out of bounds */
	{
		char	   *out;
		size_t		len;

		CHECK_EQ_INT(lsm_sst_read_block(&test_alloc, &f, buf.len, 0, &out, &len), LSM_CORRUPT);
		CHECK_EQ_INT(lsm_sst_read_block(&test_alloc, &f, 0, UINT64_MAX - 2, &out, &len), LSM_CORRUPT);
		CHECK_EQ_INT(lsm_sst_read_block(&test_alloc, &f, UINT64_MAX - 2, 5, &out, &len), LSM_CORRUPT);
	}
	test_buf_free(&buf);
}

static void
test_errors(void)
{
	entry_gen	g = {2000, 1, 0, 0, false};
	lsm_sst_options opts;
	test_buf	buf;
	lsm_sink	sink;
	lsm_sst_builder *b;
	char		ik[32];
	size_t		kl;
	int			n;
	uint64_t	bad;

	lsm_sst_options_default(&opts);

	/* out-of-order and short keys are refused, the builder stays usable */
	test_buf_init(&buf);
	sink = test_buf_sink(&buf);
	b = lsm_sst_builder_new(&test_alloc, &opts, &sink);
	kl = test_ikey(ik, "b", 1, 5, LSM_TYPE_PUT);
	CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, "", 0), LSM_OK);
	CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, "", 0), LSM_INVALID);
	kl = test_ikey(ik, "b", 1, 6, LSM_TYPE_PUT);	/* newer sorts first */
	CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, "", 0), LSM_INVALID);
	kl = test_ikey(ik, "a", 1, 1, LSM_TYPE_PUT);
	CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, "", 0), LSM_INVALID);
	CHECK_EQ_INT(lsm_sst_builder_add(b, "short", 5, "", 0), LSM_INVALID);
	kl = test_ikey(ik, "c", 1, 1, LSM_TYPE_PUT);
	CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, valbuf, LSM_SST_MAX_ENTRY_SIZE), LSM_INVALID);
	kl = test_ikey(ik, "b", 1, 4, LSM_TYPE_PUT);
	CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, "", 0), LSM_OK);
	CHECK_EQ_INT(lsm_sst_builder_num_entries(b), 2);
	CHECK_EQ_INT(lsm_sst_builder_finish(b, NULL, NULL), LSM_OK);
	CHECK_EQ_INT(lsm_sst_builder_finish(b, NULL, NULL), LSM_INVALID);
	lsm_sst_builder_free(b);
	test_buf_free(&buf);

	/* unknown compression */
	opts.compression = (lsm_compression) 7;
	CHECK(lsm_sst_builder_new(&test_alloc, &opts, &sink) == NULL);
	lsm_sst_options_default(&opts);

	/* sink failures are sticky */
	for (n = 0; n < 5; n++)
	{
		test_buf_init(&buf);
		buf.fail_append_after = n;
		CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_IOERR);
		test_buf_free(&buf);
	}

	/* read failures propagate, at open and while iterating */
	test_buf_init(&buf);
	CHECK_EQ_INT(build_table(&opts, &g, &buf, NULL), LSM_OK);
	for (n = 0; n < 8; n++)
	{
		buf.fail_read_after = n;
		CHECK_EQ_INT(open_and_scan(&opts, &buf, &bad), LSM_IOERR);
	}
	buf.fail_read_after = -1;

	/* allocation failures: NOMEM (or clean success), never a crash or leak */
	for (n = 0; n < 40; n++)
	{
		lsm_status	st;
		long		live = test_alloc_st.live;

		test_alloc_st.fail_after = n;
		st = open_and_scan(&opts, &buf, &bad);
		test_alloc_st.fail_after = -1;
		CHECK(st == LSM_NOMEM || st == LSM_OK);
		CHECK_EQ_INT(test_alloc_st.live, live);
	}
	for (n = 0; n < 40; n++)
	{
		test_buf	out;
		lsm_sink	s;
		lsm_status	st = LSM_OK;
		int			k;
		long		live = test_alloc_st.live;

		test_buf_init(&out);
		s = test_buf_sink(&out);
		test_alloc_st.fail_after = n;
		b = lsm_sst_builder_new(&test_alloc, &opts, &s);
		if (b != NULL)
		{
			for (k = 0; k < 500 && st == LSM_OK; k++)
			{
				char		u[32];

				kl = test_ikey(valbuf, u, gen_ukey(u, k), 1, LSM_TYPE_PUT);
				st = lsm_sst_builder_add(b, valbuf, kl, "value", 5);
			}
			if (st == LSM_OK)
				st = lsm_sst_builder_finish(b, NULL, NULL);
			lsm_sst_builder_free(b);
			CHECK(st == LSM_NOMEM || st == LSM_OK);
		}
		test_alloc_st.fail_after = -1;
		CHECK_EQ_INT(test_alloc_st.live, live);
		test_buf_free(&out);
	}
	test_buf_free(&buf);
}

/* A reverse comparator: the table must honor opts.cmp everywhere. */
static int
reverse_compare(void *arg, const char *a, size_t alen, const char *b, size_t blen)
{
	return -lsm_bytewise_comparator.compare(NULL, a, alen, b, blen);
}

static void
test_custom_comparator(void)
{
	lsm_sst_options opts;
	test_buf	buf;
	lsm_sink	sink;
	lsm_sst_builder *b;
	lsm_file	f;
	lsm_sst_reader *r;
	lsm_iter   *it;
	char		ik[32],
				u[32];
	size_t		kl;
	int			k;

	lsm_sst_options_default(&opts);
	opts.cmp.compare = reverse_compare;
	opts.block_size = 256;
	test_buf_init(&buf);
	sink = test_buf_sink(&buf);
	b = lsm_sst_builder_new(&test_alloc, &opts, &sink);
	for (k = 999; k >= 0; k--)
	{
		kl = test_ikey(ik, u, (size_t) sprintf(u, "%04d", 2 * k), 1, LSM_TYPE_PUT);
		CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, u, 4), LSM_OK);
	}
	CHECK_EQ_INT(lsm_sst_builder_finish(b, NULL, NULL), LSM_OK);
	lsm_sst_builder_free(b);
	f = test_buf_file(&buf);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &r, NULL), LSM_OK);
	it = lsm_sst_reader_iter(r);
	kl = test_ikey(ik, "1001", 4, 1, LSM_TYPE_PUT);
	lsm_iter_seek(it, ik, kl);
	CHECK(lsm_iter_valid(it));
	if (lsm_iter_valid(it))
	{
		size_t		len;
		const char *v = lsm_iter_value(it, &len);

		CHECK(len == 4 && memcmp(v, "1000", 4) == 0);
	}
	lsm_iter_destroy(it);
	lsm_sst_reader_close(r);
	test_buf_free(&buf);
}

static void
test_no_leaks(void)
{
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

int
main(void)
{
	RUN(test_round_trip);
	RUN(test_props);
	RUN(test_empty_table);
	RUN(test_seek);
	RUN(test_may_contain);
	RUN(test_corruption_none);
	RUN(test_corruption_zstd);
	RUN(test_truncation);
	RUN(test_compression_ratio);
	RUN(test_read_block);
	RUN(test_errors);
	RUN(test_custom_comparator);
	RUN(test_no_leaks);
	return TEST_SUMMARY();
}
