/*-------------------------------------------------------------------------
 *
 * table/lsm_tableam.c
 *	  The table access method `lsm`: wires lsm_am's engine to PostgreSQL's
 *	  table AM API.  Inserts go to engine/lsm_memtables.c, scans read a merged view
 *	  from engine/lsm_readview.c, visibility is engine/lsm_visibility.c's.
 *
 * Rows are stored as MinimalTuples after an LsmRowHeader, keyed by their
 * 64-bit row id; scans rebuild HeapTuples (with xmin/cmin set) so system
 * columns work.  Callbacks for what is not supported raise
 * ERRCODE_FEATURE_NOT_SUPPORTED (README "Limitations").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/heaptoast.h"
#include "access/multixact.h"
#include "access/parallel.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "utils/tuplesort.h"
#include "access/tsmapi.h"
#include "nodes/execnodes.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "utils/syscache.h"
#include "catalog/storage.h"
#include "catalog/storage_xlog.h"
#include "commands/vacuum.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/autovacuum.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "storage/procarray.h"
#include "storage/ipc.h"
#include "storage/smgr.h"
#include "core/lsm_core.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_visibility.h"
#include "engine/lsm_writebatch.h"
#include "engine/lsm_xact.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_pages.h"
#include "table/lsm_dml.h"
#include "table/lsm_rows.h"
#include "table/lsm_tableam.h"
#include "table/lsm_vacuum.h"
#include "optimizer/plancat.h"
#include "executor/executor.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(lsm_tableam_handler);

static void
not_supported(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported on lsm tables yet", what),
			 errhint("See the Limitations section of lsm_am's README.")));
}

/* ---------- scans ---------- */

typedef struct LsmParallelScanDescData
{
	ParallelTableScanDescData base;
	uint64		end_rowid;		/* rows below this existed at scan start */
	pg_atomic_uint64 next_rowid;	/* next chunk to hand out */
} LsmParallelScanDescData;

#define LSM_PARALLEL_CHUNK 16384

typedef struct LsmScanDescData
{
	TableScanDescData rs_base;
	LsmReadView *view;
	MemoryContext cxt;			/* the scan's context, parent of the view's */
	BufferAccessStrategy strategy;
	bool		positioned;
	uint64		min_rowid;		/* current range [min, max] */
	uint64		max_rowid;
	bool		by_version;		/* TID range and sample scans: return the
								 * versions whose TID is in [min, max],
								 * wherever their row is */
	bool		exhausted;
	/* bitmap scans: the row ids of the current bitmap page still to try */
	uint64	   *bm_rowids;
	int			bm_n;
	int			bm_next;
	/* ANALYZE: physical blocks map to slices of the row-id space */
	BlockNumber an_nblocks;
	uint64		an_end_rowid;
	/* cursor position, for turning around (backward scans) */
	bool		backward;		/* the iterator was last moved backward */
	bool		have_last;		/* last_rowid is the row last returned */
	uint64		last_rowid;
	/* TABLESAMPLE: the visible rows of the current TID block, by offset */
	BlockNumber ts_nblocks;
	BlockNumber ts_block;
	HeapTuple  *ts_rows;		/* LSM_TIDS_PER_BLOCK entries, NULL = none */
	MemoryContext ts_cxt;
} LsmScanDescData;

typedef LsmScanDescData *LsmScanDesc;

static const TupleTableSlotOps *
lsmam_slot_callbacks(Relation rel)
{
	return &TTSOpsHeapTuple;
}

static TableScanDesc
lsmam_scan_begin(Relation rel, Snapshot snapshot, int nkeys, ScanKey key,
				 ParallelTableScanDesc pscan, uint32 flags)
{
	LsmScanDesc scan = palloc0(sizeof(LsmScanDescData));

	lsm_check_preloaded();
	scan->cxt = CurrentMemoryContext;
	if (flags & SO_TYPE_ANALYZE)
	{
		/* ANALYZE passes no snapshot: sample what a new snapshot sees */
		snapshot = RegisterSnapshot(GetTransactionSnapshot());
		flags |= SO_TEMP_SNAPSHOT;
		scan->an_nblocks = RelationGetNumberOfBlocks(rel);
		scan->an_end_rowid = lsm_memstore_next_seq(lsm_memstore_open(rel));
	}
	scan->rs_base.rs_rd = rel;
	scan->rs_base.rs_snapshot = snapshot;
	scan->rs_base.rs_nkeys = nkeys;
	scan->rs_base.rs_flags = flags;
	scan->rs_base.rs_parallel = pscan;
	scan->strategy = (flags & SO_ALLOW_STRAT) ? GetAccessStrategy(BAS_BULKREAD) : NULL;
	/*
	 * SERIALIZABLE: sequential, sample and TID range scans lock the whole
	 * relation, which also covers rows inserted later; bitmap scans lock
	 * the rows they return (the index scan that built the bitmap locked
	 * the key range), as heap's do.
	 */
	if (snapshot && IsMVCCSnapshot(snapshot) && !(flags & SO_TYPE_BITMAPSCAN))
		PredicateLockRelation(rel, snapshot);
	scan->min_rowid = 0;
	scan->max_rowid = PG_UINT64_MAX;
	/* pg_stat_all_tables.seq_scan counts sequential scans and their rescans, as heap's */
	if (flags & SO_TYPE_SEQSCAN)
		pgstat_count_heap_scan(rel);
	return (TableScanDesc) scan;
}

static void
scan_close_view(LsmScanDesc scan)
{
	if (scan->view)
		lsm_read_view_close(scan->view);
	scan->view = NULL;
	scan->positioned = false;
}

static void
lsmam_scan_end(TableScanDesc sscan)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;

	scan_close_view(scan);
	if (scan->strategy)
		FreeAccessStrategy(scan->strategy);
	if (sscan->rs_flags & SO_TEMP_SNAPSHOT)
		UnregisterSnapshot(sscan->rs_snapshot);
	pfree(scan);
}

static void
lsmam_scan_rescan(TableScanDesc sscan, ScanKey key, bool set_params,
				  bool allow_strat, bool allow_sync, bool allow_pagemode)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;

	scan_close_view(scan);
	scan->exhausted = false;
	scan->backward = false;
	scan->have_last = false;
	if (sscan->rs_flags & SO_TYPE_SEQSCAN)
		pgstat_count_heap_scan(sscan->rs_rd);
}

static void seek_rowid_iter(lsm_iter *it, uint64 rowid);

/*
 * Resolve the entries of the row under the iterator (newest first) and,
 * if a version is visible to snapshot, store it.  Leaves the iterator on
 * the first entry of the next row.  The entries' headers are kept (in
 * the view's row_hdrs) for the version's xmax and for SSI.  A key that is
 * a later version's back-pointer holds no row: *version_of gets the row
 * it points to (else 0).
 */
static bool
resolve_row(Relation rel, LsmReadView *view, Snapshot snapshot,
			TupleTableSlot *slot, uint64 *rowid_out, uint64 *version_of)
{
	lsm_iter   *it = view->iter;
	size_t		klen;
	const char *k = lsm_iter_key(it, &klen);
	char		rowkey[LSM_ROWKEY_LEN];
	uint64		rowid;
	bool		deleted = false;
	bool		decided = false;
	int			visible = -1;
	int			n = 0;
	int			skipped = 0;

	if (klen != LSM_ROWKEY_LEN + LSM_TRAILER_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid key length %zu in lsm relation \"%s\"",
						klen, RelationGetRelationName(rel))));
	memcpy(rowkey, k, LSM_ROWKEY_LEN);
	rowid = lsm_get_be64(rowkey);
	*rowid_out = rowid;
	*version_of = 0;

	while (lsm_iter_valid(it))
	{
		size_t		vlen;
		const char *v;
		LsmRowEntry *x;

		k = lsm_iter_key(it, &klen);
		if (klen != LSM_ROWKEY_LEN + LSM_TRAILER_SIZE ||
			memcmp(k, rowkey, LSM_ROWKEY_LEN) != 0)
			break;
		v = lsm_iter_value(it, &vlen);
		if (vlen < sizeof(LsmRowHeader))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid entry for row " UINT64_FORMAT " in lsm relation \"%s\"",
							rowid, RelationGetRelationName(rel))));
		if (!decided)
		{
			if (n == view->row_hdrs_max)
			{
				view->row_hdrs_max = Max(16, view->row_hdrs_max * 2);
				view->row_hdrs = view->row_hdrs ?
					repalloc(view->row_hdrs, sizeof(LsmRowEntry) * view->row_hdrs_max) :
					MemoryContextAlloc(view->cxt, sizeof(LsmRowEntry) * view->row_hdrs_max);
			}
			x = &view->row_hdrs[n];
			memset(x, 0, sizeof(*x));
			lsm_ikey_decode(k, klen, NULL, &x->seq, &x->type);
			memcpy(&x->hdr, v, sizeof(LsmRowHeader));
			if (x->type == LSM_TYPE_DELETE && (x->hdr.flags & LSM_ROW_VERSION_OF) &&
				vlen >= sizeof(LsmRowHeader) + sizeof(LsmRowLink))
			{
				LsmRowLink	l;

				memcpy(&l, v + sizeof(LsmRowHeader), sizeof(l));
				*version_of = l.new_rowid;
			}
			switch (lsm_version_step(x->type, &x->hdr, &deleted, snapshot))
			{
				case LSM_STEP_NEXT:
					break;
				case LSM_STEP_VISIBLE:
					lsm_store_row(rel, slot, x->seq, &x->hdr, v + sizeof(LsmRowHeader),
								  vlen - sizeof(LsmRowHeader),
								  lsm_row_xmax(view->row_hdrs, n));
					visible = n;
					decided = true;
					break;
				case LSM_STEP_NONE:
					decided = true;
					break;
			}
			n++;
		}
		else if (++skipped > 8)
		{
			/* older versions of a row updated in place often: seek past them */
			seek_rowid_iter(it, rowid + 1);
			break;
		}
		lsm_iter_next(it);
	}
	lsm_ssi_check_entries(rel, snapshot, view->row_hdrs, n, visible);
	return visible >= 0;
}

static bool version_in_range(LsmScanDesc scan, bool found, uint64 key, uint64 version_of,
							 TupleTableSlot *slot);

/* Claim the next rowid range of a parallel scan. */
static bool
parallel_next_range(LsmScanDesc scan)
{
	LsmParallelScanDescData *p = (LsmParallelScanDescData *) scan->rs_base.rs_parallel;
	uint64		start = pg_atomic_fetch_add_u64(&p->next_rowid, LSM_PARALLEL_CHUNK);

	if (start >= p->end_rowid)
		return false;
	scan->min_rowid = start;
	scan->max_rowid = Min(start + LSM_PARALLEL_CHUNK, p->end_rowid) - 1;
	return true;
}

static void
seek_rowid_iter(lsm_iter *it, uint64 rowid)
{
	char		ikey[LSM_ROWKEY_LEN + LSM_TRAILER_SIZE];

	lsm_put_be64(ikey, rowid);
	lsm_trailer_encode(ikey + LSM_ROWKEY_LEN, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	lsm_iter_seek(it, ikey, sizeof(ikey));
}

static void
seek_rowid(LsmScanDesc scan, uint64 rowid)
{
	seek_rowid_iter(scan->view->iter, rowid);
}

/*
 * Backward: collect the entries of the row under the iterator (met oldest
 * first when moving backward) and return it if visible.  Leaves the
 * iterator on the last entry of the previous row.
 */
static bool
resolve_row_backward(Relation rel, LsmReadView *view, Snapshot snapshot,
					 TupleTableSlot *slot, uint64 *rowid_out, uint64 *version_of)
{
	lsm_iter   *it = view->iter;
	size_t		klen;
	uint64		rowid = lsm_get_be64(lsm_iter_key(it, &klen));
	LsmRowEntry *e;
	int			n = 0,
				max = 8;
	int			put;
	MemoryContext old;

	MemoryContextReset(view->lookup_cxt);
	old = MemoryContextSwitchTo(view->lookup_cxt);
	e = palloc(sizeof(LsmRowEntry) * max);
	while (lsm_iter_valid(it) && lsm_get_be64(lsm_iter_key(it, &klen)) == rowid)
	{
		size_t		vlen;
		const char *v = lsm_iter_value(it, &vlen);
		const char *k = lsm_iter_key(it, &klen);
		LsmRowEntry *x;
		int			i;

		if (n == max)
		{
			max *= 2;
			e = repalloc(e, sizeof(LsmRowEntry) * max);
		}
		/* keep e[] newest first: entries arrive oldest first */
		memmove(&e[1], &e[0], sizeof(LsmRowEntry) * n);
		x = &e[0];
		n++;
		memset(x, 0, sizeof(*x));
		lsm_ikey_decode(k, klen, NULL, &x->seq, &x->type);
		if (vlen >= sizeof(LsmRowHeader))
			memcpy(&x->hdr, v, sizeof(LsmRowHeader));
		if (x->type == LSM_TYPE_PUT)
		{
			x->bodylen = vlen - sizeof(LsmRowHeader);
			x->body = palloc(Max(x->bodylen, 1));
			memcpy(x->body, v + sizeof(LsmRowHeader), x->bodylen);
		}
		else if (x->type == LSM_TYPE_DELETE && vlen >= sizeof(LsmRowHeader) + sizeof(LsmRowLink))
		{
			LsmRowLink	l;

			memcpy(&l, v + sizeof(LsmRowHeader), sizeof(l));
			x->link = l.new_rowid;
		}
		(void) i;
		lsm_iter_prev(it);
	}
	MemoryContextSwitchTo(old);
	*rowid_out = rowid;
	*version_of = 0;
	for (put = 0; put < n; put++)
		if (e[put].type == LSM_TYPE_DELETE && (e[put].hdr.flags & LSM_ROW_VERSION_OF))
			*version_of = e[put].link;
	put = lsm_row_visible_put(e, n, snapshot);
	lsm_ssi_check_entries(rel, snapshot, e, n, put);
	if (put < 0)
		return false;
	lsm_store_row(rel, slot, e[put].seq, &e[put].hdr, e[put].body, e[put].bodylen,
				  lsm_row_xmax(e, put));
	return true;
}

static bool
lsmam_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
					   TupleTableSlot *slot)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;
	Relation	rel = sscan->rs_rd;
	bool		backward = ScanDirectionIsBackward(direction);

	if (scan->view == NULL)
		scan->view = lsm_read_view_open(rel, scan->strategy, scan->cxt);

	/*
	 * Turning around (cursors): reposition around the row last returned,
	 * as heap's scan position does.  Past the end, the way back starts at
	 * the last row; before the start, the way forward at the first.
	 */
	if (backward != scan->backward && !sscan->rs_parallel)
	{
		lsm_iter   *it = scan->view->iter;

		if (backward)
		{
			if (scan->have_last && !scan->exhausted)
			{
				seek_rowid(scan, scan->last_rowid);
				if (lsm_iter_valid(it))
					lsm_iter_prev(it);
				else
					lsm_iter_seek_last(it);
			}
			else if (scan->exhausted)
			{
				if (scan->max_rowid != PG_UINT64_MAX)
				{
					seek_rowid(scan, scan->max_rowid + 1);
					if (lsm_iter_valid(it))
						lsm_iter_prev(it);
					else
						lsm_iter_seek_last(it);
				}
				else
					lsm_iter_seek_last(it);
			}
			else
			{
				/* before the first row: nothing behind us */
				ExecClearTuple(slot);
				return false;
			}
			scan->positioned = true;
			scan->exhausted = false;
		}
		else
		{
			if (scan->have_last)
				seek_rowid(scan, scan->last_rowid + 1);
			else
				scan->positioned = false;
			if (scan->have_last)
				scan->positioned = true;
			scan->exhausted = false;
		}
		scan->backward = backward;
	}

	if (backward)
	{
		lsm_iter   *it = scan->view->iter;

		if (!scan->positioned)
		{
			lsm_iter_seek_last(it);
			scan->positioned = true;
		}
		while (lsm_iter_valid(it))
		{
			size_t		klen;
			uint64		rowid = lsm_get_be64(lsm_iter_key(it, &klen));
			bool		found;
			uint64		version_of;

			CHECK_FOR_INTERRUPTS();
			if (rowid < scan->min_rowid)
				break;
			if (rowid > scan->max_rowid)
			{
				lsm_iter_prev(it);
				continue;
			}

			found = resolve_row_backward(rel, scan->view, sscan->rs_snapshot, slot, &rowid,
										 &version_of);
			if (scan->by_version)
				found = version_in_range(scan, found, rowid, version_of, slot);
			if (found)
			{
				scan->have_last = true;
				scan->last_rowid = rowid;
				pgstat_count_heap_getnext(rel);
				return true;
			}
		}
		lsm_check_iter_status(scan->view, it);
		/* before the first row now */
		scan->have_last = false;
		ExecClearTuple(slot);
		return false;
	}

	if (scan->exhausted)
	{
		ExecClearTuple(slot);
		return false;
	}
	for (;;)
	{
		lsm_iter   *it = scan->view->iter;

		CHECK_FOR_INTERRUPTS();
		if (!scan->positioned)
		{
			if (sscan->rs_parallel)
			{
				if (!parallel_next_range(scan))
					break;
				seek_rowid(scan, scan->min_rowid);
			}
			else if (scan->min_rowid > 0)
				seek_rowid(scan, scan->min_rowid);
			else
				lsm_iter_seek_first(it);
			scan->positioned = true;
		}
		if (!lsm_iter_valid(it))
		{
			lsm_check_iter_status(scan->view, it);
			if (sscan->rs_parallel)
			{
				scan->positioned = false;
				continue;
			}
			break;
		}
		{
			size_t		klen;
			const char *k = lsm_iter_key(it, &klen);
			uint64		rowid;
			bool		found;
			uint64		version_of;

			if (klen >= LSM_ROWKEY_LEN && lsm_get_be64(k) > scan->max_rowid)
			{
				if (sscan->rs_parallel)
				{
					scan->positioned = false;
					continue;
				}
				break;
			}

			found = resolve_row(rel, scan->view, sscan->rs_snapshot, slot, &rowid, &version_of);
			if (scan->by_version)
				found = version_in_range(scan, found, rowid, version_of, slot);
			if (found)
			{
				scan->have_last = true;
				scan->last_rowid = rowid;
				pgstat_count_heap_getnext(rel);
				return true;
			}
		}
	}
	scan->exhausted = true;
	ExecClearTuple(slot);
	return false;
}

static void
lsmam_scan_set_tidrange(TableScanDesc sscan, ItemPointer mintid, ItemPointer maxtid)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;

	scan_close_view(scan);
	scan->exhausted = false;
	scan->backward = false;
	scan->have_last = false;
	scan->by_version = true;

	/*
	 * TIDs of a block b are b*291+1 .. b*291+291 in row ids; offsets
	 * outside 1..291 (the executor moves a bound past an excluded TID, to
	 * offset 0 or 65535) clamp to the block's ends.
	 */
	{
		BlockNumber b = ItemPointerGetBlockNumberNoCheck(mintid);
		OffsetNumber o = ItemPointerGetOffsetNumberNoCheck(mintid);

		if (o == 0)
			scan->min_rowid = (uint64) b * LSM_TIDS_PER_BLOCK;
		else if (o > LSM_TIDS_PER_BLOCK)
			scan->min_rowid = (uint64) (b + 1) * LSM_TIDS_PER_BLOCK;
		else
			scan->min_rowid = lsm_tid_to_rowid(mintid);
	}
	{
		BlockNumber b = ItemPointerGetBlockNumberNoCheck(maxtid);
		OffsetNumber o = ItemPointerGetOffsetNumberNoCheck(maxtid);

		if (o == 0)
		{
			if (b == 0)
				scan->exhausted = true;
			else
				scan->max_rowid = (uint64) b * LSM_TIDS_PER_BLOCK - 1;
		}
		else if (o > LSM_TIDS_PER_BLOCK)
			scan->max_rowid = (uint64) b * LSM_TIDS_PER_BLOCK + LSM_TIDS_PER_BLOCK - 1;
		else
			scan->max_rowid = lsm_tid_to_rowid(maxtid);
	}
	if (scan->min_rowid > scan->max_rowid)
		scan->exhausted = true;
}

static bool
lsmam_scan_getnextslot_tidrange(TableScanDesc sscan, ScanDirection direction,
								TupleTableSlot *slot)
{
	return lsmam_scan_getnextslot(sscan, direction, slot);
}

/* ---------- parallel scans ---------- */

static Size
lsmam_parallelscan_estimate(Relation rel)
{
	return sizeof(LsmParallelScanDescData);
}

static Size
lsmam_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan)
{
	LsmParallelScanDescData *p = (LsmParallelScanDescData *) pscan;
	LsmRelState *st = lsm_memstore_open(rel);

	p->base.phs_relid = RelationGetRelid(rel);
	p->base.phs_syncscan = false;
	p->end_rowid = lsm_memstore_next_seq(st);
	pg_atomic_init_u64(&p->next_rowid, 0);
	return sizeof(LsmParallelScanDescData);
}

static void
lsmam_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan)
{
	LsmParallelScanDescData *p = (LsmParallelScanDescData *) pscan;

	pg_atomic_write_u64(&p->next_rowid, 0);
}

/* ---------- point lookups by row id ---------- */

typedef struct LsmIndexFetchData
{
	IndexFetchTableData base;
} LsmIndexFetchData;

/*
 * Find the version of row `rowid` visible to snapshot in view; with
 * all_dead, also say whether the row is dead for every snapshot (deleted
 * by a transaction every snapshot sees as committed, or never committed),
 * so that index AMs may drop their entries for it.
 */
static bool
fetch_row(Relation rel, LsmReadView *view, uint64 rowid, Snapshot snapshot,
		  TupleTableSlot *slot, bool *all_dead)
{
	LsmRowEntry *e;
	int			n = lsm_row_get_upto_visible(view, rowid, snapshot, &e);
	int			put = lsm_row_visible_put(e, n, snapshot);

	if (all_dead)
		*all_dead = n > 0 && lsm_row_dead_to_all(rel, e, n, NULL);
	lsm_ssi_check_entries(rel, snapshot, e, n, put);
	if (put < 0)
	{
		/* last: it may close view */
		if (all_dead && n == 0)
			*all_dead = lsm_absent_row_dead(rel, rowid);
		return false;
	}
	lsm_store_row(rel, slot, e[put].seq, &e[put].hdr, e[put].body, e[put].bodylen,
				  lsm_row_xmax(e, put));
	/* a running speculative insertion: wait for it, not for its transaction */
	if (snapshot->snapshot_type == SNAPSHOT_DIRTY && e[put].seq == rowid &&
		TransactionIdEquals(snapshot->xmin, e[put].hdr.xid))
		snapshot->speculativeToken = lsm_spec_token(&rel->rd_node, rowid, e[put].hdr.xid);
	/* SERIALIZABLE: a fetch by row id locks the version it returns (heap: the tuple) */
	if (IsMVCCSnapshot(snapshot))
	{
		ItemPointerData vtid;

		lsm_version_tid(e[put].seq, &vtid);
		PredicateLockTID(rel, &vtid, snapshot, e[put].hdr.xid);
	}
	return true;
}

/*
 * Fetch version seq of row rowid (a fetch by that version's TID, as
 * heap_fetch): stored in slot if snapshot sees it (SnapshotAny: if it
 * exists).
 */
static bool
fetch_version(Relation rel, LsmReadView *view, uint64 rowid, uint64 seq, Snapshot snapshot,
			  TupleTableSlot *slot)
{
	LsmRowEntry *e;
	int			n = lsm_row_get_upto_version(view, rowid, seq, &e);
	int			ver = lsm_row_find_version(e, n, seq);
	bool		visible;

	if (ver < 0)
		return false;
	visible = lsm_version_visible(e, n, ver, snapshot);
	lsm_ssi_check_version(rel, snapshot, e, ver, visible);
	if (!visible)
		return false;
	lsm_store_row(rel, slot, seq, &e[ver].hdr, e[ver].body, e[ver].bodylen,
				  lsm_row_xmax(e, ver));
	if (IsMVCCSnapshot(snapshot))
		PredicateLockTID(rel, &slot->tts_tid, snapshot, e[ver].hdr.xid);
	return true;
}

/*
 * A TID range or sample scan met the row at key (found: its visible
 * version is in slot): keep that version if its TID is in the scan's
 * range; at a later version's back-pointer (version_of: the row), return
 * that version if the snapshot sees it.  So every version is returned
 * once, by its own TID.
 */
static bool
version_in_range(LsmScanDesc scan, bool found, uint64 key, uint64 version_of,
				 TupleTableSlot *slot)
{
	if (found)
	{
		uint64		v = lsm_tid_to_rowid(&slot->tts_tid);

		if (v >= scan->min_rowid && v <= scan->max_rowid)
			return true;
		ExecClearTuple(slot);
		return false;
	}
	if (version_of == 0)
		return false;
	return fetch_version(scan->rs_base.rs_rd, scan->view, version_of, key,
						 scan->rs_base.rs_snapshot, slot);
}

static IndexFetchTableData *
lsmam_index_fetch_begin(Relation rel)
{
	LsmIndexFetchData *f = palloc0(sizeof(LsmIndexFetchData));

	f->base.rel = rel;
	return &f->base;
}

static void
lsmam_index_fetch_reset(IndexFetchTableData *scan)
{
	/* nothing held between fetches: lookups use the transaction's view */
}

static void
lsmam_index_fetch_end(IndexFetchTableData *scan)
{
	lsmam_index_fetch_reset(scan);
	pfree(scan);
}

static bool
lsmam_index_fetch_tuple(IndexFetchTableData *scan, ItemPointer tid,
						Snapshot snapshot, TupleTableSlot *slot,
						bool *call_again, bool *all_dead)
{

	*call_again = false;
	if (all_dead)
		*all_dead = false;
	/* the transaction's view: one per fetch would reopen every SSTable */
	if (!fetch_row(scan->rel, lsm_current_view(scan->rel), lsm_tid_to_rowid(tid),
				   snapshot, slot, all_dead))
		return false;
	/* as heap's HOT chain search: *tid becomes the version found */
	*tid = slot->tts_tid;
	return true;
}

static bool
lsmam_tuple_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
							  TupleTableSlot *slot)
{
	uint64		rowid = lsm_resolve_tid(rel, tid);

	if (rowid == 0)
		return false;
	return fetch_version(rel, lsm_current_view(rel), rowid, lsm_tid_to_rowid(tid),
						 snapshot, slot);
}

static bool
lsmam_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	LsmRelState *st = lsm_memstore_open(scan->rs_rd);
	uint64		rowid = lsm_tid_to_rowid(tid);

	return ItemPointerIsValid(tid) && rowid >= LSM_FIRST_SEQ && rowid < lsm_memstore_next_seq(st);
}

static void
lsmam_tuple_get_latest_tid(TableScanDesc scan, ItemPointer tid)
{
	lsm_dml_latest_tid(scan->rs_rd, tid);
}

static bool
lsmam_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot)
{
	TupleTableSlot *tmp = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	bool		found = lsmam_tuple_fetch_row_version(rel, &slot->tts_tid, snapshot, tmp);

	ExecDropSingleTupleTableSlot(tmp);
	return found;
}

/*
 * Which of the index entries handed to us point to rows dead for every
 * snapshot (so that the index AM may delete them)?  Returns the newest xid
 * that made such a row dead, for recovery conflicts.
 */
static TransactionId
lsmam_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	LsmReadView *view = lsm_current_view(rel);
	TransactionId latest = InvalidTransactionId;
	int			budget = delstate->bottomup ? 64 : INT_MAX;
	int			pass;
	int			i;

	for (i = 0; i < delstate->ndeltids; i++)
		delstate->status[delstate->deltids[i].id].knowndeletable = false;

	/*
	 * Simple deletion asks about entries the index already believes dead:
	 * check them all.  Bottom-up deletion offers every duplicate of a full
	 * page; as heap does, spend a bounded effort, promising entries first
	 * (each check here is a row lookup).
	 */
	for (pass = 0; pass < 2 && budget > 0; pass++)
	{
		for (i = 0; i < delstate->ndeltids && budget > 0; i++)
		{
			TM_IndexDelete *d = &delstate->deltids[i];
			TM_IndexStatus *s = &delstate->status[d->id];
			LsmRowEntry *e;
			int			n;
			TransactionId xid = InvalidTransactionId;

			if (delstate->bottomup && (pass == 0) != s->promising)
				continue;
			if (!delstate->bottomup && pass == 1)
				break;
			budget--;
			n = lsm_row_get_upto_version(view, lsm_tid_to_rowid(&d->tid), 0, &e);
			if (n == 0)
			{
				/* it may close view */
				if (lsm_absent_row_dead(rel, lsm_tid_to_rowid(&d->tid)))
					s->knowndeletable = true;
				view = lsm_current_view(rel);
			}
			else if (lsm_row_dead_to_all(rel, e, n, &xid))
			{
				s->knowndeletable = true;
				if (TransactionIdIsValid(xid) &&
					(!TransactionIdIsValid(latest) || TransactionIdFollows(xid, latest)))
					latest = xid;
			}
		}
	}
	return latest;
}

/* ---------- inserts ---------- */

/*
 * May new rows of rel wait in the transaction's write batch?  Not if
 * another backend may need to find them before we commit: a unique or
 * exclusion check of a concurrent inserter fetches the rows its index
 * names with a dirty snapshot, to wait for their inserter; nor under
 * SERIALIZABLE, where a reader's SSI check meets our rows.  The index
 * part is cached in the relcache entry (rebuilt when indexes change).
 */
static bool
rows_batchable(Relation rel)
{
	LsmStateCache *cache;

	if (!lsm_write_batch_rows || lsm_write_batch_size == 0 ||
		IsolationIsSerializable() || IsParallelWorker())
		return false;
	(void) lsm_memstore_open(rel);
	cache = (LsmStateCache *) rel->rd_amcache;
	if (cache->rows_batchable < 0)
	{
		List	   *indexes = RelationGetIndexList(rel);
		ListCell   *lc;
		bool		ok = true;

		foreach(lc, indexes)
		{
			HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
			Form_pg_index idx;

			if (!HeapTupleIsValid(tup))
				elog(ERROR, "cache lookup failed for index %u", lfirst_oid(lc));
			idx = (Form_pg_index) GETSTRUCT(tup);
			if (idx->indisunique || idx->indisexclusion)
				ok = false;
			ReleaseSysCache(tup);
		}
		list_free(indexes);
		/* the lookups may have rebuilt the relcache entry */
		(void) lsm_memstore_open(rel);
		cache = (LsmStateCache *) rel->rd_amcache;
		cache->rows_batchable = ok ? 1 : 0;
	}
	return cache->rows_batchable == 1;
}

static void
lsmam_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
				   int options, struct BulkInsertStateData *bistate)
{
	LsmWriteOp	op;

	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	memset(&op, 0, sizeof(op));
	op.type = LSM_TYPE_PUT;
	op.value = lsm_form_row_value(rel, slot, cid, options, NULL, &op.vlen);
	if (rows_batchable(rel) && lsm_batch_take_seq(rel, &op.seq))
	{
		op.seq_preset = true;
		lsm_batch_add(rel, &op);
	}
	else
		lsm_memstore_write(rel, &op, 1);
	lsm_stamp_slot(rel, slot, op.seq, cid);
	pgstat_count_heap_insert(rel, 1);
	pfree((char *) op.value);
}

static void
lsmam_multi_insert(Relation rel, TupleTableSlot **slots, int nslots,
				   CommandId cid, int options, struct BulkInsertStateData *bistate)
{
	LsmWriteOp *ops = palloc0(sizeof(LsmWriteOp) * nslots);
	bool		batchable = rows_batchable(rel);
	int			i;

	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	for (i = 0; i < nslots; i++)
	{
		ops[i].type = LSM_TYPE_PUT;
		ops[i].value = lsm_form_row_value(rel, slots[i], cid, options, NULL, &ops[i].vlen);
		/* held back as tuple_insert's rows are (a COPY becomes a bulk load) */
		if (!batchable)
			continue;
		if (lsm_batch_take_seq(rel, &ops[i].seq))
		{
			ops[i].seq_preset = true;
			lsm_batch_add(rel, &ops[i]);
		}
		else
			lsm_memstore_write(rel, &ops[i], 1);
	}
	if (!batchable)
		lsm_memstore_write(rel, ops, nslots);
	for (i = 0; i < nslots; i++)
	{
		lsm_stamp_slot(rel, slots[i], ops[i].seq, cid);
		pfree((char *) ops[i].value);
	}
	pgstat_count_heap_insert(rel, nslots);
	pfree(ops);
}

/*
 * ON CONFLICT: the row goes in as usual, and is registered as a
 * speculative insertion until it completes, so that others who meet it
 * through a dirty snapshot wait for the insertion (its token) rather than
 * for our whole transaction, as with heap.
 */
static void
lsmam_tuple_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid,
							   int options, struct BulkInsertStateData *bistate, uint32 specToken)
{
	lsm_spec_begin(&rel->rd_node, GetCurrentTransactionId(), specToken);
	lsmam_tuple_insert(rel, slot, cid, options, bistate);
	lsm_spec_set_rowid(lsm_tid_to_rowid(&slot->tts_tid));
}

static void
lsmam_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
								 uint32 specToken, bool succeeded)
{
	if (!succeeded)
		lsm_dml_kill_speculative(rel, &slot->tts_tid);
	lsm_spec_end();
}

static TM_Result
lsmam_tuple_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot,
				   Snapshot crosscheck, bool wait, TM_FailureData *tmfd, bool changingPart)
{
	return lsm_dml_delete(rel, tid, cid, snapshot, crosscheck, wait, tmfd, changingPart);
}

static TM_Result
lsmam_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
				   CommandId cid, Snapshot snapshot, Snapshot crosscheck,
				   bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
				   bool *update_indexes)
{
	return lsm_dml_update(rel, otid, slot, cid, snapshot, crosscheck, wait, tmfd,
						  lockmode, update_indexes);
}

static TM_Result
lsmam_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
				 TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
				 LockWaitPolicy wait_policy, uint8 flags, TM_FailureData *tmfd)
{
	return lsm_dml_lock(rel, tid, snapshot, slot, cid, mode, wait_policy, flags, tmfd);
}

static void
lsmam_finish_bulk_insert(Relation rel, int options)
{
	/*
	 * Rows held back are written now: ALTER TABLE's rewrite and REFRESH
	 * swap the new relation's storage in right after this.  Everything
	 * written is WAL-logged; nothing to sync.
	 */
	lsm_batch_apply(rel);
}

/* ---------- DDL ---------- */

void
lsm_tableam_init(void)
{
	lsm_register_table_am(lsm_table_am_routine());
}

static void
lsmam_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
								char persistence, TransactionId *freezeXid,
								MultiXactId *minmulti)
{
	SMgrRelation srel;

	lsm_check_preloaded();
	/* new storage (TRUNCATE): rows held back for the old one are gone */
	lsm_batch_forget(RelationGetRelid(rel));
	if (persistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("temporary lsm tables are not supported"),
				 errdetail("lsm memtables live in shared memory, which temporary tables cannot use."),
				 errhint("Create the temporary table with USING heap.")));
	if (persistence == RELPERSISTENCE_UNLOGGED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unlogged lsm tables are not supported"),
				 errhint("Create a logged table, or an unlogged table USING heap.")));

	*freezeXid = RecentXmin;
	*minmulti = GetOldestMultiXactId();

	srel = RelationCreateStorage(*newrnode, persistence, true);
	smgrclose(srel);

	/* the relfilenode is new: forget any state from an earlier life */
	lsm_state_discard(newrnode);
	lsm_pending_discard(newrnode, false);
	if (!RelFileNodeEquals(rel->rd_node, *newrnode))
		lsm_pending_discard(&rel->rd_node, true);
}

static void
lsmam_relation_nontransactional_truncate(Relation rel)
{
	/* the rows held back go with the others */
	lsm_batch_forget(RelationGetRelid(rel));
	lsm_state_discard(&rel->rd_node);
	if (rel->rd_amcache)
		pfree(rel->rd_amcache);
	rel->rd_amcache = NULL;
	RelationTruncate(rel, 0);
}

static void
lsmam_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	SMgrRelation dstrel = smgropen(*newrnode, rel->rd_backend);

	/* rows held back go in first; the log pages carry the memtables */
	lsm_batch_apply(rel);
	FlushRelationBuffers(rel);
	RelationCreateStorage(*newrnode, rel->rd_rel->relpersistence, true);
	RelationCopyStorage(RelationGetSmgr(rel), dstrel, MAIN_FORKNUM,
						rel->rd_rel->relpersistence);
	RelationDropStorage(rel);
	smgrclose(dstrel);
	lsm_state_discard(newrnode);
	lsm_pending_discard(newrnode, false);
	lsm_pending_discard(&rel->rd_node, true);
}

/* Does a stored row body (from t_infomask2 on) hold TOAST pointers? */
static bool
body_has_external_values(const char *body, Size bodylen)
{
	uint16		infomask;
	Size		off = offsetof(HeapTupleHeaderData, t_infomask) -
		offsetof(HeapTupleHeaderData, t_infomask2);

	if (bodylen < off + sizeof(uint16))
		return false;
	memcpy(&infomask, body + off, sizeof(uint16));
	return (infomask & HEAP_HASEXTERNAL) != 0;
}

/*
 * VACUUM FULL and CLUSTER: copy into the new relfilenode every row some
 * snapshot may still see, with its original transaction ids (frozen where
 * every snapshot sees them committed) and its tombstones, dropping rows
 * dead to everyone.  New versions are written first, in row-id order, so
 * that the tombstones' update links can be mapped to the new row ids.
 * lsm tables keep rows in row-id order: CLUSTER's index order is not
 * applied (it rewrites as VACUUM FULL does).
 */
typedef struct CopiedRow
{
	uint64		old_rowid;
	uint64		new_rowid;
} CopiedRow;

typedef struct CopiedDelete
{
	uint64		old_rowid;
	LsmRowHeader hdr;
	uint64		link;
} CopiedDelete;

static int
copied_cmp(const void *a, const void *b)
{
	uint64		x = ((const CopiedRow *) a)->old_rowid;
	uint64		y = ((const CopiedRow *) b)->old_rowid;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static uint64
map_rowid(CopiedRow *rows, int64 n, uint64 old)
{
	CopiedRow	key = {old, 0};
	CopiedRow  *hit = bsearch(&key, rows, n, sizeof(CopiedRow), copied_cmp);

	return hit ? hit->new_rowid : 0;
}

static void
lsmam_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
								Relation OldIndex, bool use_sort,
								TransactionId OldestXmin,
								TransactionId *xid_cutoff,
								MultiXactId *multi_cutoff,
								double *num_tuples,
								double *tups_vacuumed,
								double *tups_recently_dead)
{
	LsmReadView *view = lsm_read_view_open(OldTable, NULL, CurrentMemoryContext);
	lsm_iter   *it = view->iter;
	CopiedRow  *rows = NULL;
	int64		nrows = 0,
				maxrows = 0;
	CopiedDelete *dels = NULL;
	int64		ndels = 0,
				maxdels = 0;
	TransactionId min_unfrozen = OldestXmin;
	int64		i;
	int		   *ver = NULL;
	int			nver = 0,
				maxver = 0;

	*num_tuples = *tups_vacuumed = *tups_recently_dead = 0;
	for (lsm_iter_seek_first(it); lsm_iter_valid(it);)
	{
		size_t		klen;
		uint64		rowid = lsm_get_be64(lsm_iter_key(it, &klen));
		LsmRowEntry *e;
		int			n;
		int			put;
		int			k;
		int			v;
		uint64		new_rowid;

		CHECK_FOR_INTERRUPTS();
		while (lsm_iter_valid(it) && lsm_get_be64(lsm_iter_key(it, &klen)) == rowid)
			lsm_iter_next(it);
		n = lsm_view_get_row(view, rowid, &e);
		for (k = 0; k < n && e[k].type != LSM_TYPE_PUT; k++)
			;
		if (k == n)
			continue;			/* no row: a back-pointer (rewritten with its version) */
		if (lsm_row_dead_to_all(OldTable, e, n, NULL))
		{
			*tups_vacuumed += 1;
			continue;
		}
		if (lsm_row_visible_put(e, n, SnapshotSelf) >= 0)
			*num_tuples += 1;
		else
			*tups_recently_dead += 1;

		/*
		 * The versions some snapshot may still see: from the newest down
		 * to the first one committed before OldestXmin (older ones are
		 * replaced for everybody).  They are written oldest first, the
		 * oldest as a new row (its seq is the new row id), the others as
		 * its later versions.
		 */
		nver = 0;
		for (k = 0; k < n; k++)
		{
			if (e[k].type != LSM_TYPE_PUT || lsm_entry_is_aborted(&e[k].hdr))
				continue;
			if (nver == maxver)
			{
				maxver = Max(8, maxver * 2);
				ver = ver ? repalloc(ver, sizeof(int) * maxver) : palloc(sizeof(int) * maxver);
			}
			ver[nver++] = k;
			if ((e[k].hdr.flags & LSM_ROW_FROZEN) ||
				(TransactionIdIsNormal(e[k].hdr.xid) &&
				 TransactionIdPrecedes(e[k].hdr.xid, OldestXmin) &&
				 TransactionIdDidCommit(e[k].hdr.xid)))
				break;
		}
		if (nver == 0)
			continue;
		put = ver[0];
		*tups_recently_dead += nver - 1;
		new_rowid = 0;
		for (v = nver - 1; v >= 0; v--)
		{
			LsmWriteOp	op;
			LsmRowHeader h = e[ver[v]].hdr;
			char	   *body = e[ver[v]].body;
			Size		bodylen = e[ver[v]].bodylen;
			char	   *val;
			char		key[LSM_ROWKEY_LEN];
			MinimalTuple retoasted = NULL;

			/*
			 * TOASTed values point into the old TOAST relation, which goes
			 * away with the old storage: re-toast them into the new one, as
			 * heap's rewrite does.
			 */
			if (body_has_external_values(body, bodylen))
			{
				TupleTableSlot *tmp = MakeSingleTupleTableSlot(RelationGetDescr(OldTable),
															   &TTSOpsHeapTuple);
				HeapTuple	tup;
				HeapTuple	toasted;

				lsm_store_row(OldTable, tmp, rowid, &h, body, bodylen, InvalidTransactionId);
				tup = ExecCopySlotHeapTuple(tmp);
				toasted = heap_toast_insert_or_update(NewTable, tup, NULL,
													  HEAP_INSERT_NO_LOGICAL);
				retoasted = minimal_tuple_from_heap_tuple(toasted);
				body = (char *) retoasted + LSM_ROW_TUPLE_OFFSET;
				bodylen = retoasted->t_len - LSM_ROW_TUPLE_OFFSET;
				ExecDropSingleTupleTableSlot(tmp);
			}
			val = palloc(sizeof(LsmRowHeader) + bodylen);

			if (!(h.flags & LSM_ROW_FROZEN) && TransactionIdIsNormal(h.xid) &&
				TransactionIdPrecedes(h.xid, OldestXmin) && TransactionIdDidCommit(h.xid))
				h.flags |= LSM_ROW_FROZEN;
			if (!(h.flags & LSM_ROW_FROZEN) && TransactionIdIsNormal(h.xid) &&
				TransactionIdPrecedes(h.xid, min_unfrozen))
				min_unfrozen = h.xid;
			memcpy(val, &h, sizeof(h));
			memcpy(val + sizeof(h), body, bodylen);
			memset(&op, 0, sizeof(op));
			op.type = LSM_TYPE_PUT;
			op.value = val;
			op.vlen = sizeof(h) + bodylen;
			if (new_rowid == 0)
			{
				lsm_memstore_write(NewTable, &op, 1);
				new_rowid = op.seq;
			}
			else
			{
				/* a later version, and its back-pointer keyed by its seq */
				LsmWriteOp	ops[2];
				LsmRowHeader bh;
				LsmRowLink	bl;
				char		bval[sizeof(LsmRowHeader) + sizeof(LsmRowLink)];

				lsm_put_be64(key, new_rowid);
				op.key = key;
				op.keylen = LSM_ROWKEY_LEN;
				memset(&bh, 0, sizeof(bh));
				bh.xid = h.xid;
				bh.cid = h.cid;
				bh.flags = LSM_ROW_VERSION_OF | (h.flags & LSM_ROW_FROZEN);
				bl.new_rowid = new_rowid;
				memcpy(bval, &bh, sizeof(bh));
				memcpy(bval + sizeof(bh), &bl, sizeof(bl));
				memset(ops, 0, sizeof(ops));
				ops[0] = op;
				ops[1].type = LSM_TYPE_DELETE;
				ops[1].key_is_prev_seq = true;
				ops[1].key = ops[1].keybuf;
				ops[1].keylen = LSM_ROWKEY_LEN;
				ops[1].value = bval;
				ops[1].vlen = sizeof(bval);
				lsm_memstore_write(NewTable, ops, 2);
			}
			pfree(val);
			if (retoasted)
				pfree(retoasted);
		}
		if (nrows == maxrows)
		{
			maxrows = Max(1024, maxrows * 2);
			rows = rows ? repalloc_huge(rows, sizeof(CopiedRow) * maxrows) :
				palloc_extended(sizeof(CopiedRow) * maxrows, MCXT_ALLOC_HUGE);
		}
		rows[nrows].old_rowid = rowid;
		rows[nrows].new_rowid = new_rowid;
		nrows++;
		/* its tombstones, later: they may link to rows not copied yet */
		for (k = 0; k < put; k++)
		{
			if (e[k].type != LSM_TYPE_DELETE || lsm_entry_is_aborted(&e[k].hdr))
				continue;
			if (ndels == maxdels)
			{
				maxdels = Max(256, maxdels * 2);
				dels = dels ? repalloc_huge(dels, sizeof(CopiedDelete) * maxdels) :
					palloc_extended(sizeof(CopiedDelete) * maxdels, MCXT_ALLOC_HUGE);
			}
			dels[ndels].old_rowid = rowid;
			dels[ndels].hdr = e[k].hdr;
			dels[ndels].link = e[k].link;
			if (TransactionIdIsNormal(e[k].hdr.xid) &&
				TransactionIdPrecedes(e[k].hdr.xid, min_unfrozen))
				min_unfrozen = e[k].hdr.xid;
			ndels++;
		}
	}
	lsm_check_iter_status(view, it);
	lsm_read_view_close(view);

	/* rows[] is in old row-id order already */
	for (i = 0; i < ndels; i++)
	{
		LsmWriteOp	op;
		char		key[LSM_ROWKEY_LEN];
		char		val[sizeof(LsmRowHeader) + sizeof(LsmRowLink)];
		LsmRowLink	link;
		Size		vlen = sizeof(LsmRowHeader);

		lsm_put_be64(key, map_rowid(rows, nrows, dels[i].old_rowid));
		memcpy(val, &dels[i].hdr, sizeof(LsmRowHeader));
		if (dels[i].link != 0)
		{
			link.new_rowid = map_rowid(rows, nrows, dels[i].link);
			memcpy(val + sizeof(LsmRowHeader), &link, sizeof(link));
			vlen += sizeof(link);
		}
		memset(&op, 0, sizeof(op));
		op.type = LSM_TYPE_DELETE;
		op.key = key;
		op.keylen = LSM_ROWKEY_LEN;
		op.value = val;
		op.vlen = vlen;
		lsm_memstore_write(NewTable, &op, 1);
	}
	*xid_cutoff = min_unfrozen;
	*multi_cutoff = GetOldestMultiXactId();
	if (rows)
		pfree(rows);
	if (dels)
		pfree(dels);
}

static void
lsmam_relation_vacuum(Relation rel, struct VacuumParams *params,
					  BufferAccessStrategy bstrategy)
{
	lsm_vacuum_relation(rel, params, bstrategy);
}

/*
 * ANALYZE samples physical blocks 0..N-1 and extrapolates row counts by
 * N.  Rows are not stored by block here, so block b stands for the b-th
 * of N equal slices of the row-id space: the rows sampled per block then
 * extrapolate to the table's live rows.
 */
static bool
lsmam_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
							  BufferAccessStrategy bstrategy)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;
	uint64		span = scan->an_end_rowid > LSM_FIRST_SEQ ?
		scan->an_end_rowid - LSM_FIRST_SEQ : 0;
	BlockNumber n = Max(scan->an_nblocks, 1);

	if (blockno >= n || span == 0)
		return false;
	scan->min_rowid = LSM_FIRST_SEQ + span * blockno / n;
	scan->max_rowid = LSM_FIRST_SEQ + span * (blockno + 1) / n;
	if (scan->max_rowid <= scan->min_rowid)
		return false;
	scan->max_rowid--;
	scan->positioned = false;
	scan->exhausted = false;
	return true;
}

static bool
lsmam_scan_analyze_next_tuple(TableScanDesc sscan, TransactionId OldestXmin,
							  double *liverows, double *deadrows,
							  TupleTableSlot *slot)
{
	if (lsmam_scan_getnextslot(sscan, ForwardScanDirection, slot))
	{
		*liverows += 1;
		return true;
	}
	return false;
}

/*
 * Index build: every row version that some snapshot may still see is
 * indexed (tupleIsAlive false for those already deleted), rows dead to
 * everybody and never-committed ones are skipped.  Honors a block range
 * (BRIN summarizes ranges: TID block b holds rows b*291 .. b*291+290) and
 * parallel builds (the shared scan hands out row-id chunks).
 */
static double
lsmam_index_build_range_scan(Relation table_rel, Relation index_rel,
							 struct IndexInfo *index_info, bool allow_sync,
							 bool anyvisible, bool progress,
							 BlockNumber start_blockno, BlockNumber numblocks,
							 IndexBuildCallback callback, void *callback_state,
							 TableScanDesc sscan)
{
	LsmScanDesc pscan = (LsmScanDesc) sscan;
	EState	   *estate = CreateExecutorState();
	ExprContext *econtext = GetPerTupleExprContext(estate);
	TupleTableSlot *slot = table_slot_create(table_rel, NULL);
	ExprState  *predicate;
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];
	LsmReadView *view = lsm_read_view_open(table_rel, NULL, CurrentMemoryContext);
	lsm_iter   *it = view->iter;
	double		reltuples = 0;
	uint64		lo = (uint64) start_blockno * LSM_TIDS_PER_BLOCK;
	uint64		hi = numblocks == InvalidBlockNumber ? PG_UINT64_MAX :
		(uint64) (start_blockno + numblocks) * LSM_TIDS_PER_BLOCK - 1;
	bool		positioned = false;
	Snapshot	mvcc = NULL;

	econtext->ecxt_scantuple = slot;
	predicate = ExecPrepareQual(index_info->ii_Predicate, estate);
	/* a concurrent build indexes what a fresh MVCC snapshot sees, as heap's */
	if (index_info->ii_Concurrent)
		mvcc = RegisterSnapshot(GetTransactionSnapshot());

	for (;;)
	{
		uint64		rowid;
		LsmRowEntry *e;
		int			n;
		int			put;
		bool		alive;
		ItemPointerData tid;

		CHECK_FOR_INTERRUPTS();
		if (!positioned)
		{
			if (pscan && sscan->rs_parallel)
			{
				if (!parallel_next_range(pscan))
					break;
				lo = pscan->min_rowid;
				hi = pscan->max_rowid;
			}
			seek_rowid_iter(it, lo);
			positioned = true;
		}
		if (!lsm_iter_valid(it))
		{
			lsm_check_iter_status(view, it);
			if (pscan && sscan->rs_parallel)
			{
				positioned = false;
				continue;
			}
			break;
		}
		{
			size_t		klen;
			const char *k = lsm_iter_key(it, &klen);

			rowid = lsm_get_be64(k);
		}
		if (rowid > hi)
		{
			if (pscan && sscan->rs_parallel)
			{
				positioned = false;
				continue;
			}
			break;
		}
		/* skip this row's entries in the merged iterator */
		{
			size_t		klen;

			while (lsm_iter_valid(it) &&
				   lsm_get_be64(lsm_iter_key(it, &klen)) == rowid)
				lsm_iter_next(it);
		}

		n = lsm_view_get_row(view, rowid, &e);
		if (mvcc != NULL)
		{
			/* CREATE INDEX CONCURRENTLY: what the build's snapshot sees */
			put = lsm_row_visible_put(e, n, mvcc);
			if (put < 0)
				continue;
			alive = true;
		}
		else
		{
			int			k;

			/* the newest version (aborted PUTs are none) */
			for (put = 0; put < n; put++)
				if (e[put].type == LSM_TYPE_PUT && !lsm_entry_is_aborted(&e[put].hdr))
					break;
			if (put == n)
				continue;
			if (lsm_row_dead_to_all(table_rel, e, n, NULL))
				continue;
			alive = lsm_row_visible_put(e, n, SnapshotSelf) >= 0;
			if (anyvisible && !alive)
				continue;

			/*
			 * Older versions some snapshot may still see may differ in the
			 * new index's columns: as heap with a broken HOT chain, the
			 * index is then not used by transactions older than the build
			 * (indcheckxmin).
			 */
			if (!(e[put].hdr.flags & LSM_ROW_FROZEN) &&
				!(TransactionIdIsNormal(e[put].hdr.xid) &&
				  TransactionIdDidCommit(e[put].hdr.xid) &&
				  GlobalVisTestIsRemovableXid(GlobalVisTestFor(table_rel), e[put].hdr.xid)))
			{
				for (k = put + 1; k < n; k++)
					if (e[k].type == LSM_TYPE_PUT && !lsm_entry_is_aborted(&e[k].hdr))
					{
						index_info->ii_BrokenHotChain = true;
						break;
					}
			}
		}

		MemoryContextReset(econtext->ecxt_per_tuple_memory);
		lsm_store_row(table_rel, slot, e[put].seq, &e[put].hdr, e[put].body, e[put].bodylen,
					  InvalidTransactionId);
		reltuples += 1;
		if (predicate != NULL && !ExecQual(predicate, econtext))
			continue;
		FormIndexDatum(index_info, slot, estate, values, isnull);
		lsm_rowid_to_tid(rowid, &tid);
		callback(index_rel, &tid, values, isnull, alive, callback_state);
	}

	lsm_read_view_close(view);
	if (mvcc)
		UnregisterSnapshot(mvcc);
	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	index_info->ii_ExpressionsState = NIL;
	index_info->ii_PredicateState = NULL;
	return reltuples;
}

/*
 * CREATE INDEX CONCURRENTLY's second pass: insert the rows visible to the
 * reference snapshot that the index does not have yet.  Both the index's
 * sorted TIDs and our scan come in TID (row id) order: a merge.
 */
static void
lsmam_index_validate_scan(Relation table_rel, Relation index_rel,
						  struct IndexInfo *index_info, Snapshot snapshot,
						  struct ValidateIndexState *state)
{
	EState	   *estate = CreateExecutorState();
	ExprContext *econtext = GetPerTupleExprContext(estate);
	TupleTableSlot *slot = table_slot_create(table_rel, NULL);
	ExprState  *predicate;
	TableScanDesc scan;
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];
	ItemPointerData decoded;
	ItemPointer indexcursor = NULL;
	bool		tuplesort_empty = false;

	econtext->ecxt_scantuple = slot;
	predicate = ExecPrepareQual(index_info->ii_Predicate, estate);
	scan = table_beginscan_strat(table_rel, snapshot, 0, NULL, true, false);

	while (lsmam_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		ItemPointerData tid;

		/* index entries name the row id, whichever version is visible */
		lsm_rowid_to_tid(((LsmScanDesc) scan)->last_rowid, &tid);

		CHECK_FOR_INTERRUPTS();
		state->htups += 1;

		/* advance the index cursor to this TID */
		while (!tuplesort_empty &&
			   (!indexcursor || ItemPointerCompare(indexcursor, &tid) < 0))
		{
			Datum		ts_val;
			bool		ts_isnull;

			tuplesort_empty = !tuplesort_getdatum(state->tuplesort, true,
												  &ts_val, &ts_isnull, NULL);
			Assert(tuplesort_empty || !ts_isnull);
			if (!tuplesort_empty)
			{
				itemptr_decode(&decoded, DatumGetInt64(ts_val));
				indexcursor = &decoded;
			}
			else
				indexcursor = NULL;
		}
		if (indexcursor && ItemPointerEquals(indexcursor, &tid))
			continue;			/* the index has it */

		MemoryContextReset(econtext->ecxt_per_tuple_memory);
		if (predicate != NULL && !ExecQual(predicate, econtext))
			continue;
		FormIndexDatum(index_info, slot, estate, values, isnull);
		index_insert(index_rel, values, isnull, &tid, table_rel,
					 index_info->ii_Unique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
					 false, index_info);
		state->tups_inserted += 1;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	index_info->ii_ExpressionsState = NIL;
	index_info->ii_PredicateState = NULL;
}

/* ---------- sizes ---------- */

static uint64
lsmam_relation_size(Relation rel, ForkNumber forkNumber)
{
	return table_block_relation_size(rel, forkNumber);
}

static bool
lsmam_relation_needs_toast_table(Relation rel)
{
	return true;
}

static Oid
lsmam_relation_toast_am(Relation rel)
{
	return HEAP_TABLE_AM_OID;
}

static void
lsmam_relation_fetch_toast_slice(Relation toastrel, Oid valueid,
								 int32 attrsize, int32 sliceoffset,
								 int32 slicelength, struct varlena *result)
{
	not_supported("an lsm TOAST relation");
}

/*
 * Planner estimates: live entries counted by the manifest and memtables
 * (tombstones subtracted), pages from the relation's size.
 */
static void
lsmam_relation_estimate_size(Relation rel, int32 *attr_widths,
							 BlockNumber *pages, double *tuples,
							 double *allvisfrac)
{
	LsmRelState *st = lsm_memstore_open(rel);
	Buffer		metabuf;
	double		n = (double) lsm_memstore_entries(st);

	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf != InvalidBuffer)
	{
		LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));

		if (meta->version == 1)
		{
			int			i;

			for (i = 0; i < meta->nssts_v1; i++)
				n += (double) LsmMetaV1Ssts(meta)[i].entries -
					2.0 * LsmMetaV1Ssts(meta)[i].tombstones;
		}
		else
			n += (double) meta->entries - 2.0 * (double) meta->tombstones;
		UnlockReleaseBuffer(metabuf);
	}
	*pages = RelationGetNumberOfBlocks(rel);
	*tuples = Max(n, 0);
	*allvisfrac = 0;

	/*
	 * As heap does: a relation never vacuumed or analyzed that looks smaller
	 * than ten heap pages is planned as if it held ten pages of rows, so that
	 * plans made while it is being filled (a new table, a cached plan) do not
	 * count on it staying tiny; it also keeps index scans, and with them
	 * row-sized SERIALIZABLE predicate locks, on small new tables.
	 */
	if (rel->rd_rel->reltuples < 0 && !rel->rd_rel->relhassubclass)
	{
		int32		width = get_rel_data_width(rel, attr_widths) +
			MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData);
		double		floor_tuples = 10.0 * (double) ((BLCKSZ - SizeOfPageHeaderData) / width);

		if (*tuples < floor_tuples)
		{
			*tuples = floor_tuples;
			*pages = Max(*pages, 10);
		}
	}
}

/*
 * Bitmap heap scans: a bitmap page number is a TID block, whose offsets
 * 1..291 are row ids block*291 .. block*291+290; each candidate is looked
 * up (memtables, then SSTables past their bloom filters).  Lossy pages try
 * every offset.
 */
static bool
lsmam_scan_bitmap_next_block(TableScanDesc sscan, struct TBMIterateResult *tbmres)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;
	uint64		base = (uint64) tbmres->blockno * LSM_TIDS_PER_BLOCK;
	int			i;

	if (scan->bm_rowids == NULL)
		scan->bm_rowids = MemoryContextAlloc(scan->cxt, sizeof(uint64) * LSM_TIDS_PER_BLOCK);
	scan->bm_n = 0;
	scan->bm_next = 0;
	if (tbmres->ntuples >= 0)
	{
		for (i = 0; i < tbmres->ntuples; i++)
			if (tbmres->offsets[i] >= 1 && tbmres->offsets[i] <= LSM_TIDS_PER_BLOCK)
				scan->bm_rowids[scan->bm_n++] = base + tbmres->offsets[i] - 1;
	}
	else
	{
		for (i = 0; i < LSM_TIDS_PER_BLOCK; i++)
			scan->bm_rowids[scan->bm_n++] = base + i;
	}
	return scan->bm_n > 0;
}

static bool
lsmam_scan_bitmap_next_tuple(TableScanDesc sscan, struct TBMIterateResult *tbmres,
							 TupleTableSlot *slot)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;
	Relation	rel = sscan->rs_rd;

	while (scan->bm_next < scan->bm_n)
	{
		uint64		rowid = scan->bm_rowids[scan->bm_next++];

		CHECK_FOR_INTERRUPTS();
		if (fetch_row(rel, lsm_current_view(rel), rowid, sscan->rs_snapshot, slot, NULL))
		{
			pgstat_count_heap_fetch(rel);
			return true;
		}
	}
	ExecClearTuple(slot);
	return false;
}

/*
 * TABLESAMPLE: the sampling method chooses TID blocks (block b holds row
 * ids b*291 .. b*291+290) and offsets within them.  A chosen block's
 * visible rows are collected with one seek of the scan's merged iterator.
 */
static bool
lsmam_scan_sample_next_block(TableScanDesc sscan, struct SampleScanState *scanstate)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;
	TsmRoutine *tsm = scanstate->tsmroutine;
	Relation	rel = sscan->rs_rd;
	BlockNumber blockno;
	uint64		lo;

	if (scan->ts_rows == NULL)
	{
		uint64		end = lsm_memstore_next_seq(lsm_memstore_open(rel));

		scan->ts_nblocks = (BlockNumber) ((end + LSM_TIDS_PER_BLOCK - 1) / LSM_TIDS_PER_BLOCK);
		scan->ts_block = InvalidBlockNumber;
		scan->ts_cxt = AllocSetContextCreate(scan->cxt, "lsm tablesample", ALLOCSET_DEFAULT_SIZES);
		scan->ts_rows = MemoryContextAllocZero(scan->cxt, sizeof(HeapTuple) * LSM_TIDS_PER_BLOCK);
	}
	if (scan->ts_nblocks == 0)
		return false;
	if (tsm->NextSampleBlock)
		blockno = tsm->NextSampleBlock(scanstate, scan->ts_nblocks);
	else
		blockno = scan->ts_block == InvalidBlockNumber ? 0 : scan->ts_block + 1;
	if (!BlockNumberIsValid(blockno) || blockno >= scan->ts_nblocks)
		return false;
	scan->ts_block = blockno;

	/* the block's visible rows */
	MemoryContextReset(scan->ts_cxt);
	memset(scan->ts_rows, 0, sizeof(HeapTuple) * LSM_TIDS_PER_BLOCK);
	if (scan->view == NULL)
		scan->view = lsm_read_view_open(rel, scan->strategy, scan->cxt);
	lo = (uint64) blockno * LSM_TIDS_PER_BLOCK;
	scan->by_version = true;
	scan->min_rowid = lo;
	scan->max_rowid = lo + LSM_TIDS_PER_BLOCK - 1;
	scan->positioned = false;
	scan->exhausted = false;
	{
		TupleTableSlot *tmp = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
		MemoryContext old;

		while (lsmam_scan_getnextslot(sscan, ForwardScanDirection, tmp))
		{
			uint64		rowid = lsm_tid_to_rowid(&tmp->tts_tid);

			Assert(rowid >= lo && rowid < lo + LSM_TIDS_PER_BLOCK);
			old = MemoryContextSwitchTo(scan->ts_cxt);
			scan->ts_rows[rowid - lo] = ExecCopySlotHeapTuple(tmp);
			MemoryContextSwitchTo(old);
		}
		ExecDropSingleTupleTableSlot(tmp);
	}
	return true;
}

static bool
lsmam_scan_sample_next_tuple(TableScanDesc sscan, struct SampleScanState *scanstate,
							 TupleTableSlot *slot)
{
	LsmScanDesc scan = (LsmScanDesc) sscan;
	TsmRoutine *tsm = scanstate->tsmroutine;

	for (;;)
	{
		OffsetNumber off;
		HeapTuple	tup;

		CHECK_FOR_INTERRUPTS();
		off = tsm->NextSampleTuple(scanstate, scan->ts_block, LSM_TIDS_PER_BLOCK);
		if (!OffsetNumberIsValid(off))
		{
			ExecClearTuple(slot);
			return false;
		}
		if (off > LSM_TIDS_PER_BLOCK)
			continue;
		tup = scan->ts_rows[off - 1];
		if (tup == NULL)
			continue;
		ExecStoreHeapTuple(heap_copytuple(tup), slot, true);
		slot->tts_tableOid = RelationGetRelid(sscan->rs_rd);
		pgstat_count_heap_getnext(sscan->rs_rd);
		return true;
	}
}

static const TableAmRoutine lsm_methods = {
	.type = T_TableAmRoutine,

	.slot_callbacks = lsmam_slot_callbacks,

	.scan_begin = lsmam_scan_begin,
	.scan_end = lsmam_scan_end,
	.scan_rescan = lsmam_scan_rescan,
	.scan_getnextslot = lsmam_scan_getnextslot,

	.scan_set_tidrange = lsmam_scan_set_tidrange,
	.scan_getnextslot_tidrange = lsmam_scan_getnextslot_tidrange,

	.parallelscan_estimate = lsmam_parallelscan_estimate,
	.parallelscan_initialize = lsmam_parallelscan_initialize,
	.parallelscan_reinitialize = lsmam_parallelscan_reinitialize,

	.index_fetch_begin = lsmam_index_fetch_begin,
	.index_fetch_reset = lsmam_index_fetch_reset,
	.index_fetch_end = lsmam_index_fetch_end,
	.index_fetch_tuple = lsmam_index_fetch_tuple,

	.tuple_fetch_row_version = lsmam_tuple_fetch_row_version,
	.tuple_tid_valid = lsmam_tuple_tid_valid,
	.tuple_get_latest_tid = lsmam_tuple_get_latest_tid,
	.tuple_satisfies_snapshot = lsmam_tuple_satisfies_snapshot,
	.index_delete_tuples = lsmam_index_delete_tuples,

	.tuple_insert = lsmam_tuple_insert,
	.tuple_insert_speculative = lsmam_tuple_insert_speculative,
	.tuple_complete_speculative = lsmam_tuple_complete_speculative,
	.multi_insert = lsmam_multi_insert,
	.tuple_delete = lsmam_tuple_delete,
	.tuple_update = lsmam_tuple_update,
	.tuple_lock = lsmam_tuple_lock,
	.finish_bulk_insert = lsmam_finish_bulk_insert,

	.relation_set_new_filenode = lsmam_relation_set_new_filenode,
	.relation_nontransactional_truncate = lsmam_relation_nontransactional_truncate,
	.relation_copy_data = lsmam_relation_copy_data,
	.relation_copy_for_cluster = lsmam_relation_copy_for_cluster,
	.relation_vacuum = lsmam_relation_vacuum,
	.scan_analyze_next_block = lsmam_scan_analyze_next_block,
	.scan_analyze_next_tuple = lsmam_scan_analyze_next_tuple,
	.index_build_range_scan = lsmam_index_build_range_scan,
	.index_validate_scan = lsmam_index_validate_scan,

	.relation_size = lsmam_relation_size,
	.relation_needs_toast_table = lsmam_relation_needs_toast_table,
	.relation_toast_am = lsmam_relation_toast_am,
	.relation_fetch_toast_slice = lsmam_relation_fetch_toast_slice,

	.relation_estimate_size = lsmam_relation_estimate_size,

	.scan_bitmap_next_block = lsmam_scan_bitmap_next_block,
	.scan_bitmap_next_tuple = lsmam_scan_bitmap_next_tuple,
	.scan_sample_next_block = lsmam_scan_sample_next_block,
	.scan_sample_next_tuple = lsmam_scan_sample_next_tuple
};

const TableAmRoutine *
lsm_table_am_routine(void)
{
	return &lsm_methods;
}

Datum
lsm_tableam_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(&lsm_methods);
}
