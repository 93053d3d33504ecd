/*
 * test_bloom.c
 *	  Unit tests of lsm_bloom: parameters, no false negatives, measured
 *	  false-positive rates against the configured ones, degenerate filters.
 */
#include <math.h>

#include "lsm_bloom.h"
#include "lsm_test.h"
#include "lsm_test_mem.h"

#define NKEYS 100000
#define NABSENT 1000000

static size_t
key(char *dst, const char *tag, long i)
{
	return (size_t) sprintf(dst, "%s-%ld", tag, i);
}

static void
test_parameters(void)
{
	double		b1 = lsm_bloom_bits_per_key(0.01);
	double		b01 = lsm_bloom_bits_per_key(0.001);

	CHECK(fabs(b1 - 9.585) < 0.01);
	CHECK(fabs(b01 - 14.378) < 0.01);
	CHECK_EQ_INT(lsm_bloom_num_probes(b1), 7);
	CHECK_EQ_INT(lsm_bloom_num_probes(b01), 10);
	CHECK_EQ_INT(lsm_bloom_num_probes(0.1), 1);
	CHECK_EQ_INT(lsm_bloom_num_probes(1000), 30);
	/* out-of-range rates are clamped, not crashed on */
	CHECK(lsm_bloom_bits_per_key(0) > 0);
	CHECK(lsm_bloom_bits_per_key(2.0) > 0);
}

/* Build a filter over NKEYS keys; returns it (caller frees with test_alloc). */
static char *
build(double fp, long n, size_t *flen)
{
	lsm_bloom_builder b;
	char	   *f = NULL;
	char		k[64];
	long		i;

	lsm_bloom_builder_init(&b, &test_alloc, fp);
	for (i = 0; i < n; i++)
		lsm_bloom_builder_add(&b, k, key(k, "present", i));
	CHECK_EQ_INT(lsm_bloom_builder_finish(&b, &f, flen), LSM_OK);
	lsm_bloom_builder_free(&b);
	return f;
}

static void
check_rate(double fp)
{
	size_t		flen;
	char	   *f = build(fp, NKEYS, &flen);
	char		k[64];
	long		i,
				fn = 0,
				fpcount = 0;
	double		measured;

	for (i = 0; i < NKEYS; i++)
		if (!lsm_bloom_may_contain(f, flen, k, key(k, "present", i)))
			fn++;
	CHECK_EQ_INT(fn, 0);
	for (i = 0; i < NABSENT; i++)
		if (lsm_bloom_may_contain(f, flen, k, key(k, "absent", i)))
			fpcount++;
	measured = (double) fpcount / NABSENT;
	printf("     configured %.4f%%: measured %.4f%% (%ld of %d absent keys), "
		   "%.2f bits/key\n", fp * 100, measured * 100, fpcount, NABSENT,
		   (double) (flen - 5) * 8 / NKEYS);
	CHECK(measured <= fp * 1.2);
	CHECK(measured >= fp * 0.8);
	test_alloc.free(test_alloc.ctx, f);
}

static void
test_fp_rate_1pct(void)
{
	check_rate(0.01);
}

static void
test_fp_rate_01pct(void)
{
	check_rate(0.001);
}

static void
test_small_sets(void)
{
	long		n;

	/* a handful of keys: no false negatives, minimum size respected */
	for (n = 1; n < 50; n++)
	{
		size_t		flen;
		char	   *f = build(0.01, n, &flen);
		char		k[64];
		long		i;

		CHECK(flen >= 8 + 5);
		for (i = 0; i < n; i++)
			CHECK(lsm_bloom_may_contain(f, flen, k, key(k, "present", i)));
		test_alloc.free(test_alloc.ctx, f);
	}
}

static void
test_empty_filter(void)
{
	size_t		flen;
	char	   *f = build(0.01, 0, &flen);
	char		k[64];
	long		i;

	CHECK_EQ_INT(flen, 5);
	for (i = 0; i < 1000; i++)
		CHECK(!lsm_bloom_may_contain(f, flen, k, key(k, "any", i)));
	CHECK(!lsm_bloom_may_contain(f, flen, "", 0));
	test_alloc.free(test_alloc.ctx, f);

	/* something that is not a filter cannot exclude anything */
	CHECK(lsm_bloom_may_contain("", 0, "x", 1));
	CHECK(lsm_bloom_may_contain("abc", 3, "x", 1));
	/* well-formed but all zero bits: rejects */
	CHECK(!lsm_bloom_may_contain("\0\0\0\0\0\0\0\0\x07\x40\0\0\0", 13, "x", 1));
	/* nbits disagreeing with the size, or k out of range: accepts */
	CHECK(lsm_bloom_may_contain("\0\0\0\0\0\0\0\0\x07\xff\0\0\0", 13, "x", 1));
	CHECK(lsm_bloom_may_contain("\0\0\0\0\0\0\0\0\x00\x40\0\0\0", 13, "x", 1));
}

static void
test_duplicates_and_hashes(void)
{
	lsm_bloom_builder b;
	char	   *f1,
			   *f2;
	size_t		l1,
				l2;
	int			i;

	/* add twice = add once (same bits), and add_hash(hash(k)) = add(k) */
	lsm_bloom_builder_init(&b, &test_alloc, 0.01);
	for (i = 0; i < 100; i++)
	{
		lsm_bloom_builder_add(&b, "dup", 3);
		lsm_bloom_builder_add_hash(&b, lsm_bloom_hash("other", 5));
	}
	CHECK_EQ_INT(lsm_bloom_builder_finish(&b, &f1, &l1), LSM_OK);
	lsm_bloom_builder_free(&b);
	CHECK(lsm_bloom_may_contain(f1, l1, "dup", 3));
	CHECK(lsm_bloom_may_contain_hash(f1, l1, lsm_bloom_hash("dup", 3)));
	CHECK(lsm_bloom_may_contain(f1, l1, "other", 5));

	lsm_bloom_builder_init(&b, &test_alloc, 0.01);
	lsm_bloom_builder_add(&b, "dup", 3);
	CHECK_EQ_INT(lsm_bloom_builder_finish(&b, &f2, &l2), LSM_OK);
	lsm_bloom_builder_free(&b);
	CHECK(lsm_bloom_may_contain(f2, l2, "dup", 3));

	/* XXH64 seed 0 of the empty string, a published test vector */
	CHECK(lsm_bloom_hash("", 0) == UINT64_C(0xEF46DB3751D8E999));

	test_alloc.free(test_alloc.ctx, f1);
	test_alloc.free(test_alloc.ctx, f2);
}

static void
test_nomem(void)
{
	lsm_bloom_builder b;
	char	   *f;
	size_t		l;
	int			i;

	lsm_bloom_builder_init(&b, &test_alloc, 0.01);
	test_alloc_st.fail_after = 1;
	for (i = 0; i < 1000; i++)
		lsm_bloom_builder_add_hash(&b, (uint64_t) i);
	test_alloc_st.fail_after = -1;
	CHECK_EQ_INT(lsm_bloom_builder_finish(&b, &f, &l), LSM_NOMEM);
	lsm_bloom_builder_free(&b);
}

static void
test_no_leaks(void)
{
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

int
main(void)
{
	RUN(test_parameters);
	RUN(test_fp_rate_1pct);
	RUN(test_fp_rate_01pct);
	RUN(test_small_sets);
	RUN(test_empty_filter);
	RUN(test_duplicates_and_hashes);
	RUN(test_nomem);
	RUN(test_no_leaks);
	return TEST_SUMMARY();
}
