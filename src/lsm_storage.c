/*-------------------------------------------------------------------------
 *
 * lsm_storage.c
 *	  The relation's main fork as lsm_am lays it out: the metapage
 *	  (manifest) at block 0, memtable log pages, and SSTables stored as
 *	  byte streams over runs of contiguous pages, all read and written
 *	  through the buffer manager (which is lsm_am's block cache).
 *
 * An SSTable of file_size bytes occupies nblocks = ceil(file_size /
 * LSM_SST_PAGE_PAYLOAD) pages from its start block; each page has a
 * standard page header followed by up to LSM_SST_PAGE_PAYLOAD bytes, and
 * pd_lower marks the end of its bytes, so full-page images skip the
 * unused tail of the last page.  Pages are WAL-logged as full images when
 * written; they never change afterwards.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "access/transam.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "lsm_am.h"
#include "lsm_index.h"

/* ---------- metapage ---------- */

void
lsm_meta_init_page(Page page)
{
	LsmMetaData *meta;

	PageInit(page, BLCKSZ, 0);
	meta = LsmPageGetMeta(page);
	memset(meta, 0, offsetof(LsmMetaData, ssts));
	meta->magic = LSM_META_MAGIC;
	meta->version = LSM_META_VERSION;
	meta->next_seq = LSM_FIRST_SEQ;
	meta->next_gen = 1;
	((PageHeader) page)->pd_lower =
		((char *) meta + offsetof(LsmMetaData, ssts)) - (char *) page;
}

/* Set pd_lower past the used part of the manifest (so FPIs are small). */
void
lsm_meta_set_lower(Page page)
{
	LsmMetaData *meta = LsmPageGetMeta(page);

	((PageHeader) page)->pd_lower =
		((char *) &meta->ssts[meta->nssts]) - (char *) page;
}

static void
check_meta(Relation rel, Buffer buf)
{
	Page		page = BufferGetPage(buf);
	LsmMetaData *meta = LsmPageGetMeta(page);

	if (meta->magic != LSM_META_MAGIC || meta->version != LSM_META_VERSION ||
		meta->nssts > LSM_META_MAX_SSTS || meta->nloggens > LSM_MAX_LOGGENS ||
		meta->nfree > LSM_MAX_FREE_EXTENTS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid lsm metapage in relation \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("Block %u has magic 0x%08X version %u, expected 0x%08X version %u.",
						   LSM_METAPAGE_BLKNO, meta->magic, meta->version,
						   LSM_META_MAGIC, LSM_META_VERSION)));
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
	for (i = 0; i < (int) n; i++)
	{
		Buffer		buf = ReadBufferExtended(rel, MAIN_FORKNUM, P_NEW, RBM_NORMAL, NULL);

		if (BufferGetBlockNumber(buf) != first + i)
			elog(ERROR, "lsm relation \"%s\" extended concurrently",
				 RelationGetRelationName(rel));
		ReleaseBuffer(buf);
	}
	UnlockRelationForExtension(rel, ExclusiveLock);
	return first;
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
 * Record in the metapage that blk became the tail log page of memtable
 * generation gen (its first page if newgen), and take blk off the free
 * list if it was there.  Used by the write path and by redo, so that both
 * produce the same page.
 */
void
lsm_meta_add_logpage(Page metapage, uint64 gen, BlockNumber blk, bool newgen)
{
	LsmMetaData *meta = LsmPageGetMeta(metapage);
	int			i;

	if (newgen)
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

/* ---------- SSTable pages ---------- */

/*
 * Write an SSTable's bytes onto its (already allocated) blocks, each page
 * logged as a full image.  The SSTable becomes visible only when the
 * caller's manifest change referencing these blocks is logged.
 */
void
lsm_sst_write(Relation rel, const char *data, uint64 len,
			  BlockNumber start, uint32 nblocks)
{
	uint32		i;

	for (i = 0; i < nblocks; i++)
	{
		uint64		off = (uint64) i * LSM_SST_PAGE_PAYLOAD;
		Size		n = Min(LSM_SST_PAGE_PAYLOAD, len - off);
		Buffer		buf;
		Page		page;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, start + i, RBM_ZERO_AND_LOCK, NULL);
		page = BufferGetPage(buf);

		START_CRIT_SECTION();
		PageInit(page, BLCKSZ, 0);
		memcpy((char *) page + SizeOfPageHeaderData, data + off, n);
		((PageHeader) page)->pd_lower = SizeOfPageHeaderData + n;
		MarkBufferDirty(buf);
		if (RelationNeedsWAL(rel))
			log_newpage_buffer(buf, true);
		END_CRIT_SECTION();

		UnlockReleaseBuffer(buf);
	}
}

static lsm_status
sst_file_read(void *arg, uint64_t offset, size_t len, char *dst)
{
	LsmSstFileCtx *ctx = (LsmSstFileCtx *) arg;

	while (len > 0)
	{
		BlockNumber rel_blk = (BlockNumber) (offset / LSM_SST_PAGE_PAYLOAD);
		Size		in_page = offset % LSM_SST_PAGE_PAYLOAD;
		Size		n = Min(len, LSM_SST_PAGE_PAYLOAD - in_page);
		Page		page;
		Size		avail;

		if (rel_blk >= ctx->nblocks)
			return LSM_CORRUPT;
		if (ctx->buf == InvalidBuffer || ctx->bufblk != ctx->start + rel_blk)
		{
			if (ctx->buf != InvalidBuffer)
				ReleaseBuffer(ctx->buf);
			ctx->buf = InvalidBuffer;
			ctx->bufblk = ctx->start + rel_blk;
			ctx->buf = ReadBufferExtended(ctx->rel, MAIN_FORKNUM, ctx->bufblk,
										  RBM_NORMAL, ctx->strategy);
		}
		LockBuffer(ctx->buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(ctx->buf);
		if (!XLogRecPtrIsInvalid(ctx->max_lsn) && PageGetLSN(page) > ctx->max_lsn)
		{
			/*
			 * Written after the view opened: the SSTable was compacted away
			 * and its blocks reused.  On a primary, pins prevent that; a
			 * standby cannot hold the primary back.
			 */
			LockBuffer(ctx->buf, BUFFER_LOCK_UNLOCK);
			if (RecoveryInProgress())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("canceling statement due to conflict with recovery"),
						 errdetail("Blocks of relation \"%s\" that the statement was reading were reused by a compaction on the primary.",
								   RelationGetRelationName(ctx->rel))));
			elog(ERROR, "SSTable block %u of \"%s\" changed under a reader",
				 ctx->bufblk, RelationGetRelationName(ctx->rel));
		}
		avail = PageIsNew(page) ? 0 :
			((PageHeader) page)->pd_lower - SizeOfPageHeaderData;
		if (((PageHeader) page)->pd_lower < SizeOfPageHeaderData ||
			in_page + n > avail)
		{
			LockBuffer(ctx->buf, BUFFER_LOCK_UNLOCK);
			return LSM_CORRUPT;
		}
		memcpy(dst, (char *) page + SizeOfPageHeaderData + in_page, n);
		LockBuffer(ctx->buf, BUFFER_LOCK_UNLOCK);
		dst += n;
		offset += n;
		len -= n;
	}
	return LSM_OK;
}

void
lsm_sst_file_init(lsm_file *file, LsmSstFileCtx *ctx, Relation rel,
				  const LsmSstEntry *sst, BufferAccessStrategy strategy)
{
	ctx->rel = rel;
	ctx->start = sst->start;
	ctx->nblocks = sst->nblocks;
	ctx->strategy = strategy;
	ctx->buf = InvalidBuffer;
	ctx->bufblk = InvalidBlockNumber;
	ctx->max_lsn = InvalidXLogRecPtr;	/* no check unless a view sets it */
	file->read = sst_file_read;
	file->size = sst->file_size;
	file->ctx = ctx;
}

void
lsm_sst_file_release(LsmSstFileCtx *ctx)
{
	if (ctx->buf != InvalidBuffer)
		ReleaseBuffer(ctx->buf);
	ctx->buf = InvalidBuffer;
}

/*
 * Turn a core status met while reading an SSTable into an ERROR naming
 * the relation and the block.
 */
void
lsm_report_sst_error(Relation rel, const LsmSstEntry *sst, lsm_status st,
					 uint64 bad_offset)
{
	BlockNumber blk = sst->start + (BlockNumber) (bad_offset / LSM_SST_PAGE_PAYLOAD);

	if (st == LSM_CORRUPT)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupted SSTable in relation \"%s\" at block %u",
						RelationGetRelationName(rel), blk),
				 errdetail("Checksum or format check failed at byte offset " UINT64_FORMAT " of the SSTable stored in blocks %u..%u.",
						   bad_offset, sst->start, sst->start + sst->nblocks - 1),
				 errhint("Restore the relation from a backup or a standby.")));
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not read SSTable in relation \"%s\" at block %u: %s",
					RelationGetRelationName(rel), blk, lsm_status_string(st))));
}

/* ---------- allocator and options ---------- */

static void *
palloc_alloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_HUGE);
}

static void
palloc_free(void *ctx, void *ptr)
{
	pfree(ptr);
}

/*
 * The core's allocator in the server, bound to one memory context: the
 * core allocates lazily (an SSTable iterator loads blocks as it moves), so
 * its memory must come from the context of the view or flush that owns
 * it, not from whatever context is current when a tuple is fetched.  An
 * ERROR frees it with that context.
 */
void
lsm_palloc_allocator_init(lsm_allocator *alloc, MemoryContext cxt)
{
	alloc->alloc = palloc_alloc;
	alloc->free = palloc_free;
	alloc->ctx = cxt;
}

static lsm_status
bufsink_append(void *arg, const char *data, size_t len)
{
	LsmBufSink *b = (LsmBufSink *) arg;

	if (b->len + len > b->cap)
	{
		Size		newcap = Max(b->cap * 2, b->len + len);

		b->data = repalloc_huge(b->data, newcap);
		b->cap = newcap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return LSM_OK;
}

void
lsm_bufsink_init(LsmBufSink *b, Size cap)
{
	b->data = palloc(cap);
	b->len = 0;
	b->cap = cap;
	b->sink.append = bufsink_append;
	b->sink.ctx = b;
}

/*
 * Store a finished SSTable (file_size bytes of b): reserve blocks for it,
 * write and log its pages, and describe it in *e for a manifest edit at
 * level.  min_xid: its oldest unfrozen xid, or invalid for none.
 */
void
lsm_sst_store(Relation rel, LsmRelState *st, const LsmBufSink *b, uint64 file_size,
			  const lsm_sst_props *props, int level, double bloom_fp_rate,
			  TransactionId min_xid, LsmSstEntry *e)
{
	uint32		nblocks = (uint32) ((file_size + LSM_SST_PAGE_PAYLOAD - 1) / LSM_SST_PAGE_PAYLOAD);
	BlockNumber start = lsm_manifest_reserve(rel, st, nblocks);

	lsm_sst_write(rel, b->data, file_size, start, nblocks);
	memset(e, 0, sizeof(*e));
	lsm_make_uuid(e->id);
	e->level = level;
	e->start = start;
	e->nblocks = nblocks;
	e->file_size = file_size;
	e->entries = props->num_entries;
	e->tombstones = props->num_deletes;
	e->min_seq = props->min_seq;
	e->max_seq = props->max_seq;
	e->created_at = GetCurrentTimestamp();
	e->bloom_fp_rate = bloom_fp_rate;
	/* FrozenTransactionId: nothing unfrozen (0 would mean "unknown") */
	e->min_xid = TransactionIdIsValid(min_xid) ? min_xid : FrozenTransactionId;
}

/*
 * SSTable options of a relation: the lsm_am.* GUCs, overridden by the
 * table's own options (lsm_options.c).
 */
void
lsm_rel_sst_options(Relation rel, lsm_sst_options *opts)
{
	lsm_sst_options_default(opts);
	opts->cmp = *lsm_rel_comparator(rel);
	opts->block_size = lsm_block_size;
	opts->compression = lsm_compression_enabled ? LSM_COMPRESSION_ZSTD : LSM_COMPRESSION_NONE;
	opts->zstd_level = lsm_zstd_level;
	opts->bloom_fp_rate = lsm_bloom_fp_rate;
	lsm_reloptions_apply(rel, opts);
	if (lsm_rel_is_index(rel))
	{
		LsmIndexInfo *ii = lsm_index_info(rel);

		/* bloom keys are the key columns without the TID */
		opts->bloom_prefix = lsm_index_bloom_prefix;
		opts->bloom_prefix_arg = NULL;
		/* equal keys with different bytes would be missed: no filter */
		if (!ii->bloom_ok)
			opts->bloom_fp_rate = 0;
	}
}
