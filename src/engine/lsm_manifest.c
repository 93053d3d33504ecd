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
 * The manifest.  The metapage lists the manifest pages (its directory);
 * they hold the SSTable entries, in no order.  An edit writes the pages
 * it changes afresh to blocks off the free list and switches the
 * directory in its metapage image, so a crash before the switch leaves
 * the old manifest whole (and the new pages unreferenced, for the sweep).
 *
 * SSTables replaced by a compaction cannot be reused at once: scans that
 * opened before the switch may still read them.  A read view registers
 * the state version at which it copied the manifest (under the state
 * lock, shared, together with the copy) and drops it when it closes.  The
 * switch makes its inputs zombies stamped with the version it creates; a
 * zombie's blocks return to the free list, in the next logged metapage
 * change, once no registered version is older than its stamp.  As a safety net
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

/* ---------- view pins and zombies ---------- */

/*
 * Register a view that copied the manifest at st->version; returns its
 * pin.  REQUIRES: st->lock held (shared is enough: the version changes
 * only under it held exclusively).  When every pin slot holds another
 * version, the view joins the oldest one, which holds back at least as
 * much.
 */
int
lsm_manifest_pin_view(LsmRelState *st)
{
	uint64		v = st->version;
	int			i;
	int			same = -1,
				free_slot = -1,
				oldest = -1;

	Assert(LWLockHeldByMe(&st->lock));
	SpinLockAcquire(&st->pin_mutex);
	for (i = 0; i < LSM_MAX_VIEW_PINS; i++)
	{
		LsmViewPin *p = &st->vpins[i];

		if (p->refs == 0)
		{
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (p->version == v)
		{
			same = i;
			break;
		}
		if (oldest < 0 || p->version < st->vpins[oldest].version)
			oldest = i;
	}
	if (same >= 0)
		i = same;
	else if (free_slot >= 0)
	{
		i = free_slot;
		st->vpins[i].version = v;
	}
	else
		i = oldest;
	Assert(st->vpins[i].refs == 0 || st->vpins[i].version <= v);
	st->vpins[i].refs++;
	SpinLockRelease(&st->pin_mutex);
	return i;
}

/*
 * Drop a view's pin (no lock needed).  incarnation is st->incarnation when
 * the view pinned: a state discarded since (its relation's storage created
 * in a subtransaction that aborted, while a view of the transaction stayed
 * open) may hold another relation by now, and then there is nothing to
 * drop.  Only the backend that discards a state can hold such a view.
 */
bool
lsm_manifest_unpin_view(LsmRelState *st, int pin, uint64 incarnation)
{
	bool		last;

	Assert(pin >= 0 && pin < LSM_MAX_VIEW_PINS);
	if (st->incarnation != incarnation)
		return false;
	SpinLockAcquire(&st->pin_mutex);
	Assert(st->vpins[pin].refs > 0);
	st->vpins[pin].refs--;
	last = st->vpins[pin].refs == 0;
	SpinLockRelease(&st->pin_mutex);
	/* (read without the state lock: a hint, lsm_manifest_reclaim decides) */
	return last && ((volatile LsmRelState *) st)->nzombies > 0;
}

/* The oldest version a view holds, or PG_UINT64_MAX. */
static uint64
oldest_pinned(LsmRelState *st)
{
	uint64		v = PG_UINT64_MAX;
	int			i;

	SpinLockAcquire(&st->pin_mutex);
	for (i = 0; i < LSM_MAX_VIEW_PINS; i++)
		if (st->vpins[i].refs > 0 && st->vpins[i].version < v)
			v = st->vpins[i].version;
	SpinLockRelease(&st->pin_mutex);
	return v;
}

static int
blocknumber_cmp(const void *a, const void *b)
{
	BlockNumber x = *(const BlockNumber *) a;
	BlockNumber y = *(const BlockNumber *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Move the blocks of zombies no view can read any more to the free list
 * of meta (the caller's working copy, which it logs).  Returns whether
 * meta changed.  REQUIRES: st->lock exclusive.
 */
static bool
reclaim_zombies(LsmRelState *st, LsmMetaData *meta)
{
	uint64		oldest;
	int			i,
				k = 0;
	bool		changed = false;

	Assert(LWLockHeldByMeInMode(&st->lock, LW_EXCLUSIVE));
	if (st->nzombies == 0)
		return false;
	oldest = oldest_pinned(st);
	for (i = 0; i < st->nzombies; i++)
	{
		LsmZombie  *z = &st->zombies[i];

		/* a view at version v reads what version v lists */
		if (oldest >= z->removed)
		{
			lsm_free_blocks(meta, z->start, z->nblocks);
			changed = true;
		}
		else
			st->zombies[k++] = *z;
	}
	st->nzombies = k;
	return changed;
}

/* Zombie entries left.  REQUIRES: st->lock held. */
int
lsm_manifest_pins_free(LsmRelState *st)
{
	return LSM_MAX_ZOMBIES - st->nzombies;
}

/* Reset the state's manifest-derived fields from the metapage (after a restart). */
void
lsm_manifest_init_pins(LsmRelState *st, const LsmMetaData *meta)
{
	int			nl0;

	st->nzombies = 0;
	st->nssts = lsm_meta_nssts(meta, &nl0);
	st->l0_files = nl0;
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

	lsm_meta_check(meta, NULL, -1);
	START_CRIT_SECTION();
	memcpy(LsmPageGetMeta(BufferGetPage(metabuf)), meta, lsm_meta_used(meta));
	lsm_meta_set_lower(BufferGetPage(metabuf));
	MarkBufferDirty(metabuf);
	XLogBeginInsert();
	XLogRegisterData((char *) rec, reclen);
	XLogRegisterBuffer(0, metabuf, REGBUF_FORCE_IMAGE | REGBUF_STANDARD);
	recptr = XLogInsert(LSM_RMGR_ID, info);
	PageSetLSN(BufferGetPage(metabuf), recptr);
	END_CRIT_SECTION();
}

/* Log meta (the caller's changed working copy) as a META record of kind. */
static void
meta_log_change(Relation rel, Buffer metabuf, LsmMetaData *meta, uint8 kind,
				BlockNumber start, uint32 nblocks)
{
	xl_lsm_meta xlrec;

	memset(&xlrec, 0, sizeof(xlrec));
	xlrec.kind = kind;
	xlrec.start = start;
	xlrec.nblocks = nblocks;
	meta_write(rel, metabuf, meta, XLOG_LSM_META, (char *) &xlrec, sizeof(xlrec));
}

/*
 * Take nblocks contiguous blocks off the free list (first fit, after
 * reclaiming unread zombies), ending at or below limit unless limit is
 * invalid; logged.  InvalidBlockNumber when no free run fits.
 */
static BlockNumber
reserve_free(Relation rel, LsmRelState *st, uint32 nblocks, BlockNumber limit)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	BlockNumber start = InvalidBlockNumber;
	bool		reclaimed;
	int			i;

	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, true);
	meta = meta_copy(metabuf);
	reclaimed = reclaim_zombies(st, meta);
	/* lsm_alloc_blocks takes the first extent that fits: it must be low enough */
	for (i = 0; i < meta->nfree; i++)
		if (meta->free[i].count >= nblocks)
		{
			if (!BlockNumberIsValid(limit) || meta->free[i].start + nblocks <= limit)
				start = lsm_alloc_blocks(rel, meta, nblocks);
			break;
		}
	if (BlockNumberIsValid(start))
		meta_log_change(rel, metabuf, meta, LSM_META_RESERVE, start, nblocks);
	else if (reclaimed)
		meta_log_change(rel, metabuf, meta, LSM_META_SWEEP, 0, 0);
	UnlockReleaseBuffer(metabuf);
	LWLockRelease(&st->lock);
	pfree(meta);
	return start;
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
	BlockNumber start = reserve_free(rel, st, nblocks, InvalidBlockNumber);

	if (!BlockNumberIsValid(start))
		start = lsm_alloc_blocks(rel, NULL, nblocks);
	return start;
}

/*
 * Reserve nblocks contiguous free blocks that end at or below limit, for a
 * copy of an SSTable moved towards the start of the file
 * (engine/lsm_space.c); InvalidBlockNumber when the free list has no such
 * run (nothing is extended).
 */
BlockNumber
lsm_manifest_reserve_below(Relation rel, LsmRelState *st, uint32 nblocks, BlockNumber limit)
{
	return reserve_free(rel, st, nblocks, limit);
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

/* SSTables a manifest may list (lsm_am.debug_max_sstables can lower it). */
int
lsm_manifest_max_ssts(void)
{
	if (lsm_debug_max_sstables > 0)
		return Min(lsm_debug_max_sstables, LSM_META_MAX_SSTS);
	return LSM_META_MAX_SSTS;
}

/*
 * The manifest as an edit works on it: its pages (copies), which of them
 * the edit changes, and new pages (blk invalid).
 */
typedef struct ManifestWork
{
	int			npages;
	int			maxpages;
	LsmMpageCopy *pages;
	bool	   *dirty;
	int			total;
} ManifestWork;

static int
work_add_page(ManifestWork *w)
{
	int			i;

	if (w->npages == w->maxpages)
	{
		w->maxpages = Max(8, w->maxpages * 2);
		w->pages = repalloc(w->pages, sizeof(LsmMpageCopy) * w->maxpages);
		w->dirty = repalloc(w->dirty, sizeof(bool) * w->maxpages);
	}
	i = w->npages++;
	w->pages[i].blk = InvalidBlockNumber;
	w->pages[i].n = 0;
	w->pages[i].e = palloc(sizeof(LsmSstEntry) * LSM_MPAGE_MAX_ENTRIES);
	w->dirty[i] = true;
	return i;
}

/*
 * Read the manifest for an edit.  A version-1 metapage's inline list
 * becomes new pages (the edit converts the metapage to version 2).
 * REQUIRES: the metapage locked exclusively.
 */
static void
work_load(Relation rel, const LsmMetaData *meta, ManifestWork *w)
{
	int			i;

	w->npages = 0;
	w->maxpages = 8;
	w->pages = palloc(sizeof(LsmMpageCopy) * w->maxpages);
	w->dirty = palloc(sizeof(bool) * w->maxpages);
	w->total = lsm_meta_nssts(meta, NULL);
	if (meta->version == 1)
	{
		for (i = 0; i < w->total; i++)
		{
			int			pg = w->npages - 1;

			if (pg < 0 || w->pages[pg].n == (int) LSM_MPAGE_MAX_ENTRIES)
				pg = work_add_page(w);
			w->pages[pg].e[w->pages[pg].n++] = LsmMetaV1Ssts(meta)[i];
		}
		return;
	}
	for (i = 0; i < (int) meta->nmpages; i++)
	{
		LsmMpageCopy mp;
		int			pg;

		lsm_mpage_read(rel, meta, i, &mp);
		pg = work_add_page(w);
		memcpy(w->pages[pg].e, mp.e, sizeof(LsmSstEntry) * mp.n);
		w->pages[pg].n = mp.n;
		w->pages[pg].blk = mp.blk;
		w->dirty[pg] = false;
		pfree(mp.e);
	}
}

static bool
work_find(const ManifestWork *w, BlockNumber start, int *pg, int *idx)
{
	int			p,
				i;

	for (p = 0; p < w->npages; p++)
		for (i = 0; i < w->pages[p].n; i++)
			if (w->pages[p].e[i].start == start)
			{
				*pg = p;
				*idx = i;
				return true;
			}
	return false;
}

/* Write a manifest page to block blk (a new page, logged as a full image). */
static void
write_mpage(Relation rel, BlockNumber blk, const LsmMpageCopy *mp, uint64 mversion)
{
	Buffer		buf;
	Page		page;
	LsmManifestPage *m;

	Assert(mp->n > 0 && mp->n <= (int) LSM_MPAGE_MAX_ENTRIES);
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_ZERO_AND_LOCK, NULL);
	page = BufferGetPage(buf);
	START_CRIT_SECTION();
	PageInit(page, BLCKSZ, 0);
	m = (LsmManifestPage *) PageGetContents(page);
	m->magic = LSM_MPAGE_MAGIC;
	m->nentries = (uint16) mp->n;
	m->reserved = 0;
	m->mversion = mversion;
	memcpy(m->entries, mp->e, sizeof(LsmSstEntry) * mp->n);
	((PageHeader) page)->pd_lower = ((char *) &m->entries[mp->n]) - (char *) page;
	MarkBufferDirty(buf);
	log_newpage_buffer(buf, true);
	END_CRIT_SECTION();
	UnlockReleaseBuffer(buf);
}

static int
extent_cmp(const void *a, const void *b)
{
	const LsmFreeExtent *x = a;
	const LsmFreeExtent *y = b;

	return x->start < y->start ? -1 : (x->start > y->start ? 1 : 0);
}

/* Sort extents and merge adjacent ones (empty ones dropped); returns the count. */
static int
merge_extents(LsmFreeExtent *ext, int n)
{
	int			i,
				k = 0;

	if (n > 1)
		qsort(ext, n, sizeof(LsmFreeExtent), extent_cmp);
	for (i = 0; i < n; i++)
	{
		if (ext[i].count == 0)
			continue;
		if (k > 0 && ext[k - 1].start + ext[k - 1].count == ext[i].start)
			ext[k - 1].count += ext[i].count;
		else
			ext[k++] = ext[i];
	}
	return k;
}

/* Why lsm_manifest_apply refuses an edit. */
typedef enum EditRejection
{
	EDIT_OK,
	EDIT_SST_GONE,				/* an input is no longer listed */
	EDIT_GEN_GONE,				/* the flushed generation is not listed */
	EDIT_TOO_MANY,				/* the manifest would overflow */
	EDIT_NO_PINS				/* no zombie entries for the inputs */
} EditRejection;

/*
 * Check an edit against the current manifest.  *bad gets the offending
 * block (EDIT_SST_GONE) or the would-be SSTable count (EDIT_TOO_MANY).
 * REQUIRES: st->lock exclusive, metapage locked.
 */
static EditRejection
edit_check(LsmRelState *st, const LsmMetaData *meta, const ManifestWork *w,
		   const LsmManifestEdit *edit, int nzext, int64 *bad)
{
	int			i,
				pg,
				idx;
	int			after = w->total - edit->nremove + edit->nadd;

	for (i = 0; i < edit->nremove; i++)
		if (!work_find(w, edit->remove[i], &pg, &idx))
		{
			*bad = edit->remove[i];
			return EDIT_SST_GONE;
		}
	for (i = 0; i < edit->nmove; i++)
		if (!work_find(w, edit->move[i], &pg, &idx))
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
	/* the inputs' blocks wait as zombies only while some view may read them */
	if (nzext > 0 && oldest_pinned(st) <= st->version &&
		lsm_manifest_pins_free(st) < nzext)
		return EDIT_NO_PINS;
	return EDIT_OK;
}

/*
 * The edit's new manifest, in w: inputs out, moved SSTables relevelled,
 * outputs placed (first on pages the edit rewrites anyway, then on the
 * last page, then on new pages), and up to two sparse pages merged into
 * rewritten pages with room, so that pages stay filled.
 */
static void
work_edit(ManifestWork *w, const LsmManifestEdit *edit)
{
	int			i,
				pg = 0,
				idx = 0,
				merges;

	for (i = 0; i < edit->nremove; i++)
	{
		bool		found PG_USED_FOR_ASSERTS_ONLY = work_find(w, edit->remove[i], &pg, &idx);

		Assert(found);
		w->pages[pg].e[idx] = w->pages[pg].e[--w->pages[pg].n];
		w->dirty[pg] = true;
		w->total--;
	}
	for (i = 0; i < edit->nmove; i++)
	{
		bool		found PG_USED_FOR_ASSERTS_ONLY = work_find(w, edit->move[i], &pg, &idx);

		Assert(found);
		w->pages[pg].e[idx].level = (uint8) edit->move_level;
		w->dirty[pg] = true;
	}
	for (i = 0; i < edit->nadd; i++)
	{
		int			dest = -1;

		for (pg = 0; pg < w->npages && dest < 0; pg++)
			if (w->dirty[pg] && w->pages[pg].n < (int) LSM_MPAGE_MAX_ENTRIES)
				dest = pg;
		if (dest < 0 && w->npages > 0 &&
			w->pages[w->npages - 1].n < (int) LSM_MPAGE_MAX_ENTRIES)
			dest = w->npages - 1;
		if (dest < 0)
			dest = work_add_page(w);
		w->pages[dest].e[w->pages[dest].n++] = edit->add[i];
		w->dirty[dest] = true;
		w->total++;
	}
	for (merges = 0; merges < 2; merges++)
	{
		int			into = -1,
					from = -1;

		for (pg = 0; pg < w->npages; pg++)
		{
			if (w->dirty[pg] && w->pages[pg].n > 0 &&
				(into < 0 || w->pages[pg].n < w->pages[into].n))
				into = pg;
			if (!w->dirty[pg] && (from < 0 || w->pages[pg].n < w->pages[from].n))
				from = pg;
		}
		if (into < 0 || from < 0 ||
			w->pages[into].n + w->pages[from].n > (int) LSM_MPAGE_MAX_ENTRIES)
			break;
		memcpy(&w->pages[into].e[w->pages[into].n], w->pages[from].e,
			   sizeof(LsmSstEntry) * w->pages[from].n);
		w->pages[into].n += w->pages[from].n;
		w->pages[from].n = 0;
		w->dirty[from] = true;
	}
}

/*
 * Apply an edit to the manifest atomically: remove SSTables, move some to
 * another level, add new ones, drop a flushed memtable generation (its log
 * pages go to the free list).  The manifest pages the edit changes are
 * written afresh to other blocks (each logged as a full page image, and
 * referenced by nothing until the switch); then one logged metapage image
 * switches the directory to them, frees the replaced pages and the log
 * pages, and carries the counts.  Readers copy the manifest under the
 * metapage's lock, so none reads a replaced page after the switch.
 * Removed SSTables become zombies.
 *
 * An edit that cannot be applied (an SSTable to remove or move is no
 * longer listed, the manifest would overflow, no zombie entry is free) is
 * an ERROR, raised only after an orderly exit: the blocks of the SSTables it
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
	ManifestWork w;
	int			i;
	uint8		info;
	char	   *rec;
	int			reclen;
	EditRejection why;
	int64		bad = 0;
	BlockNumber *logpages = NULL;
	int			nlogpages = 0;
	BlockNumber *newblk;
	int			nl0 = 0;
	int			k;
	bool		reclaimed;
	LsmFreeExtent *zext;
	int			nzext;
	bool		zombies_wait;
	uint64		entries = 0,
				tombstones = 0;

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
	work_load(rel, meta, &w);
	reclaimed = reclaim_zombies(st, meta);

	/* the inputs' blocks as extents (adjacent SSTables merged) */
	zext = palloc(sizeof(LsmFreeExtent) * Max(1, edit->nremove));
	for (i = 0; i < edit->nremove; i++)
	{
		int			pg,
					idx;

		zext[i].start = edit->remove[i];
		zext[i].count = work_find(&w, edit->remove[i], &pg, &idx) ?
			w.pages[pg].e[idx].nblocks : 0;
	}
	nzext = merge_extents(zext, edit->nremove);

	/* validate first: nothing may fail after the first change */
	why = edit_check(st, meta, &w, edit, nzext, &bad);
	if (why != EDIT_OK)
	{
		int			nssts = w.total;

		if (edit->nadd > 0 || reclaimed)
		{
			xl_lsm_meta xlrec;

			for (i = 0; i < edit->nadd; i++)
				lsm_free_blocks(meta, edit->add[i].start, edit->add[i].nblocks);
			xlrec.kind = edit->nadd > 0 ? LSM_META_UNRESERVE : LSM_META_SWEEP;
			xlrec.start = edit->nadd > 0 ? edit->add[0].start : 0;
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

	/* sequence numbers grow: every new SSTable's are already handed out */
	for (i = 0; i < edit->nadd; i++)
		Assert(edit->add[i].max_seq < pg_atomic_read_u64(&st->next_seq));

	/*
	 * The new manifest pages, on blocks taken before anything this edit
	 * frees (the log pages, the replaced pages) is back on the free list:
	 * until the switch those must stay as they are.
	 */
	work_edit(&w, edit);
	meta->mversion++;
	newblk = palloc(sizeof(BlockNumber) * Max(1, w.npages));
	for (i = 0; i < w.npages; i++)
	{
		newblk[i] = w.pages[i].blk;
		if (w.dirty[i] && w.pages[i].n > 0)
		{
			newblk[i] = lsm_alloc_blocks(rel, meta, 1);
			write_mpage(rel, newblk[i], &w.pages[i], meta->mversion);
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

	/* the directory: rewritten pages replace theirs, emptied pages leave */
	k = 0;
	for (i = 0; i < w.npages; i++)
	{
		int			j;

		if (w.dirty[i] && BlockNumberIsValid(w.pages[i].blk))
			lsm_free_blocks(meta, w.pages[i].blk, 1);
		if (w.pages[i].n == 0)
			continue;
		for (j = 0; j < w.pages[i].n; j++)
		{
			if (w.pages[i].e[j].level == 0)
				nl0++;
			entries += w.pages[i].e[j].entries;
			tombstones += w.pages[i].e[j].tombstones;
		}
		meta->mpages[k++] = newblk[i];
	}
	Assert(k <= (int) LSM_META_MAX_MPAGES);
	meta->version = LSM_META_VERSION;
	meta->nssts_v1 = 0;
	meta->nmpages = k;
	meta->nssts = w.total;
	meta->nl0 = nl0;
	meta->entries = entries;
	meta->tombstones = tombstones;
#ifdef USE_ASSERT_CHECKING
	{
		LsmSstEntry *all = palloc(sizeof(LsmSstEntry) * Max(1, w.total));
		int			n = 0;

		for (i = 0; i < w.npages; i++)
		{
			memcpy(all + n, w.pages[i].e, sizeof(LsmSstEntry) * w.pages[i].n);
			n += w.pages[i].n;
		}
		lsm_meta_check(meta, all, n);
		pfree(all);
	}
#endif

	/*
	 * Inputs become zombies until no view can read them; with no view
	 * registered at all, their blocks are free at once.
	 */
	zombies_wait = oldest_pinned(st) <= st->version;

	for (i = 0; i < nzext; i++)
	{
		if (zombies_wait)
		{
			LsmZombie  *z = &st->zombies[st->nzombies++];

			Assert(st->nzombies <= LSM_MAX_ZOMBIES);
			z->start = zext[i].start;
			z->nblocks = zext[i].count;
			z->removed = st->version + 1;
		}
		else
			lsm_free_blocks(meta, zext[i].start, zext[i].count);
	}

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

	st->nssts = w.total;
	st->l0_files = nl0;
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
 * Give the blocks of zombies that no registered view can read any more
 * back to the free list (logged), without waiting for the next switch:
 * a worker does this when the last view of an old version closes.
 * Returns whether any were given back.
 */
bool
lsm_manifest_reclaim(Relation rel, LsmRelState *st)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	bool		reclaimed;

	if (((volatile LsmRelState *) st)->nzombies == 0 || RecoveryInProgress())
		return false;
	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, false);
	if (metabuf == InvalidBuffer)
	{
		LWLockRelease(&st->lock);
		return false;
	}
	meta = meta_copy(metabuf);
	reclaimed = reclaim_zombies(st, meta);
	if (reclaimed)
		meta_log_change(rel, metabuf, meta, LSM_META_SWEEP, 0, 0);
	UnlockReleaseBuffer(metabuf);
	LWLockRelease(&st->lock);
	pfree(meta);
	return reclaimed;
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
	bool		reclaimed;
	int			i;

	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, false);
	if (metabuf == InvalidBuffer)
	{
		LWLockRelease(&st->lock);
		return InvalidBlockNumber;
	}
	meta = meta_copy(metabuf);
	reclaimed = reclaim_zombies(st, meta);
	for (i = 0; i < meta->nfree; i++)
	{
		if (meta->free[i].start + meta->free[i].count == nblocks &&
			meta->free[i].start > LSM_METAPAGE_BLKNO)
		{
			newsize = meta->free[i].start;
			memmove(&meta->free[i], &meta->free[i + 1],
					(meta->nfree - i - 1) * sizeof(LsmFreeExtent));
			meta->nfree--;
			meta_log_change(rel, metabuf, meta, LSM_META_TRUNCATE, newsize, nblocks - newsize);
			break;
		}
	}
	/* no tail to cut, but the zombies' blocks are free now: log that */
	if (!BlockNumberIsValid(newsize) && reclaimed)
		meta_log_change(rel, metabuf, meta, LSM_META_SWEEP, 0, 0);
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
	LsmSstEntry *ssts;
	int			nssts;

	if (nblocks <= 1)
		return;
	used = palloc0((nblocks + 7) / 8);
#define MARK(blk) (used[(blk) / 8] |= (1 << ((blk) % 8)))
#define USED(blk) ((used[(blk) / 8] >> ((blk) % 8)) & 1)

	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, false);
	if (metabuf == InvalidBuffer)
		return;
	meta = meta_copy(metabuf);
	ssts = lsm_meta_ssts(rel, meta, &nssts);
	MARK(LSM_METAPAGE_BLKNO);
	for (i = 0; i < nssts; i++)
		for (b = ssts[i].start; b < ssts[i].start + ssts[i].nblocks && b < nblocks; b++)
			MARK(b);
	if (meta->version != 1)
		for (i = 0; i < (int) meta->nmpages; i++)
			if (meta->mpages[i] < nblocks)
				MARK(meta->mpages[i]);
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
