/*-------------------------------------------------------------------------
 *
 * table/lsm_vacuum.c
 *	  VACUUM of an lsm table.
 *
 * Table space is reclaimed by compaction, which drops dead versions and
 * tombstones (engine/lsm_compaction.c); VACUUM's own work is what compaction cannot
 * do:
 *	1. find the rows dead for every snapshot (deleted by transactions all
 *	   snapshots see as committed, never committed, killed speculative
 *	   insertions) in one pass over the merged table, and remove the index
 *	   entries pointing to them (ambulkdelete, then amvacuumcleanup);
 *	2. run the automatic compactions due (VACUUM FREEZE, and vacuums to
 *	   prevent wraparound, compact everything into one run, which freezes
 *	   every entry older than the horizon);
 *	3. cut the file where a free extent ends it (AccessExclusiveLock taken
 *	   only if free at once, as heap's VACUUM truncation does);
 *	4. advance pg_class.relfrozenxid to the oldest unfrozen xid left:
 *	   every SSTable records its own (LsmSstEntry.min_xid) and every
 *	   memtable slot its own, so the table-wide minimum is a cheap pass over
 *	   the manifest and the memtables.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/multixact.h"
#include "access/transam.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "postmaster/autovacuum.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
#include "core/lsm_core.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_flush.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_space.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_relstate.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_pages.h"
#include "table/lsm_dml.h"
#include "table/lsm_vacuum.h"
#include "catalog/storage.h"
#include "utils/memutils.h"

typedef struct DeadRows
{
	uint64	   *rowids;			/* ascending */
	int64		n;
	int64		max;
} DeadRows;

static int
rowid_cmp(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static bool
dead_tid_callback(ItemPointer itemptr, void *state)
{
	DeadRows   *d = (DeadRows *) state;
	uint64		rowid = lsm_tid_to_rowid(itemptr);

	return d->n > 0 &&
		bsearch(&rowid, d->rowids, d->n, sizeof(uint64), rowid_cmp) != NULL;
}

/*
 * One pass over every entry, grouped by row: collect dead rows, count
 * live ones.
 */
static double
find_dead_rows(Relation rel, DeadRows *dead)
{
	LsmReadView *view = lsm_read_view_open(rel, NULL, CurrentMemoryContext);
	lsm_iter   *it = view->iter;
	LsmRowEntry *row = palloc(sizeof(LsmRowEntry) * 16);
	int			nrow = 0;
	int			maxrow = 16;
	uint64		cur = 0;
	double		live = 0;

	for (lsm_iter_seek_first(it);; lsm_iter_next(it))
	{
		bool		valid = lsm_iter_valid(it);
		size_t		klen = 0;
		const char *k = valid ? lsm_iter_key(it, &klen) : NULL;
		uint64		rowid = valid ? lsm_get_be64(k) : 0;

		if (nrow > 0 && (!valid || rowid != cur))
		{
			if (lsm_row_dead_to_all(rel, row, nrow, NULL))
			{
				if (dead->n == dead->max)
				{
					dead->max = Max(1024, dead->max * 2);
					dead->rowids = dead->rowids ?
						repalloc_huge(dead->rowids, sizeof(uint64) * dead->max) :
						palloc_extended(sizeof(uint64) * dead->max, MCXT_ALLOC_HUGE);
				}
				dead->rowids[dead->n++] = cur;
			}
			else if (lsm_row_visible_put(row, nrow, SnapshotSelf) >= 0)
				live += 1;
			nrow = 0;
		}
		if (!valid)
			break;
		CHECK_FOR_INTERRUPTS();
		{
			size_t		vlen;
			const char *v = lsm_iter_value(it, &vlen);
			LsmRowEntry *e;
			uint64		seq;
			lsm_entry_type type;

			if (nrow == maxrow)
			{
				maxrow *= 2;
				row = repalloc(row, sizeof(LsmRowEntry) * maxrow);
			}
			e = &row[nrow++];
			lsm_ikey_decode(k, klen, NULL, &seq, &type);
			memset(e, 0, sizeof(*e));
			e->seq = seq;
			e->type = type;
			if (vlen >= sizeof(LsmRowHeader))
				memcpy(&e->hdr, v, sizeof(LsmRowHeader));
			cur = rowid;
		}
	}
	lsm_check_iter_status(view, it);
	lsm_read_view_close(view);
	return live;
}


void
lsm_vacuum_relation(Relation rel, struct VacuumParams *params,
					BufferAccessStrategy bstrategy)
{
	DeadRows	dead = {NULL, 0, 0};
	TransactionId horizon;
	TransactionId newfrozen;
	Relation   *indrels;
	int			nindexes;
	double		live;
	int			i;
	bool		frozenxid_updated,
				minmulti_updated;
	bool		freeze_all;
	LsmSpaceResult space;

	lsm_check_preloaded();
	horizon = GetOldestNonRemovableTransactionId(rel);

	/* 1. index entries of dead rows */
	live = find_dead_rows(rel, &dead);
	vac_open_indexes(rel, RowExclusiveLock, &nindexes, &indrels);
	for (i = 0; i < nindexes; i++)
	{
		IndexVacuumInfo ivinfo;
		IndexBulkDeleteResult *stats = NULL;

		memset(&ivinfo, 0, sizeof(ivinfo));
		ivinfo.index = indrels[i];
		ivinfo.analyze_only = false;
		ivinfo.report_progress = false;
		ivinfo.estimated_count = false;
		ivinfo.message_level = DEBUG2;
		ivinfo.num_heap_tuples = live;
		ivinfo.strategy = bstrategy;
		if (dead.n > 0)
			stats = index_bulk_delete(&ivinfo, stats, dead_tid_callback, &dead);
		stats = index_vacuum_cleanup(&ivinfo, stats);
		if (stats && !stats->estimated_count)
			vac_update_relstats(indrels[i], stats->num_pages, stats->num_index_tuples,
								0, false, InvalidTransactionId, InvalidMultiXactId,
								NULL, NULL, false);
	}
	vac_close_indexes(nindexes, indrels, NoLock);

	/* 2. space: compaction drops the dead versions and freezes */
	freeze_all = (params->options & VACOPT_FREEZE) != 0 || params->is_wraparound;
	if (!RecoveryInProgress())
	{
		(void) lsm_flush_relation(rel, freeze_all);
		(void) lsm_compact_relation(rel, freeze_all, -1);
	}

	/*
	 * 3. free space back to the operating system, as heap's VACUUM
	 * truncates: SSTables at the end of the file move into free space
	 * further down, and a free tail is cut off (engine/lsm_space.c).  lsm
	 * indexes did the same in their vacuum cleanup above.
	 */
	space = lsm_space_reclaim(rel, true);

	/* 4. relfrozenxid */
	newfrozen = lsm_memstore_oldest_xid(rel, horizon);
	vac_update_relstats(rel, RelationGetNumberOfBlocks(rel), live, 0, nindexes > 0,
						TransactionIdIsValid(newfrozen) ? newfrozen : InvalidTransactionId,
						InvalidMultiXactId, &frozenxid_updated, &minmulti_updated, false);

	if (params->options & VACOPT_VERBOSE)
		ereport(INFO,
				(errmsg("vacuuming lsm table \"%s\": %.0f live rows, " INT64_FORMAT " dead rows whose entries were removed from %d indexes",
						RelationGetRelationName(rel), live, dead.n, nindexes),
				 errdetail("relfrozenxid %s; %d SSTables moved towards the start of their files, %u blocks truncated.",
						   frozenxid_updated ? "advanced" : "unchanged", space.moved, space.truncated)));
}
