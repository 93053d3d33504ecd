/*-------------------------------------------------------------------------
 *
 * engine/lsm_workers.c
 *	  Background flushing: a launcher (no database) watches for relations
 *	  whose frozen memtables wait for a flush and starts one worker per
 *	  database that has such relations, as autovacuum does; the database
 *	  worker flushes them and exits when idle.
 *
 * Writers never depend on the workers for correctness: a writer that
 * finds too many frozen memtables, or too many level-0 SSTables, waits
 * briefly and then flushes or compacts itself (engine/lsm_memtables.c), so a
 * cluster out of worker slots still makes progress.  An error in one job
 * is logged and recorded as a failed job, the transaction aborted, and
 * the worker goes on; the work is retried later.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/xact.h"
#include "tcop/tcopprot.h"
#include "access/table.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_flush.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_space.h"
#include "engine/lsm_workers.h"
#include "storage/lsm_keys.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "utils/timestamp.h"

/* GUC (registered by extension/lsm_am.c) */
int			lsm_max_workers = 2;

PGDLLEXPORT void lsm_launcher_main(Datum arg);
PGDLLEXPORT void lsm_db_worker_main(Datum arg);

#define MAX_TARGETS 64

void
lsm_worker_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "lsm_am");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "lsm_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "lsm_am launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "lsm_am launcher");
	RegisterBackgroundWorker(&worker);
}

void
lsm_wake_launcher(void)
{
	Latch	   *latch = lsm_shared->launcher_latch;

	if (latch)
		SetLatch(latch);
}

/* Ask for a flush of st's frozen memtables and wake the launcher. */
void
lsm_request_flush(LsmRelState *st)
{
	st->flush_requested = true;
	lsm_wake_launcher();
}

/* Ask for a compaction of st and wake the launcher. */
void
lsm_request_compaction(LsmRelState *st)
{
	st->compact_requested = true;
	lsm_wake_launcher();
}

/*
 * The last view of an old manifest version closed while zombies wait: a
 * worker's compaction pass gives their blocks back (lsm_manifest_reclaim)
 * if no switch does it first.  Safe at transaction end and abort: only a
 * flag and a latch.
 */
void
lsm_request_reclaim(LsmRelState *st)
{
	if (!st->compact_requested && !RecoveryInProgress())
		lsm_request_compaction(st);
}

/* Workers running for db (all databases if InvalidOid). */
static int
db_workers_running(Oid db)
{
	int			i;
	int			n = 0;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	for (i = 0; i < LSM_MAX_DB_WORKERS; i++)
		if (lsm_shared->db_workers[i] != InvalidOid &&
			(db == InvalidOid || lsm_shared->db_workers[i] == db))
			n++;
	SpinLockRelease(&lsm_shared->pool_mutex);
	return n;
}

/* Claim a worker entry for db; false if lsm_am.max_workers run already. */
static bool
db_worker_claim(Oid db)
{
	int			i;
	int			running = 0;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	for (i = 0; i < LSM_MAX_DB_WORKERS; i++)
		if (lsm_shared->db_workers[i] != InvalidOid)
			running++;
	if (running < lsm_max_workers)
	{
		for (i = 0; i < LSM_MAX_DB_WORKERS; i++)
		{
			if (lsm_shared->db_workers[i] == InvalidOid)
			{
				lsm_shared->db_workers[i] = db;
				SpinLockRelease(&lsm_shared->pool_mutex);
				return true;
			}
		}
	}
	SpinLockRelease(&lsm_shared->pool_mutex);
	return false;
}

static void
db_worker_release(int code, Datum arg)
{
	Oid			db = DatumGetObjectId(arg);
	int			i;

	SpinLockAcquire(&lsm_shared->pool_mutex);
	for (i = 0; i < LSM_MAX_DB_WORKERS; i++)
		if (lsm_shared->db_workers[i] == db)
		{
			lsm_shared->db_workers[i] = InvalidOid;
			break;
		}
	SpinLockRelease(&lsm_shared->pool_mutex);
	if (lsm_shared->launcher_latch)
		SetLatch(lsm_shared->launcher_latch);
}

static void
start_db_worker(Oid db)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	if (!db_worker_claim(db))
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "lsm_am");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "lsm_db_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "lsm_am worker for database %u", db);
	snprintf(worker.bgw_type, BGW_MAXLEN, "lsm_am worker");
	worker.bgw_main_arg = ObjectIdGetDatum(db);
	worker.bgw_notify_pid = 0;
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		/* no slot: give the entry back; writers flush themselves */
		db_worker_release(0, ObjectIdGetDatum(db));
		ereport(DEBUG1,
				(errmsg("lsm_am could not start a flush worker for database %u", db)));
	}
}

void
lsm_launcher_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	lsm_shared->launcher_latch = MyLatch;

	while (!ShutdownRequestPending)
	{
		LsmFlushTarget targets[MAX_TARGETS];
		int			n;
		int			i;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		/*
		 * One more worker for a database while it has more unclaimed
		 * flush and compaction requests than workers (lsm_am.max_workers
		 * in all), so that a long compaction does not hold up flushes.
		 */
		n = lsm_states_needing_flush(InvalidOid, targets, MAX_TARGETS);
		for (i = 0; i < n; i++)
		{
			int			pending = 0;
			int			k;

			for (k = 0; k < n; k++)
				if (targets[k].db == targets[i].db)
					pending += targets[k].jobs;
			if (db_workers_running(targets[i].db) < pending)
				start_db_worker(targets[i].db);
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	lsm_shared->launcher_latch = NULL;
	proc_exit(0);
}

/*
 * Flush and compact one relation in its own transaction; errors are
 * logged, recorded as failed jobs, and swallowed so that the worker goes
 * on with the others.  The request stays set; the failed kind of job is
 * not tried again on that relation before its retry time (1 s after the
 * first failure in a row, doubling up to 60 s: lsm_claim_release).
 */
static void
work_on(const LsmFlushTarget *t)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	LsmRelState *volatile st = NULL;
	volatile int kind = -1;
	char		relname[NAMEDATALEN];
	bool		failed = false;

	snprintf(relname, sizeof(relname), "%u", t->relid);
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		Relation	rel = NULL;
		bool		busy = false;

		/* failed jobs of backends of this database, not yet recorded */
		lsm_job_record_failure();

		/*
		 * Never queue behind a lock on the table (ALTER TABLE, LOCK TABLE,
		 * a long TRUNCATE): this worker would be stuck and its other tables
		 * starved, while a writer that holds the lock flushes by itself
		 * under backpressure.  The request stays set; retried next round.
		 */
		if (ConditionalLockRelationOid(t->relid, AccessShareLock))
		{
			rel = try_relation_open(t->relid, NoLock);
			if (rel == NULL)
				UnlockRelationOid(t->relid, AccessShareLock);
		}
		else
			busy = true;

		if (busy)
		{
			/* nothing now: the request stays, retried next round */
		}
		else if (rel == NULL || !RelFileNodeEquals(rel->rd_node, t->rnode) ||
				 (!lsm_rel_is_lsm_table(rel) &&
				  !lsm_rel_is_lsm_index(rel)))
			lsm_state_clear_flush_request(&t->rnode);
		else
		{
			TimestampTz now = GetCurrentTimestamp();

			strlcpy(relname, RelationGetRelationName(rel), sizeof(relname));
			st = lsm_memstore_open(rel);
			if (st->flush_requested && !lsm_claim_busy(st, LSM_CLAIM_FLUSH) &&
				lsm_claim_retry_due(st, LSM_CLAIM_FLUSH, now))
			{
				kind = LSM_CLAIM_FLUSH;
				pgstat_report_activity(STATE_RUNNING, "lsm_am: flushing memtables");
				(void) lsm_flush_relation(rel, false);
			}
			if (st->compact_requested && !lsm_claim_busy(st, LSM_CLAIM_COMPACT) &&
				lsm_claim_retry_due(st, LSM_CLAIM_COMPACT, now))
			{
				kind = LSM_CLAIM_COMPACT;
				pgstat_report_activity(STATE_RUNNING, "lsm_am: compacting");
				(void) lsm_compact_relation(rel, false, 0);
				/* zombies no view reads any more are free now */
				(void) lsm_manifest_reclaim(rel, st);
				/* a free tail left by the compactions goes back, if no one is in the way */
				if (!st->compact_requested)
					(void) lsm_space_reclaim(rel, false);
			}
		}
		if (rel)
			relation_close(rel, AccessShareLock);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		lsm_job_abort_cleanup(edata->message);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		FreeErrorData(edata);
		failed = true;
	}
	PG_END_TRY();

	if (failed)
	{
		if (st != NULL && kind >= 0 && st->failures[kind] > 0)
		{
			int			n = st->failures[kind];
			int64		wait_ms = (st->retry_at[kind] - GetCurrentTimestamp()) / 1000;

			ereport(n >= 3 ? WARNING : LOG,
					(errmsg("lsm_am: automatic %s of \"%s\" failed %d time%s in a row",
							kind == LSM_CLAIM_FLUSH ? "flush" : "compaction",
							relname, n, n == 1 ? "" : "s"),
					 errdetail("The next attempt is in about %d s; the error is logged above and recorded in lsm_am.compaction_history.",
							   (int) Max(0, (wait_ms + 999) / 1000))));
		}
		/* record the failed job */
		PG_TRY();
		{
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			lsm_job_record_failure();
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(oldcxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
	}
}

void
lsm_db_worker_main(Datum arg)
{
	Oid			db = DatumGetObjectId(arg);
	int			idle_rounds = 0;

	before_shmem_exit(db_worker_release, ObjectIdGetDatum(db));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(db, InvalidOid, 0);
	pgstat_report_appname("lsm_am worker");

	while (idle_rounds < 10)
	{
		LsmFlushTarget targets[MAX_TARGETS];
		int			n;
		int			i;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		n = lsm_states_needing_flush(db, targets, MAX_TARGETS);
		for (i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			work_on(&targets[i]);
		}
		pgstat_report_activity(STATE_IDLE, NULL);
		idle_rounds = n == 0 ? idle_rounds + 1 : 0;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 n == 0 ? 500L : 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	proc_exit(0);
}
