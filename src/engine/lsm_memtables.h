/*-------------------------------------------------------------------------
 *
 * lsm_memtables.h
 *	  A relation's memtables: the active one taking writes and the frozen
 *	  ones waiting for a flush, in shared memory (engine/lsm_relstate.h),
 *	  each logged to a chain of log pages of the relation itself (WAL
 *	  records of storage/lsm_xlog.h), rebuilt from those pages after a
 *	  restart or on a standby.  Writers are held back (backpressure) when
 *	  frozen memtables or level-0 SSTables pile up.
 *
 * REQUIRES: lsm_memstore_write from a backend in a transaction with an xid
 * (it logs WAL); the *_locked functions with the state's lock held
 * exclusively; redo functions from the startup process only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_MEMTABLES_H
#define LSM_MEMTABLES_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_relstate.h"

/* GUCs (registered by extension/lsm_am.c) */
extern int	lsm_max_frozen_memtables;	/* writers wait beyond this */
extern int	lsm_l0_slowdown_trigger;
extern int	lsm_l0_stop_trigger;


/* One entry to write.  key == NULL means a new row: key = BE8(seq). */
typedef struct LsmWriteOp
{
	lsm_entry_type type;
	const char *key;
	Size		keylen;
	const char *value;
	Size		vlen;
	uint64		seq;			/* out: the entry's sequence number (in, with
								 * seq_preset) */
	bool		seq_preset;		/* seq was reserved by the caller
								 * (lsm_memstore_reserve_seqs) */
	bool		key_is_prev_seq;	/* key = BE8(seq of the op before it in
									 * the same call), set by the write */
	char		keybuf[8];
} LsmWriteOp;


/* Backend-local cache of a relation's state, in rel->rd_amcache. */
typedef struct LsmStateCache
{
	LsmRelState *st;
	uint64		incarnation;
	int8		rows_batchable; /* table layer's cached answer; -1 unknown */
} LsmStateCache;

extern LsmRelState *lsm_memstore_open(Relation rel);
extern void lsm_memstore_write(Relation rel, LsmWriteOp *ops, int n);
extern void lsm_memstore_backpressure(Relation rel, Size bytes);
extern int	lsm_memstore_carry(Relation rel, LsmWriteOp *ops, int n);
extern void lsm_memstore_release_splice_pins(void);
extern void lsm_memstore_unload(LsmRelState *st);
extern bool lsm_memstore_freeze(LsmRelState *st);
extern void lsm_memstore_freeze_locked(LsmRelState *st);
extern void lsm_memstore_redo_items(LsmRelState *st, Page page,
									OffsetNumber first, int nitems);
extern void lsm_memstore_redo_newgen(LsmRelState *st, const RelFileNode *rnode,
									 uint64 gen);
extern void lsm_memstore_redo_flushed(LsmRelState *st, uint64 gen);
extern uint64 lsm_memstore_entries(LsmRelState *st);
extern uint64 lsm_memstore_next_seq(LsmRelState *st);
extern uint64 lsm_memstore_take_seq(LsmRelState *st);
extern uint64 lsm_memstore_reserve_seqs(Relation rel, uint32 count, uint64 *epoch);
extern int	lsm_memstore_pending_begin(LsmRelState *st, uint64 lo);
extern void lsm_memstore_pending_end(LsmRelState *st, int slot);
extern bool lsm_memstore_rowid_pending(LsmRelState *st, uint64 rowid);
extern TransactionId lsm_memstore_oldest_xid(Relation rel, TransactionId start);

/* A memtable as the lsm_am.memtables() function shows it. */
typedef struct LsmMemtableInfo
{
	uint64		gen;
	bool		active;
	uint64		entries;
	uint64		deletes;
	uint64		data_bytes;
	uint64		chunk_bytes;
} LsmMemtableInfo;

extern int	lsm_memstore_list(LsmRelState *st, LsmMemtableInfo *out, int max);

#endif							/* LSM_MEMTABLES_H */
