/*
 * test_merge.c
 *	  Unit tests of the merging iterator: merges of blocks and SSTables
 *	  against a sorted model, duplicates across children, empty children,
 *	  seeks, and propagation of a child's error.
 */
#include "lsm_block.h"
#include "lsm_merge.h"
#include "lsm_sstable.h"
#include "lsm_test.h"
#include "lsm_test_mem.h"

static const lsm_comparator *cmp = &lsm_bytewise_comparator;

/* One model entry: internal key, value and the child it came from. */
typedef struct mentry
{
	char		key[24];
	size_t		klen;
	char		val[24];
	size_t		vlen;
	int			child;
} mentry;

static int
mentry_cmp(const void *a, const void *b)
{
	const mentry *x = a,
			   *y = b;
	int			r = lsm_ikey_compare(cmp, x->key, x->klen, y->key, y->klen);

	if (r != 0)
		return r;
	return x->child - y->child;		/* the newest child first */
}

/* Sort, then drop exact duplicates keeping the first (newest child). */
static int
model_normalize(mentry *m, int n)
{
	int			i,
				o = 0;

	qsort(m, n, sizeof(mentry), mentry_cmp);
	for (i = 0; i < n; i++)
	{
		if (o > 0 && lsm_ikey_compare(cmp, m[o - 1].key, m[o - 1].klen,
									  m[i].key, m[i].klen) == 0)
			continue;
		m[o++] = m[i];
	}
	return o;
}

static void
random_entry(mentry *e, int child, int keyspace)
{
	char		u[16];
	int			n = sprintf(u, "u%05d", (int) test_rand_below(keyspace));

	e->klen = test_ikey(e->key, u, n, 1 + test_rand_below(5),
						test_rand_below(4) ? LSM_TYPE_PUT : LSM_TYPE_DELETE);
	e->vlen = (size_t) sprintf(e->val, "c%d-%d", child, (int) test_rand_below(1000));
	e->child = child;
}

/* Build a child over entries (sorted, deduplicated within the child). */
static lsm_iter *
make_child(mentry *e, int n, bool as_sstable, test_buf *buf, lsm_sst_reader **r)
{
	int			i;

	n = model_normalize(e, n);
	if (as_sstable)
	{
		lsm_sst_options opts;
		lsm_sink	sink = test_buf_sink(buf);
		lsm_sst_builder *b;
		lsm_file	f;

		lsm_sst_options_default(&opts);
		opts.block_size = 256;
		b = lsm_sst_builder_new(&test_alloc, &opts, &sink);
		for (i = 0; i < n; i++)
			CHECK_EQ_INT(lsm_sst_builder_add(b, e[i].key, e[i].klen, e[i].val, e[i].vlen), LSM_OK);
		CHECK_EQ_INT(lsm_sst_builder_finish(b, NULL, NULL), LSM_OK);
		lsm_sst_builder_free(b);
		f = test_buf_file(buf);
		CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, r, NULL), LSM_OK);
		return lsm_sst_reader_iter(*r);
	}
	else
	{
		lsm_block_builder b;
		const char *c;
		size_t		len;
		char	   *copy;
		lsm_status	st;

		lsm_block_builder_init(&b, &test_alloc, 4);
		for (i = 0; i < n; i++)
			CHECK_EQ_INT(lsm_block_builder_add(&b, e[i].key, e[i].klen, e[i].val, e[i].vlen), LSM_OK);
		c = lsm_block_builder_finish(&b, &len);
		copy = test_alloc.alloc(test_alloc.ctx, len);
		memcpy(copy, c, len);
		lsm_block_builder_free(&b);
		*r = NULL;
		return lsm_block_iter_new(&test_alloc, cmp, true, copy, len, true, &st);
	}
}

static bool
at_model(lsm_iter *it, const mentry *e)
{
	size_t		kl,
				vl;
	const char *k,
			   *v;

	if (!lsm_iter_valid(it))
		return false;
	k = lsm_iter_key(it, &kl);
	v = lsm_iter_value(it, &vl);
	return kl == e->klen && memcmp(k, e->key, kl) == 0 &&
		vl == e->vlen && memcmp(v, e->val, vl) == 0;
}

#define MAXCHILD 8
#define PERCHILD 600

/*
 * Random children (some empty, some blocks, some SSTables) over a small
 * key space so that user keys and exact internal keys repeat across
 * children; the merge must equal the sorted, deduplicated union.
 */
static void
test_random_merges(void)
{
	int			round;
	static mentry all[MAXCHILD * PERCHILD];
	static mentry per[PERCHILD];

	test_srand(12345);
	for (round = 0; round < 40; round++)
	{
		int			nchild = 1 + (int) test_rand_below(MAXCHILD);
		lsm_iter   *children[MAXCHILD];
		lsm_sst_reader *readers[MAXCHILD];
		test_buf	bufs[MAXCHILD];
		int			nall = 0,
					c,
					i,
					nmodel;
		lsm_iter   *m;
		int			keyspace = 50 + (int) test_rand_below(2000);

		for (c = 0; c < nchild; c++)
		{
			int			n = (test_rand_below(5) == 0) ? 0 : (int) test_rand_below(PERCHILD);

			for (i = 0; i < n; i++)
				random_entry(&per[i], c, keyspace);
			test_buf_init(&bufs[c]);
			children[c] = make_child(per, n, test_rand_below(2) == 0, &bufs[c], &readers[c]);
			n = model_normalize(per, n);
			memcpy(all + nall, per, n * sizeof(mentry));
			nall += n;
		}
		nmodel = model_normalize(all, nall);

		m = lsm_merge_iter_new(&test_alloc, cmp, children, nchild);
		CHECK(m != NULL);
		i = 0;
		for (lsm_iter_seek_first(m); lsm_iter_valid(m); lsm_iter_next(m), i++)
		{
			if (i >= nmodel || !at_model(m, &all[i]))
			{
				CHECK(!"merge differs from model");
				break;
			}
		}
		CHECK_EQ_INT(i, nmodel);
		CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);

		/* seeks: to model keys and to random keys, then a few nexts */
		for (i = 0; i < 100; i++)
		{
			mentry		t;
			int			lo = 0,
						hi = nmodel,
						j;

			random_entry(&t, 0, keyspace + 10);
			while (lo < hi)
			{
				int			mid = (lo + hi) / 2;

				if (lsm_ikey_compare(cmp, all[mid].key, all[mid].klen, t.key, t.klen) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			lsm_iter_seek(m, t.key, t.klen);
			for (j = lo; j < lo + 5 && j < nmodel; j++)
			{
				CHECK(at_model(m, &all[j]));
				lsm_iter_next(m);
			}
			if (j == nmodel)
				CHECK(!lsm_iter_valid(m));
		}

		/* backward: the whole merge in reverse */
		i = nmodel - 1;
		for (lsm_iter_seek_last(m); lsm_iter_valid(m); lsm_iter_prev(m), i--)
		{
			if (i < 0 || !at_model(m, &all[i]))
			{
				CHECK(!"backward merge differs from model");
				break;
			}
		}
		CHECK_EQ_INT(i, -1);
		CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);

		/* turning around: random walks of next and prev from random seeks */
		for (i = 0; i < 100 && nmodel > 0; i++)
		{
			int			pos = (int) test_rand_below(nmodel);
			int			step;

			lsm_iter_seek(m, all[pos].key, all[pos].klen);
			for (step = 0; step < 12; step++)
			{
				if (pos < 0 || pos >= nmodel)
				{
					CHECK(!lsm_iter_valid(m));
					break;
				}
				if (!at_model(m, &all[pos]))
				{
					CHECK(!"walk differs from model");
					break;
				}
				if (test_rand_below(2))
				{
					lsm_iter_next(m);
					pos++;
				}
				else
				{
					lsm_iter_prev(m);
					pos--;
				}
			}
		}
		CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);

		lsm_iter_destroy(m);
		for (c = 0; c < nchild; c++)
		{
			lsm_sst_reader_close(readers[c]);
			test_buf_free(&bufs[c]);
		}
	}
}

/* The same internal key in three children: only the first child's shows. */
static void
test_duplicates(void)
{
	mentry		e[3][2];
	lsm_iter   *children[3];
	lsm_sst_reader *readers[3];
	test_buf	bufs[3];
	lsm_iter   *m;
	int			c;
	size_t		vl;
	const char *v;

	for (c = 0; c < 3; c++)
	{
		e[c][0].klen = test_ikey(e[c][0].key, "same", 4, 7, LSM_TYPE_PUT);
		e[c][0].vlen = (size_t) sprintf(e[c][0].val, "from-%d", c);
		e[c][0].child = c;
		/* plus an older version of the same user key only in child 2 */
		e[c][1].klen = test_ikey(e[c][1].key, c == 2 ? "same" : "zzz", c == 2 ? 4 : 3,
								 c == 2 ? 3 : 1, LSM_TYPE_PUT);
		e[c][1].vlen = (size_t) sprintf(e[c][1].val, "other-%d", c);
		e[c][1].child = c;
		test_buf_init(&bufs[c]);
	}
	/* children newest first: 0, 1, 2; child 1 is an SSTable */
	for (c = 0; c < 3; c++)
		children[c] = make_child(e[c], 2, c == 1, &bufs[c], &readers[c]);
	m = lsm_merge_iter_new(&test_alloc, cmp, children, 3);
	lsm_iter_seek_first(m);
	CHECK(lsm_iter_valid(m));
	v = lsm_iter_value(m, &vl);
	CHECK(vl == 6 && memcmp(v, "from-0", 6) == 0);
	lsm_iter_next(m);
	v = lsm_iter_value(m, &vl);
	CHECK(vl == 7 && memcmp(v, "other-2", 7) == 0);
	lsm_iter_next(m);
	v = lsm_iter_value(m, &vl);
	CHECK(vl == 7 && memcmp(v, "other-0", 7) == 0);	/* zzz from child 0 */
	lsm_iter_next(m);
	CHECK(!lsm_iter_valid(m));
	CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);

	/* seek onto the duplicate also yields the newest child's entry */
	lsm_iter_seek(m, e[2][0].key, e[2][0].klen);
	v = lsm_iter_value(m, &vl);
	CHECK(vl == 6 && memcmp(v, "from-0", 6) == 0);

	/* coming back onto the duplicate from behind: still the newest child's */
	lsm_iter_next(m);
	if (lsm_iter_valid(m))
		lsm_iter_prev(m);
	else
		lsm_iter_seek_last(m);
	v = lsm_iter_value(m, &vl);
	CHECK(vl == 6 && memcmp(v, "from-0", 6) == 0);

	/* and every entry once in each direction */
	{
		int			fwd = 0,
					bwd = 0;

		for (lsm_iter_seek_first(m); lsm_iter_valid(m); lsm_iter_next(m))
			fwd++;
		for (lsm_iter_seek_last(m); lsm_iter_valid(m); lsm_iter_prev(m))
			bwd++;
		CHECK_EQ_INT(fwd, bwd);
	}
	CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);
	lsm_iter_destroy(m);
	for (c = 0; c < 3; c++)
	{
		lsm_sst_reader_close(readers[c]);
		test_buf_free(&bufs[c]);
	}
}

static void
test_no_children(void)
{
	lsm_iter   *m = lsm_merge_iter_new(&test_alloc, cmp, NULL, 0);
	char		k[16];
	size_t		kl = test_ikey(k, "a", 1, 1, LSM_TYPE_PUT);

	lsm_iter_seek_first(m);
	CHECK(!lsm_iter_valid(m));
	lsm_iter_seek(m, k, kl);
	CHECK(!lsm_iter_valid(m));
	CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);
	lsm_iter_destroy(m);
}

/*
 * A child whose data block is corrupt: the merge must stop with
 * LSM_CORRUPT, not silently skip the child.
 */
static void
test_error_propagation(void)
{
	static mentry e[2][PERCHILD];
	lsm_iter   *children[2];
	lsm_sst_reader *readers[2];
	test_buf	bufs[2];
	lsm_iter   *m;
	int			c,
				i,
				n = 0;
	lsm_file	f;
	lsm_sst_options opts;
	uint64_t	off;

	test_srand(7);
	for (c = 0; c < 2; c++)
	{
		for (i = 0; i < PERCHILD; i++)
			random_entry(&e[c][i], c, 100000);
		test_buf_init(&bufs[c]);
		children[c] = make_child(e[c], PERCHILD, true, &bufs[c], &readers[c]);
		lsm_iter_destroy(children[c]);
	}
	/* corrupt a data block in the middle of child 1, then reopen it */
	off = lsm_get_fixed64(bufs[1].data + bufs[1].len - LSM_SST_FOOTER_SIZE) / 2;
	bufs[1].data[off] ^= 0x10;
	lsm_sst_options_default(&opts);
	f = test_buf_file(&bufs[1]);
	lsm_sst_reader_close(readers[1]);
	CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts, &f, &readers[1], NULL), LSM_OK);
	children[0] = lsm_sst_reader_iter(readers[0]);
	children[1] = lsm_sst_reader_iter(readers[1]);

	m = lsm_merge_iter_new(&test_alloc, cmp, children, 2);
	for (lsm_iter_seek_first(m); lsm_iter_valid(m); lsm_iter_next(m))
		n++;
	CHECK_EQ_INT(lsm_iter_status(m), LSM_CORRUPT);
	CHECK(n < 2 * PERCHILD);
	/* an errored merge stays errored */
	lsm_iter_seek_first(m);
	CHECK(!lsm_iter_valid(m));
	CHECK_EQ_INT(lsm_iter_status(m), LSM_CORRUPT);
	lsm_iter_destroy(m);

	/* corruption met by a seek */
	children[0] = lsm_sst_reader_iter(readers[0]);
	children[1] = lsm_sst_reader_iter(readers[1]);
	m = lsm_merge_iter_new(&test_alloc, cmp, children, 2);
	{
		int			errors = 0;

		for (i = 0; i < PERCHILD; i++)
		{
			lsm_iter_destroy(m);
			children[0] = lsm_sst_reader_iter(readers[0]);
			children[1] = lsm_sst_reader_iter(readers[1]);
			m = lsm_merge_iter_new(&test_alloc, cmp, children, 2);
			lsm_iter_seek(m, e[1][i].key, e[1][i].klen);
			if (lsm_iter_status(m) == LSM_CORRUPT)
			{
				CHECK(!lsm_iter_valid(m));
				errors++;
			}
		}
		CHECK(errors > 0);
	}
	lsm_iter_destroy(m);
	for (c = 0; c < 2; c++)
	{
		lsm_sst_reader_close(readers[c]);
		test_buf_free(&bufs[c]);
	}
}

/* Out of memory while creating the merge: children are destroyed. */
static void
test_nomem(void)
{
	mentry		e[1];
	lsm_iter   *children[1];
	lsm_sst_reader *r;
	long		live = test_alloc_st.live;

	e[0].klen = test_ikey(e[0].key, "k", 1, 1, LSM_TYPE_PUT);
	e[0].vlen = 0;
	e[0].child = 0;
	children[0] = make_child(e, 1, false, NULL, &r);
	test_alloc_st.fail_after = 1;
	CHECK(lsm_merge_iter_new(&test_alloc, cmp, children, 1) == NULL);
	test_alloc_st.fail_after = -1;
	CHECK_EQ_INT(test_alloc_st.live, live);
}

static void
test_no_leaks(void)
{
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

int
main(void)
{
	RUN(test_random_merges);
	RUN(test_duplicates);
	RUN(test_no_children);
	RUN(test_error_propagation);
	RUN(test_nomem);
	RUN(test_no_leaks);
	return TEST_SUMMARY();
}
