/*-------------------------------------------------------------------------
 *
 * lsm_views.c
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
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "lsm_am.h"

PG_FUNCTION_INFO_V1(lsm_am_flush);
PG_FUNCTION_INFO_V1(lsm_am_sstables);
PG_FUNCTION_INFO_V1(lsm_am_memtables);

/*
 * Open an lsm table named by the user, checking that it is one.
 */
static Relation
open_lsm_table(Oid relid, LOCKMODE mode)
{
	Relation	rel = relation_open(relid, mode);

	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_tableam != lsm_table_am_routine())
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an lsm table", RelationGetRelationName(rel)),
				 errhint("Use a table created with USING lsm.")));
	return rel;
}

/*
 * lsm_am.flush(regclass) returns int: freeze the active memtable and
 * flush all frozen ones now; returns how many memtables were flushed.
 * Requires ownership of the table.
 */
Datum
lsm_am_flush(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	int			n;

	lsm_check_preloaded();
	rel = open_lsm_table(relid, AccessShareLock);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	n = lsm_flush_relation(rel, true);
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

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);

		if (cls->relkind == RELKIND_RELATION && cls->relam == amoid)
			result = lappend_oid(result, cls->oid);
	}
	table_endscan(scan);
	table_close(classrel, AccessShareLock);
	return result;
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
	InitMaterializedSRF(fcinfo, 0);
	oids = lsm_table_oids();
	foreach(lc, oids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel = try_relation_open(relid, AccessShareLock);
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

			nssts = meta->nssts;
			ssts = palloc(sizeof(LsmSstEntry) * Max(nssts, 1));
			memcpy(ssts, meta->ssts, sizeof(LsmSstEntry) * nssts);
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
	InitMaterializedSRF(fcinfo, 0);
	oids = lsm_table_oids();
	foreach(lc, oids)
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel = try_relation_open(relid, AccessShareLock);
		LsmRelState *st;
		int			slots[LSM_MAX_FROZEN + 1];
		bool		active[LSM_MAX_FROZEN + 1];
		int			n = 0;
		int			i;

		if (rel == NULL)
			continue;
		st = lsm_memstore_open(rel);
		LWLockAcquire(&st->lock, LW_SHARED);
		if (st->active >= 0)
		{
			active[n] = true;
			slots[n++] = st->active;
		}
		for (i = st->nfrozen - 1; i >= 0; i--)
		{
			active[n] = false;
			slots[n++] = st->frozen[i];
		}
		for (i = 0; i < n; i++)
		{
			LsmMemSlot *slot = lsm_slot(slots[i]);
			Datum		values[7];
			bool		nulls[7];

			memset(nulls, 0, sizeof(nulls));
			values[0] = ObjectIdGetDatum(relid);
			values[1] = Int64GetDatum((int64) slot->gen);
			values[2] = CStringGetTextDatum(active[i] ? "active" : "frozen");
			values[3] = Int64GetDatum((int64) slot->mt.num_entries);
			values[4] = Int64GetDatum((int64) slot->mt.num_deletes);
			values[5] = Int64GetDatum((int64) slot->mt.data_bytes);
			values[6] = Int64GetDatum((int64) slot->mt.chunk_bytes);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		LWLockRelease(&st->lock);
		relation_close(rel, AccessShareLock);
	}
	return (Datum) 0;
}
