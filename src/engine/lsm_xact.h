/*-------------------------------------------------------------------------
 *
 * lsm_xact.h
 *	  Transaction ends: cached read views closed, claims and speculative
 *	  insertions given up at abort, and the shared state of relfilenodes
 *	  that a DROP, TRUNCATE or rewrite made obsolete discarded when the
 *	  transaction that did it commits (or that created them aborts).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_XACT_H
#define LSM_XACT_H

#include "postgres.h"

#include "storage/relfilenode.h"

extern void lsm_xact_init(void);
extern void lsm_pending_discard(const RelFileNode *rnode, bool at_commit);

#endif							/* LSM_XACT_H */
