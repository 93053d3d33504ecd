/*-------------------------------------------------------------------------
 *
 * lsm_bloom.c
 *	  Bloom filter builder and probe (format in lsm_bloom.h).
 *
 * The builder only collects 64-bit hashes; the bit array is sized and
 * filled in finish, when the number of keys is known.  Probing needs no
 * allocation and treats a filter it cannot parse as "may contain", so a
 * damaged filter costs reads, never wrong answers.  (SSTable blocks are
 * checksummed, so damage is normally caught before we get here.)
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_bloom.h"

#include <math.h>
#include <string.h>
#include <xxhash.h>

#define BLOOM_TRAILER_SIZE 5	/* uint8(flag | k) fixed32le(nblocks or nbits) */
#define BLOOM_MIN_BITS 64
#define BLOOM_MAX_PROBES 30

static void blocked_params(double fp_rate, double *bpk_out, int *k_out);

#ifndef M_LN2
#define M_LN2 0.69314718055994530942
#endif

uint64_t
lsm_bloom_hash(const char *key, size_t len)
{
	return (uint64_t) XXH64(key, len, 0);
}

/*
 * Optimal bits per key for a false-positive rate p: -ln(p) / (ln 2)^2.
 * Rates outside (0, 1) are clamped to something sensible rather than
 * rejected: 1e-9 below, 0.5 above.
 */
double
lsm_bloom_bits_per_key(double fp_rate)
{
	if (!(fp_rate > 1e-9))
		fp_rate = 1e-9;
	if (fp_rate > 0.5)
		fp_rate = 0.5;
	return -log(fp_rate) / (M_LN2 * M_LN2);
}

/* Optimal probe count bits_per_key * ln 2, rounded, within 1..30. */
int
lsm_bloom_num_probes(double bits_per_key)
{
	long		k = lround(bits_per_key * M_LN2);

	if (k < 1)
		k = 1;
	if (k > BLOOM_MAX_PROBES)
		k = BLOOM_MAX_PROBES;
	return (int) k;
}

void
lsm_bloom_builder_init(lsm_bloom_builder *b, const lsm_allocator *alloc,
					   double fp_rate)
{
	memset(b, 0, sizeof(*b));
	b->alloc = alloc;
	blocked_params(fp_rate, &b->bits_per_key, &b->num_probes);
	b->status = LSM_OK;
}

void
lsm_bloom_builder_add(lsm_bloom_builder *b, const char *key, size_t len)
{
	lsm_bloom_builder_add_hash(b, lsm_bloom_hash(key, len));
}

/*
 * Remember one hash.  An allocation failure is sticky in b->status and
 * reported by finish, so callers can add in a loop without checking.
 */
void
lsm_bloom_builder_add_hash(lsm_bloom_builder *b, uint64_t h)
{
	if (b->status != LSM_OK)
		return;
	if (b->nhashes == b->cap)
	{
		size_t		ncap = b->cap ? b->cap * 2 : 256;
		uint64_t   *n = b->alloc->alloc(b->alloc->ctx, ncap * sizeof(uint64_t));

		if (n == NULL)
		{
			b->status = LSM_NOMEM;
			return;
		}
		if (b->nhashes)
			memcpy(n, b->hashes, b->nhashes * sizeof(uint64_t));
		if (b->hashes)
			b->alloc->free(b->alloc->ctx, b->hashes);
		b->hashes = n;
		b->cap = ncap;
	}
	b->hashes[b->nhashes++] = h;
}

/*
 * Blocked layout: a key's k bits all lie in one 512-bit block (one cache
 * line), chosen from the hash's low 32 bits by multiply-shift; the bit
 * positions come from the high 32 bits, each probe taking the top 9 bits
 * of a multiplicative sequence.  One cache miss and no division per key,
 * where the classic layout takes k misses and k 64-bit divisions.
 */
#define BLOCK_BITS 512
#define BLOCK_BYTES (BLOCK_BITS / 8)
#define BLOCKED_FLAG 0x80
#define PROBE_MULT 0x9E3779B1u	/* odd: x -> x * PROBE_MULT permutes uint32 */

static inline uint32_t
blocked_block(uint64_t h, uint32_t nblocks)
{
	return (uint32_t) (((uint64_t) (uint32_t) h * nblocks) >> 32);
}

static void
blocked_set(unsigned char *bits, uint32_t nblocks, int k, uint64_t h)
{
	unsigned char *blk = bits + (size_t) blocked_block(h, nblocks) * BLOCK_BYTES;
	uint32_t	x = (uint32_t) (h >> 32);
	int			i;

	for (i = 0; i < k; i++)
	{
		uint32_t	bit = x >> 23;

		blk[bit >> 3] |= (unsigned char) (1 << (bit & 7));
		x *= PROBE_MULT;
	}
}

static bool
blocked_test(const unsigned char *bits, uint32_t nblocks, int k, uint64_t h)
{
	const unsigned char *blk = bits + (size_t) blocked_block(h, nblocks) * BLOCK_BYTES;
	uint32_t	x = (uint32_t) (h >> 32);
	int			i;

	for (i = 0; i < k; i++)
	{
		uint32_t	bit = x >> 23;

		if ((blk[bit >> 3] & (1 << (bit & 7))) == 0)
			return false;
		x *= PROBE_MULT;
	}
	return true;
}

/*
 * Expected false-positive rate of the blocked layout at bpk bits per key
 * and k probes.  The keys in a block are Poisson with mean 512 / bpk; a
 * block holding j keys has each bit set with probability
 * 1 - (1 - 1/512)^(k*j), and an absent key hits k set bits with that
 * probability to the k-th power.  Uneven blocks make the rate higher
 * than the classic layout's at the same size.
 */
static double
blocked_fp_rate(double bpk, int k)
{
	double		mu = BLOCK_BITS / bpk;
	double		pj = exp(-mu);
	double		miss = 1.0 - 1.0 / BLOCK_BITS;
	double		sum = 0;
	int			jmax = (int) (mu + 12 * sqrt(mu) + 30);
	int			j;

	for (j = 0; j <= jmax; j++)
	{
		sum += pj * pow(1.0 - pow(miss, (double) k * j), k);
		pj *= mu / (j + 1);
	}
	return sum;
}

/*
 * Bits per key and probes for the blocked layout to meet fp_rate: from
 * the classic layout's size upwards in 1% steps until the expected rate
 * (at the best k for that size) is at most fp_rate.
 */
static void
blocked_params(double fp_rate, double *bpk_out, int *k_out)
{
	double		bpk = lsm_bloom_bits_per_key(fp_rate);
	int			k = lsm_bloom_num_probes(bpk);
	int			step;

	if (!(fp_rate > 1e-9))
		fp_rate = 1e-9;
	for (step = 0; step < 200; step++)
	{
		double		best = 2;
		int			kk;

		for (kk = (k > 3 ? k - 3 : 1); kk <= (k < BLOOM_MAX_PROBES ? k + 1 : k); kk++)
		{
			double		r = blocked_fp_rate(bpk, kk);

			if (r < best)
			{
				best = r;
				k = kk;
			}
		}
		if (best <= fp_rate)
			break;
		bpk *= 1.01;
	}
	*bpk_out = bpk;
	*k_out = k;
}

/*
 * Size the filter for the keys seen (blocks of 512 bits, at least one) and
 * set k bits per key.  No keys gives an empty filter, which probing reads
 * as "nothing is here".
 */
lsm_status
lsm_bloom_builder_finish(lsm_bloom_builder *b, char **out, size_t *len)
{
	uint64_t	nblocks64 = 0;
	uint32_t	nblocks;
	size_t		nbytes;
	char	   *f;
	size_t		i;

	if (b->status != LSM_OK)
		return b->status;
	if (b->nhashes > 0)
	{
		nblocks64 = (uint64_t) ceil((double) b->nhashes * b->bits_per_key / BLOCK_BITS);
		if (nblocks64 < 1)
			nblocks64 = 1;
		if (nblocks64 > UINT32_MAX / BLOCK_BYTES)
			nblocks64 = UINT32_MAX / BLOCK_BYTES;
	}
	nblocks = (uint32_t) nblocks64;
	nbytes = (size_t) nblocks * BLOCK_BYTES;

	f = b->alloc->alloc(b->alloc->ctx, nbytes + BLOOM_TRAILER_SIZE);
	if (f == NULL)
		return b->status = LSM_NOMEM;
	memset(f, 0, nbytes);
	/* the block of a hash a few ahead is prefetched: misses overlap */
	for (i = 0; i < b->nhashes; i++)
	{
		if (i + 8 < b->nhashes)
			__builtin_prefetch(f + (size_t) blocked_block(b->hashes[i + 8], nblocks) * BLOCK_BYTES);
		blocked_set((unsigned char *) f, nblocks, b->num_probes, b->hashes[i]);
	}
	f[nbytes] = (char) (BLOCKED_FLAG | b->num_probes);
	lsm_put_fixed32(f + nbytes + 1, nblocks);
	*out = f;
	*len = nbytes + BLOOM_TRAILER_SIZE;
	return LSM_OK;
}

void
lsm_bloom_builder_free(lsm_bloom_builder *b)
{
	if (b->hashes)
		b->alloc->free(b->alloc->ctx, b->hashes);
	b->hashes = NULL;
	b->nhashes = b->cap = 0;
}

bool
lsm_bloom_may_contain(const char *filter, size_t flen,
					  const char *key, size_t klen)
{
	return lsm_bloom_may_contain_hash(filter, flen, lsm_bloom_hash(key, klen));
}

bool
lsm_bloom_may_contain_hash(const char *filter, size_t flen, uint64_t h)
{
	uint32_t	n;
	int			k;
	uint64_t	h1 = h & 0xffffffffu;
	uint64_t	h2 = h >> 32;
	int			i;

	if (flen < BLOOM_TRAILER_SIZE)
		return true;			/* not a filter: cannot exclude anything */
	n = lsm_get_fixed32(filter + flen - 4);
	k = (unsigned char) filter[flen - 5];
	if (k & BLOCKED_FLAG)
	{
		k &= ~BLOCKED_FLAG;
		if ((size_t) n * BLOCK_BYTES != flen - BLOOM_TRAILER_SIZE ||
			k < 1 || k > BLOOM_MAX_PROBES)
			return true;
		if (n == 0)
			return false;		/* empty key set */
		return blocked_test((const unsigned char *) filter, n, k, h);
	}

	/* classic layout (older SSTables): n is the number of bits */
	if (((size_t) n + 7) / 8 != flen - BLOOM_TRAILER_SIZE ||
		k < 1 || k > BLOOM_MAX_PROBES)
		return true;
	if (n == 0)
		return false;			/* empty key set */
	for (i = 0; i < k; i++)
	{
		uint64_t	bit = (h1 + (uint64_t) i * h2) % n;

		if ((filter[bit >> 3] & (1 << (bit & 7))) == 0)
			return false;
	}
	return true;
}
