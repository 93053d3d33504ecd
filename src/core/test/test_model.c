/*
 * test_model.c
 *	  Randomized test of the read path against a simple model.
 *
 * Random puts and deletes with increasing sequence numbers are cut into
 * runs; most runs become SSTables (random block sizes, compression on or
 * off), the newest ones stay in memtables, and one memtable is also
 * flushed to an SSTable that stays visible next to it (exact duplicates,
 * as between a flush and the memtable's retirement).  A merging iterator
 * over all of them, newest first, must give for every user key the newest
 * entry the model holds, and point reads at past snapshots must match the
 * model's history.  Fixed seeds: failures reproduce.
 */
#include "lsm_block.h"
#include "lsm_bloom.h"
#include "lsm_memtable.h"
#include "lsm_merge.h"
#include "lsm_sstable.h"
#include "lsm_test.h"
#include "lsm_test_mem.h"

#define NOPS 5000
#define KEYSPACE 400
#define MAXRUNS 16

static const lsm_comparator *cmp = &lsm_bytewise_comparator;

typedef struct op
{
	int			key;
	uint64_t	seq;
	lsm_entry_type type;
	char		val[48];
	size_t		vlen;
} op;

static op	ops[NOPS];

static size_t
ukey_of(char *dst, int key)
{
	return (size_t) sprintf(dst, "row-%06d", key);
}

static int
op_cmp(const void *a, const void *b)
{
	const op   *x = a,
			   *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->seq > y->seq ? -1 : (x->seq < y->seq ? 1 : 0);
}

/* The newest op on key with seq <= snap, or NULL. */
static const op *
model_get(int key, uint64_t snap)
{
	const op   *best = NULL;
	int			i;

	for (i = 0; i < NOPS; i++)
		if (ops[i].key == key && ops[i].seq <= snap &&
			(best == NULL || ops[i].seq > best->seq))
			best = &ops[i];
	return best;
}

/* Write ops[from, to) into an SSTable in buf (sorted copy). */
static void
write_sstable(int from, int to, test_buf *buf, lsm_sst_options *opts)
{
	lsm_sink	sink = test_buf_sink(buf);
	lsm_sst_builder *b = lsm_sst_builder_new(&test_alloc, opts, &sink);
	op		   *sorted = malloc(sizeof(op) * (size_t) (to - from + 1));
	int			i;
	const lsm_sst_props *props;

	memcpy(sorted, ops + from, sizeof(op) * (size_t) (to - from));
	qsort(sorted, (size_t) (to - from), sizeof(op), op_cmp);
	for (i = 0; i < to - from; i++)
	{
		char		ik[32],
					u[16];
		size_t		kl = test_ikey(ik, u, ukey_of(u, sorted[i].key), sorted[i].seq,
								   sorted[i].type);

		CHECK_EQ_INT(lsm_sst_builder_add(b, ik, kl, sorted[i].val, sorted[i].vlen), LSM_OK);
	}
	CHECK_EQ_INT(lsm_sst_builder_finish(b, &props, NULL), LSM_OK);
	CHECK_EQ_INT(props->num_entries, to - from);
	lsm_sst_builder_free(b);
	free(sorted);
}

/* Insert ops[from, to) into a memtable, adding chunks as it fills. */
static void
fill_memtable(lsm_memtable *mt, int from, int to, void **chunks, int *nchunks)
{
	int			i;

	lsm_memtable_init(mt);
	for (i = from; i < to; i++)
	{
		char		u[16];
		size_t		ul = ukey_of(u, ops[i].key);
		lsm_status	st = lsm_memtable_insert(mt, cmp, u, ul, ops[i].seq, ops[i].type,
											 ops[i].val, ops[i].vlen);

		if (st == LSM_NOMEM)
		{
			size_t		size = 4096;

			CHECK(size >= lsm_memtable_entry_space(ul, ops[i].vlen));
			chunks[*nchunks] = malloc(size);
			lsm_memtable_add_chunk(mt, chunks[(*nchunks)++], size);
			st = lsm_memtable_insert(mt, cmp, u, ul, ops[i].seq, ops[i].type,
									 ops[i].val, ops[i].vlen);
		}
		CHECK_EQ_INT(st, LSM_OK);
	}
}

static void
run_model(uint64_t seed)
{
	int			cuts[MAXRUNS + 1];
	int			nruns;
	int			nmem = 2;		/* newest runs kept in memtables */
	test_buf	bufs[MAXRUNS + 1];
	lsm_sst_reader *readers[MAXRUNS + 1];
	lsm_sst_options opts[MAXRUNS + 1];
	lsm_memtable mts[2];
	void	   *chunks[4096];
	int			nchunks = 0;
	lsm_iter   *children[MAXRUNS + 2];
	int			nchildren = 0;
	int			nsst = 0;
	lsm_iter   *m;
	int			i,
				r,
				key,
				seen = 0,
				checked = 0;

	test_srand(seed);
	nruns = 4 + (int) test_rand_below(MAXRUNS - 3);
	for (i = 0; i < NOPS; i++)
	{
		ops[i].key = (int) test_rand_below(KEYSPACE);
		ops[i].seq = (uint64_t) i * 3 + 1 + test_rand_below(3);	/* increasing, gaps */
		ops[i].type = test_rand_below(4) == 0 ? LSM_TYPE_DELETE : LSM_TYPE_PUT;
		ops[i].vlen = ops[i].type == LSM_TYPE_DELETE ? 0 :
			(size_t) sprintf(ops[i].val, "v%d-%llu-%llu", ops[i].key,
							 (unsigned long long) ops[i].seq,
							 (unsigned long long) test_rand_below(1000000));
	}

	/* cut [0, NOPS) into nruns increasing runs */
	cuts[0] = 0;
	cuts[nruns] = NOPS;
	for (r = 1; r < nruns; r++)
		cuts[r] = cuts[r - 1] + 1 +
			(int) test_rand_below((uint64_t) (NOPS - cuts[r - 1]) / (uint64_t) (nruns - r + 1) * 2);
	for (r = 1; r < nruns; r++)
		if (cuts[r] >= NOPS - (nruns - r))
			cuts[r] = NOPS - (nruns - r);

	/* children newest first: memtables, then SSTables newest first */
	for (r = nruns - 1; r >= nruns - nmem; r--)
	{
		lsm_memtable *mt = &mts[nruns - 1 - r];

		fill_memtable(mt, cuts[r], cuts[r + 1], chunks, &nchunks);
		children[nchildren++] = lsm_memtable_iter_new(mt, cmp, &test_alloc);
	}
	/* the older memtable was also flushed: its SSTable is visible too */
	for (r = nruns - nmem; r >= 0; r--)
	{
		lsm_file	f;

		lsm_sst_options_default(&opts[nsst]);
		opts[nsst].block_size = 128 + test_rand_below(4096);
		opts[nsst].restart_interval = 1 + (int) test_rand_below(16);
		opts[nsst].compression = test_rand_below(2) ? LSM_COMPRESSION_ZSTD : LSM_COMPRESSION_NONE;
		test_buf_init(&bufs[nsst]);
		write_sstable(cuts[r], cuts[r + 1], &bufs[nsst], &opts[nsst]);
		f = test_buf_file(&bufs[nsst]);
		CHECK_EQ_INT(lsm_sst_reader_open(&test_alloc, &opts[nsst], &f, &readers[nsst], NULL),
					 LSM_OK);
		/* every key written to this run passes the filter */
		for (i = cuts[r]; i < cuts[r + 1]; i++)
		{
			char		u[16];

			CHECK(lsm_sst_reader_may_contain(readers[nsst], u, ukey_of(u, ops[i].key)));
		}
		children[nchildren++] = lsm_sst_reader_iter(readers[nsst]);
		nsst++;
	}

	/* full scan: the first entry of each user key is the newest op */
	m = lsm_merge_iter_new(&test_alloc, cmp, children, nchildren);
	key = -1;
	for (lsm_iter_seek_first(m); lsm_iter_valid(m); lsm_iter_next(m))
	{
		size_t		kl,
					vl,
					ul;
		const char *k = lsm_iter_key(m, &kl);
		const char *v = lsm_iter_value(m, &vl);
		uint64_t	seq;
		lsm_entry_type type;
		int			kk;
		const op   *want;

		lsm_ikey_decode(k, kl, &ul, &seq, &type);
		seen++;
		if (sscanf(k, "row-%06d", &kk) != 1)
		{
			CHECK(!"bad key");
			break;
		}
		if (kk == key)
			continue;			/* an older version */
		/* keys with no ops in between must be absent in the model too */
		for (key = key + 1; key < kk; key++)
			CHECK(model_get(key, UINT64_MAX) == NULL);
		want = model_get(kk, UINT64_MAX);
		CHECK(want != NULL);
		if (want)
		{
			CHECK_EQ_INT(seq, want->seq);
			CHECK_EQ_INT(type, want->type);
			CHECK(vl == want->vlen && memcmp(v, want->val, vl) == 0);
		}
		checked++;
	}
	CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);
	/* the flushed memtable's duplicates come out once */
	CHECK_EQ_INT(seen, NOPS);

	/* point reads at random snapshots */
	for (i = 0; i < 2000; i++)
	{
		char		ik[32],
					u[16];
		uint64_t	snap = test_rand_below((uint64_t) NOPS * 3 + 10);
		size_t		ul = ukey_of(u, key = (int) test_rand_below(KEYSPACE + 5));
		size_t		kl = test_ikey(ik, u, ul, snap, (lsm_entry_type) 0xff);
		const op   *want = model_get(key, snap);
		bool		found = false;

		lsm_iter_seek(m, ik, kl);
		if (lsm_iter_valid(m))
		{
			size_t		gl;
			const char *g = lsm_iter_key(m, &gl);

			found = gl == kl && memcmp(g, u, ul) == 0;
			if (found && want)
			{
				uint64_t	seq;

				lsm_ikey_decode(g, gl, NULL, &seq, NULL);
				CHECK_EQ_INT(seq, want->seq);
			}
		}
		CHECK_EQ_INT(found, want != NULL);
	}
	CHECK_EQ_INT(lsm_iter_status(m), LSM_OK);
	printf("     seed %llu: %d runs (%d SSTables, %d memtables), %d entries merged, "
		   "%d user keys checked\n", (unsigned long long) seed, nruns, nsst, nmem,
		   seen, checked);

	lsm_iter_destroy(m);
	for (r = 0; r < nsst; r++)
	{
		lsm_sst_reader_close(readers[r]);
		test_buf_free(&bufs[r]);
	}
	for (i = 0; i < nchunks; i++)
		free(chunks[i]);
}

static void
test_model_seed_1(void)
{
	run_model(1);
}

static void
test_model_seed_2(void)
{
	run_model(20240601);
}

static void
test_model_seed_3(void)
{
	run_model(987654321);
}

static void
test_no_leaks(void)
{
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

int
main(void)
{
	RUN(test_model_seed_1);
	RUN(test_model_seed_2);
	RUN(test_model_seed_3);
	RUN(test_no_leaks);
	return TEST_SUMMARY();
}
