/*-------------------------------------------------------------------------
 *
 * lsm_flush.h
 *	  Writing frozen memtables as level-0 SSTables.
 *
 * REQUIRES: a transaction; the caller holds no lsm lock (a flush takes
 * the relation's LSM_CLAIM_FLUSH claim and the locks it needs).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_FLUSH_H
#define LSM_FLUSH_H

#include "postgres.h"

#include "utils/rel.h"

extern int	lsm_flush_relation(Relation rel, bool all);

#endif							/* LSM_FLUSH_H */
