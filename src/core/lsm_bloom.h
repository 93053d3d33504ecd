/*-------------------------------------------------------------------------
 *
 * lsm_bloom.h
 *	  Bloom filters over user keys (or key prefixes), hashed with xxHash.
 *
 * Filter format (on disk), from one 64-bit XXH64 h of the key,
 * h1 = its low 32 bits, h2 = its high 32 bits:
 *
 *	  blocked (written):  bits[64 * nblocks] uint8(0x80 | k) fixed32le(nblocks)
 *	    The key's block is (h1 * nblocks) >> 32; its k bits are the top
 *	    9 bits of x_0 = h2, x_(i+1) = x_i * 0x9E3779B1 (mod 2^32), each
 *	    a bit of that 512-bit block (bit b: byte b >> 3, mask 1 << (b & 7)).
 *	  classic (read only, SSTables written before the blocked layout):
 *	    bits[nbytes] uint8(k) fixed32le(nbits), probe i = (h1 + i*h2) mod nbits.
 *
 * The blocked layout is sized (bits per key, k) so that its expected
 * false-positive rate meets the configured one.  An empty key set yields
 * a filter that rejects everything.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_BLOOM_H
#define LSM_BLOOM_H

#include "lsm_core.h"

/* Hash used for filter keys (XXH64, seed 0). */
extern uint64_t lsm_bloom_hash(const char *key, size_t len);

/* Bits per key and probe count for a target false-positive rate in (0,1). */
extern double lsm_bloom_bits_per_key(double fp_rate);
extern int	lsm_bloom_num_probes(double bits_per_key);

typedef struct lsm_bloom_builder
{
	const lsm_allocator *alloc;
	double		bits_per_key;	/* of the blocked layout, for the fp rate */
	int			num_probes;
	uint64_t   *hashes;
	size_t		nhashes;
	size_t		cap;
	lsm_status	status;
} lsm_bloom_builder;

extern void lsm_bloom_builder_init(lsm_bloom_builder *b, const lsm_allocator *alloc,
								   double fp_rate);
/* Adding the same key twice is harmless. */
extern void lsm_bloom_builder_add(lsm_bloom_builder *b, const char *key, size_t len);
extern void lsm_bloom_builder_add_hash(lsm_bloom_builder *b, uint64_t h);
/* Build the filter; *out is allocated with b->alloc. */
extern lsm_status lsm_bloom_builder_finish(lsm_bloom_builder *b, char **out, size_t *len);
extern void lsm_bloom_builder_free(lsm_bloom_builder *b);

/* True if key may be in the set; false means definitely absent. */
extern bool lsm_bloom_may_contain(const char *filter, size_t flen,
								  const char *key, size_t klen);
extern bool lsm_bloom_may_contain_hash(const char *filter, size_t flen, uint64_t h);

#endif							/* LSM_BLOOM_H */
