/*-------------------------------------------------------------------------
 *
 * lsm_am.h
 *	  Declarations shared by the PostgreSQL adapters of lsm_am: GUCs,
 *	  per-relation shared state, memtable slots, the metapage (manifest)
 *	  and the table entry format.
 *
 * Where an insert goes (see README "Design"):
 *	  lsm_tableam.c (tuple_insert) -> lsm_memstore.c (lsm_memstore_insert:
 *	  log page + WAL + shared skiplist) -> later lsm_flush.c writes the
 *	  frozen memtable as an SSTable (lsm_storage.c lays it on pages).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_AM_H
#define LSM_AM_H

#include "postgres.h"

#include "access/tableam.h"
#include "port/atomics.h"
#include "storage/block.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/relfilenode.h"
#include "storage/spin.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapshot.h"

#include "lsm_core.h"
#include "lsm_memtable.h"
#include "lsm_sstable.h"
#include "lsm_merge.h"
#include "lsm_compaction.h"

/* ---------- GUCs (lsm_am.c) ---------- */
extern int	lsm_memtable_size_kb;		/* freeze a memtable at this size */
extern int	lsm_memtable_pool_kb;		/* shared memory for all memtables */
extern int	lsm_max_frozen_memtables;	/* writers wait beyond this */
extern int	lsm_max_relations;			/* shared state entries */
extern int	lsm_block_size;				/* SSTable data block target size */
extern int	lsm_zstd_level;
extern double lsm_bloom_fp_rate;
extern bool lsm_compression_enabled;
extern int	lsm_default_style;
extern int	lsm_l0_trigger;
extern int	lsm_l0_slowdown_trigger;
extern int	lsm_l0_stop_trigger;
extern int	lsm_level_base_size_kb;
extern double lsm_level_multiplier;
extern int	lsm_target_file_size_kb;
extern int	lsm_max_workers;
extern int	lsm_rate_limit_kb;
extern int	lsm_history_size;
extern int	lsm_debug_compaction_pause_ms;
extern int	lsm_debug_max_sstables;		/* 0: the metapage's capacity */

extern bool lsm_loaded_at_startup;		/* _PG_init ran from preload */
extern void lsm_check_preloaded(void);

/* ---------- Row ids and TIDs ---------- */

/*
 * Rows are identified by a 64-bit row id, which is also the sequence
 * number of the PUT entry that created the row.  The TID of a row is
 * (rowid / LSM_TIDS_PER_BLOCK, rowid % LSM_TIDS_PER_BLOCK + 1), so
 * offsets stay within 1..MaxHeapTuplesPerPage as bitmap scans require.
 */
#define LSM_TIDS_PER_BLOCK	MaxHeapTuplesPerPage
#define LSM_MAX_ROWID	((uint64) MaxBlockNumber * LSM_TIDS_PER_BLOCK - 1)
#define LSM_FIRST_SEQ	1

extern void lsm_rowid_to_tid(uint64 rowid, ItemPointer tid);
extern uint64 lsm_tid_to_rowid(ItemPointer tid);

/* ---------- Table entries (the value of memtable/SSTable entries) ---------- */

/*
 * Every table entry's user key is the big-endian 8-byte row id; its value
 * starts with an LsmRowHeader.  PUT: header + the row as a MinimalTuple
 * from t_infomask2 on (LSM_ROW_TUPLE_OFFSET: its length word and padding
 * are not stored).
 * DELETE (tombstone): header whose xid/cid are the deleter's, plus
 * LsmRowLink naming the new version when the delete was an UPDATE.
 * LOCK: header whose xid is the locker's, flags carry the lock mode.
 * On disk: do not change.
 */
typedef struct LsmRowHeader
{
	TransactionId xid;			/* inserter (PUT), deleter, locker */
	CommandId	cid;
	uint16		flags;
	uint16		reserved;
} LsmRowHeader;

#define LSM_ROW_UPDATED		0x0001	/* DELETE that is half of an UPDATE */
#define LSM_ROW_FROZEN		0x0002	/* xid is known committed for all */
#define LSM_ROW_MOVED		0x0004	/* DELETE that moved the row to another partition */
#define LSM_ROW_KEYS_KEPT	0x0010	/* DELETE of an UPDATE that changed no key
									 * column: it conflicts as heap's
									 * LockTupleNoKeyExclusive */
#define LSM_ROW_KILLED		0x0008	/* DELETE of a failed speculative insertion:
									 * the row never existed, for anyone */
/* LOCK entries keep their LockTupleMode in LsmRowHeader.reserved. */

typedef struct LsmRowLink
{
	uint64		new_rowid;		/* next version in the update chain */
} LsmRowLink;

#define LSM_ROWKEY_LEN 8
#define LSM_ROW_TUPLE_OFFSET MINIMAL_TUPLE_DATA_OFFSET

/* ---------- Metapage (manifest), block 0 of the main fork ---------- */

#define LSM_META_MAGIC		0x4C534D31	/* "LSM1" */
#define LSM_META_VERSION	1
#define LSM_METAPAGE_BLKNO	0
#define LSM_MAX_LOGGENS		16
#define LSM_MAX_FREE_EXTENTS 64

/* A memtable's log: a chain of log pages holding its entries. */
typedef struct LsmLogGen
{
	uint64		gen;			/* memtable generation number */
	BlockNumber head;
	BlockNumber tail;
	uint32		npages;
	uint32		reserved;
} LsmLogGen;

typedef struct LsmFreeExtent
{
	BlockNumber start;
	uint32		count;
} LsmFreeExtent;

/* One SSTable as listed by the manifest. */
typedef struct LsmSstEntry
{
	uint8		id[16];			/* uuid */
	uint8		level;
	uint8		reserved[3];
	BlockNumber start;			/* first block */
	uint32		nblocks;
	TransactionId min_xid;		/* oldest unfrozen xid in it; FrozenTransactionId:
								 * none; invalid: unknown */
	uint64		file_size;		/* bytes of the SSTable byte stream */
	uint64		entries;
	uint64		tombstones;
	uint64		min_seq;
	uint64		max_seq;
	int64		created_at;		/* TimestampTz */
	float8		bloom_fp_rate;
} LsmSstEntry;

typedef struct LsmMetaData
{
	uint32		magic;
	uint32		version;
	uint64		next_seq;		/* lower bound of the next sequence number */
	uint64		next_gen;		/* next memtable generation number */
	uint16		nloggens;
	uint16		nfree;
	uint16		nssts;
	uint16		reserved;
	LsmLogGen	loggens[LSM_MAX_LOGGENS];	/* oldest first */
	LsmFreeExtent free[LSM_MAX_FREE_EXTENTS];
	LsmSstEntry ssts[FLEXIBLE_ARRAY_MEMBER];	/* newest first within level */
} LsmMetaData;

#define LSM_META_MAX_SSTS \
	((BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - offsetof(LsmMetaData, ssts)) / sizeof(LsmSstEntry))

#define LsmPageGetMeta(page) ((LsmMetaData *) PageGetContents(page))

/* Special space of a memtable log page. */
typedef struct LsmLogPageOpaque
{
	uint64		gen;
	BlockNumber next;
	uint16		flags;
	uint16		page_id;		/* LSM_LOGPAGE_ID */
} LsmLogPageOpaque;

#define LSM_LOGPAGE_ID 0xF1A5

/*
 * Header of one item on a log page: followed by the key (omitted when the
 * key is the row key of the entry's own seq, as for every new row), then
 * the value.  Encode/decode with lsm_logitem_encode/_decode.
 */
typedef struct LsmLogItem
{
	uint64		seq;
	uint8		type;			/* lsm_entry_type */
	uint8		flags;			/* LSM_LOGITEM_* */
	uint16		keylen;
} LsmLogItem;

#define LSM_LOGITEM_HDRSZ	(offsetof(LsmLogItem, keylen) + sizeof(uint16))
#define LSM_LOGITEM_ROWKEY	0x01	/* key = BE8(seq), not stored */

/* A decoded log item; key points into keybuf or into the item. */
typedef struct LsmLogItemView
{
	uint64		seq;
	lsm_entry_type type;
	const char *key;
	Size		keylen;
	const char *value;
	Size		vlen;
	char		keybuf[8];
} LsmLogItemView;

extern Size lsm_logitem_size(const char *key, Size keylen, Size vlen);
extern Size lsm_logitem_encode(char *dst, uint64 seq, lsm_entry_type type,
							   const char *key, Size keylen,
							   const char *value, Size vlen);
extern bool lsm_logitem_decode(const char *item, Size len, LsmLogItemView *v);

/* SSTable pages: a standard page header, then SSTable bytes. */
#define LSM_SST_PAGE_PAYLOAD (BLCKSZ - SizeOfPageHeaderData)

/* ---------- Shared memory (lsm_shmem.c) ---------- */

#define LSM_MAX_FROZEN 8
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
	lsm_memtable mt;
} LsmMemSlot;

/* Per-relfilenode state, in a shared hash keyed by RelFileNode. */
/*
 * A reader's hold on an SSTable's blocks.  Every SSTable of the manifest
 * has one (on a primary); a compaction marks its inputs' entries zombie,
 * and their blocks go back to the free list only when refs drops to zero
 * (lsm_manifest.c).  refs is changed by readers under the state lock held
 * shared; entries are added and removed under it held exclusively.
 */
typedef struct LsmSstPin
{
	BlockNumber start;
	uint32		nblocks;
	pg_atomic_uint32 refs;
	bool		in_use;
	bool		zombie;
} LsmSstPin;

#define LSM_MAX_PINS 128
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
	LWLock		lock;			/* memtable list, seq; see README */
	LWLock		uniq_lock;		/* unique indexes: check + insert of a key */
	bool		is_index;		/* an lsm index (keys need its comparator) */
	uint64		next_seq;
	int			active;			/* slot index or -1 */
	BlockNumber active_tail;	/* last log page of the active memtable */
	int			nfrozen;
	int			frozen[LSM_MAX_FROZEN];		/* slot indexes, oldest first */
	ConditionVariable cv;		/* memtable flushed, compaction done */
	LsmSstPin	pins[LSM_MAX_PINS];
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
	int			tranche_id;
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

/* ---------- Storage (lsm_storage.c) ---------- */
extern Buffer lsm_meta_read(Relation rel, int lockmode, bool create);
extern BlockNumber lsm_alloc_blocks(Relation rel, LsmMetaData *meta, uint32 n);
extern void lsm_free_blocks(LsmMetaData *meta, BlockNumber start, uint32 n);
extern void lsm_meta_init_page(Page page);
extern void lsm_meta_set_lower(Page page);
extern void lsm_logpage_init(Page page, uint64 gen);
extern void lsm_meta_add_logpage(Page metapage, uint64 gen, BlockNumber blk, bool newgen);

typedef struct LsmSstFileCtx
{
	Relation	rel;
	BlockNumber start;
	uint32		nblocks;
	XLogRecPtr	max_lsn;		/* pages newer than this were reused */
	BufferAccessStrategy strategy;
	Buffer		buf;			/* currently pinned page, or InvalidBuffer */
	BlockNumber bufblk;
} LsmSstFileCtx;

extern void lsm_sst_file_init(lsm_file *file, LsmSstFileCtx *ctx, Relation rel,
							  const LsmSstEntry *sst, BufferAccessStrategy strategy);
extern void lsm_sst_file_release(LsmSstFileCtx *ctx);
extern void lsm_sst_write(Relation rel, const char *data, uint64 len,
						  BlockNumber start, uint32 nblocks);
extern void lsm_palloc_allocator_init(lsm_allocator *alloc, MemoryContext cxt);
extern void lsm_report_sst_error(Relation rel, const LsmSstEntry *sst,
								 lsm_status st, uint64 bad_offset);
extern void lsm_rel_sst_options(Relation rel, lsm_sst_options *opts);

/* A growable palloc'd buffer as the core's sink: SSTables are built here. */
typedef struct LsmBufSink
{
	char	   *data;
	Size		len;
	Size		cap;
	lsm_sink	sink;			/* pass &sink to lsm_sst_builder_new */
} LsmBufSink;

extern void lsm_bufsink_init(LsmBufSink *b, Size cap);

struct LsmRelState;
struct LsmSstEntry;
extern void lsm_sst_store(Relation rel, struct LsmRelState *st, const LsmBufSink *b,
						  uint64 file_size, const lsm_sst_props *props, int level,
						  double bloom_fp_rate, TransactionId min_xid,
						  struct LsmSstEntry *e);

/* ---------- Per-table options (lsm_options.c) ---------- */
#define LSM_CONSTRAINT_INDEX_BTREE 0
#define LSM_CONSTRAINT_INDEX_LSM 1
extern int	lsm_constraint_index_method;
extern void lsm_options_init(void);
extern void lsm_reloptions_apply(Relation rel, lsm_sst_options *opts);
extern void lsm_rel_compaction_options(Relation rel, lsm_compaction_options *o,
									   uint64 *target_file_size);

/* ---------- Memtables (lsm_memstore.c) ---------- */

/* One entry to write.  key == NULL means a new row: key = BE8(seq). */
typedef struct LsmWriteOp
{
	lsm_entry_type type;
	const char *key;
	Size		keylen;
	const char *value;
	Size		vlen;
	uint64		seq;			/* out: the entry's sequence number */
} LsmWriteOp;

/* Largest entry (key + value) a log page can hold. */
#define LSM_MAX_ENTRY_SIZE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData)) - \
	 MAXALIGN(sizeof(LsmLogPageOpaque)) - MAXALIGN(sizeof(LsmLogItem)))

/* Backend-local cache of a relation's state, in rel->rd_amcache. */
typedef struct LsmStateCache
{
	LsmRelState *st;
	uint64		incarnation;
} LsmStateCache;

extern LsmRelState *lsm_memstore_open(Relation rel);
extern void lsm_memstore_write(Relation rel, LsmWriteOp *ops, int n);
extern void lsm_memstore_unload(LsmRelState *st);
extern bool lsm_memstore_freeze(LsmRelState *st);
extern void lsm_memstore_freeze_locked(LsmRelState *st);
extern void lsm_memstore_redo_items(LsmRelState *st, Page page,
									OffsetNumber first, int nitems);
extern void lsm_memstore_redo_newgen(LsmRelState *st, const RelFileNode *rnode,
									 uint64 gen);
extern void lsm_memstore_redo_flushed(LsmRelState *st, uint64 gen);
extern uint64 lsm_memstore_entries(LsmRelState *st);

/* ---------- Manifest changes (lsm_manifest.c) ---------- */

typedef struct LsmManifestEdit
{
	uint64		flushed_gen;	/* memtable generation flushed, or 0 */
	int			nremove;
	BlockNumber *remove;		/* SSTables leaving, by start block */
	int			nmove;
	BlockNumber *move;			/* SSTables moving to move_level */
	int			move_level;
	int			nadd;
	LsmSstEntry *add;			/* SSTables entering */
	int			from_level;
	int			to_level;
} LsmManifestEdit;

extern BlockNumber lsm_manifest_reserve(Relation rel, LsmRelState *st, uint32 nblocks);
extern void lsm_manifest_apply(Relation rel, LsmRelState *st, const LsmManifestEdit *edit);
extern void lsm_manifest_sweep(Relation rel, LsmRelState *st,
							   const BlockNumber *logpages, int nlogpages);
extern void lsm_manifest_init_pins(LsmRelState *st, const LsmMetaData *meta);
extern BlockNumber lsm_manifest_take_free_tail(Relation rel, LsmRelState *st);
extern int	lsm_manifest_pins_free(LsmRelState *st);
extern int	lsm_manifest_max_ssts(void);
extern void lsm_manifest_pin_view(LsmRelState *st, const LsmSstEntry *ssts, int n, int *idx);
extern void lsm_manifest_unpin_view(LsmRelState *st, const int *idx, int n);
extern BlockNumber *lsm_loggen_pages(Relation rel, const LsmLogGen *lg, int *npages);

/* ---------- Jobs and their history (lsm_jobs.c) ---------- */

/* The outcome of a finished job, for the history table. */
typedef struct LsmJobResult
{
	const char *status;			/* "done" or "failed" */
	int			noutputs;
	const LsmSstEntry *outputs;
	uint64		bytes_read;		/* all inputs */
	uint64		bytes_read_from;	/* inputs from from_level (or memtable) */
	uint64		bytes_written;
	uint64		keys_in;
	uint64		keys_dropped;
	const char *error;
} LsmJobResult;

extern int	lsm_job_start(Relation rel, bool is_flush, int from_level, int to_level,
						  bool trivial, const LsmSstEntry *inputs, int ninputs,
						  uint64 total_entries, const char *reason);
extern LsmJob *lsm_job(int j);
extern void lsm_job_finish(int j, Relation rel, const LsmJobResult *res);
extern void lsm_job_record_failure(void);
extern void lsm_job_abort_cleanup(const char *message);
extern void lsm_job_fail_current_error(void);
extern void lsm_make_uuid(uint8 *id);

/* ---------- Compaction (lsm_compact.c) ---------- */
extern int	lsm_compact_relation(Relation rel, bool manual, int level);
extern void lsm_maybe_request_compaction(Relation rel, LsmRelState *st);

/* ---------- Flush (lsm_flush.c) ---------- */
extern int	lsm_flush_relation(Relation rel, bool all);

/* ---------- Read path (lsm_read.c) ---------- */
typedef struct LsmReadView
{
	Relation	rel;
	LsmRelState *st;
	ResourceOwner owner;		/* the memtable pins were taken under it */
	int		   *pins;			/* pin entry of each SSTable, or -1 */
	int			nslots;
	int			slots[LSM_MAX_FROZEN + 1];	/* pinned, newest first */
	int			nssts;
	LsmSstEntry *ssts;			/* newest first: L0 by max_seq, then levels */
	lsm_sst_reader **readers;
	struct LsmCachedReader **creaders;	/* where each reader lives */
	lsm_iter   *iter;
	MemoryContext cxt;			/* everything of the view lives here */
	MemoryContext lookup_cxt;	/* lsm_view_get_row results, reset per call */
	lsm_allocator alloc;		/* the core's allocator, in cxt */
} LsmReadView;

extern LsmReadView *lsm_read_view_open(Relation rel, BufferAccessStrategy strategy,
									   MemoryContext parent);
extern void lsm_read_view_close(LsmReadView *view);
extern void lsm_check_iter_status(LsmReadView *view, lsm_iter *it);

/* All entries of one row, newest first (lsm_view_get_row). */
typedef struct LsmRowEntry
{
	uint64		seq;
	lsm_entry_type type;
	LsmRowHeader hdr;
	uint64		link;			/* DELETE of an UPDATE: the new row id */
	char	   *body;			/* PUT: the tuple body after the header */
	Size		bodylen;
} LsmRowEntry;

extern int	lsm_view_get_row(LsmReadView *view, uint64 rowid, LsmRowEntry **entries);
extern LsmReadView *lsm_current_view(Relation rel);
extern void lsm_close_cached_views(void);

/* ---------- VACUUM (lsm_vacuum.c) ---------- */
extern void lsm_vacuum_relation(Relation rel, struct VacuumParams *params,
								BufferAccessStrategy bstrategy);

/* ---------- UPDATE, DELETE, row locks (lsm_dml.c) ---------- */
extern TM_Result lsm_dml_delete(Relation rel, ItemPointer tid, CommandId cid,
								Snapshot snapshot, Snapshot crosscheck, bool wait,
								TM_FailureData *tmfd, bool changingPart);
extern TM_Result lsm_dml_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
								CommandId cid, Snapshot snapshot, Snapshot crosscheck,
								bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
								bool *update_indexes);
extern TM_Result lsm_dml_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
							  TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
							  LockWaitPolicy wait_policy, uint8 flags,
							  TM_FailureData *tmfd);
extern void lsm_dml_latest_tid(Relation rel, ItemPointer tid);
extern void lsm_dml_kill_speculative(Relation rel, ItemPointer tid);
extern bool lsm_row_dead_to_all(Relation rel, const LsmRowEntry *e, int n, TransactionId *xid);
extern int	lsm_row_visible_put(const LsmRowEntry *e, int n, Snapshot snapshot);
extern void lsm_stamp_slot(Relation rel, TupleTableSlot *slot, uint64 rowid, CommandId cid);
extern void lsm_store_row(Relation rel, TupleTableSlot *slot, uint64 rowid,
						  const LsmRowHeader *hdr, const char *body, Size bodylen,
						  TransactionId xmax);
extern TransactionId lsm_row_xmax(const LsmRowEntry *e, int put);
extern char *lsm_form_row_value(Relation rel, TupleTableSlot *slot, CommandId cid,
								int options, HeapTuple oldtup, Size *len);

/* ---------- Visibility (lsm_visibility.c) ---------- */
extern bool lsm_xid_visible(TransactionId xid, CommandId cid, uint16 flags,
							Snapshot snapshot);
extern bool lsm_entry_is_aborted(const LsmRowHeader *hdr);
extern void lsm_note_xid(TransactionId *min_xid, const char *value, Size vlen);
extern bool lsm_delete_visible(TransactionId xid, CommandId cid, uint16 flags,
							   Snapshot snapshot);
extern void lsm_ssi_check_row(Relation rel, Snapshot snapshot, const LsmRowHeader *put,
							  const LsmRowHeader *del, bool row_visible);
extern void lsm_ssi_check_entries(Relation rel, Snapshot snapshot, const LsmRowEntry *e,
								  int n, bool row_visible);

/* ---------- WAL (lsm_xlog.c) ---------- */
#define LSM_RMGR_ID 137
#define LSM_RMGR_NAME "lsm_am"

#define XLOG_LSM_INSERT			0x00	/* items appended to a log page */
#define XLOG_LSM_NEW_LOGPAGE	0x10	/* log page allocated and linked */
#define XLOG_LSM_FLUSH			0x20	/* SSTable added, memtable log freed */
#define XLOG_LSM_COMPACT		0x30	/* SSTables replaced / moved */
#define XLOG_LSM_META			0x40	/* blocks reserved or swept */

typedef struct xl_lsm_insert
{
	uint16		nitems;
	OffsetNumber offnum;		/* first item's offset */
	/* nitems item lengths (uint16) follow, then the items (block data) */
} xl_lsm_insert;

typedef struct xl_lsm_new_logpage
{
	uint64		gen;
	BlockNumber blkno;
	BlockNumber prev;			/* previous tail, or InvalidBlockNumber */
} xl_lsm_new_logpage;

typedef struct xl_lsm_flush
{
	uint64		gen;			/* memtable generation flushed */
	BlockNumber start;			/* SSTable block range */
	uint32		nblocks;
	uint64		entries;
} xl_lsm_flush;

typedef struct xl_lsm_compact
{
	int16		from_level;
	int16		to_level;
	uint16		nremove;
	uint16		nmove;
	uint16		nadd;
} xl_lsm_compact;

#define LSM_META_RESERVE	1
#define LSM_META_SWEEP		2
#define LSM_META_TRUNCATE	3
#define LSM_META_UNRESERVE	4	/* a refused switch gives its outputs' blocks back */

typedef struct xl_lsm_meta
{
	uint8		kind;			/* LSM_META_* */
	BlockNumber start;
	uint32		nblocks;
} xl_lsm_meta;

extern void lsm_rmgr_register(void);
extern void lsm_redo(XLogReaderState *record);
extern void lsm_desc(StringInfo buf, XLogReaderState *record);
extern const char *lsm_identify(uint8 info);

/* ---------- Workers (lsm_worker.c) ---------- */
extern void lsm_worker_register_launcher(void);
extern void lsm_request_flush(LsmRelState *st);
extern void lsm_wake_launcher(void);

/* ---------- Index support (lsm_index*.c, lsm_read.c) ---------- */
extern const lsm_comparator *lsm_rel_comparator(Relation rel);
extern Size lsm_rel_memtable_limit(Relation rel);
extern bool lsm_rel_is_index(Relation rel);
extern bool lsm_rel_is_lsm_index(Relation rel);
extern lsm_iter *lsm_view_point_iter(LsmReadView *view, const char *bloomkey,
									 size_t len);
extern int	lsm_states_for_relid(Oid dbid, Oid relid, RelFileNode *out, int max);
extern void lsm_pending_discard(const RelFileNode *rnode, bool at_commit);

/* ---------- Table AM (lsm_tableam.c) ---------- */
extern const TableAmRoutine *lsm_table_am_routine(void);
extern void lsm_tableam_init(void);

#endif							/* LSM_AM_H */
