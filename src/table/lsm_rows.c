/*-------------------------------------------------------------------------
 *
 * lsm_rows.c
 *	  The row codec of lsm tables: a slot's row as the value of a table
 *	  entry (LsmRowHeader + the MinimalTuple from t_infomask2 on, wide
 *	  values TOASTed as heap does), and a stored row back as a HeapTuple
 *	  in a slot, with the TID of its row id and heap's xmin/xmax fields.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "utils/memutils.h"

#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "storage/ipc.h"
#include "storage/smgr.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "table/lsm_rows.h"

/*
 * Rebuild a HeapTuple from a stored row (value = header + tuple body from
 * t_infomask2 on) and store it in the slot.
 */
void
lsm_store_row(Relation rel, TupleTableSlot *slot, uint64 rowid,
			  const LsmRowHeader *hdr, const char *body, Size bodylen,
			  TransactionId xmax)
{
	HeapTuple	tup;
	Size		hdrpart = offsetof(HeapTupleHeaderData, t_infomask2);

	tup = MemoryContextAlloc(slot->tts_mcxt, HEAPTUPLESIZE + hdrpart + bodylen);
	tup->t_len = hdrpart + bodylen;
	tup->t_data = (HeapTupleHeader) ((char *) tup + HEAPTUPLESIZE);
	memset(tup->t_data, 0, hdrpart);
	memcpy((char *) tup->t_data + hdrpart, body, bodylen);
	if (bodylen < offsetof(HeapTupleHeaderData, t_bits) - hdrpart ||
		tup->t_data->t_hoff > tup->t_len)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid row " UINT64_FORMAT " in lsm relation \"%s\"",
						rowid, RelationGetRelationName(rel)),
				 errdetail("The stored row has %zu bytes.", bodylen)));
	HeapTupleHeaderSetXmin(tup->t_data,
						   (hdr->flags & LSM_ROW_FROZEN) ? FrozenTransactionId : hdr->xid);
	HeapTupleHeaderSetCmin(tup->t_data, hdr->cid);
	tup->t_data->t_infomask |= HEAP_XMAX_INVALID;
	/* the xmax system column: as heap's raw xmax, the last deleter or locker */
	if (TransactionIdIsValid(xmax))
		HeapTupleHeaderSetXmax(tup->t_data, xmax);
	lsm_rowid_to_tid(rowid, &tup->t_self);
	tup->t_data->t_ctid = tup->t_self;
	tup->t_tableOid = RelationGetRelid(rel);
	ExecStoreHeapTuple(tup, slot, true);
	slot->tts_tableOid = RelationGetRelid(rel);
}

/*
 * Build the entry value of a row: header + the MinimalTuple from
 * t_infomask2 on, TOASTing wide values into the table's TOAST relation
 * first (as heap does).
 */
char *
lsm_form_row_value(Relation rel, TupleTableSlot *slot, CommandId cid, int options,
				   HeapTuple oldtup, Size *len)
{
	bool		shouldFree;
	MinimalTuple mt = ExecFetchSlotMinimalTuple(slot, &shouldFree);
	LsmRowHeader hdr;
	char	   *value;

	/* wide or externally stored values: let the toaster work on a HeapTuple */
	if ((mt->t_infomask & HEAP_HASEXTERNAL) || oldtup != NULL ||
		mt->t_len + MINIMAL_TUPLE_OFFSET > TOAST_TUPLE_THRESHOLD)
	{
		bool		hshouldFree;
		HeapTuple	tup = ExecFetchSlotHeapTuple(slot, true, &hshouldFree);
		HeapTuple	toasted = tup;

		/* as heap_update: reuse or drop the old version's TOASTed values */
		if ((mt->t_infomask & HEAP_HASEXTERNAL) ||
			(oldtup != NULL && HeapTupleHasExternal(oldtup)) ||
			mt->t_len + MINIMAL_TUPLE_OFFSET > TOAST_TUPLE_THRESHOLD)
			toasted = heap_toast_insert_or_update(rel, tup, oldtup, options);

		if (shouldFree)
			pfree(mt);
		mt = minimal_tuple_from_heap_tuple(toasted);
		shouldFree = true;
		if (toasted != tup)
			heap_freetuple(toasted);
		if (hshouldFree)
			heap_freetuple(tup);
	}
	*len = sizeof(LsmRowHeader) + mt->t_len - LSM_ROW_TUPLE_OFFSET;
	if (*len + LSM_ROWKEY_LEN > LSM_MAX_ENTRY_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("row is too big for lsm table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("The row needs %zu bytes after TOAST; at most %zu fit.",
						   *len + LSM_ROWKEY_LEN, (Size) LSM_MAX_ENTRY_SIZE)));
	memset(&hdr, 0, sizeof(hdr));
	hdr.xid = GetCurrentTransactionId();
	hdr.cid = cid;
	value = palloc(*len);
	memcpy(value, &hdr, sizeof(hdr));
	memcpy(value + sizeof(hdr), (char *) mt + LSM_ROW_TUPLE_OFFSET,
		   mt->t_len - LSM_ROW_TUPLE_OFFSET);
	if (shouldFree)
		pfree(mt);
	return value;
}

/*
 * After writing a row from slot: give the slot its TID and, in its tuple,
 * the header fields a heap insert would have set, so that RETURNING xmin
 * and triggers see them.
 */
void
lsm_stamp_slot(Relation rel, TupleTableSlot *slot, uint64 rowid, CommandId cid)
{
	HeapTuple	tup = ExecFetchSlotHeapTuple(slot, true, NULL);

	lsm_rowid_to_tid(rowid, &slot->tts_tid);
	slot->tts_tableOid = RelationGetRelid(rel);
	HeapTupleHeaderSetXmin(tup->t_data, GetCurrentTransactionId());
	HeapTupleHeaderSetCmin(tup->t_data, cid);
	HeapTupleHeaderSetXmax(tup->t_data, InvalidTransactionId);
	tup->t_data->t_infomask &= ~(HEAP_XMAX_BITS | HEAP_XACT_MASK);
	tup->t_data->t_infomask |= HEAP_XMAX_INVALID;
	tup->t_data->t_ctid = slot->tts_tid;
	tup->t_self = slot->tts_tid;
	tup->t_tableOid = slot->tts_tableOid;
}
