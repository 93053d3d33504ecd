/*-------------------------------------------------------------------------
 *
 * lsm_writebatch.c
 *	  Per-transaction write batches (lsm_writebatch.h): a relation's
 *	  held entries are written by one lsm_memstore_write call, which
 *	  searches the memtable for all of them at once and logs one WAL
 *	  record per log page instead of one per entry.
 *
 * When held entries are written:
 *	- before this backend reads the relation (lsm_read_view_open and
 *	  lsm_current_view call lsm_batch_apply);
 *	- before a parallel plan starts (ExecutorStart): its workers read
 *	  relations through their own views;
 *	- at pre-commit and pre-prepare (engine/lsm_xact.c), and in the SQL
 *	  functions that flush, compact or show memtables;
 *	- when a relation's batch reaches lsm_am.write_batch_size entries or
 *	  BATCH_MAX_BYTES; or, for a bulk load, lsm_am.bulk_write_size.
 * Bulk loads: once a transaction has filled a relation's batch
 * BULK_AFTER_WRITES times, the batch of that relation grows to
 * lsm_am.bulk_write_size (counting the ops' own memory) and is written as
 * a level-0 SSTable of its own (engine/lsm_ingest.c), skipping the
 * memtable and its log; what is left at the end (less than a quarter of
 * that) goes to the memtable as usual, so that no tiny SSTables appear.
 * When they are dropped unwritten: at abort; at a subtransaction's abort,
 * the entries it (or its children) added, which are a suffix of the batch
 * (subtransaction ids grow, and while a subtransaction runs only it and
 * its children add); when the relation is rebuilt (its ambuild reads
 * every row, this transaction's included) or dropped.
 *
 * Everything lives in TopTransactionContext; the list is forgotten at the
 * end of each transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relation.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "engine/lsm_ingest.h"
#include "engine/lsm_writebatch.h"

int			lsm_write_batch_size = 1000;
bool		lsm_write_batch_rows = true;
int			lsm_bulk_write_size_kb = 32 * 1024;
bool		lsm_batch_nonempty = false;

/* a batch holds at most this many key and value bytes */
#define BATCH_MAX_BYTES (4 * 1024 * 1024)

/* full batches of one relation in a transaction that make it a bulk load */
#define BULK_AFTER_WRITES 8

/* memory of a held op besides its key and value */
#define OP_OVERHEAD (sizeof(LsmWriteOp) + sizeof(SubTransactionId))

typedef struct Batch
{
	Oid			relid;
	RelFileNode rnode;			/* the relation's storage when ops[0] came */
	int			n;
	int			cap;
	LsmWriteOp *ops;
	SubTransactionId *subids;	/* of the subtransaction that added ops[i] */
	Size		bytes;
	MemoryContext cxt;			/* ops' keys and values */
	bool		writing;
	int			nfull;			/* times it was written for being full */
	bool		bulk;			/* a bulk load: grows to bulk_write_size */
	/* new rows with row ids handed out: their lsm_memstore_pending_begin */
	int			pending_slot;	/* -1: none */
	LsmRelState *pending_st;
	uint64		pending_incarnation;
	struct Batch *next;
} Batch;

static Batch *batches = NULL;
static LocalTransactionId batches_lxid = InvalidLocalTransactionId;

static Batch *
current_batches(void)
{
	if (batches_lxid != MyProc->lxid)
	{
		batches = NULL;
		batches_lxid = MyProc->lxid;
	}
	return batches;
}

static void
recompute_nonempty(void)
{
	Batch	   *b;

	lsm_batch_nonempty = false;
	for (b = current_batches(); b; b = b->next)
		if (b->n > 0)
			lsm_batch_nonempty = true;
}

/* b's held-back rows are written or dropped: no longer pending */
static void
end_pending(Batch *b)
{
	if (b->pending_slot < 0)
		return;
	/* a state discarded since (the table dropped) has no slot of ours */
	if (b->pending_st->incarnation == b->pending_incarnation)
		lsm_memstore_pending_end(b->pending_st, b->pending_slot);
	b->pending_slot = -1;
}

static void
clear_batch(Batch *b)
{
	b->n = 0;
	b->bytes = 0;
	MemoryContextReset(b->cxt);
	end_pending(b);
}

/* rel's batch in this transaction, created if need be */
static Batch *
get_batch(Relation rel)
{
	Batch	   *b;
	Oid			relid = RelationGetRelid(rel);

	for (b = current_batches(); b; b = b->next)
		if (b->relid == relid)
			return b;
	b = MemoryContextAllocZero(TopTransactionContext, sizeof(Batch));
	b->relid = relid;
	b->cap = 64;
	b->ops = MemoryContextAlloc(TopTransactionContext, sizeof(LsmWriteOp) * b->cap);
	b->subids = MemoryContextAlloc(TopTransactionContext,
								   sizeof(SubTransactionId) * b->cap);
	b->cxt = AllocSetContextCreate(TopTransactionContext, "lsm write batch",
								   ALLOCSET_DEFAULT_SIZES);
	b->pending_slot = -1;
	b->next = batches;
	batches = b;
	return b;
}

/*
 * Write b's entries into rel.  They stay in the batch until the write
 * returns: if it fails part way, a subtransaction's abort may leave the
 * transaction running, and the entries of its parent are still to be
 * written (an entry written twice is kept once: the memtable skips an
 * internal key it holds already).  While it runs, entries added
 * to the same relation (by jobs the write runs under backpressure) are
 * written at once instead.
 */
/* Memory the batch's entries take. */
static Size
batch_mem(const Batch *b)
{
	return b->bytes + (Size) b->n * OP_OVERHEAD;
}

static void
write_batch(Batch *b, Relation rel, bool full)
{
	bool		ingested = false;

	if (b->n == 0 || b->writing)
		return;
	Assert(RelationGetRelid(rel) == b->relid);

	/*
	 * New rows belong to the storage they were inserted into: every path
	 * that replaces a table's storage writes or drops them first (finish
	 * of a bulk insert, copy to a new tablespace, TRUNCATE).  An index's
	 * entries may follow its storage to a new tablespace.
	 */
	if (b->ops[0].seq_preset && !RelFileNodeEquals(b->rnode, rel->rd_node))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("rows held back for lsm table \"%s\" belong to storage it no longer has",
						RelationGetRelationName(rel)),
				 errdetail("The table's file changed from %u to %u after the rows were inserted.",
						   b->rnode.relNode, rel->rd_node.relNode),
				 errhint("Set lsm_am.write_batch_size = 0 to write each row at once, and report this.")));
	b->writing = true;
	PG_TRY();
	{
		if (b->bulk && lsm_bulk_write_size_kb > 0 &&
			batch_mem(b) >= (Size) lsm_bulk_write_size_kb * 1024 / 4)
			ingested = lsm_ingest_ops(rel, b->ops, b->n);
		if (!ingested)
			lsm_memstore_write(rel, b->ops, b->n);
	}
	PG_CATCH();
	{
		b->writing = false;
		PG_RE_THROW();
	}
	PG_END_TRY();
	b->writing = false;
	clear_batch(b);
	if (full && !b->bulk && lsm_bulk_write_size_kb > 0 &&
		++b->nfull >= BULK_AFTER_WRITES)
		b->bulk = true;
	recompute_nonempty();
}

void
lsm_batch_add(Relation rel, const LsmWriteOp *op)
{
	Batch	   *b;
	LsmWriteOp *dst;
	char	   *mem;

	Assert(!IsParallelWorker());
	/* an index entry, or a new row with a reserved row id */
	Assert(op->key != NULL ? !op->seq_preset : op->seq_preset);
	Assert(!op->key_is_prev_seq);
	b = get_batch(rel);
	/* a held-back row's id was published by lsm_batch_take_seq */
	Assert(!op->seq_preset || b->pending_slot >= 0);
	if (b->writing)
	{
		LsmWriteOp	one = *op;

		lsm_memstore_write(rel, &one, 1);
		return;
	}
	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->ops = repalloc(b->ops, sizeof(LsmWriteOp) * b->cap);
		b->subids = repalloc(b->subids, sizeof(SubTransactionId) * b->cap);
	}
	mem = MemoryContextAlloc(b->cxt, op->keylen + op->vlen + 1);
	if (op->keylen > 0)
		memcpy(mem, op->key, op->keylen);
	if (op->vlen > 0)
		memcpy(mem + op->keylen, op->value, op->vlen);
	dst = &b->ops[b->n];
	memset(dst, 0, sizeof(*dst));
	dst->type = op->type;
	dst->key = op->key ? mem : NULL;
	dst->seq = op->seq;
	dst->seq_preset = op->seq_preset;
	dst->keylen = op->keylen;
	dst->value = mem + op->keylen;
	dst->vlen = op->vlen;
	if (b->n == 0)
		b->rnode = rel->rd_node;
	b->subids[b->n] = GetCurrentSubTransactionId();
	b->n++;
	b->bytes += op->keylen + op->vlen;
	lsm_batch_nonempty = true;
	if (b->bulk && lsm_bulk_write_size_kb > 0 ?
		batch_mem(b) >= (Size) lsm_bulk_write_size_kb * 1024 :
		(b->n >= lsm_write_batch_size || b->bytes >= BATCH_MAX_BYTES))
		write_batch(b, rel, true);
}

void
lsm_batch_apply(Relation rel)
{
	Batch	   *b;
	Oid			relid = RelationGetRelid(rel);

	if (!lsm_batch_nonempty)
		return;
	for (b = current_batches(); b; b = b->next)
		if (b->relid == relid)
		{
			write_batch(b, rel, false);
			return;
		}
}

void
lsm_batch_apply_all(void)
{
	Batch	   *b;
	bool		pushed = false;

	if (!lsm_batch_nonempty)
		return;

	/*
	 * At pre-commit no snapshot is active, and a write held back by
	 * backpressure may flush or compact in this backend, which records
	 * the job with SQL.
	 */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	for (b = current_batches(); b; b = b->next)
	{
		Relation	rel;

		if (b->n == 0 || b->writing)
			continue;
		/* the transaction holds a lock on it since it wrote; gone if dropped */
		rel = try_relation_open(b->relid, NoLock);
		if (rel == NULL)
		{
			clear_batch(b);
			continue;
		}
		write_batch(b, rel, false);
		relation_close(rel, NoLock);
	}
	if (pushed)
		PopActiveSnapshot();
	recompute_nonempty();
}

void
lsm_batch_forget(Oid relid)
{
	Batch	   *b;

	if (!lsm_batch_nonempty)
		return;
	for (b = current_batches(); b; b = b->next)
		if (b->relid == relid && !b->writing)
			clear_batch(b);
	recompute_nonempty();
}

void
lsm_batch_at_xact_end(void)
{
	Batch	   *b;

	/*
	 * Commit wrote everything before; at abort the held-back rows are
	 * gone.  (Not current_batches(): the proc's lxid is already reset.)
	 * The memory goes with TopTransactionContext.
	 */
	for (b = batches; b; b = b->next)
		end_pending(b);
	batches = NULL;
	batches_lxid = InvalidLocalTransactionId;
	lsm_batch_nonempty = false;
}

void
lsm_batch_at_subabort(SubTransactionId subid)
{
	Batch	   *b;

	if (!lsm_batch_nonempty)
		return;
	for (b = current_batches(); b; b = b->next)
	{
		int			keep = b->n;

		while (keep > 0 && b->subids[keep - 1] >= subid)
		{
			keep--;
			b->bytes -= b->ops[keep].keylen + b->ops[keep].vlen;
		}
#ifdef USE_ASSERT_CHECKING
		{
			int			i;

			for (i = 0; i < keep; i++)
				Assert(b->subids[i] < subid);
		}
#endif
		/* the dropped entries' memory stays until the batch is written */
		b->n = keep;
		if (keep == 0)
			clear_batch(b);
	}
	recompute_nonempty();
}

/*
 * A parallel plan's workers open their own views of the relations it
 * reads, which do not see this backend's held entries: write them first.
 */
static ExecutorStart_hook_type prev_executor_start = NULL;

static void
lsm_batch_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (lsm_batch_nonempty && queryDesc->plannedstmt->parallelModeNeeded)
		lsm_batch_apply_all();
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

void
lsm_batch_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = lsm_batch_executor_start;
}

/*
 * Row ids for a table's held-back new rows, reserved in ranges
 * (lsm_memstore_reserve_seqs) that a backend keeps across its
 * transactions: a range is durable once reserved, so what is left of it
 * stays unused by anyone else and may be handed out later.  Ranges grow
 * from SEQ_RANGE_MIN to SEQ_RANGE_MAX as a backend keeps inserting into
 * the relation (to SEQ_RANGE_BULK_MAX in a bulk load, whose every
 * reservation logs a metapage image); a backend's exit gives up at most
 * one range per relation.
 */
#define SEQ_RANGES 8
#define SEQ_RANGE_MIN 32
#define SEQ_RANGE_MAX 1024
#define SEQ_RANGE_BULK_MAX 65536

typedef struct SeqRange
{
	RelFileNode rnode;
	uint64		incarnation;	/* of the relation's shared state */
	uint64		next;
	uint64		end;
	uint64		epoch;			/* the relation's seq_epoch when reserved */
	uint32		grant;			/* size of the next reservation */
} SeqRange;

static SeqRange seq_ranges[SEQ_RANGES];
static int	seq_range_next = 0;

bool
lsm_batch_take_seq(Relation rel, uint64 *seq)
{
	LsmRelState *st = lsm_memstore_open(rel);
	Batch	   *b = get_batch(rel);
	SeqRange   *r = NULL;
	int			i;

	/* a row added while the batch is being written goes in at once */
	if (b->writing)
		return false;

	for (i = 0; i < SEQ_RANGES; i++)
		if (seq_ranges[i].grant > 0 && RelFileNodeEquals(seq_ranges[i].rnode, rel->rd_node))
		{
			r = &seq_ranges[i];
			break;
		}
	/* a state rebuilt since (redo on a standby, a discard) starts afresh */
	if (r != NULL && r->incarnation != st->incarnation)
		r->next = r->end;
	if (r == NULL)
	{
		r = &seq_ranges[seq_range_next];
		seq_range_next = (seq_range_next + 1) % SEQ_RANGES;
		r->rnode = rel->rd_node;
		r->next = r->end = 0;
		r->grant = SEQ_RANGE_MIN;
	}
	for (;;)
	{
		if (r->next >= r->end)
		{
			uint32		count = r->grant;

			r->next = lsm_memstore_reserve_seqs(rel, count, &r->epoch);
			r->end = r->next + count;
			r->incarnation = st->incarnation;
			r->grant = Min(r->grant * 2, b->bulk ? SEQ_RANGE_BULK_MAX : SEQ_RANGE_MAX);
		}
		if (b->pending_slot >= 0)
			break;				/* published: every id handed out is above */

		/*
		 * The batch's first row: publish its id, then see whether a table
		 * memtable was frozen since the range was reserved.  Each freeze
		 * expects every later new row at or above what it found (next_seq,
		 * the pending slots), so that its flush may carry what lies above
		 * (lsm_memstore_freeze_locked: there the epoch moves, then the
		 * slots are read; here the slot is set, then the epoch is read).
		 * If one was, the rest of the range is given up.
		 */
		b->pending_slot = lsm_memstore_pending_begin(st, r->next);
		if (b->pending_slot < 0)
			return false;		/* every slot taken: write this row at once */
		b->pending_st = st;
		b->pending_incarnation = st->incarnation;
		if (pg_atomic_read_u64(&st->seq_epoch) == r->epoch)
			break;
		end_pending(b);
		r->next = r->end;
	}
	Assert(pg_atomic_read_u64(&st->pending_lo[b->pending_slot]) <= r->next);
	*seq = r->next++;
	return true;
}
