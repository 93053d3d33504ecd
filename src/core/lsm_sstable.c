/*-------------------------------------------------------------------------
 *
 * lsm_sstable.c
 *	  SSTable builder, reader and two-level iterator (format in
 *	  lsm_sstable.h).
 *
 * Every block goes through write_block / read_block_internal, which own
 * the block trailer: compression choice, XXH32 checksum, and on the read
 * side bounds checks, checksum verification and decompression.  Nothing
 * else in the reader looks at bytes that have not passed a checksum.
 *
 * zstd contexts are created with a custom allocator that forwards to the
 * lsm_allocator, so that in the server zstd's memory lives in the caller's
 * memory context and goes away with it if an ERROR escapes.
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_sstable.h"

#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_customMem */
#include <zstd.h>
#define XXH_STATIC_LINKING_ONLY		/* XXH32_state_t on the stack */
#include <xxhash.h>

#include "lsm_block.h"
#include "lsm_bloom.h"

/* Largest decompressed block the reader accepts. */
#define LSM_SST_MAX_BLOCK_SIZE ((uint64_t) 1 << 30)

/* Size of a block handle in the index block and the footer. */
#define HANDLE_SIZE 16

/* Props block tags.  On disk: do not renumber. */
enum
{
	PROP_NUM_ENTRIES = 1,
	PROP_NUM_DELETES = 2,
	PROP_NUM_DATA_BLOCKS = 3,
	PROP_RAW_KEY_BYTES = 4,
	PROP_RAW_VALUE_BYTES = 5,
	PROP_MIN_SEQ = 6,
	PROP_MAX_SEQ = 7,
	PROP_BLOOM_FP_RATE = 8,
	PROP_COMPRESSION = 9,
	PROP_MIN_KEY = 10,
	PROP_MAX_KEY = 11,
	PROP_MAX_TAG = 11
};

/* Tags 1..9 must be present; the key tags iff num_entries > 0. */
#define PROP_REQUIRED_MASK 0x3fe

void
lsm_sst_options_default(lsm_sst_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->cmp = lsm_bytewise_comparator;
	opts->block_size = 4096;
	opts->restart_interval = 16;
	opts->compression = LSM_COMPRESSION_ZSTD;
	opts->zstd_level = 3;
	opts->bloom_fp_rate = 0.01;
	opts->bloom_prefix = NULL;
	opts->bloom_prefix_arg = NULL;
}

/* ----------------------------------------------------------------
 *		Shared helpers
 * ----------------------------------------------------------------
 */

static void *
zstd_alloc(void *opaque, size_t size)
{
	const lsm_allocator *a = opaque;

	return a->alloc(a->ctx, size);
}

static void
zstd_free(void *opaque, void *ptr)
{
	const lsm_allocator *a = opaque;

	if (ptr)
		a->free(a->ctx, ptr);
}

static ZSTD_customMem
zstd_mem(const lsm_allocator *alloc)
{
	ZSTD_customMem m;

	m.customAlloc = zstd_alloc;
	m.customFree = zstd_free;
	m.opaque = (void *) alloc;
	return m;
}

/* XXH32 of a block's contents followed by its compression byte. */
static uint32_t
block_checksum(const char *contents, size_t n, unsigned char compression)
{
	XXH32_state_t state;

	XXH32_reset(&state, 0);
	XXH32_update(&state, contents, n);
	XXH32_update(&state, &compression, 1);
	return (uint32_t) XXH32_digest(&state);
}

/* Size of the bloom key of a user key: a prefix, or the whole key. */
static size_t
bloom_key_len(const lsm_sst_options *opts, const char *ukey, size_t len)
{
	size_t		n;

	if (opts->bloom_prefix == NULL)
		return len;
	n = opts->bloom_prefix(opts->bloom_prefix_arg, ukey, len);
	return n < len ? n : len;
}

/*
 * Grow a buffer to at least need bytes, discarding its contents.
 */
static lsm_status
ensure_scratch(const lsm_allocator *alloc, char **buf, size_t *cap, size_t need)
{
	char	   *n;

	if (need <= *cap && *buf != NULL)
		return LSM_OK;
	n = alloc->alloc(alloc->ctx, need ? need : 1);
	if (n == NULL)
		return LSM_NOMEM;
	if (*buf)
		alloc->free(alloc->ctx, *buf);
	*buf = n;
	*cap = need;
	return LSM_OK;
}

/* ----------------------------------------------------------------
 *		Builder
 * ----------------------------------------------------------------
 */

struct lsm_sst_builder
{
	const lsm_allocator *alloc;
	lsm_sst_options opts;
	lsm_sink	sink;
	lsm_block_builder data;
	lsm_block_builder index;
	bool		use_bloom;
	lsm_bloom_builder bloom;
	bool		have_bloom_hash;
	uint64_t	last_bloom_hash;
	uint64_t	offset;			/* bytes appended so far */
	char	   *last_key;		/* last internal key added */
	size_t		last_key_len;
	size_t		last_key_cap;
	lsm_sst_props props;		/* min_key owned; max_key = last_key */
	char	   *cbuf;			/* compression output */
	size_t		cbuf_cap;
	char	   *pbuf;			/* encoded props */
	ZSTD_CCtx  *cctx;
	bool		finished;
	lsm_status	status;			/* sticky: first sink or memory failure */
};

/*
 * Returns NULL when out of memory or when opts names an unknown
 * compression.  The sink is copied; its ctx must outlive the builder.
 */
lsm_sst_builder *
lsm_sst_builder_new(const lsm_allocator *alloc, const lsm_sst_options *opts,
					lsm_sink *sink)
{
	lsm_sst_builder *b;

	if (opts->compression != LSM_COMPRESSION_NONE &&
		opts->compression != LSM_COMPRESSION_ZSTD)
		return NULL;
	b = alloc->alloc(alloc->ctx, sizeof(lsm_sst_builder));
	if (b == NULL)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->alloc = alloc;
	b->opts = *opts;
	b->sink = *sink;
	lsm_block_builder_init(&b->data, alloc, opts->restart_interval);
	/* index blocks are searched by binary search alone: restart every key */
	lsm_block_builder_init(&b->index, alloc, 1);
	b->use_bloom = opts->bloom_fp_rate > 0;
	if (b->use_bloom)
		lsm_bloom_builder_init(&b->bloom, alloc, opts->bloom_fp_rate);
	b->props.min_seq = UINT64_MAX;
	b->props.bloom_fp_rate = b->use_bloom ? opts->bloom_fp_rate : 0;
	b->props.compression = (uint32_t) opts->compression;
	b->status = LSM_OK;
	return b;
}

static lsm_status
sink_append(lsm_sst_builder *b, const char *data, size_t len)
{
	lsm_status	st;

	if (len == 0)
		return LSM_OK;
	st = b->sink.append(b->sink.ctx, data, len);
	if (st != LSM_OK)
		return st;
	b->offset += len;
	return LSM_OK;
}

/*
 * Append one block and its trailer, compressed when the options ask for
 * it and zstd saves at least 1/8 of the size; returns its handle.
 */
static lsm_status
write_block(lsm_sst_builder *b, const char *raw, size_t n, bool compress,
			uint64_t *handle_off, uint64_t *handle_size)
{
	const char *out = raw;
	size_t		outlen = n;
	unsigned char ctype = LSM_COMPRESSION_NONE;
	char		trailer[LSM_BLOCK_TRAILER_SIZE];
	lsm_status	st;

	if (compress && b->opts.compression == LSM_COMPRESSION_ZSTD && n > 0)
	{
		size_t		bound = ZSTD_compressBound(n);
		size_t		csize;

		if (b->cctx == NULL)
		{
			b->cctx = ZSTD_createCCtx_advanced(zstd_mem(b->alloc));
			if (b->cctx == NULL)
				return LSM_NOMEM;
		}
		st = ensure_scratch(b->alloc, &b->cbuf, &b->cbuf_cap, bound);
		if (st != LSM_OK)
			return st;
		csize = ZSTD_compressCCtx(b->cctx, b->cbuf, bound, raw, n,
								  b->opts.zstd_level);
		/* a zstd failure is not fatal: the block is stored as is */
		if (!ZSTD_isError(csize) && csize < n - n / 8)
		{
			out = b->cbuf;
			outlen = csize;
			ctype = LSM_COMPRESSION_ZSTD;
		}
	}

	trailer[0] = (char) ctype;
	lsm_put_fixed32(trailer + 1, block_checksum(out, outlen, ctype));
	*handle_off = b->offset;
	*handle_size = outlen;
	st = sink_append(b, out, outlen);
	if (st == LSM_OK)
		st = sink_append(b, trailer, sizeof(trailer));
	return st;
}

/* Write the pending data block and point an index entry at it. */
static lsm_status
flush_data_block(lsm_sst_builder *b)
{
	const char *contents;
	size_t		len;
	uint64_t	off,
				size;
	char		handle[HANDLE_SIZE];
	lsm_status	st;

	if (lsm_block_builder_empty(&b->data))
		return LSM_OK;
	contents = lsm_block_builder_finish(&b->data, &len);
	if (contents == NULL)
		return b->data.status;
	st = write_block(b, contents, len, true, &off, &size);
	if (st != LSM_OK)
		return st;
	lsm_put_fixed64(handle, off);
	lsm_put_fixed64(handle + 8, size);
	st = lsm_block_builder_add(&b->index, b->last_key, b->last_key_len,
							   handle, sizeof(handle));
	if (st != LSM_OK)
		return st;
	lsm_block_builder_reset(&b->data);
	b->props.num_data_blocks++;
	return LSM_OK;
}

/*
 * Add one entry.  Out-of-order or malformed keys are refused with
 * LSM_INVALID and leave the builder usable; sink and memory failures are
 * sticky and fail every later call.
 */
lsm_status
lsm_sst_builder_add(lsm_sst_builder *b, const char *ikey, size_t klen,
					const char *val, size_t vlen)
{
	uint64_t	seq;
	lsm_entry_type type;
	size_t		ulen;
	lsm_status	st;

	if (b->status != LSM_OK)
		return b->status;
	if (b->finished || klen < LSM_TRAILER_SIZE ||
		klen + vlen > LSM_SST_MAX_ENTRY_SIZE)
		return LSM_INVALID;
	if (b->props.num_entries > 0 &&
		lsm_ikey_compare(&b->opts.cmp, b->last_key, b->last_key_len,
						 ikey, klen) >= 0)
		return LSM_INVALID;

	/* keep every block within what readers accept */
	if (!lsm_block_builder_empty(&b->data) &&
		lsm_block_builder_size_estimate(&b->data) + klen + vlen + 64 >
		LSM_SST_MAX_BLOCK_SIZE)
	{
		st = flush_data_block(b);
		if (st != LSM_OK)
			return b->status = st;
	}

	st = lsm_block_builder_add(&b->data, ikey, klen, val, vlen);
	if (st != LSM_OK)
		return (st == LSM_INVALID) ? st : (b->status = st);

	/* remember the key: index separator, order check and max_key */
	st = ensure_scratch(b->alloc, &b->last_key, &b->last_key_cap,
						klen > b->last_key_cap ? klen * 2 : b->last_key_cap);
	if (st != LSM_OK)
		return b->status = st;
	memcpy(b->last_key, ikey, klen);
	b->last_key_len = klen;

	lsm_ikey_decode(ikey, klen, &ulen, &seq, &type);
	if (b->props.num_entries == 0)
	{
		b->props.min_key = b->alloc->alloc(b->alloc->ctx, klen);
		if (b->props.min_key == NULL)
			return b->status = LSM_NOMEM;
		memcpy(b->props.min_key, ikey, klen);
		b->props.min_key_len = klen;
	}
	b->props.num_entries++;
	if (type == LSM_TYPE_DELETE)
		b->props.num_deletes++;
	b->props.raw_key_bytes += klen;
	b->props.raw_value_bytes += vlen;
	if (seq < b->props.min_seq)
		b->props.min_seq = seq;
	if (seq > b->props.max_seq)
		b->props.max_seq = seq;

	if (b->use_bloom)
	{
		uint64_t	h = lsm_bloom_hash(ikey, bloom_key_len(&b->opts, ikey, ulen));

		/* versions of one key follow each other: add their hash once */
		if (!b->have_bloom_hash || h != b->last_bloom_hash)
		{
			lsm_bloom_builder_add_hash(&b->bloom, h);
			b->last_bloom_hash = h;
			b->have_bloom_hash = true;
		}
	}

	if (lsm_block_builder_size_estimate(&b->data) >= b->opts.block_size)
	{
		st = flush_data_block(b);
		if (st != LSM_OK)
			return b->status = st;
	}
	return LSM_OK;
}

uint64_t
lsm_sst_builder_file_size(const lsm_sst_builder *b)
{
	return b->offset;
}

uint64_t
lsm_sst_builder_num_entries(const lsm_sst_builder *b)
{
	return b->props.num_entries;
}

static int
put_prop_varint(char *dst, int tag, uint64_t v)
{
	char		tmp[10];
	int			n = lsm_put_varint64(tmp, v);
	int			o = 0;

	o += lsm_put_varint64(dst + o, (uint64_t) tag);
	o += lsm_put_varint64(dst + o, (uint64_t) n);
	memcpy(dst + o, tmp, n);
	return o + n;
}

static size_t
put_prop_bytes(char *dst, int tag, const char *data, size_t len)
{
	size_t		o = 0;

	o += lsm_put_varint64(dst + o, (uint64_t) tag);
	o += lsm_put_varint64(dst + o, (uint64_t) len);
	memcpy(dst + o, data, len);
	return o + len;
}

/* Encode b->props per the props grammar in lsm_sstable.h. */
static lsm_status
encode_props(lsm_sst_builder *b, size_t *len)
{
	const lsm_sst_props *p = &b->props;
	size_t		cap = 9 * 21 + 2 * 20 + p->min_key_len + p->max_key_len + 16;
	size_t		o = 0;
	uint64_t	fpbits;
	char		fp[8];

	b->pbuf = b->alloc->alloc(b->alloc->ctx, cap);
	if (b->pbuf == NULL)
		return LSM_NOMEM;
	o += put_prop_varint(b->pbuf + o, PROP_NUM_ENTRIES, p->num_entries);
	o += put_prop_varint(b->pbuf + o, PROP_NUM_DELETES, p->num_deletes);
	o += put_prop_varint(b->pbuf + o, PROP_NUM_DATA_BLOCKS, p->num_data_blocks);
	o += put_prop_varint(b->pbuf + o, PROP_RAW_KEY_BYTES, p->raw_key_bytes);
	o += put_prop_varint(b->pbuf + o, PROP_RAW_VALUE_BYTES, p->raw_value_bytes);
	o += put_prop_varint(b->pbuf + o, PROP_MIN_SEQ, p->min_seq);
	o += put_prop_varint(b->pbuf + o, PROP_MAX_SEQ, p->max_seq);
	memcpy(&fpbits, &p->bloom_fp_rate, sizeof(fpbits));
	lsm_put_fixed64(fp, fpbits);
	o += put_prop_bytes(b->pbuf + o, PROP_BLOOM_FP_RATE, fp, sizeof(fp));
	o += put_prop_varint(b->pbuf + o, PROP_COMPRESSION, p->compression);
	if (p->num_entries > 0)
	{
		o += put_prop_bytes(b->pbuf + o, PROP_MIN_KEY, p->min_key, p->min_key_len);
		o += put_prop_bytes(b->pbuf + o, PROP_MAX_KEY, p->max_key, p->max_key_len);
	}
	*len = o;
	return LSM_OK;
}

/*
 * Write the last data block, the index, bloom and props blocks and the
 * footer.  The index, bloom and props blocks are never compressed: they
 * are read once at open, and the bloom filter is incompressible anyway.
 */
lsm_status
lsm_sst_builder_finish(lsm_sst_builder *b, const lsm_sst_props **props,
					   uint64_t *file_size)
{
	uint64_t	handles[6];
	const char *contents;
	size_t		len;
	char	   *filter = NULL;
	size_t		flen = 0;
	char		footer[LSM_SST_FOOTER_SIZE];
	int			i;
	lsm_status	st;

	if (b->status != LSM_OK)
		return b->status;
	if (b->finished)
		return LSM_INVALID;

	st = flush_data_block(b);
	if (st != LSM_OK)
		return b->status = st;

	contents = lsm_block_builder_finish(&b->index, &len);
	if (contents == NULL)
		return b->status = b->index.status;
	st = write_block(b, contents, len, false, &handles[0], &handles[1]);
	if (st != LSM_OK)
		return b->status = st;

	if (b->use_bloom)
	{
		st = lsm_bloom_builder_finish(&b->bloom, &filter, &flen);
		if (st != LSM_OK)
			return b->status = st;
	}
	st = write_block(b, filter ? filter : "", flen, false, &handles[2], &handles[3]);
	if (filter)
		b->alloc->free(b->alloc->ctx, filter);
	if (st != LSM_OK)
		return b->status = st;

	if (b->props.num_entries == 0)
		b->props.min_seq = 0;
	else
	{
		b->props.max_key = b->last_key;
		b->props.max_key_len = b->last_key_len;
	}
	st = encode_props(b, &len);
	if (st != LSM_OK)
		return b->status = st;
	st = write_block(b, b->pbuf, len, false, &handles[4], &handles[5]);
	if (st != LSM_OK)
		return b->status = st;

	for (i = 0; i < 6; i++)
		lsm_put_fixed64(footer + 8 * i, handles[i]);
	lsm_put_fixed32(footer + 48, LSM_SST_FORMAT_VERSION);
	lsm_put_fixed32(footer + 52, (uint32_t) XXH32(footer, 52, 0));
	lsm_put_fixed64(footer + 56, LSM_SST_MAGIC);
	st = sink_append(b, footer, sizeof(footer));
	if (st != LSM_OK)
		return b->status = st;

	b->finished = true;
	if (props)
		*props = &b->props;
	if (file_size)
		*file_size = b->offset;
	return LSM_OK;
}

void
lsm_sst_builder_free(lsm_sst_builder *b)
{
	const lsm_allocator *alloc;

	if (b == NULL)
		return;
	alloc = b->alloc;
	lsm_block_builder_free(&b->data);
	lsm_block_builder_free(&b->index);
	if (b->use_bloom)
		lsm_bloom_builder_free(&b->bloom);
	if (b->cctx)
		ZSTD_freeCCtx(b->cctx);
	if (b->cbuf)
		alloc->free(alloc->ctx, b->cbuf);
	if (b->pbuf)
		alloc->free(alloc->ctx, b->pbuf);
	if (b->last_key)
		alloc->free(alloc->ctx, b->last_key);
	if (b->props.min_key)
		alloc->free(alloc->ctx, b->props.min_key);
	alloc->free(alloc->ctx, b);
}

/* ----------------------------------------------------------------
 *		Reading blocks
 * ----------------------------------------------------------------
 */

/*
 * Read the block at [offset, offset + size + trailer), which must end at
 * or before limit; verify its checksum and decompress it.  *dctx is created
 * on the first compressed block and left for the caller to free, so a
 * reader can reuse one context for all its blocks.
 */
static lsm_status
read_block_internal(const lsm_allocator *alloc, const lsm_file *file,
					uint64_t limit, uint64_t offset, uint64_t size,
					ZSTD_DCtx **dctx, char **out, size_t *outlen)
{
	char	   *buf;
	char	   *raw;
	unsigned char ctype;
	unsigned long long rawsize;
	size_t		n;
	lsm_status	st;

	if (limit > file->size || offset > limit ||
		size > limit - offset ||
		limit - offset - size < LSM_BLOCK_TRAILER_SIZE ||
		size > LSM_SST_MAX_BLOCK_SIZE)
		return LSM_CORRUPT;

	buf = alloc->alloc(alloc->ctx, (size_t) size + LSM_BLOCK_TRAILER_SIZE);
	if (buf == NULL)
		return LSM_NOMEM;
	st = file->read(file->ctx, offset, (size_t) size + LSM_BLOCK_TRAILER_SIZE, buf);
	if (st != LSM_OK)
		goto fail;
	ctype = (unsigned char) buf[size];
	if (block_checksum(buf, (size_t) size, ctype) != lsm_get_fixed32(buf + size + 1))
	{
		st = LSM_CORRUPT;
		goto fail;
	}
	if (ctype == LSM_COMPRESSION_NONE)
	{
		*out = buf;
		*outlen = (size_t) size;
		return LSM_OK;
	}
	if (ctype != LSM_COMPRESSION_ZSTD)
	{
		st = LSM_CORRUPT;
		goto fail;
	}

	rawsize = ZSTD_getFrameContentSize(buf, (size_t) size);
	if (rawsize == ZSTD_CONTENTSIZE_UNKNOWN || rawsize == ZSTD_CONTENTSIZE_ERROR ||
		rawsize > LSM_SST_MAX_BLOCK_SIZE)
	{
		st = LSM_CORRUPT;
		goto fail;
	}
	if (*dctx == NULL)
	{
		*dctx = ZSTD_createDCtx_advanced(zstd_mem(alloc));
		if (*dctx == NULL)
		{
			st = LSM_NOMEM;
			goto fail;
		}
	}
	raw = alloc->alloc(alloc->ctx, rawsize ? (size_t) rawsize : 1);
	if (raw == NULL)
	{
		st = LSM_NOMEM;
		goto fail;
	}
	n = ZSTD_decompressDCtx(*dctx, raw, (size_t) rawsize, buf, (size_t) size);
	alloc->free(alloc->ctx, buf);
	if (ZSTD_isError(n) || n != rawsize)
	{
		alloc->free(alloc->ctx, raw);
		return LSM_CORRUPT;
	}
	*out = raw;
	*outlen = (size_t) rawsize;
	return LSM_OK;

fail:
	alloc->free(alloc->ctx, buf);
	return st;
}

lsm_status
lsm_sst_read_block(const lsm_allocator *alloc, const lsm_file *file,
				   uint64_t offset, uint64_t size, char **out, size_t *outlen)
{
	ZSTD_DCtx  *dctx = NULL;
	lsm_status	st;

	st = read_block_internal(alloc, file, file->size, offset, size, &dctx,
							 out, outlen);
	if (dctx)
		ZSTD_freeDCtx(dctx);
	return st;
}

/* ----------------------------------------------------------------
 *		Reader
 * ----------------------------------------------------------------
 */

/*
 * A few verified, decompressed data blocks kept by the reader, so that
 * iterators created one after another (point lookups) do not read,
 * checksum and decompress the same block again.  An iterator positioned
 * on a cached block holds a reference; only unreferenced entries are
 * evicted (least recently used first).
 */
#define SST_BLOCK_CACHE 8

typedef struct sst_cached_block
{
	uint64_t	off;
	char	   *data;			/* NULL: empty entry */
	size_t		len;
	uint32_t	refs;
	bool		validated;		/* a block iterator accepted it */
	uint64_t	last_use;
} sst_cached_block;

struct lsm_sst_reader
{
	const lsm_allocator *alloc;
	lsm_sst_options opts;
	lsm_file	file;
	uint64_t	index_off;		/* also the end of the data blocks */
	char	   *index_data;
	size_t		index_len;
	uint64_t	bloom_off;
	char	   *bloom;
	size_t		bloom_len;
	lsm_sst_props props;
	ZSTD_DCtx  *dctx;			/* shared by the reader's iterators */
	sst_cached_block cache[SST_BLOCK_CACHE];
	uint64_t	clock;
};

/*
 * Parse the props block.  Integer props are varints that fill their value
 * exactly; unknown tags are skipped so that later versions can add props.
 */
static lsm_status
decode_props(lsm_sst_reader *r, const char *p, size_t len)
{
	const char *limit = p + len;
	uint32_t	seen = 0;
	lsm_sst_props *props = &r->props;

	while (p < limit)
	{
		uint64_t	tag,
					vlen,
					v = 0;
		int			n;

		if ((n = lsm_get_varint64(p, limit, &tag)) == 0)
			return LSM_CORRUPT;
		p += n;
		if ((n = lsm_get_varint64(p, limit, &vlen)) == 0)
			return LSM_CORRUPT;
		p += n;
		if (vlen > (uint64_t) (limit - p))
			return LSM_CORRUPT;
		if (tag > PROP_MAX_TAG || tag == 0)
		{
			p += vlen;
			continue;			/* a prop from a later version */
		}
		if (seen & (1u << tag))
			return LSM_CORRUPT;
		seen |= 1u << tag;

		if (tag == PROP_BLOOM_FP_RATE)
		{
			uint64_t	bits;

			if (vlen != 8)
				return LSM_CORRUPT;
			bits = lsm_get_fixed64(p);
			memcpy(&props->bloom_fp_rate, &bits, sizeof(bits));
		}
		else if (tag == PROP_MIN_KEY || tag == PROP_MAX_KEY)
		{
			char	   *k;

			if (vlen < LSM_TRAILER_SIZE)
				return LSM_CORRUPT;
			k = r->alloc->alloc(r->alloc->ctx, (size_t) vlen);
			if (k == NULL)
				return LSM_NOMEM;
			memcpy(k, p, (size_t) vlen);
			if (tag == PROP_MIN_KEY)
			{
				props->min_key = k;
				props->min_key_len = (size_t) vlen;
			}
			else
			{
				props->max_key = k;
				props->max_key_len = (size_t) vlen;
			}
		}
		else
		{
			if (lsm_get_varint64(p, p + vlen, &v) != (int) vlen)
				return LSM_CORRUPT;
			switch (tag)
			{
				case PROP_NUM_ENTRIES:
					props->num_entries = v;
					break;
				case PROP_NUM_DELETES:
					props->num_deletes = v;
					break;
				case PROP_NUM_DATA_BLOCKS:
					props->num_data_blocks = v;
					break;
				case PROP_RAW_KEY_BYTES:
					props->raw_key_bytes = v;
					break;
				case PROP_RAW_VALUE_BYTES:
					props->raw_value_bytes = v;
					break;
				case PROP_MIN_SEQ:
					props->min_seq = v;
					break;
				case PROP_MAX_SEQ:
					props->max_seq = v;
					break;
				case PROP_COMPRESSION:
					if (v > LSM_COMPRESSION_ZSTD)
						return LSM_CORRUPT;
					props->compression = (uint32_t) v;
					break;
			}
		}
		p += vlen;
	}

	if ((seen & PROP_REQUIRED_MASK) != PROP_REQUIRED_MASK)
		return LSM_CORRUPT;
	if (props->num_entries > 0)
	{
		if (!(seen & (1u << PROP_MIN_KEY)) || !(seen & (1u << PROP_MAX_KEY)) ||
			props->min_seq > props->max_seq)
			return LSM_CORRUPT;
	}
	else if (seen & ((1u << PROP_MIN_KEY) | (1u << PROP_MAX_KEY)))
		return LSM_CORRUPT;
	if (props->num_deletes > props->num_entries)
		return LSM_CORRUPT;
	return LSM_OK;
}

/*
 * Walk the index once at open: every handle must be 16 bytes and point
 * into the data region in increasing order, and there must be as many as
 * props says.  Iterators then only meet blocks whose bounds are sane.
 */
static lsm_status
check_index(lsm_sst_reader *r)
{
	lsm_status	st;
	lsm_iter   *it;
	uint64_t	count = 0;
	uint64_t	next_min = 0;

	it = lsm_block_iter_new(r->alloc, &r->opts.cmp, true, r->index_data,
							r->index_len, false, &st);
	if (it == NULL)
		return st;
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		vlen;
		const char *v = lsm_iter_value(it, &vlen);
		uint64_t	off,
					size;

		if (vlen != HANDLE_SIZE)
			break;
		off = lsm_get_fixed64(v);
		size = lsm_get_fixed64(v + 8);
		if (off < next_min || off > r->index_off ||
			size > r->index_off - off ||
			r->index_off - off - size < LSM_BLOCK_TRAILER_SIZE)
			break;
		next_min = off + size + LSM_BLOCK_TRAILER_SIZE;
		count++;
	}
	st = lsm_iter_status(it);
	if (st == LSM_OK && (lsm_iter_valid(it) || count != r->props.num_data_blocks))
		st = LSM_CORRUPT;
	lsm_iter_destroy(it);
	return st;
}

lsm_status
lsm_sst_reader_open(const lsm_allocator *alloc, const lsm_sst_options *opts,
					const lsm_file *file, lsm_sst_reader **reader,
					uint64_t *bad_offset)
{
	lsm_sst_reader *r;
	char		footer[LSM_SST_FOOTER_SIZE];
	uint64_t	footer_off;
	uint64_t	h[6];
	uint64_t	bad = 0;
	char	   *props_data = NULL;
	size_t		props_len;
	int			i;
	lsm_status	st;

	*reader = NULL;
	if (file->size < LSM_SST_FOOTER_SIZE)
	{
		if (bad_offset)
			*bad_offset = 0;
		return LSM_CORRUPT;
	}
	footer_off = file->size - LSM_SST_FOOTER_SIZE;
	st = file->read(file->ctx, footer_off, LSM_SST_FOOTER_SIZE, footer);
	if (st != LSM_OK)
		return st;
	if (lsm_get_fixed64(footer + 56) != LSM_SST_MAGIC ||
		lsm_get_fixed32(footer + 52) != (uint32_t) XXH32(footer, 52, 0) ||
		lsm_get_fixed32(footer + 48) != LSM_SST_FORMAT_VERSION)
	{
		if (bad_offset)
			*bad_offset = footer_off;
		return LSM_CORRUPT;
	}
	for (i = 0; i < 6; i++)
		h[i] = lsm_get_fixed64(footer + 8 * i);

	r = alloc->alloc(alloc->ctx, sizeof(lsm_sst_reader));
	if (r == NULL)
		return LSM_NOMEM;
	memset(r, 0, sizeof(*r));
	r->alloc = alloc;
	r->opts = *opts;
	r->file = *file;
	r->index_off = h[0];
	r->bloom_off = h[2];

	/* the index, bloom and props blocks follow each other in that order */
	if (h[2] < h[0] || h[4] < h[2])
	{
		bad = footer_off;
		st = LSM_CORRUPT;
		goto fail;
	}
	bad = h[0];
	st = read_block_internal(alloc, file, footer_off, h[0], h[1], &r->dctx,
							 &r->index_data, &r->index_len);
	if (st != LSM_OK)
		goto fail;
	bad = h[2];
	st = read_block_internal(alloc, file, footer_off, h[2], h[3], &r->dctx,
							 &r->bloom, &r->bloom_len);
	if (st != LSM_OK)
		goto fail;
	bad = h[4];
	st = read_block_internal(alloc, file, footer_off, h[4], h[5], &r->dctx,
							 &props_data, &props_len);
	if (st != LSM_OK)
		goto fail;
	st = decode_props(r, props_data, props_len);
	alloc->free(alloc->ctx, props_data);
	if (st != LSM_OK)
		goto fail;
	bad = h[0];
	st = check_index(r);
	if (st != LSM_OK)
		goto fail;

	*reader = r;
	return LSM_OK;

fail:
	if (bad_offset && st == LSM_CORRUPT)
		*bad_offset = bad;
	lsm_sst_reader_close(r);
	return st;
}

const lsm_sst_props *
lsm_sst_reader_props(const lsm_sst_reader *r)
{
	return &r->props;
}

/* An SSTable built without a filter has an empty bloom block. */
bool
lsm_sst_reader_may_contain(const lsm_sst_reader *r, const char *ukey, size_t len)
{
	if (r->bloom_len == 0)
		return true;
	return lsm_bloom_may_contain(r->bloom, r->bloom_len, ukey,
								 bloom_key_len(&r->opts, ukey, len));
}

void
lsm_sst_reader_close(lsm_sst_reader *r)
{
	const lsm_allocator *alloc;

	if (r == NULL)
		return;
	alloc = r->alloc;
	if (r->index_data)
		alloc->free(alloc->ctx, r->index_data);
	if (r->bloom)
		alloc->free(alloc->ctx, r->bloom);
	if (r->props.min_key)
		alloc->free(alloc->ctx, r->props.min_key);
	if (r->props.max_key)
		alloc->free(alloc->ctx, r->props.max_key);
	if (r->dctx)
		ZSTD_freeDCtx(r->dctx);
	for (int i = 0; i < SST_BLOCK_CACHE; i++)
		if (r->cache[i].data)
			alloc->free(alloc->ctx, r->cache[i].data);
	alloc->free(alloc->ctx, r);
}

/* ----------------------------------------------------------------
 *		Two-level iterator: index block -> data blocks
 * ----------------------------------------------------------------
 */

typedef struct sst_iter
{
	lsm_iter	base;
	lsm_sst_reader *r;
	lsm_iter   *index;			/* over r->index_data, not owned */
	lsm_iter   *data;			/* current data block */
	int			cached;			/* its entry in r->cache, or -1 if it owns
								 * its bytes */
	uint64_t	data_off;
	lsm_status	status;
	uint64_t	bad_offset;
} sst_iter;

static void
drop_data(sst_iter *si)
{
	if (si->data)
		lsm_iter_destroy(si->data);
	si->data = NULL;
	if (si->cached >= 0)
		si->r->cache[si->cached].refs--;
	si->cached = -1;
}

/* The cached copy of the block at off, or -1. */
static int
cache_lookup(lsm_sst_reader *r, uint64_t off)
{
	int			i;

	for (i = 0; i < SST_BLOCK_CACHE; i++)
		if (r->cache[i].data != NULL && r->cache[i].off == off)
		{
			r->cache[i].last_use = ++r->clock;
			return i;
		}
	return -1;
}

/*
 * Keep buf (allocated with r->alloc) as the cached block at off; returns
 * its entry, or -1 if every entry is in use (the caller keeps buf).
 */
static int
cache_insert(lsm_sst_reader *r, uint64_t off, char *buf, size_t len)
{
	int			i;
	int			victim = -1;

	for (i = 0; i < SST_BLOCK_CACHE; i++)
	{
		if (r->cache[i].refs > 0)
			continue;
		if (r->cache[i].data == NULL)
		{
			victim = i;
			break;
		}
		if (victim < 0 || r->cache[i].last_use < r->cache[victim].last_use)
			victim = i;
	}
	if (victim < 0)
		return -1;
	if (r->cache[victim].data != NULL)
		r->alloc->free(r->alloc->ctx, r->cache[victim].data);
	r->cache[victim].off = off;
	r->cache[victim].data = buf;
	r->cache[victim].len = len;
	r->cache[victim].refs = 0;
	r->cache[victim].validated = false;
	r->cache[victim].last_use = ++r->clock;
	return victim;
}

static void
set_error(sst_iter *si, lsm_status st, uint64_t offset)
{
	if (si->status == LSM_OK)
	{
		si->status = st;
		si->bad_offset = offset;
	}
	drop_data(si);
}

/*
 * Make si->data iterate the block the index is positioned on, reusing the
 * loaded block if it is the same one.  Returns false when the index is
 * exhausted or on error (status set).
 */
static bool
load_data(sst_iter *si)
{
	size_t		vlen;
	const char *v;
	uint64_t	off,
				size;
	char	   *buf;
	size_t		len;
	lsm_status	st;

	if (!lsm_iter_valid(si->index))
	{
		st = lsm_iter_status(si->index);
		if (st != LSM_OK)
			set_error(si, st, si->r->index_off);
		drop_data(si);
		return false;
	}
	v = lsm_iter_value(si->index, &vlen);
	if (vlen != HANDLE_SIZE)
	{
		set_error(si, LSM_CORRUPT, si->r->index_off);
		return false;
	}
	off = lsm_get_fixed64(v);
	size = lsm_get_fixed64(v + 8);
	if (si->data != NULL && si->data_off == off)
		return true;
	drop_data(si);
	{
		int			c = cache_lookup(si->r, off);

		if (c < 0)
		{
			st = read_block_internal(si->r->alloc, &si->r->file, si->r->index_off,
									 off, size, &si->r->dctx, &buf, &len);
			if (st != LSM_OK)
			{
				set_error(si, st, off);
				return false;
			}
			c = cache_insert(si->r, off, buf, len);
		}
		if (c >= 0)
		{
			sst_cached_block *cb = &si->r->cache[c];

			if (cb->validated)
				si->data = lsm_block_iter_new_validated(si->r->alloc, &si->r->opts.cmp,
														true, cb->data, cb->len,
														false, &st);
			else
				si->data = lsm_block_iter_new(si->r->alloc, &si->r->opts.cmp, true,
											  cb->data, cb->len, false, &st);
			if (si->data != NULL)
			{
				si->cached = c;
				cb->refs++;
				cb->validated = true;
			}
		}
		else
			si->data = lsm_block_iter_new(si->r->alloc, &si->r->opts.cmp, true,
										  buf, len, true, &st);
	}
	if (si->data == NULL)
	{
		set_error(si, st, off);
		return false;
	}
	si->data_off = off;
	return true;
}

/* Check a data iterator that ran off its block for an error. */
static bool
data_failed(sst_iter *si)
{
	lsm_status	st;

	if (si->data == NULL)
		return false;
	st = lsm_iter_status(si->data);
	if (st == LSM_OK)
		return false;
	set_error(si, st, si->data_off);
	return true;
}

static void
skip_forward(sst_iter *si)
{
	while (si->status == LSM_OK && (si->data == NULL || !lsm_iter_valid(si->data)))
	{
		if (data_failed(si))
			return;
		if (!lsm_iter_valid(si->index))
		{
			drop_data(si);
			return;
		}
		lsm_iter_next(si->index);
		if (!load_data(si))
			return;
		lsm_iter_seek_first(si->data);
	}
}

static void
skip_backward(sst_iter *si)
{
	while (si->status == LSM_OK && (si->data == NULL || !lsm_iter_valid(si->data)))
	{
		if (data_failed(si))
			return;
		if (!lsm_iter_valid(si->index))
		{
			drop_data(si);
			return;
		}
		lsm_iter_prev(si->index);
		if (!load_data(si))
			return;
		lsm_iter_seek_last(si->data);
	}
}

static bool
sst_iter_valid(lsm_iter *it)
{
	sst_iter   *si = (sst_iter *) it;

	return si->status == LSM_OK && si->data != NULL && lsm_iter_valid(si->data);
}

static void
sst_iter_seek_first(lsm_iter *it)
{
	sst_iter   *si = (sst_iter *) it;

	if (si->status != LSM_OK)
		return;
	lsm_iter_seek_first(si->index);
	if (load_data(si))
		lsm_iter_seek_first(si->data);
	skip_forward(si);
}

static void
sst_iter_seek_last(lsm_iter *it)
{
	sst_iter   *si = (sst_iter *) it;

	if (si->status != LSM_OK)
		return;
	lsm_iter_seek_last(si->index);
	if (load_data(si))
		lsm_iter_seek_last(si->data);
	skip_backward(si);
}

/*
 * The index maps each block's last key to the block, so the first index
 * entry >= target names the only block that can hold the target.
 */
static void
sst_iter_seek(lsm_iter *it, const char *target, size_t len)
{
	sst_iter   *si = (sst_iter *) it;

	if (si->status != LSM_OK)
		return;
	if (len < LSM_TRAILER_SIZE)
	{
		set_error(si, LSM_INVALID, 0);
		return;
	}
	lsm_iter_seek(si->index, target, len);
	if (load_data(si))
		lsm_iter_seek(si->data, target, len);
	skip_forward(si);
}

static void
sst_iter_next(lsm_iter *it)
{
	sst_iter   *si = (sst_iter *) it;

	if (!sst_iter_valid(it))
		return;
	lsm_iter_next(si->data);
	skip_forward(si);
}

static void
sst_iter_prev(lsm_iter *it)
{
	sst_iter   *si = (sst_iter *) it;

	if (!sst_iter_valid(it))
		return;
	lsm_iter_prev(si->data);
	skip_backward(si);
}

static const char *
sst_iter_key(lsm_iter *it, size_t *len)
{
	return lsm_iter_key(((sst_iter *) it)->data, len);
}

static const char *
sst_iter_value(lsm_iter *it, size_t *len)
{
	return lsm_iter_value(((sst_iter *) it)->data, len);
}

static lsm_status
sst_iter_status(lsm_iter *it)
{
	return ((sst_iter *) it)->status;
}

static void
sst_iter_destroy(lsm_iter *it)
{
	sst_iter   *si = (sst_iter *) it;
	const lsm_allocator *alloc = si->r->alloc;

	drop_data(si);
	lsm_iter_destroy(si->index);
	alloc->free(alloc->ctx, si);
}

static const lsm_iter_ops sst_iter_ops = {
	.valid = sst_iter_valid,
	.seek_first = sst_iter_seek_first,
	.seek_last = sst_iter_seek_last,
	.seek = sst_iter_seek,
	.next = sst_iter_next,
	.prev = sst_iter_prev,
	.key = sst_iter_key,
	.value = sst_iter_value,
	.status = sst_iter_status,
	.destroy = sst_iter_destroy,
};

/* Returns NULL when out of memory.  The reader must outlive the iterator. */
lsm_iter *
lsm_sst_reader_iter(lsm_sst_reader *r)
{
	sst_iter   *si;
	lsm_status	st;

	si = r->alloc->alloc(r->alloc->ctx, sizeof(sst_iter));
	if (si == NULL)
		return NULL;
	memset(si, 0, sizeof(*si));
	si->base.ops = &sst_iter_ops;
	si->r = r;
	si->status = LSM_OK;
	si->cached = -1;
	/* the index block was validated when the reader was opened */
	si->index = lsm_block_iter_new_validated(r->alloc, &r->opts.cmp, true, r->index_data,
											 r->index_len, false, &st);
	if (si->index == NULL)
	{
		r->alloc->free(r->alloc->ctx, si);
		return NULL;
	}
	return &si->base;
}

uint64_t
lsm_sst_iter_bad_offset(lsm_iter *it)
{
	return ((sst_iter *) it)->bad_offset;
}
