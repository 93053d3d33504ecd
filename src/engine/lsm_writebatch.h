/*-------------------------------------------------------------------------
 *
 * lsm_writebatch.h
 *	  Per-transaction write batches: entries a transaction writes to a
 *	  relation, held in backend memory and written to its memtable
 *	  together (one memtable search pass, one WAL record per log page)
 *	  before anything can need them: before this backend reads the
 *	  relation, before commit or PREPARE, and when the batch is full.
 *
 * Only entries no other backend needs to see before the writer commits
 * may be batched; the caller decides (index/lsm_indexam.c: entries of
 * non-unique indexes without exclusion constraints, outside SERIALIZABLE).
 * Entries of an aborted subtransaction are dropped unwritten: a heap
 * table's aborted tuple may be pruned and its TID reused, so an index
 * entry naming it must not appear after its abort.
 *
 * REQUIRES: a transaction with an xid (the entries are written with WAL).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_WRITEBATCH_H
#define LSM_WRITEBATCH_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_memtables.h"

/* GUC lsm_am.write_batch_size: entries per relation held back; 0 = none */
extern int	lsm_write_batch_size;

/* GUC lsm_am.write_batch_rows: new table rows are held back too */
extern bool lsm_write_batch_rows;

/* GUC lsm_am.bulk_write_size (kB): a bulk load's batch, written as an SSTable; 0 = never */
extern int	lsm_bulk_write_size_kb;

/* true while any batch holds entries (a cheap test for the hooks) */
extern bool lsm_batch_nonempty;

/*
 * Add one entry (key and value are copied); written when the batch fills.
 * An index entry has a key; a new row has none and a row id from
 * lsm_batch_take_seq (seq, seq_preset).
 */
extern void lsm_batch_add(Relation rel, const LsmWriteOp *op);

/*
 * A row id for a new row of table rel to be held back, published as
 * pending until the batch is written or dropped; false if the row must be
 * written at once instead (no pending slot free, or rel's batch is being
 * written).
 */
extern bool lsm_batch_take_seq(Relation rel, uint64 *seq);

/* Write rel's held entries now (before this backend reads rel). */
extern void lsm_batch_apply(Relation rel);

/* Write every held entry (pre-commit, pre-prepare, SQL functions). */
extern void lsm_batch_apply_all(void);

/* Drop rel's held entries unwritten (the relation is being rebuilt). */
extern void lsm_batch_forget(Oid relid);

/* Hooks (ExecutorStart); called by _PG_init. */
extern void lsm_batch_init(void);

/* Transaction and subtransaction ends (engine/lsm_xact.c). */
extern void lsm_batch_at_xact_end(void);
extern void lsm_batch_at_subabort(SubTransactionId subid);

#endif							/* LSM_WRITEBATCH_H */
