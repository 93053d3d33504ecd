/*-------------------------------------------------------------------------
 *
 * lsm_manifest.h
 *	  The manifest: the set of SSTables of a relation, kept in manifest
 *	  pages that its metapage lists, changed by one WAL-logged switch per
 *	  flush or compaction; the view pins that keep a replaced SSTable's
 *	  blocks from reuse while readers may read it; block reservation for
 *	  new SSTables.
 *
 * REQUIRES: lsm_manifest_apply and lsm_manifest_reserve take the state's
 * lock and the metapage's content lock themselves (state lock first);
 * callers hold neither.  lsm_manifest_pin_view with the state's lock held
 * (shared is enough), in the same hold as the manifest copy it pins;
 * lsm_manifest_unpin_view needs no lock.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_MANIFEST_H
#define LSM_MANIFEST_H

#include "postgres.h"

#include "utils/rel.h"

#include "engine/lsm_relstate.h"
#include "storage/lsm_pages.h"

extern int	lsm_debug_max_sstables;		/* 0: LSM_META_MAX_SSTS */


typedef struct LsmManifestEdit
{
	uint64		flushed_gen;	/* memtable generation flushed, or 0 */
	int			nremove;
	BlockNumber *remove;		/* SSTables leaving, by start block */
	int			nmove;
	BlockNumber *move;			/* SSTables moving to move_level */
	int			move_level;
	int			nadd;
	LsmSstEntry *add;			/* SSTables entering */
	int			from_level;
	int			to_level;
} LsmManifestEdit;

extern BlockNumber lsm_manifest_reserve(Relation rel, LsmRelState *st, uint32 nblocks);
extern BlockNumber lsm_manifest_reserve_below(Relation rel, LsmRelState *st, uint32 nblocks,
											  BlockNumber limit);
extern void lsm_manifest_log_next_seq(Relation rel, LsmRelState *st, uint32 count);
extern void lsm_manifest_apply(Relation rel, LsmRelState *st, const LsmManifestEdit *edit);
extern void lsm_manifest_sweep(Relation rel, LsmRelState *st,
							   const BlockNumber *logpages, int nlogpages);
extern void lsm_manifest_init_pins(LsmRelState *st, const LsmMetaData *meta);
extern BlockNumber lsm_manifest_take_free_tail(Relation rel, LsmRelState *st);
extern int	lsm_manifest_pins_free(LsmRelState *st);
extern int	lsm_manifest_max_ssts(void);
extern int	lsm_manifest_pin_view(LsmRelState *st);
/* true: that was the pin's last view and zombies wait (lsm_manifest_reclaim) */
extern bool lsm_manifest_unpin_view(LsmRelState *st, int pin, uint64 incarnation);
extern bool lsm_manifest_reclaim(Relation rel, LsmRelState *st);

#endif							/* LSM_MANIFEST_H */
