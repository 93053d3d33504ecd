/*
 * test_bloom.c
 *	  Unit tests of lsm_bloom: parameters, no false negatives, measured
 *	  false-positive rates against the configured ones, the on-disk layout
 *	  as lsm_bloom.h documents it (blocked, and classic filters of older
 *	  SSTables still read), degenerate filters.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
	/* well-formed (classic) but all zero bits: rejects */
	CHECK(!lsm_bloom_may_contain("\0\0\0\0\0\0\0\0\x07\x40\0\0\0", 13, "x", 1));
	/* blocked, empty key set: rejects; blocked with k = 0: accepts */
	CHECK(!lsm_bloom_may_contain("\x87\0\0\0\0", 5, "x", 1));
	CHECK(lsm_bloom_may_contain("\x80\0\0\0\0", 5, "x", 1));
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

/* The blocked layout of lsm_bloom.h, computed here independently. */
static void
ref_blocked_set(unsigned char *bits, uint32_t nblocks, int k, uint64_t h)
{
	uint32_t	blk = (uint32_t) (((h & 0xffffffffu) * nblocks) >> 32);
	uint32_t	x = (uint32_t) (h >> 32);
	int			i;

	for (i = 0; i < k; i++)
	{
		uint32_t	b = x >> 23;

		bits[blk * 64 + (b >> 3)] |= (unsigned char) (1 << (b & 7));
		x *= 0x9E3779B1u;
	}
}

static void
test_blocked_layout(void)
{
	size_t		flen;
	char	   *f = build(0.01, 5000, &flen);
	unsigned char *ref;
	uint32_t	nblocks;
	int			k;
	char		kb[64];
	long		i;

	CHECK(flen > 5);
	k = (unsigned char) f[flen - 5];
	CHECK((k & 0x80) != 0);
	k &= 0x7f;
	CHECK(k >= 1 && k <= 30);
	nblocks = (uint32_t) (unsigned char) f[flen - 4] |
		(uint32_t) (unsigned char) f[flen - 3] << 8 |
		(uint32_t) (unsigned char) f[flen - 2] << 16 |
		(uint32_t) (unsigned char) f[flen - 1] << 24;
	CHECK_EQ_INT(flen - 5, (size_t) nblocks * 64);
	/* sized for the blocked layout: more than the classic 9.6 bits/key */
	CHECK((double) nblocks * 512 / 5000 > 9.6);
	CHECK((double) nblocks * 512 / 5000 < 14);
	ref = calloc(flen - 5, 1);
	for (i = 0; i < 5000; i++)
	{
		size_t		n = key(kb, "present", i);

		ref_blocked_set(ref, nblocks, k, lsm_bloom_hash(kb, n));
	}
	CHECK(memcmp(ref, f, flen - 5) == 0);
	free(ref);
	test_alloc.free(test_alloc.ctx, f);
}

/* A filter in the classic layout (SSTables written before the blocked one). */
static void
test_classic_layout_read(void)
{
	uint32_t	nbits = 100003;
	int			k = 7;
	size_t		nbytes = (nbits + 7) / 8;
	char	   *f = calloc(nbytes + 5, 1);
	char		kb[64];
	long		i,
				fp = 0;

	for (i = 0; i < 10000; i++)
	{
		uint64_t	h = lsm_bloom_hash(kb, key(kb, "present", i));
		int			j;

		for (j = 0; j < k; j++)
		{
			uint64_t	bit = ((h & 0xffffffffu) + (uint64_t) j * (h >> 32)) % nbits;

			f[bit >> 3] |= (char) (1 << (bit & 7));
		}
	}
	f[nbytes] = (char) k;
	f[nbytes + 1] = (char) (nbits & 0xff);
	f[nbytes + 2] = (char) ((nbits >> 8) & 0xff);
	f[nbytes + 3] = (char) ((nbits >> 16) & 0xff);
	f[nbytes + 4] = (char) ((nbits >> 24) & 0xff);
	for (i = 0; i < 10000; i++)
		CHECK(lsm_bloom_may_contain(f, nbytes + 5, kb, key(kb, "present", i)));
	for (i = 0; i < 100000; i++)
		if (lsm_bloom_may_contain(f, nbytes + 5, kb, key(kb, "absent", i)))
			fp++;
	/* 10 bits per key, 7 probes: about 0.8% */
	CHECK(fp > 300 && fp < 1500);
	/* a blocked trailer whose size disagrees accepts everything */
	f[nbytes] = (char) (0x80 | k);
	CHECK(lsm_bloom_may_contain(f, nbytes + 5, "absent-1", 8));
	free(f);
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
	RUN(test_blocked_layout);
	RUN(test_classic_layout_read);
	RUN(test_nomem);
	RUN(test_no_leaks);
	return TEST_SUMMARY();
}
