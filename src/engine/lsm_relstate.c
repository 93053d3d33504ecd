/*-------------------------------------------------------------------------
 *
 * engine/lsm_relstate.c
 *	  Shared memory of lsm_am: the hash of per-relfilenode states, the
 *	  memtable slots and the chunk pool their skiplists allocate from.
 *
 * Locking: lsm_shared->hash_lock guards the hash (shared for lookups,
 * exclusive to create or remove an entry).  pool_mutex (a spinlock, held
 * for a few instructions) guards the chunk free list, slot states and slot
 * refcounts.  Each LsmRelState has its own LWLock; see engine/lsm_memtables.c.
 * Order: hash_lock before a state's lock before buffer content locks.
 *
 * Readers pin the memtable slots they scan; a slot retired by a flush
 * returns its chunks to the pool when its last pin goes.  Pins are also
 * tracked per backend and dropped at transaction abort and at exit, so an
 * ERROR in the middle of a scan cannot leak a slot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "access/twophase.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "core/lsm_memtable.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_format.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

/* GUC (registered by extension/lsm_am.c) */
int			lsm_memtable_pool_kb = 256 * 1024;
int			lsm_max_relations = 4096;

/* set by _PG_init when loaded from shared_preload_libraries */
bool		lsm_loaded_at_startup = false;

/*
 * Called by every SQL-reachable entry point: without the preload there is
 * no shared memory and no WAL resource manager, so nothing can work.
 */
void
lsm_check_preloaded(void)
{
	if (!lsm_loaded_at_startup)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("lsm_am must be loaded via shared_preload_libraries"),
				 errdetail("The lsm access method keeps memtables in shared memory and logs through a custom WAL resource manager, both of which are set up at server start."),
				 errhint("Add lsm_am to shared_preload_libraries in postgresql.conf and restart the server.")));
}

LsmShared  *lsm_shared = NULL;
static HTAB *lsm_state_hash = NULL;

static void register_tranches(void);

/* Backend-local record of pins, released at abort/exit. */
typedef struct LocalPin
{
	int			slot;
	ResourceOwner owner;
} LocalPin;

static LocalPin *local_pins = NULL;
static int	nlocal_pins = 0;
static int	maxlocal_pins = 0;
static bool pin_callbacks_registered = false;

static int
pool_nchunks(void)
{
	return Max(lsm_memtable_pool_kb / (LSM_CHUNK_SIZE / 1024), 4);
}

static int
pool_nslots(void)
{
	/* enough for every relation to have an active and a frozen memtable */
	return Max(pool_nchunks(), 16);
}

static Size
lsm_shmem_size(void)
{
	Size		size = MAXALIGN(sizeof(LsmShared));

	size = add_size(size, mul_size(pool_nslots(), sizeof(LsmMemSlot)));
	size = add_size(size, mul_size(pool_nchunks(), sizeof(int)));
	size = add_size(size, PG_CACHE_LINE_SIZE);
	size = add_size(size, mul_size(pool_nchunks(), LSM_CHUNK_SIZE));
	size = add_size(size, hash_estimate_size(lsm_max_relations, sizeof(LsmRelState)));
	return size;
}

/*
 * Speculative insertions in progress, by pgprocno; spec_mutex guards all
 * of them (taken for a few instructions, only by ON CONFLICT inserts and
 * by dirty-snapshot fetches of rows whose inserter is running).
 */
typedef struct LsmSpecInsert
{
	RelFileNode rnode;
	uint64		rowid;			/* LSM_SPEC_PENDING until the row is written */
	TransactionId xid;			/* invalid: none */
	uint32		token;
} LsmSpecInsert;

#define LSM_SPEC_PENDING PG_UINT64_MAX

typedef struct LsmSpecShared
{
	slock_t		spec_mutex;
	int			nprocs;
	LsmSpecInsert ins[FLEXIBLE_ARRAY_MEMBER];
} LsmSpecShared;

static LsmSpecShared *lsm_spec = NULL;

static int
spec_nprocs(void)
{
	/* every PGPROC (InitProcGlobal's count) */
	return MaxBackends + NUM_AUXILIARY_PROCS + max_prepared_xacts;
}

static Size
spec_shmem_size(void)
{
	return add_size(offsetof(LsmSpecShared, ins),
					mul_size(spec_nprocs(), sizeof(LsmSpecInsert)));
}

void
lsm_spec_begin(const RelFileNode *rnode, TransactionId xid, uint32 token)
{
	LsmSpecInsert *s;

	if (lsm_spec == NULL || MyProc == NULL || MyProc->pgprocno >= lsm_spec->nprocs)
		return;
	s = &lsm_spec->ins[MyProc->pgprocno];
	SpinLockAcquire(&lsm_spec->spec_mutex);
	s->rnode = *rnode;
	s->rowid = LSM_SPEC_PENDING;
	s->xid = xid;
	s->token = token;
	SpinLockRelease(&lsm_spec->spec_mutex);
}

void
lsm_spec_set_rowid(uint64 rowid)
{
	if (lsm_spec == NULL || MyProc == NULL || MyProc->pgprocno >= lsm_spec->nprocs)
		return;
	SpinLockAcquire(&lsm_spec->spec_mutex);
	lsm_spec->ins[MyProc->pgprocno].rowid = rowid;
	SpinLockRelease(&lsm_spec->spec_mutex);
}

/* The insertion is complete or killed, or its transaction aborts. */
void
lsm_spec_end(void)
{
	LsmSpecInsert *s;

	if (lsm_spec == NULL || MyProc == NULL || MyProc->pgprocno >= lsm_spec->nprocs)
		return;
	s = &lsm_spec->ins[MyProc->pgprocno];
	if (!TransactionIdIsValid(s->xid))
		return;					/* only this backend sets it */
	SpinLockAcquire(&lsm_spec->spec_mutex);
	s->xid = InvalidTransactionId;
	s->token = 0;
	SpinLockRelease(&lsm_spec->spec_mutex);
}

/*
 * The token of the speculative insertion in progress that wrote row rowid
 * of rnode in transaction xid, or 0.  A row being written (its row id not
 * yet known) matches too: the waiter then wakes when that insertion ends,
 * looks again and waits for the right thing.
 */
uint32
lsm_spec_token(const RelFileNode *rnode, uint64 rowid, TransactionId xid)
{
	uint32		token = 0;
	int			i;

	if (lsm_spec == NULL || !TransactionIdIsValid(xid))
		return 0;
	SpinLockAcquire(&lsm_spec->spec_mutex);
	for (i = 0; i < lsm_spec->nprocs; i++)
	{
		LsmSpecInsert *s = &lsm_spec->ins[i];

		if (TransactionIdEquals(s->xid, xid) && RelFileNodeEquals(s->rnode, *rnode) &&
			(s->rowid == rowid || s->rowid == LSM_SPEC_PENDING))
		{
			token = s->token;
			break;
		}
	}
	SpinLockRelease(&lsm_spec->spec_mutex);
	return token;
}

void
lsm_shmem_request(void)
{
	RequestAddinShmemSpace(spec_shmem_size());
	RequestAddinShmemSpace(lsm_shmem_size());
	RequestNamedLWLockTranche("lsm_am", 1);
}

void
lsm_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);

	lsm_shared = ShmemInitStruct("lsm_am shared state",
								 MAXALIGN(sizeof(LsmShared)) +
								 pool_nslots() * sizeof(LsmMemSlot) +
								 pool_nchunks() * sizeof(int) +
								 PG_CACHE_LINE_SIZE +
								 (Size) pool_nchunks() * LSM_CHUNK_SIZE,
								 &found);
	if (!found)
	{
		char	   *p = (char *) lsm_shared + MAXALIGN(sizeof(LsmShared));
		int			i;

		memset(lsm_shared, 0, sizeof(LsmShared));
		lsm_shared->tranche_id = LWLockNewTrancheId();
		lsm_shared->tranche_state = LWLockNewTrancheId();
		lsm_shared->tranche_unique = LWLockNewTrancheId();
		lsm_shared->tranche_log = LWLockNewTrancheId();
		LWLockInitialize(&lsm_shared->hash_lock, lsm_shared->tranche_id);
		SpinLockInit(&lsm_shared->pool_mutex);
		ConditionVariableInit(&lsm_shared->pool_cv);
		pg_atomic_init_u64(&lsm_shared->next_incarnation, 1);
		lsm_shared->nslots = pool_nslots();
		lsm_shared->nchunks = pool_nchunks();
		lsm_shared->slots = (LsmMemSlot *) p;
		p += lsm_shared->nslots * sizeof(LsmMemSlot);
		lsm_shared->chunk_next = (int *) p;
		p += lsm_shared->nchunks * sizeof(int);
		lsm_shared->chunk_base = (char *) TYPEALIGN(PG_CACHE_LINE_SIZE, p);
		for (i = 0; i < lsm_shared->nslots; i++)
			lsm_shared->slots[i].state = LSM_SLOT_FREE;
		for (i = 0; i < lsm_shared->nchunks; i++)
			lsm_shared->chunk_next[i] = i + 1 < lsm_shared->nchunks ? i + 1 : -1;
		lsm_shared->free_chunk = 0;
		lsm_shared->nfree_chunks = lsm_shared->nchunks;
	}

	lsm_spec = ShmemInitStruct("lsm_am speculative insertions", spec_shmem_size(), &found);
	if (!found)
	{
		memset(lsm_spec, 0, spec_shmem_size());
		SpinLockInit(&lsm_spec->spec_mutex);
		lsm_spec->nprocs = spec_nprocs();
	}

	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(RelFileNode);
	info.entrysize = sizeof(LsmRelState);
	lsm_state_hash = ShmemInitHash("lsm_am relation states",
								   lsm_max_relations, lsm_max_relations,
								   &info, HASH_ELEM | HASH_BLOBS);

	LWLockRelease(AddinShmemInitLock);
	register_tranches();
}

/*
 * Wait event names (pg_stat_activity, wait_event_type LWLock): lsm_am is
 * the hash of relation states, lsm_am_state a relation's state lock,
 * lsm_am_unique a unique index's check-and-insert lock, lsm_am_log a
 * relation's log-lane page switches and memtable chunk additions.
 */
static void
register_tranches(void)
{
	LWLockRegisterTranche(lsm_shared->tranche_id, "lsm_am");
	LWLockRegisterTranche(lsm_shared->tranche_state, "lsm_am_state");
	LWLockRegisterTranche(lsm_shared->tranche_unique, "lsm_am_unique");
	LWLockRegisterTranche(lsm_shared->tranche_log, "lsm_am_log");
}

static void
ensure_shmem(void)
{
	lsm_check_preloaded();
	if (lsm_shared == NULL)
		elog(ERROR, "lsm_am shared memory is not initialized");
	/* tranche names are per backend */
	register_tranches();
}

/*
 * Look up the state of a relfilenode.  REQUIRES: hash_lock held.
 */
LsmRelState *
lsm_state_lookup(const RelFileNode *rnode)
{
	ensure_shmem();
	return (LsmRelState *) hash_search(lsm_state_hash, rnode, HASH_FIND, NULL);
}

/*
 * Under memtable-memory pressure: freeze the active memtables of other
 * relations and ask the workers to flush them, so that idle tables give
 * their memory back.  Returns how many were frozen.
 */
int
lsm_shed_memtables(const RelFileNode *except)
{
	HASH_SEQ_STATUS seq;
	LsmRelState *st;
	int			n = 0;

	LWLockAcquire(&lsm_shared->hash_lock, LW_SHARED);
	hash_seq_init(&seq, lsm_state_hash);
	while ((st = (LsmRelState *) hash_seq_search(&seq)) != NULL)
	{
		if (except && RelFileNodeEquals(st->key, *except))
			continue;
		if (!LWLockConditionalAcquire(&st->lock, LW_EXCLUSIVE))
			continue;
		if (st->loaded && st->active >= 0 && st->nfrozen < LSM_MAX_FROZEN &&
			lsm_slot(st->active)->mt.num_entries > 0)
		{
			lsm_memstore_freeze_locked(st);
			n++;
		}
		LWLockRelease(&st->lock);
	}
	LWLockRelease(&lsm_shared->hash_lock);
	if (n > 0 && lsm_shared->launcher_latch)
		SetLatch(lsm_shared->launcher_latch);
	return n;
}

/*
 * Find or create the state of a relfilenode.  REQUIRES: hash_lock held
 * exclusively.  Creating fails with a clear error when lsm_am.max_relations
 * states exist.
 */
LsmRelState *
lsm_state_get(const RelFileNode *rnode, bool *found)
{
	LsmRelState *st;

	ensure_shmem();
	st = (LsmRelState *) hash_search(lsm_state_hash, rnode, HASH_ENTER_NULL, found);
	if (st == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many lsm relations in shared memory"),
				 errdetail("lsm_am.max_relations (%d) relation states are in use.",
						   lsm_max_relations),
				 errhint("Increase lsm_am.max_relations and restart the server.")));
	if (!*found)
	{
		st->incarnation = pg_atomic_fetch_add_u64(&lsm_shared->next_incarnation, 1);
		st->relid = InvalidOid;
		st->loaded = false;
		st->flush_requested = false;
		st->compact_requested = false;
		for (int k = 0; k < 2; k++)
		{
			pg_atomic_init_u32(&st->claim_pid[k], 0);
			st->failures[k] = 0;
			st->retry_at[k] = 0;
		}
		st->l0_files = 0;
		st->nssts = 0;
		st->version = 0;
		SpinLockInit(&st->pin_mutex);
		memset(st->vpins, 0, sizeof(st->vpins));
		st->nzombies = 0;
		for (int k = 0; k < LSM_MAX_PENDING; k++)
			pg_atomic_init_u64(&st->pending_lo[k], 0);
		pg_atomic_init_u64(&st->seq_epoch, 0);
		memset(st->compact_ptr_len, 0, sizeof(st->compact_ptr_len));
		LWLockInitialize(&st->lock, lsm_shared->tranche_state);
		LWLockInitialize(&st->uniq_lock, lsm_shared->tranche_unique);
		LWLockInitialize(&st->log_lock, lsm_shared->tranche_log);
		st->is_index = false;
		pg_atomic_init_u64(&st->next_seq, LSM_FIRST_SEQ);
		st->active = -1;
		for (int k = 0; k < LSM_LOG_LANES; k++)
			st->tails[k] = InvalidBlockNumber;
		st->nfrozen = 0;
		ConditionVariableInit(&st->cv);
		st->flushes = 0;
		st->bytes_flushed = 0;
	}
	return st;
}

/*
 * The relfilenodes with a state that belong to relation relid of database
 * dbid (an index rebuilt by REINDEX or TRUNCATE leaves its old one).
 */
int
lsm_states_for_relid(Oid dbid, Oid relid, RelFileNode *out, int max)
{
	HASH_SEQ_STATUS status;
	LsmRelState *st;
	int			n = 0;

	if (lsm_shared == NULL)
		return 0;
	LWLockAcquire(&lsm_shared->hash_lock, LW_SHARED);
	hash_seq_init(&status, lsm_state_hash);
	while ((st = (LsmRelState *) hash_seq_search(&status)) != NULL)
	{
		if (st->relid == relid && st->key.dbNode == dbid && n < max)
			out[n++] = st->key;
	}
	LWLockRelease(&lsm_shared->hash_lock);
	return n;
}

/*
 * Forget a relfilenode whose storage is gone (dropped, truncated away).
 * Its memtables are retired; nobody can be reading them because the
 * caller's transaction held AccessExclusiveLock on the relation.
 */
void
lsm_state_discard(const RelFileNode *rnode)
{
	LsmRelState *st;

	if (lsm_shared == NULL)
		return;
	LWLockAcquire(&lsm_shared->hash_lock, LW_EXCLUSIVE);
	st = (LsmRelState *) hash_search(lsm_state_hash, rnode, HASH_FIND, NULL);
	if (st != NULL)
	{
		LWLockAcquire(&st->lock, LW_EXCLUSIVE);
		lsm_memstore_unload(st);
		st->incarnation = 0;	/* invalidates backends' cached pointers */
		LWLockRelease(&st->lock);
		hash_search(lsm_state_hash, rnode, HASH_REMOVE, NULL);
	}
	LWLockRelease(&lsm_shared->hash_lock);
}

LsmMemSlot *
lsm_slot(int idx)
{
	Assert(idx >= 0 && idx < lsm_shared->nslots);
	return &lsm_shared->slots[idx];
}

/*
 * Take a free slot for a new memtable of owner, with one chunk.  Returns
 * -1 if no slot or no chunk is free (the caller waits or flushes).
 */
int
lsm_slot_alloc(const RelFileNode *owner, uint64 gen)
{
	int			i;
	int			found = -1;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	if (lsm_shared->nfree_chunks > 0)
	{
		for (i = 0; i < lsm_shared->nslots; i++)
		{
			if (lsm_shared->slots[i].state == LSM_SLOT_FREE)
			{
				found = i;
				break;
			}
		}
	}
	if (found >= 0)
	{
		LsmMemSlot *slot = &lsm_shared->slots[found];
		int			c = lsm_shared->free_chunk;

		lsm_shared->free_chunk = lsm_shared->chunk_next[c];
		lsm_shared->nfree_chunks--;
		lsm_shared->chunk_next[c] = -1;
		slot->state = LSM_SLOT_ACTIVE;
		slot->refcount = 0;
		slot->owner = *owner;
		slot->gen = gen;
		slot->first_chunk = c;
		slot->nchunks = 1;
		slot->min_xid = InvalidTransactionId;
		slot->carry_from = 0;
		SpinLockRelease(&lsm_shared->pool_mutex);

		lsm_memtable_init(&slot->mt);
		lsm_memtable_add_chunk(&slot->mt,
							   lsm_shared->chunk_base + (Size) c * LSM_CHUNK_SIZE,
							   LSM_CHUNK_SIZE);
		return found;
	}
	SpinLockRelease(&lsm_shared->pool_mutex);
	return -1;
}

/*
 * Give a slot's memtable one more chunk.  REQUIRES: the owner's state lock
 * held exclusively (the memtable's writer lock).  False if the pool is empty.
 */
bool
lsm_slot_add_chunk(int idx)
{
	LsmMemSlot *slot = lsm_slot(idx);
	int			c;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	c = lsm_shared->free_chunk;
	if (c < 0)
	{
		SpinLockRelease(&lsm_shared->pool_mutex);
		return false;
	}
	lsm_shared->free_chunk = lsm_shared->chunk_next[c];
	lsm_shared->nfree_chunks--;
	/* chain the chunk after the slot's first one */
	lsm_shared->chunk_next[c] = lsm_shared->chunk_next[slot->first_chunk];
	lsm_shared->chunk_next[slot->first_chunk] = c;
	slot->nchunks++;
	SpinLockRelease(&lsm_shared->pool_mutex);

	lsm_memtable_add_chunk(&slot->mt,
						   lsm_shared->chunk_base + (Size) c * LSM_CHUNK_SIZE,
						   LSM_CHUNK_SIZE);
	return true;
}

/* Return a retired, unpinned slot's chunks.  REQUIRES: pool_mutex held. */
static void
slot_free_locked(LsmMemSlot *slot)
{
	int			c = slot->first_chunk;

	/* a memtable slot is freed only when retired and unpinned */
	Assert(slot->state == LSM_SLOT_RETIRED && slot->refcount == 0);

	while (c >= 0)
	{
		int			next = lsm_shared->chunk_next[c];

		lsm_shared->chunk_next[c] = lsm_shared->free_chunk;
		lsm_shared->free_chunk = c;
		lsm_shared->nfree_chunks++;
		c = next;
	}
	slot->first_chunk = -1;
	slot->nchunks = 0;
	slot->state = LSM_SLOT_FREE;
}

/* Drop one reference to a slot, freeing it if it was the last of a retired one. */
static void
unpin_one(int idx)
{
	LsmMemSlot *s = lsm_slot(idx);
	bool		freed = false;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	Assert(s->refcount > 0);
	s->refcount--;
	if (s->refcount == 0 && s->state == LSM_SLOT_RETIRED)
	{
		slot_free_locked(s);
		freed = true;
	}
	SpinLockRelease(&lsm_shared->pool_mutex);
	if (freed)
		ConditionVariableBroadcast(&lsm_shared->pool_cv);
}

/* Release the local pins of owner (all of them if all). */
static void
release_pins(ResourceOwner owner, bool all)
{
	int			i = 0;

	while (i < nlocal_pins)
	{
		if (all || local_pins[i].owner == owner)
		{
			int			slot = local_pins[i].slot;

			local_pins[i] = local_pins[--nlocal_pins];
			unpin_one(slot);
		}
		else
			i++;
	}
}

static void
pin_resowner_callback(ResourceReleasePhase phase, bool isCommit,
					  bool isTopLevel, void *arg)
{
	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || nlocal_pins == 0)
		return;
	if (isCommit)
	{
		int			i;

		for (i = 0; i < nlocal_pins; i++)
			if (local_pins[i].owner == CurrentResourceOwner)
				elog(WARNING, "lsm_am memtable pin leaked (slot %d)", local_pins[i].slot);
	}
	release_pins(CurrentResourceOwner, false);
}

/*
 * Backend exit: every pin goes.  This runs before the exit's abort of a
 * transaction left open (ShutdownPostgres was registered first), whose
 * callbacks then close that transaction's views: their pins are gone
 * already, which is not worth a warning then.
 */
static bool pins_released_at_exit = false;

static void
pin_exit_callback(int code, Datum arg)
{
	if (lsm_shared != NULL && nlocal_pins > 0)
		release_pins(NULL, true);
	pins_released_at_exit = true;
}

void
lsm_slot_pin(int idx)
{
	LsmMemSlot *slot = lsm_slot(idx);

	if (!pin_callbacks_registered)
	{
		RegisterResourceReleaseCallback(pin_resowner_callback, NULL);
		before_shmem_exit(pin_exit_callback, 0);
		pin_callbacks_registered = true;
	}
	if (nlocal_pins >= maxlocal_pins)
	{
		int			newmax = Max(16, maxlocal_pins * 2);

		if (local_pins == NULL)
			local_pins = MemoryContextAlloc(TopMemoryContext, newmax * sizeof(LocalPin));
		else
			local_pins = repalloc(local_pins, newmax * sizeof(LocalPin));
		maxlocal_pins = newmax;
	}
	SpinLockAcquire(&lsm_shared->pool_mutex);
	Assert(slot->state != LSM_SLOT_FREE);
	slot->refcount++;
	SpinLockRelease(&lsm_shared->pool_mutex);
	local_pins[nlocal_pins].slot = idx;
	local_pins[nlocal_pins].owner = CurrentResourceOwner;
	nlocal_pins++;
}

/*
 * Drop a pin taken under resource owner owner (several views of one
 * backend may pin the same slot under different owners).  A pin already
 * released by its owner (at abort) is not an error.
 */
void
lsm_slot_unpin(int idx, ResourceOwner owner)
{
	int			i;

	for (i = nlocal_pins - 1; i >= 0; i--)
	{
		if (local_pins[i].slot == idx && local_pins[i].owner == owner)
		{
			local_pins[i] = local_pins[--nlocal_pins];
			unpin_one(idx);
			return;
		}
	}
	if (!pins_released_at_exit)
		elog(WARNING, "lsm_am memtable slot %d is not pinned", idx);
}

/*
 * Mark a slot retired: it no longer belongs to a relation's memtable list.
 * Its chunks go back to the pool now if nobody reads it, else at the last
 * unpin.
 */
void
lsm_slot_retire(int idx)
{
	LsmMemSlot *slot = lsm_slot(idx);
	bool		freed = false;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	slot->state = LSM_SLOT_RETIRED;
	if (slot->refcount == 0)
	{
		slot_free_locked(slot);
		freed = true;
	}
	SpinLockRelease(&lsm_shared->pool_mutex);
	if (freed)
		ConditionVariableBroadcast(&lsm_shared->pool_cv);
}

/* ---------- flush and compaction claims ---------- */

/* The states this backend holds a claim on, per kind. */
static LsmRelState *claimed[2];
static bool claim_exit_registered = false;

/* A backend exiting (FATAL, or die()) in the middle of a flush or compaction. */
static void
claim_exit_callback(int code, Datum arg)
{
	lsm_claim_release(LSM_CLAIM_FLUSH, true);
	lsm_claim_release(LSM_CLAIM_COMPACT, true);
}

/*
 * Claim st for a flush or a compaction: true if no other backend holds
 * that claim.  The claim is the holder's pid in an atomic, set and
 * cleared by compare-and-swap, so that it can be given back without any
 * lock: the code that fails while holding one may hold st->lock and the
 * metapage's buffer lock, which are released only later, by the abort
 * (LWLockReleaseAll) -- waiting for them in a PG_CATCH block or an exit
 * callback would wait for ourselves.
 */
bool
lsm_claim_try(LsmRelState *st, LsmClaim kind)
{
	uint32		expected = 0;

	Assert(kind == LSM_CLAIM_FLUSH || kind == LSM_CLAIM_COMPACT);
	Assert(claimed[kind] == NULL);
	if (!claim_exit_registered)
	{
		before_shmem_exit(claim_exit_callback, 0);
		claim_exit_registered = true;
	}
	if (!pg_atomic_compare_exchange_u32(&st->claim_pid[kind], &expected,
										(uint32) MyProcPid))
		return false;
	claimed[kind] = st;
	return true;
}

/*
 * Give back this backend's claim of kind, if it holds one, and wake the
 * backends waiting for it.  With failed, the next automatic run of that
 * kind waits: 1 s after the first failure in a row, doubling up to 60 s
 * (lsm_claim_retry_due), so that a relation whose flushes or compactions
 * keep failing does not keep a worker busy failing.  Takes no lock: safe
 * in error and exit paths (see lsm_claim_try).
 */
void
lsm_claim_release(LsmClaim kind, bool failed)
{
	LsmRelState *st = claimed[kind];
	uint32		expected = (uint32) MyProcPid;

	if (st == NULL)
		return;
	claimed[kind] = NULL;
	/* the holder alone writes these */
	if (failed)
	{
		int			shift = Min(st->failures[kind], 6);

		st->failures[kind]++;
		st->retry_at[kind] = GetCurrentTimestamp() +
			Min((int64) USECS_PER_SEC << shift, 60 * USECS_PER_SEC);
	}
	else
	{
		st->failures[kind] = 0;
		st->retry_at[kind] = 0;
	}
	pg_write_barrier();
	if (!pg_atomic_compare_exchange_u32(&st->claim_pid[kind], &expected, 0))
		elog(WARNING, "lsm_am claim of relation %u was not held by this backend",
			 st->key.relNode);
	ConditionVariableBroadcast(&st->cv);
}

/* Whether some backend holds the claim of kind on st. */
bool
lsm_claim_busy(LsmRelState *st, LsmClaim kind)
{
	return pg_atomic_read_u32(&st->claim_pid[kind]) != 0;
}

/* Whether an automatic run of kind on st may start at time now. */
bool
lsm_claim_retry_due(LsmRelState *st, LsmClaim kind, int64 now)
{
	return st->retry_at[kind] <= now;
}

/*
 * Collect up to max relations (of database dboid, or of all databases if
 * InvalidOid) whose memtables wait for a flush.
 */
int
lsm_states_needing_flush(Oid dboid, LsmFlushTarget *out, int max)
{
	HASH_SEQ_STATUS seq;
	LsmRelState *st;
	int			n = 0;
	TimestampTz now = GetCurrentTimestamp();

	LWLockAcquire(&lsm_shared->hash_lock, LW_SHARED);
	hash_seq_init(&seq, lsm_state_hash);
	while ((st = (LsmRelState *) hash_seq_search(&seq)) != NULL)
	{
		bool		flush,
					compact;

		if (!OidIsValid(st->relid))
			continue;
		/* requested, nobody on it yet, not waiting after failures */
		flush = st->flush_requested && !lsm_claim_busy(st, LSM_CLAIM_FLUSH) &&
			lsm_claim_retry_due(st, LSM_CLAIM_FLUSH, now);
		compact = st->compact_requested && !lsm_claim_busy(st, LSM_CLAIM_COMPACT) &&
			lsm_claim_retry_due(st, LSM_CLAIM_COMPACT, now);
		if (!flush && !compact)
			continue;
		if (OidIsValid(dboid) && st->key.dbNode != dboid)
			continue;
		if (n >= max)
		{
			hash_seq_term(&seq);
			break;
		}
		out[n].db = st->key.dbNode;
		out[n].relid = st->relid;
		out[n].rnode = st->key;
		out[n].jobs = (int) flush + (int) compact;
		n++;
	}
	LWLockRelease(&lsm_shared->hash_lock);
	return n;
}

/* Clear a state's flush request (the relation is gone or was flushed). */
void
lsm_state_clear_flush_request(const RelFileNode *rnode)
{
	LsmRelState *st;

	LWLockAcquire(&lsm_shared->hash_lock, LW_SHARED);
	st = lsm_state_lookup(rnode);
	if (st != NULL)
	{
		st->flush_requested = false;
		st->compact_requested = false;
	}
	LWLockRelease(&lsm_shared->hash_lock);
}
