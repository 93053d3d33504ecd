/*-------------------------------------------------------------------------
 *
 * engine/lsm_space.c
 *	  Giving a relation's free space back to the operating system.
 *
 * A compaction writes its outputs before it frees its inputs, so a level
 * rewritten in full (level 1 of a random-key index is, at every L0 -> L1
 * compaction) leaves its old copy as free space; the next outputs reuse it
 * (first fit), but the file keeps the size of both copies, and where the
 * free space is not at the end of the file it cannot be cut off.
 *
 * lsm_space_reclaim does two things:
 *	- moves SSTables from the end of the file into free runs nearer its
 *	  start (when at least a fifth of the file is free): each is copied
 *	  page by page (every page logged as a full image), then one manifest
 *	  edit replaces the old entry by the copy (same level, entries and
 *	  bounds, a new id), and the old blocks become a zombie like any
 *	  compaction input;
 *	- truncates a free tail (the free extent that ends at the end of the
 *	  file) under AccessExclusiveLock taken without waiting, as heap's
 *	  VACUUM truncates: the lock is WAL-logged, so standby queries that
 *	  read the relation conflict with the truncation's replay.
 * VACUUM does both for a table and its lsm indexes; a worker's automatic
 * compaction truncates when it is done.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xloginsert.h"
#include "catalog/storage.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_space.h"
#include "storage/lsm_format.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_sstfile.h"

/* below this many free blocks (1 MB) nothing is worth moving or cutting */
#define LSM_SPACE_MIN_BLOCKS 128

static int
sst_start_desc(const void *a, const void *b)
{
	const LsmSstEntry *x = a;
	const LsmSstEntry *y = b;

	return x->start > y->start ? -1 : (x->start < y->start ? 1 : 0);
}

/* Copy nblocks pages from src to dst (reserved, referenced by nothing). */
static void
copy_pages(Relation rel, BlockNumber src, BlockNumber dst, uint32 nblocks)
{
	uint32		i;

	for (i = 0; i < nblocks; i++)
	{
		Buffer		sbuf;
		Buffer		dbuf;
		Page		spage;

		CHECK_FOR_INTERRUPTS();
		sbuf = ReadBufferExtended(rel, MAIN_FORKNUM, src + i, RBM_NORMAL, NULL);
		LockBuffer(sbuf, BUFFER_LOCK_SHARE);
		spage = BufferGetPage(sbuf);
		if (PageIsNew(spage))
		{
			UnlockReleaseBuffer(sbuf);
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("SSTable block %u of \"%s\" is empty",
							src + i, RelationGetRelationName(rel))));
		}
		dbuf = ReadBufferExtended(rel, MAIN_FORKNUM, dst + i, RBM_ZERO_AND_LOCK, NULL);
		START_CRIT_SECTION();
		memcpy(BufferGetPage(dbuf), spage, BLCKSZ);
		MarkBufferDirty(dbuf);
		log_newpage_buffer(dbuf, true);
		END_CRIT_SECTION();
		UnlockReleaseBuffer(dbuf);
		UnlockReleaseBuffer(sbuf);
	}
}

/*
 * Move SSTables from the end of the file into lower free runs, highest
 * first, until one does not fit below itself or as many blocks as were
 * free have moved.  REQUIRES: the compaction claim.
 */
static int
move_tail_ssts(Relation rel, LsmRelState *st)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	LsmSstEntry *ssts;
	int			nssts;
	uint64		free_blocks = 0;
	uint64		moved_blocks = 0;
	BlockNumber nblocks;
	int			moved = 0;
	int			i;

	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf == InvalidBuffer)
		return 0;
	meta = LsmPageGetMeta(BufferGetPage(metabuf));
	ssts = lsm_meta_ssts(rel, meta, &nssts);
	for (i = 0; i < meta->nfree; i++)
		free_blocks += meta->free[i].count;
	UnlockReleaseBuffer(metabuf);
	nblocks = RelationGetNumberOfBlocks(rel);
	if (free_blocks < LSM_SPACE_MIN_BLOCKS || free_blocks * 5 < nblocks)
		return 0;

	if (nssts > 1)
		qsort(ssts, nssts, sizeof(LsmSstEntry), sst_start_desc);
	for (i = 0; i < nssts && moved_blocks < free_blocks; i++)
	{
		LsmSstEntry copy = ssts[i];
		LsmManifestEdit edit;
		BlockNumber to;

		to = lsm_manifest_reserve_below(rel, st, ssts[i].nblocks, ssts[i].start);
		if (!BlockNumberIsValid(to))
			break;
		copy_pages(rel, ssts[i].start, to, ssts[i].nblocks);
		copy.start = to;
		lsm_make_uuid(copy.id);
		memset(&edit, 0, sizeof(edit));
		edit.nremove = 1;
		edit.remove = &ssts[i].start;
		edit.nadd = 1;
		edit.add = &copy;
		edit.from_level = ssts[i].level;
		edit.to_level = ssts[i].level;
		lsm_manifest_apply(rel, st, &edit);
		moved++;
		moved_blocks += ssts[i].nblocks;
	}
	pfree(ssts);
	if (moved > 0)
		ereport(DEBUG1,
				(errmsg("lsm relation \"%s\": %d SSTables (" UINT64_FORMAT " blocks) moved towards the start of the file",
						RelationGetRelationName(rel), moved, moved_blocks)));
	return moved;
}

/* Cut a free tail off the file; returns the blocks cut. */
static BlockNumber
truncate_tail(Relation rel, LsmRelState *st)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	BlockNumber nblocks = RelationGetNumberOfBlocks(rel);
	BlockNumber newsize;
	bool		tail = false;
	int			i;

	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf == InvalidBuffer)
		return 0;
	meta = LsmPageGetMeta(BufferGetPage(metabuf));
	for (i = 0; i < meta->nfree; i++)
		if (meta->free[i].start + meta->free[i].count == nblocks &&
			meta->free[i].count >= LSM_SPACE_MIN_BLOCKS)
			tail = true;
	UnlockReleaseBuffer(metabuf);
	/* (zombies at the end become free only in lsm_manifest_take_free_tail) */
	if (!tail && st->nzombies == 0)
		return 0;
	if (!ConditionalLockRelation(rel, AccessExclusiveLock))
		return 0;
	newsize = lsm_manifest_take_free_tail(rel, st);
	if (BlockNumberIsValid(newsize))
		RelationTruncate(rel, newsize);
	UnlockRelation(rel, AccessExclusiveLock);
	return BlockNumberIsValid(newsize) ? nblocks - newsize : 0;
}

LsmSpaceResult
lsm_space_reclaim(Relation rel, bool move_ssts)
{
	LsmSpaceResult res = {0, 0};
	LsmRelState *st;

	if (RecoveryInProgress())
		return res;
	st = lsm_memstore_open(rel);
	if (move_ssts && lsm_claim_try(st, LSM_CLAIM_COMPACT))
	{
		/* an error releases the claim at abort (lsm_xact_callback) */
		res.moved = move_tail_ssts(rel, st);
		lsm_claim_release(LSM_CLAIM_COMPACT, false);
	}
	res.truncated = truncate_tail(rel, st);
	return res;
}
