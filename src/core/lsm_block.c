/*-------------------------------------------------------------------------
 *
 * lsm_block.c
 *	  Block builder and block iterator: sorted entries with
 *	  prefix-compressed keys and restart points (format in lsm_block.h).
 *
 * The iterator validates a whole block when it is created (restart array,
 * every entry's lengths, restart points on entry boundaries with whole
 * keys), so that moving and decoding afterwards cannot run off the block
 * whatever bytes it was given.  Validation is one linear pass over bytes
 * that the caller has usually just checksummed anyway.
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_block.h"

#include <string.h>

/* Largest varint32 header of one entry: three varints of at most 10 bytes. */
#define ENTRY_HEADER_MAX 30

/* ----------------------------------------------------------------
 *		Builder
 * ----------------------------------------------------------------
 */

/*
 * Grow *buf to hold at least need bytes.  Doubling keeps appends amortized
 * linear; the old buffer is freed only after the copy succeeded so that a
 * failed growth leaves the builder consistent.
 */
static lsm_status
grow_buffer(const lsm_allocator *alloc, char **buf, size_t *cap, size_t used,
			size_t need)
{
	size_t		newcap;
	char	   *nbuf;

	if (need <= *cap)
		return LSM_OK;
	newcap = *cap ? *cap : 256;
	while (newcap < need)
		newcap *= 2;
	nbuf = alloc->alloc(alloc->ctx, newcap);
	if (nbuf == NULL)
		return LSM_NOMEM;
	if (used)
		memcpy(nbuf, *buf, used);
	if (*buf)
		alloc->free(alloc->ctx, *buf);
	*buf = nbuf;
	*cap = newcap;
	return LSM_OK;
}

/*
 * Initialization cannot fail: buffers are allocated on first use, and an
 * allocation failure is remembered in b->status and returned by add.
 */
void
lsm_block_builder_init(lsm_block_builder *b, const lsm_allocator *alloc,
					   int restart_interval)
{
	memset(b, 0, sizeof(*b));
	b->alloc = alloc;
	b->restart_interval = restart_interval < 1 ? 1 : restart_interval;
	b->status = LSM_OK;
}

/* Forget the contents but keep the buffers, to build the next block. */
void
lsm_block_builder_reset(lsm_block_builder *b)
{
	b->len = 0;
	b->nrestarts = 0;
	b->counter = 0;
	b->last_key_len = 0;
	b->nentries = 0;
	b->finished = false;
	b->status = LSM_OK;
}

void
lsm_block_builder_free(lsm_block_builder *b)
{
	if (b->buf)
		b->alloc->free(b->alloc->ctx, b->buf);
	if (b->restarts)
		b->alloc->free(b->alloc->ctx, b->restarts);
	if (b->last_key)
		b->alloc->free(b->alloc->ctx, b->last_key);
	b->buf = NULL;
	b->restarts = NULL;
	b->last_key = NULL;
	b->cap = b->restarts_cap = 0;
	b->last_key_cap = 0;
	lsm_block_builder_reset(b);
}

/*
 * Append one entry.  Its key shares a prefix with the previous key unless
 * the entry starts a restart interval, in which case it is stored whole
 * and its offset becomes a restart point.  Ordering is the caller's
 * promise (the SSTable builder checks it); we do not pay for a comparator
 * call here.
 */
lsm_status
lsm_block_builder_add(lsm_block_builder *b, const char *key, size_t klen,
					  const char *val, size_t vlen)
{
	size_t		shared = 0;
	size_t		non_shared;
	char		hdr[ENTRY_HEADER_MAX];
	int			hlen = 0;
	lsm_status	st;

	if (b->status != LSM_OK)
		return b->status;
	if (b->finished)
		return LSM_INVALID;
	if (klen > UINT32_MAX || vlen > UINT32_MAX ||
		(uint64_t) b->len + klen + vlen + ENTRY_HEADER_MAX > UINT32_MAX)
		return LSM_INVALID;		/* restart offsets are 32 bits */

	if (b->counter >= b->restart_interval || b->nentries == 0)
	{
		if (b->nrestarts == b->restarts_cap)
		{
			size_t		cap = (size_t) b->restarts_cap * sizeof(uint32_t);
			char	   *rbuf = (char *) b->restarts;

			st = grow_buffer(b->alloc, &rbuf, &cap,
							 (size_t) b->nrestarts * sizeof(uint32_t),
							 ((size_t) b->nrestarts + 1) * sizeof(uint32_t));
			if (st != LSM_OK)
				return b->status = st;
			b->restarts = (uint32_t *) rbuf;
			b->restarts_cap = (int) (cap / sizeof(uint32_t));
		}
		b->restarts[b->nrestarts++] = (uint32_t) b->len;
		b->counter = 0;
	}
	else
	{
		size_t		n = klen < b->last_key_len ? klen : b->last_key_len;

		while (shared < n && key[shared] == b->last_key[shared])
			shared++;
	}
	non_shared = klen - shared;

	hlen += lsm_put_varint64(hdr + hlen, shared);
	hlen += lsm_put_varint64(hdr + hlen, non_shared);
	hlen += lsm_put_varint64(hdr + hlen, vlen);

	st = grow_buffer(b->alloc, &b->buf, &b->cap, b->len,
					 b->len + hlen + non_shared + vlen);
	if (st == LSM_OK)
		st = grow_buffer(b->alloc, &b->last_key, &b->last_key_cap,
						 b->last_key_len, klen);
	if (st != LSM_OK)
	{
		/* undo the restart point we may have just pushed */
		if (b->counter == 0 && b->nrestarts > 0 &&
			b->restarts[b->nrestarts - 1] == (uint32_t) b->len)
			b->nrestarts--;
		return b->status = st;
	}

	memcpy(b->buf + b->len, hdr, hlen);
	b->len += hlen;
	if (non_shared)
		memcpy(b->buf + b->len, key + shared, non_shared);
	b->len += non_shared;
	if (vlen)
		memcpy(b->buf + b->len, val, vlen);
	b->len += vlen;

	if (klen)
		memcpy(b->last_key, key, klen);
	b->last_key_len = klen;
	b->counter++;
	b->nentries++;
	return LSM_OK;
}

size_t
lsm_block_builder_size_estimate(const lsm_block_builder *b)
{
	return b->len + (size_t) b->nrestarts * sizeof(uint32_t) + sizeof(uint32_t);
}

/*
 * Append the restart array and its length.  An empty block is just
 * fixed32le(0).  Returns NULL if the buffer could not grow (b->status says
 * why).
 */
const char *
lsm_block_builder_finish(lsm_block_builder *b, size_t *len)
{
	int			i;
	lsm_status	st;

	if (b->status != LSM_OK)
		return NULL;
	if (!b->finished)
	{
		st = grow_buffer(b->alloc, &b->buf, &b->cap, b->len,
						 lsm_block_builder_size_estimate(b));
		if (st != LSM_OK)
		{
			b->status = st;
			return NULL;
		}
		for (i = 0; i < b->nrestarts; i++)
		{
			lsm_put_fixed32(b->buf + b->len, b->restarts[i]);
			b->len += 4;
		}
		lsm_put_fixed32(b->buf + b->len, (uint32_t) b->nrestarts);
		b->len += 4;
		b->finished = true;
	}
	*len = b->len;
	return b->buf;
}

/* ----------------------------------------------------------------
 *		Iterator
 * ----------------------------------------------------------------
 */

typedef struct block_iter
{
	lsm_iter	base;
	const lsm_allocator *alloc;
	lsm_comparator cmp;
	bool		ikeys;
	const char *data;
	size_t		len;
	bool		owned;
	size_t		restarts_off;	/* offset of the restart array = end of entries */
	uint32_t	nrestarts;

	/* current entry; current == restarts_off means not valid */
	size_t		current;
	size_t		next_off;		/* offset of the entry after current */
	uint32_t	restart_index;	/* restart interval holding current */
	char	   *key;
	size_t		key_len;
	size_t		key_cap;
	const char *val;
	size_t		val_len;
	lsm_status	status;
} block_iter;

/*
 * Decode the entry header at p.  Returns false if it does not fit before
 * limit; the caller has validated the block, so that only happens on a
 * block that changed under us, which we still refuse to walk off.
 */
static bool
decode_entry(const char *p, const char *limit, uint64_t *shared,
			 uint64_t *non_shared, uint64_t *vlen, const char **rest)
{
	int			n;

	if ((n = lsm_get_varint64(p, limit, shared)) == 0)
		return false;
	p += n;
	if ((n = lsm_get_varint64(p, limit, non_shared)) == 0)
		return false;
	p += n;
	if ((n = lsm_get_varint64(p, limit, vlen)) == 0)
		return false;
	p += n;
	if (*non_shared > (uint64_t) (limit - p) ||
		*vlen > (uint64_t) (limit - p) - *non_shared)
		return false;
	*rest = p;
	return true;
}

/*
 * Walk every entry once: lengths fit, shared prefixes exist, restart
 * points sit on entry boundaries whose key is stored whole, internal keys
 * have room for a trailer.  After this, iteration needs no bound checks
 * beyond those decode_entry does anyway.
 */
static bool
validate_block(const char *data, size_t restarts_off, uint32_t nrestarts,
			   bool ikeys)
{
	const char *p = data;
	const char *limit = data + restarts_off;
	uint64_t	prev_key_len = 0;
	uint32_t	ri = 0;
	bool		first = true;

	if (nrestarts == 0)
		return restarts_off == 0;

	while (p < limit)
	{
		uint64_t	shared,
					non_shared,
					vlen;
		const char *rest;
		size_t		off = (size_t) (p - data);

		if (!decode_entry(p, limit, &shared, &non_shared, &vlen, &rest))
			return false;
		if (ri < nrestarts && lsm_get_fixed32(data + restarts_off + 4 * ri) == off)
		{
			if (shared != 0)
				return false;
			ri++;
		}
		else if (first)
			return false;		/* first entry must be restart 0 */
		if (shared > prev_key_len)
			return false;
		prev_key_len = shared + non_shared;
		if (ikeys && prev_key_len < LSM_TRAILER_SIZE)
			return false;
		p = rest + non_shared + vlen;
		first = false;
	}
	/* every restart point must have matched an entry, in order */
	return ri == nrestarts;
}

static bool
block_iter_valid(lsm_iter *it)
{
	block_iter *bi = (block_iter *) it;

	return bi->status == LSM_OK && bi->current < bi->restarts_off;
}

static void
block_iter_invalidate(block_iter *bi)
{
	bi->current = bi->restarts_off;
	bi->next_off = bi->restarts_off;
	bi->restart_index = bi->nrestarts;
}

static void
block_iter_corrupt(block_iter *bi, lsm_status st)
{
	if (bi->status == LSM_OK)
		bi->status = st;
	block_iter_invalidate(bi);
}

static uint32_t
restart_point(const block_iter *bi, uint32_t i)
{
	return lsm_get_fixed32(bi->data + bi->restarts_off + 4 * (size_t) i);
}

/*
 * Decode the entry at next_off into key/value and make it current.
 * Returns false at the end of the block (or on a decode failure, which
 * sets status).
 */
static bool
parse_next(block_iter *bi)
{
	uint64_t	shared,
				non_shared,
				vlen;
	const char *rest;
	size_t		klen;

	bi->current = bi->next_off;
	if (bi->current >= bi->restarts_off)
	{
		block_iter_invalidate(bi);
		return false;
	}
	if (!decode_entry(bi->data + bi->current, bi->data + bi->restarts_off,
					  &shared, &non_shared, &vlen, &rest) ||
		shared > bi->key_len)
	{
		block_iter_corrupt(bi, LSM_CORRUPT);
		return false;
	}
	klen = (size_t) (shared + non_shared);
	if (klen > bi->key_cap || bi->key == NULL)
	{
		size_t		cap = bi->key_cap;
		char	   *nbuf;

		cap = cap ? cap : 64;
		while (cap < klen)
			cap *= 2;
		nbuf = bi->alloc->alloc(bi->alloc->ctx, cap);
		if (nbuf == NULL)
		{
			block_iter_corrupt(bi, LSM_NOMEM);
			return false;
		}
		if (shared)
			memcpy(nbuf, bi->key, shared);
		if (bi->key)
			bi->alloc->free(bi->alloc->ctx, bi->key);
		bi->key = nbuf;
		bi->key_cap = cap;
	}
	if (non_shared)
		memcpy(bi->key + shared, rest, non_shared);
	bi->key_len = klen;
	bi->val = rest + non_shared;
	bi->val_len = (size_t) vlen;
	bi->next_off = (size_t) (bi->val + vlen - bi->data);
	while (bi->restart_index + 1 < bi->nrestarts &&
		   restart_point(bi, bi->restart_index + 1) <= bi->current)
		bi->restart_index++;
	return true;
}

/* Prepare to parse the first entry of restart interval i. */
static void
seek_to_restart(block_iter *bi, uint32_t i)
{
	bi->key_len = 0;
	bi->restart_index = i;
	bi->next_off = restart_point(bi, i);
}

static int
block_compare(block_iter *bi, const char *a, size_t alen,
			  const char *b, size_t blen)
{
	if (bi->ikeys)
		return lsm_ikey_compare(&bi->cmp, a, alen, b, blen);
	return bi->cmp.compare(bi->cmp.arg, a, alen, b, blen);
}

static void
block_iter_seek_first(lsm_iter *it)
{
	block_iter *bi = (block_iter *) it;

	if (bi->status != LSM_OK || bi->nrestarts == 0)
	{
		block_iter_invalidate(bi);
		return;
	}
	seek_to_restart(bi, 0);
	parse_next(bi);
}

static void
block_iter_seek_last(lsm_iter *it)
{
	block_iter *bi = (block_iter *) it;

	if (bi->status != LSM_OK || bi->nrestarts == 0)
	{
		block_iter_invalidate(bi);
		return;
	}
	seek_to_restart(bi, bi->nrestarts - 1);
	while (parse_next(bi) && bi->next_off < bi->restarts_off)
		;
}

/*
 * Binary search the restart points for the last one whose key is < target,
 * then scan forward from it to the first key >= target.
 */
static void
block_iter_seek(lsm_iter *it, const char *target, size_t tlen)
{
	block_iter *bi = (block_iter *) it;
	uint32_t	left = 0,
				right;

	if (bi->status != LSM_OK || bi->nrestarts == 0)
	{
		block_iter_invalidate(bi);
		return;
	}
	if (bi->ikeys && tlen < LSM_TRAILER_SIZE)
	{
		block_iter_corrupt(bi, LSM_INVALID);
		return;
	}
	right = bi->nrestarts - 1;
	while (left < right)
	{
		uint32_t	mid = left + (right - left + 1) / 2;
		uint64_t	shared,
					non_shared,
					vlen;
		const char *rest;

		if (!decode_entry(bi->data + restart_point(bi, mid),
						  bi->data + bi->restarts_off,
						  &shared, &non_shared, &vlen, &rest) || shared != 0)
		{
			block_iter_corrupt(bi, LSM_CORRUPT);
			return;
		}
		if (block_compare(bi, rest, (size_t) non_shared, target, tlen) < 0)
			left = mid;
		else
			right = mid - 1;
	}
	seek_to_restart(bi, left);
	while (parse_next(bi))
	{
		if (block_compare(bi, bi->key, bi->key_len, target, tlen) >= 0)
			return;
	}
}

static void
block_iter_next(lsm_iter *it)
{
	block_iter *bi = (block_iter *) it;

	if (!block_iter_valid(it))
		return;
	parse_next(bi);
}

/*
 * Step back: rescan from the restart point before the current entry up to
 * the entry that ends where the current one starts.
 */
static void
block_iter_prev(lsm_iter *it)
{
	block_iter *bi = (block_iter *) it;
	size_t		original = bi->current;
	uint32_t	ri;

	if (!block_iter_valid(it))
		return;
	ri = bi->restart_index;
	while (restart_point(bi, ri) >= original)
	{
		if (ri == 0)
		{
			block_iter_invalidate(bi);
			return;
		}
		ri--;
	}
	seek_to_restart(bi, ri);
	while (parse_next(bi) && bi->next_off < original)
		;
}

static const char *
block_iter_key(lsm_iter *it, size_t *len)
{
	block_iter *bi = (block_iter *) it;

	*len = bi->key_len;
	return bi->key;
}

static const char *
block_iter_value(lsm_iter *it, size_t *len)
{
	block_iter *bi = (block_iter *) it;

	*len = bi->val_len;
	return bi->val;
}

static lsm_status
block_iter_status(lsm_iter *it)
{
	return ((block_iter *) it)->status;
}

static void
block_iter_destroy(lsm_iter *it)
{
	block_iter *bi = (block_iter *) it;
	const lsm_allocator *alloc = bi->alloc;

	if (bi->key)
		alloc->free(alloc->ctx, bi->key);
	if (bi->owned && bi->data)
		alloc->free(alloc->ctx, (void *) bi->data);
	alloc->free(alloc->ctx, bi);
}

static const lsm_iter_ops block_iter_ops = {
	.valid = block_iter_valid,
	.seek_first = block_iter_seek_first,
	.seek_last = block_iter_seek_last,
	.seek = block_iter_seek,
	.next = block_iter_next,
	.prev = block_iter_prev,
	.key = block_iter_key,
	.value = block_iter_value,
	.status = block_iter_status,
	.destroy = block_iter_destroy,
};

/*
 * Validate the block and wrap it in an iterator.  On failure an owned data
 * buffer is freed here too, so the caller never has to guess whether
 * ownership passed.
 */
static lsm_iter *
block_iter_new(const lsm_allocator *alloc, const lsm_comparator *cmp,
			   bool ikeys, const char *data, size_t len, bool owned,
			   bool validated, lsm_status *st)
{
	block_iter *bi;
	uint32_t	nrestarts;
	size_t		restarts_off;
	uint32_t	i;

	if (len < 4)
		goto corrupt;
	nrestarts = lsm_get_fixed32(data + len - 4);
	if (nrestarts > (len - 4) / 4)
		goto corrupt;
	restarts_off = len - 4 - (size_t) nrestarts * 4;
	if (!validated)
	{
		for (i = 0; i < nrestarts; i++)
		{
			uint32_t	r = lsm_get_fixed32(data + restarts_off + 4 * (size_t) i);

			if (r >= restarts_off ||
				(i > 0 && r <= lsm_get_fixed32(data + restarts_off + 4 * (size_t) (i - 1))))
				goto corrupt;
		}
		if (!validate_block(data, restarts_off, nrestarts, ikeys))
			goto corrupt;
	}

	bi = alloc->alloc(alloc->ctx, sizeof(block_iter));
	if (bi == NULL)
	{
		if (owned)
			alloc->free(alloc->ctx, (void *) data);
		*st = LSM_NOMEM;
		return NULL;
	}
	memset(bi, 0, sizeof(*bi));
	bi->base.ops = &block_iter_ops;
	bi->alloc = alloc;
	bi->cmp = *cmp;
	bi->ikeys = ikeys;
	bi->data = data;
	bi->len = len;
	bi->owned = owned;
	bi->restarts_off = restarts_off;
	bi->nrestarts = nrestarts;
	bi->status = LSM_OK;
	block_iter_invalidate(bi);
	*st = LSM_OK;
	return &bi->base;

corrupt:
	if (owned)
		alloc->free(alloc->ctx, (void *) data);
	*st = LSM_CORRUPT;
	return NULL;
}

lsm_iter *
lsm_block_iter_new(const lsm_allocator *alloc, const lsm_comparator *cmp,
				   bool ikeys, const char *data, size_t len, bool owned,
				   lsm_status *st)
{
	return block_iter_new(alloc, cmp, ikeys, data, len, owned, false, st);
}

/*
 * As lsm_block_iter_new, for a block that an earlier lsm_block_iter_new
 * accepted (same bytes, same ikeys): skips the full validation, which
 * decodes every entry.
 */
lsm_iter *
lsm_block_iter_new_validated(const lsm_allocator *alloc, const lsm_comparator *cmp,
							 bool ikeys, const char *data, size_t len, bool owned,
							 lsm_status *st)
{
	return block_iter_new(alloc, cmp, ikeys, data, len, owned, true, st);
}
