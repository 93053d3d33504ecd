/*
 * lsm_test_mem.h
 *	  In-memory storage and memory accounting for the core unit tests:
 *	  a growable byte buffer usable as an lsm_sink and an lsm_file, and an
 *	  allocator that counts live allocations (to catch leaks without
 *	  valgrind) and can be told to fail after N allocations.
 *
 * Header-only (static functions) so each test program stays a single .c
 * file for `make core-check`.
 */
#ifndef LSM_TEST_MEM_H
#define LSM_TEST_MEM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsm_core.h"

/* ---- byte buffer as sink and file ---- */

typedef struct test_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	long		fail_append_after;	/* < 0: never; else appends left */
	long		fail_read_after;	/* < 0: never; else reads left */
} test_buf;

static inline void
test_buf_init(test_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->fail_append_after = -1;
	b->fail_read_after = -1;
}

static inline void
test_buf_free(test_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static lsm_status
test_buf_append(void *ctx, const char *data, size_t len)
{
	test_buf   *b = ctx;

	if (b->fail_append_after == 0)
		return LSM_IOERR;
	if (b->fail_append_after > 0)
		b->fail_append_after--;
	if (b->len + len > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 1024;

		while (cap < b->len + len)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return LSM_OK;
}

static lsm_status
test_buf_read(void *ctx, uint64_t offset, size_t len, char *dst)
{
	test_buf   *b = ctx;

	if (b->fail_read_after == 0)
		return LSM_IOERR;
	if (b->fail_read_after > 0)
		b->fail_read_after--;
	if (offset > b->len || len > b->len - offset)
	{
		fprintf(stderr, "  test_buf_read out of range: %llu + %zu > %zu\n",
				(unsigned long long) offset, len, b->len);
		abort();
	}
	memcpy(dst, b->data + offset, len);
	return LSM_OK;
}

static inline lsm_sink
test_buf_sink(test_buf *b)
{
	lsm_sink	s;

	s.append = test_buf_append;
	s.ctx = b;
	return s;
}

static inline lsm_file
test_buf_file(test_buf *b)
{
	lsm_file	f;

	f.read = test_buf_read;
	f.size = b->len;
	f.ctx = b;
	return f;
}

/* ---- counting allocator ---- */

typedef struct test_alloc_state
{
	long		live;			/* allocations not yet freed */
	long		total;
	long		fail_after;		/* < 0: never fail; else allocations left */
} test_alloc_state;

static void *
test_alloc_fn(void *ctx, size_t size)
{
	test_alloc_state *s = ctx;

	if (s->fail_after == 0)
		return NULL;
	if (s->fail_after > 0)
		s->fail_after--;
	s->live++;
	s->total++;
	return malloc(size);
}

static void
test_free_fn(void *ctx, void *ptr)
{
	test_alloc_state *s = ctx;

	if (ptr == NULL)
	{
		fprintf(stderr, "  allocator free(NULL)\n");
		abort();
	}
	s->live--;
	free(ptr);
}

static test_alloc_state test_alloc_st = {0, 0, -1};
static const lsm_allocator test_alloc = {test_alloc_fn, test_free_fn, &test_alloc_st};

/* ---- deterministic PRNG (xorshift64*) ---- */

static uint64_t test_rng_state = 88172645463325252ULL;

static inline void
test_srand(uint64_t seed)
{
	test_rng_state = seed ? seed : 1;
}

static inline uint64_t
test_rand(void)
{
	test_rng_state ^= test_rng_state >> 12;
	test_rng_state ^= test_rng_state << 25;
	test_rng_state ^= test_rng_state >> 27;
	return test_rng_state * 2685821657736338717ULL;
}

/* Uniform in [0, n). */
static inline uint64_t
test_rand_below(uint64_t n)
{
	return n ? test_rand() % n : 0;
}

/* Internal key "ukey" + trailer(seq, type) into dst; returns its length. */
static inline size_t
test_ikey(char *dst, const char *ukey, size_t ulen, uint64_t seq,
		  lsm_entry_type type)
{
	memcpy(dst, ukey, ulen);
	lsm_trailer_encode(dst + ulen, seq, type);
	return ulen + LSM_TRAILER_SIZE;
}

#endif
