/*-------------------------------------------------------------------------
 *
 * lsm_block.h
 *	  Sorted blocks of key/value entries with prefix-compressed keys and
 *	  restart points: the unit of SSTable data and index blocks.
 *
 * Block format (uncompressed contents; on disk):
 *
 *	  block   := entry* restart_offset* fixed32le(num_restarts)
 *	  entry   := varint(shared) varint(non_shared) varint(value_len)
 *				 key_delta[non_shared] value[value_len]
 *
 * Every restart_interval-th entry stores its key whole (shared = 0) and
 * its offset is recorded as a fixed32le restart point, so a seek binary
 * searches restart points and then scans at most restart_interval entries.
 *
 * Builder call order: lsm_block_builder_init (add)* finish, then reset to
 * reuse.  Keys must be added in strictly increasing internal-key order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_BLOCK_H
#define LSM_BLOCK_H

#include "lsm_core.h"

typedef struct lsm_block_builder
{
	const lsm_allocator *alloc;
	int			restart_interval;
	char	   *buf;			/* growing output buffer */
	size_t		len;
	size_t		cap;
	uint32_t   *restarts;
	int			nrestarts;
	int			restarts_cap;
	int			counter;		/* entries since last restart */
	char	   *last_key;
	size_t		last_key_len;
	size_t		last_key_cap;
	uint64_t	nentries;
	bool		finished;
	lsm_status	status;			/* first allocation failure, if any */
} lsm_block_builder;

extern void lsm_block_builder_init(lsm_block_builder *b, const lsm_allocator *alloc,
								   int restart_interval);
extern void lsm_block_builder_reset(lsm_block_builder *b);
extern void lsm_block_builder_free(lsm_block_builder *b);
/* REQUIRES: not finished; key > every key added since the last reset. */
extern lsm_status lsm_block_builder_add(lsm_block_builder *b,
										const char *key, size_t klen,
										const char *val, size_t vlen);
/* Size the block would have if finished now. */
extern size_t lsm_block_builder_size_estimate(const lsm_block_builder *b);
static inline bool lsm_block_builder_empty(const lsm_block_builder *b) { return b->nentries == 0; }
/* Append restarts; returns the contents, valid until reset/free. */
extern const char *lsm_block_builder_finish(lsm_block_builder *b, size_t *len);

/*
 * Iterate over a finished block.  The iterator does not copy data: data
 * must outlive it unless owned is true, in which case the iterator frees
 * data with alloc on destroy.  Keys are compared with lsm_ikey_compare(cmp)
 * when ikeys is true, or with cmp alone (index blocks of plain keys) when
 * false.  Returns NULL and sets *st on malformed blocks or NOMEM (then an
 * owned data is freed already).  The whole block is validated here, so a
 * block that passes can be iterated without running off its end.  An
 * empty block is fixed32le(0) alone.  Supports seek_last and prev.
 */
extern lsm_iter *lsm_block_iter_new(const lsm_allocator *alloc,
									const lsm_comparator *cmp, bool ikeys,
									const char *data, size_t len, bool owned,
									lsm_status *st);

/*
 * The same for a block already accepted by lsm_block_iter_new (same
 * bytes, same ikeys): the full validation, which decodes every entry, is
 * skipped.  REQUIRES: the block was validated before.
 */
extern lsm_iter *lsm_block_iter_new_validated(const lsm_allocator *alloc,
											  const lsm_comparator *cmp, bool ikeys,
											  const char *data, size_t len, bool owned,
											  lsm_status *st);

#endif							/* LSM_BLOCK_H */
