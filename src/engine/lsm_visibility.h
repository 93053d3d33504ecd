/*-------------------------------------------------------------------------
 *
 * lsm_visibility.h
 *	  MVCC rules of table entries: which PUT, DELETE and LOCK entries a
 *	  snapshot sees (heap's rules, over LsmRowHeader instead of a tuple
 *	  header), what SERIALIZABLE reads report as rw-conflicts out, and the
 *	  oldest unfrozen xid of entries (for freezing).
 *
 * REQUIRES: nothing held; the answers come from the snapshot, the
 * commit log and the procarray, as heap's visibility rules do.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_VISIBILITY_H
#define LSM_VISIBILITY_H

#include "postgres.h"

#include "utils/rel.h"
#include "utils/snapshot.h"

#include "engine/lsm_readview.h"
#include "storage/lsm_format.h"

extern bool lsm_xid_visible(TransactionId xid, CommandId cid, uint16 flags,
							Snapshot snapshot);
extern bool lsm_entry_is_aborted(const LsmRowHeader *hdr);
extern void lsm_note_xid(TransactionId *min_xid, const char *value, Size vlen);
extern bool lsm_delete_visible(TransactionId xid, CommandId cid, uint16 flags,
							   Snapshot snapshot);
extern void lsm_ssi_check_row(Relation rel, Snapshot snapshot, const LsmRowHeader *put,
							  const LsmRowHeader *del, bool row_visible);
extern void lsm_ssi_check_entries(Relation rel, Snapshot snapshot, const LsmRowEntry *e,
								  int n, int visible);

typedef enum LsmVersionStep
{
	LSM_STEP_NEXT,				/* look at the next (older) entry */
	LSM_STEP_VISIBLE,			/* this PUT is the version the snapshot sees */
	LSM_STEP_NONE				/* the snapshot sees no version of the row */
} LsmVersionStep;

extern void lsm_ssi_check_version(Relation rel, Snapshot snapshot, const LsmRowEntry *e,
								  int ver, bool visible);
extern bool lsm_version_visible(const LsmRowEntry *e, int n, int ver, Snapshot snapshot);
extern LsmVersionStep lsm_version_step(lsm_entry_type type, const LsmRowHeader *hdr,
									   bool *deleted, Snapshot snapshot);

#endif							/* LSM_VISIBILITY_H */
