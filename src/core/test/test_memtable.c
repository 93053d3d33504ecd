/*-------------------------------------------------------------------------
 *
 * test_memtable.c
 *	  Unit tests of the memtable skiplist: order against a sorted model,
 *	  seek semantics, backward iteration, chunk exhaustion, statistics,
 *	  and one writer racing lock-free reader threads.
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_core.h"
#include "lsm_memtable.h"
#include "lsm_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

/* Model entry: an owned internal key and value. */
typedef struct model_entry
{
	char	   *ikey;
	size_t		klen;
	char	   *val;
	size_t		vlen;
} model_entry;

static uint32_t test_rng = 12345;

static uint32_t
rnd(void)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 17;
	test_rng ^= test_rng << 5;
	return test_rng;
}

static int
model_cmp(const void *a, const void *b)
{
	const model_entry *x = a;
	const model_entry *y = b;

	return lsm_ikey_compare(&lsm_bytewise_comparator, x->ikey, x->klen,
							y->ikey, y->klen);
}

/* Build an internal key into a fresh buffer. */
static char *
make_ikey(const char *ukey, size_t ulen, uint64_t seq, lsm_entry_type type)
{
	char	   *k = malloc(ulen + LSM_TRAILER_SIZE);

	memcpy(k, ukey, ulen);
	lsm_trailer_encode(k + ulen, seq, type);
	return k;
}

/* A cheap 32-bit checksum (FNV-1a) for self-describing values. */
static uint32_t
fnv1a(const char *p, size_t n)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		h ^= (unsigned char) p[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * Random user key out of a small space (so user keys repeat with several
 * versions), of variable length, including the empty key.
 */
static size_t
random_ukey(char *buf, int space)
{
	uint32_t	r = rnd() % space;
	size_t		len = r % 7;	/* 0..6 extra bytes */
	size_t		i;

	buf[0] = (char) (r & 0xff);
	buf[1] = (char) (r >> 8);
	for (i = 0; i < len; i++)
		buf[2 + i] = (char) ('a' + (r * 7 + i) % 26);
	return (r % 11 == 0) ? 0 : 2 + len;
}

static bool
iter_matches(lsm_iter *it, const model_entry *e)
{
	size_t		kl,
				vl;
	const char *k,
			   *v;

	if (!lsm_iter_valid(it))
		return false;
	k = lsm_iter_key(it, &kl);
	v = lsm_iter_value(it, &vl);
	return kl == e->klen && memcmp(k, e->ikey, kl) == 0 &&
		vl == e->vlen && (vl == 0 || memcmp(v, e->val, vl) == 0);
}

/* Index of the first model entry >= key (model sorted). */
static int
model_lower_bound(model_entry *m, int n, const char *key, size_t klen)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (lsm_ikey_compare(&lsm_bytewise_comparator, m[mid].ikey, m[mid].klen,
							 key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define MODEL_N 5000

static model_entry model[MODEL_N];
static lsm_memtable model_mt;
static char *model_chunk;

/* Fill model_mt and model[] with random entries; returns entry count. */
static int
build_random_table(void)
{
	int			i;
	size_t		chunk_size = 4 << 20;

	model_chunk = malloc(chunk_size);
	lsm_memtable_init(&model_mt);
	lsm_memtable_add_chunk(&model_mt, model_chunk, chunk_size);
	for (i = 0; i < MODEL_N; i++)
	{
		char		ukey[16];
		size_t		ulen = random_ukey(ukey, 700);
		uint64_t	seq = (uint64_t) i + 1;
		lsm_entry_type type = (rnd() % 5 == 0) ? LSM_TYPE_DELETE : LSM_TYPE_PUT;
		size_t		vlen = rnd() % 40;
		size_t		j;

		model[i].ikey = make_ikey(ukey, ulen, seq, type);
		model[i].klen = ulen + LSM_TRAILER_SIZE;
		model[i].val = malloc(vlen + 1);
		for (j = 0; j < vlen; j++)
			model[i].val[j] = (char) rnd();
		model[i].vlen = vlen;
		CHECK_EQ_INT(lsm_memtable_insert(&model_mt, &lsm_bytewise_comparator,
										 ukey, ulen, seq, type,
										 model[i].val, vlen), LSM_OK);
	}
	qsort(model, MODEL_N, sizeof(model_entry), model_cmp);
	return MODEL_N;
}

static void
free_random_table(void)
{
	int			i;

	for (i = 0; i < MODEL_N; i++)
	{
		free(model[i].ikey);
		free(model[i].val);
	}
	free(model_chunk);
}

/*
 * Forward and backward scans return exactly the sorted model.
 */
static void
test_order_vs_model(void)
{
	int			n = build_random_table();
	lsm_iter   *it = lsm_memtable_iter_new(&model_mt, &lsm_bytewise_comparator,
										   &lsm_malloc_allocator);
	int			i;
	int			bad = 0;

	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek_first(it);
	for (i = 0; i < n; i++)
	{
		if (!iter_matches(it, &model[i]))
			bad++;
		lsm_iter_next(it);
	}
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(bad, 0);

	bad = 0;
	lsm_iter_seek_last(it);
	for (i = n - 1; i >= 0; i--)
	{
		if (!iter_matches(it, &model[i]))
			bad++;
		lsm_iter_prev(it);
	}
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(bad, 0);

	/* next/prev stay put when invalid */
	lsm_iter_next(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_prev(it);
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);
	lsm_iter_destroy(it);
}

/*
 * Ascending appends (the insert fast path: the new key is past the
 * last node) interleaved with out-of-order inserts: below the maximum,
 * a newer version of the maximum user key (sorts before it), and
 * appends right after an out-of-order insert.  The table must scan and
 * seek exactly like the sorted model, at every skiplist level.
 */
static void
test_append_mixed(void)
{
	size_t		chunk_size = 4 << 20;
	char	   *chunk = malloc(chunk_size);
	lsm_memtable mt;
	lsm_iter   *it;
	uint32_t	next_key = 1000;
	int			i;
	int			bad = 0;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, chunk_size);
	for (i = 0; i < MODEL_N; i++)
	{
		char		ukey[4];
		uint32_t	k;
		uint32_t	r = rnd() % 10;
		uint64_t	seq = (uint64_t) i + 1;

		if (r < 7 || i == 0)
			k = next_key++;		/* append */
		else if (r < 9)
			k = rnd() % next_key;	/* somewhere below the max */
		else
			k = next_key - 1;	/* newer version of the max user key */
		ukey[0] = (char) (k >> 24);
		ukey[1] = (char) (k >> 16);
		ukey[2] = (char) (k >> 8);
		ukey[3] = (char) k;
		model[i].ikey = make_ikey(ukey, 4, seq, LSM_TYPE_PUT);
		model[i].klen = 4 + LSM_TRAILER_SIZE;
		model[i].val = malloc(4);
		memcpy(model[i].val, &seq, 4);
		model[i].vlen = 4;
		CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator,
										 ukey, 4, seq, LSM_TYPE_PUT,
										 model[i].val, 4), LSM_OK);
	}
	qsort(model, MODEL_N, sizeof(model_entry), model_cmp);

	it = lsm_memtable_iter_new(&mt, &lsm_bytewise_comparator,
							   &lsm_malloc_allocator);
	lsm_iter_seek_first(it);
	for (i = 0; i < MODEL_N; i++)
	{
		if (!iter_matches(it, &model[i]))
			bad++;
		lsm_iter_next(it);
	}
	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek_last(it);
	for (i = MODEL_N - 1; i >= 0; i--)
	{
		if (!iter_matches(it, &model[i]))
			bad++;
		lsm_iter_prev(it);
	}
	CHECK(!lsm_iter_valid(it));
	/* Seeks use the upper levels: every entry must be found exactly. */
	for (i = 0; i < MODEL_N; i++)
	{
		lsm_iter_seek(it, model[i].ikey, model[i].klen);
		if (!iter_matches(it, &model[i]))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT((int) mt.num_entries, MODEL_N);
	lsm_iter_destroy(it);
	for (i = 0; i < MODEL_N; i++)
	{
		free(model[i].ikey);
		free(model[i].val);
	}
	free(chunk);
}

/*
 * Seek lands on the first entry >= target: exact hits, user keys that
 * are absent, snapshot-style targets (seq between versions), and targets
 * past the end.  Then a zig-zag of next/prev from each landing point.
 */
static void
test_seek(void)
{
	int			n = MODEL_N;
	lsm_iter   *it = lsm_memtable_iter_new(&model_mt, &lsm_bytewise_comparator,
										   &lsm_malloc_allocator);
	int			i;
	int			bad = 0;
	char		big[8];
	char	   *k;

	/* exact */
	for (i = 0; i < n; i += 7)
	{
		lsm_iter_seek(it, model[i].ikey, model[i].klen);
		if (!iter_matches(it, &model[i]))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);

	/* random targets, including absent user keys and intermediate seqs */
	bad = 0;
	for (i = 0; i < 3000; i++)
	{
		char		ukey[16];
		size_t		ulen = random_ukey(ukey, 1000);
		uint64_t	seq = rnd() % (MODEL_N + 2);
		lsm_entry_type type = (lsm_entry_type) (1 + rnd() % 3);
		int			pos;

		k = make_ikey(ukey, ulen, seq, type);
		pos = model_lower_bound(model, n, k, ulen + LSM_TRAILER_SIZE);
		lsm_iter_seek(it, k, ulen + LSM_TRAILER_SIZE);
		if (pos == n ? lsm_iter_valid(it) : !iter_matches(it, &model[pos]))
			bad++;
		/* one step back lands on the predecessor */
		if (pos < n)
		{
			lsm_iter_prev(it);
			if (pos == 0 ? lsm_iter_valid(it) : !iter_matches(it, &model[pos - 1]))
				bad++;
			if (pos > 0)
			{
				lsm_iter_next(it);
				if (!iter_matches(it, &model[pos]))
					bad++;
			}
		}
		free(k);
	}
	CHECK_EQ_INT(bad, 0);

	/* newest version of a user key: seek (ukey, MAX_SEQ) */
	{
		int			first = 0;

		for (i = 0; i < n; i++)
		{
			size_t		ul = model[i].klen - LSM_TRAILER_SIZE;

			if (i > 0 && model[i - 1].klen == model[i].klen &&
				memcmp(model[i - 1].ikey, model[i].ikey, ul) == 0)
				continue;
			k = make_ikey(model[i].ikey, ul, LSM_MAX_SEQ, LSM_TYPE_LOCK);
			lsm_iter_seek(it, k, model[i].klen);
			if (!iter_matches(it, &model[i]))
				bad++;
			free(k);
			first++;
		}
		CHECK(first > 100);
		CHECK_EQ_INT(bad, 0);
	}

	/* past the end: a user key above every key */
	memset(big, 0xff, sizeof(big));
	k = make_ikey(big, sizeof(big), 0, LSM_TYPE_PUT);
	lsm_iter_seek(it, k, sizeof(big) + LSM_TRAILER_SIZE);
	CHECK(!lsm_iter_valid(it));
	free(k);

	/* before the start: the empty user key, newest seq */
	k = make_ikey("", 0, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	lsm_iter_seek(it, k, LSM_TRAILER_SIZE);
	CHECK(iter_matches(it, &model[0]));
	free(k);

	lsm_iter_destroy(it);
	free_random_table();
}

/* Reverse bytewise order, to check that the per-call comparator is used. */
static int
reverse_compare(void *arg, const char *a, size_t alen, const char *b, size_t blen)
{
	return -lsm_bytewise_comparator.compare(NULL, a, alen, b, blen);
}

static void
test_custom_comparator(void)
{
	lsm_comparator rev = {reverse_compare, NULL};
	lsm_memtable mt;
	char	   *chunk = malloc(1 << 16);
	lsm_iter   *it;
	int			i;
	int			prev_v = 100;
	int			count = 0;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, 1 << 16);
	for (i = 0; i < 100; i++)
	{
		char		k[8];

		lsm_put_be64(k, (uint64_t) ((i * 37) % 100));
		CHECK_EQ_INT(lsm_memtable_insert(&mt, &rev, k, 8, i + 1, LSM_TYPE_PUT,
										 NULL, 0), LSM_OK);
	}
	it = lsm_memtable_iter_new(&mt, &rev, &lsm_malloc_allocator);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		kl;
		const char *k = lsm_iter_key(it, &kl);
		int			v = (int) lsm_get_be64(k);

		CHECK(v < prev_v);
		prev_v = v;
		count++;
	}
	CHECK_EQ_INT(count, 100);
	lsm_iter_destroy(it);
	free(chunk);
}

static void
test_empty(void)
{
	lsm_memtable mt;
	lsm_iter   *it;
	char		k[LSM_TRAILER_SIZE];

	lsm_memtable_init(&mt);
	/* no chunk yet */
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "a", 1, 1,
									 LSM_TYPE_PUT, "x", 1), LSM_NOMEM);
	it = lsm_memtable_iter_new(&mt, &lsm_bytewise_comparator, &lsm_malloc_allocator);
	lsm_iter_seek_first(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek_last(it);
	CHECK(!lsm_iter_valid(it));
	lsm_trailer_encode(k, 5, LSM_TYPE_PUT);
	lsm_iter_seek(it, k, sizeof(k));
	CHECK(!lsm_iter_valid(it));
	lsm_iter_destroy(it);
	CHECK_EQ_INT(mt.num_entries, 0);
	CHECK_EQ_INT(mt.min_seq, 0);
	CHECK_EQ_INT(mt.max_seq, 0);
}

/* Concatenate all keys and values of a scan, for before/after comparison. */
static char *
dump_table(const lsm_memtable *mt, size_t *len)
{
	lsm_iter   *it = lsm_memtable_iter_new(mt, &lsm_bytewise_comparator,
										   &lsm_malloc_allocator);
	size_t		cap = 1 << 16,
				n = 0;
	char	   *buf = malloc(cap);

	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		kl,
					vl;
		const char *k = lsm_iter_key(it, &kl);
		const char *v = lsm_iter_value(it, &vl);

		while (n + kl + vl + 16 > cap)
			buf = realloc(buf, cap *= 2);
		memcpy(buf + n, &kl, sizeof(kl));
		n += sizeof(kl);
		memcpy(buf + n, k, kl);
		n += kl;
		memcpy(buf + n, &vl, sizeof(vl));
		n += sizeof(vl);
		memcpy(buf + n, v, vl);
		n += vl;
	}
	lsm_iter_destroy(it);
	*len = n;
	return buf;
}

/*
 * Fill a small chunk until insert reports LSM_NOMEM; the failed insert
 * must leave contents, statistics, chunk cursor and rng as they were, and
 * the retry after add_chunk must succeed.
 */
static void
test_chunk_exhaustion(void)
{
	lsm_memtable mt;
	lsm_memtable before;
	char	   *chunk1 = malloc(4096);
	char	   *chunk2 = malloc(4096);
	char		val[50];
	char	   *d1,
			   *d2;
	size_t		l1,
				l2;
	lsm_status	st = LSM_OK;
	int			i;
	int			inserted = 0;

	memset(val, 'v', sizeof(val));
	lsm_memtable_init(&mt);
	/* start misaligned, to exercise padding */
	lsm_memtable_add_chunk(&mt, chunk1 + 3, 4096 - 3);
	for (i = 0; i < 1000; i++)
	{
		char		k[8];

		lsm_put_be64(k, (uint64_t) (i * 7919 % 1000));
		st = lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 8, i + 1,
								 LSM_TYPE_PUT, val, (size_t) (i % 50));
		if (st != LSM_OK)
			break;
		inserted++;
	}
	CHECK_EQ_INT(st, LSM_NOMEM);
	CHECK(inserted > 10);
	CHECK_EQ_INT(mt.num_entries, inserted);

	before = mt;
	d1 = dump_table(&mt, &l1);
	/* fail again, repeatedly: nothing may change */
	for (i = 0; i < 3; i++)
	{
		char		k[8];

		lsm_put_be64(k, 5000);
		CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 8,
										 100000, LSM_TYPE_PUT, val, 50),
					 LSM_NOMEM);
	}
	CHECK(memcmp(&before, &mt, sizeof(mt)) == 0);
	d2 = dump_table(&mt, &l2);
	CHECK(l1 == l2 && memcmp(d1, d2, l1) == 0);
	free(d1);
	free(d2);

	/* add a chunk; the same insert now succeeds and the table is sound */
	lsm_memtable_add_chunk(&mt, chunk2, 4096);
	CHECK_EQ_INT(lsm_memtable_chunk_bytes(&mt), 4096 - 3 + 4096);
	{
		char		k[8];
		lsm_iter   *it;
		int			count = 0;
		bool		found = false;

		lsm_put_be64(k, 5000);
		CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 8,
										 100000, LSM_TYPE_PUT, val, 50),
					 LSM_OK);
		CHECK_EQ_INT(mt.num_entries, inserted + 1);
		it = lsm_memtable_iter_new(&mt, &lsm_bytewise_comparator,
								   &lsm_malloc_allocator);
		for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
		{
			size_t		kl;
			const char *key = lsm_iter_key(it, &kl);

			if (kl == 16 && memcmp(key, k, 8) == 0)
				found = true;
			count++;
		}
		CHECK(found);
		CHECK_EQ_INT(count, inserted + 1);
		lsm_iter_seek_last(it);
		CHECK(lsm_iter_valid(it));
		{
			size_t		kl;
			const char *key = lsm_iter_key(it, &kl);

			CHECK(kl == 16 && memcmp(key, k, 8) == 0);
		}
		lsm_iter_destroy(it);
	}
	free(chunk1);
	free(chunk2);
}

/*
 * A chunk of exactly lsm_memtable_entry_space() bytes, at any alignment,
 * always holds the entry, whatever height the node draws.
 */
static void
test_entry_space(void)
{
	lsm_memtable mt;
	char	   *buf = malloc(1 << 20);
	size_t		off = 0;
	int			i;
	int			bad = 0;
	int			tall = 0;

	lsm_memtable_init(&mt);
	for (i = 0; i < 2000; i++)
	{
		char		k[32];
		size_t		ulen = 1 + i % 8;
		size_t		vlen = (size_t) (i * 13 % 31);
		size_t		space = lsm_memtable_entry_space(ulen, vlen);
		int			h0 = mt.height;

		off += (size_t) (i % 8);	/* vary alignment */
		memset(k, 'k', sizeof(k));
		lsm_put_be64(k, (uint64_t) i);
		lsm_memtable_add_chunk(&mt, buf + off, space);
		if (lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, ulen,
								(uint64_t) i + 1, LSM_TYPE_PUT, k, vlen) != LSM_OK)
			bad++;
		if (mt.height > h0)
			tall++;
		off += space;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(tall > 0);
	CHECK(mt.height <= LSM_SKIPLIST_MAX_HEIGHT);
	/* oversized arguments are rejected without change */
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "a", 1,
									 LSM_MAX_SEQ + 1, LSM_TYPE_PUT, NULL, 0),
				 LSM_INVALID);
	CHECK_EQ_INT(mt.num_entries, 2000);
	free(buf);
}

static void
test_stats(void)
{
	lsm_memtable mt;
	char	   *chunk = malloc(1 << 16);
	uint64_t	seqs[] = {50, 7, 900, 12, 300};
	uint64_t	bytes = 0;
	int			i;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, 1 << 16);
	CHECK_EQ_INT(lsm_memtable_chunk_bytes(&mt), 1 << 16);
	for (i = 0; i < 5; i++)
	{
		char		k[8];
		lsm_entry_type type = (i % 2) ? LSM_TYPE_DELETE : LSM_TYPE_PUT;

		lsm_put_be64(k, (uint64_t) i);
		CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 3 + i,
										 seqs[i], type, "value", (size_t) i),
					 LSM_OK);
		bytes += 3 + i + LSM_TRAILER_SIZE + i;
		if (i == 0)
		{
			CHECK_EQ_INT(mt.min_seq, 50);
			CHECK_EQ_INT(mt.max_seq, 50);
		}
	}
	/* a lock record counts as neither put nor delete in num_deletes */
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "z", 1,
									 901, LSM_TYPE_LOCK, NULL, 0), LSM_OK);
	bytes += 1 + LSM_TRAILER_SIZE;
	CHECK_EQ_INT(mt.num_entries, 6);
	CHECK_EQ_INT(mt.num_deletes, 2);
	CHECK_EQ_INT(mt.data_bytes, bytes);
	CHECK_EQ_INT(mt.min_seq, 7);
	CHECK_EQ_INT(mt.max_seq, 901);
	CHECK(lsm_memtable_chunk_left(&mt) < (size_t) (1 << 16));
	free(chunk);
}

/*
 * An internal key inserted again (plainly, with a splice, or as the
 * smallest key) is kept once: same count, bytes and iteration; a new seq
 * or type of the same user key is a new entry.
 */
static void
test_duplicate_ikey(void)
{
	lsm_memtable mt;
	lsm_memtable_splice sp;
	char	   *chunk = malloc(1 << 16);
	lsm_iter   *it;
	size_t		left;
	int			n = 0;
	int			i;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, 1 << 16);
	/* the smallest key into an empty list, then again */
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "m", 1, 5, LSM_TYPE_PUT, "v", 1), LSM_OK);
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "m", 1, 5, LSM_TYPE_PUT, "v", 1), LSM_OK);
	CHECK_EQ_INT(mt.num_entries, 1);
	for (i = 0; i < 50; i++)
	{
		char		k[2] = {(char) ('a' + i % 26), (char) ('a' + i / 26)};

		CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 2, 10 + i,
										 LSM_TYPE_PUT, "x", 1), LSM_OK);
	}
	CHECK_EQ_INT(mt.num_entries, 51);
	left = lsm_memtable_chunk_left(&mt);
	for (i = 0; i < 50; i++)
	{
		char		k[2] = {(char) ('a' + i % 26), (char) ('a' + i / 26)};

		if (i % 2)
		{
			lsm_memtable_find_splice(&mt, &lsm_bytewise_comparator, k, 2, &sp);
			CHECK_EQ_INT(lsm_memtable_insert_spliced(&mt, &lsm_bytewise_comparator, k, 2, 10 + i,
													 LSM_TYPE_PUT, "x", 1, &sp), LSM_OK);
		}
		else
			CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 2, 10 + i,
											 LSM_TYPE_PUT, "x", 1), LSM_OK);
	}
	CHECK_EQ_INT(mt.num_entries, 51);
	CHECK_EQ_INT(lsm_memtable_chunk_left(&mt), left);
	/* same user key, another seq or type: new entries */
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "m", 1, 6, LSM_TYPE_PUT, "v", 1), LSM_OK);
	CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, "m", 1, 5, LSM_TYPE_DELETE, "", 0), LSM_OK);
	CHECK_EQ_INT(mt.num_entries, 53);
	it = lsm_memtable_iter_new(&mt, &lsm_bytewise_comparator, &lsm_malloc_allocator);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
		n++;
	lsm_iter_destroy(it);
	CHECK_EQ_INT(n, 53);
	free(chunk);
}

/* ----------------------------------------------------------------
 *		Concurrency: one writer, several lock-free readers
 * ----------------------------------------------------------------
 */

#define CONC_ENTRIES 200000
#define CONC_READERS 3
#define CONC_CHUNK (256 * 1024)
#define CONC_MAX_CHUNKS 1024

typedef struct conc_shared
{
	lsm_memtable mt;
	int			done;			/* atomic: writer finished */
	char	   *chunks[CONC_MAX_CHUNKS];
	int			nchunks;
	int			writer_errors;
} conc_shared;

typedef struct reader_result
{
	conc_shared *sh;
	long		scans;
	long		entries_seen;
	long		order_errors;
	long		format_errors;
	long		final_count;
	long		backward_errors;
	long		mid_scans;		/* full scans that raced the writer */
} reader_result;

/*
 * Value: fixed32 checksum of the internal key, then (key-dependent)
 * filler bytes, so a reader can tell a torn or misread node.
 */
static size_t
conc_value(const char *ikey, size_t klen, char *val)
{
	uint32_t	h = fnv1a(ikey, klen);
	size_t		vlen = 4 + h % 24;
	size_t		i;

	lsm_put_fixed32(val, h);
	for (i = 4; i < vlen; i++)
		val[i] = (char) (h >> (i % 4 * 8));
	return vlen;
}

static bool
conc_well_formed(const char *k, size_t kl, const char *v, size_t vl)
{
	char		expect[32];
	size_t		el;

	if (kl < LSM_TRAILER_SIZE + 8 || kl > LSM_TRAILER_SIZE + 16)
		return false;
	el = conc_value(k, kl, expect);
	return vl == el && memcmp(v, expect, vl) == 0;
}

static void *
conc_writer(void *arg)
{
	conc_shared *sh = arg;
	uint32_t	r = 777;
	int			i;

	for (i = 0; i < CONC_ENTRIES; i++)
	{
		char		ikey[32];
		char		val[32];
		size_t		ulen;
		size_t		vlen;
		uint64_t	seq = (uint64_t) i + 1;
		lsm_entry_type type;
		lsm_status	st;

		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		/* 50k distinct user keys, so several versions each */
		lsm_put_be64(ikey, r % 50000);
		ulen = 8 + (r >> 20) % 9;
		memset(ikey + 8, (int) ('a' + (r % 50000) % 26), ulen - 8);
		type = (r >> 8) % 4 == 0 ? LSM_TYPE_DELETE : LSM_TYPE_PUT;
		lsm_trailer_encode(ikey + ulen, seq, type);
		vlen = conc_value(ikey, ulen + LSM_TRAILER_SIZE, val);

		st = lsm_memtable_insert(&sh->mt, &lsm_bytewise_comparator, ikey, ulen,
								 seq, type, val, vlen);
		if (st == LSM_NOMEM)
		{
			if (sh->nchunks == CONC_MAX_CHUNKS)
			{
				sh->writer_errors++;
				break;
			}
			sh->chunks[sh->nchunks] = malloc(CONC_CHUNK);
			lsm_memtable_add_chunk(&sh->mt, sh->chunks[sh->nchunks], CONC_CHUNK);
			sh->nchunks++;
			st = lsm_memtable_insert(&sh->mt, &lsm_bytewise_comparator, ikey,
									 ulen, seq, type, val, vlen);
		}
		if (st != LSM_OK)
			sh->writer_errors++;
		/* let readers interleave even on few CPUs */
		if (i % 2000 == 0)
			sched_yield();
	}
	__atomic_store_n(&sh->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * One full scan: forward (or backward on odd scans) over everything,
 * checking strict order and well-formedness.  Returns the entry count.
 */
static long
conc_scan(reader_result *res, lsm_iter *it, bool backward)
{
	char		prevk[64];
	size_t		prevl = 0;
	bool		have_prev = false;
	long		count = 0;

	if (backward)
		lsm_iter_seek_last(it);
	else
		lsm_iter_seek_first(it);
	while (lsm_iter_valid(it))
	{
		size_t		kl,
					vl;
		const char *k = lsm_iter_key(it, &kl);
		const char *v = lsm_iter_value(it, &vl);

		if (!conc_well_formed(k, kl, v, vl))
		{
			res->format_errors++;
			break;
		}
		if (have_prev)
		{
			int			c = lsm_ikey_compare(&lsm_bytewise_comparator,
											 prevk, prevl, k, kl);

			if (backward ? c <= 0 : c >= 0)
				res->order_errors++;
		}
		memcpy(prevk, k, kl);
		prevl = kl;
		have_prev = true;
		count++;
		if (backward)
			lsm_iter_prev(it);
		else
			lsm_iter_next(it);
	}
	res->entries_seen += count;
	return count;
}

static void *
conc_reader(void *arg)
{
	reader_result *res = arg;
	conc_shared *sh = res->sh;
	lsm_iter   *it = lsm_memtable_iter_new(&sh->mt, &lsm_bytewise_comparator,
										   &lsm_malloc_allocator);
	long		last_count = 0;

	for (;;)
	{
		bool		done = __atomic_load_n(&sh->done, __ATOMIC_ACQUIRE);
		long		count;

		/* backward scans are quadratic-ish in cost; do them on a prefix */
		if (res->scans % 4 == 3)
		{
			char		k[8 + LSM_TRAILER_SIZE];
			long		n = 0;
			char		prevk[64];
			size_t		prevl = 0;

			/* seek into the middle, then walk back a few hundred steps */
			lsm_put_be64(k, 25000);
			lsm_trailer_encode(k + 8, LSM_MAX_SEQ, LSM_TYPE_LOCK);
			lsm_iter_seek(it, k, sizeof(k));
			while (lsm_iter_valid(it) && n < 300)
			{
				size_t		kl,
							vl;
				const char *key = lsm_iter_key(it, &kl);
				const char *v = lsm_iter_value(it, &vl);

				if (!conc_well_formed(key, kl, v, vl))
				{
					res->format_errors++;
					break;
				}
				if (n > 0 && lsm_ikey_compare(&lsm_bytewise_comparator,
											  prevk, prevl, key, kl) <= 0)
					res->backward_errors++;
				memcpy(prevk, key, kl);
				prevl = kl;
				n++;
				lsm_iter_prev(it);
			}
			res->scans++;
			continue;
		}

		count = conc_scan(res, it, false);
		if (!done && count > 0 && count < CONC_ENTRIES)
			res->mid_scans++;
		/* entries are never removed: a later scan never sees fewer */
		if (count < last_count)
			res->order_errors++;
		last_count = count;
		res->scans++;
		if (done)
		{
			res->final_count = count;
			/* one full backward scan over the final table */
			if (conc_scan(res, it, true) != count)
				res->backward_errors++;
			break;
		}
	}
	lsm_iter_destroy(it);
	return NULL;
}

static void
test_concurrent_readers(void)
{
	conc_shared *sh = calloc(1, sizeof(conc_shared));
	reader_result res[CONC_READERS];
	pthread_t	writer;
	pthread_t	readers[CONC_READERS];
	long		mid_scans = 0;
	int			i;

	lsm_memtable_init(&sh->mt);
	memset(res, 0, sizeof(res));
	for (i = 0; i < CONC_READERS; i++)
	{
		res[i].sh = sh;
		CHECK(pthread_create(&readers[i], NULL, conc_reader, &res[i]) == 0);
	}
	CHECK(pthread_create(&writer, NULL, conc_writer, sh) == 0);
	pthread_join(writer, NULL);
	for (i = 0; i < CONC_READERS; i++)
		pthread_join(readers[i], NULL);

	CHECK_EQ_INT(sh->writer_errors, 0);
	CHECK_EQ_INT(sh->mt.num_entries, CONC_ENTRIES);
	for (i = 0; i < CONC_READERS; i++)
	{
		printf("     reader %d: %ld scans (%ld full scans during writes), %ld entries seen\n",
			   i, res[i].scans, res[i].mid_scans, res[i].entries_seen);
		mid_scans += res[i].mid_scans;
		CHECK_EQ_INT(res[i].order_errors, 0);
		CHECK_EQ_INT(res[i].format_errors, 0);
		CHECK_EQ_INT(res[i].backward_errors, 0);
		CHECK_EQ_INT(res[i].final_count, CONC_ENTRIES);
		CHECK(res[i].scans >= 2);
	}
	CHECK(mid_scans > 0);
	for (i = 0; i < sh->nchunks; i++)
		free(sh->chunks[i]);
	free(sh);
}

/* ----------------------------------------------------------------
 *		Concurrency: several writers (CAS inserts) and a reader
 * ----------------------------------------------------------------
 */

#define CW_WRITERS 4
#define CW_PER_WRITER 60000
#define CW_DUPS 500				/* internal keys every writer inserts */
#define CW_CHUNK (64 * 1024)
#define CW_MAX_CHUNKS CONC_MAX_CHUNKS

typedef struct cw_shared
{
	conc_shared base;			/* memtable, done flag, chunks */
	pthread_mutex_t add_lock;	/* one chunk addition at a time */
	uint64_t	next_seq;		/* atomic */
	int			writers_done;	/* atomic */
	int			chunk_adds;
} cw_shared;

typedef struct cw_writer
{
	cw_shared  *sh;
	int			id;
	int			nkeys;
	char	  (*ikeys)[32];		/* internal keys this writer inserted */
	uint8_t    *klens;
	int			errors;
	int			cas_runs;
} cw_writer;

static void
cw_key(char *ikey, size_t *ulen, uint64_t k, uint64_t seq, lsm_entry_type type)
{
	lsm_put_be64(ikey, k);
	*ulen = 8 + k % 9;
	memset(ikey + 8, (int) ('a' + k % 26), *ulen - 8);
	lsm_trailer_encode(ikey + *ulen, seq, type);
}

/* Chunk full: add one beside the other writers (if nobody did meanwhile). */
static void
cw_add_chunk(cw_shared *sh, size_t need)
{
	pthread_mutex_lock(&sh->add_lock);
	if (lsm_memtable_chunk_left(&sh->base.mt) < need &&
		sh->base.nchunks < CW_MAX_CHUNKS)
	{
		sh->base.chunks[sh->base.nchunks] = malloc(CW_CHUNK);
		lsm_memtable_add_chunk(&sh->base.mt, sh->base.chunks[sh->base.nchunks], CW_CHUNK);
		sh->base.nchunks++;
		sh->chunk_adds++;
	}
	pthread_mutex_unlock(&sh->add_lock);
}

/*
 * Insert a run of n internal keys: reserve their space, then insert each,
 * with one splice along the run (ascending keys) or a splice per key.
 */
static void
cw_insert_run(cw_writer *w, uint32_t *rng, char (*keys)[32], const size_t *ulens,
			  int n, bool ascending)
{
	cw_shared  *sh = w->sh;
	size_t		sizes[64];
	int			heights[64];
	char		vals[64][32];
	size_t		vlens[64];
	int			i = 0;
	int			j;

	for (j = 0; j < n; j++)
	{
		heights[j] = lsm_memtable_random_height(rng);
		vlens[j] = conc_value(keys[j], ulens[j] + LSM_TRAILER_SIZE, vals[j]);
		sizes[j] = lsm_memtable_node_space(heights[j], ulens[j], vlens[j]);
	}
	while (i < n)
	{
		lsm_memtable_splice sp;
		char	   *mem;
		int			fit;

		fit = lsm_memtable_reserve(&sh->base.mt, sizes + i, n - i, &mem);
		if (fit == 0)
		{
			cw_add_chunk(sh, sizes[i]);
			if (sh->base.nchunks >= CW_MAX_CHUNKS)
			{
				w->errors++;
				return;
			}
			continue;
		}
		sp.mt = NULL;
		if (ascending)
			lsm_memtable_find_splice(&sh->base.mt, &lsm_bytewise_comparator,
									 keys[i], ulens[i], &sp);
		for (j = i; j < i + fit; j++)
		{
			lsm_entry_type type;
			uint64_t	seq;
			size_t		ul;

			lsm_ikey_decode(keys[j], ulens[j] + LSM_TRAILER_SIZE, &ul, &seq, &type);
			if (!ascending)
				lsm_memtable_find_splice(&sh->base.mt, &lsm_bytewise_comparator,
										 keys[j], ulens[j], &sp);
			if (lsm_memtable_insert_concurrent(&sh->base.mt, &lsm_bytewise_comparator,
											   keys[j], ulens[j], seq, type,
											   vals[j], vlens[j], heights[j], mem,
											   (j % 3 == 0 && !ascending) ? NULL : &sp) != LSM_OK)
				w->errors++;
			mem += sizes[j];
		}
		i += fit;
	}
}

static void *
cw_writer_main(void *arg)
{
	cw_writer  *w = arg;
	cw_shared  *sh = w->sh;
	uint32_t	r = 2463534242u + (uint32_t) w->id * 7919u;
	int			dup = 0;

	while (w->nkeys < CW_PER_WRITER)
	{
		char		keys[64][32];
		size_t		ulens[64];
		int			n;
		int			j;
		bool		ascending;

		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		n = 1 + (int) (r % 40);
		if (n > CW_PER_WRITER - w->nkeys)
			n = CW_PER_WRITER - w->nkeys;
		/* like a table's new rows: ascending row ids, taken as a range */
		ascending = (r >> 8) % 2 == 0;
		if (ascending)
		{
			uint64_t	lo = __atomic_fetch_add(&sh->next_seq, (uint64_t) n, __ATOMIC_RELAXED);

			for (j = 0; j < n; j++)
				cw_key(keys[j], &ulens[j], 1000000 + lo + j, lo + j, LSM_TYPE_PUT);
		}
		else
		{
			/* like an index's entries: random keys, several versions each */
			for (j = 0; j < n; j++)
			{
				uint64_t	seq = __atomic_fetch_add(&sh->next_seq, 1, __ATOMIC_RELAXED);

				r ^= r << 13;
				r ^= r >> 17;
				r ^= r << 5;
				cw_key(keys[j], &ulens[j], r % 20000, seq,
					   (r >> 3) % 4 == 0 ? LSM_TYPE_DELETE : LSM_TYPE_PUT);
			}
		}
		cw_insert_run(w, &r, keys, ulens, n, ascending);
		for (j = 0; j < n; j++)
		{
			memcpy(w->ikeys[w->nkeys], keys[j], ulens[j] + LSM_TRAILER_SIZE);
			w->klens[w->nkeys++] = (uint8_t) (ulens[j] + LSM_TRAILER_SIZE);
		}
		/* every writer inserts the same internal keys too: each kept once */
		if (dup < CW_DUPS && (r >> 12) % 8 == 0)
		{
			char		dk[1][32];
			size_t		dl;

			cw_key(dk[0], &dl, 500000 + (uint64_t) dup, ((uint64_t) 1 << 40) + dup,
				   LSM_TYPE_PUT);
			cw_insert_run(w, &r, dk, &dl, 1, false);
			dup++;
		}
		if (w->nkeys % 5000 < 40)
			sched_yield();
	}
	/* the rest of the duplicates, so every writer inserted all of them */
	for (; dup < CW_DUPS; dup++)
	{
		char		dk[1][32];
		size_t		dl;

		cw_key(dk[0], &dl, 500000 + (uint64_t) dup, ((uint64_t) 1 << 40) + dup,
			   LSM_TYPE_PUT);
		cw_insert_run(w, &r, dk, &dl, 1, false);
	}
	if (__atomic_add_fetch(&sh->writers_done, 1, __ATOMIC_ACQ_REL) == CW_WRITERS)
		__atomic_store_n(&sh->base.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int
cw_cmp(const void *a, const void *b)
{
	const char *x = a;
	const char *y = b;

	return lsm_ikey_compare(&lsm_bytewise_comparator, x + 1, (uint8_t) x[0],
							y + 1, (uint8_t) y[0]);
}

/*
 * Writers insert concurrently (runs of ascending row-id keys and of random
 * keys with splices; a writer that finds the chunk full adds one while the
 * others go on, as the server does) while a reader scans: afterwards the memtable holds exactly the
 * union of what they inserted, each internal key once, in order.
 */
static void
test_concurrent_writers(void)
{
	cw_shared  *sh = calloc(1, sizeof(cw_shared));
	cw_writer	w[CW_WRITERS];
	reader_result res;
	pthread_t	wt[CW_WRITERS];
	pthread_t	rt;
	char	   *all;
	long		total = 0;
	long		n = 0;
	long		mismatches = 0;
	lsm_iter   *it;
	int			i;

	lsm_memtable_init(&sh->base.mt);
	pthread_mutex_init(&sh->add_lock, NULL);
	sh->next_seq = 1;
	memset(&res, 0, sizeof(res));
	res.sh = &sh->base;
	CHECK(pthread_create(&rt, NULL, conc_reader, &res) == 0);
	for (i = 0; i < CW_WRITERS; i++)
	{
		memset(&w[i], 0, sizeof(w[i]));
		w[i].sh = sh;
		w[i].id = i;
		w[i].ikeys = malloc(sizeof(char[32]) * CW_PER_WRITER);
		w[i].klens = malloc(CW_PER_WRITER);
		CHECK(pthread_create(&wt[i], NULL, cw_writer_main, &w[i]) == 0);
	}
	for (i = 0; i < CW_WRITERS; i++)
		pthread_join(wt[i], NULL);
	pthread_join(rt, NULL);

	/* the model: every writer's keys, sorted, plus the duplicates once */
	all = malloc((size_t) (CW_WRITERS * CW_PER_WRITER + CW_DUPS) * 33);
	for (i = 0; i < CW_WRITERS; i++)
	{
		int			j;

		CHECK_EQ_INT(w[i].errors, 0);
		for (j = 0; j < w[i].nkeys; j++)
		{
			all[total * 33] = (char) w[i].klens[j];
			memcpy(all + total * 33 + 1, w[i].ikeys[j], w[i].klens[j]);
			total++;
		}
	}
	for (i = 0; i < CW_DUPS; i++)
	{
		size_t		dl;

		cw_key(all + total * 33 + 1, &dl, 500000 + (uint64_t) i,
			   ((uint64_t) 1 << 40) + i, LSM_TYPE_PUT);
		all[total * 33] = (char) (dl + LSM_TRAILER_SIZE);
		total++;
	}
	qsort(all, (size_t) total, 33, cw_cmp);

	it = lsm_memtable_iter_new(&sh->base.mt, &lsm_bytewise_comparator, &lsm_malloc_allocator);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it), n++)
	{
		size_t		kl;
		const char *k = lsm_iter_key(it, &kl);

		if (n >= total || kl != (uint8_t) all[n * 33] ||
			memcmp(k, all + n * 33 + 1, kl) != 0)
			mismatches++;
	}
	lsm_iter_destroy(it);
	printf("     %d writers: %ld entries, %d chunks added, reader %ld scans (%ld during writes)\n",
		   CW_WRITERS, n, sh->chunk_adds, res.scans, res.mid_scans);
	CHECK_EQ_INT(n, total);
	CHECK_EQ_INT(mismatches, 0);
	CHECK_EQ_INT(lsm_memtable_num_entries(&sh->base.mt), total);
	CHECK_EQ_INT(res.order_errors, 0);
	CHECK_EQ_INT(res.format_errors, 0);
	CHECK_EQ_INT(res.backward_errors, 0);
	CHECK_EQ_INT(res.final_count, total);
	CHECK(sh->chunk_adds > 10);
	/* every level is ordered: seeks land on the model's keys */
	for (i = 0; i < total; i += 997)
	{
		size_t		kl;

		it = lsm_memtable_iter_new(&sh->base.mt, &lsm_bytewise_comparator, &lsm_malloc_allocator);
		lsm_iter_seek(it, all + i * 33 + 1, (uint8_t) all[i * 33]);
		CHECK(lsm_iter_valid(it));
		if (lsm_iter_valid(it))
		{
			const char *k = lsm_iter_key(it, &kl);

			CHECK(kl == (uint8_t) all[i * 33] && memcmp(k, all + i * 33 + 1, kl) == 0);
		}
		lsm_iter_destroy(it);
	}
	free(all);
	for (i = 0; i < CW_WRITERS; i++)
	{
		free(w[i].ikeys);
		free(w[i].klens);
	}
	for (i = 0; i < sh->base.nchunks; i++)
		free(sh->base.chunks[i]);
	pthread_mutex_destroy(&sh->add_lock);
	free(sh);
}

/*
 * The memtable holds exactly the model's n entries (sorted here), in
 * order, and seeks to every step-th of them land on it: every level is
 * ordered.  Frees the model's entries.
 */
static void
check_model_and_free(const lsm_memtable *mt, model_entry *m, int n, int step)
{
	lsm_iter   *it;
	int			bad = 0;
	int			i;

	qsort(m, n, sizeof(model_entry), model_cmp);
	it = lsm_memtable_iter_new(mt, &lsm_bytewise_comparator, &lsm_malloc_allocator);
	lsm_iter_seek_first(it);
	for (i = 0; i < n; i++)
	{
		if (!iter_matches(it, &m[i]))
			bad++;
		lsm_iter_next(it);
	}
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(bad, 0);
	bad = 0;
	for (i = 0; i < n; i += step)
	{
		lsm_iter_seek(it, m[i].ikey, m[i].klen);
		if (!iter_matches(it, &m[i]))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	lsm_iter_destroy(it);
	for (i = 0; i < n; i++)
	{
		free(m[i].ikey);
		free(m[i].val);
	}
}

/*
 * Inserts through splices found before other inserts happened (stale, as
 * a writer's search outside the lock finds them): the table must still
 * match the sorted model, and a splice of another memtable is ignored.
 */
static void
test_spliced_insert(void)
{
	static model_entry m[MODEL_N];
	lsm_memtable mt;
	lsm_memtable other;
	char	   *chunk = malloc(4 << 20);
	char	   *ochunk = malloc(1 << 16);
	lsm_memtable_splice pending[8];
	char		pkeys[8][16];
	size_t		plens[8];
	int			npending = 0;
	int			n = 0;
	int			i;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, 4 << 20);
	lsm_memtable_init(&other);
	lsm_memtable_add_chunk(&other, ochunk, 1 << 16);
	for (i = 0; i < MODEL_N; i++)
	{
		char		ukey[16];
		size_t		ulen = random_ukey(ukey, 900);

		/* find the splice now, insert it up to 8 inserts later */
		memcpy(pkeys[npending], ukey, ulen);
		plens[npending] = ulen;
		lsm_memtable_find_splice((i % 17 == 0) ? &other : &mt, &lsm_bytewise_comparator,
								 ukey, ulen, &pending[npending]);
		npending++;
		if (npending == 8 || i == MODEL_N - 1)
		{
			int			j;

			for (j = npending - 1; j >= 0; j--)
			{
				uint64_t	seq = (uint64_t) n + 1;

				m[n].ikey = make_ikey(pkeys[j], plens[j], seq, LSM_TYPE_PUT);
				m[n].klen = plens[j] + LSM_TRAILER_SIZE;
				m[n].val = malloc(1);
				m[n].vlen = 0;
				CHECK_EQ_INT(lsm_memtable_insert_spliced(&mt, &lsm_bytewise_comparator,
														 pkeys[j], plens[j], seq,
														 LSM_TYPE_PUT, "", 0,
														 &pending[j]), LSM_OK);
				n++;
			}
			npending = 0;
		}
	}
	check_model_and_free(&mt, m, n, 37);
	free(chunk);
	free(ochunk);
}

/*
 * lsm_memtable_find_splices: for every key the same splice as
 * lsm_memtable_find_splice (including keys already present, keys before
 * and after everything, and long keys, which get none), and inserts from
 * splices of a batch, made before any of its inserts, build the list the
 * model expects.
 */
static void
test_batch_splices(void)
{
	static model_entry m[MODEL_N];
	enum
	{
		BATCH = 300
	};
	lsm_memtable mt;
	char	   *chunk = malloc(4 << 20);
	static char keys[BATCH][300];
	const char *kp[BATCH];
	size_t		lens[BATCH];
	lsm_memtable_splice *batch = malloc(sizeof(lsm_memtable_splice) * BATCH);
	lsm_memtable_splice one;
	int			n = 0;
	int			round;
	int			i;
	int			bad = 0;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, 4 << 20);
	/* the empty list first, then growing batches */
	for (round = 0; n + BATCH <= MODEL_N; round++)
	{
		int			nb = (round == 0) ? 5 : BATCH;

		for (i = 0; i < nb; i++)
		{
			if (i % 41 == 7)
			{
				/* a key longer than a splice holds */
				memset(keys[i], 'z', 290);
				lens[i] = 290;
			}
			else if (i % 13 == 3 && n > 0)
			{
				/* a user key already present */
				lens[i] = m[(i * 7919) % n].klen - LSM_TRAILER_SIZE;
				memcpy(keys[i], m[(i * 7919) % n].ikey, lens[i]);
			}
			else
				lens[i] = random_ukey(keys[i], 900);
			kp[i] = keys[i];
		}
		lsm_memtable_find_splices(&mt, &lsm_bytewise_comparator, kp, lens, nb, batch);
		for (i = 0; i < nb; i++)
		{
			int			l;

			lsm_memtable_find_splice(&mt, &lsm_bytewise_comparator, kp[i], lens[i], &one);
			if ((one.mt == NULL) != (batch[i].mt == NULL))
			{
				bad++;
				continue;
			}
			if (one.mt == NULL)
				continue;
			if (one.height != batch[i].height)
				bad++;
			for (l = 0; l < LSM_SKIPLIST_MAX_HEIGHT; l++)
				if (one.prev[l] != batch[i].prev[l])
					bad++;
		}
		/* insert the batch from its splices, in reverse order */
		for (i = nb - 1; i >= 0; i--)
		{
			uint64_t	seq = (uint64_t) n + 1;
			lsm_status	st;

			m[n].ikey = make_ikey(kp[i], lens[i], seq, LSM_TYPE_PUT);
			m[n].klen = lens[i] + LSM_TRAILER_SIZE;
			m[n].val = malloc(1);
			m[n].vlen = 0;
			if (batch[i].mt != NULL)
				st = lsm_memtable_insert_spliced(&mt, &lsm_bytewise_comparator, kp[i],
												 lens[i], seq, LSM_TYPE_PUT, "", 0, &batch[i]);
			else
				st = lsm_memtable_insert(&mt, &lsm_bytewise_comparator, kp[i], lens[i],
										 seq, LSM_TYPE_PUT, "", 0);
			CHECK_EQ_INT(st, LSM_OK);
			n++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(n > 1000);
	check_model_and_free(&mt, m, n, 29);
	free(batch);
	free(chunk);
}

/*
 * A run of ascending keys inserted with one splice, found once for the
 * first key: each insert leaves the splice ready for the next key.  Into
 * a list that already has keys on both sides of the run, among them, and
 * with runs that grow the list's height.
 */
static void
test_splice_run(void)
{
	static model_entry m[MODEL_N];
	lsm_memtable mt;
	char	   *chunk = malloc(4 << 20);
	lsm_memtable_splice sp;
	int			n = 0;
	int			r;
	int			i;
	uint64_t	seq = 1;

	lsm_memtable_init(&mt);
	lsm_memtable_add_chunk(&mt, chunk, 4 << 20);
	/* background keys: even numbers */
	for (i = 0; i < 1000; i++)
	{
		char		k[8];
		uint32_t	v = (uint32_t) (rnd() % 100000) * 2;

		k[0] = (char) (v >> 24);
		k[1] = (char) (v >> 16);
		k[2] = (char) (v >> 8);
		k[3] = (char) v;
		memset(k + 4, 0, 4);
		m[n].ikey = make_ikey(k, 8, seq, LSM_TYPE_PUT);
		m[n].klen = 8 + LSM_TRAILER_SIZE;
		m[n].val = malloc(1);
		m[n].vlen = 0;
		CHECK_EQ_INT(lsm_memtable_insert(&mt, &lsm_bytewise_comparator, k, 8, seq++,
										 LSM_TYPE_PUT, "", 0), LSM_OK);
		n++;
	}
	/* runs of odd numbers, ascending within each run, anywhere */
	for (r = 0; r < 40 && n + 100 <= MODEL_N; r++)
	{
		uint32_t	start = (uint32_t) (rnd() % 200000) | 1;
		int			len = 1 + (int) (rnd() % 100);

		for (i = 0; i < len; i++)
		{
			char		k[8];
			uint32_t	v = start + 2 * (uint32_t) i;

			k[0] = (char) (v >> 24);
			k[1] = (char) (v >> 16);
			k[2] = (char) (v >> 8);
			k[3] = (char) v;
			memset(k + 4, 0, 3);
			k[7] = (char) r;	/* runs may overlap: keep keys unique */
			if (i == 0)
				lsm_memtable_find_splice(&mt, &lsm_bytewise_comparator, k, 8, &sp);
			m[n].ikey = make_ikey(k, 8, seq, LSM_TYPE_PUT);
			m[n].klen = 8 + LSM_TRAILER_SIZE;
			m[n].val = malloc(1);
			m[n].vlen = 0;
			CHECK_EQ_INT(lsm_memtable_insert_spliced(&mt, &lsm_bytewise_comparator, k, 8,
													 seq++, LSM_TYPE_PUT, "", 0, &sp),
						 LSM_OK);
			n++;
		}
	}
	check_model_and_free(&mt, m, n, 7);
	free(chunk);
}

int
main(void)
{
	RUN(test_order_vs_model);
	RUN(test_seek);
	RUN(test_append_mixed);
	RUN(test_custom_comparator);
	RUN(test_empty);
	RUN(test_chunk_exhaustion);
	RUN(test_entry_space);
	RUN(test_stats);
	RUN(test_duplicate_ikey);
	RUN(test_concurrent_readers);
	RUN(test_concurrent_writers);
	RUN(test_spliced_insert);
	RUN(test_batch_splices);
	RUN(test_splice_run);
	return TEST_SUMMARY();
}
