/*-------------------------------------------------------------------------
 *
 * extension/lsm_views.c
 *	  SQL-callable functions: lsm_am.flush(), and the set-returning
 *	  functions behind the SSTableMeta and lsm_am.memtables views.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "commands/defrem.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "common/relpath.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "core/lsm_core.h"
#include "core/lsm_picker.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_flush.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_workers.h"
#include "engine/lsm_writebatch.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_pages.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "table/lsm_tableam.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "access/xlog.h"
#include "utils/jsonb.h"
#include "lib/stringinfo.h"

PG_FUNCTION_INFO_V1(lsm_am_flush);
PG_FUNCTION_INFO_V1(lsm_am_compact);
PG_FUNCTION_INFO_V1(lsm_am_sstables);
PG_FUNCTION_INFO_V1(lsm_am_memtables);
PG_FUNCTION_INFO_V1(lsm_am_running_jobs);
PG_FUNCTION_INFO_V1(lsm_am_level_shape);
PG_FUNCTION_INFO_V1(lsm_am_relation_stats);

/*
 * Open an lsm table named by the user, checking that it is one.
 */
static Relation
open_lsm_table(Oid relid, LOCKMODE mode)
{
	Relation	rel = relation_open(relid, mode);

	if ((rel->rd_rel->relkind != RELKIND_RELATION ||
		 rel->rd_tableam != lsm_table_am_routine()) &&
		!lsm_rel_is_lsm_index(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an lsm table or index", RelationGetRelationName(rel)),
				 errhint("Use a table created with USING lsm, or an index created with USING lsm.")));
	return rel;
}

/*
 * lsm_am.flush(regclass, wait bool) returns int: freeze the active
 * memtable and flush all frozen ones; returns how many were flushed.  With
 * wait = false, only ask the background workers and return 0.  Requires
 * ownership of the table.
 */
Datum
lsm_am_flush(PG_FUNCTION_ARGS)
{
	Oid			relid;
	bool		wait = PG_ARGISNULL(1) ? true : PG_GETARG_BOOL(1);
	Relation	rel;
	int			n = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	relid = PG_GETARG_OID(0);
	lsm_check_preloaded();
	/* what this transaction holds back counts as written */
	lsm_batch_apply_all();
	rel = open_lsm_table(relid, AccessShareLock);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	if (wait)
		n = lsm_flush_relation(rel, true);
	else
	{
		LsmRelState *st = lsm_memstore_open(rel);

		if (lsm_memstore_freeze(st))
			lsm_request_flush(st);
	}
	relation_close(rel, AccessShareLock);
	PG_RETURN_INT32(n);
}

/*
 * lsm_am.compact(regclass, level int, wait bool) returns int: level NULL
 * flushes the memtables and compacts everything into one sorted run; a
 * level compacts that level into the next.  Returns the number of compactions done; with wait =
 * false, asks the background workers for their automatic compactions and
 * returns 0.  Requires ownership of the table.
 */
Datum
lsm_am_compact(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int			level = PG_ARGISNULL(1) ? -1 : PG_GETARG_INT32(1);
	bool		wait = PG_ARGISNULL(2) ? true : PG_GETARG_BOOL(2);
	Relation	rel;
	int			n = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	relid = PG_GETARG_OID(0);
	lsm_check_preloaded();
	/* what this transaction holds back counts as written */
	lsm_batch_apply_all();
	rel = open_lsm_table(relid, AccessShareLock);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	{
		lsm_compaction_options copts;
		uint64		target;

		lsm_rel_compaction_options(rel, &copts, &target);
		if (level < -1 || level >= copts.num_levels)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("level must be between 0 and %d, or NULL for all levels",
							copts.num_levels - 1)));
	}
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot compact lsm relations during recovery"),
				 errhint("Compact on the primary; standbys replay its compactions.")));
	if (wait)
	{
		/* a full compaction covers the memtables too, as RocksDB's does */
		if (level == -1)
			(void) lsm_flush_relation(rel, true);
		n = lsm_compact_relation(rel, true, level);
	}
	else
	{
		lsm_request_compaction(lsm_memstore_open(rel));
	}
	relation_close(rel, AccessShareLock);
	PG_RETURN_INT32(n);
}

/* All lsm tables of the current database, by scanning pg_class. */
static List *
lsm_table_oids(void)
{
	List	   *result = NIL;
	Relation	classrel = table_open(RelationRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(classrel, 0, NULL);
	HeapTuple	tup;
	Oid			amoid = get_table_am_oid("lsm", true);
	Oid			idxamoid = get_index_am_oid("lsm_index", true);

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);

		if ((cls->relkind == RELKIND_RELATION && cls->relam == amoid) ||
			(cls->relkind == RELKIND_INDEX && OidIsValid(idxamoid) && cls->relam == idxamoid))
			result = lappend_oid(result, cls->oid);
	}
	table_endscan(scan);
	table_close(classrel, AccessShareLock);
	return result;
}

/*
 * Open one table listed by lsm_table_oids() for a view.  NULL if it went
 * away or is no longer an lsm table (ALTER TABLE ... SET ACCESS METHOD
 * since the catalog scan).
 */
static Relation
open_listed_table(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);

	if (rel != NULL && rel->rd_tableam != lsm_table_am_routine() &&
		!lsm_rel_is_lsm_index(rel))
	{
		relation_close(rel, AccessShareLock);
		rel = NULL;
	}
	return rel;
}

static bytea *
ukey_bytea(const char *ikey, size_t len)
{
	size_t		ulen = len >= LSM_TRAILER_SIZE ? len - LSM_TRAILER_SIZE : 0;
	bytea	   *b = palloc(VARHDRSZ + ulen);

	SET_VARSIZE(b, VARHDRSZ + ulen);
	memcpy(VARDATA(b), ikey, ulen);
	return b;
}

/*
 * lsm_am.sstables(): one row per SSTable of every lsm table of this
 * database.  Keys are shown only to roles that may SELECT the table.
 */
Datum
lsm_am_sstables(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *oids;
	ListCell   *lc;

	lsm_check_preloaded();
	/* what this transaction holds back counts as written */
	lsm_batch_apply_all();
	InitMaterializedSRF(fcinfo, 0);
	oids = lsm_table_oids();
	foreach(lc, oids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel = open_listed_table(relid);
		Buffer		metabuf;
		LsmSstEntry *ssts;
		int			nssts;
		int			i;
		bool		may_see_keys;
		char	   *path;

		if (rel == NULL)
			continue;
		may_see_keys = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
		metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
		if (metabuf == InvalidBuffer)
		{
			relation_close(rel, AccessShareLock);
			continue;
		}
		{
			LsmMetaData *meta = LsmPageGetMeta(BufferGetPage(metabuf));

			ssts = lsm_meta_ssts(rel, meta, &nssts);
		}
		UnlockReleaseBuffer(metabuf);
		path = relpathbackend(rel->rd_node, rel->rd_backend, MAIN_FORKNUM);

		for (i = 0; i < nssts; i++)
		{
			Datum		values[13];
			bool		nulls[13];
			pg_uuid_t  *uuid = palloc(sizeof(pg_uuid_t));
			LsmSstEntry *s = &ssts[i];

			memset(nulls, 0, sizeof(nulls));
			memcpy(uuid->data, s->id, UUID_LEN);
			values[0] = UUIDPGetDatum(uuid);
			values[1] = Int32GetDatum(s->level);
			if (may_see_keys)
			{
				lsm_sst_options opts;
				lsm_file	file;
				LsmSstFileCtx ctx;
				lsm_sst_reader *reader;
				uint64		bad = 0;
				lsm_status	st;
				const lsm_sst_props *props;

				lsm_allocator alloc;

				lsm_palloc_allocator_init(&alloc, CurrentMemoryContext);
				lsm_rel_sst_options(rel, &opts);
				lsm_sst_file_init(&file, &ctx, rel, s, NULL);
				st = lsm_sst_reader_open(&alloc, &opts, &file, &reader, &bad);
				if (st != LSM_OK)
					lsm_report_sst_error(rel, s, st, bad);
				props = lsm_sst_reader_props(reader);
				values[2] = PointerGetDatum(ukey_bytea(props->min_key, props->min_key_len));
				values[3] = PointerGetDatum(ukey_bytea(props->max_key, props->max_key_len));
				lsm_sst_reader_close(reader);
				lsm_sst_file_release(&ctx);
			}
			else
				nulls[2] = nulls[3] = true;
			values[4] = CStringGetTextDatum(psprintf("%s [blocks %u..%u]", path,
													 s->start, s->start + s->nblocks - 1));
			values[5] = Int64GetDatum((int64) s->nblocks * BLCKSZ);
			values[6] = Float8GetDatum(s->bloom_fp_rate);
			values[7] = TimestampTzGetDatum(s->created_at);
			values[8] = ObjectIdGetDatum(relid);
			values[9] = Int64GetDatum((int64) s->entries);
			values[10] = Int64GetDatum((int64) s->tombstones);
			values[11] = Int64GetDatum((int64) s->start);
			values[12] = Int64GetDatum((int64) s->start + s->nblocks - 1);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		relation_close(rel, AccessShareLock);
	}
	return (Datum) 0;
}

/*
 * lsm_am.memtables(): the in-memory memtables of every lsm table of this
 * database (active and frozen), with entry counts and memory.
 */
Datum
lsm_am_memtables(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *oids;
	ListCell   *lc;

	lsm_check_preloaded();
	/* what this transaction holds back counts as written */
	lsm_batch_apply_all();
	InitMaterializedSRF(fcinfo, 0);
	oids = lsm_table_oids();
	foreach(lc, oids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel = open_listed_table(relid);
		LsmMemtableInfo mts[LSM_MAX_FROZEN + 1];
		int			n;
		int			i;

		if (rel == NULL)
			continue;
		n = lsm_memstore_list(lsm_memstore_open(rel), mts, lengthof(mts));
		for (i = 0; i < n; i++)
		{
			Datum		values[7];
			bool		nulls[7];

			memset(nulls, 0, sizeof(nulls));
			values[0] = ObjectIdGetDatum(relid);
			values[1] = Int64GetDatum((int64) mts[i].gen);
			values[2] = CStringGetTextDatum(mts[i].active ? "active" : "frozen");
			values[3] = Int64GetDatum((int64) mts[i].entries);
			values[4] = Int64GetDatum((int64) mts[i].deletes);
			values[5] = Int64GetDatum((int64) mts[i].data_bytes);
			values[6] = Int64GetDatum((int64) mts[i].chunk_bytes);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		relation_close(rel, AccessShareLock);
	}
	return (Datum) 0;
}

/*
 * lsm_am.running_jobs(): flushes and compactions running now in this
 * database, with progress, and those that failed in a backend and are
 * not yet written to lsm_am.compaction_history (status 'failed').
 */
Datum
lsm_am_running_jobs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			j;

	lsm_check_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < LSM_MAX_JOBS; j++)
	{
		LsmJob		job;
		Datum		values[14];
		bool		nulls[14];
		pg_uuid_t  *id;
		StringInfoData in;
		int			i;

		SpinLockAcquire(&lsm_shared->pool_mutex);
		job = lsm_shared->jobs[j];
		SpinLockRelease(&lsm_shared->pool_mutex);
		if (!job.in_use || job.dbid != MyDatabaseId)
			continue;
		memset(nulls, 0, sizeof(nulls));
		id = palloc(sizeof(pg_uuid_t));
		memcpy(id->data, job.id, 16);
		initStringInfo(&in);
		appendStringInfoChar(&in, '[');
		for (i = 0; i < job.ninputs; i++)
		{
			pg_uuid_t	u;

			memcpy(u.data, job.inputs[i], 16);
			appendStringInfo(&in, "%s\"%s\"", i ? ", " : "",
							 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&u))));
		}
		appendStringInfoChar(&in, ']');
		values[0] = UUIDPGetDatum(id);
		values[1] = ObjectIdGetDatum(job.relid);
		values[2] = CStringGetTextDatum(job.is_flush ? "flush" : "compaction");
		values[3] = CStringGetTextDatum(job.failed ?
										psprintf("%s: %s", job.reason, job.error) :
										job.reason);
		values[4] = Int32GetDatum(job.from_level);
		values[5] = Int32GetDatum(job.to_level);
		values[6] = DirectFunctionCall1(jsonb_in, CStringGetDatum(in.data));
		values[7] = BoolGetDatum(job.trivial_move);
		values[8] = TimestampTzGetDatum(job.started_at);
		values[9] = Int64GetDatum((int64) job.bytes_written);
		values[10] = Int64GetDatum((int64) job.keys_in);
		values[11] = Int64GetDatum((int64) job.keys_dropped);
		values[12] = Float8GetDatum(job.total_entries > 0 ?
									Min(1.0, (double) job.keys_in / job.total_entries) : 0.0);
		values[13] = CStringGetTextDatum(job.failed ? "failed" : "running");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * A copy of a relation's metapage and its SSTables (*ssts, *nssts), or
 * NULL for an empty relation.
 */
static LsmMetaData *
manifest_copy(Relation rel, LsmSstEntry **ssts, int *nssts)
{
	Buffer		metabuf = lsm_meta_read(rel, BUFFER_LOCK_SHARE, false);
	LsmMetaData *meta;

	*ssts = NULL;
	*nssts = 0;
	if (metabuf == InvalidBuffer)
		return NULL;
	meta = palloc(BLCKSZ);
	memcpy(meta, LsmPageGetMeta(BufferGetPage(metabuf)),
		   BLCKSZ - MAXALIGN(SizeOfPageHeaderData));
	*ssts = lsm_meta_ssts(rel, meta, nssts);
	UnlockReleaseBuffer(metabuf);
	return meta;
}

/*
 * lsm_am.level_shape(): per lsm table and level, the SSTables, bytes and
 * compaction score (>= 1: due for compaction).
 */
Datum
lsm_am_level_shape(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *oids;
	ListCell   *lc;

	lsm_check_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	oids = lsm_table_oids();
	foreach(lc, oids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel = open_listed_table(relid);
		LsmSstEntry *ssts;
		int			nssts;
		lsm_compaction_options copts;
		uint64		target;
		lsm_sst_desc *d;
		int			files[LSM_MAX_LEVELS];
		uint64		bytes[LSM_MAX_LEVELS];
		double		scores[LSM_MAX_LEVELS];
		int			i;
		int			deepest = 0;

		if (rel == NULL)
			continue;
		(void) manifest_copy(rel, &ssts, &nssts);
		lsm_rel_compaction_options(rel, &copts, &target);
		d = palloc0(sizeof(lsm_sst_desc) * Max(1, nssts));
		for (i = 0; i < nssts; i++)
		{
			d[i].level = ssts[i].level;
			d[i].size = (uint64) ssts[i].nblocks * BLCKSZ;
			d[i].entries = ssts[i].entries;
			d[i].tombstones = ssts[i].tombstones;
			d[i].min_seq = ssts[i].min_seq;
			d[i].max_seq = ssts[i].max_seq;
		}
		lsm_compaction_level_stats(&copts, d, nssts, files, bytes, scores);
		for (i = 0; i < copts.num_levels && i < LSM_MAX_LEVELS; i++)
			if (files[i] > 0)
				deepest = i;
		for (i = 0; i <= deepest; i++)
		{
			Datum		values[6];
			bool		nulls[6];

			memset(nulls, 0, sizeof(nulls));
			values[0] = ObjectIdGetDatum(relid);
			values[1] = Int32GetDatum(i);
			values[2] = Int32GetDatum(files[i]);
			values[3] = Int64GetDatum((int64) bytes[i]);
			values[4] = Float8GetDatum(scores[i]);
			values[5] = Int64GetDatum((int64) lsm_compaction_level_target(&copts, i));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		relation_close(rel, AccessShareLock);
	}
	return (Datum) 0;
}

/*
 * lsm_am.relation_stats(): per lsm table, where its space goes: SSTables,
 * memtable log pages, free blocks, and space amplification (all SSTable
 * bytes over the bytes of the deepest level, as RocksDB reports it).
 */
Datum
lsm_am_relation_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *oids;
	ListCell   *lc;

	lsm_check_preloaded();
	/* what this transaction holds back counts as written */
	lsm_batch_apply_all();
	InitMaterializedSRF(fcinfo, 0);
	oids = lsm_table_oids();
	foreach(lc, oids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel = open_listed_table(relid);
		LsmMetaData *meta;
		LsmSstEntry *ssts;
		int			nssts;
		Datum		values[10];
		bool		nulls[10];
		int64		sst_bytes = 0;
		int64		deepest_bytes = 0;
		int64		free_blocks = 0;
		int64		log_pages = 0;
		int64		entries = 0;
		int			deepest = -1;
		int			i;

		if (rel == NULL)
			continue;
		meta = manifest_copy(rel, &ssts, &nssts);
		for (i = 0; i < nssts; i++)
		{
			sst_bytes += (int64) ssts[i].nblocks * BLCKSZ;
			entries += ssts[i].entries;
			deepest = Max(deepest, ssts[i].level);
		}
		for (i = 0; i < nssts; i++)
			if (ssts[i].level == deepest)
				deepest_bytes += (int64) ssts[i].nblocks * BLCKSZ;
		for (i = 0; meta && i < meta->nfree; i++)
			free_blocks += meta->free[i].count;
		for (i = 0; meta && i < meta->nloggens; i++)
			log_pages += meta->loggens[i].npages;
		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(relid);
		values[1] = Int32GetDatum(nssts);
		values[2] = Int64GetDatum(entries);
		values[3] = Int64GetDatum(sst_bytes);
		values[4] = Int64GetDatum(log_pages * BLCKSZ);
		values[5] = Int64GetDatum(free_blocks * BLCKSZ);
		values[6] = Int64GetDatum((int64) RelationGetNumberOfBlocks(rel) * BLCKSZ);
		if (deepest_bytes > 0)
			values[7] = Float8GetDatum((double) sst_bytes / deepest_bytes);
		else
			nulls[7] = true;
		if (sst_bytes > 0)
			values[8] = Float8GetDatum((double) RelationGetNumberOfBlocks(rel) * BLCKSZ / sst_bytes);
		else
			nulls[8] = true;
		/* the metapage and the manifest pages it lists */
		values[9] = Int64GetDatum(meta == NULL ? 0 :
								  (int64) (1 + (meta->version == 1 ? 0 : meta->nmpages)) * BLCKSZ);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		relation_close(rel, AccessShareLock);
	}
	return (Datum) 0;
}
