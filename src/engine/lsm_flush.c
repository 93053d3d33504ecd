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

/* a flush carries at most this fraction (1/n) of its memtable's entries */
#define CARRY_MAX_FRACTION 8

/*
 * A table's memtable holds new rows in row-id order of their insertion,
 * but rows held back in write batches (engine/lsm_writebatch.c) come in
 * at their commit with ids handed out before: the rows above the freeze's
 * carry_from may sit between the ids of the next memtable's rows.  Left
 * there, every level-0 SSTable would overlap the next one, and none could
 * be moved down without a rewrite.  So the flush writes those entries
 * again into the active memtable (logged there before this flush frees the
 * old log pages) and leaves them out of its SSTable; a copy seen twice
 * until then is the same internal key (the merging iterator and row
 * lookups keep one).  Only when this is the only frozen memtable (a newer
 * frozen one would be flushed before the carried entries), and only a
 * small part of it.  The flush leaves out the keys in [*lo, *hi) (none if
 * *lo is 0): what was carried, all of the tail unless the active memtable
 * ran out of room part way.
 */
static void
carry_tail(Relation rel, LsmRelState *st, LsmMemSlot *slot, lsm_allocator *allocator,
		   uint64 *lo, uint64 *hi)
{
	uint64		from = slot->carry_from;
	char		ikey[LSM_ROWKEY_LEN + LSM_TRAILER_SIZE];
	lsm_iter   *it;
	LsmWriteOp *ops;
	int			n = 0;
	int			max = (int) Min(slot->mt.num_entries / CARRY_MAX_FRACTION, 100000);
	bool		only;
	int			done;

	*lo = *hi = 0;
	if (st->is_index || from == 0 || max == 0)
		return;
	LWLockAcquire(&st->lock, LW_SHARED);
	only = st->nfrozen == 1 && lsm_slot(st->frozen[0]) == slot;
	LWLockRelease(&st->lock);
	if (!only)
		return;

	ops = palloc(sizeof(LsmWriteOp) * (max + 1));
	lsm_put_be64(ikey, from);
	lsm_trailer_encode(ikey + LSM_ROWKEY_LEN, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	it = lsm_memtable_iter_new(&slot->mt, lsm_rel_comparator(rel), allocator);
	for (lsm_iter_seek(it, ikey, sizeof(ikey)); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen,
					vlen;
		const char *k = lsm_iter_key(it, &klen);
		const char *v = lsm_iter_value(it, &vlen);
		LsmWriteOp *op;
		uint64		seq;
		lsm_entry_type type;
		char	   *mem;

		if (n == max)
		{
			n = -1;				/* too many: flush them all */
			break;
		}
		Assert(klen == LSM_ROWKEY_LEN + LSM_TRAILER_SIZE);
		Assert(lsm_get_be64(k) >= from);
		lsm_ikey_decode(k, klen, NULL, &seq, &type);
		op = &ops[n++];
		memset(op, 0, sizeof(*op));
		mem = palloc(LSM_ROWKEY_LEN + vlen + 1);
		memcpy(mem, k, LSM_ROWKEY_LEN);
		memcpy(mem + LSM_ROWKEY_LEN, v, vlen);
		op->type = type;
		op->key = mem;
		op->keylen = LSM_ROWKEY_LEN;
		op->value = mem + LSM_ROWKEY_LEN;
		op->vlen = vlen;
		op->seq = seq;
		op->seq_preset = true;
	}
	lsm_iter_destroy(it);
	if (n < 0)
		return;					/* too many: flush them all */

	/*
	 * Carried at most once: if this flush fails after (or while) writing
	 * them, its retry flushes everything, and the copies in the active
	 * memtable are in another source (never twice in one skiplist).
	 */
	slot->carry_from = 0;
	done = n > 0 ? lsm_memstore_carry(rel, ops, n) : 0;
	/* cut short: the flush keeps the rest (an entry of ops[done]'s row
	 * carried before it is then in both, a harmless copy) */
	*lo = from;
	*hi = done == n ? PG_UINT64_MAX : lsm_get_be64(ops[done].key);
}

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
	uint64		carry_lo;
	uint64		carry_hi;
	uint64		carried;

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
	carry_tail(rel, st, slot, &allocator, &carry_lo, &carry_hi);
	carried = 0;
	lsm_sst_writer_init(&w, rel, st, "flush", &opts, cxt, 0, 0);
	it = lsm_memtable_iter_new(&slot->mt, lsm_rel_comparator(rel), &allocator);
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen,
					vlen;
		const char *k = lsm_iter_key(it, &klen);
		const char *v = lsm_iter_value(it, &vlen);
		LsmRowHeader hdr;

		if (carry_lo != 0 && lsm_get_be64(k) >= carry_lo && lsm_get_be64(k) < carry_hi)
		{
			carried++;
			continue;			/* in the active memtable now */
		}

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
	res.keys_dropped = slot->mt.num_entries - w.entries - carried;
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
