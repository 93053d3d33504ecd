/*
 * test_block.c
 *	  Unit tests of lsm_block: round trips in both directions, prefix
 *	  compression, restart points, seeks, empty and malformed blocks.
 */
#include "lsm_block.h"
#include "lsm_test.h"
#include "lsm_test_mem.h"

#define NKEYS 1000

static const lsm_comparator *cmp = &lsm_bytewise_comparator;

/* Internal key i: user key "user-key-%08d" (step 2 to leave gaps), seq i+1. */
static size_t
make_key(char *dst, int i)
{
	char		u[32];
	int			n = snprintf(u, sizeof(u), "user-key-%08d", 2 * i);

	return test_ikey(dst, u, n, (uint64_t) i + 1, LSM_TYPE_PUT);
}

static size_t
make_value(char *dst, int i)
{
	size_t		n = (size_t) (i % 37);
	size_t		j;

	for (j = 0; j < n; j++)
		dst[j] = (char) ('a' + (i + j) % 26);
	return n;
}

/* Build a block of n keys; returns a malloc'd copy of its contents. */
static char *
build_block(int n, int interval, size_t *len)
{
	lsm_block_builder b;
	const char *c;
	char	   *copy;
	char		k[64],
				v[64];
	int			i;
	size_t		est;

	lsm_block_builder_init(&b, &test_alloc, interval);
	for (i = 0; i < n; i++)
	{
		size_t		kl = make_key(k, i);
		size_t		vl = make_value(v, i);

		CHECK_EQ_INT(lsm_block_builder_add(&b, k, kl, v, vl), LSM_OK);
	}
	est = lsm_block_builder_size_estimate(&b);
	c = lsm_block_builder_finish(&b, len);
	CHECK(c != NULL);
	CHECK_EQ_INT(*len, est);	/* the estimate is exact */
	copy = malloc(*len ? *len : 1);
	memcpy(copy, c, *len);
	lsm_block_builder_free(&b);
	return copy;
}

static bool
key_is(lsm_iter *it, int i)
{
	char		k[64];
	size_t		kl = make_key(k, i);
	size_t		len;
	const char *got;

	if (!lsm_iter_valid(it))
		return false;
	got = lsm_iter_key(it, &len);
	return len == kl && memcmp(got, k, kl) == 0;
}

static bool
value_is(lsm_iter *it, int i)
{
	char		v[64];
	size_t		vl = make_value(v, i);
	size_t		len;
	const char *got = lsm_iter_value(it, &len);

	return len == vl && (vl == 0 || memcmp(got, v, vl) == 0);
}

static void
test_round_trip(void)
{
	int			intervals[] = {1, 2, 16, 1000};
	size_t		t;

	for (t = 0; t < sizeof(intervals) / sizeof(intervals[0]); t++)
	{
		size_t		len;
		char	   *data = build_block(NKEYS, intervals[t], &len);
		lsm_status	st;
		lsm_iter   *it = lsm_block_iter_new(&test_alloc, cmp, true, data, len, false, &st);
		int			i = 0;

		CHECK(it != NULL);
		if (it == NULL)
			continue;
		for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it), i++)
		{
			CHECK(key_is(it, i));
			CHECK(value_is(it, i));
		}
		CHECK_EQ_INT(i, NKEYS);
		CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);

		/* backward */
		i = NKEYS - 1;
		for (lsm_iter_seek_last(it); lsm_iter_valid(it); lsm_iter_prev(it), i--)
		{
			CHECK(key_is(it, i));
			CHECK(value_is(it, i));
		}
		CHECK_EQ_INT(i, -1);

		/* zig-zag */
		lsm_iter_seek_first(it);
		lsm_iter_next(it);
		lsm_iter_next(it);
		lsm_iter_prev(it);
		CHECK(key_is(it, 1));
		lsm_iter_prev(it);
		CHECK(key_is(it, 0));
		lsm_iter_prev(it);
		CHECK(!lsm_iter_valid(it));
		CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);

		lsm_iter_destroy(it);
		free(data);
	}
}

/* Prefix compression must make a block of similar keys smaller than raw. */
static void
test_prefix_compression(void)
{
	size_t		len1,
				len16;
	char	   *d1 = build_block(NKEYS, 1, &len1);
	char	   *d16 = build_block(NKEYS, 16, &len16);
	size_t		raw = 0;
	int			i;
	char		k[64],
				v[64];

	for (i = 0; i < NKEYS; i++)
		raw += make_key(k, i) + make_value(v, i);
	printf("     raw %zu bytes, interval 1: %zu, interval 16: %zu\n", raw, len1, len16);
	/* keys are 25 bytes sharing ~15: expect well under the raw size */
	CHECK(len16 < raw * 3 / 4);
	CHECK(len16 < len1);
	free(d1);
	free(d16);
}

/* Every restart point holds a whole key; their count is ceil(n/interval). */
static void
test_restart_points(void)
{
	size_t		len;
	char	   *data = build_block(100, 16, &len);
	uint32_t	nr = lsm_get_fixed32(data + len - 4);
	uint32_t	i;

	CHECK_EQ_INT(nr, (100 + 15) / 16);
	CHECK_EQ_INT(lsm_get_fixed32(data + len - 4 - 4 * nr), 0);
	for (i = 0; i < nr; i++)
	{
		uint32_t	off = lsm_get_fixed32(data + len - 4 - 4 * nr + 4 * i);
		uint64_t	shared,
					non_shared;
		int			n = lsm_get_varint64(data + off, data + len, &shared);

		CHECK(n > 0);
		CHECK_EQ_INT(shared, 0);
		CHECK(lsm_get_varint64(data + off + n, data + len, &non_shared) > 0);
		/* the 16*i-th key, stored whole */
		{
			char		k[64];
			size_t		kl = make_key(k, 16 * i);

			CHECK_EQ_INT(non_shared, kl);
		}
	}
	free(data);
}

static void
test_seek(void)
{
	size_t		len;
	char	   *data = build_block(NKEYS, 16, &len);
	lsm_status	st;
	lsm_iter   *it = lsm_block_iter_new(&test_alloc, cmp, true, data, len, false, &st);
	char		k[64],
				u[40];
	int			i;

	for (i = 0; i < NKEYS; i++)
	{
		size_t		kl = make_key(k, i);
		int			n;

		/* exact */
		lsm_iter_seek(it, k, kl);
		CHECK(key_is(it, i));
		CHECK(value_is(it, i));

		/* same user key, newer seq: sorts before, lands on i */
		lsm_trailer_encode(k + kl - 8, (uint64_t) i + 100000, LSM_TYPE_PUT);
		lsm_iter_seek(it, k, kl);
		CHECK(key_is(it, i));

		/* same user key, older seq: sorts after, lands on i + 1 */
		lsm_trailer_encode(k + kl - 8, 0, LSM_TYPE_PUT);
		lsm_iter_seek(it, k, kl);
		if (i + 1 < NKEYS)
			CHECK(key_is(it, i + 1));
		else
			CHECK(!lsm_iter_valid(it));

		/* between user keys 2i and 2i+2 */
		n = snprintf(u, sizeof(u), "user-key-%08d", 2 * i + 1);
		kl = test_ikey(k, u, n, 5, LSM_TYPE_PUT);
		lsm_iter_seek(it, k, kl);
		if (i + 1 < NKEYS)
			CHECK(key_is(it, i + 1));
		else
			CHECK(!lsm_iter_valid(it));
	}

	/* before the first key */
	{
		size_t		kl = test_ikey(k, "a", 1, 1, LSM_TYPE_PUT);

		lsm_iter_seek(it, k, kl);
		CHECK(key_is(it, 0));
		kl = test_ikey(k, "z", 1, 1, LSM_TYPE_PUT);
		lsm_iter_seek(it, k, kl);
		CHECK(!lsm_iter_valid(it));
		CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);
	}
	lsm_iter_destroy(it);
	free(data);
}

/* Index-style blocks of plain keys, compared without trailers. */
static void
test_plain_keys(void)
{
	lsm_block_builder b;
	const char *c;
	size_t		len;
	lsm_status	st;
	lsm_iter   *it;
	const char *keys[] = {"", "a", "ab", "abc", "b", "ba"};
	int			i;

	lsm_block_builder_init(&b, &test_alloc, 2);
	for (i = 0; i < 6; i++)
		CHECK_EQ_INT(lsm_block_builder_add(&b, keys[i], strlen(keys[i]), "v", 1), LSM_OK);
	c = lsm_block_builder_finish(&b, &len);
	it = lsm_block_iter_new(&test_alloc, cmp, false, c, len, false, &st);
	CHECK(it != NULL);
	for (i = 0; i < 6; i++)
	{
		size_t		kl;
		const char *k;

		lsm_iter_seek(it, keys[i], strlen(keys[i]));
		CHECK(lsm_iter_valid(it));
		k = lsm_iter_key(it, &kl);
		CHECK(kl == strlen(keys[i]) && memcmp(k, keys[i], kl) == 0);
	}
	lsm_iter_seek(it, "aa", 2);
	{
		size_t		kl;
		const char *k = lsm_iter_key(it, &kl);

		CHECK(kl == 2 && memcmp(k, "ab", 2) == 0);
	}
	lsm_iter_destroy(it);

	/* the same bytes are malformed as internal-key blocks: "" is too short */
	it = lsm_block_iter_new(&test_alloc, cmp, true, c, len, false, &st);
	CHECK(it == NULL);
	CHECK_EQ_INT(st, LSM_CORRUPT);
	lsm_block_builder_free(&b);
}

static void
test_empty_block(void)
{
	lsm_block_builder b;
	const char *c;
	size_t		len;
	lsm_status	st;
	lsm_iter   *it;
	char		k[32];
	size_t		kl = test_ikey(k, "x", 1, 1, LSM_TYPE_PUT);

	lsm_block_builder_init(&b, &test_alloc, 16);
	CHECK(lsm_block_builder_empty(&b));
	CHECK_EQ_INT(lsm_block_builder_size_estimate(&b), 4);
	c = lsm_block_builder_finish(&b, &len);
	CHECK_EQ_INT(len, 4);
	it = lsm_block_iter_new(&test_alloc, cmp, true, c, len, false, &st);
	CHECK(it != NULL);
	lsm_iter_seek_first(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek_last(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_seek(it, k, kl);
	CHECK(!lsm_iter_valid(it));
	CHECK_EQ_INT(lsm_iter_status(it), LSM_OK);
	lsm_iter_destroy(it);

	/* reset and reuse the builder */
	lsm_block_builder_reset(&b);
	CHECK_EQ_INT(lsm_block_builder_add(&b, k, kl, "v", 1), LSM_OK);
	c = lsm_block_builder_finish(&b, &len);
	it = lsm_block_iter_new(&test_alloc, cmp, true, c, len, false, &st);
	lsm_iter_seek_first(it);
	CHECK(lsm_iter_valid(it));
	lsm_iter_next(it);
	CHECK(!lsm_iter_valid(it));
	lsm_iter_destroy(it);
	lsm_block_builder_free(&b);
}

/*
 * Walk a possibly malformed block every way we can.  Whatever the bytes,
 * this must not crash or read out of bounds (run under valgrind/ASan).
 */
static int
exercise(const char *data, size_t len, bool ikeys)
{
	lsm_status	st;
	char	   *copy = test_alloc.alloc(test_alloc.ctx, len ? len : 1);
	lsm_iter   *it;
	int			n = 0;
	char		k[64];
	size_t		kl = make_key(k, NKEYS / 2);

	memcpy(copy, data, len);
	/* owned: the iterator frees copy, even when it refuses the block */
	it = lsm_block_iter_new(&test_alloc, cmp, ikeys, copy, len, true, &st);
	if (it == NULL)
	{
		CHECK(st == LSM_CORRUPT);
		return -1;
	}
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
		n++;
	for (lsm_iter_seek_last(it); lsm_iter_valid(it); lsm_iter_prev(it))
		;
	lsm_iter_seek(it, k, kl);
	if (lsm_iter_valid(it))
		lsm_iter_prev(it);
	lsm_iter_destroy(it);
	return n;
}

static void
test_malformed(void)
{
	size_t		len;
	char	   *data = build_block(200, 4, &len);
	size_t		i;
	int			rejected = 0;
	char		junk[64];
	long		live = test_alloc_st.live;

	/* every truncation */
	for (i = 0; i < len; i++)
		if (exercise(data, i, true) < 0)
			rejected++;
	CHECK(rejected > 0);

	/* every single-byte corruption, two patterns */
	for (i = 0; i < len; i++)
	{
		char		saved = data[i];

		data[i] ^= 0x80;
		exercise(data, len, true);
		data[i] = (char) 0xff;
		exercise(data, len, true);
		data[i] = saved;
	}

	/* hostile restart counts and offsets */
	memset(junk, 0, sizeof(junk));
	lsm_put_fixed32(junk + 60, 0xffffffff);
	CHECK(exercise(junk, 64, true) < 0);
	lsm_put_fixed32(junk + 60, 2);
	lsm_put_fixed32(junk + 52, 40);
	lsm_put_fixed32(junk + 56, 8);	/* out of order */
	CHECK(exercise(junk, 64, true) < 0);
	lsm_put_fixed32(junk + 60, 0);	/* entries present but no restarts */
	CHECK(exercise(junk, 64, true) < 0);
	CHECK(exercise(junk, 3, true) < 0);
	CHECK(exercise(junk, 0, false) < 0);

	/* random garbage */
	test_srand(42);
	for (i = 0; i < 20000; i++)
	{
		char		buf[128];
		size_t		n = 4 + test_rand_below(sizeof(buf) - 4);
		size_t		j;

		for (j = 0; j < n; j++)
			buf[j] = (char) (test_rand() & (i & 1 ? 0x07 : 0xff));
		/* plausible restart count so that validation goes further */
		lsm_put_fixed32(buf + n - 4, (uint32_t) test_rand_below(4));
		exercise(buf, n, (i & 2) != 0);
	}
	free(data);
	CHECK_EQ_INT(test_alloc_st.live, live);
}

/* Allocation failure is reported, sticky, and leaks nothing. */
static void
test_nomem(void)
{
	lsm_block_builder b;
	char		k[64];
	int			i;
	lsm_status	st = LSM_OK;
	long		live = test_alloc_st.live;

	lsm_block_builder_init(&b, &test_alloc, 16);
	test_alloc_st.fail_after = 3;
	for (i = 0; i < 10000 && st == LSM_OK; i++)
	{
		size_t		kl = make_key(k, i);

		st = lsm_block_builder_add(&b, k, kl, "value", 5);
	}
	CHECK_EQ_INT(st, LSM_NOMEM);
	CHECK_EQ_INT(lsm_block_builder_add(&b, k, make_key(k, 20000), "v", 1), LSM_NOMEM);
	test_alloc_st.fail_after = -1;
	lsm_block_builder_free(&b);

	/* iterator creation failure frees an owned block */
	{
		size_t		len;
		char	   *data = build_block(10, 16, &len);
		char	   *copy = test_alloc.alloc(test_alloc.ctx, len);
		lsm_iter   *it;

		memcpy(copy, data, len);
		test_alloc_st.fail_after = 0;
		it = lsm_block_iter_new(&test_alloc, cmp, true, copy, len, true, &st);
		test_alloc_st.fail_after = -1;
		CHECK(it == NULL);
		CHECK_EQ_INT(st, LSM_NOMEM);
		free(data);
	}
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
	RUN(test_round_trip);
	RUN(test_prefix_compression);
	RUN(test_restart_points);
	RUN(test_seek);
	RUN(test_plain_keys);
	RUN(test_empty_block);
	RUN(test_malformed);
	RUN(test_nomem);
	RUN(test_no_leaks);
	return TEST_SUMMARY();
}
