/*-------------------------------------------------------------------------
 *
 * lsm_sstwriter.h
 *	  The one SSTable writer of flushes, compactions and index builds:
 *	  entries in (in key order), outputs cut at a target size, each one
 *	  built by the core, stored on the relation's pages (blocks reserved
 *	  from the manifest, pages written and WAL-logged) and described as a
 *	  manifest entry for the caller's edit.  Core errors become ereport
 *	  here (lsm_report_core_error).
 *
 * Shape, as LevelDB's BuildTable:
 *	  lsm_sst_writer_init(&w, rel, st, "flush", &opts, cxt, target, level);
 *	  for each entry: lsm_sst_writer_add(&w, ikey, klen, value, vlen);
 *	      at a boundary where an output may end:
 *	      if (lsm_sst_writer_full(&w)) lsm_sst_writer_cut(&w);
 *	  outs = lsm_sst_writer_finish(&w, &nouts);  -> LsmManifestEdit.add
 *
 * REQUIRES: the caller holds the relation's flush or compaction claim, or
 * builds an index (no concurrent writer), and no lsm lock; entries come in
 * strictly increasing internal-key order (the core refuses anything else).
 * Outputs become part of the relation only through the caller's
 * lsm_manifest_apply; if it never comes, their blocks are swept at the
 * next start (or given back when the switch is refused).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_SSTWRITER_H
#define LSM_SSTWRITER_H

#include "postgres.h"

#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/lsm_sstable.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_sstfile.h"

typedef struct LsmSstWriter
{
	Relation	rel;
	LsmRelState *st;
	const char *what;			/* "flush", "compaction", "index build" */
	lsm_sst_options opts;
	lsm_allocator alloc;
	uint64		target;			/* cut outputs at this size; 0: never */
	int			level;			/* of the outputs' manifest entries */
	bool		table_entries;	/* values start with an LsmRowHeader */

	/* called after each stored output (rate limits, progress) */
	void		(*on_output) (void *arg, const LsmSstEntry *e, uint64 bytes_written);
	void	   *on_output_arg;

	/* the output being built */
	lsm_sst_builder *b;
	LsmBufSink	buf;
	TransactionId min_xid;		/* its oldest unfrozen xid, or invalid */

	/* outputs stored so far */
	LsmSstEntry *outs;
	int			nouts;
	int			maxouts;
	uint64		entries;		/* added, all outputs */
	uint64		bytes_written;	/* pages of stored outputs, in bytes */
	uint64		file_bytes;		/* SSTable bytes of stored outputs */
} LsmSstWriter;

extern void lsm_sst_writer_init(LsmSstWriter *w, Relation rel, LsmRelState *st,
								const char *what, const lsm_sst_options *opts,
								MemoryContext cxt, uint64 target, int level);
extern void lsm_sst_writer_add(LsmSstWriter *w, const char *ikey, size_t klen,
							   const char *value, size_t vlen);
extern bool lsm_sst_writer_full(const LsmSstWriter *w);
extern void lsm_sst_writer_cut(LsmSstWriter *w);
extern LsmSstEntry *lsm_sst_writer_finish(LsmSstWriter *w, int *nouts);

#endif							/* LSM_SSTWRITER_H */
