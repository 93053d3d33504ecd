/*-------------------------------------------------------------------------
 *
 * lsm_read.c
 *	  The read path: a consistent view of a relation's memtables and
 *	  SSTables, merged into one iterator of entries in internal-key order.
 *
 * A view pins the memtable slots and copies the SSTable list under the
 * relation state's lock (shared), which flushes take exclusively to swap
 * a memtable for its SSTable: a view sees each entry exactly once (or, in
 * the merge, twice with the same internal key, and keeps one).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"

#include "lsm_am.h"

static int
sst_order_cmp(const void *a, const void *b)
{
	const LsmSstEntry *x = (const LsmSstEntry *) a;
	const LsmSstEntry *y = (const LsmSstEntry *) b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->max_seq != y->max_seq)
		return x->max_seq > y->max_seq ? -1 : 1;
	return 0;
}

/*
 * Open a view of rel: every memtable and SSTable, newest first, merged.
 * Memory lives in view->cxt, a child of parent, which must live as long
 * as the view (a scan's context, not a per-tuple one).
 */
LsmReadView *
lsm_read_view_open(Relation rel, BufferAccessStrategy strategy, MemoryContext parent)
{
	LsmRelState *st = lsm_memstore_open(rel);
	MemoryContext cxt = AllocSetContextCreate(parent,
											  "lsm read view", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	LsmReadView *view = palloc0(sizeof(LsmReadView));
	const lsm_allocator *alloc = &view->alloc;
	lsm_sst_options opts;
	lsm_iter  **children;
	int			nchildren = 0;
	int			i;
	Buffer		metabuf;
	XLogRecPtr	max_lsn;

	view->rel = rel;
	view->cxt = cxt;
	lsm_palloc_allocator_init(&view->alloc, cxt);

	LWLockAcquire(&st->lock, LW_SHARED);
	if (st->active >= 0)
	{
		lsm_slot_pin(st->active);
		view->slots[view->nslots++] = st->active;
	}
	for (i = st->nfrozen - 1; i >= 0; i--)
	{
		lsm_slot_pin(st->frozen[i]);
		view->slots[view->nslots++] = st->frozen[i];
	}
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf != InvalidBuffer)
	{
		LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));

		view->nssts = meta->nssts;
		view->ssts = palloc(sizeof(LsmSstEntry) * Max(1, meta->nssts));
		memcpy(view->ssts, meta->ssts, sizeof(LsmSstEntry) * meta->nssts);
		UnlockReleaseBuffer(metabuf);
	}
	/* hold the SSTables' blocks until the view closes (see lsm_manifest.c) */
	view->st = st;
	view->pins = palloc(sizeof(int) * Max(1, view->nssts));
	lsm_manifest_pin_view(st, view->ssts, view->nssts, view->pins);
	max_lsn = RecoveryInProgress() ? GetXLogReplayRecPtr(NULL) : GetXLogInsertRecPtr();
	LWLockRelease(&st->lock);

	if (view->nssts > 1)
		qsort(view->ssts, view->nssts, sizeof(LsmSstEntry), sst_order_cmp);

	lsm_rel_sst_options(rel, &opts);
	children = palloc(sizeof(lsm_iter *) * (view->nslots + view->nssts + 1));
	for (i = 0; i < view->nslots; i++)
		children[nchildren++] = lsm_memtable_iter_new(&lsm_slot(view->slots[i])->mt,
													  &lsm_bytewise_comparator, alloc);
	view->readers = palloc0(sizeof(lsm_sst_reader *) * Max(1, view->nssts));
	view->filectx = palloc0(sizeof(LsmSstFileCtx) * Max(1, view->nssts));
	view->files = palloc0(sizeof(lsm_file) * Max(1, view->nssts));
	for (i = 0; i < view->nssts; i++)
	{
		uint64		bad = 0;
		lsm_status	s;

		lsm_sst_file_init(&view->files[i], &view->filectx[i], rel,
						  &view->ssts[i], strategy);
		view->filectx[i].max_lsn = max_lsn;
		s = lsm_sst_reader_open(alloc, &opts, &view->files[i], &view->readers[i], &bad);
		if (s != LSM_OK)
			lsm_report_sst_error(rel, &view->ssts[i], s, bad);
		children[nchildren++] = lsm_sst_reader_iter(view->readers[i]);
	}
	view->iter = lsm_merge_iter_new(alloc, &lsm_bytewise_comparator, children, nchildren);
	MemoryContextSwitchTo(old);
	return view;
}

/*
 * Raise the error an iterator met, naming the SSTable it came from when
 * it was an SSTable's.
 */
void
lsm_check_iter_status(LsmReadView *view, lsm_iter *it)
{
	lsm_status	s = lsm_iter_status(it);
	int			i;

	if (s == LSM_OK)
		return;
	/* find the SSTable that failed, to name its blocks */
	for (i = 0; i < view->nssts; i++)
	{
		lsm_iter   *probe = lsm_sst_reader_iter(view->readers[i]);

		lsm_iter_seek_first(probe);
		while (lsm_iter_valid(probe))
			lsm_iter_next(probe);
		if (lsm_iter_status(probe) != LSM_OK)
			lsm_report_sst_error(view->rel, &view->ssts[i], lsm_iter_status(probe),
								 lsm_sst_iter_bad_offset(probe));
		lsm_iter_destroy(probe);
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("error reading lsm relation \"%s\": %s",
					RelationGetRelationName(view->rel), lsm_status_string(s))));
}

void
lsm_read_view_close(LsmReadView *view)
{
	int			i;

	for (i = 0; i < view->nssts; i++)
		lsm_sst_file_release(&view->filectx[i]);
	for (i = 0; i < view->nslots; i++)
		lsm_slot_unpin(view->slots[i]);
	lsm_manifest_unpin_view(view->st, view->pins, view->nssts);
	MemoryContextDelete(view->cxt);
}
