/*-------------------------------------------------------------------------
 *
 * lsm_pages.h
 *	  The metapage (block 0: manifest, memtable logs, free extents), block
 *	  allocation, and memtable log pages with their items.
 *
 * REQUIRES (callers): the metapage is read with lsm_meta_read and changed
 * only under its buffer's exclusive content lock, inside a critical
 * section with the change WAL-logged (engine/); lsm_alloc_blocks and
 * lsm_free_blocks change the LsmMetaData they are given, so the same
 * rule applies.  Log pages are appended to under the relation state's
 * lock (engine/lsm_memtables.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_PAGES_H
#define LSM_PAGES_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "storage/lsm_format.h"

/* The metapage buffer, locked in lockmode; create: initialize a new fork. */
extern Buffer lsm_meta_read(Relation rel, int lockmode, bool create);
extern void lsm_meta_init_page(Page page);
extern void lsm_meta_set_lower(Page page);
extern Size lsm_meta_used(const LsmMetaData *meta);
extern int	lsm_meta_nssts(const LsmMetaData *meta, int *nl0);

/*
 * The manifest's SSTables (version 1: inline; version 2: the manifest
 * pages of the directory).  REQUIRES: the metapage buffer locked by the
 * caller (shared is enough): changes lock it exclusively while they write
 * the manifest pages and switch the directory.
 */
typedef struct LsmMpageCopy
{
	BlockNumber blk;
	int			n;
	LsmSstEntry *e;
} LsmMpageCopy;

extern void lsm_mpage_read(Relation rel, const LsmMetaData *meta, int i, LsmMpageCopy *mp);
extern LsmSstEntry *lsm_meta_ssts(Relation rel, const LsmMetaData *meta, int *n);
extern void lsm_meta_add_logpage(Page metapage, uint64 gen, BlockNumber blk, BlockNumber after);

/*
 * Assert the metapage's invariants (assert-enabled builds; a no-op
 * otherwise): free extents sorted, disjoint, not touching block 0, and
 * overlapping no SSTable, no manifest page and no log-page chain end;
 * SSTables disjoint from each other and from manifest pages; each
 * SSTable's sequence bounds ordered; nssts and nl0 count ssts.  With
 * ssts NULL, what involves the SSTables is not checked.
 */
extern void lsm_meta_check(const LsmMetaData *meta, const LsmSstEntry *ssts, int nssts);

/* Blocks: from the free extents, else by extending the fork. */
extern BlockNumber lsm_alloc_blocks(Relation rel, LsmMetaData *meta, uint32 n);
extern void lsm_free_blocks(LsmMetaData *meta, BlockNumber start, uint32 n);

/* Memtable log pages and items. */
extern void lsm_logpage_init(Page page, uint64 gen);
extern BlockNumber *lsm_loggen_pages(Relation rel, const LsmLogGen *lg, int *npages);

/* A decoded log item; key points into keybuf or into the item. */
typedef struct LsmLogItemView
{
	uint64		seq;
	lsm_entry_type type;
	const char *key;
	Size		keylen;
	const char *value;
	Size		vlen;
	char		keybuf[8];
} LsmLogItemView;

extern Size lsm_logitem_size(const char *key, Size keylen, Size vlen);
extern Size lsm_logitem_encode(char *dst, uint64 seq, lsm_entry_type type,
							   const char *key, Size keylen,
							   const char *value, Size vlen);
extern bool lsm_logitem_decode(const char *item, Size len, LsmLogItemView *v);

extern Size lsm_logitem_size(const char *key, Size keylen, Size vlen);
extern Size lsm_logitem_encode(char *dst, uint64 seq, lsm_entry_type type,
							   const char *key, Size keylen,
							   const char *value, Size vlen);
extern bool lsm_logitem_decode(const char *item, Size len, LsmLogItemView *v);

#endif							/* LSM_PAGES_H */
