/*-------------------------------------------------------------------------
 *
 * lsm_sstfile.h
 *	  SSTables over pages: the core's lsm_file read through the buffer
 *	  manager, the page writer, the core's palloc allocator and buffer
 *	  sink, SSTable ids, and core errors reported with ereport.
 *
 * REQUIRES: lsm_sst_write's blocks were reserved for this SSTable (engine/
 * engine/lsm_manifest.c) and no manifest entry references them yet.  A reader
 * (lsm_sst_file_init) keeps the SSTable's blocks from reuse by reading
 * within a view that registered the manifest version it copied
 * (lsm_manifest_pin_view, engine/lsm_readview.c) for as long as it reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_SSTFILE_H
#define LSM_SSTFILE_H

#include "postgres.h"

#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/lsm_sstable.h"
#include "storage/lsm_format.h"

typedef struct LsmSstFileCtx
{
	Relation	rel;
	BlockNumber start;
	uint32		nblocks;
	XLogRecPtr	max_lsn;		/* pages newer than this were reused */
	BufferAccessStrategy strategy;
	Buffer		buf;			/* currently pinned page, or InvalidBuffer */
	BlockNumber bufblk;
} LsmSstFileCtx;

extern void lsm_sst_file_init(lsm_file *file, LsmSstFileCtx *ctx, Relation rel,
							  const LsmSstEntry *sst, BufferAccessStrategy strategy);
extern void lsm_sst_file_release(LsmSstFileCtx *ctx);
extern void lsm_sst_file_forget_pins(void);
extern void lsm_sst_write(Relation rel, const char *data, uint64 len,
						  BlockNumber start, uint32 nblocks);
extern void lsm_palloc_allocator_init(lsm_allocator *alloc, MemoryContext cxt);
extern void lsm_report_sst_error(Relation rel, const LsmSstEntry *sst,
								 lsm_status st, uint64 bad_offset);
extern void lsm_report_core_error(Relation rel, const char *what, lsm_status st)
			pg_attribute_noreturn();

/* A growable palloc'd buffer as the core's sink: SSTables are built here. */
typedef struct LsmBufSink
{
	char	   *data;
	Size		len;
	Size		cap;
	lsm_sink	sink;			/* pass &sink to lsm_sst_builder_new */
} LsmBufSink;

extern void lsm_bufsink_init(LsmBufSink *b, Size cap);

/* A new SSTable id (random UUID, 16 bytes). */
extern void lsm_make_uuid(uint8 *id);

#endif							/* LSM_SSTFILE_H */
