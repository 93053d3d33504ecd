/*-------------------------------------------------------------------------
 *
 * lsm_picker.h
 *	  Compaction picking: which SSTables to merge next, into which level.
 *
 * Leveled (the default, as RocksDB's): level 0 holds flushed SSTables whose
 * key ranges overlap; levels 1..num_levels-1 each hold SSTables with
 * disjoint key ranges, level L targeting base_level_size *
 * level_multiplier^(L-1) bytes.  Scores: L0 = files / l0_trigger; Ln =
 * bytes / target(Ln).  The highest score >= 1 is compacted; L0 wins ties.
 * An L0 compaction takes every L0 SSTable plus the L1 SSTables overlapping
 * their union, except that an automatic pick over level 0 made of two or
 * more groups of mutually overlapping SSTables (groups whose key ranges
 * no other L0 SSTable touches) takes the oldest group that needs a
 * rewrite (two or more SSTables, or L1 SSTables under it) alone, with
 * those L1 SSTables, or, none needing one, moves all of L0 down; an Ln
 * compaction (n >= 1) takes one Ln SSTable (round robin
 * by key: the first whose smallest key is > the level's compact_pointer,
 * wrapping) plus the L(n+1) SSTables overlapping it.  With nothing
 * overlapping in the output level and one input, or L0 inputs that are
 * pairwise disjoint, the pick is a trivial move: the SSTables change level
 * without being rewritten.
 *
 * Intra-L0 (leveled, automatic picks): when the L0 SSTables overlap each
 * other and the L1 SSTables they overlap hold more than l0_intra_ratio
 * times their bytes, merging them into L1 would rewrite mostly L1; while
 * L0's bytes times l0_intra_ratio stay under base_level_size they are
 * merged into one L0 SSTable instead (from and to level 0), and go into
 * L1 once they have grown.  Each L0 -> L1 compaction then brings at least
 * 1/l0_intra_ratio of L1's bytes (write amplification into L1 at most
 * about 1 + l0_intra_ratio, plus the L0 rewrites), and the L0 file count
 * falls back below the trigger without waiting for L1.
 *
 * Size-tiered (per table, as Cassandra's STCS): every SSTable stays in
 * level 0.  SSTables are bucketed by size: sorted by size, an SSTable
 * joins the current bucket if its size is within [avg*tier_bucket_low,
 * avg*tier_bucket_high] of the bucket's average (SSTables under
 * tier_min_size all share one bucket).  The bucket with at least
 * tier_min_threshold SSTables and the smallest average size is compacted
 * (at most tier_max_threshold of its SSTables, smallest first); score =
 * largest bucket count / tier_min_threshold.
 *
 * bottommost: no SSTable outside the inputs could hold an older version of
 * a key in the inputs' key range -- leveled: none in a level below the
 * output level overlaps that range; tiered: none outside the inputs
 * overlaps it with min_seq < the inputs' max_seq.  Compaction may then
 * drop delete tombstones whose deletes are visible to everyone.
 *
 * Pure computation: no I/O, no allocation except the caller's allocator
 * for the pick's input array.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_PICKER_H
#define LSM_PICKER_H

#include "lsm_core.h"

#define LSM_MAX_LEVELS 8

typedef enum lsm_compaction_style
{
	LSM_COMPACTION_LEVELED = 0,
	LSM_COMPACTION_TIERED = 1
} lsm_compaction_style;

typedef struct lsm_compaction_options
{
	lsm_compaction_style style;
	int			num_levels;		/* 2..LSM_MAX_LEVELS (default 7) */
	int			l0_trigger;		/* L0 files that make L0's score 1 (4) */
	uint64_t	base_level_size;	/* target bytes of L1 (256 MiB) */
	double		level_multiplier;	/* (10) */
	double		l0_intra_ratio; /* (4; 0: never merge within L0) */
	int			tier_min_threshold; /* (4) */
	int			tier_max_threshold; /* (32) */
	double		tier_bucket_low;	/* (0.5) */
	double		tier_bucket_high;	/* (1.5) */
	uint64_t	tier_min_size;	/* (8 MiB) */
} lsm_compaction_options;

extern void lsm_compaction_options_default(lsm_compaction_options *o);

/* What the picker needs to know of one SSTable.  Keys are user keys. */
typedef struct lsm_sst_desc
{
	int			level;
	uint64_t	size;			/* bytes on disk */
	uint64_t	entries;
	uint64_t	tombstones;
	uint64_t	min_seq;
	uint64_t	max_seq;
	const char *smallest;
	size_t		smallest_len;
	const char *largest;
	size_t		largest_len;
	bool		being_compacted;	/* never pick it */
} lsm_sst_desc;

typedef struct lsm_compaction_pick
{
	int			nin;
	int		   *in;				/* indexes into the desc array, allocated
								 * with the allocator given to the picker */
	int			from_level;
	int			to_level;
	bool		trivial_move;
	bool		bottommost;
	double		score;
	char		reason[96];		/* e.g. "L0 has 5 files, trigger 4" */
} lsm_compaction_pick;

/*
 * Per-level statistics of the current shape: files, bytes and score of
 * each level 0..num_levels-1 (arrays of LSM_MAX_LEVELS).
 */
extern void lsm_compaction_level_stats(const lsm_compaction_options *o,
									   const lsm_sst_desc *ssts, int n,
									   int *files, uint64_t *bytes,
									   double *scores);

/* Target bytes of level L (0 for L0 and for tiered). */
extern uint64_t lsm_compaction_level_target(const lsm_compaction_options *o, int level);

/*
 * Pick the most urgent compaction.  compact_pointer[L] (user keys, may be
 * NULL entries / zero length) is the round-robin position of level L;
 * the caller advances it after a pick from level L >= 1 to the largest
 * key of out->in[0] (the picked source-level SSTable).  Returns false (and
 * out->nin = 0) when no score reaches 1.
 */
extern bool lsm_compaction_pick_auto(const lsm_compaction_options *o,
									 const lsm_comparator *cmp,
									 const lsm_sst_desc *ssts, int n,
									 const char *const *compact_pointer,
									 const size_t *compact_pointer_len,
									 const lsm_allocator *alloc,
									 lsm_compaction_pick *out);

/*
 * A manual compaction of one level (level >= 0): leveled -> every SSTable
 * of that level plus the overlapping ones of the next level, into the next
 * level (the last level compacts into itself); tiered -> every SSTable.
 * level = -1: everything into one sorted run in the last non-empty level
 * (leveled) or level 0 (tiered), bottommost.  False if there is nothing to
 * do (no SSTables, or a single SSTable already in place).
 */
extern bool lsm_compaction_pick_manual(const lsm_compaction_options *o,
									   const lsm_comparator *cmp,
									   const lsm_sst_desc *ssts, int n,
									   int level,
									   const lsm_allocator *alloc,
									   lsm_compaction_pick *out);

extern void lsm_compaction_pick_free(const lsm_allocator *alloc,
									 lsm_compaction_pick *pick);

#endif							/* LSM_PICKER_H */
