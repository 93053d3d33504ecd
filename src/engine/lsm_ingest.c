/*-------------------------------------------------------------------------
 *
 * engine/lsm_ingest.c
 *	  Bulk writes straight to a level-0 SSTable (lsm_ingest.h).
 *
 * A transaction that writes many new rows (COPY, INSERT ... SELECT,
 * CREATE TABLE AS) lets its write batch of each relation grow large
 * (engine/lsm_writebatch.c); such a batch is written here, as RocksDB's
 * ingestion and MyRocks' bulk load do:
 *	1. index entries get sequence numbers from a range reserved (and
 *	   logged) at once; new rows have theirs (their row ids) already;
 *	2. the entries are sorted by internal key and given to the SSTable
 *	   writer, which reserves blocks and writes the pages, each logged as
 *	   a full-page image (unreferenced until step 3: a crash before it
 *	   leaves only space that the next startup sweeps back);
 *	3. one manifest edit (XLOG_LSM_COMPACT, a full image of the metapage)
 *	   adds the SSTable to level 0.
 * Nothing goes to the memtable or its log, so the WAL of such a load is
 * about its compressed SSTable bytes.  The rows carry the inserting
 * transaction's xid as memtable rows do: invisible to others until it
 * commits, and dropped by compaction (as entries of aborted transactions
 * are) if it aborts.  Index entries carry no transaction, as in a
 * memtable: those of rows that never commit point to rows found dead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"

#include "core/lsm_core.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_ingest.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_sstwriter.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "utils/memutils.h"

typedef struct IngestSort
{
	const LsmWriteOp *ops;
	const lsm_comparator *cmp;
} IngestSort;

/* the user key of op (a new row's is its big-endian row id, in buf) */
static const char *
op_key(const LsmWriteOp *op, char *buf, size_t *len)
{
	if (op->key != NULL)
	{
		*len = op->keylen;
		return op->key;
	}
	lsm_put_be64(buf, op->seq);
	*len = LSM_ROWKEY_LEN;
	return buf;
}

/* internal-key order: user key ascending, then newer (larger seq) first */
static int
ingest_cmp(const void *a, const void *b, void *arg)
{
	IngestSort *s = (IngestSort *) arg;
	const LsmWriteOp *x = &s->ops[*(const int *) a];
	const LsmWriteOp *y = &s->ops[*(const int *) b];
	char		xb[LSM_ROWKEY_LEN],
				yb[LSM_ROWKEY_LEN];
	size_t		xl,
				yl;
	const char *xk = op_key(x, xb, &xl);
	const char *yk = op_key(y, yb, &yl);
	int			r = s->cmp->compare(s->cmp->arg, xk, xl, yk, yl);

	if (r != 0)
		return r;
	return x->seq > y->seq ? -1 : (x->seq < y->seq ? 1 : 0);
}

bool
lsm_ingest_ops(Relation rel, LsmWriteOp *ops, int n)
{
	LsmRelState *st = lsm_memstore_open(rel);
	MemoryContext cxt;
	MemoryContext old;
	IngestSort	sort;
	lsm_sst_options opts;
	LsmSstWriter w;
	LsmSstEntry *outs;
	int			nouts;
	LsmManifestEdit edit;
	LsmJobResult res;
	int		   *order;
	int			nkeyed = 0;
	Size		bytes = 0;
	char	   *ikey = NULL;
	size_t		ikey_cap = 0;
	int			job;
	int			i;

	Assert(n > 0);
	/* leave a quarter of the manifest's room to flushes and compactions */
	{
		int			max = lsm_manifest_max_ssts();

		if (st->nssts + 1 > max - Max(max / 4, 8))
			return false;
	}

	for (i = 0; i < n; i++)
	{
		Assert(!ops[i].key_is_prev_seq);
		Assert(ops[i].key != NULL ? !ops[i].seq_preset : ops[i].seq_preset);
		if (!ops[i].seq_preset)
			nkeyed++;
		bytes += ops[i].keylen + ops[i].vlen;
	}
	/* one more level-0 SSTable: as writers, wait while level 0 is full */
	lsm_memstore_backpressure(rel, bytes);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "lsm bulk load",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	if (nkeyed > 0)
	{
		uint64		epoch;
		uint64		seq = lsm_memstore_reserve_seqs(rel, (uint32) nkeyed, &epoch);

		for (i = 0; i < n; i++)
			if (!ops[i].seq_preset)
				ops[i].seq = seq++;
	}

	order = palloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
		order[i] = i;
	sort.ops = ops;
	sort.cmp = lsm_rel_comparator(rel);
	qsort_arg(order, n, sizeof(int), ingest_cmp, &sort);

	job = lsm_job_start(rel, true, -1, 0, false, NULL, 0, (uint64) n, "bulk load");
	PG_TRY();
	{
		lsm_rel_sst_options(rel, &opts);
		/*
		 * zstd's fastest level, as flushes use: index SSTables are merged
		 * soon; a table's (row ids growing) move down unrewritten and keep it
		 */
		opts.zstd_level = Min(opts.zstd_level, 1);
		lsm_sst_writer_init(&w, rel, st, "bulk load", &opts, cxt, 0, 0);
		for (i = 0; i < n; i++)
		{
			const LsmWriteOp *op = &ops[order[i]];
			char		kb[LSM_ROWKEY_LEN];
			size_t		klen;
			const char *k = op_key(op, kb, &klen);

			if (klen + LSM_TRAILER_SIZE > ikey_cap)
			{
				ikey_cap = Max(64, 2 * (klen + LSM_TRAILER_SIZE));
				ikey = ikey ? repalloc(ikey, ikey_cap) : palloc(ikey_cap);
			}
			memcpy(ikey, k, klen);
			lsm_trailer_encode(ikey + klen, op->seq, op->type);
			/* the writer refuses keys out of order or twice (Assert: sorted) */
			Assert(i == 0 || ingest_cmp(&order[i - 1], &order[i], &sort) < 0);
			lsm_sst_writer_add(&w, ikey, klen + LSM_TRAILER_SIZE, op->value, op->vlen);
		}
		outs = lsm_sst_writer_finish(&w, &nouts);
		Assert(nouts == 1);

		memset(&edit, 0, sizeof(edit));
		edit.from_level = -1;
		edit.to_level = 0;
		edit.nadd = nouts;
		edit.add = outs;
		lsm_manifest_apply(rel, st, &edit);
		st->bytes_flushed += w.file_bytes;

		memset(&res, 0, sizeof(res));
		res.status = "done";
		res.noutputs = nouts;
		res.outputs = outs;
		res.bytes_read = bytes;
		res.bytes_read_from = bytes;
		res.bytes_written = w.bytes_written;
		res.keys_in = (uint64) n;
		res.keys_dropped = 0;
		lsm_job_finish(job, rel, &res);
	}
	PG_CATCH();
	{
		lsm_job_fail_current_error();
		PG_RE_THROW();
	}
	PG_END_TRY();

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	lsm_maybe_request_compaction(rel, st);
	return true;
}
