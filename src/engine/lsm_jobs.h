/*-------------------------------------------------------------------------
 *
 * lsm_jobs.h
 *	  Running flushes and compactions (shared job slots, shown by the
 *	  CompactionJob view) and the history of finished ones (a table of the
 *	  lsm_am schema, written in the finishing transaction).
 *
 * REQUIRES: lsm_job_start / lsm_job_finish from the backend that runs the
 * job, holding the relation's flush or compaction claim; a job slot is
 * written only by its owner (pool_mutex for taking and freeing it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_JOBS_H
#define LSM_JOBS_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_relstate.h"

extern int	lsm_history_size;			/* rows kept in the job history */


/* The outcome of a finished job, for the history table. */
typedef struct LsmJobResult
{
	const char *status;			/* "done" or "failed" */
	int			noutputs;
	const LsmSstEntry *outputs;
	uint64		bytes_read;		/* all inputs */
	uint64		bytes_read_from;	/* inputs from from_level (or memtable) */
	uint64		bytes_written;
	uint64		keys_in;
	uint64		keys_dropped;
	const char *error;
} LsmJobResult;

extern int	lsm_job_start(Relation rel, bool is_flush, int from_level, int to_level,
						  bool trivial, const LsmSstEntry *inputs, int ninputs,
						  uint64 total_entries, const char *reason);
extern LsmJob *lsm_job(int j);
extern void lsm_job_finish(int j, Relation rel, const LsmJobResult *res);
extern void lsm_job_record_failure(void);
extern void lsm_job_abort_cleanup(const char *message);
extern void lsm_job_fail_current_error(void);

#endif							/* LSM_JOBS_H */
