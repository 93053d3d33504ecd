/*-------------------------------------------------------------------------
 *
 * engine/lsm_memtables.c
 *	  The write path: memtables of a relation, their durable logs and
 *	  backpressure.
 *
 * Durability (README "Durability"): every memtable
 * entry is first appended to a log page, an ordinary page of the
 * relation's main fork, under an XLOG_LSM_INSERT record; only then is it
 * put into the memtable's skiplist in shared memory.  Log pages are
 * WAL-logged like any page, so checkpoints, crash recovery, base backups
 * and streaming standbys need nothing special; the skiplists are a cache
 * rebuilt from the log pages by the first backend that opens the relation
 * after a restart (lsm_memstore_open).  A flush (engine/lsm_flush.c) writes a
 * frozen memtable as an SSTable and, in one manifest change, adds the
 * SSTable and frees that memtable's log pages.
 *
 * Concurrent writers (README "Locking rules").  A writer holds its
 * relation state's LWLock shared while it writes a run of entries into the
 * active memtable: it locks the buffer of one of the memtable's open log
 * pages (a lane, LSM_LOG_LANES of them: the first whose buffer lock it
 * gets without waiting, else its own), reserves the entries' skiplist
 * space (a compare-and-swap on the chunk), takes their sequence numbers
 * (an atomic add), appends them to the page, logs it, unlocks the page and
 * links the entries into the skiplist with compare-and-swap
 * (lsm_memtable_insert_concurrent).  What changes the memtable list
 * (freezing the active memtable, starting one) takes the state lock
 * exclusively, so it waits for writers in flight and no writer ever
 * writes into a frozen memtable.  Under log_lock, beside the other
 * writers, a full chunk gets a successor and a lane's full page is
 * replaced: a new page linked into the memtable's one page chain right
 * after the full one.  Entries of concurrent writers enter the skiplist in
 * any order (it sorts them; nothing relies on sequence order of arrival).
 * Readers take the state lock shared only to pin the memtable slots and
 * copy the manifest, then read the skiplists without locks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xloginsert.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/resowner.h"
#include "core/lsm_core.h"
#include "core/lsm_memtable.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_flush.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_visibility.h"
#include "engine/lsm_workers.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "storage/lsm_xlog.h"
#include "utils/memutils.h"

/* GUC (registered by extension/lsm_am.c) */
int			lsm_max_frozen_memtables = 2;
int			lsm_l0_slowdown_trigger = 20;
int			lsm_l0_stop_trigger = 36;

/* Rebuild a slot's skiplist from the items of one log page. */
static void
load_page_items(LsmRelState *st, const lsm_comparator *cmp, int slotidx, Page page,
				OffsetNumber first, OffsetNumber last, uint64 *max_seq, bool *nomem)
{
	LsmMemSlot *slot = lsm_slot(slotidx);
	OffsetNumber off;

	for (off = first; off <= last; off++)
	{
		ItemId		iid = PageGetItemId(page, off);
		LsmLogItemView v;
		lsm_status	s;

		if (!ItemIdIsNormal(iid))
			continue;
		if (!lsm_logitem_decode(PageGetItem(page, iid), ItemIdGetLength(iid), &v))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid lsm log item at offset %u", off)));
		for (;;)
		{
			s = lsm_memtable_insert(&slot->mt, cmp,
									v.key, v.keylen, v.seq, v.type,
									v.value, v.vlen);
			if (s != LSM_NOMEM)
				break;
			if (!lsm_slot_add_chunk(slotidx))
			{
				*nomem = true;
				return;
			}
		}
		if (v.seq > *max_seq)
			*max_seq = v.seq;
		if (!st->is_index)
			lsm_note_xid(&slot->min_xid, v.value, v.vlen);
	}
}

/*
 * Rebuild the memtables of a relation from its log pages.  REQUIRES:
 * st->lock held exclusively, st not loaded.
 */
static void
rebuild(Relation rel, LsmRelState *st)
{
	Buffer		metabuf;
	LsmMetaData *meta;
	uint64		max_seq = 0;
	int			g;
	bool		nomem = false;
	BlockNumber *logpages;
	int			nlogpages = 0;
	int			maxlogpages = 64;

	st->active = -1;
	st->nfrozen = 0;
	pg_atomic_write_u64(&st->next_seq, LSM_FIRST_SEQ);
	for (g = 0; g < LSM_LOG_LANES; g++)
		st->tails[g] = InvalidBlockNumber;
	st->is_index = lsm_rel_is_index(rel);

	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf == InvalidBuffer)
		return;
	meta = palloc(BLCKSZ);
	memcpy(meta, LsmPageGetMeta(BufferGetPage(metabuf)),
		   BLCKSZ - MAXALIGN(SizeOfPageHeaderData));
	{
		int			nssts;
		LsmSstEntry *ssts = lsm_meta_ssts(rel, meta, &nssts);

		for (g = 0; g < nssts; g++)
			max_seq = Max(max_seq, ssts[g].max_seq);
		pfree(ssts);
	}
	UnlockReleaseBuffer(metabuf);

	if (meta->next_seq > 0)
		max_seq = Max(max_seq, meta->next_seq - 1);
	lsm_manifest_init_pins(st, meta);
	logpages = palloc(sizeof(BlockNumber) * 64);

	PG_TRY();
	{
		for (g = 0; g < meta->nloggens; g++)
		{
			LsmLogGen  *lg = &meta->loggens[g];
			int			idx = lsm_slot_alloc(&rel->rd_node, lg->gen);
			BlockNumber blk = lg->head;

			if (idx < 0)
				nomem = true;
			else if (g == meta->nloggens - 1)
			{
				st->active = idx;
				st->tails[0] = lg->tail;
			}
			else
			{
				lsm_slot(idx)->state = LSM_SLOT_FROZEN;
				st->frozen[st->nfrozen++] = idx;
			}
			while (!nomem && BlockNumberIsValid(blk))
			{
				Buffer		buf = ReadBuffer(rel, blk);
				Page		page;
				LsmLogPageOpaque *op;

				LockBuffer(buf, BUFFER_LOCK_SHARE);
				page = BufferGetPage(buf);
				op = (LsmLogPageOpaque *) PageGetSpecialPointer(page);
				if (PageIsNew(page) ||
					PageGetSpecialSize(page) != MAXALIGN(sizeof(LsmLogPageOpaque)) ||
					op->page_id != LSM_LOGPAGE_ID || op->gen != lg->gen)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("invalid memtable log page in relation \"%s\" at block %u",
									RelationGetRelationName(rel), blk),
							 errdetail("Expected a log page of memtable generation " UINT64_FORMAT ".",
									   lg->gen)));
				load_page_items(st, lsm_rel_comparator(rel), idx, page, FirstOffsetNumber,
								PageGetMaxOffsetNumber(page), &max_seq, &nomem);
				if (nlogpages == maxlogpages)
				{
					maxlogpages *= 2;
					logpages = repalloc(logpages, sizeof(BlockNumber) * maxlogpages);
				}
				logpages[nlogpages++] = blk;
				blk = op->next;
				UnlockReleaseBuffer(buf);
			}
			if (nomem)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("not enough memtable memory to load lsm relation \"%s\"",
								RelationGetRelationName(rel)),
						 errdetail("Its unflushed entries do not fit into the free part of lsm_am.memtable_pool_size."),
						 errhint("Increase lsm_am.memtable_pool_size and restart the server.")));
		}
	}
	PG_CATCH();
	{
		lsm_memstore_unload(st);
		PG_RE_THROW();
	}
	PG_END_TRY();

	pg_atomic_write_u64(&st->next_seq, max_seq + 1);
	st->version++;
	if (!RecoveryInProgress())
	{
		/* blocks a crash left unreferenced go back to the free list */
		lsm_manifest_sweep(rel, st, logpages, nlogpages);
		if (st->nfrozen > 0)
			lsm_request_flush(st);
	}
	pfree(meta);
	pfree(logpages);
}

/*
 * Drop the in-memory memtables of a state (they are rebuilt from the log
 * pages on next use).  REQUIRES: st->lock held exclusively.
 */
void
lsm_memstore_unload(LsmRelState *st)
{
	int			i;

	if (st->active >= 0)
		lsm_slot_retire(st->active);
	for (i = 0; i < st->nfrozen; i++)
		lsm_slot_retire(st->frozen[i]);
	st->active = -1;
	st->nfrozen = 0;
	st->loaded = false;
	st->version++;
}

/* Cache the state pointer in the relcache entry (freed with it). */
static void
remember_state(Relation rel, LsmRelState *st)
{
	LsmStateCache *cache = (LsmStateCache *) rel->rd_amcache;

	if (cache == NULL)
	{
		cache = MemoryContextAlloc(rel->rd_indexcxt ? rel->rd_indexcxt : CacheMemoryContext,
								   sizeof(LsmStateCache));
		cache->rows_batchable = -1;
		rel->rd_amcache = cache;
	}
	cache->st = st;
	cache->incarnation = st->incarnation;
}

/*
 * The relation's shared state, with its memtables loaded.
 */
LsmRelState *
lsm_memstore_open(Relation rel)
{
	LsmRelState *st;
	bool		found;
	LsmStateCache *cache = (LsmStateCache *) rel->rd_amcache;

	lsm_check_preloaded();

	/*
	 * Fast path: the state found last time.  Our lock on the relation keeps
	 * other backends from discarding it (that takes AccessExclusiveLock);
	 * the key and incarnation checks catch our own discards and a hash
	 * entry reused since.
	 */
	if (cache != NULL && cache->st->loaded &&
		cache->st->incarnation == cache->incarnation &&
		RelFileNodeEquals(cache->st->key, rel->rd_node))
		return cache->st;

	LWLockAcquire(&lsm_shared->hash_lock, LW_SHARED);
	st = lsm_state_lookup(&rel->rd_node);
	if (st != NULL && st->loaded)
	{
		LWLockRelease(&lsm_shared->hash_lock);
		remember_state(rel, st);
		return st;
	}
	LWLockRelease(&lsm_shared->hash_lock);

	LWLockAcquire(&lsm_shared->hash_lock, LW_EXCLUSIVE);
	st = lsm_state_get(&rel->rd_node, &found);
	st->relid = RelationGetRelid(rel);
	if (st->loaded)
	{
		LWLockRelease(&lsm_shared->hash_lock);
		remember_state(rel, st);
		return st;
	}
	/* hash_lock before the state lock: redo follows the same order */
	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	LWLockRelease(&lsm_shared->hash_lock);
	if (!st->loaded)
	{
		rebuild(rel, st);
		st->loaded = true;
	}
	LWLockRelease(&st->lock);
	remember_state(rel, st);
	return st;
}

/* Entries in the memtables of a state (for estimates). */
uint64
lsm_memstore_entries(LsmRelState *st)
{
	uint64		n = 0;
	int			i;

	LWLockAcquire(&st->lock, LW_SHARED);
	if (st->active >= 0)
		n += lsm_memtable_num_entries(&lsm_slot(st->active)->mt);
	for (i = 0; i < st->nfrozen; i++)
		n += lsm_memtable_num_entries(&lsm_slot(st->frozen[i])->mt);
	LWLockRelease(&st->lock);
	return n;
}

/*
 * The oldest unfrozen xid of a table (memtables and SSTables, read under
 * the state lock so that a flush cannot move entries between the two
 * unseen), starting from start; InvalidTransactionId if unknown.
 */
TransactionId
lsm_memstore_oldest_xid(Relation rel, TransactionId start)
{
	LsmRelState *st = lsm_memstore_open(rel);
	TransactionId min = start;
	Buffer		metabuf;
	int			i;

#define LOWER(x) \
	do { \
		if (TransactionIdIsNormal(x) && TransactionIdPrecedes((x), min)) \
			min = (x); \
	} while (0)

	LWLockAcquire(&st->lock, LW_SHARED);
	if (st->active >= 0)
		LOWER(__atomic_load_n(&lsm_slot(st->active)->min_xid, __ATOMIC_RELAXED));
	for (i = 0; i < st->nfrozen; i++)
		LOWER(lsm_slot(st->frozen[i])->min_xid);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf != InvalidBuffer)
	{
		LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));
		int			nssts;
		LsmSstEntry *ssts = lsm_meta_ssts(rel, meta, &nssts);

		for (i = 0; i < nssts; i++)
		{
			if (!TransactionIdIsValid(ssts[i].min_xid))
				min = InvalidTransactionId;		/* unknown: cannot advance */
			else if (TransactionIdIsValid(min))
				LOWER(ssts[i].min_xid);
		}
		UnlockReleaseBuffer(metabuf);
		pfree(ssts);
	}
	LWLockRelease(&st->lock);
#undef LOWER
	return min;
}

/*
 * The next sequence number to be handed out (scans stop below it).  Every
 * entry below it is in a memtable or SSTable, or is being written by a
 * transaction still in progress, or is held back (pending_lo).
 */
uint64
lsm_memstore_next_seq(LsmRelState *st)
{
	return pg_atomic_read_u64(&st->next_seq);
}

/* Take a sequence number for entries written outside the memtables (index builds). */
uint64
lsm_memstore_take_seq(LsmRelState *st)
{
	uint64		seq;

	/* shared: next_seq does not move under the lock held exclusively */
	LWLockAcquire(&st->lock, LW_SHARED);
	seq = pg_atomic_fetch_add_u64(&st->next_seq, 1);
	LWLockRelease(&st->lock);
	return seq;
}

static void report_out_of_rowids(Relation rel) pg_attribute_noreturn();

static void
report_out_of_rowids(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("lsm relation \"%s\" has run out of row ids",
					RelationGetRelationName(rel)),
			 errdetail("The largest row id is " UINT64_FORMAT ".",
					   (uint64) LSM_MAX_ROWID),
			 errhint("Rewrite the table into a new one (CREATE TABLE ... AS) to start numbering afresh.")));
}

/*
 * Reserve count consecutive sequence numbers (row ids) for entries the
 * caller writes later with seq_preset (a write batch's new rows); returns
 * the first, and in *epoch the table's seq_epoch at the reservation.  The reservation is logged before it returns
 * (lsm_manifest_log_next_seq), so a TID made of one of them that reaches
 * another index's WAL is never reused after a crash, whether or not the
 * row was ever written.
 */
uint64
lsm_memstore_reserve_seqs(Relation rel, uint32 count, uint64 *epoch)
{
	LsmRelState *st = lsm_memstore_open(rel);
	uint64		lo;

	Assert(count > 0);
	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	lo = pg_atomic_read_u64(&st->next_seq);
	if (lo + count - 1 > LSM_MAX_ROWID)
	{
		LWLockRelease(&st->lock);
		report_out_of_rowids(rel);
	}
	pg_atomic_write_u64(&st->next_seq, lo + count);
	lsm_manifest_log_next_seq(rel, st, count);
	/* freezes move it under the lock */
	*epoch = pg_atomic_read_u64(&st->seq_epoch);
	LWLockRelease(&st->lock);
	return lo;
}

/*
 * A backend is about to hand out row ids from lo up for new rows it holds
 * back (lsm_writebatch.c): publish lo before any of them can reach another
 * index, so that a row found nowhere with such an id is not taken for a
 * dead one.  Returns the slot to clear with lsm_memstore_pending_end once
 * the rows are written or dropped, or -1 if every slot is taken (the
 * caller writes its rows at once instead).
 */
int
lsm_memstore_pending_begin(LsmRelState *st, uint64 lo)
{
	int			i;

	Assert(lo >= LSM_FIRST_SEQ);
	for (i = 0; i < LSM_MAX_PENDING; i++)
	{
		uint64		expected = 0;

		/* a full barrier: published before the caller uses the id */
		if (pg_atomic_read_u64(&st->pending_lo[i]) == 0 &&
			pg_atomic_compare_exchange_u64(&st->pending_lo[i], &expected, lo))
			return i;
	}
	return -1;
}

/* The rows of slot (lsm_memstore_pending_begin) are written or dropped. */
void
lsm_memstore_pending_end(LsmRelState *st, int slot)
{
	Assert(slot >= 0 && slot < LSM_MAX_PENDING);
	Assert(pg_atomic_read_u64(&st->pending_lo[slot]) != 0);
	/* a full barrier: the rows' memtable entries are visible before */
	(void) pg_atomic_exchange_u64(&st->pending_lo[slot], 0);
}

/*
 * May rowid belong to a new row that some backend still holds back?  A
 * caller that found nothing of a row asks this first and then looks again
 * through a view opened after it (a batch written in between is in that
 * view): only a row absent both times, and not pending, is gone.
 */
bool
lsm_memstore_rowid_pending(LsmRelState *st, uint64 rowid)
{
	int			i;

	pg_memory_barrier();
	for (i = 0; i < LSM_MAX_PENDING; i++)
	{
		uint64		lo = pg_atomic_read_u64(&st->pending_lo[i]);

		if (lo != 0 && lo <= rowid)
			return true;
	}
	return false;
}

/* The memtables of st, newest first (copied under the state lock). */
int
lsm_memstore_list(LsmRelState *st, LsmMemtableInfo *out, int max)
{
	int			n = 0;
	int			i;

	LWLockAcquire(&st->lock, LW_SHARED);
	if (st->active >= 0 && n < max)
	{
		LsmMemSlot *slot = lsm_slot(st->active);

		out[n].gen = slot->gen;
		out[n].active = true;
		out[n].entries = slot->mt.num_entries;
		out[n].deletes = slot->mt.num_deletes;
		out[n].data_bytes = slot->mt.data_bytes;
		out[n].chunk_bytes = lsm_memtable_chunk_bytes(&slot->mt);
		n++;
	}
	for (i = st->nfrozen - 1; i >= 0 && n < max; i--)
	{
		LsmMemSlot *slot = lsm_slot(st->frozen[i]);

		out[n].gen = slot->gen;
		out[n].active = false;
		out[n].entries = slot->mt.num_entries;
		out[n].deletes = slot->mt.num_deletes;
		out[n].data_bytes = slot->mt.data_bytes;
		out[n].chunk_bytes = lsm_memtable_chunk_bytes(&slot->mt);
		n++;
	}
	LWLockRelease(&st->lock);
	return n;
}

/*
 * Allocate a log page for the active memtable and link it into its page
 * chain right after page `after` (any page of the chain: the lane's full
 * page, or another lane's), or start a new memtable generation if after is
 * invalid.  Returns the block and sets *gen.  REQUIRES: st->lock exclusive,
 * or st->lock shared and log_lock; after's buffer not locked by us.
 *
 * The metapage change is logged as a delta (lsm_meta_add_logpage redoes
 * it), not as a full image: this happens every few dozen rows, and the
 * metapage grows with the SSTable list.
 */
static BlockNumber
new_logpage(Relation rel, LsmRelState *st, BlockNumber after, uint64 *gen)
{
	Buffer		metabuf;
	Buffer		newbuf;
	Buffer		prevbuf = InvalidBuffer;
	LsmMetaData *meta;
	BlockNumber blk;
	BlockNumber next = InvalidBlockNumber;
	xl_lsm_new_logpage xlrec;
	XLogRecPtr	recptr;
	bool		newgen = !BlockNumberIsValid(after);

	Assert(LWLockHeldByMeInMode(&st->lock, LW_EXCLUSIVE) ||
		   (LWLockHeldByMe(&st->lock) && LWLockHeldByMeInMode(&st->log_lock, LW_EXCLUSIVE)));
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_EXCLUSIVE, true);
	meta = LsmPageGetMeta(BufferGetPage(metabuf));

	if (newgen)
	{
		if (meta->nloggens >= LSM_MAX_LOGGENS)
		{
			UnlockReleaseBuffer(metabuf);
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many unflushed memtables in lsm relation \"%s\"",
							RelationGetRelationName(rel)),
					 errhint("Run SELECT lsm_am.flush('%s').",
							 RelationGetRelationName(rel))));
		}
		*gen = meta->next_gen;
	}
	else
	{
		Assert(meta->nloggens > 0);
		*gen = meta->loggens[meta->nloggens - 1].gen;
	}

	/* the first free block, else a new one */
	if (meta->nfree > 0)
		blk = meta->free[0].start;
	else
		blk = lsm_alloc_blocks(rel, NULL, 1);

	newbuf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_ZERO_AND_LOCK, NULL);
	if (!newgen)
	{
		LsmLogPageOpaque *op;

		prevbuf = ReadBuffer(rel, after);
		LockBuffer(prevbuf, BUFFER_LOCK_EXCLUSIVE);
		op = (LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(prevbuf));
		if (op->page_id != LSM_LOGPAGE_ID || op->gen != *gen)
			elog(ERROR, "lsm log page %u of relation \"%s\" is not of memtable generation " UINT64_FORMAT,
				 after, RelationGetRelationName(rel), *gen);
		next = op->next;
	}

	xlrec.gen = *gen;
	xlrec.blkno = blk;
	xlrec.prev = after;
	xlrec.next = next;

	START_CRIT_SECTION();
	lsm_logpage_init(BufferGetPage(newbuf), *gen);
	((LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(newbuf)))->next = next;
	MarkBufferDirty(newbuf);
	if (prevbuf != InvalidBuffer)
	{
		LsmLogPageOpaque *op =
		(LsmLogPageOpaque *) PageGetSpecialPointer(BufferGetPage(prevbuf));

		op->next = blk;
		MarkBufferDirty(prevbuf);
	}
	lsm_meta_add_logpage(BufferGetPage(metabuf), *gen, blk, after);
	MarkBufferDirty(metabuf);

	XLogBeginInsert();
	XLogRegisterData((char *) &xlrec, sizeof(xlrec));
	XLogRegisterBuffer(0, newbuf, REGBUF_WILL_INIT);
	XLogRegisterBuffer(1, metabuf, REGBUF_STANDARD);
	if (prevbuf != InvalidBuffer)
		XLogRegisterBuffer(2, prevbuf, REGBUF_STANDARD);
	recptr = XLogInsert(LSM_RMGR_ID, XLOG_LSM_NEW_LOGPAGE);
	PageSetLSN(BufferGetPage(newbuf), recptr);
	PageSetLSN(BufferGetPage(metabuf), recptr);
	if (prevbuf != InvalidBuffer)
		PageSetLSN(BufferGetPage(prevbuf), recptr);
	END_CRIT_SECTION();

	if (prevbuf != InvalidBuffer)
		UnlockReleaseBuffer(prevbuf);
	UnlockReleaseBuffer(newbuf);
	UnlockReleaseBuffer(metabuf);
	return blk;
}

/*
 * Give lane its next log page: the lane's page was full_blk (or the lane
 * had none: full_blk invalid).  Nothing happens if another writer replaced
 * it meanwhile.  REQUIRES: st->lock shared (not exclusive), no buffer lock.
 */
static void
lane_new_page(Relation rel, LsmRelState *st, int lane, BlockNumber full_blk)
{
	LWLockAcquire(&st->log_lock, LW_EXCLUSIVE);
	if (st->active >= 0 && st->tails[lane] == full_blk)
	{
		uint64		gen;
		BlockNumber after = BlockNumberIsValid(full_blk) ? full_blk : st->tails[0];

		Assert(BlockNumberIsValid(after));
		st->tails[lane] = new_logpage(rel, st, after, &gen);
		Assert(gen == lsm_slot(st->active)->gen);
	}
	LWLockRelease(&st->log_lock);
}

/*
 * Move the active memtable to the frozen list and ask for its flush.
 * REQUIRES: st->lock exclusive.
 */
void
lsm_memstore_freeze_locked(LsmRelState *st)
{
	LsmMemSlot *slot;
	int			i;

	Assert(LWLockHeldByMeInMode(&st->lock, LW_EXCLUSIVE));
	Assert(st->active >= 0 && st->nfrozen < LSM_MAX_FROZEN);
	st->version++;
	slot = lsm_slot(st->active);
	slot->carry_from = 0;
	if (!st->is_index)
	{
		/*
		 * New rows written after this point have row ids at or above
		 * next_seq, or at or above a pending slot's first id (held back
		 * now), or come from a range reserved later: ranges reserved
		 * before are not started after the epoch moves (lsm_batch_take_seq
		 * publishes its slot, then reads the epoch; here the epoch moves,
		 * then the slots are read).
		 */
		uint64		from = pg_atomic_read_u64(&st->next_seq);

		pg_atomic_fetch_add_u64(&st->seq_epoch, 1);		/* a full barrier */
		for (i = 0; i < LSM_MAX_PENDING; i++)
		{
			uint64		lo = pg_atomic_read_u64(&st->pending_lo[i]);

			if (lo != 0 && lo < from)
				from = lo;
		}
		slot->carry_from = from;
	}
	slot->state = LSM_SLOT_FROZEN;
	st->frozen[st->nfrozen++] = st->active;
	st->active = -1;
	for (i = 0; i < LSM_LOG_LANES; i++)
		st->tails[i] = InvalidBlockNumber;
	lsm_request_flush(st);
}

/*
 * Freeze the active memtable if it holds anything (for lsm_am.flush).
 * Returns whether a memtable was frozen.
 */
bool
lsm_memstore_freeze(LsmRelState *st)
{
	bool		frozen = false;

	LWLockAcquire(&st->lock, LW_EXCLUSIVE);
	if (st->active >= 0 && lsm_memtable_num_entries(&lsm_slot(st->active)->mt) > 0 &&
		st->nfrozen < LSM_MAX_FROZEN)
	{
		lsm_memstore_freeze_locked(st);
		frozen = true;
	}
	LWLockRelease(&st->lock);
	return frozen;
}

typedef enum EnsureResult
{
	ENSURE_OK,
	ENSURE_WAIT_FLUSH,			/* too many frozen memtables */
	ENSURE_WAIT_POOL			/* no memtable memory */
} EnsureResult;

/*
 * Make sure the active memtable can take an entry needing `need` bytes of
 * chunk space, freezing a full memtable and starting a new one as needed.
 * REQUIRES: st->lock exclusive.
 */
static EnsureResult
ensure_active(Relation rel, LsmRelState *st, Size need)
{
	Size		limit = lsm_rel_memtable_limit(rel);

	if (st->active >= 0)
	{
		LsmMemSlot *slot = lsm_slot(st->active);

		if (lsm_memtable_chunk_left(&slot->mt) >= need)
			return ENSURE_OK;
		if (lsm_memtable_chunk_bytes(&slot->mt) + LSM_CHUNK_SIZE <= limit &&
			lsm_slot_add_chunk(st->active))
			return ENSURE_OK;
		if (st->nfrozen >= Min(lsm_max_frozen_memtables, LSM_MAX_FROZEN))
			return ENSURE_WAIT_FLUSH;
		if (lsm_memtable_num_entries(&slot->mt) == 0)
			return ENSURE_WAIT_POOL;
		lsm_memstore_freeze_locked(st);
	}
	if (st->nfrozen >= Min(lsm_max_frozen_memtables, LSM_MAX_FROZEN))
		return ENSURE_WAIT_FLUSH;
	{
		int			idx = lsm_slot_alloc(&rel->rd_node, 0);
		uint64		gen;

		if (idx < 0)
			return ENSURE_WAIT_POOL;
		PG_TRY();
		{
			st->tails[0] = new_logpage(rel, st, InvalidBlockNumber, &gen);
		}
		PG_CATCH();
		{
			lsm_slot_retire(idx);
			PG_RE_THROW();
		}
		PG_END_TRY();
		lsm_slot(idx)->gen = gen;
		st->active = idx;
		st->version++;
	}
	return ENSURE_OK;
}

/*
 * Give the active memtable a new chunk beside concurrent writers, unless
 * it has reached its size (a freeze is due: ensure_active) or the pool has
 * none free.  Returns whether the active memtable now has `need` bytes.
 * REQUIRES: st->lock shared, st->active valid.
 */
static bool
add_chunk_shared(Relation rel, LsmRelState *st, Size need)
{
	LsmMemSlot *slot = lsm_slot(st->active);
	bool		ok;

	Assert(LWLockHeldByMeInMode(&st->lock, LW_SHARED));
	LWLockAcquire(&st->log_lock, LW_EXCLUSIVE);
	ok = lsm_memtable_chunk_left(&slot->mt) >= need ||
		(lsm_memtable_chunk_bytes(&slot->mt) + LSM_CHUNK_SIZE <= lsm_rel_memtable_limit(rel) &&
		 lsm_slot_add_chunk(st->active));
	LWLockRelease(&st->log_lock);
	return ok && lsm_memtable_chunk_left(&slot->mt) >= need;
}

/*
 * Backpressure: wait for the flush of this relation's frozen memtables
 * (or for memtable memory), flushing in this backend if the background
 * flush does not make room soon.  Called without st->lock.
 */
static void
wait_for_room(Relation rel, LsmRelState *st, EnsureResult why, int *attempts)
{
	int			i;

	/*
	 * Holding ACCESS EXCLUSIVE on the table (LOCK TABLE, or ALTER TABLE
	 * earlier in the transaction), no worker can open it: waiting for the
	 * background flush of its memtables would be in vain.
	 */
	bool		self = why == ENSURE_WAIT_FLUSH &&
		CheckRelationLockedByMe(rel, AccessExclusiveLock, false);

	(*attempts)++;
	if (!self)
		lsm_request_flush(st);
	/* out of memtable memory: idle tables' memtables go to disk */
	if (why == ENSURE_WAIT_POOL)
		(void) lsm_shed_memtables(&rel->rd_node);
	for (i = 0; i < 10 && !self; i++)
	{
		ConditionVariable *cv = why == ENSURE_WAIT_FLUSH ? &st->cv : &lsm_shared->pool_cv;

		if (ConditionVariableTimedSleep(cv, 100, PG_WAIT_EXTENSION))
			continue;			/* timed out */
		break;
	}
	ConditionVariableCancelSleep();
	if (*attempts >= 2 || self)
	{
		/* the background flush is not keeping up: do it ourselves */
		int			n = lsm_flush_relation(rel, false);

		if (n == 0 && self)
		{
			/* nothing flushed (should not happen): do not spin */
			(void) ConditionVariableTimedSleep(&st->cv, 100, PG_WAIT_EXTENSION);
			ConditionVariableCancelSleep();
		}
		if (n == 0 && why == ENSURE_WAIT_POOL && *attempts >= 30)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("lsm memtable memory is exhausted"),
					 errdetail("All %d kB of lsm_am.memtable_pool_size are in use by memtables of lsm relations.",
							   lsm_memtable_pool_kb),
					 errhint("Increase lsm_am.memtable_pool_size or lower lsm_am.memtable_size, or flush other lsm relations with lsm_am.flush().")));
	}
}

/*
 * Level-0 backpressure, as RocksDB's slowdown and stop triggers: with
 * lsm_am.l0_slowdown_trigger level-0 SSTables a writer is held to about
 * 16 MB/s (a 1 ms pause per 16 kB written); at lsm_am.l0_stop_trigger it
 * waits for a compaction, and runs one itself if none is running after
 * two seconds.  Reads would otherwise slow down without bound, each of
 * them merging every level-0 SSTable.  Waits show as wait event type
 * Extension in pg_stat_activity.
 */
static void
l0_backpressure(Relation rel, LsmRelState *st, Size bytes)
{
	static Size slow_bytes = 0;
	int			waited = 0;
	int			slowdown;
	int			stop;

	if (st->l0_files < lsm_l0_slowdown_trigger)
		return;

	/*
	 * Never below the relation's own compaction trigger (as RocksDB
	 * sanitizes its options): with the triggers above it, level 0 would
	 * stop writers before it is due for compaction, and nothing would pick
	 * it.
	 */
	slowdown = Max(lsm_l0_slowdown_trigger, lsm_rel_l0_trigger(rel));
	stop = Max(lsm_l0_stop_trigger, slowdown);
	if (st->l0_files < slowdown)
		return;
	if (st->l0_files < stop)
	{
		slow_bytes += bytes;
		if (slow_bytes >= 16384)
		{
			slow_bytes = 0;
			st->compact_requested = true;
			lsm_wake_launcher();
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 1L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		return;
	}
	while (st->l0_files >= stop)
	{
		st->compact_requested = true;
		lsm_wake_launcher();
		(void) ConditionVariableTimedSleep(&st->cv, 100, PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
		if ((++waited >= 20 ||
			 CheckRelationLockedByMe(rel, AccessExclusiveLock, false)) &&
			!lsm_claim_busy(st, LSM_CLAIM_COMPACT))
		{
			ConditionVariableCancelSleep();
			(void) lsm_compact_relation(rel, false, 0);
			waited = 0;
		}
	}
	ConditionVariableCancelSleep();
}

/*
 * Searching ahead.  A writer of index entries looks for their places in
 * the active memtable before it writes them (splices, found together by
 * lsm_memtable_find_splices, their memory accesses overlapping), and the
 * inserts start from them (lsm_memtable_insert_concurrent corrects a stale
 * splice by moving forward).  The memtable searched must stay
 * allocated while unlocked: each backend keeps a pin, for its transaction,
 * on the active memtable of the indexes it last wrote (taken under the
 * state lock, moved when the active memtable changes).
 */
#define SPLICE_PINS 8

typedef struct SplicePin
{
	RelFileNode rnode;
	LocalTransactionId lxid;	/* valid in this transaction only */
	int			slot;			/* pinned under TopTransactionResourceOwner */
} SplicePin;

static SplicePin splice_pins[SPLICE_PINS];
static int	splice_pin_next = 0;

static SplicePin *
splice_pin_find(Relation rel)
{
	int			i;

	for (i = 0; i < SPLICE_PINS; i++)
		if (splice_pins[i].lxid == MyProc->lxid && splice_pins[i].lxid != InvalidLocalTransactionId &&
			RelFileNodeEquals(splice_pins[i].rnode, rel->rd_node))
			return &splice_pins[i];
	return NULL;
}

/* At transaction end (before resource owners are released): drop the pins. */
void
lsm_memstore_release_splice_pins(void)
{
	int			i;

	for (i = 0; i < SPLICE_PINS; i++)
	{
		if (splice_pins[i].lxid == MyProc->lxid && splice_pins[i].lxid != InvalidLocalTransactionId &&
			TopTransactionResourceOwner != NULL)
			lsm_slot_unpin(splice_pins[i].slot, TopTransactionResourceOwner);
		splice_pins[i].lxid = InvalidLocalTransactionId;
	}
}

/* Keep a pin on the active memtable for the next search.  REQUIRES: st->lock held. */
static void
splice_pin_active(Relation rel, LsmRelState *st)
{
	SplicePin  *p = splice_pin_find(rel);
	ResourceOwner saved = CurrentResourceOwner;

	Assert(LWLockHeldByMe(&st->lock));
	if (st->active < 0 || TopTransactionResourceOwner == NULL ||
		(p != NULL && p->slot == st->active))
		return;
	CurrentResourceOwner = TopTransactionResourceOwner;
	if (p != NULL)
		lsm_slot_unpin(p->slot, TopTransactionResourceOwner);
	else
	{
		p = &splice_pins[splice_pin_next];
		splice_pin_next = (splice_pin_next + 1) % SPLICE_PINS;
		if (p->lxid == MyProc->lxid && p->lxid != InvalidLocalTransactionId)
			lsm_slot_unpin(p->slot, TopTransactionResourceOwner);
	}
	lsm_slot_pin(st->active);
	CurrentResourceOwner = saved;
	p->rnode = rel->rd_node;
	p->lxid = MyProc->lxid;
	p->slot = st->active;
}

/* The pinned memtable to search before locking; pinned now if need be. */
static SplicePin *
splice_pin_get(Relation rel, LsmRelState *st)
{
	SplicePin  *p = splice_pin_find(rel);

	if (p == NULL && TopTransactionResourceOwner != NULL)
	{
		LWLockAcquire(&st->lock, LW_SHARED);
		if (st->loaded)
			splice_pin_active(rel, st);
		LWLockRelease(&st->lock);
		p = splice_pin_find(rel);
	}
	return p;
}

/* This backend's skiplist node heights (concurrent writers draw their own). */
static uint32 height_rng = 0;

/* Lower a memtable's oldest xid to xid (concurrent writers: a CAS loop). */
static void
lower_min_xid(TransactionId *target, TransactionId xid)
{
	TransactionId cur = __atomic_load_n(target, __ATOMIC_RELAXED);

	while (!TransactionIdIsValid(cur) || TransactionIdPrecedes(xid, cur))
	{
		if (__atomic_compare_exchange_n(target, &cur, xid, false,
										__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
	}
}

/*
 * Write entries into the relation's active memtable: log pages first
 * (WAL), then the skiplist.  Each op gets a sequence number; ops with
 * key == NULL are new rows whose key is their sequence number, ops with
 * key_is_prev_seq (key = keybuf, 8 bytes) are keyed by the sequence
 * number of the op before them.
 *
 * With carry (lsm_memstore_carry) there is no backpressure and no
 * waiting: it stops when the active memtable has no room.  Returns the
 * number of ops written, a prefix of them.
 */
static int
memstore_write(Relation rel, LsmWriteOp *ops, int n, bool carry)
{
	LsmRelState *st = lsm_memstore_open(rel);
	const lsm_comparator *cmp = lsm_rel_comparator(rel);
	int			i = 0;
	int			attempts = 0;
	uint16	   *lens = palloc(sizeof(uint16) * MaxOffsetNumber);
	int		   *heights = palloc(sizeof(int) * MaxOffsetNumber);
	size_t	   *sizes = palloc(sizeof(size_t) * MaxOffsetNumber);
	char	   *data = palloc(BLCKSZ);
	Size		total = 0;
	int			my_lane = MyProc->pgprocno % LSM_LOG_LANES;

	lsm_memtable_splice splice;
	lsm_memtable_splice *splices = NULL;	/* index entries: of a page's run */
	const char **skeys = NULL;
	size_t	   *sklens = NULL;
	int			splice_slot = -1;
	uint64		splice_gen = 0; /* the memtable the splices were found in */
	bool		searchable = st->is_index;
	bool		run = n > 0;

	if (height_rng == 0)
		height_rng = ((uint32) MyProcPid * 2654435761u) | 1;
	for (i = 0; i < n; i++)
		total += ops[i].vlen;
	i = 0;
	if (!carry)
		l0_backpressure(rel, st, total);

	/*
	 * Index entries: their places are found a page's worth at a time, in
	 * the memtable they go into, right before they are linked (the
	 * searches overlap their memory accesses; the nodes they touch are
	 * still in cache for the links).
	 */
	splice.mt = NULL;
	for (i = 0; i < n && searchable; i++)
		if (ops[i].key == NULL || ops[i].key_is_prev_seq)
			searchable = false;
	i = 0;

	/*
	 * New rows with reserved, ascending row ids (a write batch): one
	 * search for the first, then each goes right after the one before,
	 * the splice moving along (unless they go past the largest key, which
	 * needs no search at all).
	 */
	for (i = 0; i < n && run; i++)
		if (!ops[i].seq_preset || ops[i].key != NULL ||
			(i > 0 && ops[i].seq <= ops[i - 1].seq))
			run = false;
	i = 0;
	if (run)
	{
		SplicePin  *p = splice_pin_get(rel, st);

		if (p != NULL)
		{
			char		first[LSM_ROWKEY_LEN];

			lsm_put_be64(first, ops[0].seq);
			lsm_memtable_find_splice(&lsm_slot(p->slot)->mt, cmp, first,
									 LSM_ROWKEY_LEN, &splice);
			splice_slot = p->slot;
			splice_gen = lsm_slot(p->slot)->gen;
		}
	}
	else if (searchable && n > 0)
	{
		int			m = Min(n, MaxOffsetNumber);

		splices = palloc(sizeof(lsm_memtable_splice) * m);
		skeys = palloc(sizeof(char *) * m);
		sklens = palloc(sizeof(size_t) * m);
	}

	while (i < n)
	{
		EnsureResult r;
		LsmMemSlot *slot;
		Buffer		buf = InvalidBuffer;
		Page		page;
		int			k;
		int			t;
		int			lane = -1;
		int			nnew = 0;
		BlockNumber blk = InvalidBlockNumber;
		Size		datalen = 0;
		Size		pagefree;
		Size		need;
		OffsetNumber firstoff;
		char	   *mem = NULL;
		uint64		lo = 0;

		CHECK_FOR_INTERRUPTS();
		need = lsm_memtable_entry_space(ops[i].key ? ops[i].keylen : LSM_ROWKEY_LEN,
										ops[i].vlen);
		LWLockAcquire(&st->lock, LW_SHARED);
		if (!st->loaded)
		{
			/* unloaded under us (standby redo trouble); reopen */
			LWLockRelease(&st->lock);
			st = lsm_memstore_open(rel);
			continue;
		}
		if (st->active < 0 || lsm_memtable_chunk_left(&lsm_slot(st->active)->mt) < need)
		{
			/* the chunk is full: a new one, beside the other writers */
			if (st->active >= 0 && add_chunk_shared(rel, st, need))
			{
				LWLockRelease(&st->lock);
				continue;
			}
			/* a memtable to switch (or no memory): the list changes */
			LWLockRelease(&st->lock);
			LWLockAcquire(&st->lock, LW_EXCLUSIVE);
			r = st->loaded ? ensure_active(rel, st, need) : ENSURE_OK;
			LWLockRelease(&st->lock);
			if (r != ENSURE_OK)
			{
				if (carry)
					break;
				wait_for_room(rel, st, r, &attempts);
			}
			continue;
		}
		slot = lsm_slot(st->active);
		Assert(BlockNumberIsValid(st->tails[0]));

		/*
		 * A lane: the first open log page whose buffer lock comes without
		 * waiting, starting with this backend's own lane; if all are busy,
		 * our lane (given a page first if it has none), waiting for it.
		 */
		for (t = 0; t < LSM_LOG_LANES && lane < 0; t++)
		{
			int			l = (my_lane + t) % LSM_LOG_LANES;

			blk = ((volatile LsmRelState *) st)->tails[l];
			if (!BlockNumberIsValid(blk))
				continue;
			buf = ReadBuffer(rel, blk);
			if (ConditionalLockBuffer(buf))
			{
				if (((volatile LsmRelState *) st)->tails[l] == blk)
				{
					lane = l;
					break;
				}
				UnlockReleaseBuffer(buf);	/* replaced meanwhile */
			}
			else
				ReleaseBuffer(buf);
		}
		if (lane < 0)
		{
			blk = ((volatile LsmRelState *) st)->tails[my_lane];
			if (!BlockNumberIsValid(blk))
			{
				lane_new_page(rel, st, my_lane, InvalidBlockNumber);
				LWLockRelease(&st->lock);
				continue;
			}
			buf = ReadBuffer(rel, blk);
			LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
			if (((volatile LsmRelState *) st)->tails[my_lane] != blk)
			{
				UnlockReleaseBuffer(buf);
				LWLockRelease(&st->lock);
				continue;
			}
			lane = my_lane;
		}
		page = BufferGetPage(buf);
		pagefree = PageGetFreeSpace(page);

		/* how many ops fit into this page, and their skiplist nodes */
		for (k = 0; i + k < n; k++)
		{
			LsmWriteOp *op = &ops[i + k];
			Size		klen = op->key ? op->keylen : LSM_ROWKEY_LEN;
			Size		isz = lsm_logitem_size(op->key, op->keylen, op->vlen);
			Size		pneed = MAXALIGN(isz) + sizeof(ItemIdData);

			if (pneed > pagefree || datalen + isz > BLCKSZ)
				break;
			pagefree -= pneed;
			datalen += isz;
			heights[k] = lsm_memtable_random_height(&height_rng);
			sizes[k] = lsm_memtable_node_space(heights[k], klen, op->vlen);
		}
		if (k == 0)
		{
			/* the lane's page is full: the lane gets a new one */
			UnlockReleaseBuffer(buf);
			lane_new_page(rel, st, lane, blk);
			LWLockRelease(&st->lock);
			continue;
		}
		/* their skiplist space: as many as the chunk holds */
		k = lsm_memtable_reserve(&slot->mt, sizes, k, &mem);
		if (k == 0)
		{
			/* others filled the chunk meanwhile: add one (above) */
			UnlockReleaseBuffer(buf);
			LWLockRelease(&st->lock);
			continue;
		}

		/* sequence numbers for those that have none, and the items */
		for (t = 0; t < k; t++)
			if (!ops[i + t].seq_preset)
				nnew++;
		if (nnew > 0)
		{
			lo = pg_atomic_fetch_add_u64(&st->next_seq, nnew);
			if (lo + nnew - 1 > LSM_MAX_ROWID)
				report_out_of_rowids(rel);
		}
		datalen = 0;
		for (t = 0; t < k; t++)
		{
			LsmWriteOp *op = &ops[i + t];

			if (op->seq_preset)
			{
				/* reserved by lsm_memstore_reserve_seqs */
				Assert(op->seq >= LSM_FIRST_SEQ &&
					   op->seq < pg_atomic_read_u64(&st->next_seq));
			}
			else
				op->seq = lo++;
			if (op->key_is_prev_seq)
			{
				Assert(i + t > 0 && op->key == op->keybuf && op->keylen == 8);
				lsm_put_be64(op->keybuf, ops[i + t - 1].seq);
			}
			lens[t] = lsm_logitem_encode(data + datalen, op->seq, op->type,
										 op->key, op->keylen,
										 op->value, op->vlen);
			datalen += lens[t];
		}

		firstoff = OffsetNumberNext(PageGetMaxOffsetNumber(page));
		START_CRIT_SECTION();
		{
			xl_lsm_insert xlrec;
			XLogRecPtr	recptr;
			Size		off = 0;

			for (t = 0; t < k; t++)
			{
				if (PageAddItem(page, data + off, lens[t], firstoff + t,
								false, false) != firstoff + t)
					elog(PANIC, "lsm log page %u: failed to add item", blk);
				off += lens[t];
			}
			MarkBufferDirty(buf);

			xlrec.nitems = k;
			xlrec.offnum = firstoff;
			XLogBeginInsert();
			XLogRegisterData((char *) &xlrec, sizeof(xlrec));
			XLogRegisterData((char *) lens, sizeof(uint16) * k);
			XLogRegisterBuffer(0, buf, REGBUF_STANDARD);
			XLogRegisterBufData(0, data, datalen);
			recptr = XLogInsert(LSM_RMGR_ID, XLOG_LSM_INSERT);
			PageSetLSN(page, recptr);
		}
		END_CRIT_SECTION();
		/* logged: the lane is free for the next writer */
		UnlockReleaseBuffer(buf);

		/*
		 * Now the skiplist, into the space reserved above.  A table's
		 * oldest xid is lowered first, so whoever finds an entry finds its
		 * xid counted (lsm_memstore_oldest_xid).
		 */
		if (!st->is_index)
		{
			TransactionId bx = InvalidTransactionId;

			for (t = 0; t < k; t++)
				lsm_note_xid(&bx, ops[i + t].value, ops[i + t].vlen);
			if (TransactionIdIsValid(bx))
				lower_min_xid(&slot->min_xid, bx);
		}
		if (splices != NULL)
		{
			/* the run's places in the memtable they go into (held by our lock) */
			for (t = 0; t < k; t++)
			{
				skeys[t] = ops[i + t].key;
				sklens[t] = ops[i + t].keylen;
			}
			lsm_memtable_find_splices(&slot->mt, cmp, skeys, sklens, k, splices);
			splice_slot = st->active;
			splice_gen = slot->gen;
		}
		{
			Size		off = 0;

			for (t = 0; t < k; t++)
			{
				LsmLogItemView v;
				lsm_status	s;
				lsm_memtable_splice *sp = splices ? &splices[t] : &splice;

				if (!lsm_logitem_decode(data + off, lens[t], &v))
					elog(ERROR, "lsm log item encoding failed");
				Assert(lsm_memtable_node_space(heights[t], v.keylen, v.vlen) == sizes[t]);

				/*
				 * Splices only into the memtable they were found in: once a
				 * write outlives it (frozen, flushed, its slot reused by a
				 * newer active memtable), they point into freed memory.
				 */
				if (!(splice_slot == st->active && slot->gen == splice_gen &&
					  sp->mt == &slot->mt))
					sp = NULL;
				s = lsm_memtable_insert_concurrent(&slot->mt, cmp,
												   v.key, v.keylen, v.seq, v.type,
												   v.value, v.vlen,
												   heights[t], mem, sp);
				if (s != LSM_OK)
					lsm_report_core_error(rel, "memtable insert", s);
				mem += sizes[t];
				off += lens[t];
			}
		}
		if (run)
			splice_pin_active(rel, st);
		LWLockRelease(&st->lock);
		i += k;
		attempts = 0;
	}
	pfree(lens);
	pfree(data);
	pfree(heights);
	pfree(sizes);
	if (splices)
	{
		pfree(splices);
		pfree(skeys);
		pfree(sklens);
	}
	return i;
}

void
lsm_memstore_write(Relation rel, LsmWriteOp *ops, int n)
{
	(void) memstore_write(rel, ops, n, false);
}

/* The level-0 backpressure of a write of bytes that bypasses the memtable. */
void
lsm_memstore_backpressure(Relation rel, Size bytes)
{
	l0_backpressure(rel, lsm_memstore_open(rel), bytes);
}

/*
 * A table's flush carries entries of the memtable it flushes into the
 * active one (engine/lsm_flush.c): ops with key, type, value and preset
 * seq as they were.  No backpressure or waiting (the caller is the
 * flush writers may wait for): returns how many were written, a prefix
 * of ops (all unless the active memtable had no room).
 */
int
lsm_memstore_carry(Relation rel, LsmWriteOp *ops, int n)
{
	return memstore_write(rel, ops, n, true);
}

/* ---------- redo support (startup process on a standby) ---------- */

static int
find_slot_by_gen(LsmRelState *st, uint64 gen)
{
	int			i;

	if (st->active >= 0 && lsm_slot(st->active)->gen == gen)
		return st->active;
	for (i = 0; i < st->nfrozen; i++)
		if (lsm_slot(st->frozen[i])->gen == gen)
			return st->frozen[i];
	return -1;
}

/*
 * Apply replayed log items to a loaded state's memtable.  On any trouble
 * (memory, an unexpected generation) the in-memory copy is dropped; the
 * next reader rebuilds it from the pages.  REQUIRES: st->lock exclusive.
 */
void
lsm_memstore_redo_items(LsmRelState *st, Page page, OffsetNumber first, int nitems)
{
	uint64		gen = ((LsmLogPageOpaque *) PageGetSpecialPointer(page))->gen;
	int			idx;
	uint64		max_seq = 0;
	bool		nomem = false;

	if (!st->loaded)
		return;
	idx = find_slot_by_gen(st, gen);
	/*
	 * Index keys are ordered by opclass functions, which the startup
	 * process cannot look up: the next reader rebuilds the memtables.
	 */
	if (idx < 0 || st->is_index)
	{
		lsm_memstore_unload(st);
		return;
	}
	load_page_items(st, &lsm_bytewise_comparator, idx, page, first, first + nitems - 1,
					&max_seq, &nomem);
	if (nomem)
	{
		lsm_memstore_unload(st);
		return;
	}
	if (max_seq >= pg_atomic_read_u64(&st->next_seq))
		pg_atomic_write_u64(&st->next_seq, max_seq + 1);
}

void
lsm_memstore_redo_newgen(LsmRelState *st, const RelFileNode *rnode, uint64 gen)
{
	int			idx;

	if (!st->loaded)
		return;
	if (st->active >= 0)
	{
		if (st->nfrozen >= LSM_MAX_FROZEN)
		{
			lsm_memstore_unload(st);
			return;
		}
		lsm_slot(st->active)->state = LSM_SLOT_FROZEN;
		st->frozen[st->nfrozen++] = st->active;
		st->active = -1;
	}
	idx = lsm_slot_alloc(rnode, gen);
	if (idx < 0)
	{
		lsm_memstore_unload(st);
		return;
	}
	st->active = idx;
	st->version++;
}

void
lsm_memstore_redo_flushed(LsmRelState *st, uint64 gen)
{
	int			i;

	st->version++;
	if (!st->loaded)
		return;
	for (i = 0; i < st->nfrozen; i++)
	{
		if (lsm_slot(st->frozen[i])->gen == gen)
		{
			lsm_slot_retire(st->frozen[i]);
			memmove(&st->frozen[i], &st->frozen[i + 1],
					(st->nfrozen - i - 1) * sizeof(int));
			st->nfrozen--;
			return;
		}
	}
	if (st->active >= 0 && lsm_slot(st->active)->gen == gen)
	{
		lsm_slot_retire(st->active);
		st->active = -1;
	}
}
