/*-------------------------------------------------------------------------
 *
 * lsm_relopts.c
 *	  What a relation's options are: the lsm_am.* GUC defaults (defined
 *	  here, registered by extension/lsm_am.c), overridden by a table's
 *	  options stored in pg_class.reloptions (validated and stored by the
 *	  utility hook in extension/lsm_options.c) or by an lsm index's
 *	  reloptions (parsed by index/lsm_indexam.c into LsmIndexOptions).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "core/lsm_picker.h"
#include "core/lsm_sstable.h"
#include "storage/lsm_keys.h"
#include "storage/lsm_relopts.h"

int			lsm_memtable_size_kb = 32 * 1024;
int			lsm_block_size = 4096;
int			lsm_zstd_level = 3;
double		lsm_bloom_fp_rate = 0.01;
bool		lsm_compression_enabled = true;
int			lsm_default_style = LSM_COMPACTION_LEVELED;
int			lsm_l0_trigger = 4;
int			lsm_level_base_size_kb = 256 * 1024;
double		lsm_level_multiplier = 10.0;
double		lsm_l0_intra_ratio = 4.0;
int			lsm_target_file_size_kb = 64 * 1024;

const char *const lsm_option_names[] = {
	"compression", "compression_level", "bloom_fp_rate", "block_size",
	"compaction_style", "l0_compaction_trigger", "level_base_size",
	"level_multiplier", "target_file_size", NULL
};

bool
lsm_is_lsm_option(const DefElem *def)
{
	int			i;

	if (def->defnamespace != NULL)
		return false;
	for (i = 0; lsm_option_names[i]; i++)
		if (strcmp(def->defname, lsm_option_names[i]) == 0)
			return true;
	return false;
}

/* The lsm options stored in pg_class.reloptions of relid. */
List *
lsm_stored_options(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	List	   *result = NIL;
	Datum		d;
	bool		isnull;
	ListCell   *lc;

	if (!HeapTupleIsValid(tup))
		return NIL;
	d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
	{
		foreach(lc, untransformRelOptions(d))
		{
			DefElem    *def = lfirst_node(DefElem, lc);

			if (lsm_is_lsm_option(def))
				result = lappend(result, def);
		}
	}
	ReleaseSysCache(tup);
	return result;
}

/*
 * Compaction options of a table: the lsm_am.* GUCs, overridden by its
 * stored options.  Sizes of options are in kB, as the GUCs'.
 */
void
lsm_rel_compaction_options(Relation rel, lsm_compaction_options *o,
						   uint64 *target_file_size)
{
	List	   *defs = lsm_stored_options(RelationGetRelid(rel));
	ListCell   *lc;

	lsm_compaction_options_default(o);
	o->style = (lsm_compaction_style) lsm_default_style;
	o->l0_trigger = lsm_l0_trigger;
	o->base_level_size = (uint64) lsm_level_base_size_kb * 1024;
	o->level_multiplier = lsm_level_multiplier;
	o->l0_intra_ratio = lsm_l0_intra_ratio;
	*target_file_size = (uint64) lsm_target_file_size_kb * 1024;
	foreach(lc, defs)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "compaction_style") == 0)
			o->style = pg_strcasecmp(defGetString(def), "tiered") == 0 ?
				LSM_COMPACTION_TIERED : LSM_COMPACTION_LEVELED;
		else if (strcmp(def->defname, "l0_compaction_trigger") == 0)
			o->l0_trigger = (int) strtol(defGetString(def), NULL, 10);
		else if (strcmp(def->defname, "level_base_size") == 0)
			o->base_level_size = (uint64) strtoll(defGetString(def), NULL, 10) * 1024;
		else if (strcmp(def->defname, "level_multiplier") == 0)
			o->level_multiplier = strtod(defGetString(def), NULL);
		else if (strcmp(def->defname, "target_file_size") == 0)
			*target_file_size = (uint64) strtoll(defGetString(def), NULL, 10) * 1024;
	}
	/* tiered: the trigger is the number of similar SSTables merged */
	o->tier_min_threshold = o->l0_trigger;
}

/* Level-0 SSTables at which a relation is due for compaction (either style). */
int
lsm_rel_l0_trigger(Relation rel)
{
	lsm_compaction_options o;
	uint64		target;

	lsm_rel_compaction_options(rel, &o, &target);
	return o.style == LSM_COMPACTION_TIERED ? o.tier_min_threshold : o.l0_trigger;
}

/*
 * Apply a table's stored lsm options to SSTable options.
 */
void
lsm_reloptions_apply(Relation rel, lsm_sst_options *opts)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(RelationGetRelid(rel)));
	Datum		d;
	bool		isnull;
	List	   *defs;
	ListCell   *lc;

	if (!HeapTupleIsValid(tup))
		return;
	d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_reloptions, &isnull);
	if (isnull)
	{
		ReleaseSysCache(tup);
		return;
	}
	defs = untransformRelOptions(d);
	ReleaseSysCache(tup);
	foreach(lc, defs)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (!lsm_is_lsm_option(def))
			continue;
		if (strcmp(def->defname, "compression") == 0)
			opts->compression = pg_strcasecmp(defGetString(def), "none") == 0 ?
				LSM_COMPRESSION_NONE : LSM_COMPRESSION_ZSTD;
		else if (strcmp(def->defname, "compression_level") == 0)
			opts->zstd_level = (int) strtol(defGetString(def), NULL, 10);
		else if (strcmp(def->defname, "bloom_fp_rate") == 0)
			opts->bloom_fp_rate = strtod(defGetString(def), NULL);
		else if (strcmp(def->defname, "block_size") == 0)
			opts->block_size = (size_t) strtol(defGetString(def), NULL, 10);
	}
}

/*
 * SSTable options of a relation: the lsm_am.* GUCs, overridden by the
 * table's own options (extension/lsm_options.c).
 */
void
lsm_rel_sst_options(Relation rel, lsm_sst_options *opts)
{
	lsm_sst_options_default(opts);
	opts->cmp = *lsm_rel_comparator(rel);
	opts->block_size = lsm_block_size;
	opts->compression = lsm_compression_enabled ? LSM_COMPRESSION_ZSTD : LSM_COMPRESSION_NONE;
	opts->zstd_level = lsm_zstd_level;
	opts->bloom_fp_rate = lsm_bloom_fp_rate;
	lsm_reloptions_apply(rel, opts);
	if (lsm_rel_is_index(rel))
	{
		LsmIndexInfo *ii = lsm_index_info(rel);

		/* bloom keys are the key columns without the TID */
		opts->bloom_prefix = lsm_index_bloom_prefix;
		opts->bloom_prefix_arg = NULL;
		/* equal keys with different bytes would be missed: no filter */
		if (!ii->bloom_ok)
			opts->bloom_fp_rate = 0;
	}
}

/* Memtable size of rel in bytes: the index's option, else the GUC. */
Size
lsm_rel_memtable_limit(Relation rel)
{
	if (lsm_rel_is_index(rel) && rel->rd_options)
	{
		LsmIndexOptions *o = (LsmIndexOptions *) rel->rd_options;

		if (o->memtable_size > 0)
			return (Size) o->memtable_size * 1024;
	}
	return (Size) lsm_memtable_size_kb * 1024;
}
