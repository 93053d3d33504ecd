/*-------------------------------------------------------------------------
 *
 * table/lsm_dml.c
 *	  UPDATE, DELETE and row locks on lsm tables, with heap's concurrency
 *	  semantics.
 *
 * Rows never change in place.  A DELETE appends a tombstone (a DELETE
 * entry carrying the deleter's xid and command id) under the row's id; an
 * UPDATE that changes no indexed column appends the new version under the
 * same row id (heap's HOT: no index entries; the version's TID is its
 * PUT's seq, resolved through a back-pointer under that seq); any other
 * UPDATE appends a tombstone flagged LSM_ROW_UPDATED whose link names the
 * new version's row id, plus the new version (a PUT under a new row id);
 * SELECT FOR UPDATE/SHARE appends a LOCK entry with the lock mode.  Several
 * lockers of a row are simply several LOCK entries: no multixacts.  A TID
 * names one version: modifying or locking a version that a later one
 * replaced is what heap reports for an updated tuple (check_row).
 *
 * Concurrency.  A modifier takes the heavyweight tuple lock of the row's
 * TID, reads all entries of the row through a view that includes every
 * entry written so far (lsm_current_view), decides, and appends its entry
 * before releasing the tuple lock; the next modifier therefore sees it.  A
 * tombstone or lock entry of a transaction still running acts as heap's
 * xmax: a later modifier that conflicts releases the tuple lock, waits for
 * that transaction (XactLockTableWait) and looks again.  The tuple lock is
 * never held while waiting, so the transaction holding the row can always
 * come back to change it (heap lets it skip the tuple lock instead); the
 * price is that waiters are not served in arrival order.  Outcomes map
 * to heap's TM_Result codes, so the executor's EvalPlanQual rechecks at
 * READ COMMITTED and its serialization failures at REPEATABLE READ work
 * unchanged; tuple_lock with TUPLE_LOCK_FLAG_FIND_LAST_VERSION follows
 * update links to the newest version and updates the caller's TID.
 * Lock modes are heap's: DELETE and an UPDATE that changes a column of a
 * unique index (or of any index usable as a foreign key's target) count
 * as LockTupleExclusive, any other UPDATE as LockTupleNoKeyExclusive
 * (its tombstone says so: LSM_ROW_KEYS_KEPT), so that it neither waits
 * for nor blocks FOR KEY SHARE (foreign key checks).  A FOR KEY SHARE
 * lock taken on a version so updated also locks its newer versions, and
 * such an update copies the KEY SHARE locks of running lockers onto the
 * new version, as heap carries them in the new tuple's xmax: a later
 * delete or key update of the new version waits for them.
 *
 * SERIALIZABLE, as heap: sequential scans lock the relation, fetches by
 * row id (index and bitmap scans) lock the row's TID; UPDATE and DELETE
 * check the row, its TID block and the relation for readers (conflicts
 * in), and every read reports the versions it saw written by concurrent
 * transactions (conflicts out, lsm_ssi_check_row).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "storage/predicate.h"
#include "storage/procarray.h"
#include "core/lsm_core.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_visibility.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "table/lsm_dml.h"
#include "table/lsm_rows.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

/* Heavyweight lock modes taken on the TID, as heap's tupleLockExtraInfo. */
static const LOCKMODE tuple_hwlock[] = {
	AccessShareLock,			/* LockTupleKeyShare */
	RowShareLock,				/* LockTupleShare */
	ExclusiveLock,				/* LockTupleNoKeyExclusive */
	AccessExclusiveLock			/* LockTupleExclusive */
};

static bool
modes_conflict(LockTupleMode a, LockTupleMode b)
{
	static const bool c[4][4] = {
		{false, false, false, true},
		{false, false, true, true},
		{false, true, true, true},
		{true, true, true, true}
	};

	return c[a][b];
}

static bool
xid_is_mine(TransactionId xid)
{
	return TransactionIdIsNormal(xid) && TransactionIdIsCurrentTransactionId(xid);
}

/* Committed (or frozen): the entry's effect is permanent. */
static bool
entry_committed(const LsmRowHeader *h)
{
	if ((h->flags & LSM_ROW_FROZEN) || !TransactionIdIsNormal(h->xid))
		return true;
	if (TransactionIdIsCurrentTransactionId(h->xid) || TransactionIdIsInProgress(h->xid))
		return false;
	return TransactionIdDidCommit(h->xid);
}

static bool
entry_running(const LsmRowHeader *h)
{
	if ((h->flags & LSM_ROW_FROZEN) || !TransactionIdIsNormal(h->xid))
		return false;
	if (TransactionIdIsCurrentTransactionId(h->xid))
		return false;
	return TransactionIdIsInProgress(h->xid);
}

/*
 * The PUT of the row version visible to snapshot, if the row is not
 * deleted for that snapshot: its index in e[], or -1.
 */
int
lsm_row_visible_put(const LsmRowEntry *e, int n, Snapshot snapshot)
{
	bool		deleted = false;
	int			i;

	if (snapshot->snapshot_type == SNAPSHOT_DIRTY)
	{
		snapshot->xmin = snapshot->xmax = InvalidTransactionId;
		snapshot->speculativeToken = 0;		/* fetch_row sets it for speculative insertions */
	}
	for (i = 0; i < n; i++)
	{
		switch (lsm_version_step(e[i].type, &e[i].hdr, &deleted, snapshot))
		{
			case LSM_STEP_NEXT:
				break;
			case LSM_STEP_VISIBLE:
				return i;
			case LSM_STEP_NONE:
				return -1;
		}
	}
	return -1;
}

/*
 * The newest version of the row: its PUT's index in e[] (aborted PUTs are
 * no version), or -1.  Entries above it (e[0..put-1]) are that version's
 * DELETE and LOCK entries, and those made while an aborted update was
 * running.
 */
static int
live_put(const LsmRowEntry *e, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (e[i].type == LSM_TYPE_PUT && !lsm_entry_is_aborted(&e[i].hdr))
			return i;
	return -1;
}

/* ---------- bounded row lookups (lsm_view_get_row_upto) ---------- */

typedef struct UptoVersion
{
	uint64		target;			/* 0: the newest live version */
	bool		have_newest;
} UptoVersion;

static bool
enough_version(const LsmRowEntry *e, int n, void *arg)
{
	UptoVersion *u = (UptoVersion *) arg;
	const LsmRowEntry *x = &e[n - 1];

	if (x->type != LSM_TYPE_PUT)
		return false;
	if (!u->have_newest)
	{
		if (lsm_entry_is_aborted(&x->hdr))
			return false;
		u->have_newest = true;
	}
	return u->target == 0 || x->seq == u->target;
}

/*
 * The entries of row rowid down to its newest live version's PUT and, if
 * target is not 0, down to version target's PUT: what deciding a change,
 * a lock or deadness needs.
 */
int
lsm_row_get_upto_version(LsmReadView *view, uint64 rowid, uint64 target, LsmRowEntry **e)
{
	UptoVersion u;

	u.target = target;
	u.have_newest = false;
	return lsm_view_get_row_upto(view, rowid, e, enough_version, &u);
}

typedef struct UptoVisible
{
	Snapshot	snapshot;
	bool		deleted;
} UptoVisible;

static bool
enough_visible(const LsmRowEntry *e, int n, void *arg)
{
	UptoVisible *u = (UptoVisible *) arg;

	return lsm_version_step(e[n - 1].type, &e[n - 1].hdr, &u->deleted, u->snapshot) !=
		LSM_STEP_NEXT;
}

/*
 * The entries of row rowid down to the version an MVCC snapshot sees (or
 * to the DELETE that hides the row from it); under other snapshots, all.
 */
int
lsm_row_get_upto_visible(LsmReadView *view, uint64 rowid, Snapshot snapshot, LsmRowEntry **e)
{
	UptoVisible u;

	if (!IsMVCCSnapshot(snapshot))
		return lsm_view_get_row(view, rowid, e);
	u.snapshot = snapshot;
	u.deleted = false;
	return lsm_view_get_row_upto(view, rowid, e, enough_visible, &u);
}

static bool
enough_seq_at_most(const LsmRowEntry *e, int n, void *arg)
{
	return e[n - 1].seq <= *(uint64 *) arg;
}

/*
 * The xid heap would show as the raw xmax of the version whose PUT is
 * e[put]: the next version's updater if the version was replaced, else
 * that of its newest DELETE or LOCK entry (whatever became of its
 * transaction, as heap leaves an aborted xmax in place), or invalid.
 */
TransactionId
lsm_row_xmax(const LsmRowEntry *e, int put)
{
	int			i;

	for (i = put - 1; i >= 0; i--)
		if (e[i].type == LSM_TYPE_PUT && !lsm_entry_is_aborted(&e[i].hdr))
			return e[i].hdr.xid;
	return put > 0 ? e[0].hdr.xid : InvalidTransactionId;
}

/*
 * The TID that predicate locks of the version whose PUT has sequence
 * number seq are taken on: that of seq in the row-id space.  The first
 * version's seq is the row id; a later version's seq is no row's id, so
 * readers of one version do not conflict with writers of another, as
 * heap's tuple locks of a HOT chain's members.
 */
void
lsm_version_tid(uint64 seq, ItemPointer tid)
{
	lsm_rowid_to_tid(seq, tid);
}

static void
set_tid_or_moved(ItemPointer tid, const LsmRowEntry *del, ItemPointer self)
{
	if (del->type == LSM_TYPE_PUT)
		lsm_version_tid(del->seq, tid);	/* replaced by a later version */
	else if (del->hdr.flags & LSM_ROW_MOVED)
		ItemPointerSetMovedPartitions(tid);
	else if ((del->hdr.flags & LSM_ROW_UPDATED) && del->link != 0)
		lsm_rowid_to_tid(del->link, tid);
	else
		*tid = *self;
}

/* Locking, following update links, met a row moved to another partition. */
static void
moved_partition_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("tuple to be locked was already moved to another partition due to concurrent update")));
}

/* The tombstone this transaction (any of its live subtransactions) put on the row. */
static const LsmRowEntry *
own_tombstone(const LsmRowEntry *e, int put)
{
	int			i;

	for (i = 0; i < put; i++)
		if (e[i].type == LSM_TYPE_DELETE && !(e[i].hdr.flags & LSM_ROW_KILLED) &&
			xid_is_mine(e[i].hdr.xid))
			return &e[i];
	return NULL;
}

/* What stands in the way of modifying or locking a row. */
typedef enum RowCheck
{
	ROW_FREE,					/* go ahead */
	ROW_INVISIBLE,				/* no such row for us */
	ROW_SELF_MODIFIED,			/* deleted/updated by this transaction */
	ROW_GONE,					/* deleted/updated by a committed transaction */
	ROW_UPDATED,				/* replaced by a later version under this row
								 * id, made by a committed transaction */
	ROW_WAIT,					/* a running transaction conflicts: wait_xid */
	ROW_ALREADY_LOCKED			/* (lock) we hold an equal or stronger lock */
} RowCheck;

typedef struct RowCheckResult
{
	RowCheck	what;
	const LsmRowEntry *del;		/* the tombstone (or the newer version's PUT),
								 * for SELF_MODIFIED / GONE / UPDATED */
	const LsmRowEntry *keys_kept_update;	/* FREE for KEY SHARE: an update
											 * (running or committed) that
											 * kept the keys */
	TransactionId wait_xid;
	int			put;			/* index of the newest version's PUT */
} RowCheckResult;

/*
 * Decide whether mode may be taken on version target of row rowid (0: its
 * newest version), for a command with id cid (is_lock: a row lock; else
 * an UPDATE or DELETE taking mode).  Only the newest version can be
 * changed or locked: when a later version replaced target, its maker
 * decides as heap's xmax of an updated tuple does (running: wait;
 * committed: ROW_UPDATED, r.del = the next version's PUT; this
 * transaction: SELF_MODIFIED or INVISIBLE by command id).  Such an update
 * changed no indexed column, so it kept the keys: FOR KEY SHARE passes it
 * and locks the newest version.
 */
static RowCheckResult
check_row(const LsmRowEntry *e, int n, uint64 rowid, uint64 target, LockTupleMode mode,
		  CommandId cid, bool is_lock)
{
	RowCheckResult r;
	const LsmRowEntry *newest;
	int			i;
	bool		have_lock = false;

	memset(&r, 0, sizeof(r));
	r.put = live_put(e, n);
	if (r.put < 0)
	{
		r.what = ROW_INVISIBLE;
		return r;
	}
	newest = &e[r.put];
	if (target != 0 && newest->seq != target)
	{
		const LsmRowEntry *next = NULL;

		for (i = r.put + 1; i < n; i++)
			if (e[i].type == LSM_TYPE_PUT && e[i].seq == target)
				break;
		if (i == n || lsm_entry_is_aborted(&e[i].hdr))
		{
			r.what = ROW_INVISIBLE;
			return r;
		}
		/* the version that replaced target: the nearest live PUT above it */
		for (i = i - 1; i >= 0; i--)
			if (e[i].type == LSM_TYPE_PUT && !lsm_entry_is_aborted(&e[i].hdr))
			{
				next = &e[i];
				break;
			}
		Assert(next != NULL);
		if (!(is_lock && mode == LockTupleKeyShare))
		{
			r.del = next;
			if (xid_is_mine(next->hdr.xid))
				r.what = next->hdr.cid >= cid ? ROW_SELF_MODIFIED : ROW_INVISIBLE;
			else if (entry_running(&next->hdr))
			{
				r.what = ROW_WAIT;
				r.wait_xid = next->hdr.xid;
			}
			else
				r.what = ROW_UPDATED;
			return r;
		}
	}
	/* made by this command or a later one of ours: not there yet for us */
	if (xid_is_mine(newest->hdr.xid) && newest->hdr.cid >= cid)
	{
		r.what = ROW_INVISIBLE;
		return r;
	}
	for (i = 0; i < r.put; i++)
	{
		const LsmRowEntry *x = &e[i];

		if (x->type == LSM_TYPE_PUT || (x->hdr.flags & LSM_ROW_VERSION_ENTRY))
			continue;			/* aborted; no back-pointers under a row id */
		if (x->type == LSM_TYPE_DELETE && (x->hdr.flags & LSM_ROW_KILLED))
		{
			r.what = ROW_INVISIBLE;
			return r;
		}
		if (lsm_entry_is_aborted(&x->hdr))
			continue;
		if (x->type == LSM_TYPE_DELETE)
		{
			/*
			 * An update that kept the keys does not conflict with FOR KEY
			 * SHARE: the lock goes on this version (and, through
			 * r.keys_kept_update, on the newer ones).
			 */
			bool		passes = is_lock && mode == LockTupleKeyShare &&
				(x->hdr.flags & LSM_ROW_KEYS_KEPT) && x->link != 0;

			if (xid_is_mine(x->hdr.xid))
			{
				r.what = x->hdr.cid >= cid ? ROW_SELF_MODIFIED : ROW_INVISIBLE;
				r.del = x;
				return r;
			}
			if (passes && (entry_running(&x->hdr) || entry_committed(&x->hdr)))
			{
				r.keys_kept_update = x;
				continue;
			}
			if (entry_running(&x->hdr))
			{
				r.what = ROW_WAIT;
				r.wait_xid = x->hdr.xid;
				return r;
			}
			if (entry_committed(&x->hdr))
			{
				r.what = ROW_GONE;
				r.del = x;
				return r;
			}
		}
		else if (x->type == LSM_TYPE_LOCK)
		{
			LockTupleMode held = (LockTupleMode) x->hdr.reserved;

			if (xid_is_mine(x->hdr.xid))
			{
				if (is_lock && held >= mode)
					have_lock = true;
				continue;
			}
			if (entry_running(&x->hdr) && modes_conflict(mode, held))
			{
				r.what = ROW_WAIT;
				r.wait_xid = x->hdr.xid;
				return r;
			}
		}
	}

	r.what = have_lock ? ROW_ALREADY_LOCKED : ROW_FREE;
	return r;
}

/* Does a stored row point to TOASTed values? */
static bool
body_has_external(const LsmRowEntry *put)
{
	uint16		infomask;
	Size		off = offsetof(HeapTupleHeaderData, t_infomask) -
		offsetof(HeapTupleHeaderData, t_infomask2);

	if (put->bodylen < off + sizeof(uint16))
		return false;
	memcpy(&infomask, put->body + off, sizeof(uint16));
	return (infomask & HEAP_HASEXTERNAL) != 0;
}

/* Rebuild the stored row as a HeapTuple (for TOAST and triggers). */
static HeapTuple
row_heaptuple(Relation rel, uint64 rowid, const LsmRowEntry *put)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	HeapTuple	tup;

	lsm_store_row(rel, slot, rowid, &put->hdr, put->body, put->bodylen, InvalidTransactionId);
	tup = ExecCopySlotHeapTuple(slot);
	ExecDropSingleTupleTableSlot(slot);
	return tup;
}

/* Wait for a conflicting transaction, or report that we would have to. */
static bool
wait_or_fail(Relation rel, ItemPointer tid, TransactionId xid, LockWaitPolicy policy,
			 XLTW_Oper oper)
{
	switch (policy)
	{
		case LockWaitBlock:
			XactLockTableWait(xid, rel, tid, oper);
			return true;
		case LockWaitSkip:
			return ConditionalXactLockTableWait(xid);
		case LockWaitError:
			if (!ConditionalXactLockTableWait(xid))
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("could not obtain lock on row in relation \"%s\"",
								RelationGetRelationName(rel))));
			return true;
	}
	return false;
}

static uint64 append_header_entry(Relation rel, uint64 rowid, lsm_entry_type type,
								const LsmRowHeader *hdr);
static void append_lock(Relation rel, uint64 rowid, CommandId cid, LockTupleMode mode);
static TM_Result lock_newer_versions(Relation rel, uint64 rowid, CommandId cid,
									 TM_FailureData *tmfd, uint64 *gone_link,
									 uint16 *gone_flags);

/* Is column attno stored equal in oldtup and newslot (heap's heap_attr_equals)? */
static bool
column_unchanged(TupleDesc desc, AttrNumber attno, HeapTuple oldtup, TupleTableSlot *newslot)
{
	Form_pg_attribute att = TupleDescAttr(desc, attno - 1);
	bool		oldnull,
				newnull;
	Datum		oldval,
				newval;

	oldval = heap_getattr(oldtup, attno, desc, &oldnull);
	newval = slot_getattr(newslot, attno, &newnull);
	if (oldnull != newnull)
		return false;
	return oldnull || datumIsEqual(oldval, newval, att->attbyval, att->attlen);
}

/*
 * What an UPDATE from oldtup to newslot is, as heap decides it: its lock
 * mode is LockTupleExclusive if it changes a key column (keys: the
 * relation's INDEX_ATTR_BITMAP_KEY, columns of unique indexes a foreign
 * key could reference), else LockTupleNoKeyExclusive; and *in_place
 * (heap's HOT) when it changes no column any index uses (indexed: the
 * relation's INDEX_ATTR_BITMAP_ALL), so the new version can stay under
 * the same row id and no index needs a new entry.  Values are compared
 * as stored, so a value stored differently but equal counts as changed,
 * as in heap; a whole-row reference in an index counts as every column.
 */
static LockTupleMode
update_kind(Relation rel, const Bitmapset *keys, const Bitmapset *indexed,
			HeapTuple oldtup, TupleTableSlot *newslot, bool *in_place)
{
	TupleDesc	desc = RelationGetDescr(rel);
	LockTupleMode mode = LockTupleNoKeyExclusive;
	int			attr = -1;

	while ((attr = bms_next_member(keys, attr)) >= 0)
	{
		AttrNumber	attno = attr + FirstLowInvalidHeapAttributeNumber;

		if (attno <= 0)
			continue;			/* system columns do not change */
		if (!column_unchanged(desc, attno, oldtup, newslot))
		{
			mode = LockTupleExclusive;
			break;
		}
	}
	*in_place = (mode == LockTupleNoKeyExclusive);
	attr = -1;
	while (*in_place && (attr = bms_next_member(indexed, attr)) >= 0)
	{
		AttrNumber	attno = attr + FirstLowInvalidHeapAttributeNumber;

		if (attno == InvalidAttrNumber)
			*in_place = false;	/* a whole-row reference */
		else if (attno > 0 && !column_unchanged(desc, attno, oldtup, newslot))
			*in_place = false;
	}
	return mode;
}

/*
 * An UPDATE: copy the FOR KEY SHARE locks of running transactions (among
 * the row's entries e[0..put-1]) onto the new version new_rowid, so that
 * deleting it or changing its key waits for them, as heap's new tuple
 * inherits them in its xmax (an update that changes the key found no
 * such lock: it waited for them); and this transaction's own locks, which
 * heap's new tuple shows as its xmax too.  Returns the xmax the new
 * version then shows (invalid if none).
 */
static TransactionId
carry_locks(Relation rel, const LsmRowEntry *e, int put, uint64 new_rowid)
{
	LsmWriteOp *ops = NULL;
	LsmRowHeader *hdrs = NULL;
	char		rowkey[LSM_ROWKEY_LEN];
	int			n = 0;
	int			i;

	lsm_put_be64(rowkey, new_rowid);
	for (i = 0; i < put; i++)
	{
		/* others' running KEY SHARE locks, and ours (heap's xmax shows them) */
		if (e[i].type != LSM_TYPE_LOCK)
			continue;
		if (!xid_is_mine(e[i].hdr.xid) &&
			((LockTupleMode) e[i].hdr.reserved != LockTupleKeyShare ||
			 !entry_running(&e[i].hdr)))
			continue;
		if (ops == NULL)
		{
			ops = palloc0(sizeof(LsmWriteOp) * put);
			hdrs = palloc0(sizeof(LsmRowHeader) * put);
		}
		hdrs[n] = e[i].hdr;
		ops[n].type = LSM_TYPE_LOCK;
		ops[n].key = rowkey;
		ops[n].keylen = LSM_ROWKEY_LEN;
		ops[n].value = (char *) &hdrs[n];
		ops[n].vlen = sizeof(LsmRowHeader);
		n++;
	}
	if (n == 0)
		return InvalidTransactionId;
	lsm_memstore_write(rel, ops, n);
	/* the newest carried lock is what the new version's xmax shows */
	return hdrs[0].xid;
}

/*
 * After writing new version new_rowid (same row id or not) of row rowid,
 * whose entries were read up to seq seen_max: carry the FOR KEY SHARE
 * locks appended to row rowid since then (below the new version) as
 * carry_locks does (see append_lock).
 */
static void
carry_late_locks(Relation rel, uint64 rowid, uint64 seen_max, uint64 new_rowid,
				 uint64 new_seq)
{
	LsmRowEntry *e;
	int			n = lsm_view_get_row_upto(lsm_current_view(rel), rowid, &e,
										  enough_seq_at_most, &seen_max);
	int			first = -1;
	int			last = -1;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (e[i].seq >= new_seq)
			continue;			/* written with or after the new version */
		if (e[i].seq <= seen_max)
			break;
		if (first < 0)
			first = i;
		last = i;
	}
	if (first < 0)
		return;
	/* carry_locks copies e[0..put-1]: hand it the late slice */
	(void) carry_locks(rel, &e[first], last - first + 1, new_rowid);
}

/*
 * The row and version a TID names.  TID(s) names the version whose PUT
 * has seq s: the row's first version when s is a row id, else a later
 * one, found through the back-pointer under key s.  Returns the row id
 * (0 if nothing is known of s).
 */
uint64
lsm_resolve_tid(Relation rel, ItemPointer tid)
{
	uint64		s = lsm_tid_to_rowid(tid);
	LsmRowEntry *e;
	UptoVersion u = {0, false};
	int			n = lsm_view_get_row_upto(lsm_current_view(rel), s, &e, enough_version, &u);
	int			i;

	for (i = 0; i < n; i++)
	{
		if (e[i].type == LSM_TYPE_PUT)
			return s;
		if (e[i].type == LSM_TYPE_DELETE && (e[i].hdr.flags & LSM_ROW_VERSION_OF))
			return e[i].link;
	}
	return n > 0 ? s : 0;
}

/* The index in e[] of the PUT of version seq, or -1. */
int
lsm_row_find_version(const LsmRowEntry *e, int n, uint64 seq)
{
	int			i;

	for (i = 0; i < n; i++)
		if (e[i].type == LSM_TYPE_PUT && e[i].seq == seq)
			return i;
	return -1;
}

/* A back-pointer entry (LSM_ROW_VERSION_OF / _END) for op, in val. */
static void
version_entry(LsmWriteOp *op, char *val, uint16 flags, uint64 rowid)
{
	LsmRowHeader hdr;
	LsmRowLink	link;

	memset(&hdr, 0, sizeof(hdr));
	hdr.xid = GetCurrentTransactionId();
	hdr.cid = GetCurrentCommandId(false);
	hdr.flags = flags;
	link.new_rowid = rowid;
	memcpy(val, &hdr, sizeof(hdr));
	memcpy(val + sizeof(hdr), &link, sizeof(link));
	op->type = LSM_TYPE_DELETE;
	op->value = val;
	op->vlen = sizeof(hdr) + sizeof(link);
}

/*
 * DELETE and UPDATE of the version at tid: check the row, then append a
 * tombstone, or, for an update, the new version: under the same row id
 * when no indexed column changes (*in_place_out, heap's HOT: no index
 * gets an entry; a back-pointer under the new version's seq resolves its
 * TID), else under a new row id with a tombstone that links to it.  A
 * later version that is replaced or deleted ends its back-pointer.
 */
static TM_Result
modify_row(Relation rel, ItemPointer tid, CommandId cid, Snapshot crosscheck,
		   bool wait, TM_FailureData *tmfd, bool changingPart,
		   TupleTableSlot *newslot, int options, LockTupleMode *lockmode_out,
		   bool *in_place_out)
{
	uint64		target = lsm_tid_to_rowid(tid);
	uint64		rowid;
	ItemPointerData rowtid;
	TM_Result	result = TM_Ok;
	bool		locked = false;
	LockTupleMode mode = LockTupleExclusive;
	Bitmapset  *keys = NULL;
	Bitmapset  *indexed = NULL;
	bool		in_place = false;

	lsm_check_preloaded();
	(void) GetCurrentTransactionId();
	rowid = lsm_resolve_tid(rel, tid);
	if (rowid == 0)
		return TM_Invisible;
	/* modifiers and lockers of a row serialize on its row id's tuple lock */
	lsm_rowid_to_tid(rowid, &rowtid);

	/*
	 * An UPDATE's lock mode and whether it stays in place depend on the
	 * version it replaces, decided under the tuple lock: it is first taken
	 * for LockTupleNoKeyExclusive and taken again if the update changes a
	 * key.
	 */
	if (newslot != NULL)
	{
		keys = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_KEY);
		indexed = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_ALL);
		mode = LockTupleNoKeyExclusive;
	}

	for (;;)
	{
		LsmReadView *view;
		LsmRowEntry *e;
		int			n;
		RowCheckResult r;
		HeapTuple	oldtup = NULL;

		if (!locked)
		{
			LockTuple(rel, &rowtid, tuple_hwlock[mode]);
			locked = true;
		}
		view = lsm_current_view(rel);
		n = lsm_row_get_upto_version(view, rowid, target, &e);
		if (newslot != NULL)
		{
			int			put = live_put(e, n);

			if (put >= 0)
			{
				LockTupleMode m;

				oldtup = row_heaptuple(rel, e[put].seq, &e[put]);
				m = update_kind(rel, keys, indexed, oldtup, newslot, &in_place);
				if (m != mode)
				{
					UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
					locked = false;
					mode = m;
					heap_freetuple(oldtup);
					continue;
				}
			}
		}
		r = check_row(e, n, rowid, target, mode, cid, false);

		if (r.what == ROW_WAIT)
		{
			if (oldtup)
				heap_freetuple(oldtup);
			if (!wait)
			{
				tmfd->ctid = *tid;
				tmfd->xmax = r.wait_xid;
				tmfd->cmax = InvalidCommandId;
				tmfd->traversed = false;
				result = TM_BeingModified;
				break;
			}
			/* never wait holding the tuple lock: the holder of the row may need it */
			UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
			locked = false;
			XactLockTableWait(r.wait_xid, rel, tid, newslot ? XLTW_Update : XLTW_Delete);
			continue;
		}
		if (r.what != ROW_FREE && oldtup)
		{
			heap_freetuple(oldtup);
			oldtup = NULL;
		}
		if (r.what == ROW_INVISIBLE)
		{
			result = TM_Invisible;
			break;
		}
		if (r.what == ROW_SELF_MODIFIED || r.what == ROW_GONE || r.what == ROW_UPDATED)
		{
			set_tid_or_moved(&tmfd->ctid, r.del, tid);
			tmfd->xmax = r.del->hdr.xid;
			tmfd->cmax = r.what == ROW_SELF_MODIFIED ? r.del->hdr.cid : InvalidCommandId;
			tmfd->traversed = false;
			if (r.what == ROW_SELF_MODIFIED)
				result = TM_SelfModified;
			else if (r.what == ROW_UPDATED)
				result = TM_Updated;
			else
				result = (r.del->hdr.flags & (LSM_ROW_UPDATED | LSM_ROW_MOVED)) ?
					TM_Updated : TM_Deleted;
			break;
		}

		/* the row is ours to change */
		Assert(e[r.put].seq == target);
		if (crosscheck != InvalidSnapshot &&
			!lsm_xid_visible(e[r.put].hdr.xid, e[r.put].hdr.cid, e[r.put].hdr.flags, crosscheck))
		{
			if (oldtup)
				heap_freetuple(oldtup);
			tmfd->ctid = *tid;
			tmfd->xmax = InvalidTransactionId;
			tmfd->cmax = InvalidCommandId;
			tmfd->traversed = false;
			result = TM_Updated;
			break;
		}
		/* SERIALIZABLE: readers of this version, of its TID block, of the relation */
		CheckForSerializableConflictIn(rel, tid, ItemPointerGetBlockNumber(tid));
		{
			LsmWriteOp	ops[3];
			LsmRowHeader hdr;
			LsmRowLink	link;
			char		val[sizeof(LsmRowHeader) + sizeof(LsmRowLink)];
			char		bpval[sizeof(LsmRowHeader) + sizeof(LsmRowLink)];
			char		endval[sizeof(LsmRowHeader) + sizeof(LsmRowLink)];
			char		rowkey[LSM_ROWKEY_LEN];
			char		endkey[LSM_ROWKEY_LEN];
			Size		newlen = 0;
			char	   *newval = NULL;
			TransactionId new_xmax = InvalidTransactionId;
			LsmWriteOp	end;
			uint64		seen_max = n > 0 ? e[0].seq : 0;

			if (oldtup == NULL && body_has_external(&e[r.put]))
				oldtup = row_heaptuple(rel, target, &e[r.put]);
			memset(ops, 0, sizeof(ops));
			memset(&hdr, 0, sizeof(hdr));
			hdr.xid = GetCurrentTransactionId();
			hdr.cid = cid;
			lsm_put_be64(rowkey, rowid);

			/* a later version being replaced or deleted ends its back-pointer */
			memset(&end, 0, sizeof(end));
			if (target != rowid)
			{
				version_entry(&end, endval, LSM_ROW_VERSION_END, rowid);
				lsm_put_be64(endkey, target);
				end.key = endkey;
				end.keylen = LSM_ROWKEY_LEN;
			}
			if (newslot != NULL)
			{
				newval = lsm_form_row_value(rel, newslot, cid, options, oldtup, &newlen);
				hdr.flags |= LSM_ROW_UPDATED;
				if (mode == LockTupleNoKeyExclusive)
					hdr.flags |= LSM_ROW_KEYS_KEPT;
			}
			else
			{
				if (changingPart)
					hdr.flags |= LSM_ROW_MOVED;
				/* the deleted row's TOASTed values go with it, as in heap */
				if (oldtup != NULL && HeapTupleHasExternal(oldtup))
					heap_toast_delete(rel, oldtup, false);
			}
			memcpy(val, &hdr, sizeof(hdr));
			if (newslot != NULL && in_place)
			{
				/*
				 * The new version under the same row id, then its
				 * back-pointer (keyed by the PUT's seq), then the replaced
				 * version's end; the running FOR KEY SHARE locks come
				 * along, above the new version.
				 */
				int			nops = 2;

				ops[0].type = LSM_TYPE_PUT;
				ops[0].key = rowkey;
				ops[0].keylen = LSM_ROWKEY_LEN;
				ops[0].value = newval;
				ops[0].vlen = newlen;
				version_entry(&ops[1], bpval, LSM_ROW_VERSION_OF, rowid);
				ops[1].key_is_prev_seq = true;
				ops[1].key = ops[1].keybuf;
				ops[1].keylen = LSM_ROWKEY_LEN;
				if (target != rowid)
					ops[nops++] = end;
				lsm_memstore_write(rel, ops, nops);
				Assert(ops[0].seq > rowid && lsm_get_be64(ops[1].keybuf) == ops[0].seq);
				new_xmax = carry_locks(rel, e, r.put, rowid);
				carry_late_locks(rel, rowid, seen_max, rowid, ops[0].seq);
				lsm_stamp_slot(rel, newslot, ops[0].seq, cid);
				if (TransactionIdIsValid(new_xmax))
					HeapTupleHeaderSetXmax(ExecFetchSlotHeapTuple(newslot, false, NULL)->t_data,
										   new_xmax);
				pgstat_count_heap_update(rel, true);
			}
			else if (newslot != NULL)
			{
				/*
				 * The new version's row id is its seq, known only once it is
				 * written: write it first, then the tombstone linking to it.
				 */
				LsmWriteOp	put;
				int			nops = 1;

				memset(&put, 0, sizeof(put));
				put.type = LSM_TYPE_PUT;
				put.value = newval;
				put.vlen = newlen;
				lsm_memstore_write(rel, &put, 1);
				new_xmax = carry_locks(rel, e, r.put, put.seq);
				link.new_rowid = put.seq;
				memcpy(val + sizeof(hdr), &link, sizeof(link));
				ops[0].type = LSM_TYPE_DELETE;
				ops[0].key = rowkey;
				ops[0].keylen = LSM_ROWKEY_LEN;
				ops[0].value = val;
				ops[0].vlen = sizeof(hdr) + sizeof(link);
				if (target != rowid)
					ops[nops++] = end;
				lsm_memstore_write(rel, ops, nops);
				carry_late_locks(rel, rowid, seen_max, put.seq, ops[0].seq);
				lsm_stamp_slot(rel, newslot, put.seq, cid);
				if (TransactionIdIsValid(new_xmax))
					HeapTupleHeaderSetXmax(ExecFetchSlotHeapTuple(newslot, false, NULL)->t_data,
										   new_xmax);
				pgstat_count_heap_update(rel, false);
			}
			else
			{
				int			nops = 1;

				ops[0].type = LSM_TYPE_DELETE;
				ops[0].key = rowkey;
				ops[0].keylen = LSM_ROWKEY_LEN;
				ops[0].value = val;
				ops[0].vlen = sizeof(hdr);
				if (target != rowid)
					ops[nops++] = end;
				lsm_memstore_write(rel, ops, nops);
				pgstat_count_heap_delete(rel);
			}
			if (newval)
				pfree(newval);
			if (oldtup)
				heap_freetuple(oldtup);
		}
		result = TM_Ok;
		break;
	}
	if (locked)
		UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
	if (lockmode_out)
		*lockmode_out = mode;
	if (in_place_out)
		*in_place_out = (result == TM_Ok && newslot != NULL && in_place);
	bms_free(keys);
	bms_free(indexed);
	return result;
}

TM_Result
lsm_dml_delete(Relation rel, ItemPointer tid, CommandId cid, Snapshot snapshot,
			   Snapshot crosscheck, bool wait, TM_FailureData *tmfd, bool changingPart)
{
	return modify_row(rel, tid, cid, crosscheck, wait, tmfd, changingPart,
					  NULL, 0, NULL, NULL);
}

TM_Result
lsm_dml_update(Relation rel, ItemPointer otid, TupleTableSlot *slot, CommandId cid,
			   Snapshot snapshot, Snapshot crosscheck, bool wait,
			   TM_FailureData *tmfd, LockTupleMode *lockmode, bool *update_indexes)
{
	TM_Result	r;
	bool		in_place;

	r = modify_row(rel, otid, cid, crosscheck, wait, tmfd, false, slot, 0,
				   lockmode, &in_place);
	/* a new version under a new row id needs an entry in every index */
	*update_indexes = (r == TM_Ok && !in_place);
	return r;
}

/*
 * Lock a row (SELECT FOR UPDATE/SHARE, EvalPlanQual), following update
 * links to the newest version when asked, and return the locked version
 * in slot.
 */
TM_Result
lsm_dml_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
			 TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
			 LockWaitPolicy wait_policy, uint8 flags, TM_FailureData *tmfd)
{
	bool		follow = (flags & TUPLE_LOCK_FLAG_FIND_LAST_VERSION) != 0;
	TM_Result	result;
	bool		locked = false;
	uint64		rowid = 0;
	ItemPointerData rowtid;

	lsm_check_preloaded();
	tmfd->traversed = false;
	(void) GetCurrentTransactionId();

	for (;;)
	{
		uint64		target = lsm_tid_to_rowid(tid);
		LsmReadView *view;
		LsmRowEntry *e;
		int			n;
		RowCheckResult r;
		uint64		kept_link;

		if (!locked)
		{
			rowid = lsm_resolve_tid(rel, tid);
			if (rowid == 0)
				return TM_Invisible;
			lsm_rowid_to_tid(rowid, &rowtid);
			if (wait_policy == LockWaitBlock)
				LockTuple(rel, &rowtid, tuple_hwlock[mode]);
			else if (!ConditionalLockTuple(rel, &rowtid, tuple_hwlock[mode]))
			{
				if (wait_policy == LockWaitSkip)
					return TM_WouldBlock;
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("could not obtain lock on row in relation \"%s\"",
								RelationGetRelationName(rel))));
			}
			locked = true;
		}
		view = lsm_current_view(rel);
		n = lsm_row_get_upto_version(view, rowid, target, &e);
		r = check_row(e, n, rowid, target, mode, cid, true);

		/*
		 * Replaced by a later version of the row (an update that changed no
		 * indexed column), made by a committed transaction: following,
		 * lock that version (heap follows t_ctid); else the version the
		 * caller named is gone.
		 */
		if (r.what == ROW_UPDATED)
		{
			lsm_version_tid(r.del->seq, &tmfd->ctid);
			tmfd->xmax = r.del->hdr.xid;
			tmfd->cmax = InvalidCommandId;
			if (follow)
			{
				*tid = tmfd->ctid;
				tmfd->traversed = true;
				continue;
			}
			result = TM_Updated;
			break;
		}

		/*
		 * Following update links, versions this transaction replaced are
		 * passed over whatever command did it, and the newest version,
		 * when a later command of ours made it, is TM_SelfModified with
		 * that command's id: as heap walking the chain with a dirty
		 * snapshot (the executor then tells an update made by a trigger or
		 * function of this command from one made by the command itself).
		 */
		if (tmfd->traversed && r.put >= 0 &&
			(r.what == ROW_SELF_MODIFIED || r.what == ROW_INVISIBLE))
		{
			const LsmRowEntry *mine = own_tombstone(e, r.put);

			if (r.del != NULL && r.del->type == LSM_TYPE_PUT)
			{
				/* our own later version of this row id */
				lsm_version_tid(r.del->seq, tid);
				continue;
			}
			if (mine != NULL && (mine->hdr.flags & LSM_ROW_UPDATED) && mine->link != 0)
			{
				UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
				locked = false;
				lsm_rowid_to_tid(mine->link, tid);
				continue;
			}
			if (mine != NULL)
			{
				set_tid_or_moved(&tmfd->ctid, mine, tid);
				tmfd->xmax = mine->hdr.xid;
				tmfd->cmax = InvalidCommandId;
				result = TM_Deleted;
				break;
			}
			if (xid_is_mine(e[r.put].hdr.xid) && e[r.put].hdr.cid >= cid)
			{
				tmfd->ctid = *tid;
				tmfd->xmax = e[r.put].hdr.xid;
				tmfd->cmax = e[r.put].hdr.cid;
				result = TM_SelfModified;
				break;
			}
		}

		if (r.what == ROW_WAIT)
		{
			/* never wait holding the tuple lock: the holder of the row may need it */
			UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
			locked = false;
			if (!wait_or_fail(rel, tid, r.wait_xid, wait_policy, XLTW_Lock))
			{
				result = TM_WouldBlock;
				break;
			}
			continue;
		}
		if (r.what == ROW_INVISIBLE)
		{
			/*
			 * Made by this very command (ON CONFLICT meeting a row of its
			 * own): the caller reads xmin from the slot to say so.
			 */
			int			v = lsm_row_find_version(e, n, target);

			if (v >= 0 && !lsm_entry_is_aborted(&e[v].hdr))
				lsm_store_row(rel, slot, e[v].seq, &e[v].hdr, e[v].body,
							  e[v].bodylen, InvalidTransactionId);
			result = TM_Invisible;
			break;
		}
		if (r.what == ROW_SELF_MODIFIED)
		{
			set_tid_or_moved(&tmfd->ctid, r.del, tid);
			tmfd->xmax = r.del->hdr.xid;
			tmfd->cmax = r.del->hdr.cid;
			result = TM_SelfModified;
			break;
		}
		if (r.what == ROW_GONE)
		{
			set_tid_or_moved(&tmfd->ctid, r.del, tid);
			tmfd->xmax = r.del->hdr.xid;
			tmfd->cmax = InvalidCommandId;
			if (follow && (r.del->hdr.flags & LSM_ROW_MOVED))
				moved_partition_error();
			if (follow && (r.del->hdr.flags & LSM_ROW_UPDATED) && r.del->link != 0)
			{
				/* go to the next version */
				UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
				locked = false;
				lsm_rowid_to_tid(r.del->link, tid);
				tmfd->traversed = true;
				continue;
			}
			result = (r.del->hdr.flags & (LSM_ROW_UPDATED | LSM_ROW_MOVED)) ?
				TM_Updated : TM_Deleted;
			break;
		}
		/*
		 * The locked version goes to the caller, with this locker as xmax:
		 * the one it named (FOR KEY SHARE passes over later versions that
		 * kept the keys, as heap locks the tuple at the TID), which is
		 * otherwise the newest.  Stored before the lock entry is written:
		 * writing it may look the row up again, which ends e[].
		 */
		{
			int			v = lsm_row_find_version(e, n, target);

			if (v < 0)
				v = r.put;
			lsm_store_row(rel, slot, e[v].seq, &e[v].hdr, e[v].body, e[v].bodylen,
						  GetCurrentTransactionId());
		}
		kept_link = r.keys_kept_update ? r.keys_kept_update->link : 0;
		if (r.what == ROW_FREE)
			append_lock(rel, rowid, cid, mode);
		result = TM_Ok;
		if (kept_link != 0)
		{
			uint64		gone_link = 0;
			uint16		gone_flags = 0;

			UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
			locked = false;
			result = lock_newer_versions(rel, kept_link, cid, tmfd,
										 &gone_link, &gone_flags);
			if (result == TM_Updated && follow)
			{
				/* a newer version lost the key: lock what it became */
				if (gone_flags & LSM_ROW_MOVED)
					moved_partition_error();
				lsm_rowid_to_tid(gone_link, tid);
				tmfd->traversed = true;
				continue;
			}
		}
		break;
	}
	if (locked)
		UnlockTuple(rel, &rowtid, tuple_hwlock[mode]);
	return result;
}

/* Append an entry made of a header only (LOCK, plain DELETE) to row rowid; its seq. */
static uint64
append_header_entry(Relation rel, uint64 rowid, lsm_entry_type type,
					const LsmRowHeader *hdr)
{
	LsmWriteOp	op;
	char		rowkey[LSM_ROWKEY_LEN];

	memset(&op, 0, sizeof(op));
	lsm_put_be64(rowkey, rowid);
	op.type = type;
	op.key = rowkey;
	op.keylen = LSM_ROWKEY_LEN;
	op.value = (char *) hdr;
	op.vlen = sizeof(LsmRowHeader);
	lsm_memstore_write(rel, &op, 1);
	return op.seq;
}

/*
 * Append a LOCK entry of this transaction in mode to row rowid.
 *
 * FOR KEY SHARE does not conflict with an update that keeps the keys,
 * and their tuple locks do not exclude each other either, so such an
 * update may read the row just before this lock is appended and write
 * its new version after it, without carrying the lock.  Both sides look
 * again after writing: the update carries locks appended since its read
 * (carry_late_locks), and the locker, seeing a version newer than its
 * lock without one of its locks above it, appends the lock again, until
 * no newer version has come.  One of the two always sees the other's
 * entry, so the lock ends above the newest version.
 */
static void
append_lock(Relation rel, uint64 rowid, CommandId cid, LockTupleMode mode)
{
	LsmRowHeader hdr;
	uint64		seq;

	memset(&hdr, 0, sizeof(hdr));
	hdr.xid = GetCurrentTransactionId();
	hdr.cid = cid;
	hdr.reserved = (uint16) mode;
	seq = append_header_entry(rel, rowid, LSM_TYPE_LOCK, &hdr);
	while (mode == LockTupleKeyShare)
	{
		LsmRowEntry *e;
		int			n = lsm_row_get_upto_version(lsm_current_view(rel), rowid, 0, &e);
		int			put = live_put(e, n);
		int			i;
		bool		above = false;

		CHECK_FOR_INTERRUPTS();
		if (put < 0 || e[put].seq < seq)
			break;				/* our lock is above the newest version */
		for (i = 0; i < put; i++)
			if (e[i].type == LSM_TYPE_LOCK && xid_is_mine(e[i].hdr.xid))
				above = true;
		if (above)
			break;				/* the update carried it */
		seq = append_header_entry(rel, rowid, LSM_TYPE_LOCK, &hdr);
	}
}

/*
 * FOR KEY SHARE was taken on a version that an update kept the keys of:
 * lock the newer versions too (from row rowid on, along the update
 * links), waiting for running transactions whose locks or key changes
 * conflict, up to the newest version, as heap's heap_lock_updated_tuple
 * does.  So the row's key cannot go away under the lock, whichever
 * version is changed next.
 *
 * TM_Ok when every newer version is locked.  When a committed transaction
 * deleted a newer version, or changed its key or partition, the row as
 * the lock means it is gone: TM_Deleted, or TM_Updated with *gone_link
 * (the version its key change made, 0 for a move) and *gone_flags (the
 * tombstone's), and tmfd says who; the versions before it stay locked.
 */
static TM_Result
lock_newer_versions(Relation rel, uint64 rowid, CommandId cid, TM_FailureData *tmfd,
					uint64 *gone_link, uint16 *gone_flags)
{
	const LOCKMODE hw = tuple_hwlock[LockTupleKeyShare];

	for (;;)
	{
		ItemPointerData tid;
		LsmRowEntry *e;
		int			n;
		RowCheckResult r;
		uint64		next = 0;

		CHECK_FOR_INTERRUPTS();
		lsm_rowid_to_tid(rowid, &tid);
		LockTuple(rel, &tid, hw);
		n = lsm_row_get_upto_version(lsm_current_view(rel), rowid, 0, &e);
		r = check_row(e, n, rowid, 0, LockTupleKeyShare, cid, true);
		if (r.what == ROW_WAIT)
		{
			UnlockTuple(rel, &tid, hw);
			XactLockTableWait(r.wait_xid, rel, &tid, XLTW_LockUpdated);
			continue;
		}
		if (r.what == ROW_GONE)
		{
			UnlockTuple(rel, &tid, hw);
			set_tid_or_moved(&tmfd->ctid, r.del, &tid);
			tmfd->xmax = r.del->hdr.xid;
			tmfd->cmax = InvalidCommandId;
			*gone_flags = r.del->hdr.flags;
			*gone_link = (r.del->hdr.flags & LSM_ROW_UPDATED) ? r.del->link : 0;
			return (r.del->hdr.flags & (LSM_ROW_UPDATED | LSM_ROW_MOVED)) ?
				TM_Updated : TM_Deleted;
		}
		if ((r.what == ROW_FREE || r.what == ROW_ALREADY_LOCKED) &&
			r.keys_kept_update != NULL)
			next = r.keys_kept_update->link;
		if (r.what == ROW_FREE)
			append_lock(rel, rowid, cid, LockTupleKeyShare);	/* ends e[] */
		UnlockTuple(rel, &tid, hw);
		if (next == 0)
			return TM_Ok;
		rowid = next;
	}
}

/*
 * A speculative insertion that lost (ON CONFLICT): kill the row for every
 * snapshot at once, as heap's super-deletion does.
 */
void
lsm_dml_kill_speculative(Relation rel, ItemPointer tid)
{
	LsmRowHeader hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.xid = GetCurrentTransactionId();
	hdr.cid = GetCurrentCommandId(false);
	hdr.flags = LSM_ROW_KILLED;
	append_header_entry(rel, lsm_tid_to_rowid(tid), LSM_TYPE_DELETE, &hdr);
}

/*
 * The newest version of the row at tid that exists: along the row's later
 * versions and the update links, as far as their makers committed (or
 * are this transaction), as heap follows t_ctid.
 */
void
lsm_dml_latest_tid(Relation rel, ItemPointer tid)
{
	int			hops = 0;

	for (;;)
	{
		uint64		rowid = lsm_resolve_tid(rel, tid);
		LsmRowEntry *e;
		int			n;
		int			i;
		int			ver;
		bool		moved = false;

		if (rowid == 0)
			return;
		n = lsm_row_get_upto_version(lsm_current_view(rel), rowid, lsm_tid_to_rowid(tid), &e);
		ver = lsm_row_find_version(e, n, lsm_tid_to_rowid(tid));
		if (ver < 0)
			return;
		/* the newest later version whose maker committed or is us */
		for (i = 0; i < ver; i++)
			if (e[i].type == LSM_TYPE_PUT && !lsm_entry_is_aborted(&e[i].hdr) &&
				(xid_is_mine(e[i].hdr.xid) || entry_committed(&e[i].hdr)))
			{
				ver = i;
				lsm_version_tid(e[i].seq, tid);
				break;
			}
		for (i = 0; i < ver; i++)
		{
			if (e[i].type == LSM_TYPE_DELETE && (e[i].hdr.flags & LSM_ROW_UPDATED) &&
				e[i].link != 0 && !lsm_entry_is_aborted(&e[i].hdr) &&
				(xid_is_mine(e[i].hdr.xid) || entry_committed(&e[i].hdr)))
			{
				lsm_rowid_to_tid(e[i].link, tid);
				moved = true;
				break;
			}
		}
		if (!moved || ++hops > 1000000)
			return;
	}
}

/*
 * Is the row, of which n > 0 entries were found, dead for every snapshot,
 * present and future: never committed, or deleted by a transaction that every snapshot
 * sees as committed?  *xid gets the deleter (for recovery conflicts).
 * Only the newest version can be deleted: a DELETE of an older one would
 * have been aborted (a committed delete ends the row).
 */
bool
lsm_row_dead_to_all(Relation rel, const LsmRowEntry *e, int n, TransactionId *xid)
{
	GlobalVisState *vis = GlobalVisTestFor(rel);
	bool		any_put = false;
	int			i;

	Assert(n > 0);				/* an absent row: lsm_absent_row_dead */
	if (xid)
		*xid = InvalidTransactionId;
	for (i = 0; i < n; i++)
	{
		if (e[i].type == LSM_TYPE_DELETE && (e[i].hdr.flags & LSM_ROW_VERSION_ENTRY))
			continue;			/* a back-pointer: no row here */
		if (e[i].type == LSM_TYPE_DELETE && (e[i].hdr.flags & LSM_ROW_KILLED))
			return true;
		if (e[i].type == LSM_TYPE_DELETE && entry_committed(&e[i].hdr) &&
			((e[i].hdr.flags & LSM_ROW_FROZEN) ||
			 GlobalVisTestIsRemovableXid(vis, e[i].hdr.xid)))
		{
			if (xid && TransactionIdIsNormal(e[i].hdr.xid))
				*xid = e[i].hdr.xid;
			return true;
		}
		if (e[i].type == LSM_TYPE_PUT)
		{
			if (!lsm_entry_is_aborted(&e[i].hdr))
				return false;	/* the newest version, not deleted */
			any_put = true;
		}
	}
	/* every version aborted */
	return any_put;
}

/*
 * Nothing of row rowid was found (n == 0 above): it is dead to all
 * (compacted away, or never written: a held-back row of an aborted
 * transaction or of a crash) unless it may be a new row that some backend
 * still holds back in its write batch, whose TID other indexes already
 * have.  That is asked first, then the row is looked up again through the
 * current view, opened after the answer: a batch written in between is in
 * it.  May close the caller's current view (lsm_current_view).
 */
bool
lsm_absent_row_dead(Relation rel, uint64 rowid)
{
	LsmRowEntry *e;
	int			n;

	if (lsm_memstore_rowid_pending(lsm_memstore_open(rel), rowid))
		return false;
	n = lsm_row_get_upto_version(lsm_current_view(rel), rowid, 0, &e);
	return n == 0 || lsm_row_dead_to_all(rel, e, n, NULL);
}
