/*-------------------------------------------------------------------------
 *
 * lsm_vacuum.h
 *	  VACUUM of an lsm table: index cleanup of rows dead to every snapshot,
 *	  a flush and compaction that drop their entries, relfrozenxid.
 *
 * REQUIRES: called by PostgreSQL's VACUUM with the table locked
 * (ShareUpdateExclusiveLock); no lsm lock held.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_VACUUM_H
#define LSM_VACUUM_H

#include "postgres.h"

#include "commands/vacuum.h"
#include "utils/rel.h"

extern void lsm_vacuum_relation(Relation rel, struct VacuumParams *params,
								BufferAccessStrategy bstrategy);

#endif							/* LSM_VACUUM_H */
