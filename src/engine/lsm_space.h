/*-------------------------------------------------------------------------
 *
 * lsm_space.h
 *	  Giving a relation's free space back: SSTables near the end of the
 *	  file moved into free space nearer its start, and a free tail
 *	  truncated.
 *
 * REQUIRES: a transaction, not in recovery; the caller holds a lock on
 * the relation (AccessShareLock is enough) and no lsm lock.  Moving
 * SSTables takes the relation's compaction claim (skipped when another
 * backend holds it); truncating takes AccessExclusiveLock conditionally
 * (skipped when anyone else holds a lock on the relation), as heap's
 * VACUUM does.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_SPACE_H
#define LSM_SPACE_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_relstate.h"

typedef struct LsmSpaceResult
{
	int			moved;			/* SSTables moved */
	BlockNumber truncated;		/* blocks cut off the end of the file */
} LsmSpaceResult;

extern LsmSpaceResult lsm_space_reclaim(Relation rel, bool move_ssts);

#endif							/* LSM_SPACE_H */
