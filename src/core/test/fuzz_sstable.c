/*
 * fuzz_sstable.c
 *	  libFuzzer entry point: arbitrary bytes as an SSTable file, opened and
 *	  iterated every way the reader allows.  It must never crash, hang, leak
 *	  or read out of bounds, whatever the input.
 *
 * The first input byte selects a mode; the rest is the file.  With bit 0
 * set, the harness recomputes the footer checksum and the checksums of
 * every block the footer and the index point to before reading, so that
 * the fuzzer gets past checksum verification into block, props, index and
 * zstd parsing (the state a bug in the builder, rather than a flipped
 * bit, would leave a file in).
 *
 * Build and run with libFuzzer and ASan (from the repository root):
 *
 *	 clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *		 -o /tmp/fuzz_sstable src/core/test/fuzz_sstable.c src/core/lsm_core.c \
 *		 src/core/lsm_block.c src/core/lsm_bloom.c src/core/lsm_sstable.c \
 *		 -lzstd -lxxhash -lm
 *	 mkdir -p /tmp/fuzz_corpus && /tmp/fuzz_sstable -max_total_time=60 /tmp/fuzz_corpus
 *
 * Seeds help: build with -DFUZZ_STANDALONE (any compiler, no libFuzzer)
 * and run `fuzz_sstable --make-seeds DIR` to write a few valid tables;
 * the standalone binary also replays inputs given as file arguments
 * (e.g. crash reproducers) and so works under valgrind.
 *
 * Not named test_*.c on purpose: `make core-check` does not build it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "lsm_block.h"
#include "lsm_sstable.h"

typedef struct fuzz_file
{
	const char *data;
	size_t		len;
} fuzz_file;

static lsm_status
fuzz_read(void *ctx, uint64_t offset, size_t len, char *dst)
{
	fuzz_file  *f = ctx;

	/* the reader must never ask for bytes outside the file */
	if (offset > f->len || len > f->len - offset)
		abort();
	memcpy(dst, f->data + offset, len);
	return LSM_OK;
}

/* Recompute the checksum of the block at handle (off, size), if in bounds. */
static void
fix_block(char *buf, size_t end, uint64_t off, uint64_t size)
{
	if (off > end || size > end - off || end - off - size < LSM_BLOCK_TRAILER_SIZE)
		return;
	lsm_put_fixed32(buf + off + size + 1, (uint32_t) XXH32(buf + off, size + 1, 0));
}

static void
fix_checksums(char *buf, size_t len)
{
	size_t		end;
	char	   *footer;
	uint64_t	ioff,
				isize;
	lsm_status	st;
	lsm_iter   *it;

	if (len < LSM_SST_FOOTER_SIZE)
		return;
	end = len - LSM_SST_FOOTER_SIZE;
	footer = buf + end;
	lsm_put_fixed32(footer + 52, (uint32_t) XXH32(footer, 52, 0));
	fix_block(buf, end, lsm_get_fixed64(footer + 16), lsm_get_fixed64(footer + 24));
	fix_block(buf, end, lsm_get_fixed64(footer + 32), lsm_get_fixed64(footer + 40));
	ioff = lsm_get_fixed64(footer);
	isize = lsm_get_fixed64(footer + 8);
	fix_block(buf, end, ioff, isize);

	/* data blocks named by an uncompressed index */
	if (ioff > end || isize > end - ioff || end - ioff - isize < LSM_BLOCK_TRAILER_SIZE ||
		buf[ioff + isize] != LSM_COMPRESSION_NONE)
		return;
	it = lsm_block_iter_new(&lsm_malloc_allocator, &lsm_bytewise_comparator, true,
							buf + ioff, (size_t) isize, false, &st);
	if (it == NULL)
		return;
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		vl;
		const char *v = lsm_iter_value(it, &vl);

		if (vl == 16)
			fix_block(buf, (size_t) ioff, lsm_get_fixed64(v), lsm_get_fixed64(v + 8));
	}
	lsm_iter_destroy(it);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lsm_sst_options opts;
	fuzz_file	ff;
	lsm_file	f;
	lsm_sst_reader *r;
	lsm_iter   *it;
	char	   *buf;
	uint64_t	bad;
	int			n;
	char		target[16];

	if (size < 1)
		return 0;
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fix_checksums(buf, size - 1);

	ff.data = buf;
	ff.len = size - 1;
	f.read = fuzz_read;
	f.size = size - 1;
	f.ctx = &ff;
	lsm_sst_options_default(&opts);

	if (lsm_sst_reader_open(&lsm_malloc_allocator, &opts, &f, &r, &bad) == LSM_OK)
	{
		const lsm_sst_props *p = lsm_sst_reader_props(r);

		(void) lsm_sst_reader_may_contain(r, "key", 3);
		if (p->min_key_len >= LSM_TRAILER_SIZE)
			(void) lsm_sst_reader_may_contain(r, p->min_key, p->min_key_len - 8);
		it = lsm_sst_reader_iter(r);
		n = 0;
		for (lsm_iter_seek_first(it); lsm_iter_valid(it) && n < 100000; lsm_iter_next(it), n++)
		{
			size_t		kl,
						vl;

			(void) lsm_iter_key(it, &kl);
			(void) lsm_iter_value(it, &vl);
		}
		n = 0;
		for (lsm_iter_seek_last(it); lsm_iter_valid(it) && n < 100000; lsm_iter_prev(it), n++)
			;
		memcpy(target, "key", 3);
		lsm_trailer_encode(target + 3, 5, LSM_TYPE_PUT);
		lsm_iter_seek(it, target, 11);
		if (lsm_iter_valid(it))
			lsm_iter_next(it);
		if (p->max_key_len >= LSM_TRAILER_SIZE)
		{
			lsm_iter_seek(it, p->max_key, p->max_key_len);
			if (lsm_iter_valid(it))
				lsm_iter_prev(it);
		}
		(void) lsm_sst_iter_bad_offset(it);
		lsm_iter_destroy(it);
		lsm_sst_reader_close(r);
	}
	free(buf);
	return 0;
}

#ifdef FUZZ_STANDALONE

static lsm_status
seed_append(void *ctx, const char *data, size_t len)
{
	FILE	   *fp = ctx;

	return fwrite(data, 1, len, fp) == len ? LSM_OK : LSM_IOERR;
}

/* Write a few valid tables (mode byte 0 and 1) as a starting corpus. */
static int
make_seeds(const char *dir)
{
	int			s;

	for (s = 0; s < 6; s++)
	{
		char		path[4096];
		FILE	   *fp;
		lsm_sink	sink;
		lsm_sst_options opts;
		lsm_sst_builder *b;
		int			i,
					n = s < 2 ? 3 : 60 * s;

		snprintf(path, sizeof(path), "%s/seed%d", dir, s);
		if ((fp = fopen(path, "wb")) == NULL)
			return 1;
		fputc(s & 1, fp);
		sink.append = seed_append;
		sink.ctx = fp;
		lsm_sst_options_default(&opts);
		opts.block_size = 256;
		opts.compression = (s & 2) ? LSM_COMPRESSION_ZSTD : LSM_COMPRESSION_NONE;
		b = lsm_sst_builder_new(&lsm_malloc_allocator, &opts, &sink);
		for (i = 0; i < n; i++)
		{
			char		k[32],
						v[64];
			int			kl = sprintf(k, "key%05d", i);
			int			vl = sprintf(v, "value value value %d", i * 7);

			lsm_trailer_encode(k + kl, (uint64_t) i + 1,
							   i % 5 ? LSM_TYPE_PUT : LSM_TYPE_DELETE);
			lsm_sst_builder_add(b, k, (size_t) kl + 8, v, (size_t) vl);
		}
		lsm_sst_builder_finish(b, NULL, NULL);
		lsm_sst_builder_free(b);
		fclose(fp);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int			i;

	if (argc == 3 && strcmp(argv[1], "--make-seeds") == 0)
		return make_seeds(argv[2]);
	for (i = 1; i < argc; i++)
	{
		FILE	   *fp = fopen(argv[i], "rb");
		char	   *data;
		long		len;

		if (fp == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		data = malloc(len ? (size_t) len : 1);
		if (fread(data, 1, (size_t) len, fp) == (size_t) len)
			LLVMFuzzerTestOneInput((const uint8_t *) data, (size_t) len);
		free(data);
		fclose(fp);
	}
	printf("%d inputs replayed\n", argc - 1);
	return 0;
}

#endif							/* FUZZ_STANDALONE */
