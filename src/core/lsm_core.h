/*-------------------------------------------------------------------------
 *
 * lsm_core.h
 *	  Common definitions of the lsm_am engine core: status codes, the
 *	  allocator and file interfaces through which the core reaches memory
 *	  and storage, comparators and internal keys.
 *
 * The engine core is plain C99 with no PostgreSQL dependency, so that it
 * can be unit-tested and fuzzed without a server.  PostgreSQL adapters
 * (the .c files in src/) supply palloc-based allocators and buffer-manager-backed files.
 *
 * Internal keys.  Every entry stored in a memtable or an SSTable is keyed
 * by an internal key:
 *
 *	  internal_key := user_key trailer
 *	  trailer      := fixed64le((seq << 8) | type)
 *
 * Internal keys sort by user key ascending (through the relation's user
 * comparator), then by trailer descending, so the newest entry of a user
 * key comes first.  Do not change these encodings: they are on disk.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_CORE_H
#define LSM_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * Invariants of the core, checked in the unit tests (CORE_CFLAGS define
 * LSM_CORE_ASSERTS) and in the server's ASSERTS=1 build.
 */
#if defined(LSM_CORE_ASSERTS) || defined(USE_ASSERT_CHECKING)
#include <assert.h>
#define LSM_ASSERT(c) assert(c)
#else
#define LSM_ASSERT(c) ((void) 0)
#endif

/* Status codes returned by core functions.  0 is success. */
typedef enum lsm_status
{
	LSM_OK = 0,
	LSM_CORRUPT = 1,			/* checksum mismatch, bad magic, bad lengths */
	LSM_NOMEM = 2,				/* allocator returned NULL / arena full */
	LSM_IOERR = 3,				/* file read/append callback failed */
	LSM_INVALID = 4,			/* invalid argument */
	LSM_NOTFOUND = 5
} lsm_status;

/* Human-readable name of a status code, for error messages. */
extern const char *lsm_status_string(lsm_status st);

/*
 * Allocator used for all transient memory of the core (builders, readers,
 * iterators, decompressed blocks).  The adapter passes a palloc-based one,
 * so memory is reclaimed with its memory context if an ERROR escapes
 * through a callback; tests pass a malloc-based one (lsm_malloc_allocator).
 * alloc may return NULL; the core then fails with LSM_NOMEM.
 */
typedef struct lsm_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void		(*free) (void *ctx, void *ptr);
	void	   *ctx;
} lsm_allocator;

extern const lsm_allocator lsm_malloc_allocator;

/*
 * A read-only file of known size: the bytes of one SSTable.  read() copies
 * len bytes at offset into dst and returns LSM_OK or an error status.
 * The adapter maps offsets onto pages of the relation read through the
 * buffer manager (and may ereport instead of returning).
 */
typedef struct lsm_file
{
	lsm_status	(*read) (void *ctx, uint64_t offset, size_t len, char *dst);
	uint64_t	size;
	void	   *ctx;
} lsm_file;

/*
 * An append-only byte sink: where an SSTable builder writes its bytes.
 */
typedef struct lsm_sink
{
	lsm_status	(*append) (void *ctx, const char *data, size_t len);
	void	   *ctx;
} lsm_sink;

/*
 * User-key comparator.  Returns <0, 0, >0.  Tables use the bytewise
 * comparator (their user keys are big-endian row ids); indexes supply one
 * that decodes index keys and calls the operator class.  The comparator
 * must be a total order consistent across calls.
 */
typedef struct lsm_comparator
{
	int			(*compare) (void *arg, const char *a, size_t alen,
							const char *b, size_t blen);
	void	   *arg;
} lsm_comparator;

extern const lsm_comparator lsm_bytewise_comparator;

/* Entry types, stored in the low byte of the trailer.  On disk. */
typedef enum lsm_entry_type
{
	LSM_TYPE_PUT = 1,			/* a value (a row version, an index entry) */
	LSM_TYPE_DELETE = 2,		/* a delete tombstone (value may carry info) */
	LSM_TYPE_LOCK = 3			/* a row lock record (value carries info) */
} lsm_entry_type;

#define LSM_TRAILER_SIZE 8
#define LSM_MAX_SEQ ((UINT64_C(1) << 56) - 1)

/* Build the 8-byte trailer for (seq, type) into dst. */
extern void lsm_trailer_encode(char *dst, uint64_t seq, lsm_entry_type type);

/* Split an internal key (len >= 8) into its parts. */
extern void lsm_ikey_decode(const char *ikey, size_t len, size_t *ukey_len,
							uint64_t *seq, lsm_entry_type *type);

/*
 * Compare two internal keys: user key ascending by cmp, then trailer
 * (seq, type) descending.
 */
extern int	lsm_ikey_compare(const lsm_comparator *cmp,
							 const char *a, size_t alen,
							 const char *b, size_t blen);

/* Fixed-width little-endian and varint coding helpers (lsm_coding.c). */
extern void lsm_put_fixed32(char *dst, uint32_t v);
extern void lsm_put_fixed64(char *dst, uint64_t v);
extern uint32_t lsm_get_fixed32(const char *src);
extern uint64_t lsm_get_fixed64(const char *src);
/* Big-endian 64-bit, for byte-comparable row-id keys. */
extern void lsm_put_be64(char *dst, uint64_t v);
extern uint64_t lsm_get_be64(const char *src);
/* Varints: put returns bytes written (<= 10); get returns bytes read or 0 on error. */
extern int	lsm_put_varint64(char *dst, uint64_t v);
extern int	lsm_get_varint64(const char *src, const char *limit, uint64_t *v);

/*
 * Iterator: the one abstraction of the read path.  Every source (memtable,
 * block, SSTable, merge) is an lsm_iter positioned on internal keys.
 * key()/value() are valid only while valid() and until the next move;
 * their memory is owned by the iterator.  status() reports the first error
 * met (e.g. LSM_CORRUPT); after an error valid() is false.
 */
typedef struct lsm_iter lsm_iter;

typedef struct lsm_iter_ops
{
	bool		(*valid) (lsm_iter *it);
	void		(*seek_first) (lsm_iter *it);
	void		(*seek_last) (lsm_iter *it);
	/* Position at the first entry with internal key >= target. */
	void		(*seek) (lsm_iter *it, const char *ikey, size_t len);
	void		(*next) (lsm_iter *it);
	void		(*prev) (lsm_iter *it);
	const char *(*key) (lsm_iter *it, size_t *len);
	const char *(*value) (lsm_iter *it, size_t *len);
	lsm_status	(*status) (lsm_iter *it);
	void		(*destroy) (lsm_iter *it);
} lsm_iter_ops;

struct lsm_iter
{
	const lsm_iter_ops *ops;
};

static inline bool lsm_iter_valid(lsm_iter *it) { return it->ops->valid(it); }
static inline void lsm_iter_seek_first(lsm_iter *it) { it->ops->seek_first(it); }
static inline void lsm_iter_seek_last(lsm_iter *it) { it->ops->seek_last(it); }
static inline void lsm_iter_seek(lsm_iter *it, const char *k, size_t n) { it->ops->seek(it, k, n); }
static inline void lsm_iter_next(lsm_iter *it) { it->ops->next(it); }
static inline void lsm_iter_prev(lsm_iter *it) { it->ops->prev(it); }
static inline const char *lsm_iter_key(lsm_iter *it, size_t *n) { return it->ops->key(it, n); }
static inline const char *lsm_iter_value(lsm_iter *it, size_t *n) { return it->ops->value(it, n); }
static inline lsm_status lsm_iter_status(lsm_iter *it) { return it->ops->status(it); }
static inline void lsm_iter_destroy(lsm_iter *it) { it->ops->destroy(it); }

#endif							/* LSM_CORE_H */
