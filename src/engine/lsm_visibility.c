/*-------------------------------------------------------------------------
 *
 * engine/lsm_visibility.c
 *	  MVCC for lsm entries.
 *
 * A row is a PUT entry (xid = inserter) plus, newer than it under the same
 * row id, possibly DELETE entries (xid = deleter) and LOCK entries.  Rows
 * never change in place: a delete is a new entry.  So one predicate serves
 * both questions "is the insert visible?" and "is the delete visible?":
 * are the effects of (xid, cid) visible to the snapshot?  A row is visible
 * when its PUT is and none of its DELETEs is.
 *
 * An UPDATE that changes no indexed column adds a new PUT under the same
 * row id (a version, as a heap-only tuple is): the row's versions are its
 * PUTs, newest first, and a snapshot sees the newest PUT it sees, unless a
 * DELETE it sees came after it (lsm_version_step).
 *
 * SERIALIZABLE.  A version is what a heap tuple is: its PUT is heap's
 * xmin, a DELETE (plain or of an UPDATE) or the next version's PUT heap's
 * xmax, LOCK entries heap's lock-only xmax.  lsm_ssi_check_row reports
 * the rw-conflicts out that heap's HeapCheckForSerializableConflictOut
 * reports for the same version.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/subtrans.h"
#include "storage/predicate.h"
#include "storage/procarray.h"
#include "core/lsm_core.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_visibility.h"
#include "storage/lsm_format.h"
#include "utils/snapmgr.h"

/*
 * Are the effects of the command (xid, cid) visible to snapshot?  The
 * question for a PUT (is the row there?) under every snapshot type, and
 * for a DELETE under MVCC snapshots; lsm_delete_visible answers for
 * deletes under the others, whose rules differ as heap's do.
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
			/* a running inserter: visible, and the caller may wait on it */
			if (TransactionIdIsCurrentTransactionId(xid))
				return true;
			if (TransactionIdIsInProgress(xid))
			{
				snapshot->xmin = xid;
				return true;
			}
			return TransactionIdDidCommit(xid);

		case SNAPSHOT_NON_VACUUMABLE:
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

/*
 * Does the delete (xid, cid) hide the row from snapshot?
 */
bool
lsm_delete_visible(TransactionId xid, CommandId cid, uint16 flags, Snapshot snapshot)
{
	if (flags & LSM_ROW_KILLED)
		return true;			/* a super-deleted speculative insertion */
	switch (snapshot->snapshot_type)
	{
		case SNAPSHOT_MVCC:
		case SNAPSHOT_HISTORIC_MVCC:
			return lsm_xid_visible(xid, cid, flags, snapshot);

		case SNAPSHOT_ANY:
			return false;		/* every version */

		case SNAPSHOT_SELF:
		case SNAPSHOT_TOAST:
			return lsm_xid_visible(xid, cid, flags, snapshot);

		case SNAPSHOT_DIRTY:
			if ((flags & LSM_ROW_FROZEN) || !TransactionIdIsNormal(xid))
				return true;
			if (TransactionIdIsCurrentTransactionId(xid))
				return true;
			if (TransactionIdIsInProgress(xid))
			{
				/* still there, but being deleted: the caller may wait */
				snapshot->xmax = xid;
				return false;
			}
			return TransactionIdDidCommit(xid);

		case SNAPSHOT_NON_VACUUMABLE:
			/* gone only when no snapshot can see it any more */
			if ((flags & LSM_ROW_FROZEN) || !TransactionIdIsNormal(xid))
				return true;
			if (TransactionIdIsCurrentTransactionId(xid) ||
				TransactionIdIsInProgress(xid) || !TransactionIdDidCommit(xid))
				return false;
			return GlobalVisTestIsRemovableXid(snapshot->vistest, xid);
	}
	return false;
}

/*
 * True if an entry written by this transaction can never become visible:
 * the transaction is over and did not commit.
 */
bool
lsm_entry_is_aborted(const LsmRowHeader *hdr)
{
	if (hdr->flags & LSM_ROW_FROZEN)
		return false;
	if (!TransactionIdIsNormal(hdr->xid))
		return false;
	if (TransactionIdIsInProgress(hdr->xid))
		return false;
	return !TransactionIdDidCommit(hdr->xid);
}

/*
 * SSI: a serializable transaction read a row version under snapshot.  put
 * is its PUT's header (NULL: none), del the header of its newest DELETE
 * (NULL: none; only the newest can belong to a transaction that did not
 * abort: a delete waits for, or fails on, any earlier one), row_visible
 * whether the version was visible.  As heap:
 *	- visible, and deleted or updated by a transaction the snapshot does
 *	  not see (running, or committed since): a conflict out to the deleter;
 *	- invisible because its inserter is not seen (running, or committed
 *	  since), and not deleted: a conflict out to the inserter;
 *	- anything else (deleted for this snapshot, aborted, frozen, ours):
 *	  none.
 * Lock entries are not writes and never conflict.
 */
void
lsm_ssi_check_row(Relation rel, Snapshot snapshot, const LsmRowHeader *put,
				  const LsmRowHeader *del, bool row_visible)
{
	TransactionId xid;

	if (put == NULL || !CheckForSerializableConflictOutNeeded(rel, snapshot))
		return;
	if (del != NULL && (del->flags & LSM_ROW_KILLED))
		return;					/* a row that never existed */
	if (del != NULL && lsm_entry_is_aborted(del))
		del = NULL;
	if (row_visible)
	{
		if (del == NULL || (del->flags & LSM_ROW_FROZEN))
			return;
		xid = del->xid;
	}
	else
	{
		/*
		 * Not there for us, deleted or not (heap's INSERT_IN_PROGRESS,
		 * DELETE_IN_PROGRESS and RECENTLY_DEAD): its inserter.
		 */
		if ((put->flags & LSM_ROW_FROZEN) || lsm_entry_is_aborted(put))
			return;
		/* deleted by a transaction we see: the inserter is not concurrent */
		if (lsm_xid_visible(put->xid, put->cid, put->flags, snapshot))
			return;
		xid = put->xid;
	}
	if (!TransactionIdIsNormal(xid) || TransactionIdIsCurrentTransactionId(xid))
		return;
	if (TransactionIdPrecedes(xid, TransactionXmin))
		return;
	xid = SubTransGetTopmostTransaction(xid);
	if (TransactionIdPrecedes(xid, TransactionXmin))
		return;
	CheckForSerializableConflictOut(rel, xid, snapshot);
}

/*
 * lsm_ssi_check_row for each version of a row that a read passed over:
 * e[0..n-1] are the row's entries, newest first, and visible the index of
 * the PUT the read returned (-1: none).  A row id holds its versions
 * newest first, each a PUT followed (newer) by its DELETE and LOCK
 * entries; the PUT of the next version is the updater, heap's xmax of
 * the version below it.  Versions older than the visible one were
 * replaced by a transaction the snapshot sees and report nothing (heap's
 * rule for a deleter the snapshot sees), so the walk stops there.
 * Aborted PUTs are no version: entries above them belong to the version
 * below.
 */
void
lsm_ssi_check_entries(Relation rel, Snapshot snapshot, const LsmRowEntry *e, int n,
					  int visible)
{
	const LsmRowHeader *del = NULL;
	const LsmRowHeader *newer = NULL;
	int			i;

	if (!CheckForSerializableConflictOutNeeded(rel, snapshot))
		return;
	for (i = 0; i < n; i++)
	{
		if (e[i].type == LSM_TYPE_DELETE)
		{
			if (e[i].hdr.flags & LSM_ROW_VERSION_ENTRY)
				continue;
			if (del == NULL && !lsm_entry_is_aborted(&e[i].hdr))
				del = &e[i].hdr;
			continue;
		}
		if (e[i].type != LSM_TYPE_PUT)
			continue;
		if (i != visible && lsm_entry_is_aborted(&e[i].hdr))
			continue;
		lsm_ssi_check_row(rel, snapshot, &e[i].hdr, del ? del : newer, i == visible);
		if (i == visible)
			break;
		newer = &e[i].hdr;
		del = NULL;
	}
}

/*
 * lsm_ssi_check_row for one version, e[ver], read by its TID: its
 * deleter is the newest DELETE above it, or the next version's PUT.
 */
void
lsm_ssi_check_version(Relation rel, Snapshot snapshot, const LsmRowEntry *e, int ver,
					  bool visible)
{
	const LsmRowHeader *del = NULL;
	int			i;

	if (!CheckForSerializableConflictOutNeeded(rel, snapshot))
		return;
	for (i = ver - 1; i >= 0; i--)
	{
		if (e[i].type == LSM_TYPE_PUT)
		{
			if (lsm_entry_is_aborted(&e[i].hdr))
				continue;
			if (del == NULL)
				del = &e[i].hdr;
			break;
		}
		if (e[i].type == LSM_TYPE_DELETE && !(e[i].hdr.flags & LSM_ROW_VERSION_ENTRY) &&
			!lsm_entry_is_aborted(&e[i].hdr))
			del = &e[i].hdr;
	}
	lsm_ssi_check_row(rel, snapshot, &e[ver].hdr, del, visible);
}

/*
 * Does snapshot see the one version whose PUT is e[ver] (a fetch by that
 * version's TID)?  Its PUT must be visible and no DELETE or later
 * version's PUT above it may hide it, under the rules for deletes: a
 * later version is that version's deleter (heap's xmax).  SnapshotAny
 * sees it.
 */
bool
lsm_version_visible(const LsmRowEntry *e, int n, int ver, Snapshot snapshot)
{
	int			i;

	Assert(ver >= 0 && ver < n && e[ver].type == LSM_TYPE_PUT);
	if (snapshot->snapshot_type == SNAPSHOT_DIRTY)
	{
		snapshot->xmin = snapshot->xmax = InvalidTransactionId;
		snapshot->speculativeToken = 0;
	}
	if (!lsm_xid_visible(e[ver].hdr.xid, e[ver].hdr.cid, e[ver].hdr.flags, snapshot))
		return false;
	for (i = 0; i < ver; i++)
	{
		if (e[i].type == LSM_TYPE_LOCK || (e[i].hdr.flags & LSM_ROW_VERSION_ENTRY))
			continue;
		if (lsm_delete_visible(e[i].hdr.xid, e[i].hdr.cid, e[i].hdr.flags, snapshot))
			return false;
	}
	return true;
}

/*
 * One step of finding the version of a row that snapshot sees, over its
 * entries newest first (*deleted starts false).  A DELETE the snapshot
 * sees marks the row deleted; the first PUT the snapshot sees is the
 * visible version unless the row is deleted; a PUT it does not see (an
 * update not visible, running or aborted) passes to the older version.
 * The same walk serves scans (entry by entry off an iterator) and
 * lookups (lsm_row_visible_put).
 */
LsmVersionStep
lsm_version_step(lsm_entry_type type, const LsmRowHeader *hdr, bool *deleted,
				 Snapshot snapshot)
{
	if (type == LSM_TYPE_DELETE)
	{
		if (hdr->flags & LSM_ROW_VERSION_ENTRY)
			return LSM_STEP_NEXT;	/* a back-pointer: no row here */
		if (!*deleted && lsm_delete_visible(hdr->xid, hdr->cid, hdr->flags, snapshot))
			*deleted = true;
		return LSM_STEP_NEXT;
	}
	if (type != LSM_TYPE_PUT)
		return LSM_STEP_NEXT;
	if (!lsm_xid_visible(hdr->xid, hdr->cid, hdr->flags, snapshot))
		return LSM_STEP_NEXT;
	return *deleted ? LSM_STEP_NONE : LSM_STEP_VISIBLE;
}

/*
 * Lower *min_xid to the xid of an entry value (LsmRowHeader first) unless
 * the entry is frozen: the bookkeeping that lets VACUUM advance
 * relfrozenxid.
 */
void
lsm_note_xid(TransactionId *min_xid, const char *value, Size vlen)
{
	LsmRowHeader h;

	if (vlen < sizeof(LsmRowHeader))
		return;
	memcpy(&h, value, sizeof(h));
	if ((h.flags & LSM_ROW_FROZEN) || !TransactionIdIsNormal(h.xid))
		return;
	if (!TransactionIdIsValid(*min_xid) || TransactionIdPrecedes(h.xid, *min_xid))
		*min_xid = h.xid;
}
