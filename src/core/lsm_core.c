/*-------------------------------------------------------------------------
 *
 * lsm_core.c
 *	  Status strings, the malloc allocator, the bytewise comparator,
 *	  internal-key trailers and the fixed/varint coding helpers.
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_core.h"

#include <stdlib.h>
#include <string.h>

const char *
lsm_status_string(lsm_status st)
{
	switch (st)
	{
		case LSM_OK:
			return "ok";
		case LSM_CORRUPT:
			return "corrupt data";
		case LSM_NOMEM:
			return "out of memory";
		case LSM_IOERR:
			return "I/O error";
		case LSM_INVALID:
			return "invalid argument";
		case LSM_NOTFOUND:
			return "not found";
	}
	return "unknown status";
}

static void *
malloc_alloc(void *ctx, size_t size)
{
	(void) ctx;
	return malloc(size);
}

static void
malloc_free(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

const lsm_allocator lsm_malloc_allocator = {malloc_alloc, malloc_free, NULL};

static int
bytewise_compare(void *arg, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	int			r = n ? memcmp(a, b, n) : 0;

	(void) arg;
	if (r != 0)
		return r;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

const lsm_comparator lsm_bytewise_comparator = {bytewise_compare, NULL};

void
lsm_trailer_encode(char *dst, uint64_t seq, lsm_entry_type type)
{
	lsm_put_fixed64(dst, (seq << 8) | (uint64_t) type);
}

void
lsm_ikey_decode(const char *ikey, size_t len, size_t *ukey_len,
				uint64_t *seq, lsm_entry_type *type)
{
	uint64_t	t = lsm_get_fixed64(ikey + len - LSM_TRAILER_SIZE);

	if (ukey_len)
		*ukey_len = len - LSM_TRAILER_SIZE;
	if (seq)
		*seq = t >> 8;
	if (type)
		*type = (lsm_entry_type) (t & 0xff);
}

int
lsm_ikey_compare(const lsm_comparator *cmp, const char *a, size_t alen,
				 const char *b, size_t blen)
{
	int			r = cmp->compare(cmp->arg, a, alen - LSM_TRAILER_SIZE,
								 b, blen - LSM_TRAILER_SIZE);
	uint64_t	ta,
				tb;

	if (r != 0)
		return r;
	ta = lsm_get_fixed64(a + alen - LSM_TRAILER_SIZE);
	tb = lsm_get_fixed64(b + blen - LSM_TRAILER_SIZE);
	/* newer (larger trailer) first */
	return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

void
lsm_put_fixed32(char *dst, uint32_t v)
{
	unsigned char *p = (unsigned char *) dst;

	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

void
lsm_put_fixed64(char *dst, uint64_t v)
{
	lsm_put_fixed32(dst, (uint32_t) v);
	lsm_put_fixed32(dst + 4, (uint32_t) (v >> 32));
}

uint32_t
lsm_get_fixed32(const char *src)
{
	const unsigned char *p = (const unsigned char *) src;

	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

uint64_t
lsm_get_fixed64(const char *src)
{
	return (uint64_t) lsm_get_fixed32(src) |
		((uint64_t) lsm_get_fixed32(src + 4) << 32);
}

void
lsm_put_be64(char *dst, uint64_t v)
{
	int			i;

	for (i = 7; i >= 0; i--)
	{
		dst[i] = (char) (v & 0xff);
		v >>= 8;
	}
}

uint64_t
lsm_get_be64(const char *src)
{
	const unsigned char *p = (const unsigned char *) src;
	uint64_t	v = 0;
	int			i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int
lsm_put_varint64(char *dst, uint64_t v)
{
	unsigned char *p = (unsigned char *) dst;
	int			n = 0;

	while (v >= 0x80)
	{
		p[n++] = (unsigned char) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char) v;
	return n;
}

int
lsm_get_varint64(const char *src, const char *limit, uint64_t *v)
{
	const unsigned char *p = (const unsigned char *) src;
	const unsigned char *end = (const unsigned char *) limit;
	uint64_t	result = 0;
	int			shift;

	for (shift = 0; shift <= 63 && p < end; shift += 7)
	{
		uint64_t	byte = *p++;

		if (byte & 0x80)
			result |= (byte & 0x7f) << shift;
		else
		{
			result |= byte << shift;
			*v = result;
			return (int) (p - (const unsigned char *) src);
		}
	}
	return 0;
}
