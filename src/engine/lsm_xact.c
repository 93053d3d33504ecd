/*-------------------------------------------------------------------------
 *
 * lsm_xact.c
 *	  What lsm_am does when a transaction or subtransaction ends: close
 *	  the cached read views (before resource owners release their pins),
 *	  give up claims, jobs and speculative insertions an error left
 *	  behind, and discard the shared state of relfilenodes made obsolete
 *	  (DROP, TRUNCATE, rewrites; seen by an object access hook).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "storage/ipc.h"
#include "storage/smgr.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_writebatch.h"
#include "engine/lsm_xact.h"
#include "storage/lsm_sstfile.h"
#include "storage/lsm_keys.h"

/*
 * Storage that disappears when the transaction that made it obsolete
 * commits (TRUNCATE's old relfilenode, DROP) or aborts (a new relfilenode)
 * has its shared memtable state discarded then.
 */
typedef struct PendingDiscard
{
	RelFileNode rnode;
	bool		at_commit;
	int			nestlevel;
	struct PendingDiscard *next;
} PendingDiscard;

static PendingDiscard *pending_discards = NULL;

static void
add_pending_discard(const RelFileNode *rnode, bool at_commit)
{
	PendingDiscard *p = MemoryContextAlloc(TopMemoryContext, sizeof(PendingDiscard));

	p->rnode = *rnode;
	p->at_commit = at_commit;
	p->nestlevel = GetCurrentTransactionNestLevel();
	p->next = pending_discards;
	pending_discards = p;
}

/* Discard rnode's state at the end of the transaction (commit or abort). */
void
lsm_pending_discard(const RelFileNode *rnode, bool at_commit)
{
	add_pending_discard(rnode, at_commit);
}

static void
process_pending(bool committed, int min_level)
{
	PendingDiscard **pp = &pending_discards;

	while (*pp)
	{
		PendingDiscard *p = *pp;

		if (p->nestlevel >= min_level)
		{
			*pp = p->next;
			if (p->at_commit == committed)
				lsm_state_discard(&p->rnode);
			pfree(p);
		}
		else
			pp = &p->next;
	}
}

static void
lsm_xact_callback(XactEvent event, void *arg)
{
	/* held entries are written before anything else ends the transaction */
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE ||
		event == XACT_EVENT_PARALLEL_PRE_COMMIT)
		lsm_batch_apply_all();
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
			 event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
			 event == XACT_EVENT_PREPARE)
		lsm_batch_at_xact_end();
	if (event == XACT_EVENT_PRE_COMMIT || event == XACT_EVENT_PRE_PREPARE ||
		event == XACT_EVENT_PARALLEL_PRE_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_ABORT)
	{
		lsm_close_cached_views();
		lsm_memstore_release_splice_pins();
	}
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		/* a speculative insertion interrupted by an error */
		lsm_spec_end();
		/* a flush or compaction interrupted by an error */
		lsm_job_abort_cleanup("transaction aborted");
		lsm_claim_release(LSM_CLAIM_FLUSH, true);
		lsm_claim_release(LSM_CLAIM_COMPACT, true);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_ABORT)
		lsm_sst_file_forget_pins();	/* no SSTable reader is open now */
	if (pending_discards == NULL)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		process_pending(true, 0);
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		process_pending(false, 0);
}

static void
lsm_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	PendingDiscard *p;
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		lsm_batch_at_subabort(mySubid);
		lsm_spec_end();
		process_pending(false, level);
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (p = pending_discards; p; p = p->next)
			if (p->nestlevel >= level)
				p->nestlevel = level - 1;
	}
}

static object_access_hook_type prev_object_access_hook = NULL;

static void
lsm_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				  int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access == OAT_DROP && classId == RelationRelationId && subId == 0)
	{
		Relation	rel = RelationIdGetRelation(objectId);

		if (RelationIsValid(rel))
		{
			if ((lsm_rel_is_lsm_table(rel) &&
				 rel->rd_rel->relkind == RELKIND_RELATION) ||
				lsm_rel_is_lsm_index(rel))
				add_pending_discard(&rel->rd_node, true);
			RelationClose(rel);
			lsm_batch_forget(objectId);
		}
	}
}

void
lsm_xact_init(void)
{
	RegisterXactCallback(lsm_xact_callback, NULL);
	RegisterSubXactCallback(lsm_subxact_callback, NULL);
	prev_object_access_hook = object_access_hook;
	object_access_hook = lsm_object_access;
}
