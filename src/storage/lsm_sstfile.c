/*-------------------------------------------------------------------------
 *
 * lsm_sstfile.c
 *	  SSTables stored as byte streams over runs of contiguous pages of the
 *	  relation, read through the buffer manager as the core's lsm_file,
 *	  written as full-page images; the palloc allocator and the growable
 *	  buffer sink the core builds SSTables into; SSTable ids; core errors
 *	  reported as ereport.
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
#include "core/lsm_core.h"
#include "storage/lsm_format.h"
#include "storage/lsm_sstfile.h"
#include "utils/memutils.h"

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

/*
 * Buffer pins the open SSTable readers of this backend keep between
 * reads.  A reader keeps its last page pinned (the next read is mostly on
 * it) only while fewer than max_kept_pins() are kept, so that a scan over
 * thousands of SSTables does not pin thousands of buffers.  Pins released
 * by a resource owner at abort are not seen here: the count is reset at
 * the end of every top-level transaction (lsm_sst_file_forget_pins), when
 * no reader is open.
 */
static int	kept_pins = 0;

static inline int
max_kept_pins(void)
{
	return Max(16, NBuffers / 16);
}

void
lsm_sst_file_forget_pins(void)
{
	kept_pins = 0;
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
			{
				ReleaseBuffer(ctx->buf);
				kept_pins--;
			}
			ctx->buf = InvalidBuffer;
			ctx->bufblk = ctx->start + rel_blk;
			ctx->buf = ReadBufferExtended(ctx->rel, MAIN_FORKNUM, ctx->bufblk,
										  RBM_NORMAL, ctx->strategy);
			kept_pins++;
		}
		LockBuffer(ctx->buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(ctx->buf);
		if (!XLogRecPtrIsInvalid(ctx->max_lsn) && PageGetLSN(page) > ctx->max_lsn)
		{
			/*
			 * Written after the view opened: the SSTable was compacted away
			 * and its blocks reused.  On a primary, version pins prevent that; a
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
		if (kept_pins > max_kept_pins())
		{
			ReleaseBuffer(ctx->buf);
			ctx->buf = InvalidBuffer;
			kept_pins--;
		}
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
	{
		ReleaseBuffer(ctx->buf);
		kept_pins--;
	}
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

/* A new SSTable id: a random (version 4) UUID. */
void
lsm_make_uuid(uint8 *id)
{
	if (!pg_strong_random(id, 16))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
}

/*
 * A core function failed while lsm_am was doing what (a flush, a
 * compaction, an index build, a memtable insert) on rel: the one place
 * where core status codes become errors.
 */
void
lsm_report_core_error(Relation rel, const char *what, lsm_status st)
{
	switch (st)
	{
		case LSM_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory in lsm %s of relation \"%s\"",
							what, RelationGetRelationName(rel)),
					 errdetail("The engine core could not allocate memory (%s).",
							   lsm_status_string(st))));
			break;
		case LSM_CORRUPT:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("corrupted data met by lsm %s of relation \"%s\"",
							what, RelationGetRelationName(rel)),
					 errdetail("The engine core reported: %s.", lsm_status_string(st)),
					 errhint("Restore the relation from a backup or a standby.")));
			break;
		case LSM_IOERR:
			ereport(ERROR,
					(errcode(ERRCODE_IO_ERROR),
					 errmsg("I/O error in lsm %s of relation \"%s\"",
							what, RelationGetRelationName(rel)),
					 errdetail("The engine core reported: %s.", lsm_status_string(st))));
			break;
		default:
			/* LSM_INVALID, LSM_NOTFOUND: a bug of lsm_am, not of the data */
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("lsm %s of relation \"%s\" failed: %s",
							what, RelationGetRelationName(rel), lsm_status_string(st)),
					 errdetail("The engine core refused an argument (for example keys out of order)."),
					 errhint("This is a bug of lsm_am; please report it with the server log.")));
			break;
	}
}
