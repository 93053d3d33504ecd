/*-------------------------------------------------------------------------
 *
 * lsm_visibility.c
 *	  MVCC for lsm entries.
 *
 * A row is a PUT entry (xid = inserter) plus, newer than it under the same
 * row id, possibly DELETE entries (xid = deleter) and LOCK entries.  Rows
 * never change in place: a delete is a new entry.  So one predicate serves
 * both questions "is the insert visible?" and "is the delete visible?":
 * are the effects of (xid, cid) visible to the snapshot?  A row is visible
 * when its PUT is and none of its DELETEs is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "lsm_am.h"

/*
 * Are the effects of the command (xid, cid) visible to snapshot?
 */
bool
lsm_xid_visible(TransactionId xid, CommandId cid, uint16 flags, Snapshot snapshot)
{
	if ((flags & LSM_ROW_FROZEN) || xid == FrozenTransactionId ||
		xid == BootstrapTransactionId)
		return true;
	if (!TransactionIdIsNormal(xid))
		return false;

	switch (snapshot->snapshot_type)
	{
		case SNAPSHOT_MVCC:
			if (TransactionIdIsCurrentTransactionId(xid))
				return cid < snapshot->curcid;
			if (XidInMVCCSnapshot(xid, snapshot))
				return false;
			return TransactionIdDidCommit(xid);

		case SNAPSHOT_ANY:
			return true;

		case SNAPSHOT_SELF:
		case SNAPSHOT_TOAST:
			if (TransactionIdIsCurrentTransactionId(xid))
				return true;
			if (TransactionIdIsInProgress(xid))
				return false;
			return TransactionIdDidCommit(xid);

		case SNAPSHOT_DIRTY:
		case SNAPSHOT_NON_VACUUMABLE:
			/* committed or still running: might become visible */
			if (TransactionIdIsCurrentTransactionId(xid) ||
				TransactionIdIsInProgress(xid))
				return true;
			return TransactionIdDidCommit(xid);

		case SNAPSHOT_HISTORIC_MVCC:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("logical decoding of lsm tables is not supported")));
	}
	return false;
}
