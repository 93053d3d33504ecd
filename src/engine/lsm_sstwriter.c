/*-------------------------------------------------------------------------
 *
 * lsm_sstwriter.c
 *	  The SSTable writer of flushes, compactions and index builds (the
 *	  contract is in lsm_sstwriter.h): outputs built by the core into a
 *	  palloc'd buffer, cut at the target size where the caller allows,
 *	  each stored on blocks reserved from the manifest and described for
 *	  the caller's manifest edit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "utils/timestamp.h"

#include "core/lsm_sstable.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_sstwriter.h"
#include "engine/lsm_visibility.h"
#include "storage/lsm_format.h"
#include "storage/lsm_sstfile.h"

void
lsm_sst_writer_init(LsmSstWriter *w, Relation rel, LsmRelState *st, const char *what,
					const lsm_sst_options *opts, MemoryContext cxt, uint64 target,
					int level)
{
	memset(w, 0, sizeof(*w));
	w->rel = rel;
	w->st = st;
	w->what = what;
	w->opts = *opts;
	lsm_palloc_allocator_init(&w->alloc, cxt);
	w->target = target;
	w->level = level;
	w->table_entries = !st->is_index;
	w->min_xid = InvalidTransactionId;
	w->maxouts = 8;
	w->outs = MemoryContextAlloc(cxt, sizeof(LsmSstEntry) * w->maxouts);
	/* it grows as needed: start small for one-output writers (flushes) */
	lsm_bufsink_init(&w->buf, target == 0 ? 65536 : (Size) Min(target, 1024 * 1024));
}

void
lsm_sst_writer_add(LsmSstWriter *w, const char *ikey, size_t klen,
				   const char *value, size_t vlen)
{
	lsm_status	s;

	if (w->b == NULL)
	{
		w->buf.len = 0;
		w->b = lsm_sst_builder_new(&w->alloc, &w->opts, &w->buf.sink);
		if (w->b == NULL)
			lsm_report_core_error(w->rel, w->what, LSM_NOMEM);
	}
	s = lsm_sst_builder_add(w->b, ikey, klen, value, vlen);
	if (s != LSM_OK)
		lsm_report_core_error(w->rel, w->what, s);
	if (w->table_entries)
		lsm_note_xid(&w->min_xid, value, vlen);
	w->entries++;
}

/* Has the output being built reached the target size? */
bool
lsm_sst_writer_full(const LsmSstWriter *w)
{
	return w->target > 0 && w->b != NULL &&
		lsm_sst_builder_file_size(w->b) >= w->target;
}

/*
 * Finish the output being built (nothing when it has no entry), store it
 * and describe it as the next output.
 */
void
lsm_sst_writer_cut(LsmSstWriter *w)
{
	const lsm_sst_props *props;
	uint64		file_size;
	uint32		nblocks;
	BlockNumber start;
	LsmSstEntry *e;
	lsm_status	s;

	if (w->b == NULL)
		return;
	if (lsm_sst_builder_num_entries(w->b) == 0)
	{
		lsm_sst_builder_free(w->b);
		w->b = NULL;
		return;
	}
	s = lsm_sst_builder_finish(w->b, &props, &file_size);
	if (s != LSM_OK)
		lsm_report_core_error(w->rel, w->what, s);
	Assert(file_size == w->buf.len);

	if (w->nouts == w->maxouts)
	{
		w->maxouts *= 2;
		w->outs = repalloc(w->outs, sizeof(LsmSstEntry) * w->maxouts);
	}
	e = &w->outs[w->nouts];
	nblocks = (uint32) ((file_size + LSM_SST_PAGE_PAYLOAD - 1) / LSM_SST_PAGE_PAYLOAD);
	start = lsm_manifest_reserve(w->rel, w->st, nblocks);
	lsm_sst_write(w->rel, w->buf.data, file_size, start, nblocks);

	memset(e, 0, sizeof(*e));
	lsm_make_uuid(e->id);
	e->level = w->level;
	e->start = start;
	e->nblocks = nblocks;
	e->file_size = file_size;
	e->entries = props->num_entries;
	e->tombstones = props->num_deletes;
	e->min_seq = props->min_seq;
	e->max_seq = props->max_seq;
	e->created_at = GetCurrentTimestamp();
	e->bloom_fp_rate = w->opts.bloom_fp_rate;
	/* FrozenTransactionId: nothing unfrozen (0 would mean "unknown") */
	e->min_xid = TransactionIdIsValid(w->min_xid) ? w->min_xid : FrozenTransactionId;
	Assert(e->min_seq <= e->max_seq);
	w->nouts++;

	w->min_xid = InvalidTransactionId;
	w->bytes_written += (uint64) nblocks * BLCKSZ;
	w->file_bytes += file_size;
	lsm_sst_builder_free(w->b);
	w->b = NULL;
	w->buf.len = 0;
	if (w->on_output)
		w->on_output(w->on_output_arg, e, w->bytes_written);
}

/* Store the last output; the outputs, for the caller's manifest edit. */
LsmSstEntry *
lsm_sst_writer_finish(LsmSstWriter *w, int *nouts)
{
	lsm_sst_writer_cut(w);
	*nouts = w->nouts;
	return w->outs;
}
