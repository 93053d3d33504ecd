/*-------------------------------------------------------------------------
 *
 * engine/lsm_redo.c
 *	  WAL redo of lsm_am's custom resource manager.
 *
 * Records (see storage/lsm_xlog.h and README "Design"):
 *	XLOG_LSM_INSERT       block 0: log page; data: item lengths; block
 *	                      data: the items, added at offnum.. on redo.
 *	XLOG_LSM_NEW_LOGPAGE  block 0: the new log page (initialized on redo,
 *	                      linked to xlrec.next), block 1: metapage (the
 *	                      new generation, or the new tail if it follows
 *	                      the tail, and the block taken off the free list,
 *	                      redone by lsm_meta_add_logpage), block 2: the
 *	                      page it follows in the chain, whose next link
 *	                      is set.
 *	XLOG_LSM_FLUSH        block 0: metapage (full image) listing the new
 *	                      SSTable, whose pages were logged as full-page
 *	                      images before this record.
 *	XLOG_LSM_COMPACT      block 0: metapage (full image) with a
 *	                      compaction's inputs replaced by its outputs (or
 *	                      moved to another level).
 *	XLOG_LSM_META         block 0: metapage (full image) after blocks were
 *	                      reserved for an SSTable, swept back, or a free
 *	                      tail was taken off before VACUUM truncates it.
 *
 * Besides pages, redo keeps the in-memory memtables of a standby in step
 * when a backend has loaded them: the startup process takes hash_lock
 * shared and, if the relation has a state, that state's lock before
 * touching the page, the same order as lsm_memstore_open, so a backend
 * rebuilding from the pages can neither miss a replayed item nor see it
 * twice.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/bufmask.h"
#include "access/xlog_internal.h"
#include "access/xlogutils.h"
#include "storage/bufmgr.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_redo.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_format.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_xlog.h"

static RmgrData lsm_rmgr = {
	.rm_name = LSM_RMGR_NAME,
	.rm_redo = lsm_redo,
	.rm_desc = lsm_desc,
	.rm_identify = lsm_identify,
	.rm_startup = NULL,
	.rm_cleanup = NULL,
	.rm_mask = lsm_mask,
	.rm_decode = NULL
};

void
lsm_rmgr_register(void)
{
	RegisterCustomRmgr(LSM_RMGR_ID, &lsm_rmgr);
}

/*
 * Lock the state of the relation a record touches, if a backend created
 * one.  Returns NULL (with hash_lock still held) if there is none; the
 * caller then releases hash_lock after applying the page change.
 */
static LsmRelState *
redo_lock_state(const RelFileNode *rnode)
{
	LsmRelState *st;

	LWLockAcquire(&lsm_shared->hash_lock, LW_SHARED);
	st = lsm_state_lookup(rnode);
	if (st != NULL)
	{
		LWLockAcquire(&st->lock, LW_EXCLUSIVE);
		LWLockRelease(&lsm_shared->hash_lock);
	}
	return st;
}

static void
redo_unlock_state(LsmRelState *st)
{
	if (st != NULL)
		LWLockRelease(&st->lock);
	else
		LWLockRelease(&lsm_shared->hash_lock);
}

static void
redo_insert(XLogReaderState *record)
{
	xl_lsm_insert *xlrec = (xl_lsm_insert *) XLogRecGetData(record);
	uint16	   *lens = (uint16 *) (XLogRecGetData(record) + sizeof(xl_lsm_insert));
	RelFileNode rnode;
	LsmRelState *st;
	Buffer		buf;
	XLogRedoAction action;

	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
	st = redo_lock_state(&rnode);

	action = XLogReadBufferForRedo(record, 0, &buf);
	if (action == BLK_NEEDS_REDO)
	{
		Page		page = BufferGetPage(buf);
		Size		datalen;
		char	   *data = XLogRecGetBlockData(record, 0, &datalen);
		int			i;

		for (i = 0; i < xlrec->nitems; i++)
		{
			if (PageAddItem(page, data, lens[i], xlrec->offnum + i,
							false, false) != xlrec->offnum + i)
				elog(PANIC, "lsm redo: failed to add log item");
			data += lens[i];
		}
		PageSetLSN(page, record->EndRecPtr);
		MarkBufferDirty(buf);
	}
	if (st != NULL && BufferIsValid(buf))
		lsm_memstore_redo_items(st, BufferGetPage(buf),
								xlrec->offnum, xlrec->nitems);
	if (BufferIsValid(buf))
		UnlockReleaseBuffer(buf);
	redo_unlock_state(st);
}

static void
redo_new_logpage(XLogReaderState *record)
{
	xl_lsm_new_logpage *xlrec = (xl_lsm_new_logpage *) XLogRecGetData(record);
	RelFileNode rnode;
	LsmRelState *st;
	Buffer		newbuf;
	Buffer		metabuf;
	Buffer		prevbuf = InvalidBuffer;

	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
	st = redo_lock_state(&rnode);

	if (XLogReadBufferForRedo(record, 1, &metabuf) == BLK_NEEDS_REDO)
	{
		lsm_meta_add_logpage(BufferGetPage(metabuf), xlrec->gen, xlrec->blkno,
							 xlrec->prev);
		PageSetLSN(BufferGetPage(metabuf), record->EndRecPtr);
		MarkBufferDirty(metabuf);
	}
	newbuf = XLogInitBufferForRedo(record, 0);
	lsm_logpage_init(BufferGetPage(newbuf), xlrec->gen);
	((LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(newbuf)))->next = xlrec->next;
	PageSetLSN(BufferGetPage(newbuf), record->EndRecPtr);
	MarkBufferDirty(newbuf);
	if (XLogRecHasBlockRef(record, 2) &&
		XLogReadBufferForRedo(record, 2, &prevbuf) == BLK_NEEDS_REDO)
	{
		LsmLogPageOpaque *op =
		(LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(prevbuf));

		op->next = xlrec->blkno;
		PageSetLSN(BufferGetPage(prevbuf), record->EndRecPtr);
		MarkBufferDirty(prevbuf);
	}
	if (st != NULL && !BlockNumberIsValid(xlrec->prev))
		lsm_memstore_redo_newgen(st, &rnode, xlrec->gen);

	if (BufferIsValid(prevbuf))
		UnlockReleaseBuffer(prevbuf);
	UnlockReleaseBuffer(newbuf);
	if (BufferIsValid(metabuf))
		UnlockReleaseBuffer(metabuf);
	redo_unlock_state(st);
}

static void
redo_flush(XLogReaderState *record)
{
	xl_lsm_flush *xlrec = (xl_lsm_flush *) XLogRecGetData(record);
	RelFileNode rnode;
	LsmRelState *st;
	Buffer		metabuf;

	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
	st = redo_lock_state(&rnode);
	if (XLogReadBufferForRedo(record, 0, &metabuf) != BLK_RESTORED)
		elog(PANIC, "lsm redo: metapage image missing");
	if (st != NULL)
		lsm_memstore_redo_flushed(st, xlrec->gen);
	UnlockReleaseBuffer(metabuf);
	redo_unlock_state(st);
}

/*
 * COMPACT and META: the metapage image says it all.  A standby's readers
 * copy the manifest under the state lock, so take it around the restore.
 */
static void
redo_meta_image(XLogReaderState *record)
{
	RelFileNode rnode;
	LsmRelState *st;
	Buffer		metabuf;

	XLogRecGetBlockTag(record, 0, &rnode, NULL, NULL);
	st = redo_lock_state(&rnode);
	if (XLogReadBufferForRedo(record, 0, &metabuf) != BLK_RESTORED)
		elog(PANIC, "lsm redo: metapage image missing");
	if (st != NULL)
	{
		LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));
		int			nl0;

		st->nssts = lsm_meta_nssts(meta, &nl0);
		st->version++;
		st->l0_files = nl0;
	}
	UnlockReleaseBuffer(metabuf);
	redo_unlock_state(st);
}

void
lsm_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info)
	{
		case XLOG_LSM_INSERT:
			redo_insert(record);
			break;
		case XLOG_LSM_NEW_LOGPAGE:
			redo_new_logpage(record);
			break;
		case XLOG_LSM_FLUSH:
			redo_flush(record);
			break;
		case XLOG_LSM_COMPACT:
		case XLOG_LSM_META:
			redo_meta_image(record);
			break;
		default:
			elog(PANIC, "lsm_redo: unknown op code %u", info);
	}
}

/*
 * rm_mask: what wal_consistency_checking may ignore when it compares a page
 * redo produced with the primary's image of it (both are masked the same
 * way, then compared byte for byte).
 *
 * The pages our records touch are the metapage (block 0) and memtable log
 * pages; SSTable and manifest pages are only ever logged as full images
 * (log_newpage), which redo restores and does not compare.  Both are standard pages:
 * header, content up to pd_lower (the metapage's LsmMetaData, the log
 * pages' line pointers), content from pd_upper (log items, the log page
 * special space).  Masked:
 *
 * - pd_lsn: redo stamps a page with the LSN of the record it replayed, the
 *   primary with the one it inserted; a page's LSN also runs ahead of the
 *   record being checked when recovery restarts.  pd_checksum: set only
 *   in the copy written out, so a buffer carries whatever its last read
 *   left there, on either side.
 * - pd_lower..pd_upper, the hole: not content (every reader stops at
 *   pd_lower / starts at pd_upper), and not in the images (registered
 *   REGBUF_STANDARD, the hole is left out and restored as zeros), while a
 *   page redo did not restore from an image may hold old bytes there: the
 *   metapage keeps the manifest page numbers past nmpages when a
 *   compaction shortens the directory (lsm_meta_set_lower only moves
 *   pd_lower), and a
 *   checkpoint writes them out.  A crash recovery with full_page_writes =
 *   off redoes the next NEW_LOGPAGE on that page as read from disk, and
 *   without this mask reports it inconsistent
 *   (test/tap/015_consistency_fpw_off.pl).
 *
 * Nothing else differs: everything that changes these pages is WAL-logged
 * and redone by the same code (lsm_logpage_init, PageAddItem at the logged
 * offsets, lsm_meta_add_logpage, the link), and lsm_am sets no hint on
 * them: no PD_PAGE_FULL / PD_HAS_FREE_LINES / PD_ALL_VISIBLE or
 * pd_prune_xid (no pruning), no dead line pointers (log items are never
 * removed, a flush frees whole pages), nothing unlogged in LsmMetaData or
 * LsmLogPageOpaque.  So unlike heap_mask and btree_mask this masks no hint
 * bits, line pointer flags or special space: a difference there is a bug
 * the check must report.
 */
void
lsm_mask(char *pagedata, BlockNumber blkno)
{
	Page		page = (Page) pagedata;

	mask_page_lsn_and_checksum(page);

	/* An all-zero page has no hole to mask (and pd_lower 0 would upset it). */
	if (PageIsNew(page))
		return;

	mask_unused_space(page);
}
