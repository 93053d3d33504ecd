/*-------------------------------------------------------------------------
 *
 * lsm_rows.h
 *	  The row codec: a slot's tuple as a table entry value (header + tuple
 *	  body, TOASTed as heap does) and back into a slot with its TID, xmin
 *	  and xmax.
 *
 * REQUIRES: lsm_form_row_value in a transaction with an xid (the header
 * carries it; TOAST writes the table's TOAST relation).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_ROWS_H
#define LSM_ROWS_H

#include "postgres.h"

#include "access/htup.h"
#include "executor/tuptable.h"
#include "utils/rel.h"

#include "storage/lsm_format.h"

extern void lsm_stamp_slot(Relation rel, TupleTableSlot *slot, uint64 rowid, CommandId cid);
extern void lsm_store_row(Relation rel, TupleTableSlot *slot, uint64 rowid,
						  const LsmRowHeader *hdr, const char *body, Size bodylen,
						  TransactionId xmax);
extern char *lsm_form_row_value(Relation rel, TupleTableSlot *slot, CommandId cid,
								int options, HeapTuple oldtup, Size *len);

#endif							/* LSM_ROWS_H */
