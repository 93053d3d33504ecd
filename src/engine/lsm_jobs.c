/*-------------------------------------------------------------------------
 *
 * engine/lsm_jobs.c
 *	  Flush and compaction jobs: the running ones in shared memory (with
 *	  progress, for the CompactionJob view), the finished ones in the
 *	  table lsm_am.compaction_history (kept across restarts, at most
 *	  lsm_am.compaction_history_size rows).
 *
 * History rows are inserted with SPI as the owner of the history table
 * (the extension's owner), in the transaction of the job: a job run by a
 * transaction that later aborts leaves no row (its effect on the storage
 * stays: flushes and compactions are not transactional).  A job that
 * fails cannot be recorded in its own (aborting) transaction: its shared
 * slot stays, marked failed (shown so by CompactionJob), until a later
 * transaction of the same database writes it to the history
 * (lsm_job_record_failure: the worker's next round, or the next job that
 * finishes there).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_format.h"
#include "storage/lsm_sstfile.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* GUC (registered by extension/lsm_am.c) */
int			lsm_history_size = 1000;

/*
 * The job this backend runs (one at a time): its shared slot, or -1 with
 * the description in local_job when all slots were taken.  The last job
 * that failed is kept for lsm_job_record_failure.
 */
static int	my_job = -1;
static bool my_job_active = false;
static LsmJob local_job;
static LsmJob failed_job;		/* a failed job that had no shared slot */
static bool have_failed_job = false;
static bool exit_registered = false;

static void job_exit_callback(int code, Datum arg);

static LsmJob *
my_job_desc(void)
{
	return my_job >= 0 ? &lsm_shared->jobs[my_job] : &local_job;
}

LsmJob *
lsm_job(int j)
{
	return &lsm_shared->jobs[j];
}

/*
 * Register a running job.  Returns its slot, or -1 if all are taken (the
 * job then runs unseen and is only recorded when it ends).
 */
int
lsm_job_start(Relation rel, bool is_flush, int from_level, int to_level,
			  bool trivial, const LsmSstEntry *inputs, int ninputs,
			  uint64 total_entries, const char *reason)
{
	int			j;
	LsmJob	   *job = NULL;
	int			oldest_failed = -1;

	Assert(!my_job_active);
	if (!exit_registered)
	{
		before_shmem_exit(job_exit_callback, 0);
		exit_registered = true;
	}
	SpinLockAcquire(&lsm_shared->pool_mutex);
	for (j = 0; j < LSM_MAX_JOBS; j++)
	{
		LsmJob	   *c = &lsm_shared->jobs[j];

		if (!c->in_use)
		{
			job = c;
			break;
		}
		if (c->failed && (oldest_failed < 0 ||
						  c->ended_at < lsm_shared->jobs[oldest_failed].ended_at))
			oldest_failed = j;
	}
	/* all taken: a failed job not yet recorded gives way (it was logged) */
	if (job == NULL && oldest_failed >= 0)
	{
		j = oldest_failed;
		job = &lsm_shared->jobs[j];
	}
	if (job != NULL)
	{
		job->in_use = true;
		job->failed = false;
	}
	SpinLockRelease(&lsm_shared->pool_mutex);
	if (job == NULL)
	{
		/* not shown while it runs; recorded when it ends */
		job = &local_job;
		j = -1;
	}
	job->pid = MyProcPid;
	job->dbid = MyDatabaseId;
	job->relid = RelationGetRelid(rel);
	lsm_make_uuid(job->id);
	job->is_flush = is_flush;
	job->trivial_move = trivial;
	job->from_level = from_level;
	job->to_level = to_level;
	job->ninputs = Min(ninputs, LSM_JOB_MAX_INPUTS);
	for (int i = 0; i < job->ninputs; i++)
		memcpy(job->inputs[i], inputs[i].id, 16);
	job->started_at = GetCurrentTimestamp();
	job->total_entries = total_entries;
	job->keys_in = 0;
	job->keys_dropped = 0;
	job->bytes_read = 0;
	job->bytes_written = 0;
	job->failed = false;
	job->ended_at = 0;
	job->error[0] = '\0';
	strlcpy(job->reason, reason, sizeof(job->reason));
	my_job = j;
	my_job_active = true;
	return j;
}

static void
append_uuid_json(StringInfo buf, const uint8 *id)
{
	pg_uuid_t	u;

	memcpy(u.data, id, 16);
	appendStringInfo(buf, "\"%s\"",
					 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&u))));
}

/* Insert one history row (and trim the table) through SPI. */
static void
insert_history(const LsmJob *job, const LsmJobResult *res)
{
	Oid			nsp = get_namespace_oid("lsm_am", true);
	Oid			histrel = OidIsValid(nsp) ? get_relname_relid("compaction_history", nsp) : InvalidOid;
	HeapTuple	tup;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	StringInfoData in,
				out;
	Datum		values[18];
	char		nulls[18];
	Oid			types[18] = {UUIDOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID,
		JSONBOID, JSONBOID, UUIDOID, BOOLOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID};
	Oid			keeptype = INT4OID;
	Datum		keep = Int32GetDatum(lsm_history_size);
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));
	pg_uuid_t  *first_out = palloc(sizeof(pg_uuid_t));
	int			i;

	if (!OidIsValid(histrel) || lsm_history_size == 0)
		return;

	/*
	 * Recording never waits for another transaction: a job may run in a
	 * writer's transaction (backpressure, lsm_am.flush()) that stays open
	 * afterwards, and a writer may be waiting for a background job to make
	 * room.  A wait here would close a cycle the deadlock detector cannot
	 * see.  So the history table is locked only if that is free now, and
	 * the trim below skips rows another transaction holds.
	 */
	if (!ConditionalLockRelationOid(histrel, RowExclusiveLock))
	{
		ereport(LOG,
				(errmsg("lsm job on relation %u not recorded: lsm_am.compaction_history is locked",
						job->relid)));
		return;
	}
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(histrel));
	if (!HeapTupleIsValid(tup))
		return;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	initStringInfo(&in);
	appendStringInfoChar(&in, '[');
	for (i = 0; i < job->ninputs; i++)
	{
		if (i > 0)
			appendStringInfoString(&in, ", ");
		append_uuid_json(&in, job->inputs[i]);
	}
	appendStringInfoChar(&in, ']');
	initStringInfo(&out);
	appendStringInfoChar(&out, '[');
	for (i = 0; i < res->noutputs; i++)
	{
		if (i > 0)
			appendStringInfoString(&out, ", ");
		append_uuid_json(&out, res->outputs[i].id);
	}
	appendStringInfoChar(&out, ']');

	memset(nulls, ' ', sizeof(nulls));
	memcpy(id->data, job->id, 16);
	values[0] = UUIDPGetDatum(id);
	values[1] = ObjectIdGetDatum(job->relid);
	values[2] = CStringGetTextDatum(job->is_flush ? "flush" : "compaction");
	values[3] = CStringGetTextDatum(res->status);
	values[4] = CStringGetTextDatum(res->error ? psprintf("%s: %s", job->reason, res->error) : job->reason);
	values[5] = Int32GetDatum(job->from_level);
	values[6] = Int32GetDatum(job->to_level);
	values[7] = DirectFunctionCall1(jsonb_in, CStringGetDatum(in.data));
	values[8] = DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data));
	if (res->noutputs > 0)
	{
		memcpy(first_out->data, res->outputs[0].id, 16);
		values[9] = UUIDPGetDatum(first_out);
	}
	else
		nulls[9] = 'n';
	values[10] = BoolGetDatum(job->trivial_move);
	values[11] = TimestampTzGetDatum(job->started_at);
	values[12] = TimestampTzGetDatum(job->ended_at != 0 ? job->ended_at : GetCurrentTimestamp());
	values[13] = Int64GetDatum((int64) res->bytes_read);
	values[14] = Int64GetDatum((int64) res->bytes_read_from);
	values[15] = Int64GetDatum((int64) res->bytes_written);
	values[16] = Int64GetDatum((int64) res->keys_in);
	values[17] = Int64GetDatum((int64) res->keys_dropped);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(
								  "INSERT INTO lsm_am.compaction_history (id, relid, kind, status, reason, "
								  "from_level, to_level, input_sstables, output_sstables, output_sstable_id, "
								  "trivial_move, started_at, completed_at, bytes_read, bytes_read_from_level, "
								  "bytes_written, keys_in, keys_dropped) VALUES ($1, $2, $3, $4, $5, $6, $7, "
								  "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
								  18, types, values, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not record an lsm job in lsm_am.compaction_history");
		/*
		 * Trim, skipping rows another transaction holds.  Not under
		 * REPEATABLE READ or SERIALIZABLE (a writer's transaction): there,
		 * locking a row a concurrent transaction deleted is a
		 * serialization failure.  A later job trims.
		 */
		if (!IsolationUsesXactSnapshot() &&
			SPI_execute_with_args(
								  "DELETE FROM lsm_am.compaction_history WHERE id IN "
								  "(SELECT id FROM lsm_am.compaction_history WHERE id IN "
								  "(SELECT id FROM lsm_am.compaction_history "
								  "ORDER BY completed_at DESC, id OFFSET $1) "
								  "FOR UPDATE SKIP LOCKED)",
								  1, &keeptype, &keep, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not trim lsm_am.compaction_history");
		SPI_finish();
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
}

/*
 * A job ended: record it in the history and free its slot; with it, any
 * failed jobs of this database still waiting to be recorded.
 */
void
lsm_job_finish(int j, Relation rel, const LsmJobResult *res)
{
	LsmJob		copy = *my_job_desc();

	Assert(j == my_job);
	Assert(my_job_active);
	if (my_job >= 0)
	{
		SpinLockAcquire(&lsm_shared->pool_mutex);
		lsm_shared->jobs[my_job].in_use = false;
		SpinLockRelease(&lsm_shared->pool_mutex);
	}
	my_job = -1;
	my_job_active = false;
	insert_history(&copy, res);
	lsm_job_record_failure();
}

/*
 * The running job failed with message: keep it, marked failed, for
 * lsm_job_record_failure.  Takes only the pool spinlock (never held
 * while an error is raised), so it is safe in error and exit paths.
 */
void
lsm_job_abort_cleanup(const char *message)
{
	LsmJob	   *job;

	if (!my_job_active)
		return;
	job = my_job_desc();
	job->ended_at = GetCurrentTimestamp();
	strlcpy(job->error, message ? message : "unknown error", sizeof(job->error));
	if (my_job >= 0)
	{
		/* the slot stays in use, failed, until recorded */
		SpinLockAcquire(&lsm_shared->pool_mutex);
		job->failed = true;
		SpinLockRelease(&lsm_shared->pool_mutex);
	}
	else
	{
		failed_job = *job;
		failed_job.failed = true;
		have_failed_job = true;
	}
	my_job = -1;
	my_job_active = false;
}

/*
 * lsm_job_abort_cleanup with the message of the error being thrown: for
 * PG_CATCH blocks that re-throw.
 */
void
lsm_job_fail_current_error(void)
{
	MemoryContext old;
	ErrorData  *edata;

	if (!my_job_active)
		return;
	/* CopyErrorData may not run in ErrorContext; TopMemoryContext is safe */
	old = MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	MemoryContextSwitchTo(old);
	lsm_job_abort_cleanup(edata->message);
	FreeErrorData(edata);
}

static void
job_exit_callback(int code, Datum arg)
{
	lsm_job_abort_cleanup("backend exited");
}

/*
 * Write the failed jobs of this database to the history (in a
 * transaction that is not aborting) and free their slots.
 */
void
lsm_job_record_failure(void)
{
	int			j;

	if (have_failed_job)
	{
		LsmJobResult res;

		have_failed_job = false;
		memset(&res, 0, sizeof(res));
		res.status = "failed";
		res.error = failed_job.error;
		insert_history(&failed_job, &res);
	}
	for (j = 0; j < LSM_MAX_JOBS; j++)
	{
		LsmJob		copy;
		bool		mine = false;
		LsmJobResult res;

		SpinLockAcquire(&lsm_shared->pool_mutex);
		if (lsm_shared->jobs[j].in_use && lsm_shared->jobs[j].failed &&
			lsm_shared->jobs[j].dbid == MyDatabaseId)
		{
			copy = lsm_shared->jobs[j];
			lsm_shared->jobs[j].in_use = false;
			lsm_shared->jobs[j].failed = false;
			mine = true;
		}
		SpinLockRelease(&lsm_shared->pool_mutex);
		if (!mine)
			continue;
		memset(&res, 0, sizeof(res));
		res.status = "failed";
		res.error = copy.error;
		insert_history(&copy, &res);
	}
}
