/*-------------------------------------------------------------------------
 *
 * lsm_relstate.h
 *	  Shared memory of lsm_am: the hash of per-relfilenode states
 *	  (LsmRelState), the memtable slots and the chunk pool their skiplists
 *	  allocate from, flush/compaction claims, running jobs' slots, and
 *	  speculative insertions in progress.
 *
 * Locking (README "Locking rules"): lsm_shared->hash_lock guards the hash
 * (shared for lookups, exclusive to create or remove an entry); pool_mutex
 * (a spinlock) guards the chunk free list, slot states, slot refcounts
 * and job slots' in_use; each LsmRelState's lock guards its memtable list
 * and manifest-derived fields (REQUIRES: held exclusively to change them,
 * at least shared to read them, after hash_lock if both); memtable writers
 * hold it shared (engine/lsm_memtables.c says what they share).
 * Claims are atomics, taken and released without any lock.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_RELSTATE_H
#define LSM_RELSTATE_H

#include "postgres.h"

#include "access/tableam.h"
#include "port/atomics.h"
#include "storage/block.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/relfilenode.h"
#include "storage/spin.h"
#include "utils/resowner.h"

#include "core/lsm_memtable.h"
#include "core/lsm_picker.h"
#include "storage/lsm_format.h"

/* GUCs (registered by extension/lsm_am.c) */
extern int	lsm_memtable_pool_kb;		/* shared memory for all memtables */
extern int	lsm_max_relations;			/* shared state entries */

/* _PG_init ran from shared_preload_libraries: shared memory exists. */
extern bool lsm_loaded_at_startup;
extern void lsm_check_preloaded(void);


#define LSM_MAX_FROZEN 8

/*
 * Log-page lanes of an active memtable: writers append to one of this many
 * open log pages, so that concurrent writers of a relation do not queue on
 * one buffer lock (engine/lsm_memtables.c).
 */
#define LSM_LOG_LANES 4
#define LSM_MAX_DB_WORKERS 8

typedef enum LsmSlotState
{
	LSM_SLOT_FREE = 0,
	LSM_SLOT_ACTIVE,			/* takes writes */
	LSM_SLOT_FROZEN,			/* immutable, waiting to be flushed */
	LSM_SLOT_RETIRED			/* flushed; freed when unpinned */
} LsmSlotState;

typedef struct LsmMemSlot
{
	LsmSlotState state;
	int			refcount;		/* backends reading it (pool mutex) */
	RelFileNode owner;
	uint64		gen;
	int			first_chunk;	/* chain through pool->chunk_next */
	int			nchunks;
	TransactionId min_xid;		/* oldest xid written into it, or invalid */
	/*
	 * A table's memtable, frozen: every row id written into the table
	 * after the freeze is at least this (new rows; updates and deletes of
	 * older rows aside), so its flush may carry its own entries from here
	 * up into the active memtable (engine/lsm_flush.c).  0: none.
	 */
	uint64		carry_from;
	lsm_memtable mt;
} LsmMemSlot;

/*
 * Readers' holds on SSTable blocks (engine/lsm_manifest.c).  A read view
 * registers the state version it copied the manifest at (LsmViewPin,
 * shared by the views of one version); SSTables a compaction removes
 * become zombies stamped with the version that removed them, and their
 * blocks go back to the free list once no registered version is older
 * than that.  pin_mutex guards vpins; zombies change under the state lock
 * held exclusively.
 */
typedef struct LsmViewPin
{
	uint64		version;
	uint32		refs;
} LsmViewPin;

typedef struct LsmZombie
{
	BlockNumber start;
	uint32		nblocks;
	uint64		removed;		/* st->version that no longer lists it */
} LsmZombie;

#define LSM_MAX_VIEW_PINS 32
#define LSM_MAX_ZOMBIES 128

/* Per-relfilenode state, in a shared hash keyed by RelFileNode. */
/* backends that may hold back new rows of one table at a time */
#define LSM_MAX_PENDING 16
#define LSM_COMPACT_PTR_MAX 64	/* longer keys are truncated: a heuristic */

typedef struct LsmRelState
{
	RelFileNode key;
	uint64		incarnation;	/* unique per creation of an entry */
	Oid			relid;			/* for workers; InvalidOid if unknown */
	bool		loaded;			/* memtables rebuilt from log pages */
	bool		flush_requested;
	bool		compact_requested;
	/*
	 * Claims (LsmClaim): the pid of the backend flushing / compacting it,
	 * or 0.  Taken and given back with atomics, never under a lock, so that
	 * error and exit paths can release them (see lsm_claim_try).  The
	 * failure counters and retry times are written by the claim holder.
	 */
	pg_atomic_uint32 claim_pid[2];
	int			failures[2];	/* failed runs in a row */
	int64		retry_at[2];	/* TimestampTz: no automatic run before */
	int			l0_files;		/* level-0 SSTables (for backpressure) */
	uint64		version;		/* bumped at every memtable list or manifest change */
	int			nssts;			/* SSTables in the manifest */
	LWLock		lock;			/* memtable list; see README */
	LWLock		uniq_lock;		/* unique indexes: check + insert of a key */
	LWLock		log_lock;		/* lane page switches, chunk additions */
	bool		is_index;		/* an lsm index (keys need its comparator) */
	/*
	 * The next sequence number: taken by writers with an atomic add under
	 * the state lock held shared (or exclusive), so it never moves while
	 * the lock is held exclusively.
	 */
	pg_atomic_uint64 next_seq;
	int			active;			/* slot index or -1 */
	/*
	 * The active memtable's open log page per lane (InvalidBlockNumber: the
	 * lane has none yet).  Changed under log_lock with the state lock held
	 * shared, or under the state lock held exclusively; a writer reads it,
	 * locks that page's buffer and checks that it still is the lane's
	 * page.
	 */
	BlockNumber tails[LSM_LOG_LANES];
	int			nfrozen;
	int			frozen[LSM_MAX_FROZEN];		/* slot indexes, oldest first */
	ConditionVariable cv;		/* memtable flushed, compaction done */
	slock_t		pin_mutex;		/* vpins */
	LsmViewPin	vpins[LSM_MAX_VIEW_PINS];
	int			nzombies;
	LsmZombie	zombies[LSM_MAX_ZOMBIES];
	/*
	 * New rows held back in write batches (engine/lsm_writebatch.c) have
	 * row ids, and TIDs in other indexes, before they are in any memtable:
	 * per backend holding some, the first of their row ids (0: free slot).
	 * A row found nowhere is dead only below all of them
	 * (lsm_memstore_rowid_pending).  Set and cleared with atomics.
	 */
	pg_atomic_uint64 pending_lo[LSM_MAX_PENDING];
	/*
	 * Bumped at every freeze of a table's memtable: row-id ranges reserved
	 * before it (lsm_memstore_reserve_seqs) are not started afterwards.
	 */
	pg_atomic_uint64 seq_epoch;
	/* round-robin position per level: largest key last compacted from it */
	uint8		compact_ptr_len[LSM_MAX_LEVELS];
	char		compact_ptr[LSM_MAX_LEVELS][LSM_COMPACT_PTR_MAX];
	/* statistics */
	uint64		flushes;
	uint64		bytes_flushed;
} LsmRelState;

#define LSM_MAX_JOBS 16
#define LSM_JOB_MAX_INPUTS 96

/* A running flush or compaction, for the CompactionJob view. */
typedef struct LsmJob
{
	bool		in_use;
	int			pid;
	Oid			dbid;
	Oid			relid;
	uint8		id[16];
	bool		is_flush;
	bool		trivial_move;
	int			from_level;		/* -1 for a flush (memtable) */
	int			to_level;
	int			ninputs;
	uint8		inputs[LSM_JOB_MAX_INPUTS][16];
	int64		started_at;		/* TimestampTz */
	/* progress, written by the owner only */
	uint64		total_entries;
	uint64		keys_in;
	uint64		keys_dropped;
	uint64		bytes_read;
	uint64		bytes_written;
	char		reason[96];
	/* a job that failed in a backend, until written to the history */
	bool		failed;
	int64		ended_at;		/* TimestampTz */
	char		error[160];
} LsmJob;

typedef struct LsmShared
{
	LWLock		hash_lock;		/* lookups shared, create/remove exclusive */
	slock_t		pool_mutex;		/* chunk free list, slot states, refcounts */
	int			nchunks;
	int			free_chunk;		/* head of free chunk list */
	int			nfree_chunks;
	int			nslots;
	Latch	   *launcher_latch;
	Oid			db_workers[LSM_MAX_DB_WORKERS];	/* databases with a worker */
	LsmJob		jobs[LSM_MAX_JOBS];	/* pool_mutex for in_use */
	pg_atomic_uint64 next_incarnation;
	ConditionVariable pool_cv;	/* a chunk or slot was freed */
	int			tranche_id;		/* hash_lock */
	int			tranche_state;	/* LsmRelState.lock */
	int			tranche_unique; /* LsmRelState.uniq_lock */
	int			tranche_log;	/* LsmRelState.log_lock */
	char	   *chunk_base;
	int		   *chunk_next;
	LsmMemSlot *slots;
} LsmShared;

extern LsmShared *lsm_shared;

#define LSM_CHUNK_SIZE (64 * 1024)

extern void lsm_shmem_request(void);
extern void lsm_shmem_startup(void);

extern LsmRelState *lsm_state_lookup(const RelFileNode *rnode);
extern LsmRelState *lsm_state_get(const RelFileNode *rnode, bool *found);
extern void lsm_state_discard(const RelFileNode *rnode);

/*
 * Flush and compaction claims: at most one backend flushes and one
 * compacts a relation at a time.  A backend holds at most one claim of
 * each kind.  lsm_claim_release needs no lock, so it is safe in PG_CATCH
 * blocks and exit callbacks whatever the failed code held.
 */
typedef enum LsmClaim
{
	LSM_CLAIM_FLUSH = 0,
	LSM_CLAIM_COMPACT = 1
} LsmClaim;

extern bool lsm_claim_try(LsmRelState *st, LsmClaim kind);
extern void lsm_claim_release(LsmClaim kind, bool failed);
extern bool lsm_claim_busy(LsmRelState *st, LsmClaim kind);
extern bool lsm_claim_retry_due(LsmRelState *st, LsmClaim kind, int64 now);

/*
 * Speculative insertions in progress (INSERT ... ON CONFLICT), one per
 * backend at most: who meets such a row through a dirty snapshot waits for
 * the insertion (its token), not for the whole transaction, as with heap.
 */
extern void lsm_spec_begin(const RelFileNode *rnode, TransactionId xid, uint32 token);
extern void lsm_spec_set_rowid(uint64 rowid);
extern void lsm_spec_end(void);
extern uint32 lsm_spec_token(const RelFileNode *rnode, uint64 rowid, TransactionId xid);
extern int	lsm_shed_memtables(const RelFileNode *except);
extern LsmMemSlot *lsm_slot(int idx);
extern int	lsm_slot_alloc(const RelFileNode *owner, uint64 gen);
extern bool lsm_slot_add_chunk(int idx);
extern void lsm_slot_pin(int idx);
extern void lsm_slot_unpin(int idx, ResourceOwner owner);
extern void lsm_slot_retire(int idx);

typedef struct LsmFlushTarget
{
	Oid			db;
	Oid			relid;
	RelFileNode rnode;
	int			jobs;			/* unclaimed flush and compaction requests */
} LsmFlushTarget;

extern int	lsm_states_needing_flush(Oid dboid, LsmFlushTarget *out, int max);
extern void lsm_state_clear_flush_request(const RelFileNode *rnode);


extern int	lsm_states_for_relid(Oid dbid, Oid relid, RelFileNode *out, int max);

#endif							/* LSM_RELSTATE_H */
