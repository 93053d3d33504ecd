/*-------------------------------------------------------------------------
 *
 * lsm_sstable.h
 *	  SSTable builder and reader.
 *
 * SSTable format (on disk; a byte stream that the adapter lays onto the
 * pages of a relation):
 *
 *	  sstable    := data_block* index_block bloom_block props_block footer
 *	  xxx_block  := contents[n] uint8(compression) fixed32le(checksum)
 *	  footer     := handle(index) handle(bloom) handle(props)
 *					fixed32le(format_version) fixed32le(footer_checksum)
 *					fixed64le(LSM_SST_MAGIC)			-- 64 bytes in all
 *	  handle     := fixed64le(offset) fixed64le(size)	-- size excludes trailer
 *
 * compression is 0 (none) or 1 (zstd); a block is stored uncompressed when
 * zstd does not save at least 1/8.  checksum is XXH32 (seed 0) of contents
 * and the compression byte, verified on every read.  footer_checksum is
 * XXH32 of the footer's first 52 bytes.
 *
 * Data blocks hold internal keys (lsm_block.h).  The index block maps, for
 * each data block, its last internal key to fixed64le(offset)
 * fixed64le(size) of that block.  The bloom block is an lsm_bloom filter
 * over bloom keys: the user key, or the prefix given by bloom_prefix.
 * The props block (lsm_sst_props) records counts and the key range.
 * Without a bloom filter (bloom_fp_rate <= 0) the bloom block is empty.
 * The index, bloom and props blocks are never compressed.
 *
 *	  props      := prop*
 *	  prop       := varint(tag) varint(len) value[len]
 *
 *	  tag  value (integers are one varint filling value exactly)
 *	   1   num_entries          6  min_seq
 *	   2   num_deletes          7  max_seq
 *	   3   num_data_blocks      8  bloom_fp_rate: fixed64le(IEEE-754 double)
 *	   4   raw_key_bytes        9  compression
 *	   5   raw_value_bytes     10  min_key: internal key bytes
 *	                           11  max_key: internal key bytes
 *
 * Tags 1-9 are required, 10 and 11 present iff num_entries > 0, each tag at
 * most once; the builder writes them in increasing order.  Readers skip
 * unknown tags, so a later version may add props without a format bump.
 * raw_key_bytes counts internal key bytes (trailers included); min_seq and
 * max_seq are 0 in an empty table.
 *
 * Builder call order: lsm_sst_builder_new (add)* finish, then free.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_SSTABLE_H
#define LSM_SSTABLE_H

#include "lsm_core.h"

#define LSM_SST_MAGIC UINT64_C(0x4c534d5353543031)	/* "LSMSST01" */
#define LSM_SST_FORMAT_VERSION 1
#define LSM_SST_FOOTER_SIZE 64
#define LSM_BLOCK_TRAILER_SIZE 5
/* Largest key + value of one entry; larger ones are refused (LSM_INVALID). */
#define LSM_SST_MAX_ENTRY_SIZE ((size_t) 1 << 29)

typedef enum lsm_compression
{
	LSM_COMPRESSION_NONE = 0,
	LSM_COMPRESSION_ZSTD = 1
} lsm_compression;

typedef struct lsm_sst_options
{
	lsm_comparator cmp;
	size_t		block_size;		/* target uncompressed data block size */
	int			restart_interval;
	lsm_compression compression;
	int			zstd_level;
	double		bloom_fp_rate;	/* <= 0 disables the bloom filter */
	/* Length of the bloom key prefix of a user key; NULL = whole key. */
	size_t		(*bloom_prefix) (void *arg, const char *ukey, size_t len);
	void	   *bloom_prefix_arg;
} lsm_sst_options;

/* Fill opts with defaults: bytewise, 4 KiB blocks, 16, zstd level 3, 1%. */
extern void lsm_sst_options_default(lsm_sst_options *opts);

/* Statistics of an SSTable, stored in its props block. */
typedef struct lsm_sst_props
{
	uint64_t	num_entries;
	uint64_t	num_deletes;	/* LSM_TYPE_DELETE entries */
	uint64_t	num_data_blocks;
	uint64_t	raw_key_bytes;
	uint64_t	raw_value_bytes;
	uint64_t	min_seq;
	uint64_t	max_seq;
	double		bloom_fp_rate;
	uint32_t	compression;
	/* Smallest and largest internal keys; owned by the reader/builder. */
	char	   *min_key;
	size_t		min_key_len;
	char	   *max_key;
	size_t		max_key_len;
} lsm_sst_props;

typedef struct lsm_sst_builder lsm_sst_builder;

/*
 * Returns NULL when out of memory or when opts->compression is unknown.
 * add refuses an out-of-order or short key with LSM_INVALID and stays
 * usable; sink and memory failures are sticky.
 */
extern lsm_sst_builder *lsm_sst_builder_new(const lsm_allocator *alloc,
											const lsm_sst_options *opts,
											lsm_sink *sink);
/* REQUIRES: ikey > every ikey added before (lsm_ikey_compare). */
extern lsm_status lsm_sst_builder_add(lsm_sst_builder *b,
									  const char *ikey, size_t klen,
									  const char *val, size_t vlen);
/* Bytes appended to the sink so far (a lower bound on the final size). */
extern uint64_t lsm_sst_builder_file_size(const lsm_sst_builder *b);
extern uint64_t lsm_sst_builder_num_entries(const lsm_sst_builder *b);
/* Write remaining blocks and the footer; *props stays valid until free. */
extern lsm_status lsm_sst_builder_finish(lsm_sst_builder *b,
										 const lsm_sst_props **props,
										 uint64_t *file_size);
extern void lsm_sst_builder_free(lsm_sst_builder *b);

typedef struct lsm_sst_reader lsm_sst_reader;

/*
 * Open an SSTable: reads and verifies footer, index, bloom and props.
 * On LSM_CORRUPT, *bad_offset (if not NULL) is the byte offset of the
 * first corrupt structure.  cmp and bloom_prefix as used when building.
 */
extern lsm_status lsm_sst_reader_open(const lsm_allocator *alloc,
									  const lsm_sst_options *opts,
									  const lsm_file *file,
									  lsm_sst_reader **reader,
									  uint64_t *bad_offset);
extern const lsm_sst_props *lsm_sst_reader_props(const lsm_sst_reader *r);
/*
 * False if no entry whose bloom key is that of user key ukey can be in
 * the table (the bloom_prefix of the options is applied to ukey).
 */
extern bool lsm_sst_reader_may_contain(const lsm_sst_reader *r,
									   const char *ukey, size_t len);
/*
 * Iterator over all entries in internal-key order.  Data blocks are read,
 * verified and decompressed lazily and kept in a small per-reader cache
 * (a few blocks, least recently used out) that later iterators of the
 * same reader share.  A corrupt block makes the iterator invalid with
 * status LSM_CORRUPT; lsm_sst_iter_bad_offset tells where.
 * The reader must outlive its iterators; iterators of one reader share its
 * decompression context, so they must be used from one thread.  Supports
 * seek_last and prev.
 */
extern lsm_iter *lsm_sst_reader_iter(lsm_sst_reader *r);	/* NULL on NOMEM */
extern uint64_t lsm_sst_iter_bad_offset(lsm_iter *it);
extern void lsm_sst_reader_close(lsm_sst_reader *r);

/*
 * Read, verify and decompress one block given its handle.  Exposed for
 * tests and for tools.  *out allocated with alloc.
 */
extern lsm_status lsm_sst_read_block(const lsm_allocator *alloc, const lsm_file *file,
									 uint64_t offset, uint64_t size,
									 char **out, size_t *outlen);

#endif							/* LSM_SSTABLE_H */
