/*-------------------------------------------------------------------------
 *
 * lsm_relopts.h
 *	  The options of an lsm relation as its SSTable writer, compaction and
 *	  memtables use them: GUC defaults overridden by the relation's own
 *	  options.  Reading only; validation is extension/lsm_options.c's
 *	  (tables) and index/lsm_indexam.c's (indexes).
 *
 * REQUIRES: a transaction (the readers look up pg_class).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_RELOPTS_H
#define LSM_RELOPTS_H

#include "postgres.h"

#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"

#include "core/lsm_picker.h"
#include "core/lsm_sstable.h"

/* GUC defaults (registered by extension/lsm_am.c) */
extern int	lsm_memtable_size_kb;		/* freeze a memtable at this size */
extern int	lsm_block_size;				/* SSTable data block target size */
extern int	lsm_zstd_level;
extern double lsm_bloom_fp_rate;
extern bool lsm_compression_enabled;
extern int	lsm_default_style;
extern int	lsm_l0_trigger;
extern int	lsm_level_base_size_kb;
extern double lsm_level_multiplier;
extern double lsm_l0_intra_ratio;
extern int	lsm_target_file_size_kb;

/* A table's options (stored in pg_class.reloptions by the utility hook). */
extern const char *const lsm_option_names[];
extern bool lsm_is_lsm_option(const DefElem *def);
extern List *lsm_stored_options(Oid relid);

/* An lsm index's parsed reloptions (rd_options). */
typedef struct LsmIndexOptions
{
	int32		vl_len_;
	double		bloom_fp_rate;	/* -1: lsm_am.bloom_fp_rate */
	int			compression;	/* string offsets */
	int			compression_level;
	int			block_size;
	int			memtable_size;	/* kB; -1: lsm_am.memtable_size */
	int			compaction_style;
	int			l0_compaction_trigger;
	int			level_base_size;
	double		level_multiplier;
	int			target_file_size;
} LsmIndexOptions;

extern void lsm_rel_sst_options(Relation rel, lsm_sst_options *opts);
extern void lsm_reloptions_apply(Relation rel, lsm_sst_options *opts);
extern void lsm_rel_compaction_options(Relation rel, lsm_compaction_options *o,
									   uint64 *target_file_size);
extern Size lsm_rel_memtable_limit(Relation rel);
extern int	lsm_rel_l0_trigger(Relation rel);

#endif							/* LSM_RELOPTS_H */
