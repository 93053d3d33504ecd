/*-------------------------------------------------------------------------
 *
 * lsm_workers.h
 *	  Background workers: a launcher that starts one worker per database
 *	  with lsm relations needing a flush or compaction, and the workers
 *	  that run them (with backoff after failures).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_WORKERS_H
#define LSM_WORKERS_H

#include "postgres.h"

#include "engine/lsm_relstate.h"

extern int	lsm_max_workers;			/* per-database background workers */

extern void lsm_worker_register_launcher(void);
extern void lsm_request_flush(LsmRelState *st);
extern void lsm_request_compaction(LsmRelState *st);
extern void lsm_request_reclaim(LsmRelState *st);
extern void lsm_wake_launcher(void);

#endif							/* LSM_WORKERS_H */
