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

#define BLOOM_TRAILER_SIZE 5	/* uint8(k) fixed32le(nbits) */
#define BLOOM_MIN_BITS 64
#define BLOOM_MAX_PROBES 30

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
	b->bits_per_key = lsm_bloom_bits_per_key(fp_rate);
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

static void
bloom_set(char *bits, uint32_t nbits, int k, uint64_t h)
{
	uint64_t	h1 = h & 0xffffffffu;
	uint64_t	h2 = h >> 32;
	int			i;

	for (i = 0; i < k; i++)
	{
		uint64_t	bit = (h1 + (uint64_t) i * h2) % nbits;

		bits[bit >> 3] |= (char) (1 << (bit & 7));
	}
}

/*
 * Size the bit array for the keys seen (at least 64 bits, so that tiny
 * filters are not absurdly loaded) and set k bits per key.  No keys gives
 * nbits = 0, which probing reads as "nothing is here".
 */
lsm_status
lsm_bloom_builder_finish(lsm_bloom_builder *b, char **out, size_t *len)
{
	uint64_t	nbits64 = 0;
	uint32_t	nbits;
	size_t		nbytes;
	int			k = lsm_bloom_num_probes(b->bits_per_key);
	char	   *f;
	size_t		i;

	if (b->status != LSM_OK)
		return b->status;
	if (b->nhashes > 0)
	{
		nbits64 = (uint64_t) ceil((double) b->nhashes * b->bits_per_key);
		if (nbits64 < BLOOM_MIN_BITS)
			nbits64 = BLOOM_MIN_BITS;
		if (nbits64 > UINT32_MAX)
			nbits64 = UINT32_MAX;
	}
	nbits = (uint32_t) nbits64;
	nbytes = ((size_t) nbits + 7) / 8;

	f = b->alloc->alloc(b->alloc->ctx, nbytes + BLOOM_TRAILER_SIZE);
	if (f == NULL)
		return b->status = LSM_NOMEM;
	memset(f, 0, nbytes);
	for (i = 0; i < b->nhashes; i++)
		bloom_set(f, nbits, k, b->hashes[i]);
	f[nbytes] = (char) k;
	lsm_put_fixed32(f + nbytes + 1, nbits);
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
	uint32_t	nbits;
	int			k;
	uint64_t	h1 = h & 0xffffffffu;
	uint64_t	h2 = h >> 32;
	int			i;

	if (flen < BLOOM_TRAILER_SIZE)
		return true;			/* not a filter: cannot exclude anything */
	nbits = lsm_get_fixed32(filter + flen - 4);
	k = (unsigned char) filter[flen - 5];
	if (((size_t) nbits + 7) / 8 != flen - BLOOM_TRAILER_SIZE ||
		k < 1 || k > BLOOM_MAX_PROBES)
		return true;
	if (nbits == 0)
		return false;			/* empty key set */
	for (i = 0; i < k; i++)
	{
		uint64_t	bit = (h1 + (uint64_t) i * h2) % nbits;

		if ((filter[bit >> 3] & (1 << (bit & 7))) == 0)
			return false;
	}
	return true;
}
