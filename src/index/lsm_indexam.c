/*-------------------------------------------------------------------------
 *
 * index/lsm_indexam.c
 *	  The lsm index access method: handler, options, build, insert (with
 *	  the unique check), VACUUM and cost estimate.  Scans are in
 *	  index/lsm_index_scan.c, key encoding and ordering in storage/lsm_keys.c.
 *
 * An lsm index keeps (key, TID) entries in its own memtables and
 * SSTables, in the index relation's main fork, with the same write path
 * (engine/lsm_memtables.c), flushes, compactions, manifest and WAL records as an
 * lsm table; only the key order differs (the opclass comparator instead
 * of bytes).  Index entries carry no visibility information: VACUUM's
 * ambulkdelete writes a DELETE tombstone for each dead TID, and
 * compaction drops shadowed entries (see engine/lsm_compaction.c).
 *
 * Build (CREATE INDEX, REINDEX, CREATE INDEX CONCURRENTLY): the table's
 * tuples are sorted with a tuplesort in the index order (the same "<"
 * operators, collations and NULLS FIRST flags as the comparator, then the
 * TID) and written directly as SSTables of one level, without memtables.
 *
 * Unique indexes: an inserter holds the index's uniq_lock (an LWLock of
 * its shared state) while it looks for live entries with the same key
 * and inserts its own, so two inserters of one key are serialized as
 * btree serializes them on a leaf page.  A conflicting tuple of a
 * transaction in progress is waited for (without the lock), then the
 * check starts over.  The bloom filters hash the key without the TID, so
 * SSTables that cannot hold the key are skipped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amapi.h"
#include "access/parallel.h"
#include "access/relation.h"
#include "access/nbtree.h"
#include "access/reloptions.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/predicate.h"
#include "core/lsm_core.h"
#include "core/lsm_picker.h"
#include "core/lsm_sstable.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_readview.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_space.h"
#include "engine/lsm_sstwriter.h"
#include "engine/lsm_writebatch.h"
#include "engine/lsm_xact.h"
#include "index/lsm_index.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_relopts.h"
#include "storage/lsm_sstfile.h"
#include "utils/builtins.h"
#include "utils/index_selfuncs.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"
#include "utils/tuplesort.h"

PG_FUNCTION_INFO_V1(lsm_index_handler);

static IndexBuildResult *lsmi_build(Relation heap, Relation index, IndexInfo *indexInfo);

/* ---------- options ---------- */

static relopt_kind lsm_relopt_kind;

static void
validate_compression(const char *v)
{
	if (v && pg_strcasecmp(v, "zstd") != 0 && pg_strcasecmp(v, "none") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for lsm option \"compression\": \"%s\"", v),
				 errhint("Valid values are \"zstd\" and \"none\".")));
}

static void
validate_style(const char *v)
{
	if (v && pg_strcasecmp(v, "leveled") != 0 && pg_strcasecmp(v, "tiered") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for lsm option \"compaction_style\": \"%s\"", v),
				 errhint("Valid values are \"leveled\" and \"tiered\".")));
}

/*
 * INSERT ... ON CONFLICT on a table with a unique lsm index: PostgreSQL 15
 * prepares speculative insertion for btree unique indexes only (it fails
 * with "unexpected non-btree speculative unique index"), so refuse it
 * here with a clear error.
 */
static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;

static void
check_on_conflict(Query *query)
{
	ListCell   *lc;

	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (cte->ctequery && IsA(cte->ctequery, Query))
			check_on_conflict((Query *) cte->ctequery);
	}
	if (query->commandType != CMD_INSERT || query->onConflict == NULL ||
		query->resultRelation <= 0)
		return;
	{
		RangeTblEntry *rte = rt_fetch(query->resultRelation, query->rtable);
		Relation	rel = relation_open(rte->relid, NoLock);
		List	   *indexes = RelationGetIndexList(rel);
		ListCell   *ic;

		foreach(ic, indexes)
		{
			Relation	index = index_open(lfirst_oid(ic), AccessShareLock);
			bool		bad = index->rd_index->indisunique && lsm_rel_is_lsm_index(index);
			char	   *name = pstrdup(RelationGetRelationName(index));

			index_close(index, AccessShareLock);
			if (bad)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("INSERT ... ON CONFLICT is not supported on table \"%s\": it has the unique lsm index \"%s\"",
								RelationGetRelationName(rel), name),
						 errdetail("PostgreSQL 15 implements speculative insertion for unique btree indexes only."),
						 errhint("Use a unique btree index on this table, or an INSERT that checks for the key first.")));
		}
		list_free(indexes);
		relation_close(rel, NoLock);
	}
}

static void
lsm_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);
	check_on_conflict(query);
}

void
lsm_index_init(void)
{
	lsm_register_index_am(lsmi_build);
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = lsm_post_parse_analyze;

	lsm_relopt_kind = add_reloption_kind();
	add_real_reloption(lsm_relopt_kind, "bloom_fp_rate",
					   "Bloom filter false-positive rate of SSTables (0 disables)",
					   0.01, 0, 0.5, AccessExclusiveLock);
	add_string_reloption(lsm_relopt_kind, "compression",
						 "SSTable block compression: zstd or none",
						 "zstd", validate_compression, AccessExclusiveLock);
	add_int_reloption(lsm_relopt_kind, "compression_level", "zstd level",
					  3, 1, 19, AccessExclusiveLock);
	add_int_reloption(lsm_relopt_kind, "block_size", "SSTable data block size (bytes)",
					  4096, 512, 1024 * 1024, AccessExclusiveLock);
	add_int_reloption(lsm_relopt_kind, "memtable_size",
					  "Memtable size of the index (kB; 0: lsm_am.memtable_size)",
					  0, 0, 1024 * 1024, AccessExclusiveLock);
	add_string_reloption(lsm_relopt_kind, "compaction_style",
						 "leveled or tiered", "leveled", validate_style,
						 AccessExclusiveLock);
	add_int_reloption(lsm_relopt_kind, "l0_compaction_trigger",
					  "Level-0 SSTables that start a compaction",
					  4, 2, 64, AccessExclusiveLock);
	add_int_reloption(lsm_relopt_kind, "level_base_size", "Target size of level 1 (kB)",
					  256 * 1024, 64, INT_MAX / 2, AccessExclusiveLock);
	add_real_reloption(lsm_relopt_kind, "level_multiplier",
					   "Size ratio of consecutive levels", 10, 2, 100,
					   AccessExclusiveLock);
	add_int_reloption(lsm_relopt_kind, "target_file_size",
					  "Size at which compaction starts a new SSTable (kB)",
					  64 * 1024, 64, INT_MAX / 2, AccessExclusiveLock);
}

static bytea *
lsmi_options(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"bloom_fp_rate", RELOPT_TYPE_REAL, offsetof(LsmIndexOptions, bloom_fp_rate)},
		{"compression", RELOPT_TYPE_STRING, offsetof(LsmIndexOptions, compression)},
		{"compression_level", RELOPT_TYPE_INT, offsetof(LsmIndexOptions, compression_level)},
		{"block_size", RELOPT_TYPE_INT, offsetof(LsmIndexOptions, block_size)},
		{"memtable_size", RELOPT_TYPE_INT, offsetof(LsmIndexOptions, memtable_size)},
		{"compaction_style", RELOPT_TYPE_STRING, offsetof(LsmIndexOptions, compaction_style)},
		{"l0_compaction_trigger", RELOPT_TYPE_INT, offsetof(LsmIndexOptions, l0_compaction_trigger)},
		{"level_base_size", RELOPT_TYPE_INT, offsetof(LsmIndexOptions, level_base_size)},
		{"level_multiplier", RELOPT_TYPE_REAL, offsetof(LsmIndexOptions, level_multiplier)},
		{"target_file_size", RELOPT_TYPE_INT, offsetof(LsmIndexOptions, target_file_size)},
	};
	LsmIndexOptions *o;

	o = (LsmIndexOptions *) build_reloptions(reloptions, validate, lsm_relopt_kind,
											 sizeof(LsmIndexOptions), tab, lengthof(tab));
	return (bytea *) o;
}

/* ---------- build ---------- */

typedef struct BuildState
{
	LsmIndexInfo *ii;
	Tuplesortstate *sort;
	TupleTableSlot *slot;
	int			natts;			/* of the sort tuples: keys, tid, alive, includes */
	double		indtuples;
	Datum	   *values;
	bool	   *isnull;
} BuildState;

static void
build_callback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *arg)
{
	BuildState *bs = (BuildState *) arg;
	LsmIndexInfo *ii = bs->ii;
	int			i;

	ExecClearTuple(bs->slot);
	for (i = 0; i < ii->nkeys; i++)
	{
		bs->slot->tts_values[i] = values[i];
		bs->slot->tts_isnull[i] = isnull[i];
	}
	bs->slot->tts_values[ii->nkeys] =
		Int64GetDatum(((int64) ItemPointerGetBlockNumber(tid) << 16) |
					  ItemPointerGetOffsetNumber(tid));
	bs->slot->tts_isnull[ii->nkeys] = false;
	bs->slot->tts_values[ii->nkeys + 1] = BoolGetDatum(tupleIsAlive);
	bs->slot->tts_isnull[ii->nkeys + 1] = false;
	for (i = ii->nkeys; i < ii->natts; i++)
	{
		bs->slot->tts_values[i + 2] = values[i];
		bs->slot->tts_isnull[i + 2] = isnull[i];
	}
	ExecStoreVirtualTuple(bs->slot);
	tuplesort_puttupleslot(bs->sort, bs->slot);
	bs->indtuples++;
}

/* Raise the unique violation error for a key (no LWLocks held). */
static void
report_duplicate(Relation index, Relation heap, Datum *values, bool *isnull)
{
	char	   *key_desc = BuildIndexValueDescription(index, values, isnull);

	ereport(ERROR,
			(errcode(ERRCODE_UNIQUE_VIOLATION),
			 errmsg("duplicate key value violates unique constraint \"%s\"",
					RelationGetRelationName(index)),
			 key_desc ? errdetail("Key %s already exists.", key_desc) : 0,
			 errtableconstraint(heap, RelationGetRelationName(index))));
}

/* Key plus value of one entry must fit a memtable log page. */
static void
check_entry_size(Relation index, Size len)
{
	if (len > LSM_MAX_ENTRY_SIZE - 64)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("index row size %zu exceeds lsm maximum %zu for index \"%s\"",
						len, (Size) (LSM_MAX_ENTRY_SIZE - 64), RelationGetRelationName(index)),
				 errhint("Values larger than that cannot be indexed by an lsm index; "
						 "consider an index of an MD5 hash of the value.")));
}

/*
 * Level for a freshly built index of `bytes`: leveled, the first level
 * whose target size holds it; tiered, level 0.
 */
static int
build_level(Relation index, uint64 bytes)
{
	lsm_compaction_options copts;
	uint64		target;
	double		cap;
	int			level;

	lsm_rel_compaction_options(index, &copts, &target);
	if (copts.style == LSM_COMPACTION_TIERED)
		return 0;
	cap = (double) copts.base_level_size;
	for (level = 1; level < copts.num_levels - 1; level++)
	{
		if ((double) bytes <= cap)
			break;
		cap *= copts.level_multiplier;
	}
	return level;
}

static void
check_persistence(Relation index)
{
	if (index->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("lsm indexes on temporary or unlogged tables are not supported"),
				 errdetail("lsm memtables live in shared memory and are rebuilt from WAL-logged pages."),
				 errhint("Use a btree index on this table.")));
}

static IndexBuildResult *
lsmi_build(Relation heap, Relation index, IndexInfo *indexInfo)
{
	LsmIndexInfo *ii;
	BuildState	bs;
	TupleDesc	sortdesc;
	TupleDesc	idesc = RelationGetDescr(index);
	AttrNumber	attnums[INDEX_MAX_KEYS + 1];
	Oid			sortops[INDEX_MAX_KEYS + 1];
	Oid			colls[INDEX_MAX_KEYS + 1];
	bool		nullsfirst[INDEX_MAX_KEYS + 1];
	double		reltuples;
	IndexBuildResult *result;
	LsmRelState *st;
	lsm_sst_options opts;
	lsm_compaction_options copts;
	uint64		target;
	MemoryContext cxt;
	MemoryContext old;
	LsmSstWriter w;
	LsmSstEntry *outs;
	int			nouts;
	uint64		seq;
	StringInfoData key;
	StringInfoData ikey;
	StringInfoData val;
	StringInfoData prev;
	bool		have_prev = false;
	int			i;
	RelFileNode others[16];
	int			nothers;
	TupleTableSlot *outslot;

	lsm_check_preloaded();
	check_persistence(index);
	/* the build reads every row, those of this transaction included */
	lsm_batch_forget(RelationGetRelid(index));
	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));

	/* a rebuilt index (REINDEX, TRUNCATE) leaves the state of its old file */
	nothers = lsm_states_for_relid(MyDatabaseId, RelationGetRelid(index), others, 16);
	for (i = 0; i < nothers; i++)
		if (!RelFileNodeEquals(others[i], index->rd_node))
			lsm_pending_discard(&others[i], true);
	lsm_state_discard(&index->rd_node);
	lsm_pending_discard(&index->rd_node, false);

	ii = lsm_index_info(index);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "lsm index build",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	/* sort tuples: key columns, tid (int8), alive (bool), INCLUDE columns */
	bs.ii = ii;
	bs.natts = ii->natts + 2;
	bs.indtuples = 0;
	sortdesc = CreateTemplateTupleDesc(bs.natts);
	for (i = 0; i < ii->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(idesc, i);
		int			to = i < ii->nkeys ? i + 1 : i + 3;

		TupleDescInitEntry(sortdesc, to, NULL, att->atttypid, att->atttypmod, 0);
		TupleDescInitEntryCollation(sortdesc, to, att->attcollation);
	}
	TupleDescInitEntry(sortdesc, ii->nkeys + 1, NULL, INT8OID, -1, 0);
	TupleDescInitEntry(sortdesc, ii->nkeys + 2, NULL, BOOLOID, -1, 0);
	for (i = 0; i < ii->nkeys; i++)
	{
		LsmIndexCol *c = &ii->cols[i];

		attnums[i] = i + 1;
		sortops[i] = get_opfamily_member(c->opfamily, c->opcintype, c->opcintype,
										 c->desc ? BTGreaterStrategyNumber : BTLessStrategyNumber);
		if (!OidIsValid(sortops[i]))
			elog(ERROR, "missing ordering operator for column %d of \"%s\"",
				 i + 1, RelationGetRelationName(index));
		colls[i] = c->collation;
		nullsfirst[i] = c->nulls_first;
	}
	attnums[ii->nkeys] = ii->nkeys + 1;
	sortops[ii->nkeys] = Int8LessOperator;
	colls[ii->nkeys] = InvalidOid;
	nullsfirst[ii->nkeys] = false;
	bs.sort = tuplesort_begin_heap(sortdesc, ii->nkeys + 1, attnums, sortops, colls,
								   nullsfirst, maintenance_work_mem, NULL, TUPLESORT_NONE);
	bs.slot = MakeSingleTupleTableSlot(sortdesc, &TTSOpsVirtual);
	outslot = MakeSingleTupleTableSlot(sortdesc, &TTSOpsMinimalTuple);

	MemoryContextSwitchTo(old);
	reltuples = table_index_build_scan(heap, index, indexInfo, true, true,
									   build_callback, &bs, NULL);
	MemoryContextSwitchTo(cxt);
	tuplesort_performsort(bs.sort);

	/* write the sorted entries as SSTables */
	st = lsm_memstore_open(index);
	lsm_rel_sst_options(index, &opts);
	lsm_rel_compaction_options(index, &copts, &target);
	/* the level is set once the total size is known */
	lsm_sst_writer_init(&w, index, st, "index build", &opts, cxt, target, 0);
	seq = lsm_memstore_take_seq(st);
	initStringInfo(&key);
	initStringInfo(&ikey);
	initStringInfo(&val);
	initStringInfo(&prev);
	bs.values = palloc(sizeof(Datum) * ii->natts);
	bs.isnull = palloc(sizeof(bool) * ii->natts);

	for (;;)
	{
		bool		more = tuplesort_gettupleslot(bs.sort, true, false, outslot, NULL);
		bool		alive;
		int64		t;
		ItemPointerData tid;
		bool		any_null = false;

		if (!more)
			break;
		/* entries are unique (key, TID): an output may end anywhere */
		if (lsm_sst_writer_full(&w))
			lsm_sst_writer_cut(&w);
		CHECK_FOR_INTERRUPTS();

		slot_getallattrs(outslot);
		for (i = 0; i < ii->nkeys; i++)
		{
			bs.values[i] = outslot->tts_values[i];
			bs.isnull[i] = outslot->tts_isnull[i];
			if (bs.isnull[i])
				any_null = true;
		}
		t = DatumGetInt64(outslot->tts_values[ii->nkeys]);
		alive = DatumGetBool(outslot->tts_values[ii->nkeys + 1]);
		for (i = ii->nkeys; i < ii->natts; i++)
		{
			bs.values[i] = outslot->tts_values[i + 2];
			bs.isnull[i] = outslot->tts_isnull[i + 2];
		}
		ItemPointerSet(&tid, (BlockNumber) (t >> 16), (OffsetNumber) (t & 0xFFFF));

		resetStringInfo(&key);
		lsm_index_encode_cols(ii, &key, bs.values, bs.isnull, 0, ii->nkeys);
		lsm_index_encode_tid(&key, &tid);

		/* unique: two live tuples with one key (NULLs are distinct unless told) */
		if (indexInfo->ii_Unique && alive &&
			(!any_null || indexInfo->ii_NullsNotDistinct))
		{
			if (have_prev &&
				lsm_index_compare_keys(ii, prev.data, prev.len, key.data, key.len, false) == 0)
				report_duplicate(index, heap, bs.values, bs.isnull);
			resetStringInfo(&prev);
			appendBinaryStringInfo(&prev, key.data, key.len);
			have_prev = true;
		}
		resetStringInfo(&val);
		lsm_index_encode_cols(ii, &val, bs.values, bs.isnull, ii->nkeys, ii->natts);
		check_entry_size(index, key.len + val.len);

		resetStringInfo(&ikey);
		appendBinaryStringInfo(&ikey, key.data, key.len);
		enlargeStringInfo(&ikey, LSM_TRAILER_SIZE);
		lsm_trailer_encode(ikey.data + ikey.len, seq, LSM_TYPE_PUT);
		ikey.len += LSM_TRAILER_SIZE;

		lsm_sst_writer_add(&w, ikey.data, ikey.len, val.data, val.len);
		MemoryContextReset(ii->tmpcxt);
	}
	tuplesort_end(bs.sort);
	ExecDropSingleTupleTableSlot(bs.slot);
	ExecDropSingleTupleTableSlot(outslot);

	outs = lsm_sst_writer_finish(&w, &nouts);
	if (nouts > 0)
	{
		LsmManifestEdit edit;
		int			level = build_level(index, w.bytes_written);

		for (i = 0; i < nouts; i++)
			outs[i].level = level;
		memset(&edit, 0, sizeof(edit));
		edit.from_level = -1;
		edit.to_level = level;
		edit.nadd = nouts;
		edit.add = outs;
		lsm_manifest_apply(index, st, &edit);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = reltuples;
	result->index_tuples = bs.indtuples;
	return result;
}

static void
lsmi_buildempty(Relation index)
{
	lsm_batch_forget(RelationGetRelid(index));
	check_persistence(index);
}

/* ---------- insert ---------- */

typedef struct KeyEntry
{
	ItemPointerData tid;
} KeyEntry;

/*
 * The TIDs whose newest entry for key (encoded key columns, no TID) is a
 * PUT, as seen by view.
 */
static int
find_key(Relation index, LsmIndexInfo *ii, LsmReadView *view, const char *key,
		 size_t keylen, KeyEntry **out)
{
	StringInfoData target;
	ItemPointerData zero;
	lsm_iter   *it;
	int			n = 0;
	int			max = 8;
	ItemPointerData last;
	bool		have_last = false;
	ResourceOwner saved = CurrentResourceOwner;

	initStringInfo(&target);
	appendBinaryStringInfo(&target, key, keylen);
	ItemPointerSetBlockNumber(&zero, 0);
	zero.ip_posid = 0;
	lsm_index_encode_tid(&target, &zero);
	enlargeStringInfo(&target, LSM_TRAILER_SIZE);
	lsm_trailer_encode(target.data + target.len, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	target.len += LSM_TRAILER_SIZE;

	*out = palloc(sizeof(KeyEntry) * max);
	CurrentResourceOwner = view->owner;
	it = lsm_view_point_iter(view, ii->bloom_ok ? target.data : NULL,
							 target.len - LSM_TRAILER_SIZE);
	for (lsm_iter_seek(it, target.data, target.len); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen;
		const char *k = lsm_iter_key(it, &klen);
		ItemPointerData tid;
		lsm_entry_type type;
		MemoryContext oldcxt;
		int			c;

		if (klen < LSM_TRAILER_SIZE + LSM_INDEX_TID_LEN)
			break;
		oldcxt = MemoryContextSwitchTo(ii->tmpcxt);
		c = lsm_index_compare_keys(ii, k, klen - LSM_TRAILER_SIZE,
								   target.data, target.len - LSM_TRAILER_SIZE, false);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(ii->tmpcxt);
		if (c != 0)
			break;
		lsm_index_decode_tid(k, klen - LSM_TRAILER_SIZE, &tid);
		/* the newest entry of each (key, TID) comes first */
		if (have_last && ItemPointerEquals(&tid, &last))
			continue;
		last = tid;
		have_last = true;
		lsm_ikey_decode(k, klen, NULL, NULL, &type);
		if (type != LSM_TYPE_PUT)
			continue;
		if (n == max)
		{
			max *= 2;
			*out = repalloc(*out, sizeof(KeyEntry) * max);
		}
		(*out)[n].tid = tid;
		n++;
	}
	if (lsm_iter_status(it) != LSM_OK)
		lsm_check_iter_status(view, it);
	lsm_iter_destroy(it);
	CurrentResourceOwner = saved;
	pfree(target.data);
	return n;
}

/*
 * The unique check, done with st->uniq_lock held; returns with it held
 * when the caller may insert.  *conflict (UNIQUE_CHECK_PARTIAL) tells of
 * a possible duplicate left for the deferred recheck.
 */
static void
unique_check(Relation index, Relation heap, LsmIndexInfo *ii, LsmRelState *st,
			 const char *key, size_t keylen, ItemPointer self,
			 IndexUniqueCheck mode, Datum *values, bool *isnull, bool *conflict)
{
	*conflict = false;
	for (;;)
	{
		LsmReadView *view;
		KeyEntry   *ents;
		int			n;
		int			i;
		TransactionId xwait = InvalidTransactionId;
		uint32		spec_token = 0;
		bool		duplicate = false;

		LWLockAcquire(&st->uniq_lock, LW_EXCLUSIVE);
		view = lsm_current_view(index);
		n = find_key(index, ii, view, key, keylen, &ents);
		for (i = 0; i < n; i++)
		{
			SnapshotData dirty;
			ItemPointerData tid = ents[i].tid;
			bool		all_dead = false;

			if (ItemPointerEquals(&tid, self))
				continue;		/* a recheck finds the tuple itself */
			InitDirtySnapshot(dirty);
			if (!table_index_fetch_tuple_check(heap, &tid, &dirty, &all_dead))
				continue;
			if (mode == UNIQUE_CHECK_PARTIAL)
			{
				*conflict = true;
				break;
			}
			xwait = TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
			if (TransactionIdIsValid(xwait))
			{
				spec_token = dirty.speculativeToken;
				break;
			}
			/*
			 * A definite conflict, unless the tuple being inserted is dead
			 * by now (possible in CREATE INDEX CONCURRENTLY), as btree
			 * checks.
			 */
			{
				ItemPointerData me = *self;

				if (!table_index_fetch_tuple_check(heap, &me, SnapshotSelf, NULL))
					break;
			}
			duplicate = true;
			break;
		}
		pfree(ents);
		if (duplicate)
		{
			LWLockRelease(&st->uniq_lock);
			report_duplicate(index, heap, values, isnull);
		}
		if (!TransactionIdIsValid(xwait))
			return;				/* lock held */
		/* wait for the other inserter without the lock, then look again */
		LWLockRelease(&st->uniq_lock);
		if (spec_token)
			SpeculativeInsertionWait(xwait, spec_token);
		else
			XactLockTableWait(xwait, heap, self, XLTW_InsertIndex);
	}
}

static bool
lsmi_insert(Relation index, Datum *values, bool *isnull, ItemPointer ht_ctid,
			Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
			IndexInfo *indexInfo)
{
	LsmIndexInfo *ii = lsm_index_info(index);
	StringInfoData key;
	StringInfoData val;
	LsmWriteOp	op;
	bool		check = checkUnique != UNIQUE_CHECK_NO;
	bool		conflict = false;
	LsmRelState *st = NULL;
	int			i;

	initStringInfo(&key);
	lsm_index_encode_cols(ii, &key, values, isnull, 0, ii->nkeys);
	if (check && !indexInfo->ii_NullsNotDistinct)
		for (i = 0; i < ii->nkeys; i++)
			if (isnull[i])
				check = false;	/* NULLs are distinct: no conflict */
	if (check)
	{
		st = lsm_memstore_open(index);
		unique_check(index, heap, ii, st, key.data, key.len, ht_ctid, checkUnique,
					 values, isnull, &conflict);
		if (checkUnique == UNIQUE_CHECK_EXISTING)
		{
			/* a recheck: the entry is there already */
			LWLockRelease(&st->uniq_lock);
			pfree(key.data);
			return true;
		}
	}
	lsm_index_encode_tid(&key, ht_ctid);
	initStringInfo(&val);
	lsm_index_encode_cols(ii, &val, values, isnull, ii->nkeys, ii->natts);
	check_entry_size(index, key.len + val.len);

	memset(&op, 0, sizeof(op));
	op.type = LSM_TYPE_PUT;
	op.key = key.data;
	op.keylen = key.len;
	op.value = val.data;
	op.vlen = val.len;

	/*
	 * An entry only this transaction needs before it commits waits in the
	 * write batch: not one a unique or exclusion check of another backend
	 * must find while we run, nor one SSI must see (a serializable reader
	 * detects our write through the entry it finds).
	 */
	if (checkUnique == UNIQUE_CHECK_NO && indexInfo->ii_ExclusionOps == NULL &&
		lsm_write_batch_size > 0 && !IsolationIsSerializable() && !IsParallelWorker())
	{
		lsm_batch_add(index, &op);
		pfree(key.data);
		pfree(val.data);
		return true;
	}
	PG_TRY();
	{
		lsm_memstore_write(index, &op, 1);
	}
	PG_FINALLY();
	{
		if (check)
			LWLockRelease(&st->uniq_lock);
	}
	PG_END_TRY();
	pfree(key.data);
	pfree(val.data);
	return !conflict;
}

/* ---------- VACUUM ---------- */

#define DELETE_BATCH 256

static IndexBulkDeleteResult *
lsmi_bulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	LsmIndexInfo *ii = lsm_index_info(index);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "lsm index vacuum",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	LsmReadView *view;
	LsmWriteOp *ops;
	int			nops = 0;
	StringInfoData last;
	bool		have_last = false;
	ResourceOwner saved = CurrentResourceOwner;
	lsm_iter   *it;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));
	old = MemoryContextSwitchTo(cxt);
	ops = palloc0(sizeof(LsmWriteOp) * DELETE_BATCH);
	initStringInfo(&last);
	view = lsm_read_view_open(index, info->strategy, cxt);
	it = view->iter;
	CurrentResourceOwner = view->owner;
	for (lsm_iter_seek_first(it); lsm_iter_valid(it); lsm_iter_next(it))
	{
		size_t		klen;
		const char *k = lsm_iter_key(it, &klen);
		size_t		ulen;
		lsm_entry_type type;
		ItemPointerData tid;

		vacuum_delay_point();
		if (klen < LSM_TRAILER_SIZE + LSM_INDEX_TID_LEN)
			elog(ERROR, "invalid entry in lsm index \"%s\"", RelationGetRelationName(index));
		ulen = klen - LSM_TRAILER_SIZE;
		/* only the newest entry of each (key, TID) counts */
		if (have_last)
		{
			MemoryContext o2 = MemoryContextSwitchTo(ii->tmpcxt);
			int			c = lsm_index_compare_keys(ii, last.data, last.len, k, ulen, true);

			MemoryContextSwitchTo(o2);
			MemoryContextReset(ii->tmpcxt);
			if (c == 0)
				continue;
		}
		resetStringInfo(&last);
		appendBinaryStringInfo(&last, k, ulen);
		have_last = true;
		lsm_ikey_decode(k, klen, NULL, NULL, &type);
		if (type != LSM_TYPE_PUT)
			continue;
		lsm_index_decode_tid(k, ulen, &tid);
		if (callback(&tid, callback_state))
		{
			LsmWriteOp *op = &ops[nops++];

			op->type = LSM_TYPE_DELETE;
			op->key = palloc(ulen);
			memcpy((char *) op->key, k, ulen);
			op->keylen = ulen;
			op->value = "";
			op->vlen = 0;
			stats->tuples_removed++;
			if (nops == DELETE_BATCH)
			{
				CurrentResourceOwner = saved;
				lsm_memstore_write(index, ops, nops);
				CurrentResourceOwner = view->owner;
				while (nops > 0)
					pfree((char *) ops[--nops].key);
			}
		}
		else
			stats->num_index_tuples++;
	}
	if (lsm_iter_status(it) != LSM_OK)
		lsm_check_iter_status(view, it);
	CurrentResourceOwner = saved;
	lsm_read_view_close(view);
	if (nops > 0)
		lsm_memstore_write(index, ops, nops);
	stats->num_pages = RelationGetNumberOfBlocks(index);
	stats->estimated_count = false;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return stats;
}

/* Count the live entries (no bulkdelete ran in this VACUUM). */
static IndexBulkDeleteResult *
lsmi_vacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = info->num_heap_tuples;
		stats->estimated_count = info->estimated_count;
	}
	/* free space back: SSTables moved down the file, a free tail cut off */
	(void) lsm_space_reclaim(info->index, true);
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	/* tombstones written by this VACUUM are merged away by compaction */
	if (stats->tuples_removed > 0)
	{
		LsmRelState *st = lsm_memstore_open(info->index);

		lsm_maybe_request_compaction(info->index, st);
	}
	return stats;
}

/* ---------- planner support ---------- */

/*
 * The same estimate as a btree with these quals: an lsm index is chosen
 * where a btree would be.  btcostestimate works from the opfamily's btree
 * strategy numbers, which ours share.
 */
static void
lsmi_costestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				  Cost *indexStartupCost, Cost *indexTotalCost,
				  Selectivity *indexSelectivity, double *indexCorrelation,
				  double *indexPages)
{
	btcostestimate(root, path, loop_count, indexStartupCost, indexTotalCost,
				   indexSelectivity, indexCorrelation, indexPages);
}

static bool
lsmi_canreturn(Relation index, int attno)
{
	return true;
}

/* Operator classes follow btree's rules (strategies 1-5, procs 1, 2, 4). */
static bool
lsmi_validate(Oid opclassoid)
{
	return btvalidate(opclassoid);
}

static void
lsmi_adjustmembers(Oid opfamilyoid, Oid opclassoid, List *operators, List *functions)
{
	btadjustmembers(opfamilyoid, opclassoid, operators, functions);
}

Datum
lsm_index_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = BTMaxStrategyNumber;
	amroutine->amsupport = BTNProcs;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = true;
	amroutine->amcanorderbyop = false;
	amroutine->amcanbackward = true;
	amroutine->amcanunique = true;
	amroutine->amcanmulticol = true;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = true;
	amroutine->amsearchnulls = true;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
	amroutine->amcaninclude = true;
	amroutine->amusemaintenanceworkmem = false;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_NO_PARALLEL;
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = lsmi_build;
	amroutine->ambuildempty = lsmi_buildempty;
	amroutine->aminsert = lsmi_insert;
	amroutine->ambulkdelete = lsmi_bulkdelete;
	amroutine->amvacuumcleanup = lsmi_vacuumcleanup;
	amroutine->amcanreturn = lsmi_canreturn;
	amroutine->amcostestimate = lsmi_costestimate;
	amroutine->amoptions = lsmi_options;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = NULL;
	amroutine->amvalidate = lsmi_validate;
	amroutine->amadjustmembers = lsmi_adjustmembers;
	amroutine->ambeginscan = lsmi_beginscan;
	amroutine->amrescan = lsmi_rescan;
	amroutine->amgettuple = lsmi_gettuple;
	amroutine->amgetbitmap = lsmi_getbitmap;
	amroutine->amendscan = lsmi_endscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;

	PG_RETURN_POINTER(amroutine);
}
