/*-------------------------------------------------------------------------
 *
 * lsm_memtable.c
 *	  The memtable: a LevelDB-style skiplist of internal keys in memory
 *	  handed over by the caller, with lock-free readers and either one
 *	  exclusive writer or concurrent writers linking nodes by CAS.
 *
 * Node layout, 8-byte aligned within a chunk:
 *
 *	  uint32 klen, uint32 vlen, uint32 height, (pad)
 *	  next[height]			links, lowest level first
 *	  internal key			klen bytes (user key + 8-byte trailer)
 *	  value					vlen bytes
 *
 * The head is not a node: it is the array mt->head[], and a NULL "node"
 * in the traversal code below stands for it.
 *
 * Barrier discipline.  The writer fills in a node completely (lengths,
 * key, value, its own next[] links) while nothing points to it, then
 * publishes it level by level from the bottom up with release stores into
 * its predecessors' links.  Readers load every link with acquire, so once
 * they reach a node they see all of its contents.  The list height is
 * raised (release store) before the new node is linked at the new levels;
 * a reader that sees the new height while the head link at that level is
 * still NULL simply descends, which is harmless.  Nothing is ever
 * unlinked or freed while the memtable lives, so a reader holding a node
 * pointer can always follow it.
 *
 * Concurrent writers (lsm_memtable_insert_concurrent) reserve their nodes'
 * space with a CAS on chunk_state and link each level with a CAS on the
 * predecessor's link, which publishes the node as the release store does;
 * a failed CAS means someone linked a node in between, and the writer
 * moves forward from the same predecessor.  Level tails are hints for them
 * (checked against the key before use).
 *
 * Statistics (num_entries, num_deletes, data_bytes, min_seq, max_seq) are
 * atomic counters; they are exact once writers are done.  min_seq and
 * max_seq are 0 while the memtable is empty.
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_memtable.h"

#include <string.h>

struct lsm_memtable_node
{
	uint32_t	klen;			/* internal key length (user key + trailer) */
	uint32_t	vlen;			/* value length */
	uint32_t	height;			/* number of links, 1..MAX_HEIGHT */
	uint32_t	pad;
	lsm_memtable_node *next[];	/* height links, then key, then value */
};

#define NODE_ALIGN 8
#define NODE_HEADER_SIZE offsetof(lsm_memtable_node, next)

/* Bytes a node of the given height and payload occupies (unaligned). */
static inline size_t
node_size(int height, size_t klen, size_t vlen)
{
	return NODE_HEADER_SIZE + (size_t) height * sizeof(lsm_memtable_node *) +
		klen + vlen;
}

static inline const char *
node_key(const lsm_memtable_node *n)
{
	return (const char *) (n->next + n->height);
}

static inline const char *
node_value(const lsm_memtable_node *n)
{
	return node_key(n) + n->klen;
}

/*
 * Address of the link at the given level leaving x, where x == NULL means
 * the head.  The head array is written only by the writer, through atomic
 * stores, so casting away const for readers is safe: they only load.
 */
static inline lsm_memtable_node **
link_of(const lsm_memtable *mt, lsm_memtable_node *x, int level)
{
	if (x == NULL)
		return (lsm_memtable_node **) &mt->head[level];
	return &x->next[level];
}

static inline lsm_memtable_node *
load_next(const lsm_memtable *mt, lsm_memtable_node *x, int level)
{
	return __atomic_load_n(link_of(mt, x, level), __ATOMIC_ACQUIRE);
}

static inline int
load_height(const lsm_memtable *mt)
{
	return __atomic_load_n(&mt->height, __ATOMIC_ACQUIRE);
}

/*
 * Compare a node's internal key with a target internal key.
 */
static inline int
node_compare(const lsm_comparator *cmp, const lsm_memtable_node *n,
			 const char *key, size_t klen)
{
	return lsm_ikey_compare(cmp, node_key(n), n->klen, key, klen);
}

/*
 * First node with key >= target, or NULL.  When prev is given, it
 * receives the last node < target at every level below the list height
 * (NULL = head), which is where the writer links a new node.
 */
static lsm_memtable_node *
find_greater_or_equal(const lsm_memtable *mt, const lsm_comparator *cmp,
					  const char *key, size_t klen,
					  lsm_memtable_node **prev)
{
	lsm_memtable_node *x = NULL;
	int			level = load_height(mt) - 1;

	for (;;)
	{
		lsm_memtable_node *next;

		if (level < 0)
			return NULL;		/* empty list */
		next = load_next(mt, x, level);
		/* the node after next is likely the next one to compare: fetch it early */
		if (next != NULL)
			__builtin_prefetch(__atomic_load_n(&next->next[level], __ATOMIC_RELAXED));
		if (next != NULL && node_compare(cmp, next, key, klen) < 0)
			x = next;
		else
		{
			if (prev)
				prev[level] = x;
			if (level == 0)
				return next;
			level--;
		}
	}
}

/*
 * Last node with key < target, or NULL if there is none.  This is how the
 * iterator moves backwards: there are no back links, as in LevelDB, since
 * they would double the barrier work of every insert for a rare operation.
 */
static lsm_memtable_node *
find_less_than(const lsm_memtable *mt, const lsm_comparator *cmp,
			   const char *key, size_t klen)
{
	lsm_memtable_node *x = NULL;
	int			level = load_height(mt) - 1;

	while (level >= 0)
	{
		lsm_memtable_node *next = load_next(mt, x, level);

		if (next != NULL && node_compare(cmp, next, key, klen) < 0)
			x = next;
		else
			level--;
	}
	return x;
}

/*
 * Last node of the list, or NULL if empty.
 */
static lsm_memtable_node *
find_last(const lsm_memtable *mt)
{
	lsm_memtable_node *x = NULL;
	int			level = load_height(mt) - 1;

	while (level >= 0)
	{
		lsm_memtable_node *next = load_next(mt, x, level);

		if (next != NULL)
			x = next;
		else
			level--;
	}
	return x;
}

/*
 * Next xorshift32 value; the state is never 0.
 */
static inline uint32_t
rng_next(uint32_t *state)
{
	uint32_t	x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/*
 * Height of a new node: 1, then each further level with probability 1/4,
 * as in LevelDB, which keeps about 1.33 links per node.
 */
static int
random_height(uint32_t *state)
{
	int			height = 1;

	while (height < LSM_SKIPLIST_MAX_HEIGHT && (rng_next(state) & 3) == 0)
		height++;
	return height;
}

/*
 * Set up an empty memtable with no memory.  The caller adds a chunk before
 * the first insert (an insert without one fails with LSM_NOMEM).
 */
void
lsm_memtable_init(lsm_memtable *mt)
{
	memset(mt, 0, sizeof(*mt));
	mt->height = 1;
	mt->rng = 0x2545F491;
}

/*
 * Give the memtable a new chunk to carve nodes from.  Nodes already in the
 * previous chunk stay where they are; only its unused tail is given up, so
 * the caller must keep every chunk mapped until the memtable is dropped.
 */
void
lsm_memtable_add_chunk(lsm_memtable *mt, void *mem, size_t size)
{
	size_t		pad = (size_t) (-(uintptr_t) mem) & (NODE_ALIGN - 1);
	uint64_t	w = __atomic_load_n(&mt->chunk_state, __ATOMIC_RELAXED);
	uint64_t	num = (w >> LSM_CHUNK_USED_BITS) + 1;

	/*
	 * The new chunk gets the next number and the other base/size pair; a
	 * writer still reserving in the old chunk fails its CAS (the state
	 * changes) and retries in the new one, and one that loads the new state
	 * (acquire) sees the new pair (stored before, release).  The number
	 * wraps at 2^16: a writer would have to sleep through 65536 chunk
	 * additions between its load and its CAS to be fooled.
	 */
	__atomic_store_n(&mt->chunk_base[num & 1], (char *) mem + pad, __ATOMIC_RELAXED);
	__atomic_store_n(&mt->chunk_size[num & 1], (uint64_t) (size > pad ? size - pad : 0),
					 __ATOMIC_RELAXED);
	__atomic_store_n(&mt->chunk_state, (num & 0xFFFF) << LSM_CHUNK_USED_BITS,
					 __ATOMIC_RELEASE);
	__atomic_fetch_add(&mt->chunk_bytes, (uint64_t) size, __ATOMIC_RELAXED);
}

/* Chunk bytes a node takes: its size rounded up to NODE_ALIGN. */
static inline size_t
node_space(int height, size_t klen, size_t vlen)
{
	return (node_size(height, klen, vlen) + NODE_ALIGN - 1) & ~((size_t) NODE_ALIGN - 1);
}

/*
 * Upper bound of the chunk space one insert takes: a node of maximum
 * height plus the worst alignment loss.  A chunk of this size, at any
 * address, is guaranteed to hold the entry.
 */
size_t
lsm_memtable_entry_space(size_t ukey_len, size_t val_len)
{
	return (NODE_ALIGN - 1) +
		node_space(LSM_SKIPLIST_MAX_HEIGHT, ukey_len + LSM_TRAILER_SIZE, val_len);
}

size_t
lsm_memtable_node_space(int height, size_t ulen, size_t vlen)
{
	return node_space(height, ulen + LSM_TRAILER_SIZE, vlen);
}

int
lsm_memtable_random_height(uint32_t *rng)
{
	if (*rng == 0)
		*rng = 0x2545F491;
	return random_height(rng);
}

/*
 * Fill prev[] for key (as find_greater_or_equal does) starting at each
 * level from the splice's node (before key), or from where the level
 * above ended when the splice has none (levels the list grew since, or
 * the head).  With check_hint, a hint node is used only if it is before
 * key (tails read by concurrent writers may be stale in any direction).
 */
static void
splice_search(const lsm_memtable *mt, const lsm_comparator *cmp, const char *key,
			  size_t klen, lsm_memtable_node *const *hint, int hint_height,
			  bool check_hint, int cur_height, lsm_memtable_node **prev)
{
	lsm_memtable_node *x = NULL;
	int			level;

	for (level = cur_height - 1; level >= 0; level--)
	{
		lsm_memtable_node *next;

		if (level < hint_height && hint[level] != NULL && hint[level] != x &&
			(!check_hint || node_compare(cmp, hint[level], key, klen) < 0))
			x = hint[level];
		for (;;)
		{
			next = load_next(mt, x, level);
			if (next != NULL && node_compare(cmp, next, key, klen) < 0)
				x = next;
			else
				break;
		}
		prev[level] = x;
	}
}

/* Build a node in mem (not yet reachable). */
static lsm_memtable_node *
build_node(char *mem, int height, const char *ukey, size_t ulen, uint64_t seq,
		   lsm_entry_type type, const char *val, size_t vlen)
{
	lsm_memtable_node *node = (lsm_memtable_node *) mem;
	size_t		klen = ulen + LSM_TRAILER_SIZE;
	char	   *p;
	int			i;

	node->klen = (uint32_t) klen;
	node->vlen = (uint32_t) vlen;
	node->height = (uint32_t) height;
	node->pad = 0;
	for (i = 0; i < height; i++)
		node->next[i] = NULL;
	p = (char *) (node->next + height);
	if (ulen > 0)
		memcpy(p, ukey, ulen);
	lsm_trailer_encode(p + ulen, seq, type);
	if (vlen > 0)
		memcpy(p + klen, val, vlen);
	return node;
}

/* Statistics of a linked node (atomic: concurrent writers add to them). */
static void
note_stats(lsm_memtable *mt, uint64_t seq, lsm_entry_type type, size_t bytes)
{
	uint64_t	cur;

	cur = __atomic_load_n(&mt->min_seq, __ATOMIC_RELAXED);
	while ((cur == 0 || seq < cur) &&
		   !__atomic_compare_exchange_n(&mt->min_seq, &cur, seq, false,
										__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	cur = __atomic_load_n(&mt->max_seq, __ATOMIC_RELAXED);
	while (seq > cur &&
		   !__atomic_compare_exchange_n(&mt->max_seq, &cur, seq, false,
										__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (type == LSM_TYPE_DELETE)
		__atomic_fetch_add(&mt->num_deletes, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&mt->data_bytes, bytes, __ATOMIC_RELAXED);
	/* last: a reader that sees the count sees the rest */
	__atomic_fetch_add(&mt->num_entries, 1, __ATOMIC_RELEASE);
}

/* The splice fits any key after node's now. */
static void
advance_splice(lsm_memtable_splice *hint, const lsm_memtable *mt,
			   lsm_memtable_node *node, int height, int cur_height,
			   lsm_memtable_node *const *prev)
{
	int			top = (cur_height > height) ? cur_height : height;
	int			i;

	for (i = 0; i < top; i++)
		hint->prev[i] = (i < height) ? node : prev[i];
	for (; i < LSM_SKIPLIST_MAX_HEIGHT; i++)
		hint->prev[i] = NULL;
	hint->height = top;
	hint->mt = mt;
}

/*
 * Insert one entry (the exclusive writer).  The node is built in place in
 * the chunk before any link to it exists, then linked bottom-up with
 * release stores, so a concurrent reader finds either no node or a
 * complete one.  All checks that can fail come before anything is written
 * to the memtable, even the rng state, so LSM_NOMEM leaves it exactly as
 * it was and a retry after add_chunk draws the same height.
 */
static lsm_status
memtable_insert(lsm_memtable *mt, const lsm_comparator *cmp,
				const char *ukey, size_t ulen,
				uint64_t seq, lsm_entry_type type,
				const char *val, size_t vlen, lsm_memtable_splice *hint)
{
	lsm_memtable_node *prev[LSM_SKIPLIST_MAX_HEIGHT];
	lsm_memtable_node *node;
	uint32_t	rng = mt->rng;
	size_t		klen = ulen + LSM_TRAILER_SIZE;
	size_t		need;
	int			height;
	int			cur_height;
	int			i;
	char	   *p;

	if (seq > LSM_MAX_SEQ || ulen > UINT32_MAX - LSM_TRAILER_SIZE ||
		vlen > UINT32_MAX)
		return LSM_INVALID;

	height = random_height(&rng);
	need = node_space(height, klen, vlen);
	if (lsm_memtable_chunk_left(mt) < need)
		return LSM_NOMEM;

	/* Build the node while it is still invisible to readers. */
	node = build_node(mt->chunk_base[(mt->chunk_state >> LSM_CHUNK_USED_BITS) & 1] +
					  (mt->chunk_state & LSM_CHUNK_USED_MASK),
					  height, ukey, ulen, seq, type, val, vlen);
	p = (char *) (node->next + height);

	/*
	 * Appending past the largest key (the common case: row ids only grow)
	 * needs no search: the predecessor at every level is that level's last
	 * node.
	 */
	cur_height = mt->height;
	if (mt->tail[0] != NULL && node_compare(cmp, mt->tail[0], p, klen) < 0)
	{
		for (i = 0; i < cur_height; i++)
			prev[i] = mt->tail[i];
	}
	else
	{
		lsm_memtable_node *next;

		if (hint != NULL && hint->mt == mt)
			splice_search(mt, cmp, p, klen, hint->prev, hint->height, false,
						  cur_height, prev);
		else
			(void) find_greater_or_equal(mt, cmp, p, klen, prev);

		/*
		 * The same internal key again (an entry written twice: a retried
		 * write, a flush's carried copy): it is there already.  Nothing
		 * is allocated or linked, so the memtable holds each internal key
		 * once, as SSTable builders require of what they are fed.
		 */
		next = load_next(mt, cur_height > 0 ? prev[0] : NULL, 0);
		if (next != NULL && node_compare(cmp, next, p, klen) == 0)
			return LSM_OK;
	}

	/* New levels above the current height start at the head. */
	if (height > cur_height)
	{
		for (i = cur_height; i < height; i++)
			prev[i] = NULL;
		__atomic_store_n(&mt->height, height, __ATOMIC_RELEASE);
	}

	for (i = 0; i < height; i++)
	{
		lsm_memtable_node **link = link_of(mt, prev[i], i);

		/*
		 * The node is not yet reachable at this level, so its own link
		 * needs no ordering; the release store that publishes it does.
		 */
		__atomic_store_n(&node->next[i], __atomic_load_n(link, __ATOMIC_RELAXED),
						 __ATOMIC_RELAXED);
		__atomic_store_n(link, node, __ATOMIC_RELEASE);
		if (node->next[i] == NULL)
			mt->tail[i] = node;
	}

	/*
	 * The splice now fits any key after this one: the new node precedes it
	 * at the node's levels, the old predecessors above.
	 */
	if (hint != NULL)
		advance_splice(hint, mt, node, height, cur_height, prev);

	/* Commit the allocation and the statistics. */
	mt->rng = rng;
	__atomic_store_n(&mt->chunk_state, mt->chunk_state + need, __ATOMIC_RELAXED);
	note_stats(mt, seq, type, klen + vlen);
	return LSM_OK;
}

/*
 * Reserve chunk space for the longest prefix of n nodes (sizes from
 * lsm_memtable_node_space) that fits into the current chunk; *mem is where
 * the first goes, each next one right after the one before.  Returns how
 * many fit (0: the chunk is full).  Lock-free: a compare-and-swap on
 * chunk_state, which also fails if a chunk was added meanwhile.
 */
int
lsm_memtable_reserve(lsm_memtable *mt, const size_t *sizes, int n, char **mem)
{
	uint64_t	w = __atomic_load_n(&mt->chunk_state, __ATOMIC_ACQUIRE);

	for (;;)
	{
		int			idx = (int) ((w >> LSM_CHUNK_USED_BITS) & 1);
		char	   *base = __atomic_load_n(&mt->chunk_base[idx], __ATOMIC_RELAXED);
		uint64_t	size = __atomic_load_n(&mt->chunk_size[idx], __ATOMIC_RELAXED);
		uint64_t	used = w & LSM_CHUNK_USED_MASK;
		uint64_t	total = 0;
		int			fit = 0;

		while (base != NULL && fit < n && used + total + sizes[fit] <= size)
			total += sizes[fit++];
		if (fit == 0)
			return 0;
		if (__atomic_compare_exchange_n(&mt->chunk_state, &w, w + total, false,
										__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		{
			*mem = base + used;
			return fit;
		}
		/* another writer took some, or a chunk was added: w is new; again */
	}
}

/*
 * Insert one entry next to concurrent writers.  The search (from the
 * splice, else from the level tails when the key is past them, else from
 * the head) gives a predecessor at every level; the node is linked bottom
 * up, each link by compare-and-swap on the predecessor's link.  A failed
 * swap means another writer linked a node there: the search resumes from
 * the same predecessor at that level (nodes are never removed, so it is
 * still before the key).  Levels above the list height start at the head;
 * the height is raised by compare-and-swap first.
 */
lsm_status
lsm_memtable_insert_concurrent(lsm_memtable *mt, const lsm_comparator *cmp,
							   const char *ukey, size_t ulen,
							   uint64_t seq, lsm_entry_type type,
							   const char *val, size_t vlen,
							   int height, char *mem,
							   lsm_memtable_splice *hint)
{
	lsm_memtable_node *prev[LSM_SKIPLIST_MAX_HEIGHT];
	lsm_memtable_node *node;
	size_t		klen = ulen + LSM_TRAILER_SIZE;
	int			cur_height;
	int			i;
	const char *p;

	if (seq > LSM_MAX_SEQ || ulen > UINT32_MAX - LSM_TRAILER_SIZE ||
		vlen > UINT32_MAX || height < 1 || height > LSM_SKIPLIST_MAX_HEIGHT)
		return LSM_INVALID;
	LSM_ASSERT(((uintptr_t) mem & (NODE_ALIGN - 1)) == 0);
	node = build_node(mem, height, ukey, ulen, seq, type, val, vlen);
	p = node_key(node);

	cur_height = load_height(mt);
	while (height > cur_height &&
		   !__atomic_compare_exchange_n(&mt->height, &cur_height, height, false,
										__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;						/* cur_height reloaded */
	if (height > cur_height)
		cur_height = height;

	if (hint != NULL && hint->mt == mt)
		splice_search(mt, cmp, p, klen, hint->prev, hint->height, false,
					  cur_height, prev);
	else
	{
		lsm_memtable_node *tails[LSM_SKIPLIST_MAX_HEIGHT];
		lsm_memtable_node *t0 = __atomic_load_n(&mt->tail[0], __ATOMIC_ACQUIRE);

		if (t0 != NULL && node_compare(cmp, t0, p, klen) < 0)
		{
			for (i = 0; i < cur_height; i++)
				tails[i] = __atomic_load_n(&mt->tail[i], __ATOMIC_ACQUIRE);
			splice_search(mt, cmp, p, klen, tails, cur_height, true,
						  cur_height, prev);
		}
		else
			splice_search(mt, cmp, p, klen, NULL, 0, false, cur_height, prev);
	}

	for (i = 0; i < height; i++)
	{
		for (;;)
		{
			lsm_memtable_node **link = link_of(mt, prev[i], i);
			lsm_memtable_node *next = __atomic_load_n(link, __ATOMIC_ACQUIRE);

			if (next != NULL && node_compare(cmp, next, p, klen) < 0)
			{
				prev[i] = next;	/* linked since the search: move on */
				continue;
			}
			if (i == 0 && next != NULL && node_compare(cmp, next, p, klen) == 0)
				return LSM_OK;	/* the same internal key is there */
			__atomic_store_n(&node->next[i], next, __ATOMIC_RELAXED);
			if (__atomic_compare_exchange_n(link, &next, node, false,
											__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			{
				if (next == NULL)
					__atomic_store_n(&mt->tail[i], node, __ATOMIC_RELEASE);
				break;
			}
		}
	}

	if (hint != NULL)
		advance_splice(hint, mt, node, height, cur_height, prev);
	note_stats(mt, seq, type, klen + vlen);
	return LSM_OK;
}

lsm_status
lsm_memtable_insert(lsm_memtable *mt, const lsm_comparator *cmp,
					const char *ukey, size_t ulen,
					uint64_t seq, lsm_entry_type type,
					const char *val, size_t vlen)
{
	return memtable_insert(mt, cmp, ukey, ulen, seq, type, val, vlen, NULL);
}

/*
 * Insert with a splice found beforehand by lsm_memtable_find_splice
 * (without the writer lock): the search starts at each level from the
 * splice's node, which is before the key, and moves forward past nodes
 * inserted since, so most of the search happens outside the lock.
 * REQUIRES: as lsm_memtable_insert; the splice is of a key not greater
 * than this one (same user key, any seq).  On return the splice is one
 * for any key greater than this one, so a run of ascending keys is
 * inserted with one splice, each insert starting where the last one went.
 */
lsm_status
lsm_memtable_insert_spliced(lsm_memtable *mt, const lsm_comparator *cmp,
							const char *ukey, size_t ulen,
							uint64_t seq, lsm_entry_type type,
							const char *val, size_t vlen,
							lsm_memtable_splice *splice)
{
	return memtable_insert(mt, cmp, ukey, ulen, seq, type, val, vlen, splice);
}

/*
 * Where user key ukey would go: the last node before (ukey, newest) at
 * every level.  Runs as a reader (no lock; nodes are never removed from a
 * live memtable), so the result may be stale by the time it is used;
 * lsm_memtable_insert_spliced corrects it.
 */
void
lsm_memtable_find_splice(const lsm_memtable *mt, const lsm_comparator *cmp,
						 const char *ukey, size_t ulen, lsm_memtable_splice *splice)
{
	char		buf[256];
	char	   *ikey = buf;
	size_t		klen = ulen + LSM_TRAILER_SIZE;
	int			i;

	splice->mt = NULL;
	if (klen > sizeof(buf))
		return;					/* long keys: no splice, a plain search */
	if (ulen > 0)
		memcpy(ikey, ukey, ulen);
	lsm_trailer_encode(ikey + ulen, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	splice->height = load_height(mt);
	for (i = 0; i < LSM_SKIPLIST_MAX_HEIGHT; i++)
		splice->prev[i] = NULL;
	(void) find_greater_or_equal(mt, cmp, ikey, klen, splice->prev);
	splice->mt = mt;
}

/*
 * Splices for many keys at once, with the searches interleaved: up to
 * SPLICE_GROUP searches are in flight, each advancing one node per round,
 * and the node a search compares next is prefetched a round before it is
 * needed.  A single search waits on one cache miss per node it visits (the
 * nodes of a large memtable are scattered over its chunks); interleaving
 * overlaps those misses, so the batch costs about as many memory round
 * trips as its longest search.  The result for each key is exactly what
 * lsm_memtable_find_splice returns for it.
 */
#define SPLICE_GROUP 8
#define SPLICE_KEY_MAX 256

typedef struct splice_search_state
{
	lsm_memtable_splice *out;
	const lsm_memtable_node *x;	/* last node before the key (NULL: head) */
	int			level;
	size_t		klen;
	char		key[SPLICE_KEY_MAX];
} splice_search_state;

static inline void
prefetch_node(const lsm_memtable_node *n)
{
	if (n != NULL)
	{
		__builtin_prefetch(n);
		/* a node's key may start in the next cache line */
		__builtin_prefetch((const char *) n + 64);
	}
}

void
lsm_memtable_find_splices(const lsm_memtable *mt, const lsm_comparator *cmp,
						  const char *const *ukeys, const size_t *ulens, int n,
						  lsm_memtable_splice *splices)
{
	splice_search_state st[SPLICE_GROUP];
	int			nactive = 0;
	int			nextkey = 0;
	int			height = load_height(mt);
	int			i;

	for (i = 0; i < n; i++)
		splices[i].mt = NULL;
	for (;;)
	{
		/* fill free slots with the next keys (long keys get no splice) */
		while (nactive < SPLICE_GROUP && nextkey < n)
		{
			splice_search_state *s = &st[nactive];
			size_t		ulen = ulens[nextkey];
			int			j;

			if (ulen + LSM_TRAILER_SIZE > SPLICE_KEY_MAX)
			{
				nextkey++;
				continue;
			}
			s->out = &splices[nextkey];
			s->out->height = height;
			for (j = 0; j < LSM_SKIPLIST_MAX_HEIGHT; j++)
				s->out->prev[j] = NULL;
			if (ulen > 0)
				memcpy(s->key, ukeys[nextkey], ulen);
			lsm_trailer_encode(s->key + ulen, LSM_MAX_SEQ, LSM_TYPE_LOCK);
			s->klen = ulen + LSM_TRAILER_SIZE;
			s->x = NULL;
			s->level = height - 1;
			prefetch_node(load_next(mt, NULL, s->level));
			nactive++;
			nextkey++;
		}
		if (nactive == 0)
			break;
		/* one step of every search in flight */
		for (i = 0; i < nactive;)
		{
			splice_search_state *s = &st[i];
			lsm_memtable_node *next = load_next(mt, (lsm_memtable_node *) s->x, s->level);

			if (next != NULL && node_compare(cmp, next, s->key, s->klen) < 0)
			{
				s->x = next;
				prefetch_node(load_next(mt, next, s->level));
				i++;
				continue;
			}
			s->out->prev[s->level] = (lsm_memtable_node *) s->x;
			if (s->level > 0)
			{
				s->level--;
				prefetch_node(load_next(mt, (lsm_memtable_node *) s->x, s->level));
				i++;
				continue;
			}
			/* done: publish, and move the last search into this slot */
			s->out->mt = mt;
			nactive--;
			if (i != nactive)
				st[i] = st[nactive];
		}
	}
}

/* ----------------------------------------------------------------
 *		Iterator
 * ----------------------------------------------------------------
 */

typedef struct memtable_iter
{
	lsm_iter	base;
	const lsm_memtable *mt;
	lsm_comparator cmp;			/* copied: the caller's may be transient */
	lsm_allocator alloc;
	lsm_memtable_node *cur;		/* NULL when not valid */
} memtable_iter;

static bool
mi_valid(lsm_iter *it)
{
	return ((memtable_iter *) it)->cur != NULL;
}

static void
mi_seek_first(lsm_iter *it)
{
	memtable_iter *mi = (memtable_iter *) it;

	mi->cur = load_next(mi->mt, NULL, 0);
}

static void
mi_seek_last(lsm_iter *it)
{
	memtable_iter *mi = (memtable_iter *) it;

	mi->cur = find_last(mi->mt);
}

static void
mi_seek(lsm_iter *it, const char *ikey, size_t len)
{
	memtable_iter *mi = (memtable_iter *) it;

	mi->cur = find_greater_or_equal(mi->mt, &mi->cmp, ikey, len, NULL);
}

static void
mi_next(lsm_iter *it)
{
	memtable_iter *mi = (memtable_iter *) it;

	if (mi->cur != NULL)
		mi->cur = load_next(mi->mt, mi->cur, 0);
}

/*
 * Step back by searching for the last node before the current one.  An
 * entry inserted concurrently between the two may be returned, which is
 * within the contract (new entries may or may not be seen) and keeps the
 * order strict.
 */
static void
mi_prev(lsm_iter *it)
{
	memtable_iter *mi = (memtable_iter *) it;

	if (mi->cur != NULL)
		mi->cur = find_less_than(mi->mt, &mi->cmp,
								 node_key(mi->cur), mi->cur->klen);
}

static const char *
mi_key(lsm_iter *it, size_t *len)
{
	memtable_iter *mi = (memtable_iter *) it;

	*len = mi->cur->klen;
	return node_key(mi->cur);
}

static const char *
mi_value(lsm_iter *it, size_t *len)
{
	memtable_iter *mi = (memtable_iter *) it;

	*len = mi->cur->vlen;
	return node_value(mi->cur);
}

static lsm_status
mi_status(lsm_iter *it)
{
	return LSM_OK;
}

static void
mi_destroy(lsm_iter *it)
{
	memtable_iter *mi = (memtable_iter *) it;
	lsm_allocator alloc = mi->alloc;

	alloc.free(alloc.ctx, mi);
}

static const lsm_iter_ops memtable_iter_ops = {
	.valid = mi_valid,
	.seek_first = mi_seek_first,
	.seek_last = mi_seek_last,
	.seek = mi_seek,
	.next = mi_next,
	.prev = mi_prev,
	.key = mi_key,
	.value = mi_value,
	.status = mi_status,
	.destroy = mi_destroy,
};

/*
 * Create an iterator, initially not positioned (not valid).  It holds no
 * lock and no reference count: the caller keeps the memtable alive.
 * Returns NULL if the allocator fails.
 */
lsm_iter *
lsm_memtable_iter_new(const lsm_memtable *mt, const lsm_comparator *cmp,
					  const lsm_allocator *alloc)
{
	memtable_iter *mi = alloc->alloc(alloc->ctx, sizeof(memtable_iter));

	if (mi == NULL)
		return NULL;
	mi->base.ops = &memtable_iter_ops;
	mi->mt = mt;
	mi->cmp = *cmp;
	mi->alloc = *alloc;
	mi->cur = NULL;
	return &mi->base;
}
