/*-------------------------------------------------------------------------
 *
 * lsm_merge.c
 *	  Merging iterator over children given newest first (see lsm_merge.h).
 *
 * A binary min-heap of child indexes, ordered by the children's current
 * internal keys and, on equal keys, by child index, so that the newest
 * child holding a key is on top.  Before the top entry is consumed, every
 * other child positioned on the very same internal key is advanced past
 * it: that is how exact duplicates from older children are skipped.  Those
 * children sit right below the root (a child holding the smallest key has
 * a parent holding it too), so only the root's two children are checked,
 * bytewise: equal internal keys are the same entry, stored twice.
 *
 * Each child's current key is cached (ckey/clen, valid while the child is
 * in the heap and has not moved) so that heap comparisons do not call
 * through the child iterators.
 *
 * Only forward iteration is supported; seek_last and prev put the
 * iterator in status LSM_INVALID.
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_merge.h"

#include <string.h>

typedef struct merge_iter
{
	lsm_iter	base;
	const lsm_allocator *alloc;
	lsm_comparator cmp;
	lsm_iter  **children;
	int			nchildren;
	int		   *heap;			/* child indexes; heap[0] is current */
	int			heap_size;
	const char **ckey;			/* current key of each child in the heap */
	size_t	   *clen;
	char	   *last_key;		/* copy of the key being stepped over */
	size_t		last_cap;
	lsm_status	status;
	bool		backward;		/* moving with prev(): current is bw_current */
	int			bw_current;		/* child with the largest key, or -1 */
} merge_iter;

/* True if child a should come out before child b. */
static inline bool
heap_less(const merge_iter *mi, int a, int b)
{
	int			r = lsm_ikey_compare(&mi->cmp, mi->ckey[a], mi->clen[a],
									 mi->ckey[b], mi->clen[b]);

	if (r != 0)
		return r < 0;
	return a < b;
}

/* Cache child c's current key (it is valid). */
static inline void
load_key(merge_iter *mi, int c)
{
	mi->ckey[c] = lsm_iter_key(mi->children[c], &mi->clen[c]);
}

/*
 * Restore the heap below position i, whose child's key grew: the hole
 * moves down to where that child belongs (one comparison of the two
 * children per level, one against the moving child).
 */
static void
sift_down(merge_iter *mi, int i)
{
	int			moving = mi->heap[i];
	int			size = mi->heap_size;

	for (;;)
	{
		int			l = 2 * i + 1;
		int			m;

		if (l >= size)
			break;
		m = l;
		if (l + 1 < size && heap_less(mi, mi->heap[l + 1], mi->heap[l]))
			m = l + 1;
		if (!heap_less(mi, mi->heap[m], moving))
			break;
		mi->heap[i] = mi->heap[m];
		i = m;
	}
	mi->heap[i] = moving;
}

static void
set_error(merge_iter *mi, lsm_status st)
{
	if (mi->status == LSM_OK)
		mi->status = st;
	mi->heap_size = 0;
}

/*
 * Put every valid child into the heap.  A child that is invalid because of
 * an error poisons the whole merge: skipping it would silently hide data.
 */
static void
rebuild_heap(merge_iter *mi)
{
	int			i;

	mi->heap_size = 0;
	for (i = 0; i < mi->nchildren; i++)
	{
		lsm_iter   *c = mi->children[i];

		if (lsm_iter_valid(c))
		{
			load_key(mi, i);
			mi->heap[mi->heap_size++] = i;
		}
		else if (lsm_iter_status(c) != LSM_OK)
		{
			set_error(mi, lsm_iter_status(c));
			return;
		}
	}
	for (i = mi->heap_size / 2 - 1; i >= 0; i--)
		sift_down(mi, i);
}

/*
 * Advance the child at heap position pos, whose key is the smallest (pos
 * 0) or equal to it (a root's child: no parent can hold a larger key than
 * what replaces it), and restore the heap.
 */
static void
advance_at(merge_iter *mi, int pos)
{
	int			ci = mi->heap[pos];
	lsm_iter   *c = mi->children[ci];

	lsm_iter_next(c);
	if (!lsm_iter_valid(c))
	{
		if (lsm_iter_status(c) != LSM_OK)
		{
			set_error(mi, lsm_iter_status(c));
			return;
		}
		mi->heap[pos] = mi->heap[--mi->heap_size];
		if (pos >= mi->heap_size)
			return;
	}
	else
		load_key(mi, ci);
	sift_down(mi, pos);
}

/* Does child c sit on exactly the internal key k? */
static inline bool
same_key(const merge_iter *mi, int c, const char *k, size_t klen)
{
	return mi->clen[c] == klen && memcmp(mi->ckey[c], k, klen) == 0;
}

static bool
merge_valid(lsm_iter *it)
{
	merge_iter *mi = (merge_iter *) it;

	if (mi->status != LSM_OK)
		return false;
	return mi->backward ? mi->bw_current >= 0 : mi->heap_size > 0;
}

static int
current_child(merge_iter *mi)
{
	return mi->backward ? mi->bw_current : mi->heap[0];
}

/*
 * Backward: the current child is the one with the largest key (the
 * earliest child on ties, as forward).  A linear pass: children are few.
 */
static void
find_largest(merge_iter *mi)
{
	int			i;

	mi->bw_current = -1;
	for (i = 0; i < mi->nchildren; i++)
	{
		lsm_iter   *c = mi->children[i];

		if (!lsm_iter_valid(c))
		{
			if (lsm_iter_status(c) != LSM_OK)
			{
				set_error(mi, lsm_iter_status(c));
				return;
			}
			continue;
		}
		if (mi->bw_current < 0)
			mi->bw_current = i;
		else
		{
			size_t		alen,
						blen;
			const char *a = lsm_iter_key(c, &alen);
			const char *b = lsm_iter_key(mi->children[mi->bw_current], &blen);

			if (lsm_ikey_compare(&mi->cmp, a, alen, b, blen) > 0)
				mi->bw_current = i;
		}
	}
}

/* Keep a copy of the current key in last_key; false on NOMEM. */
static bool
save_key(merge_iter *mi, size_t *klen)
{
	const char *k = lsm_iter_key(mi->children[current_child(mi)], klen);

	if (*klen > mi->last_cap || mi->last_key == NULL)
	{
		size_t		cap = *klen > 64 ? *klen * 2 : 64;
		char	   *n = mi->alloc->alloc(mi->alloc->ctx, cap);

		if (n == NULL)
		{
			set_error(mi, LSM_NOMEM);
			return false;
		}
		if (mi->last_key)
			mi->alloc->free(mi->alloc->ctx, mi->last_key);
		mi->last_key = n;
		mi->last_cap = cap;
	}
	memcpy(mi->last_key, k, *klen);
	return true;
}

static void
merge_seek_first(lsm_iter *it)
{
	merge_iter *mi = (merge_iter *) it;
	int			i;

	if (mi->status != LSM_OK)
		return;
	mi->backward = false;
	for (i = 0; i < mi->nchildren; i++)
		lsm_iter_seek_first(mi->children[i]);
	rebuild_heap(mi);
}

static void
merge_seek(lsm_iter *it, const char *target, size_t len)
{
	merge_iter *mi = (merge_iter *) it;
	int			i;

	if (mi->status != LSM_OK)
		return;
	mi->backward = false;
	for (i = 0; i < mi->nchildren; i++)
		lsm_iter_seek(mi->children[i], target, len);
	rebuild_heap(mi);
}

static void
merge_seek_last(lsm_iter *it)
{
	merge_iter *mi = (merge_iter *) it;
	int			i;

	if (mi->status != LSM_OK)
		return;
	mi->backward = true;
	for (i = 0; i < mi->nchildren; i++)
		lsm_iter_seek_last(mi->children[i]);
	find_largest(mi);
}

/*
 * Step back past the current key in every child that holds it.  Coming
 * from forward iteration, every other child is first repositioned at the
 * last key before the current one (as LevelDB's merging iterator does).
 */
static void
merge_prev(lsm_iter *it)
{
	merge_iter *mi = (merge_iter *) it;
	size_t		klen;
	int			cur;
	int			i;

	if (!merge_valid(it))
		return;
	if (!save_key(mi, &klen))
		return;
	cur = current_child(mi);
	for (i = 0; i < mi->nchildren; i++)
	{
		lsm_iter   *c = mi->children[i];

		if (i == cur)
			continue;
		if (!mi->backward)
		{
			lsm_iter_seek(c, mi->last_key, klen);
			if (lsm_iter_valid(c))
				lsm_iter_prev(c);
			else if (lsm_iter_status(c) == LSM_OK)
				lsm_iter_seek_last(c);
		}
		else if (lsm_iter_valid(c))
		{
			size_t		len;
			const char *key = lsm_iter_key(c, &len);

			/* the same internal key in another child: step over it too */
			if (lsm_ikey_compare(&mi->cmp, key, len, mi->last_key, klen) == 0)
				lsm_iter_prev(c);
		}
	}
	lsm_iter_prev(mi->children[cur]);
	mi->backward = true;
	find_largest(mi);
}

/*
 * Step past the current key in every child that holds it.  The key is
 * copied first because advancing the top child invalidates its memory.
 */
static void
merge_next(lsm_iter *it)
{
	merge_iter *mi = (merge_iter *) it;
	size_t		klen;

	if (!merge_valid(it))
		return;
	if (mi->backward)
	{
		/* turn around: every child to the first key after the current */
		int			i;

		if (!save_key(mi, &klen))
			return;

		for (i = 0; i < mi->nchildren; i++)
		{
			lsm_iter   *c = mi->children[i];

			lsm_iter_seek(c, mi->last_key, klen);
			if (lsm_iter_valid(c))
			{
				size_t		len;
				const char *key = lsm_iter_key(c, &len);

				if (lsm_ikey_compare(&mi->cmp, key, len, mi->last_key, klen) == 0)
					lsm_iter_next(c);
			}
		}
		mi->backward = false;
		rebuild_heap(mi);
		return;
	}

	/* the top child's key stays valid until the top child moves, last */
	{
		const char *k = mi->ckey[mi->heap[0]];

		klen = mi->clen[mi->heap[0]];
		while (mi->status == LSM_OK)
		{
			int			pos;

			if (mi->heap_size > 1 && same_key(mi, mi->heap[1], k, klen))
				pos = 1;
			else if (mi->heap_size > 2 && same_key(mi, mi->heap[2], k, klen))
				pos = 2;
			else
				break;
			advance_at(mi, pos);
		}
		if (mi->status == LSM_OK)
			advance_at(mi, 0);
	}
}

static const char *
merge_key(lsm_iter *it, size_t *len)
{
	merge_iter *mi = (merge_iter *) it;

	return lsm_iter_key(mi->children[current_child(mi)], len);
}

static const char *
merge_value(lsm_iter *it, size_t *len)
{
	merge_iter *mi = (merge_iter *) it;

	return lsm_iter_value(mi->children[current_child(mi)], len);
}

static lsm_status
merge_status(lsm_iter *it)
{
	return ((merge_iter *) it)->status;
}

static void
merge_destroy(lsm_iter *it)
{
	merge_iter *mi = (merge_iter *) it;
	const lsm_allocator *alloc = mi->alloc;
	int			i;

	for (i = 0; i < mi->nchildren; i++)
		lsm_iter_destroy(mi->children[i]);
	if (mi->last_key)
		alloc->free(alloc->ctx, mi->last_key);
	alloc->free(alloc->ctx, mi->children);
	alloc->free(alloc->ctx, mi->heap);
	alloc->free(alloc->ctx, (void *) mi->ckey);
	alloc->free(alloc->ctx, mi->clen);
	alloc->free(alloc->ctx, mi);
}

static const lsm_iter_ops merge_iter_ops = {
	.valid = merge_valid,
	.seek_first = merge_seek_first,
	.seek_last = merge_seek_last,
	.seek = merge_seek,
	.next = merge_next,
	.prev = merge_prev,
	.key = merge_key,
	.value = merge_value,
	.status = merge_status,
	.destroy = merge_destroy,
};

/*
 * Ownership of the children passes to the merge at this call, even when it
 * fails (NULL, out of memory): they are destroyed then, so the caller never
 * has to work out which of them to clean up.
 */
lsm_iter *
lsm_merge_iter_new(const lsm_allocator *alloc, const lsm_comparator *cmp,
				   lsm_iter **children, int nchildren)
{
	merge_iter *mi;
	size_t		n = nchildren > 0 ? (size_t) nchildren : 0;
	int			i;

	mi = alloc->alloc(alloc->ctx, sizeof(merge_iter));
	if (mi == NULL)
		goto fail;
	memset(mi, 0, sizeof(*mi));
	mi->children = alloc->alloc(alloc->ctx, (n ? n : 1) * sizeof(lsm_iter *));
	mi->heap = alloc->alloc(alloc->ctx, (n ? n : 1) * sizeof(int));
	mi->ckey = alloc->alloc(alloc->ctx, (n ? n : 1) * sizeof(const char *));
	mi->clen = alloc->alloc(alloc->ctx, (n ? n : 1) * sizeof(size_t));
	if (mi->children == NULL || mi->heap == NULL || mi->ckey == NULL ||
		mi->clen == NULL)
	{
		if (mi->children)
			alloc->free(alloc->ctx, mi->children);
		if (mi->heap)
			alloc->free(alloc->ctx, mi->heap);
		if (mi->ckey)
			alloc->free(alloc->ctx, (void *) mi->ckey);
		if (mi->clen)
			alloc->free(alloc->ctx, mi->clen);
		alloc->free(alloc->ctx, mi);
		goto fail;
	}
	mi->base.ops = &merge_iter_ops;
	mi->alloc = alloc;
	mi->cmp = *cmp;
	if (n)
		memcpy(mi->children, children, n * sizeof(lsm_iter *));
	mi->nchildren = (int) n;
	mi->status = LSM_OK;
	return &mi->base;

fail:
	for (i = 0; i < nchildren; i++)
		if (children[i])
			lsm_iter_destroy(children[i]);
	return NULL;
}
