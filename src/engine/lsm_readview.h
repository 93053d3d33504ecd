/*-------------------------------------------------------------------------
 *
 * lsm_readview.h
 *	  Read views: a consistent set of a relation's memtables (pinned
 *	  slots) and SSTables (pinned manifest entries) merged into one
 *	  iterator; the per-transaction current view that DML and index
 *	  fetches use; all entries of one row.
 *
 * REQUIRES: a view is used and closed in the backend that opened it; its
 * pins belong to the resource owner current at open (cached views: the
 * transaction's), released at that owner's release if not closed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_READVIEW_H
#define LSM_READVIEW_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "utils/rel.h"

#include "core/lsm_merge.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_relstate.h"

typedef struct LsmReadView
{
	Relation	rel;
	LsmRelState *st;
	ResourceOwner owner;		/* the memtable pins were taken under it */
	int			pin;			/* its version pin (lsm_manifest_pin_view) */
	uint64		incarnation;	/* st->incarnation when it pinned */
	int			nslots;
	int			slots[LSM_MAX_FROZEN + 1];	/* pinned, newest first */
	int			nssts;
	LsmSstEntry *ssts;			/* newest first: L0 by max_seq, then levels */
	lsm_sst_reader **readers;
	struct LsmCachedReader **creaders;	/* where each reader lives */
	lsm_iter   *iter;
	MemoryContext cxt;			/* everything of the view lives here */
	MemoryContext lookup_cxt;	/* lsm_view_get_row results, reset per call */
	lsm_allocator alloc;		/* the core's allocator, in cxt */
	struct LsmRowEntry *row_hdrs;	/* a scan's scratch: one row's entry
									 * headers (no bodies), in cxt */
	int			row_hdrs_max;
} LsmReadView;

extern LsmReadView *lsm_read_view_open(Relation rel, BufferAccessStrategy strategy,
									   MemoryContext parent);
extern void lsm_read_view_close(LsmReadView *view);
extern void lsm_check_iter_status(LsmReadView *view, lsm_iter *it);

/* All entries of one row, newest first (lsm_view_get_row). */
typedef struct LsmRowEntry
{
	uint64		seq;
	lsm_entry_type type;
	LsmRowHeader hdr;
	uint64		link;			/* DELETE of an UPDATE: the new row id */
	char	   *body;			/* PUT: the tuple body after the header */
	Size		bodylen;
} LsmRowEntry;

extern int	lsm_view_get_row(LsmReadView *view, uint64 rowid, LsmRowEntry **entries);

/* Is e[0..n-1] (newest first) enough for the caller? (lsm_view_get_row_upto) */
typedef bool (*LsmRowEnough) (const LsmRowEntry *e, int n, void *arg);
extern int	lsm_view_get_row_upto(LsmReadView *view, uint64 rowid, LsmRowEntry **entries,
								  LsmRowEnough enough, void *arg);
extern LsmReadView *lsm_current_view(Relation rel);
extern void lsm_close_cached_views(void);


extern lsm_iter *lsm_view_point_iter(LsmReadView *view, const char *bloomkey,
									 size_t len);

#endif							/* LSM_READVIEW_H */
