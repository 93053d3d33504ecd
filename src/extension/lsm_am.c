/*-------------------------------------------------------------------------
 *
 * lsm_am.c
 *	  Module entry point: GUCs, shared memory requests, the WAL resource
 *	  manager and the background launcher are registered here, and the
 *	  check that the library was preloaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "core/lsm_picker.h"
#include "engine/lsm_compaction.h"
#include "engine/lsm_jobs.h"
#include "engine/lsm_manifest.h"
#include "engine/lsm_memtables.h"
#include "engine/lsm_redo.h"
#include "engine/lsm_relstate.h"
#include "engine/lsm_workers.h"
#include "engine/lsm_writebatch.h"
#include "engine/lsm_xact.h"
#include "extension/lsm_options.h"
#include "index/lsm_index.h"
#include "storage/lsm_relopts.h"
#include "table/lsm_tableam.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

static const struct config_enum_entry style_options[] = {
	{"leveled", LSM_COMPACTION_LEVELED, false},
	{"tiered", LSM_COMPACTION_TIERED, false},
	{"size_tiered", LSM_COMPACTION_TIERED, true},
	{NULL, 0, false}
};

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

static const struct config_enum_entry constraint_method_options[] = {
	{"btree", LSM_CONSTRAINT_INDEX_BTREE, false},
	{"lsm", LSM_CONSTRAINT_INDEX_LSM, false},
	{NULL, 0, false}
};

static void
lsm_shmem_request_hook(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	lsm_shmem_request();
}

static void
lsm_shmem_startup_hook(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	lsm_shmem_startup();
}

/*
 * Everything lsm_am needs lives in shared memory and the WAL resource
 * manager table, which can only be set up while the postmaster loads
 * shared_preload_libraries.  Loaded any other way (CREATE EXTENSION in a
 * server without the preload), we register nothing and every entry point
 * reports the missing preload instead of crashing.
 */
void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;

	DefineCustomIntVariable("lsm_am.memtable_size",
							"Size at which a memtable is frozen and flushed to an SSTable.",
							NULL,
							&lsm_memtable_size_kb,
							32 * 1024, 256, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.memtable_pool_size",
							"Shared memory reserved for all memtables of all lsm relations.",
							NULL,
							&lsm_memtable_pool_kb,
							256 * 1024, 4 * 1024, INT_MAX / 2,
							PGC_POSTMASTER, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.max_frozen_memtables",
							"Frozen memtables per relation before writers wait for a flush.",
							NULL,
							&lsm_max_frozen_memtables,
							2, 1, LSM_MAX_FROZEN,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.max_relations",
							"Maximum number of lsm relations with memtables in shared memory.",
							NULL,
							&lsm_max_relations,
							4096, 16, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.block_size",
							"Target uncompressed size of SSTable data blocks.",
							NULL,
							&lsm_block_size,
							4096, 512, 1024 * 1024,
							PGC_USERSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.zstd_level",
							"zstd compression level of SSTable blocks (default for tables without the compression_level option).",
							NULL,
							&lsm_zstd_level,
							3, 1, 19,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomRealVariable("lsm_am.bloom_fp_rate",
							 "Target false-positive rate of SSTable bloom filters (0 disables them).",
							 NULL,
							 &lsm_bloom_fp_rate,
							 0.01, 0.0, 0.5,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("lsm_am.compression",
							 "Compress SSTable blocks with zstd (default for tables without the compression option).",
							 NULL,
							 &lsm_compression_enabled,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("lsm_am.constraint_index_method",
							 "Index access method of PRIMARY KEY and UNIQUE constraints created by CREATE TABLE and ALTER TABLE: btree or lsm.",
							 NULL,
							 &lsm_constraint_index_method,
							 LSM_CONSTRAINT_INDEX_BTREE, constraint_method_options,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("lsm_am.compaction_style",
							 "Compaction style of lsm tables without the compaction_style option.",
							 NULL,
							 &lsm_default_style,
							 LSM_COMPACTION_LEVELED, style_options,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.l0_compaction_trigger",
							"Level-0 SSTables that start a compaction into level 1.",
							NULL,
							&lsm_l0_trigger,
							4, 2, 64,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.l0_slowdown_trigger",
							"Level-0 SSTables at which writers are slowed down.",
							NULL,
							&lsm_l0_slowdown_trigger,
							20, 2, 80,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.l0_stop_trigger",
							"Level-0 SSTables at which writers wait for compaction.",
							NULL,
							&lsm_l0_stop_trigger,
							36, 2, 80,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.level_base_size",
							"Target size of level 1; level n+1 targets level_multiplier times level n.",
							NULL,
							&lsm_level_base_size_kb,
							256 * 1024, 64, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomRealVariable("lsm_am.level_multiplier",
							 "Size ratio between consecutive levels.",
							 NULL,
							 &lsm_level_multiplier,
							 10.0, 2.0, 100.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("lsm_am.l0_intra_ratio",
							 "Merge overlapping level-0 SSTables within level 0 while the level-1 SSTables they overlap hold more than this many times their bytes.",
							 "0 sends level 0 into level 1 every time.",
							 &lsm_l0_intra_ratio,
							 4.0, 0.0, 100.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.target_file_size",
							"Size at which compaction starts a new output SSTable.",
							NULL,
							&lsm_target_file_size_kb,
							64 * 1024, 64, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.max_workers",
							"Background workers that flush and compact lsm relations.",
							NULL,
							&lsm_max_workers,
							2, 1, LSM_MAX_DB_WORKERS,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.compaction_rate_limit",
							"Bytes per second compaction may write (0: no limit).",
							NULL,
							&lsm_rate_limit_kb,
							0, 0, INT_MAX / 2,
							PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.compaction_history_size",
							"Completed flush and compaction jobs kept in lsm_am.compaction_history.",
							NULL,
							&lsm_history_size,
							1000, 0, INT_MAX,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.debug_compaction_pause",
							"Testing only: pause compactions this long after writing their output, before the manifest switch.",
							"Lets crash tests interrupt a compaction at its most delicate point.",
							&lsm_debug_compaction_pause_ms,
							0, 0, 3600 * 1000,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.debug_max_sstables",
							"Testing only: SSTables a relation's manifest may list (0: as many as its manifest pages hold).",
							"Lets tests reach the manifest's limit with few SSTables.",
							&lsm_debug_max_sstables,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.write_batch_size",
							"Entries of a non-unique lsm index a transaction holds back and writes together.",
							"Held entries are written before the backend reads the index, before commit, and when this many are held; 0 writes each at once.",
							&lsm_write_batch_size,
							1000, 0, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("lsm_am.write_batch_rows",
							 "Hold back new rows of lsm tables without unique indexes in the write batch too.",
							 "Their row ids are reserved in ranges and published as pending until the rows are written; off writes every new row at once.",
							 &lsm_write_batch_rows,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("lsm_am.bulk_write_size",
							"Size of a bulk load's write batch per relation, written as a level-0 SSTable of its own.",
							"A transaction that has filled a relation's write batch 8 times holds back up to this much (entries and their bookkeeping) and writes it as an SSTable, skipping the memtable and its log; 0 writes every batch into the memtable.",
							&lsm_bulk_write_size_kb,
							32 * 1024, 0, 256 * 1024,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("lsm_am");

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = lsm_shmem_request_hook;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = lsm_shmem_startup_hook;

	lsm_rmgr_register();
	lsm_worker_register_launcher();
	lsm_xact_init();
	lsm_batch_init();
	lsm_tableam_init();
	lsm_options_init();
	lsm_index_init();

	lsm_loaded_at_startup = true;
}

PG_FUNCTION_INFO_V1(lsm_am_check_preload);
Datum
lsm_am_check_preload(PG_FUNCTION_ARGS)
{
	lsm_check_preloaded();
	PG_RETURN_VOID();
}
