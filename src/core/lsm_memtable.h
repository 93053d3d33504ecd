/*-------------------------------------------------------------------------
 *
 * lsm_memtable.h
 *	  The memtable: a skiplist of entries keyed by internal key, living in
 *	  memory the caller provides (PostgreSQL shared memory in the server).
 *
 * Concurrency contract: any number of concurrent readers without locks,
 * and writers of one of two kinds, never both at once: one exclusive
 * writer (lsm_memtable_insert, lsm_memtable_insert_spliced: the caller
 * holds an exclusive lock), or any number of concurrent writers
 * (lsm_memtable_reserve and lsm_memtable_insert_concurrent: the caller
 * holds a shared lock that excludes the exclusive writer), which link
 * nodes with compare-and-swap as RocksDB's concurrent memtable inserts do.
 * lsm_memtable_add_chunk may run beside concurrent writers, one call at a
 * time (the caller serializes them).  A node is fully written
 * before it is linked, with release stores (or CAS) on links and acquire
 * loads on traversal, so readers see either the old or the new list,
 * never a half-built node.  Nodes are never removed: a memtable is
 * discarded whole after it has been flushed and its last reader is gone
 * (the caller tracks that).
 *
 * Memory: the memtable never allocates.  The caller hands it chunks with
 * lsm_memtable_add_chunk; when the current chunk cannot hold an entry,
 * insert returns LSM_NOMEM and changes nothing, and the caller adds a chunk
 * (or freezes the memtable) and retries.  Chunks must stay mapped at the
 * same address in every process that reads the memtable (true of
 * PostgreSQL's main shared memory segment), for nodes hold raw pointers.
 * The comparator is passed on each call because function pointers are
 * process-local; it must be the same on every call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_MEMTABLE_H
#define LSM_MEMTABLE_H

#include "lsm_core.h"

#define LSM_SKIPLIST_MAX_HEIGHT 12

typedef struct lsm_memtable_node lsm_memtable_node;

typedef struct lsm_memtable
{
	lsm_memtable_node *head[LSM_SKIPLIST_MAX_HEIGHT];	/* head links */
	lsm_memtable_node *tail[LSM_SKIPLIST_MAX_HEIGHT];	/* last node of each
														 * level (writer only) */
	int			height;			/* current max height (read atomically) */
	uint32_t	rng;			/* xorshift state for node heights */
	/*
	 * The current chunk: chunk_state (atomic) is the chunk's number in
	 * the high 16 bits and the bytes taken of it (a multiple of 8) in the
	 * low 48; the chunk's start (8-byte aligned) and size are in
	 * chunk_base/chunk_size[number % 2], so a chunk can be added while
	 * writers reserve space in the one before (lsm_memtable_reserve).
	 */
	uint64_t	chunk_state;
	char	   *chunk_base[2];
	uint64_t	chunk_size[2];
	uint64_t	chunk_bytes;	/* total bytes of chunks added (atomic) */
	/* statistics: atomic counters (relaxed) */
	uint64_t	num_entries;
	uint64_t	num_deletes;
	uint64_t	data_bytes;		/* key + value bytes inserted */
	uint64_t	min_seq;
	uint64_t	max_seq;
} lsm_memtable;

#define LSM_CHUNK_USED_BITS 48
#define LSM_CHUNK_USED_MASK ((UINT64_C(1) << LSM_CHUNK_USED_BITS) - 1)

/* Free bytes left in the current chunk. */
static inline size_t
lsm_memtable_chunk_left(const lsm_memtable *mt)
{
	uint64_t	w = __atomic_load_n(&mt->chunk_state, __ATOMIC_ACQUIRE);
	uint64_t	size = __atomic_load_n(&mt->chunk_size[(w >> LSM_CHUNK_USED_BITS) & 1],
									   __ATOMIC_RELAXED);
	uint64_t	used = w & LSM_CHUNK_USED_MASK;

	return used >= size ? 0 : (size_t) (size - used);
}

/* Total bytes of the chunks added. */
static inline uint64_t
lsm_memtable_chunk_bytes(const lsm_memtable *mt)
{
	return __atomic_load_n(&mt->chunk_bytes, __ATOMIC_RELAXED);
}

/* Entries inserted so far (any writer may be running). */
static inline uint64_t
lsm_memtable_num_entries(const lsm_memtable *mt)
{
	return __atomic_load_n(&mt->num_entries, __ATOMIC_RELAXED);
}

extern void lsm_memtable_init(lsm_memtable *mt);
/*
 * Make mem the current chunk.  REQUIRES: no other add_chunk at the same
 * time (concurrent writers may be running).  Previous chunk's unused tail
 * is abandoned; nodes start 8-byte aligned (a misaligned chunk loses up to
 * 7 bytes).
 */
extern void lsm_memtable_add_chunk(lsm_memtable *mt, void *mem, size_t size);
/* Bytes of chunk space an entry needs at most (to size chunks). */
extern size_t lsm_memtable_entry_space(size_t ukey_len, size_t val_len);

/*
 * Insert (ukey, seq, type) -> val.  REQUIRES: writer lock held; no entry
 * with the same (ukey, seq) exists.  Returns LSM_NOMEM when the current
 * chunk lacks space (nothing changed).
 */
/* Where a key goes, found without the writer lock (lsm_memtable_find_splice). */
typedef struct lsm_memtable_splice
{
	const lsm_memtable *mt;		/* NULL: no splice */
	int			height;
	lsm_memtable_node *prev[LSM_SKIPLIST_MAX_HEIGHT];
} lsm_memtable_splice;

extern void lsm_memtable_find_splice(const lsm_memtable *mt, const lsm_comparator *cmp,
									 const char *ukey, size_t ulen,
									 lsm_memtable_splice *splice);
/*
 * Splices of n keys, searched together (memory accesses of the searches
 * overlap); splices[i] is what lsm_memtable_find_splice gives ukeys[i].
 */
extern void lsm_memtable_find_splices(const lsm_memtable *mt, const lsm_comparator *cmp,
									  const char *const *ukeys, const size_t *ulens,
									  int n, lsm_memtable_splice *splices);
extern lsm_status lsm_memtable_insert_spliced(lsm_memtable *mt, const lsm_comparator *cmp,
											  const char *ukey, size_t ulen,
											  uint64_t seq, lsm_entry_type type,
											  const char *val, size_t vlen,
											  lsm_memtable_splice *splice);
/*
 * Insert an entry.  An internal key (user key, seq, type) already present
 * is left as it is (LSM_OK, nothing allocated): the memtable holds each
 * internal key once.
 */
extern lsm_status lsm_memtable_insert(lsm_memtable *mt, const lsm_comparator *cmp,
									  const char *ukey, size_t ulen,
									  uint64_t seq, lsm_entry_type type,
									  const char *val, size_t vlen);

/*
 * Iterator over internal keys (lsm_iter); safe to use concurrently with
 * one writer.  Entries inserted after the iterator was created may or may
 * not be seen.  Supports prev().  The iterator is allocated with alloc;
 * it references the memtable, which must outlive it.
 */
extern lsm_iter *lsm_memtable_iter_new(const lsm_memtable *mt,
									   const lsm_comparator *cmp,
									   const lsm_allocator *alloc);

/*
 * Concurrent writers.  A writer draws each node's height from its own rng
 * state (lsm_memtable_random_height), sizes it (lsm_memtable_node_space),
 * reserves the chunk space of a run of nodes at once (lsm_memtable_reserve:
 * a prefix of them, those that fit in the current chunk; 0 means the chunk
 * is full and an exclusive writer must add one), and inserts each into its
 * reserved space.  An internal key already present is left as it is
 * (LSM_OK; its reserved space stays unused).  The splice, if given, is
 * one found by lsm_memtable_find_splice (or left by an earlier call) for a
 * key not greater than this one; stale splices are corrected.
 */
extern int	lsm_memtable_random_height(uint32_t *rng);
extern size_t lsm_memtable_node_space(int height, size_t ulen, size_t vlen);
extern int	lsm_memtable_reserve(lsm_memtable *mt, const size_t *sizes, int n,
								 char **mem);
extern lsm_status lsm_memtable_insert_concurrent(lsm_memtable *mt, const lsm_comparator *cmp,
												 const char *ukey, size_t ulen,
												 uint64_t seq, lsm_entry_type type,
												 const char *val, size_t vlen,
												 int height, char *mem,
												 lsm_memtable_splice *splice);

#endif							/* LSM_MEMTABLE_H */
