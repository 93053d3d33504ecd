/*-------------------------------------------------------------------------
 *
 * lsm_sstwriter.h
 *	  Storing a finished SSTable: blocks reserved from the manifest, pages
 *	  written and logged (storage/lsm_sstfile.h), the manifest entry
 *	  described for the caller's edit.
 *
 * REQUIRES: the caller holds the relation's flush or compaction claim, or
 * builds an index (no concurrent writer), and no lsm lock.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_SSTWRITER_H
#define LSM_SSTWRITER_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_relstate.h"
#include "storage/lsm_sstfile.h"

extern void lsm_sst_store(Relation rel, LsmRelState *st, const LsmBufSink *b,
						  uint64 file_size, const lsm_sst_props *props, int level,
						  double bloom_fp_rate, TransactionId min_xid,
						  LsmSstEntry *e);

#endif							/* LSM_SSTWRITER_H */
