/*-------------------------------------------------------------------------
 *
 * engine/lsm_manifest.c
 *	  Changes to the manifest (the SSTable list of the metapage): block
 *	  reservation for new SSTables, the atomic switch that flushes and
 *	  compactions end with, SSTable pins, and the sweep that gives back
 *	  blocks a crash left unreferenced.
 *
 * Space.  A new SSTable's blocks are reserved first (taken off the free
 * list, or added by extending the relation) in a logged metapage change;
 * the SSTable is then written; a switch makes it reachable.  A crash
 * between reservation and switch leaves its blocks referenced by nothing;
 * the first backend to load the relation after a restart sweeps every
 * such block back onto the free list.
 *
 * SSTables replaced by a compaction cannot be reused at once: scans that
 * opened before the switch may still read them.  Every SSTable of the
 * manifest has a pin entry in the relation's shared state; a read view
 * bumps the refs of the SSTables it copied (under the state lock, shared,
 * together with the copy) and drops them when it closes.  The switch marks
 * its inputs zombie; a zombie's blocks return to the free list, in the
 * next logged metapage change, once its refs are zero.  As a safety net
 * (and on standbys, where the primary decides reuse), a view also refuses
 * any SSTable page whose LSN is newer than the view (storage/lsm_pages.c).
 *
 * Locking: the state lock exclusively, then the metapage buffer lock, for
 * every change here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_format.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_xlog.h"

/* GUC (registered by extension/lsm_am.c) */
int			lsm_debug_max_sstables = 0;

/* ---------- pins ---------- */

static int
pin_find(LsmRelState *st, BlockNumber start)
{
	int			i;

	for (i = 0; i < LSM_MAX_PINS; i++)
		if (st->pins[i].in_use && st->pins[i].start == start)
			return i;
	return -1;
}

/* Give an SSTable a pin entry.  REQUIRES: st->lock exclusive. */
static void
pin_add(LsmRelState *st, BlockNumber start, uint32 nblocks)
{
	int			i;

	if (pin_find(st, start) >= 0)
		return;
	for (i = 0; i < LSM_MAX_PINS; i++)
	{
		if (!st->pins[i].in_use)
		{
			st->pins[i].start = start;
			st->pins[i].nblocks = nblocks;
			pg_atomic_init_u32(&st->pins[i].refs, 0);
			st->pins[i].zombie = false;
			st->pins[i].in_use = true;
			return;
		}
	}
	/* callers check lsm_manifest_pins_free() first */
	elog(ERROR, "lsm relation state has no free SSTable pin entry");
}

/* Free pin entries left.  REQUIRES: st->lock held. */
int
lsm_manifest_pins_free(LsmRelState *st)
{
	int			i;
	int			n = 0;

	for (i = 0; i < LSM_MAX_PINS; i++)
		if (!st->pins[i].in_use)
			n++;
	return n;
}

/*
 * Pin the SSTables a view copied.  REQUIRES: st->lock held (shared is
 * enough: refs is atomic and entries do not move meanwhile).  idx[i] is
 * -1 for an SSTable without an entry (on a standby).
 */
void
lsm_manifest_pin_view(LsmRelState *st, const LsmSstEntry *ssts, int n, int *idx)
{
	int			i;

	Assert(LWLockHeldByMe(&st->lock));
	for (i = 0; i < n; i++)
	{
		idx[i] = pin_find(st, ssts[i].start);
		if (idx[i] >= 0)
			pg_atomic_fetch_add_u32(&st->pins[idx[i]].refs, 1);
	}
}

/* Drop a view's pins (no lock needed: its entries cannot go meanwhile). */
void
lsm_manifest_unpin_view(LsmRelState *st, const int *idx, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (idx[i] >= 0)
			pg_atomic_fetch_sub_u32(&st->pins[idx[i]].refs, 1);
}

static int
blocknumber_cmp(const void *a, const void *b)
{
	BlockNumber x = *(const BlockNumber *) a;
	BlockNumber y = *(const BlockNumber *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Move unread zombies' blocks to the free list of meta (the caller's
 * working copy, which it logs).  Returns whether meta changed.
 * REQUIRES: st->lock exclusive.
 */
static bool
reclaim_zombies(LsmRelState *st, LsmMetaData *meta)
{
	int			i;
	bool		changed = false;

	Assert(LWLockHeldByMeInMode(&st->lock, LW_EXCLUSIVE));
	for (i = 0; i < LSM_MAX_PINS; i++)
	{
		LsmSstPin  *p = &st->pins[i];

		if (p->in_use && p->zombie && pg_atomic_read_u32(&p->refs) == 0)
		{
			lsm_free_blocks(meta, p->start, p->nblocks);
			p->in_use = false;
			changed = true;
		}
	}
	return changed;
}

/* Rebuild pin entries from the manifest (after a restart). */
void
lsm_manifest_init_pins(LsmRelState *st, const LsmMetaData *meta)
{
	int			i;

	memset(st->pins, 0, sizeof(st->pins));
	st->l0_files = 0;
	for (i = 0; i < meta->nssts; i++)
	{
		if (i < LSM_MAX_PINS)
			pin_add(st, meta->ssts[i].start, meta->ssts[i].nblocks);
		if (meta->ssts[i].level == 0)
			st->l0_files++;
	}
	st->nssts = meta->nssts;
}

/* ---------- logged metapage changes ---------- */

static LsmMetaData *
meta_copy(Buffer metabuf)
{
	LsmMetaData *meta = palloc(BLCKSZ);

	memcpy(meta, LsmPageGetMeta(BufferGetPage(metabuf)),
		   BLCKSZ - MAXALIGN(SizeOfPageHeaderData));
	return meta;
}

/*
 * Write meta back to the metapage and log it as a full image under a
 * record of the given kind.  REQUIRES: metabuf exclusively locked.
 */
static void
meta_write(Relation rel, Buffer metabuf, const LsmMetaData *meta, uint8 info,
		   const char *rec, int reclen)
{
	XLogRecPtr	recptr;

	lsm_meta_check(meta);
	START_CRIT_SECTION();
	memcpy(LsmPageGetMeta(BufferGetPage(metabuf)), meta,
		   offsetof(LsmMetaData, ssts) + meta->nssts * sizeof(LsmSstEntry));
	lsm_meta_set_lower(BufferGetPage(metabuf));
	MarkBufferDirty(metabuf);
	XLogBeginInsert();
	XLogRegisterData((char *) rec, reclen);
	XLogRegisterBuffer(0, metabuf, REGBUF_FORCE_IMAGE | REGBUF_STANDARD);
	recptr = XLogInsert(LSM_RMGR_ID, info);
	PageSetLSN(BufferGetPage(metabuf), recptr);
	END_CRIT_SECTION();
}

/*
 * Reserve nblocks contiguous blocks for an SSTable about to be written:
 * first fit on the free list (after reclaiming unread zombies), else by
 * extending the relation.  The extension happens after the state lock and
 * the metapage are released, under the relation extension lock only:
 * writers of the relation (which need the state lock) go on meanwhile.
 */
BlockNumber
lsm_manifest_reserve(Relation rel, LsmRelState *st, uint32 nblocks)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	BlockNumber start = InvalidBlockNumber;
	int			i;
	bool		from_free = false;
	bool		reclaimed;
	xl_lsm_meta xlrec;

	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, true);
	meta = meta_copy(metabuf);
	reclaimed = reclaim_zombies(st, meta);
	for (i = 0; i < meta->nfree; i++)
		if (meta->free[i].count >= nblocks)
			from_free = true;
	if (from_free)
		start = lsm_alloc_blocks(rel, meta, nblocks);
	if (from_free || reclaimed)
	{
		xlrec.kind = from_free ? LSM_META_RESERVE : LSM_META_SWEEP;
		xlrec.start = from_free ? start : 0;
		xlrec.nblocks = from_free ? nblocks : 0;
		meta_write(rel, metabuf, meta, XLOG_LSM_META, (char *) &xlrec, sizeof(xlrec));
	}
	UnlockReleaseBuffer(metabuf);
	LWLockRelease(&st->lock);
	pfree(meta);
	if (!from_free)
		start = lsm_alloc_blocks(rel, NULL, nblocks);
	return start;
}

/*
 * Make st->next_seq durable (a logged META change of the metapage's
 * next_seq) after count sequence numbers were reserved for entries that
 * are logged later (lsm_memstore_reserve_seqs): once anything naming one
 * of them (a TID in another index) is in the WAL, so is the reservation,
 * and recovery never hands them out again.  REQUIRES: st->lock exclusive.
 */
void
lsm_manifest_log_next_seq(Relation rel, LsmRelState *st, uint32 count)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	xl_lsm_meta xlrec;

	Assert(LWLockHeldByMeInMode(&st->lock, LW_EXCLUSIVE));
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, true);
	meta = meta_copy(metabuf);
	meta->next_seq = Max(meta->next_seq, pg_atomic_read_u64(&st->next_seq));
	memset(&xlrec, 0, sizeof(xlrec));
	xlrec.kind = LSM_META_NEXT_SEQ;
	xlrec.start = 0;
	xlrec.nblocks = count;
	meta_write(rel, metabuf, meta, XLOG_LSM_META, (char *) &xlrec, sizeof(xlrec));
	UnlockReleaseBuffer(metabuf);
	pfree(meta);
}

static int
sst_index(const LsmMetaData *meta, BlockNumber start)
{
	int			i;

	for (i = 0; i < meta->nssts; i++)
		if (meta->ssts[i].start == start)
			return i;
	return -1;
}

/* SSTables a manifest may list (lsm_am.debug_max_sstables can lower it). */
int
lsm_manifest_max_ssts(void)
{
	if (lsm_debug_max_sstables > 0)
		return Min(lsm_debug_max_sstables, (int) LSM_META_MAX_SSTS);
	return (int) LSM_META_MAX_SSTS;
}

/* Why lsm_manifest_apply refuses an edit. */
typedef enum EditRejection
{
	EDIT_OK,
	EDIT_SST_GONE,				/* an input is no longer listed */
	EDIT_GEN_GONE,				/* the flushed generation is not listed */
	EDIT_TOO_MANY,				/* the manifest would overflow */
	EDIT_NO_PINS				/* no pin entries for the outputs */
} EditRejection;

/*
 * Check an edit against the current manifest.  *bad gets the offending
 * block (EDIT_SST_GONE) or the would-be SSTable count (EDIT_TOO_MANY).
 * REQUIRES: st->lock exclusive, metapage locked.
 */
static EditRejection
edit_check(LsmRelState *st, const LsmMetaData *meta, const LsmManifestEdit *edit,
		   int64 *bad)
{
	int			i;
	int			after = meta->nssts - edit->nremove + edit->nadd;

	for (i = 0; i < edit->nremove; i++)
		if (sst_index(meta, edit->remove[i]) < 0)
		{
			*bad = edit->remove[i];
			return EDIT_SST_GONE;
		}
	for (i = 0; i < edit->nmove; i++)
		if (sst_index(meta, edit->move[i]) < 0)
		{
			*bad = edit->move[i];
			return EDIT_SST_GONE;
		}
	if (edit->flushed_gen != 0)
	{
		for (i = 0; i < meta->nloggens; i++)
			if (meta->loggens[i].gen == edit->flushed_gen)
				break;
		if (i == meta->nloggens)
			return EDIT_GEN_GONE;
	}
	/* an edit that does not grow the manifest always fits */
	if (edit->nadd > edit->nremove && after > lsm_manifest_max_ssts())
	{
		*bad = after;
		return EDIT_TOO_MANY;
	}
	if (lsm_manifest_pins_free(st) < edit->nadd)
		return EDIT_NO_PINS;
	return EDIT_OK;
}

/*
 * Apply an edit to the manifest atomically: remove SSTables, move some to
 * another level, add new ones, drop a flushed memtable generation (its log
 * pages go to the free list), all in one logged metapage image.  Removed
 * SSTables become zombies.
 *
 * An edit that cannot be applied (an SSTable to remove or move is no
 * longer listed, the manifest would overflow, no pin entry is free) is an
 * ERROR, raised only after an orderly exit: the blocks of the SSTables it
 * would have added go back to the free list (logged), both locks are
 * released, and the manifest is as before.  So a failed switch leaves
 * every other backend running, and the caller's cleanup may take any lock.
 * REQUIRES: st->lock NOT held (taken here).
 */
void
lsm_manifest_apply(Relation rel, LsmRelState *st, const LsmManifestEdit *edit)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	int			i;
	uint8		info;
	char	   *rec;
	int			reclen;
	EditRejection why;
	int64		bad = 0;
	BlockNumber *logpages = NULL;
	int			nlogpages = 0;

	Assert(!LWLockHeldByMe(&st->lock));

	/*
	 * The log pages of a flushed generation are read before any lock: the
	 * generation is frozen, so its chain no longer changes, and a read
	 * error (I/O, corruption) is then raised holding nothing.
	 */
	if (edit->flushed_gen != 0)
	{
		LsmLogGen	lg;
		bool		found = false;

		metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, true);
		meta = LsmPageGetMeta(BufferGetPage(metabuf));
		for (i = 0; i < meta->nloggens; i++)
			if (meta->loggens[i].gen == edit->flushed_gen)
			{
				lg = meta->loggens[i];
				found = true;
			}
		UnlockReleaseBuffer(metabuf);
		if (found)
			logpages = lsm_loggen_pages(rel, &lg, &nlogpages);
	}

	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, true);
	meta = meta_copy(metabuf);

	/* validate first: nothing may fail after the first change */
	why = edit_check(st, meta, edit, &bad);
	if (why != EDIT_OK)
	{
		int			nssts = meta->nssts;

		if (edit->nadd > 0)
		{
			xl_lsm_meta xlrec;

			for (i = 0; i < edit->nadd; i++)
				lsm_free_blocks(meta, edit->add[i].start, edit->add[i].nblocks);
			xlrec.kind = LSM_META_UNRESERVE;
			xlrec.start = edit->add[0].start;
			xlrec.nblocks = edit->nadd;
			meta_write(rel, metabuf, meta, XLOG_LSM_META, (char *) &xlrec, sizeof(xlrec));
		}
		UnlockReleaseBuffer(metabuf);
		LWLockRelease(&st->lock);
		pfree(meta);
		switch (why)
		{
			case EDIT_SST_GONE:
				elog(ERROR, "SSTable at block %u of \"%s\" is no longer in the manifest",
					 (BlockNumber) bad, RelationGetRelationName(rel));
				break;
			case EDIT_GEN_GONE:
				elog(ERROR, "memtable generation " UINT64_FORMAT " of \"%s\" is not in the manifest",
					 edit->flushed_gen, RelationGetRelationName(rel));
				break;
			case EDIT_TOO_MANY:
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("lsm relation \"%s\" would have too many SSTables (%d, at most %d)",
								RelationGetRelationName(rel), (int) bad,
								lsm_manifest_max_ssts()),
						 errdetail("The %s would replace %d SSTables by %d; the manifest lists %d.",
								   edit->flushed_gen != 0 ? "flush" : "compaction",
								   edit->nremove, edit->nadd, nssts),
						 errhint("Raise the relation's target_file_size (ALTER TABLE ... SET (target_file_size = ...)) so that compaction writes fewer, larger SSTables.")));
				break;
			case EDIT_NO_PINS:
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("too many SSTables of \"%s\" are still being read", RelationGetRelationName(rel)),
						 errhint("Retried later, when long-running scans have finished.")));
				break;
			case EDIT_OK:
				break;
		}
	}

	if (edit->flushed_gen != 0)
	{
		int			g;

		for (g = 0; g < meta->nloggens; g++)
			if (meta->loggens[g].gen == edit->flushed_gen)
				break;
		Assert(g < meta->nloggens);
		Assert(logpages != NULL);
		/*
		 * In block order, as runs: the chain interleaves the pages of its
		 * lanes, and freed one by one in chain order they would make more
		 * separate extents than the free list holds (the rest forgotten).
		 */
		qsort(logpages, nlogpages, sizeof(BlockNumber), blocknumber_cmp);
		for (i = 0; i < nlogpages;)
		{
			int			j = i + 1;

			while (j < nlogpages && logpages[j] == logpages[j - 1] + 1)
				j++;
			lsm_free_blocks(meta, logpages[i], (uint32) (j - i));
			i = j;
		}
		memmove(&meta->loggens[g], &meta->loggens[g + 1],
				(meta->nloggens - g - 1) * sizeof(LsmLogGen));
		meta->nloggens--;
		meta->next_seq = Max(meta->next_seq, pg_atomic_read_u64(&st->next_seq));
	}

	/* the new manifest */
	for (i = 0; i < edit->nremove; i++)
	{
		int			k = sst_index(meta, edit->remove[i]);

		memmove(&meta->ssts[k], &meta->ssts[k + 1],
				(meta->nssts - k - 1) * sizeof(LsmSstEntry));
		meta->nssts--;
	}
	for (i = 0; i < edit->nmove; i++)
		meta->ssts[sst_index(meta, edit->move[i])].level = edit->move_level;
	if (edit->nadd > 0)
	{
		/* sequence numbers grow: every new SSTable's are already handed out */
		for (i = 0; i < edit->nadd; i++)
			Assert(edit->add[i].max_seq < pg_atomic_read_u64(&st->next_seq));
		memmove(&meta->ssts[edit->nadd], &meta->ssts[0], meta->nssts * sizeof(LsmSstEntry));
		memcpy(&meta->ssts[0], edit->add, edit->nadd * sizeof(LsmSstEntry));
		meta->nssts += edit->nadd;
	}

	/* pins: inputs become zombies, outputs get entries */
	for (i = 0; i < edit->nremove; i++)
	{
		int			p = pin_find(st, edit->remove[i]);

		if (p >= 0)
			st->pins[p].zombie = true;
	}
	for (i = 0; i < edit->nadd; i++)
		pin_add(st, edit->add[i].start, edit->add[i].nblocks);
	(void) reclaim_zombies(st, meta);

	if (edit->flushed_gen != 0)
	{
		xl_lsm_flush *x = palloc0(sizeof(xl_lsm_flush));

		x->gen = edit->flushed_gen;
		x->start = edit->nadd ? edit->add[0].start : InvalidBlockNumber;
		x->nblocks = edit->nadd ? edit->add[0].nblocks : 0;
		x->entries = edit->nadd ? edit->add[0].entries : 0;
		info = XLOG_LSM_FLUSH;
		rec = (char *) x;
		reclen = sizeof(xl_lsm_flush);
	}
	else
	{
		xl_lsm_compact *x = palloc0(sizeof(xl_lsm_compact));

		x->from_level = edit->from_level;
		x->to_level = edit->to_level;
		x->nremove = edit->nremove;
		x->nmove = edit->nmove;
		x->nadd = edit->nadd;
		info = XLOG_LSM_COMPACT;
		rec = (char *) x;
		reclen = sizeof(xl_lsm_compact);
	}
	meta_write(rel, metabuf, meta, info, rec, reclen);

	st->nssts = meta->nssts;
	st->l0_files = 0;
	for (i = 0; i < meta->nssts; i++)
		if (meta->ssts[i].level == 0)
			st->l0_files++;
	st->version++;

	/* a flushed memtable leaves the memtable list in the same step */
	if (edit->flushed_gen != 0)
	{
		for (i = 0; i < st->nfrozen; i++)
		{
			if (lsm_slot(st->frozen[i])->gen == edit->flushed_gen)
			{
				lsm_slot_retire(st->frozen[i]);
				memmove(&st->frozen[i], &st->frozen[i + 1],
						(st->nfrozen - i - 1) * sizeof(int));
				st->nfrozen--;
				break;
			}
		}
	}
	UnlockReleaseBuffer(metabuf);
	LWLockRelease(&st->lock);
	ConditionVariableBroadcast(&st->cv);
	pfree(meta);
}

/*
 * If the free list ends at the end of the file, take that extent off it
 * (logged) and return the block count the file can be cut to; else
 * InvalidBlockNumber.  The caller then truncates the relation: a crash in
 * between leaves unreferenced blocks, which the next sweep gives back.
 * REQUIRES: AccessExclusiveLock on rel (no reader, no flush, no compaction).
 */
BlockNumber
lsm_manifest_take_free_tail(Relation rel, LsmRelState *st)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber newsize = InvalidBlockNumber;
	int			i;

	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, false);
	if (metabuf == InvalidBuffer)
	{
		LWLockRelease(&st->lock);
		return InvalidBlockNumber;
	}
	meta = meta_copy(metabuf);
	(void) reclaim_zombies(st, meta);
	for (i = 0; i < meta->nfree; i++)
	{
		if (meta->free[i].start + meta->free[i].count == nblocks &&
			meta->free[i].start > LSM_METAPAGE_BLKNO)
		{
			xl_lsm_meta xlrec;

			newsize = meta->free[i].start;
			memmove(&meta->free[i], &meta->free[i + 1],
					(meta->nfree - i - 1) * sizeof(LsmFreeExtent));
			meta->nfree--;
			xlrec.kind = LSM_META_TRUNCATE;
			xlrec.start = newsize;
			xlrec.nblocks = nblocks - newsize;
			meta_write(rel, metabuf, meta, XLOG_LSM_META, (char *) &xlrec, sizeof(xlrec));
			break;
		}
	}
	UnlockReleaseBuffer(metabuf);
	LWLockRelease(&st->lock);
	pfree(meta);
	return newsize;
}

/*
 * After a restart, give back every block referenced by nothing: not the
 * metapage, not an SSTable, not a log page, not already free.  Such blocks
 * come from flushes and compactions that a crash interrupted between
 * reservation and switch, and from SSTables that were zombies.  logpages
 * lists every log page of every generation.  REQUIRES: st->lock exclusive,
 * no reader of this relation (the state was not loaded), not in recovery.
 */
void
lsm_manifest_sweep(Relation rel, LsmRelState *st, const BlockNumber *logpages,
				   int nlogpages)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	uint8	   *used;
	Buffer		metabuf;
	LsmMetaData *meta;
	BlockNumber b;
	BlockNumber run = InvalidBlockNumber;
	uint32		freed = 0;
	int			i;

	if (nblocks <= 1)
		return;
	used = palloc0((nblocks + 7) / 8);
#define MARK(blk) (used[(blk) / 8] |= (1 << ((blk) % 8)))
#define USED(blk) ((used[(blk) / 8] >> ((blk) % 8)) & 1)

	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, false);
	if (metabuf == InvalidBuffer)
		return;
	meta = meta_copy(metabuf);
	MARK(LSM_METAPAGE_BLKNO);
	for (i = 0; i < meta->nssts; i++)
		for (b = meta->ssts[i].start; b < meta->ssts[i].start + meta->ssts[i].nblocks && b < nblocks; b++)
			MARK(b);
	for (i = 0; i < meta->nfree; i++)
		for (b = meta->free[i].start; b < meta->free[i].start + meta->free[i].count && b < nblocks; b++)
			MARK(b);
	for (i = 0; i < nlogpages; i++)
		if (logpages[i] < nblocks)
			MARK(logpages[i]);

	for (b = 1; b <= nblocks; b++)
	{
		bool		unused = b < nblocks && !USED(b);

		if (unused && !BlockNumberIsValid(run))
			run = b;
		else if (!unused && BlockNumberIsValid(run))
		{
			lsm_free_blocks(meta, run, b - run);
			freed += b - run;
			run = InvalidBlockNumber;
		}
	}
	if (freed > 0)
	{
		xl_lsm_meta xlrec;

		xlrec.kind = LSM_META_SWEEP;
		xlrec.start = 0;
		xlrec.nblocks = freed;
		meta_write(rel, metabuf, meta, XLOG_LSM_META, (char *) &xlrec, sizeof(xlrec));
		ereport(LOG,
				(errmsg("lsm relation \"%s\": %u unreferenced blocks returned to the free list",
						RelationGetRelationName(rel), freed)));
	}
	UnlockReleaseBuffer(metabuf);
	pfree(meta);
	pfree(used);
#undef MARK
#undef USED
}
