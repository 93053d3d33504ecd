/*-------------------------------------------------------------------------
 *
 * lsm_ingest.h
 *	  Bulk writes straight to a level-0 SSTable: a large write batch of one
 *	  transaction (new rows of a table, entries of an index) is sorted and
 *	  stored as an SSTable of its own instead of going through the memtable
 *	  and its log.
 *
 * REQUIRES: a transaction with an xid (the rows' header names it); the
 * caller holds a lock on rel and no lsm lock.  The ops are new rows
 * (seq_preset, key NULL: keyed by their row id) or index entries (keyed,
 * no sequence number yet); none keyed by the op before it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_INGEST_H
#define LSM_INGEST_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_memtables.h"

/*
 * Write the ops as one level-0 SSTable; fills in the index entries'
 * sequence numbers.  Returns false, having written nothing, when the
 * relation's manifest has too little room left for another SSTable (the
 * caller then writes them into the memtable).
 */
extern bool lsm_ingest_ops(Relation rel, LsmWriteOp *ops, int n);

#endif							/* LSM_INGEST_H */
