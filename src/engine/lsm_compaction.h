/*-------------------------------------------------------------------------
 *
 * lsm_compaction.h
 *	  Running compactions of a relation (the picking is the core's,
 *	  core/lsm_picker.h).
 *
 * REQUIRES: a transaction; the caller holds no lsm lock (a compaction
 * takes the relation's LSM_CLAIM_COMPACT claim and the locks it needs).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_COMPACTION_H
#define LSM_COMPACTION_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_relstate.h"

/* GUCs (registered by extension/lsm_am.c) */
extern int	lsm_rate_limit_kb;
extern int	lsm_debug_compaction_pause_ms;

extern int	lsm_compact_relation(Relation rel, bool manual, int level);
extern void lsm_maybe_request_compaction(Relation rel, LsmRelState *st);

#endif							/* LSM_COMPACTION_H */
