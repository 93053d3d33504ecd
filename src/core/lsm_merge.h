/*-------------------------------------------------------------------------
 *
 * lsm_merge.h
 *	  Merging iterator: one sorted view over several sorted sources.
 *
 * Children are given newest first (active memtable, frozen memtables,
 * L0 SSTables newest first, then L1, L2...).  Entries come out in
 * internal-key order (user key ascending, seq descending).  When two
 * children hold the same internal key (possible while an SSTable and the
 * memtable it was flushed from are both visible), the entry of the
 * earlier child wins and the others are skipped.  Both directions work
 * (seek_last, prev, and turning around with next/prev), as LevelDB's
 * merging iterator does: every child must support prev and seek_last.
 *
 * The merging iterator owns its children and destroys them, from the
 * call to lsm_merge_iter_new on, even when that fails (returns NULL on
 * NOMEM).  An error status of any child becomes the merge's status.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_MERGE_H
#define LSM_MERGE_H

#include "lsm_core.h"

extern lsm_iter *lsm_merge_iter_new(const lsm_allocator *alloc,
									const lsm_comparator *cmp,
									lsm_iter **children, int nchildren);

#endif							/* LSM_MERGE_H */
