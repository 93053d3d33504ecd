/*-------------------------------------------------------------------------
 *
 * engine/lsm_flush.c
 *	  Flush: write a frozen memtable as a level-0 SSTable.
 *
 * Steps, for the oldest frozen memtable of a relation:
 *	1. iterate its skiplist in key order into the SSTable builder,
 *	   dropping entries of aborted transactions;
 *	2. reserve blocks for it (lsm_manifest_reserve) and write its pages,
 *	   each logged as a full-page image (they are not referenced yet, so a
 *	   crash here leaves only space that the next startup sweeps back);
 *	3. in one XLOG_LSM_FLUSH record (a full image of the metapage), add
 *	   the SSTable to level 0, drop the memtable's log generation and put
 *	   its log pages on the free list, and retire the memtable slot (freed
 *	   when its last reader unpins it); under the relation state's lock,
 *	   so readers see either the memtable or the SSTable, never neither
 *	   (lsm_manifest_apply).
 *
 * Flushes of one relation are serialized by its state's LSM_CLAIM_FLUSH
 * (a compaction may run at the same time: each applies its own edit to
 * the manifest); the caller's lock on the relation keeps TRUNCATE and
 * DROP away.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xloginsert.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
#include "core/lsm_core.h"
#include "core/lsm_memtable.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_flush.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_sstwriter.h"
#include "engine/lsm_visibility.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "utils/memutils.h"

/*
 * Flush one frozen memtable slot (pinned by the caller).
 */
static void
flush_one(Relation rel, LsmRelState *st, int idx, const char *reason)
{
	LsmMemSlot *slot = lsm_slot(idx);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "lsm flush", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	lsm_allocator allocator;
	lsm_sst_options opts;
	LsmSstWriter w;
	lsm_iter   *it;
	LsmSstEntry *outs;
	int			nouts;
	LsmManifestEdit edit;
	LsmJobResult res;
	int			job;

	Assert(slot->state == LSM_SLOT_FROZEN && slot->refcount > 0);
	job = lsm_job_start(rel, true, -1, 0, false, NULL, 0, slot->mt.num_entries,
						reason);
	lsm_palloc_allocator_init(&allocator, cxt);
	lsm_rel_sst_options(rel, &opts);
	/*
	 * Level-0 SSTables are rewritten by the next compaction: compress them
	 * with zstd's fastest level, as RocksDB setups often leave L0 lightly
	 * compressed; compaction outputs use the table's level.
	 */
	opts.zstd_level = Min(opts.zstd_level, 1);
	/* one output: a memtable becomes one level-0 SSTable */
	lsm_sst_writer_init(&w, rel, st, "flush", &opts, cxt, 0, 0);
	it = lsm_memtable_iter_new(&slot->mt, lsm_rel_comparator(rel), &allocator);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen,
					vlen;
		const char *k = lsm_iter_key(it, &klen);
		const char *v = lsm_iter_value(it, &vlen);
		LsmRowHeader hdr;

		/* index entries carry no transaction: never aborted */
		if (!st->is_index && vlen >= sizeof(LsmRowHeader))
		{
			memcpy(&hdr, v, sizeof(hdr));
			if (lsm_entry_is_aborted(&hdr))
				continue;
		}
		lsm_sst_writer_add(&w, k, klen, v, vlen);
	}
	lsm_iter_destroy(it);
	outs = lsm_sst_writer_finish(&w, &nouts);
	Assert(nouts <= 1);

	/* SSTable in, memtable out, in one step */
	memset(&edit, 0, sizeof(edit));
	edit.flushed_gen = slot->gen;
	edit.from_level = -1;
	edit.to_level = 0;
	edit.nadd = nouts;
	edit.add = outs;
	lsm_manifest_apply(rel, st, &edit);
	st->flushes++;
	st->bytes_flushed += w.file_bytes;

	memset(&res, 0, sizeof(res));
	res.status = "done";
	res.noutputs = nouts;
	res.outputs = outs;
	res.bytes_read = slot->mt.data_bytes;
	res.bytes_read_from = slot->mt.data_bytes;
	res.bytes_written = w.bytes_written;
	res.keys_in = slot->mt.num_entries;
	res.keys_dropped = slot->mt.num_entries - w.entries;
	lsm_job_finish(job, rel, &res);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * Flush the frozen memtables of a relation (and, with all, the active one
 * first).  Returns the number of memtables flushed.  The caller holds at
 * least AccessShareLock on rel.
 */
int
lsm_flush_relation(Relation rel, bool all)
{
	LsmRelState *st;
	int			count = 0;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot flush lsm relations during recovery"),
				 errhint("Flush on the primary; standbys replay its flushes.")));

	st = lsm_memstore_open(rel);

	/* one flusher per relation: wait for one already running */
	while (!lsm_claim_try(st, LSM_CLAIM_FLUSH))
	{
		(void) ConditionVariableTimedSleep(&st->cv, 100, PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
	ConditionVariableCancelSleep();

	PG_TRY();
	{
		if (all)
			lsm_memstore_freeze(st);
		for (;;)
		{
			int			idx;

			LWLockAcquire(&st->lock, LW_SHARED);
			if (st->nfrozen == 0)
			{
				LWLockRelease(&st->lock);
				break;
			}
			idx = st->frozen[0];
			lsm_slot_pin(idx);
			LWLockRelease(&st->lock);

			flush_one(rel, st, idx, all ? "flush requested" : "memtable full");
			lsm_slot_unpin(idx, CurrentResourceOwner);
			count++;
		}
		st->flush_requested = false;
		if (count > 0)
			lsm_maybe_request_compaction(rel, st);
	}
	PG_CATCH();
	{
		/* no lock here: the error may have been raised holding st->lock */
		lsm_job_fail_current_error();
		st->flush_requested = true; /* retried after a pause */
		lsm_claim_release(LSM_CLAIM_FLUSH, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	lsm_claim_release(LSM_CLAIM_FLUSH, false);
	return count;
}
