/*-------------------------------------------------------------------------
 *
 * lsm_sstwriter.c
 *	  Storing a finished SSTable for a flush, a compaction or an index
 *	  build: reserve its blocks from the manifest, write and log its pages,
 *	  describe it for the manifest edit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "utils/timestamp.h"

#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_sstwriter.h"
#include "storage/lsm_format.h"
#include "storage/lsm_sstfile.h"

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
