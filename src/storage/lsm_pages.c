/*-------------------------------------------------------------------------
 *
 * lsm_pages.c
 *	  The relation's main fork as lsm_am lays it out: the metapage
 *	  (manifest) at block 0, block allocation from its free extents, and
 *	  the memtable log pages and their items, all read and written
 *	  through the buffer manager (which is lsm_am's block cache).
 *	  SSTables over runs of pages: lsm_sstfile.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "storage/lmgr.h"
#include "core/lsm_core.h"
#include "storage/lsm_format.h"
#include "storage/lsm_pages.h"
#include "access/transam.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* ---------- metapage ---------- */

void
lsm_meta_init_page(Page page)
{
	LsmMetaData *meta;

	PageInit(page, BLCKSZ, 0);
	meta = LsmPageGetMeta(page);
	memset(meta, 0, offsetof(LsmMetaData, mpages));
	meta->magic = LSM_META_MAGIC;
	meta->version = LSM_META_VERSION;
	meta->next_seq = LSM_FIRST_SEQ;
	meta->next_gen = 1;
	meta->flags = LSM_META_KEYS_ORDERED;
	lsm_meta_set_lower(page);
}

/* Bytes of the metapage's contents in use (from LsmPageGetMeta on). */
Size
lsm_meta_used(const LsmMetaData *meta)
{
	if (meta->version == 1)
		return LSM_META_V2_OFFSET + meta->nssts_v1 * sizeof(LsmSstEntry);
	return offsetof(LsmMetaData, mpages) + meta->nmpages * sizeof(BlockNumber);
}

/* Set pd_lower past the used part of the metapage (so FPIs are small). */
void
lsm_meta_set_lower(Page page)
{
	LsmMetaData *meta = LsmPageGetMeta(page);

	((PageHeader) page)->pd_lower = ((char *) meta + lsm_meta_used(meta)) - (char *) page;
}

/* SSTables the manifest lists, and (nl0) how many at level 0. */
int
lsm_meta_nssts(const LsmMetaData *meta, int *nl0)
{
	int			i;

	if (meta->version != 1)
	{
		if (nl0)
			*nl0 = (int) meta->nl0;
		return (int) meta->nssts;
	}
	if (nl0)
	{
		*nl0 = 0;
		for (i = 0; i < meta->nssts_v1; i++)
			if (LsmMetaV1Ssts(meta)[i].level == 0)
				(*nl0)++;
	}
	return meta->nssts_v1;
}

static void
check_meta(Relation rel, Buffer buf)
{
	Page		page = BufferGetPage(buf);
	LsmMetaData *meta = LsmPageGetMeta(page);
	bool		ok;

	ok = meta->magic == LSM_META_MAGIC &&
		(meta->version == 1 || meta->version == LSM_META_VERSION) &&
		meta->nloggens <= LSM_MAX_LOGGENS && meta->nfree <= LSM_MAX_FREE_EXTENTS;
	if (ok && meta->version == 1)
		ok = meta->nssts_v1 <= LSM_META_V1_MAX_SSTS;
	else if (ok)
		ok = meta->nmpages <= LSM_META_MAX_MPAGES && meta->nssts <= (uint32) LSM_META_MAX_SSTS &&
			meta->nl0 <= meta->nssts;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid lsm metapage in relation \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("Block %u has magic 0x%08X version %u, expected 0x%08X version %u.",
						   LSM_METAPAGE_BLKNO, meta->magic, meta->version,
						   LSM_META_MAGIC, LSM_META_VERSION)));
}

/* ---------- manifest pages ---------- */

/*
 * Read manifest page i of the directory into mp (entries palloc'd).
 * REQUIRES: the metapage locked (shared is enough) by the caller, so that
 * the directory and the pages it lists do not change meanwhile.
 */
void
lsm_mpage_read(Relation rel, const LsmMetaData *meta, int i, LsmMpageCopy *mp)
{
	Buffer		buf;
	Page		page;
	LsmManifestPage *m;
	BlockNumber blk = meta->mpages[i];

	Assert(meta->version != 1 && i < (int) meta->nmpages);
	if (blk == LSM_METAPAGE_BLKNO || blk >= RelationGetNumberOfBlocks(rel))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("lsm manifest of relation \"%s\" lists page %u, beyond its %u blocks",
						RelationGetRelationName(rel), blk, RelationGetNumberOfBlocks(rel))));
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	m = (LsmManifestPage *) PageGetContents(page);
	if (PageIsNew(page) || m->magic != LSM_MPAGE_MAGIC ||
		m->nentries > LSM_MPAGE_MAX_ENTRIES || m->mversion > meta->mversion)
	{
		uint32		magic = PageIsNew(page) ? 0 : m->magic;

		UnlockReleaseBuffer(buf);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid lsm manifest page %u in relation \"%s\"",
						blk, RelationGetRelationName(rel)),
				 errdetail("The page has magic 0x%08X, expected 0x%08X.", magic, LSM_MPAGE_MAGIC)));
	}
	mp->blk = blk;
	mp->n = m->nentries;
	mp->e = palloc(sizeof(LsmSstEntry) * Max(1, m->nentries));
	memcpy(mp->e, m->entries, sizeof(LsmSstEntry) * m->nentries);
	UnlockReleaseBuffer(buf);
}

static int
sst_entry_order(const void *a, const void *b)
{
	const LsmSstEntry *x = a;
	const LsmSstEntry *y = b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->max_seq != y->max_seq)
		return x->max_seq > y->max_seq ? -1 : 1;
	return x->start < y->start ? -1 : (x->start > y->start ? 1 : 0);
}

/*
 * Every SSTable the manifest lists, by level, newest (largest max_seq)
 * first within a level; palloc'd.  REQUIRES: the metapage locked (shared
 * is enough) by the caller; meta points into it.
 */
LsmSstEntry *
lsm_meta_ssts(Relation rel, const LsmMetaData *meta, int *n)
{
	LsmSstEntry *out;
	int			total = lsm_meta_nssts(meta, NULL);
	int			k = 0;
	int			i;

	out = palloc(sizeof(LsmSstEntry) * Max(1, total));
	if (meta->version == 1)
	{
		memcpy(out, LsmMetaV1Ssts(meta), sizeof(LsmSstEntry) * total);
		k = total;
	}
	else
	{
		for (i = 0; i < (int) meta->nmpages; i++)
		{
			LsmMpageCopy mp;

			lsm_mpage_read(rel, meta, i, &mp);
			if (k + mp.n > total)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("lsm manifest of relation \"%s\" lists more SSTables than its metapage counts (%d)",
								RelationGetRelationName(rel), total)));
			memcpy(out + k, mp.e, sizeof(LsmSstEntry) * mp.n);
			k += mp.n;
			pfree(mp.e);
		}
		if (k != total)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("lsm manifest of relation \"%s\" lists %d SSTables, its metapage counts %d",
							RelationGetRelationName(rel), k, total)));
	}
	if (k > 1)
		qsort(out, k, sizeof(LsmSstEntry), sst_entry_order);
	*n = k;
	return out;
}

/*
 * Read and lock the metapage.  A relation whose storage was just created
 * has no blocks: with create, the metapage is made (and WAL-logged) under
 * the relation extension lock and returned exclusively locked; without,
 * InvalidBuffer is returned (an empty relation).
 */
Buffer
lsm_meta_read(Relation rel, int lockmode, bool create)
{
	Buffer		buf;

	if (RelationGetNumberOfBlocks(rel) == 0)
	{
		if (!create)
			return InvalidBuffer;
		LockRelationForExtension(rel, ExclusiveLock);
		if (RelationGetNumberOfBlocks(rel) == 0)
		{
			buf = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_ZERO_AND_LOCK, NULL);
			if (BufferGetBlockNumber(buf) != LSM_METAPAGE_BLKNO)
				elog(ERROR, "lsm metapage of \"%s\" created at block %u",
					 RelationGetRelationName(rel), BufferGetBlockNumber(buf));
			START_CRIT_SECTION();
			lsm_meta_init_page(BufferGetPage(buf));
			MarkBufferDirty(buf);
			log_newpage_buffer(buf, true);
			END_CRIT_SECTION();
			UnlockRelationForExtension(rel, ExclusiveLock);
			return buf;
		}
		UnlockRelationForExtension(rel, ExclusiveLock);
		lockmode = BUFFER_LOCK_EXCLUSIVE;
	}
	buf = ReadBufferExtended(rel, MAIN_FORKNUM, LSM_METAPAGE_BLKNO, RBM_NORMAL, NULL);
	LockBuffer(buf, lockmode);
	check_meta(rel, buf);
	return buf;
}

/*
 * Allocate n contiguous blocks: first fit from the manifest's free
 * extents (meta is the caller's working copy, written back under WAL by
 * the caller), else by extending the relation.  With meta NULL, only by
 * extending: flushes do that, so that they need not hold the metapage
 * lock while they write (writers allocate log pages meanwhile).  Extended blocks are left
 * as new (zero) pages: if the caller fails before referencing them from
 * the manifest they are unreferenced space (see README "Limitations").
 */
BlockNumber
lsm_alloc_blocks(Relation rel, LsmMetaData *meta, uint32 n)
{
	int			i;
	BlockNumber first;

	for (i = 0; meta != NULL && i < meta->nfree; i++)
	{
		if (meta->free[i].count >= n)
		{
			first = meta->free[i].start;
			meta->free[i].start += n;
			meta->free[i].count -= n;
			if (meta->free[i].count == 0)
			{
				memmove(&meta->free[i], &meta->free[i + 1],
						(meta->nfree - i - 1) * sizeof(LsmFreeExtent));
				meta->nfree--;
			}
			return first;
		}
	}

	LockRelationForExtension(rel, ExclusiveLock);
	first = RelationGetNumberOfBlocks(rel);
	if ((uint64) first + n >= MaxBlockNumber)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot extend lsm relation \"%s\" beyond %u blocks",
						RelationGetRelationName(rel), MaxBlockNumber)));
	/*
	 * Zero blocks written straight to the file (as hash indexes extend by
	 * whole bucket ranges): no buffer is taken for them, so extending by
	 * an SSTable's worth of blocks does not evict dirty buffers one by one
	 * while others wait for the extension lock.  The callers fill them
	 * through the buffer manager (RBM_ZERO_AND_LOCK) and log them.
	 */
	{
		PGAlignedBlock zero;
		SMgrRelation smgr = RelationGetSmgr(rel);

		memset(zero.data, 0, BLCKSZ);
		for (i = 0; i < (int) n; i++)
			smgrextend(smgr, MAIN_FORKNUM, first + i, zero.data, false);
	}
	UnlockRelationForExtension(rel, ExclusiveLock);
	return first;
}

#ifdef USE_ASSERT_CHECKING
static bool
ranges_overlap(BlockNumber a, uint32 na, BlockNumber b, uint32 nb)
{
	return na > 0 && nb > 0 && a < b + nb && b < a + na;
}
#endif

void
lsm_meta_check(const LsmMetaData *meta, const LsmSstEntry *ssts, int nssts)
{
#ifdef USE_ASSERT_CHECKING
	int			i,
				j;

	Assert(meta->magic == LSM_META_MAGIC);
	Assert(meta->nfree <= LSM_MAX_FREE_EXTENTS);
	Assert(meta->nloggens <= LSM_MAX_LOGGENS);
	if (meta->version == 1)
	{
		/* a version-1 metapage changed before its first manifest edit */
		ssts = LsmMetaV1Ssts(meta);
		nssts = meta->nssts_v1;
	}
	else
	{
		Assert(meta->version == LSM_META_VERSION);
		Assert(ssts == NULL || meta->nssts == (uint32) nssts);
		Assert(meta->nssts <= (uint32) LSM_META_MAX_SSTS);
		Assert(meta->nmpages <= LSM_META_MAX_MPAGES);
		Assert(meta->nmpages * LSM_MPAGE_MAX_ENTRIES >= meta->nssts);
	}
	if (ssts == NULL)
		nssts = 0;				/* the SSTables were not given */
	for (i = 0; meta->version != 1 && i < (int) meta->nmpages; i++)
	{
		Assert(meta->mpages[i] > LSM_METAPAGE_BLKNO);
		for (j = 0; j < meta->nfree; j++)
			Assert(!ranges_overlap(meta->free[j].start, meta->free[j].count,
								   meta->mpages[i], 1));
		for (j = 0; j < nssts; j++)
			Assert(!ranges_overlap(ssts[j].start, ssts[j].nblocks, meta->mpages[i], 1));
	}
	for (i = 0, j = 0; i < nssts; i++)
		if (ssts[i].level == 0)
			j++;
	Assert(ssts == NULL || meta->version == 1 || meta->nl0 == (uint32) j);
	for (i = 0; i < meta->nfree; i++)
	{
		const LsmFreeExtent *f = &meta->free[i];

		Assert(f->count > 0);
		Assert(f->start > LSM_METAPAGE_BLKNO);
		/* sorted and disjoint (adjacent ones are merged) */
		if (i > 0)
			Assert(meta->free[i - 1].start + meta->free[i - 1].count < f->start);
		for (j = 0; j < nssts; j++)
			Assert(!ranges_overlap(f->start, f->count,
								   ssts[j].start, ssts[j].nblocks));
		for (j = 0; j < meta->nloggens; j++)
		{
			const LsmLogGen *lg = &meta->loggens[j];

			if (BlockNumberIsValid(lg->head))
				Assert(!ranges_overlap(f->start, f->count, lg->head, 1));
			if (BlockNumberIsValid(lg->tail))
				Assert(!ranges_overlap(f->start, f->count, lg->tail, 1));
		}
	}
	for (i = 0; i < nssts; i++)
	{
		const LsmSstEntry *e = &ssts[i];

		Assert(e->start > LSM_METAPAGE_BLKNO && e->nblocks > 0);
		Assert(e->min_seq <= e->max_seq);
		/* quadratic: only for manifests a test makes */
		for (j = i + 1; j < nssts && nssts <= 2000; j++)
			Assert(!ranges_overlap(e->start, e->nblocks,
								   ssts[j].start, ssts[j].nblocks));
	}
#endif
}

/*
 * Return blocks to the manifest's free list, merging with neighbours.
 * When the list is full the smallest extent is forgotten (its space stays
 * unused until the relation is rewritten).
 */
void
lsm_free_blocks(LsmMetaData *meta, BlockNumber start, uint32 n)
{
	int			i;
	int			pos;

	if (n == 0)
		return;
	for (pos = 0; pos < meta->nfree && meta->free[pos].start < start; pos++)
		;
	/* merge with predecessor */
	if (pos > 0 && meta->free[pos - 1].start + meta->free[pos - 1].count == start)
	{
		meta->free[pos - 1].count += n;
		if (pos < meta->nfree && start + n == meta->free[pos].start)
		{
			meta->free[pos - 1].count += meta->free[pos].count;
			memmove(&meta->free[pos], &meta->free[pos + 1],
					(meta->nfree - pos - 1) * sizeof(LsmFreeExtent));
			meta->nfree--;
		}
		return;
	}
	/* merge with successor */
	if (pos < meta->nfree && start + n == meta->free[pos].start)
	{
		meta->free[pos].start = start;
		meta->free[pos].count += n;
		return;
	}
	if (meta->nfree == LSM_MAX_FREE_EXTENTS)
	{
		int			smallest = 0;

		for (i = 1; i < meta->nfree; i++)
			if (meta->free[i].count < meta->free[smallest].count)
				smallest = i;
		if (meta->free[smallest].count >= n)
			return;				/* forget the new one instead */
		memmove(&meta->free[smallest], &meta->free[smallest + 1],
				(meta->nfree - smallest - 1) * sizeof(LsmFreeExtent));
		meta->nfree--;
		if (smallest < pos)
			pos--;
	}
	memmove(&meta->free[pos + 1], &meta->free[pos],
			(meta->nfree - pos) * sizeof(LsmFreeExtent));
	meta->free[pos].start = start;
	meta->free[pos].count = n;
	meta->nfree++;
}

/* ---------- memtable log pages ---------- */

Size
lsm_logitem_size(const char *key, Size keylen, Size vlen)
{
	return LSM_LOGITEM_HDRSZ + (key ? keylen : 0) + vlen;
}

/*
 * Write a log item into dst (lsm_logitem_size bytes).  key == NULL means
 * the row key of seq itself, which is not stored.
 */
Size
lsm_logitem_encode(char *dst, uint64 seq, lsm_entry_type type,
				   const char *key, Size keylen, const char *value, Size vlen)
{
	LsmLogItem	hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.seq = seq;
	hdr.type = (uint8) type;
	if (key == NULL)
	{
		hdr.flags = LSM_LOGITEM_ROWKEY;
		keylen = 0;
	}
	hdr.keylen = (uint16) keylen;
	memcpy(dst, &hdr, LSM_LOGITEM_HDRSZ);
	if (keylen)
		memcpy(dst + LSM_LOGITEM_HDRSZ, key, keylen);
	memcpy(dst + LSM_LOGITEM_HDRSZ + keylen, value, vlen);
	return LSM_LOGITEM_HDRSZ + keylen + vlen;
}

/* Decode a log item; false if it is malformed. */
bool
lsm_logitem_decode(const char *item, Size len, LsmLogItemView *v)
{
	LsmLogItem	hdr;

	if (len < LSM_LOGITEM_HDRSZ)
		return false;
	memcpy(&hdr, item, LSM_LOGITEM_HDRSZ);
	if (len < LSM_LOGITEM_HDRSZ + hdr.keylen)
		return false;
	v->seq = hdr.seq;
	v->type = (lsm_entry_type) hdr.type;
	if (hdr.flags & LSM_LOGITEM_ROWKEY)
	{
		lsm_put_be64(v->keybuf, hdr.seq);
		v->key = v->keybuf;
		v->keylen = LSM_ROWKEY_LEN;
	}
	else
	{
		v->key = item + LSM_LOGITEM_HDRSZ;
		v->keylen = hdr.keylen;
	}
	v->value = item + LSM_LOGITEM_HDRSZ + hdr.keylen;
	v->vlen = len - LSM_LOGITEM_HDRSZ - hdr.keylen;
	return true;
}

/*
 * Record in the metapage that log page blk joined the chain of memtable
 * generation gen right after page `after` (the generation's first page if
 * after is invalid; its tail if it follows the tail), and take blk off the
 * free list if it was there.  Used by the write path and by redo, so that both
 * produce the same page.
 */
void
lsm_meta_add_logpage(Page metapage, uint64 gen, BlockNumber blk, BlockNumber after)
{
	LsmMetaData *meta = LsmPageGetMeta(metapage);
	int			i;

	if (!BlockNumberIsValid(after))
	{
		LsmLogGen  *lg;

		if (meta->nloggens >= LSM_MAX_LOGGENS)
			elog(PANIC, "lsm metapage: too many memtable generations");
		lg = &meta->loggens[meta->nloggens++];
		memset(lg, 0, sizeof(LsmLogGen));
		lg->gen = gen;
		lg->head = blk;
		lg->tail = blk;
		lg->npages = 1;
		meta->next_gen = Max(meta->next_gen, gen + 1);
	}
	else
	{
		LsmLogGen  *lg = &meta->loggens[meta->nloggens - 1];

		if (lg->tail == after)
			lg->tail = blk;
		lg->npages++;
	}
	for (i = 0; i < meta->nfree; i++)
	{
		LsmFreeExtent *e = &meta->free[i];

		if (blk >= e->start && blk < e->start + e->count)
		{
			if (blk == e->start)
			{
				e->start++;
				e->count--;
				if (e->count == 0)
				{
					memmove(e, e + 1, (meta->nfree - i - 1) * sizeof(LsmFreeExtent));
					meta->nfree--;
				}
			}
			else
				elog(PANIC, "lsm metapage: log page %u taken from the middle of a free extent", blk);
			break;
		}
	}
	lsm_meta_set_lower(metapage);
}

void
lsm_logpage_init(Page page, uint64 gen)
{
	LsmLogPageOpaque *op;

	PageInit(page, BLCKSZ, sizeof(LsmLogPageOpaque));
	op = (LsmLogPageOpaque *) PageGetSpecialPointer(page);
	op->gen = gen;
	op->next = InvalidBlockNumber;
	op->flags = 0;
	op->page_id = LSM_LOGPAGE_ID;
}

/* Collect the log pages of a memtable generation (walking its chain). */
BlockNumber *
lsm_loggen_pages(Relation rel, const LsmLogGen *lg, int *npages)
{
	BlockNumber *pages = palloc(sizeof(BlockNumber) * Max(lg->npages, 1));
	BlockNumber blk = lg->head;
	int			n = 0;

	while (BlockNumberIsValid(blk))
	{
		Buffer		buf;
		LsmLogPageOpaque *op;

		if (n >= (int) lg->npages)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("memtable log of relation \"%s\" is longer than its manifest says",
							RelationGetRelationName(rel))));
		pages[n++] = blk;
		buf = ReadBuffer(rel, blk);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		op = (LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(buf));
		blk = op->next;
		UnlockReleaseBuffer(buf);
	}
	*npages = n;
	return pages;
}

