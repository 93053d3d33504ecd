/*-------------------------------------------------------------------------
 *
 * lsm_dml.h
 *	  UPDATE, DELETE and row locks of lsm tables, and the per-row decisions
 *	  they share with scans and VACUUM (which version is visible, dead to
 *	  all, what xmax to show).
 *
 * REQUIRES: a transaction; modifiers and lockers take the heavyweight
 * tuple lock of the TID themselves and never wait for another
 * transaction while holding it (README "Locking rules").
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_DML_H
#define LSM_DML_H

#include "postgres.h"

#include "access/tableam.h"
#include "utils/rel.h"

#include "engine/lsm_readview.h"

extern TM_Result lsm_dml_delete(Relation rel, ItemPointer tid, CommandId cid,
								Snapshot snapshot, Snapshot crosscheck, bool wait,
								TM_FailureData *tmfd, bool changingPart);
extern TM_Result lsm_dml_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
								CommandId cid, Snapshot snapshot, Snapshot crosscheck,
								bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
								bool *update_indexes);
extern TM_Result lsm_dml_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
							  TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
							  LockWaitPolicy wait_policy, uint8 flags,
							  TM_FailureData *tmfd);
extern void lsm_dml_latest_tid(Relation rel, ItemPointer tid);
extern void lsm_dml_kill_speculative(Relation rel, ItemPointer tid);
extern bool lsm_row_dead_to_all(Relation rel, const LsmRowEntry *e, int n, TransactionId *xid);
extern bool lsm_absent_row_dead(Relation rel, uint64 rowid);
extern int	lsm_row_visible_put(const LsmRowEntry *e, int n, Snapshot snapshot);
extern TransactionId lsm_row_xmax(const LsmRowEntry *e, int put);
extern void lsm_version_tid(uint64 seq, ItemPointer tid);
extern uint64 lsm_resolve_tid(Relation rel, ItemPointer tid);
extern int	lsm_row_find_version(const LsmRowEntry *e, int n, uint64 seq);
extern int	lsm_row_get_upto_version(LsmReadView *view, uint64 rowid, uint64 target,
									 LsmRowEntry **e);
extern int	lsm_row_get_upto_visible(LsmReadView *view, uint64 rowid, Snapshot snapshot,
									 LsmRowEntry **e);

#endif							/* LSM_DML_H */
