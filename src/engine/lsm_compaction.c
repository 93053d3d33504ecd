/*-------------------------------------------------------------------------
 *
 * engine/lsm_compaction.c
 *	  Compaction: merge SSTables picked by the core's picker
 *	  (src/core/lsm_picker.c) into new ones, dropping what no snapshot
 *	  can see any more, and swap them into the manifest.
 *
 * A compaction of one relation at a time (its LSM_CLAIM_COMPACT); flushes run
 * beside it, each applying its own edit to the manifest.  Steps:
 *	1. copy the manifest, read every SSTable's key range (props), pick;
 *	2. trivial move: change the SSTable's level in the manifest, done;
 *	3. else merge the inputs (newest first) through the garbage filter
 *	   below into output SSTables cut at target_file_size on row
 *	   boundaries; each output is reserved, written (rate-limited by
 *	   lsm_am.compaction_rate_limit) and its pages logged;
 *	4. one XLOG_LSM_COMPACT record swaps inputs for outputs; the inputs'
 *	   blocks are reused once no reader holds them (engine/lsm_manifest.c).
 * A crash before step 4 leaves the inputs authoritative; the outputs'
 * blocks are swept back at the next start.
 *
 * Garbage filter, per row (all entries of one row id, newest first), with
 * H = the oldest transaction id any snapshot may still consider running
 * (GetOldestNonRemovableTransactionId):
 *	- entries of aborted transactions are dropped;
 *	- lock entries of transactions no longer running are dropped;
 *	- a delete committed before H is visible to everyone: everything older
 *	  than it is dropped, and the tombstone itself too when the row's
 *	  first PUT (seq = row id) was among the inputs or the compaction is
 *	  bottommost; otherwise the tombstone stays, to hide the versions in
 *	  lower levels;
 *	- a PUT committed before H (a version every snapshot sees) replaces
 *	  the older versions of the row for everyone: they are dropped;
 *	- a later version's back-pointer (LSM_ROW_VERSION_OF) stays until its
 *	  end (LSM_ROW_VERSION_END, a tombstone: the version was replaced or
 *	  deleted) is seen by all, then both go as a delete and its PUT do;
 *	- a killed speculative insertion (LSM_ROW_KILLED) is handled as such
 *	  a delete, whatever its transaction's fate;
 *	- entries committed before H are frozen (LSM_ROW_FROZEN): visible to
 *	  all without a commit-log lookup.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/procarray.h"
#include "core/lsm_core.h"
#include "core/lsm_merge.h"
#include "core/lsm_picker.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_sstwriter.h"
#include "engine/lsm_visibility.h"
#include "engine/lsm_workers.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* GUC (registered by extension/lsm_am.c) */
int			lsm_rate_limit_kb = 0;
int			lsm_debug_compaction_pause_ms = 0;

/* ---------- one compaction ---------- */

typedef struct SstInfo
{
	LsmSstEntry e;
	lsm_sst_reader *reader;
	LsmSstFileCtx fctx;
	lsm_file	file;
	char	   *smallest;		/* user keys */
	size_t		smallest_len;
	char	   *largest;
	size_t		largest_len;
} SstInfo;

/* An entry of the row being filtered (copied out of the iterator). */
typedef struct RowEntry
{
	char	   *ikey;
	size_t		klen;
	char	   *val;
	size_t		vlen;
	bool		from_input_put; /* a PUT (table rows have one per row id) */
} RowEntry;

/* Output state: the writer, and what its rate limit and progress need. */
typedef struct Outputs
{
	LsmSstWriter w;
	TimestampTz t0;				/* for the rate limit */
	int			job;
} Outputs;

/* Sleep as needed so that compaction writes stay under the rate limit. */
static void
throttle(Outputs *o)
{
	long		secs;
	int			usecs;
	double		elapsed;
	double		due;

	if (lsm_rate_limit_kb <= 0)
		return;
	TimestampDifference(o->t0, GetCurrentTimestamp(), &secs, &usecs);
	elapsed = secs + usecs / 1e6;
	due = (double) o->w.bytes_written / ((double) lsm_rate_limit_kb * 1024.0);
	while (due > elapsed)
	{
		long		wait_ms = (long) Min((due - elapsed) * 1000.0, 1000.0) + 1;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		TimestampDifference(o->t0, GetCurrentTimestamp(), &secs, &usecs);
		elapsed = secs + usecs / 1e6;
	}
}

/* After each stored output: progress for the CompactionJob view, rate limit. */
static void
output_stored(void *arg, const LsmSstEntry *e, uint64 bytes_written)
{
	Outputs    *o = (Outputs *) arg;

	if (o->job >= 0)
		lsm_job(o->job)->bytes_written = bytes_written;
	throttle(o);
}

/*
 * Index entries of one (key, TID), newest first: the newest decides, the
 * older ones are shadowed.  A newest DELETE is dropped at the bottom,
 * where nothing older can remain below it.  Returns the number dropped.
 */
static uint64
filter_index_key(Outputs *o, RowEntry *row, int n, bool bottommost)
{
	lsm_entry_type type;

	lsm_ikey_decode(row[0].ikey, row[0].klen, NULL, NULL, &type);
	if (type == LSM_TYPE_DELETE && bottommost)
		return n;
	lsm_sst_writer_add(&o->w, row[0].ikey, row[0].klen, row[0].val, row[0].vlen);
	return n - 1;
}

/* Is (xid, flags) committed and visible to every snapshot, present and future? */
static bool
visible_to_all(const LsmRowHeader *h, TransactionId horizon)
{
	if (h->flags & LSM_ROW_FROZEN)
		return true;
	if (!TransactionIdIsNormal(h->xid))
		return h->xid == FrozenTransactionId || h->xid == BootstrapTransactionId;
	return TransactionIdPrecedes(h->xid, horizon) && TransactionIdDidCommit(h->xid);
}

/*
 * Filter the entries of one row and write the survivors.  Returns the
 * number dropped.
 */
static uint64
filter_row(Outputs *o, RowEntry *row, int n, TransactionId horizon, bool bottommost)
{
	bool		dead = false;
	bool		has_put = false;
	uint64		dropped = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (row[i].from_input_put)
			has_put = true;

	for (i = 0; i < n; i++)
	{
		lsm_entry_type type;
		LsmRowHeader h;
		bool		keep = true;

		lsm_ikey_decode(row[i].ikey, row[i].klen, NULL, NULL, &type);
		if (row[i].vlen < sizeof(LsmRowHeader))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid entry in lsm relation \"%s\" during compaction",
							RelationGetRelationName(o->w.rel))));
		memcpy(&h, row[i].val, sizeof(h));

		if (dead)
			keep = false;
		else if (lsm_entry_is_aborted(&h))
			keep = false;
		else if (type == LSM_TYPE_DELETE && (h.flags & LSM_ROW_VERSION_OF))
			keep = true;		/* a back-pointer: until its end is seen by all */
		else if (type == LSM_TYPE_LOCK)
			keep = TransactionIdIsInProgress(h.xid);
		else if (type == LSM_TYPE_DELETE &&
				 ((h.flags & LSM_ROW_KILLED) || visible_to_all(&h, horizon)))
		{
			dead = true;
			keep = !(has_put || bottommost);
		}
		else if (type == LSM_TYPE_PUT && visible_to_all(&h, horizon))
			dead = true;		/* every snapshot sees this version: older
								 * ones are replaced for all */
		if (!keep)
		{
			dropped++;
			continue;
		}
		if (!(h.flags & LSM_ROW_FROZEN) && type != LSM_TYPE_LOCK &&
			visible_to_all(&h, horizon))
		{
			h.flags |= LSM_ROW_FROZEN;
			memcpy(row[i].val, &h, sizeof(h));
		}
		lsm_sst_writer_add(&o->w, row[i].ikey, row[i].klen, row[i].val, row[i].vlen);
	}
	return dropped;
}

static int
sst_newest_first(const void *a, const void *b)
{
	const SstInfo *x = *(SstInfo *const *) a;
	const SstInfo *y = *(SstInfo *const *) b;

	if (x->e.level != y->e.level)
		return x->e.level < y->e.level ? -1 : 1;
	if (x->e.max_seq != y->e.max_seq)
		return x->e.max_seq > y->e.max_seq ? -1 : 1;
	return 0;
}

/*
 * Run one picked compaction.
 */
static void
run_compaction(Relation rel, LsmRelState *st, SstInfo *ssts,
			   const lsm_compaction_pick *pick, uint64 target,
			   const lsm_allocator *alloc)
{
	LsmManifestEdit edit;
	LsmSstEntry *inputs = palloc(sizeof(LsmSstEntry) * pick->nin);
	SstInfo   **in = palloc(sizeof(SstInfo *) * pick->nin);
	uint64		total_entries = 0;
	uint64		bytes_read = 0;
	uint64		bytes_read_from = 0;
	uint64		keys_in = 0;
	uint64		keys_dropped = 0;
	int			job;
	int			i;
	LsmJobResult res;

	for (i = 0; i < pick->nin; i++)
	{
		in[i] = &ssts[pick->in[i]];
		inputs[i] = in[i]->e;
		total_entries += in[i]->e.entries;
		bytes_read += (uint64) in[i]->e.nblocks * BLCKSZ;
		if (in[i]->e.level == pick->from_level)
			bytes_read_from += (uint64) in[i]->e.nblocks * BLCKSZ;
	}
	job = lsm_job_start(rel, false, pick->from_level, pick->to_level,
						pick->trivial_move, inputs, pick->nin, total_entries,
						pick->reason);

	memset(&edit, 0, sizeof(edit));
	edit.from_level = pick->from_level;
	edit.to_level = pick->to_level;
	memset(&res, 0, sizeof(res));
	res.status = "done";

	if (pick->trivial_move)
	{
		edit.nmove = pick->nin;
		edit.move = palloc(sizeof(BlockNumber) * pick->nin);
		edit.move_level = pick->to_level;
		for (i = 0; i < pick->nin; i++)
			edit.move[i] = in[i]->e.start;
		lsm_manifest_apply(rel, st, &edit);
		res.keys_in = total_entries;
	}
	else
	{
		Outputs		o;
		lsm_iter  **children = palloc(sizeof(lsm_iter *) * pick->nin);
		lsm_iter   *it;
		TransactionId horizon = GetOldestNonRemovableTransactionId(rel);
		const lsm_comparator *cmp = lsm_rel_comparator(rel);
		RowEntry   *row = NULL;
		int			nrow = 0;
		int			maxrow = 0;
		char		rowkey[LSM_ROWKEY_LEN];
		MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext,
													 "lsm compaction row",
													 ALLOCSET_DEFAULT_SIZES);

		lsm_sst_options opts;
		LsmSstEntry *outs;
		int			nouts;

		lsm_rel_sst_options(rel, &opts);
		lsm_sst_writer_init(&o.w, rel, st, "compaction", &opts, CurrentMemoryContext,
							target, pick->to_level);
		o.w.on_output = output_stored;
		o.w.on_output_arg = &o;
		o.t0 = GetCurrentTimestamp();
		o.job = job;

		qsort(in, pick->nin, sizeof(SstInfo *), sst_newest_first);
		for (i = 0; i < pick->nin; i++)
			children[i] = lsm_sst_reader_iter(in[i]->reader);
		it = lsm_merge_iter_new(alloc, lsm_rel_comparator(rel), children, pick->nin);

		for (lsm_iter_seek_first(it);; lsm_iter_next(it))
		{
			bool		valid = lsm_iter_valid(it);
			size_t		klen = 0;
			const char *k = valid ? lsm_iter_key(it, &klen) : NULL;

			/* a row ends: filter it, maybe cut the output there */
			if (nrow > 0 &&
				(!valid ||
				 (st->is_index ?
				  (klen < LSM_TRAILER_SIZE ||
				   cmp->compare(cmp->arg, k, klen - LSM_TRAILER_SIZE,
								row[0].ikey, row[0].klen - LSM_TRAILER_SIZE) != 0) :
				  (klen < LSM_ROWKEY_LEN ||
				   memcmp(k, rowkey, LSM_ROWKEY_LEN) != 0))))
			{
				if (st->is_index)
					keys_dropped += filter_index_key(&o, row, nrow, pick->bottommost);
				else
					keys_dropped += filter_row(&o, row, nrow, horizon, pick->bottommost);
				nrow = 0;
				MemoryContextReset(rowcxt);
				/* outputs end on row boundaries: a row is never split */
				if (lsm_sst_writer_full(&o.w))
					lsm_sst_writer_cut(&o.w);
				if (job >= 0)
				{
					lsm_job(job)->keys_in = keys_in;
					lsm_job(job)->keys_dropped = keys_dropped;
				}
				CHECK_FOR_INTERRUPTS();
			}
			if (!valid)
				break;
			{
				size_t		vlen;
				const char *v = lsm_iter_value(it, &vlen);
				lsm_entry_type type;
				uint64		seq;
				RowEntry   *re;

				if (st->is_index ? klen < LSM_TRAILER_SIZE + 6 :
					klen != LSM_ROWKEY_LEN + LSM_TRAILER_SIZE)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("invalid key length %zu in lsm relation \"%s\"",
									klen, RelationGetRelationName(rel))));
				if (nrow == maxrow)
				{
					maxrow = Max(8, maxrow * 2);
					row = row ? repalloc(row, sizeof(RowEntry) * maxrow) :
						palloc(sizeof(RowEntry) * maxrow);
				}
				re = &row[nrow++];
				re->ikey = MemoryContextAlloc(rowcxt, klen);
				memcpy(re->ikey, k, klen);
				re->klen = klen;
				re->val = MemoryContextAlloc(rowcxt, Max(vlen, 1));
				memcpy(re->val, v, vlen);
				re->vlen = vlen;
				lsm_ikey_decode(k, klen, NULL, &seq, &type);

				/*
				 * The oldest entry a key can have: a row's first version
				 * (its seq is the row id), or a later version's
				 * back-pointer.
				 */
				re->from_input_put = false;
				if (!st->is_index && type == LSM_TYPE_PUT)
					re->from_input_put = (seq == lsm_get_be64(k));
				else if (!st->is_index && type == LSM_TYPE_DELETE && vlen >= sizeof(LsmRowHeader))
				{
					LsmRowHeader bh;

					memcpy(&bh, v, sizeof(bh));
					re->from_input_put = (bh.flags & LSM_ROW_VERSION_OF) != 0;
				}
				if (!st->is_index)
					memcpy(rowkey, k, LSM_ROWKEY_LEN);
				keys_in++;
			}
		}
		if (lsm_iter_status(it) != LSM_OK)
		{
			for (i = 0; i < pick->nin; i++)
			{
				lsm_iter   *probe = lsm_sst_reader_iter(in[i]->reader);

				for (lsm_iter_seek_first(probe); lsm_iter_valid(probe); lsm_iter_next(probe))
					;
				if (lsm_iter_status(probe) != LSM_OK)
					lsm_report_sst_error(rel, &in[i]->e, lsm_iter_status(probe),
										 lsm_sst_iter_bad_offset(probe));
			}
			lsm_report_core_error(rel, "compaction", lsm_iter_status(it));
		}
		outs = lsm_sst_writer_finish(&o.w, &nouts);

		if (lsm_debug_compaction_pause_ms > 0)
		{
			pgstat_report_activity(STATE_RUNNING,
									"lsm_am: compaction paused before switch (lsm_am.debug_compaction_pause)");
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 lsm_debug_compaction_pause_ms, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}

		edit.nremove = pick->nin;
		edit.remove = palloc(sizeof(BlockNumber) * pick->nin);
		for (i = 0; i < pick->nin; i++)
			edit.remove[i] = in[i]->e.start;
		edit.nadd = nouts;
		edit.add = outs;
		lsm_manifest_apply(rel, st, &edit);

		res.noutputs = nouts;
		res.outputs = outs;
		res.bytes_written = o.w.bytes_written;
		res.keys_in = keys_in;
		res.keys_dropped = keys_dropped;
		MemoryContextDelete(rowcxt);
	}
	res.bytes_read = pick->trivial_move ? 0 : bytes_read;
	res.bytes_read_from = pick->trivial_move ? 0 : bytes_read_from;
	lsm_job_finish(job, rel, &res);
}

/*
 * Open every SSTable of the manifest (for key ranges) and describe them
 * for the picker.
 */
static SstInfo *
load_ssts(Relation rel, LsmRelState *st, const lsm_allocator *alloc,
		  const lsm_sst_options *opts, int *n, lsm_sst_desc **descs)
{
	Buffer		metabuf;
	SstInfo    *ssts = NULL;
	lsm_sst_desc *d;
	int			i;

	*n = 0;
	LWLockAcquire(&st->lock, LW_SHARED);
	metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	if (metabuf != InvalidBuffer)
	{
		LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));
		LsmSstEntry *all = lsm_meta_ssts(rel, meta, n);

		UnlockReleaseBuffer(metabuf);
		ssts = palloc0(sizeof(SstInfo) * Max(1, *n));
		for (i = 0; i < *n; i++)
			ssts[i].e = all[i];
		pfree(all);
	}
	LWLockRelease(&st->lock);

	d = palloc0(sizeof(lsm_sst_desc) * Max(1, *n));
	for (i = 0; i < *n; i++)
	{
		SstInfo    *s = &ssts[i];
		uint64		bad = 0;
		lsm_status	rc;
		const lsm_sst_props *p;

		lsm_sst_file_init(&s->file, &s->fctx, rel, &s->e, NULL);
		rc = lsm_sst_reader_open(alloc, opts, &s->file, &s->reader, &bad);
		if (rc != LSM_OK)
			lsm_report_sst_error(rel, &s->e, rc, bad);
		p = lsm_sst_reader_props(s->reader);
		s->smallest = p->min_key;
		s->smallest_len = p->min_key_len >= LSM_TRAILER_SIZE ? p->min_key_len - LSM_TRAILER_SIZE : 0;
		s->largest = p->max_key;
		s->largest_len = p->max_key_len >= LSM_TRAILER_SIZE ? p->max_key_len - LSM_TRAILER_SIZE : 0;
		d[i].level = s->e.level;
		d[i].size = (uint64) s->e.nblocks * BLCKSZ;
		d[i].entries = s->e.entries;
		d[i].tombstones = s->e.tombstones;
		d[i].min_seq = s->e.min_seq;
		d[i].max_seq = s->e.max_seq;
		d[i].smallest = s->smallest;
		d[i].smallest_len = s->smallest_len;
		d[i].largest = s->largest;
		d[i].largest_len = s->largest_len;
		d[i].being_compacted = false;
	}
	*descs = d;
	return ssts;
}

/*
 * Leveled: in levels 1 and deeper the SSTables of a level have disjoint
 * key ranges (assert-enabled builds).
 */
static void
check_levels_disjoint(const lsm_sst_desc *d, int n, const lsm_comparator *cmp)
{
#ifdef USE_ASSERT_CHECKING
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		if (d[i].level < 1)
			continue;
		for (j = i + 1; j < n; j++)
		{
			if (d[j].level != d[i].level)
				continue;
			/* disjoint: one ends before the other starts */
			Assert(cmp->compare(cmp->arg, d[i].largest, d[i].largest_len,
								d[j].smallest, d[j].smallest_len) < 0 ||
				   cmp->compare(cmp->arg, d[j].largest, d[j].largest_len,
								d[i].smallest, d[i].smallest_len) < 0);
		}
	}
#endif
}

/*
 * Compact a relation: with manual, the picks of lsm_am.compact (level -1:
 * everything into one sorted run); else as many automatic picks as have a
 * score >= 1 (bounded, so that a worker moves on to other relations).
 * Returns the number of compactions (trivial moves included) done.  Waits
 * for a compaction of the relation already running in another backend
 * when manual, else returns 0 at once.
 */
int
lsm_compact_relation(Relation rel, bool manual, int level)
{
	LsmRelState *st;
	int			count = 0;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot compact lsm relations during recovery"),
				 errhint("Compact on the primary; standbys replay its compactions.")));
	st = lsm_memstore_open(rel);
	while (!lsm_claim_try(st, LSM_CLAIM_COMPACT))
	{
		if (!manual)
			return 0;
		(void) ConditionVariableTimedSleep(&st->cv, 100, PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
	ConditionVariableCancelSleep();

	PG_TRY();
	{
		st->compact_requested = false;
		for (;;)
		{
			MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
													  "lsm compaction",
													  ALLOCSET_DEFAULT_SIZES);
			MemoryContext old = MemoryContextSwitchTo(cxt);
			lsm_allocator alloc;
			lsm_sst_options opts;
			lsm_compaction_options copts;
			uint64		target;
			SstInfo    *ssts;
			lsm_sst_desc *descs;
			int			n;
			int			i;
			lsm_compaction_pick pick;
			bool		picked;
			const char *ptrs[LSM_MAX_LEVELS];
			size_t		ptrlens[LSM_MAX_LEVELS];
			char		ptrbuf[LSM_MAX_LEVELS][LSM_COMPACT_PTR_MAX];

			lsm_palloc_allocator_init(&alloc, cxt);
			lsm_rel_sst_options(rel, &opts);
			lsm_rel_compaction_options(rel, &copts, &target);
			/*
			 * Tiered outputs stay whole: cut into similar pieces they would
			 * form a bucket again and be merged over and over.
			 */
			if (copts.style == LSM_COMPACTION_TIERED)
				target = PG_UINT64_MAX;
			ssts = load_ssts(rel, st, &alloc, &opts, &n, &descs);
			if (copts.style == LSM_COMPACTION_LEVELED)
				check_levels_disjoint(descs, n, lsm_rel_comparator(rel));
			memset(&pick, 0, sizeof(pick));
			if (manual)
				picked = lsm_compaction_pick_manual(&copts, lsm_rel_comparator(rel),
													descs, n, level, &alloc, &pick);
			else
			{
				/* our claim makes us the only writer of the pointers */
				memcpy(ptrbuf, st->compact_ptr, sizeof(ptrbuf));
				for (i = 0; i < LSM_MAX_LEVELS; i++)
				{
					ptrs[i] = ptrbuf[i];
					ptrlens[i] = st->compact_ptr_len[i];
				}
				picked = lsm_compaction_pick_auto(&copts, lsm_rel_comparator(rel),
												  descs, n, ptrs, ptrlens, &alloc, &pick);
			}
			if (picked && pick.nin > 0 && pick.from_level >= 1 &&
				pick.from_level < LSM_MAX_LEVELS)
			{
				/* the next pick of this level starts after this SSTable */
				const lsm_sst_desc *src = &descs[pick.in[0]];
				size_t		len = Min(src->largest_len, LSM_COMPACT_PTR_MAX);

				/* a truncated index key cannot be decoded: no pointer */
				if (st->is_index && src->largest_len > LSM_COMPACT_PTR_MAX)
					len = 0;

				memcpy(st->compact_ptr[pick.from_level], src->largest, len);
				st->compact_ptr_len[pick.from_level] = (uint8) len;
			}
			if (picked && pick.nin > 0)
			{
				/* a merge within L0 makes one SSTable, as tiered ones */
				run_compaction(rel, st, ssts, &pick,
							   pick.to_level == 0 ? PG_UINT64_MAX : target, &alloc);
				count++;
			}
			for (i = 0; i < n; i++)
				lsm_sst_file_release(&ssts[i].fctx);
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
			/* a manual pick is done once; automatic ones until calm */
			if (!picked || manual)
				break;
			if (count >= 16)
			{
				/* not calm yet: let a worker go on after other relations */
				st->compact_requested = true;
				lsm_wake_launcher();
				break;
			}
		}
	}
	PG_CATCH();
	{
		/* no lock here: the error may have been raised holding st->lock */
		lsm_job_fail_current_error();
		st->compact_requested = true;	/* retried after a pause */
		lsm_claim_release(LSM_CLAIM_COMPACT, true);
		PG_RE_THROW();
	}
	PG_END_TRY();
	lsm_claim_release(LSM_CLAIM_COMPACT, false);
	return count;
}

/*
 * After a flush: ask the workers for a compaction if the shape calls for
 * one (cheap check on the level-0 count; the worker runs the picker).
 */
void
lsm_maybe_request_compaction(Relation rel, LsmRelState *st)
{
	/* deeper levels are handled by the same run: it loops until calm */
	if (st->l0_files >= lsm_rel_l0_trigger(rel) ||
		st->nssts > lsm_manifest_max_ssts() / 2)
	{
		st->compact_requested = true;
		lsm_wake_launcher();
	}
}
