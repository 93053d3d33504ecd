/*-------------------------------------------------------------------------
 *
 * lsm_picker.c
 *	  Compaction picking for leveled and size-tiered tables (the policy is
 *	  stated in lsm_picker.h).
 *
 * Everything here is a pure function of the SSTable descriptions.  The
 * caller (the compaction worker) keeps the set stable while it picks,
 * marks the picked SSTables being_compacted, and after a leveled pick of
 * level n >= 1 sets compact_pointer[n] to the largest key of the Ln input,
 * so that the next pick of that level starts after it.
 *
 * No scratch memory is used: orders (SSTables by smallest key within a
 * level, by size for tiering) are walked with successor scans instead of
 * sorted copies.  The level counts involved are small (a leveled pick
 * normally succeeds on the first candidate; a tiered table holds a few
 * dozen SSTables), and this keeps the only allocation the pick's input
 * array, sized exactly once the inputs are known.
 *
 * Policy details the header leaves open, as implemented here:
 *	- files, bytes and scores count every SSTable, being_compacted or not
 *	  (an SSTable is part of the shape until its compaction commits);
 *	  picks skip whatever cannot be taken and fall through to the next
 *	  level by score.  The one exception is a tiered pick, whose buckets
 *	  (and so its score) leave being_compacted SSTables out.
 *	- A leveled L0 pick needs every L0 SSTable, or (automatic picks) a
 *	  whole level-0 group, so one being_compacted L0 SSTable blocks L0;
 *	  any pick is skipped if one of the output-level SSTables it must take
 *	  is being_compacted.
 *	- The last level is never picked automatically (there is no level
 *	  below it); its score is still reported.
 *	- Several L0 SSTables are moved together when they are pairwise
 *	  disjoint and nothing in L1 overlaps them (a table keyed by growing
 *	  row ids), else merged: into L1, or within L0 by the intra-L0 rule,
 *	  which applies only to automatic picks of L0 SSTables that overlap
 *	  each other (disjoint ones go down unrewritten or are cheap to merge).
 *	- Tiered tables ignore levels: every SSTable is a candidate and picks
 *	  go from level 0 to level 0.
 *	- Manual picks are never trivial moves (a manual compaction is asked
 *	  for to rewrite, e.g. to drop tombstones), have score 0, and return
 *	  false with reason "... being compacted" when an SSTable they need is
 *	  taken by another compaction.
 *	- SSTable levels outside 0..num_levels-1 count as the nearest valid
 *	  level.
 *
 * Input order in a pick: from_level SSTables, then to_level SSTables,
 * each group in the order of the desc array (tiered: smallest first).
 *
 *-------------------------------------------------------------------------
 */
#include "lsm_picker.h"

#include <stdio.h>
#include <string.h>

#define MiB ((uint64_t) 1024 * 1024)

/* An inclusive user-key range; empty until the first extend. */
typedef struct key_range
{
	bool		empty;
	const char *lo;
	size_t		lolen;
	const char *hi;
	size_t		hilen;
} key_range;

/* Chosen bucket of a tiered pass. */
typedef struct tier_choice
{
	int			largest;		/* SSTables in the largest bucket */
	int			start;			/* rank of its first SSTable; -1: none */
	int			count;
	uint64_t	sum;
} tier_choice;

/*
 * The defaults, as RocksDB's and Cassandra's: a caller sets what a table's
 * options override on top of these.
 */
void
lsm_compaction_options_default(lsm_compaction_options *o)
{
	memset(o, 0, sizeof(*o));
	o->style = LSM_COMPACTION_LEVELED;
	o->num_levels = 7;
	o->l0_trigger = 4;
	o->base_level_size = 256 * MiB;
	o->level_multiplier = 10.0;
	o->l0_intra_ratio = 4.0;
	o->tier_min_threshold = 4;
	o->tier_max_threshold = 32;
	o->tier_bucket_low = 0.5;
	o->tier_bucket_high = 1.5;
	o->tier_min_size = 8 * MiB;
}

/*
 * Copy of the options with out-of-range values brought into range, so that
 * a bad setting degrades the policy instead of dividing by zero or picking
 * forever (a tier bucket of one SSTable would be recompacted endlessly).
 */
static lsm_compaction_options
sanitize(const lsm_compaction_options *in)
{
	lsm_compaction_options o = *in;

	if (o.num_levels < 2)
		o.num_levels = 2;
	if (o.num_levels > LSM_MAX_LEVELS)
		o.num_levels = LSM_MAX_LEVELS;
	if (o.l0_trigger < 1)
		o.l0_trigger = 1;
	if (!(o.level_multiplier >= 1.0))
		o.level_multiplier = 1.0;
	if (!(o.l0_intra_ratio >= 0.0))
		o.l0_intra_ratio = 0.0;
	if (o.tier_min_threshold < 2)
		o.tier_min_threshold = 2;
	if (o.tier_max_threshold < o.tier_min_threshold)
		o.tier_max_threshold = o.tier_min_threshold;
	if (!(o.tier_bucket_low >= 0.0))
		o.tier_bucket_low = 0.0;
	if (o.tier_bucket_low > 1.0)
		o.tier_bucket_low = 1.0;
	if (!(o.tier_bucket_high >= 1.0))
		o.tier_bucket_high = 1.0;
	return o;
}

/* The level an SSTable counts in: the nearest valid one (see banner). */
static int
eff_level(const lsm_compaction_options *o, const lsm_sst_desc *s)
{
	if (s->level < 0)
		return 0;
	if (s->level >= o->num_levels)
		return o->num_levels - 1;
	return s->level;
}

/* User-key comparison through the relation's comparator. */
static int
ucmp(const lsm_comparator *cmp, const char *a, size_t alen,
	 const char *b, size_t blen)
{
	return cmp->compare(cmp->arg, a, alen, b, blen);
}

/* Two ranges overlap unless one ends before the other starts. */
static bool
range_overlaps(const lsm_comparator *cmp, const key_range *r,
			   const lsm_sst_desc *s)
{
	if (r->empty)
		return false;
	return !(ucmp(cmp, r->hi, r->hilen, s->smallest, s->smallest_len) < 0 ||
			 ucmp(cmp, s->largest, s->largest_len, r->lo, r->lolen) < 0);
}

/*
 * Widen r to cover s; returns true if r grew (the fixed-point loop of
 * expand_level stops when nothing grows).
 */
static bool
range_extend(const lsm_comparator *cmp, key_range *r, const lsm_sst_desc *s)
{
	bool		grew = false;

	if (r->empty)
	{
		r->empty = false;
		r->lo = s->smallest;
		r->lolen = s->smallest_len;
		r->hi = s->largest;
		r->hilen = s->largest_len;
		return true;
	}
	if (ucmp(cmp, s->smallest, s->smallest_len, r->lo, r->lolen) < 0)
	{
		r->lo = s->smallest;
		r->lolen = s->smallest_len;
		grew = true;
	}
	if (ucmp(cmp, s->largest, s->largest_len, r->hi, r->hilen) > 0)
	{
		r->hi = s->largest;
		r->hilen = s->largest_len;
		grew = true;
	}
	return grew;
}

/*
 * Grow r until it covers every SSTable of `level` that overlaps it.  Under
 * the leveled invariant (disjoint levels >= 1) one pass adds nothing new,
 * but iterating to the fixed point keeps the output placeable even if a
 * level ever held overlapping SSTables.  Returns false if one of the
 * SSTables to take is being compacted.
 */
static bool
expand_level(const lsm_compaction_options *o, const lsm_comparator *cmp,
			 const lsm_sst_desc *ssts, int n, int level, key_range *r)
{
	bool		grew;
	int			i;

	do
	{
		grew = false;
		for (i = 0; i < n; i++)
			if (eff_level(o, &ssts[i]) == level &&
				range_overlaps(cmp, r, &ssts[i]) &&
				range_extend(cmp, r, &ssts[i]))
				grew = true;
	} while (grew);

	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) == level && ssts[i].being_compacted &&
			range_overlaps(cmp, r, &ssts[i]))
			return false;
	return true;
}

/*
 * Leveled bottommost rule: nothing below the output level overlaps the
 * range, so no older version of its keys exists anywhere else.
 */
static bool
leveled_bottommost(const lsm_compaction_options *o, const lsm_comparator *cmp,
				   const lsm_sst_desc *ssts, int n, int to_level,
				   const key_range *r)
{
	int			i;

	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) > to_level && range_overlaps(cmp, r, &ssts[i]))
			return false;
	return true;
}

/*
 * Tiered bottommost rule: no SSTable outside the inputs overlaps their
 * range with data older than the inputs' newest entry.
 */
static bool
tiered_bottommost(const lsm_comparator *cmp, const lsm_sst_desc *ssts, int n,
				  const int *in, int nin)
{
	key_range	r = {true, NULL, 0, NULL, 0};
	uint64_t	max_seq = 0;
	int			i,
				j;

	for (j = 0; j < nin; j++)
	{
		range_extend(cmp, &r, &ssts[in[j]]);
		if (ssts[in[j]].max_seq > max_seq)
			max_seq = ssts[in[j]].max_seq;
	}
	for (i = 0; i < n; i++)
	{
		bool		input = false;

		for (j = 0; j < nin && !input; j++)
			input = (in[j] == i);
		if (!input && ssts[i].min_seq < max_seq && range_overlaps(cmp, &r, &ssts[i]))
			return false;
	}
	return true;
}

/* "700 MiB", "1.5 GiB", "12 KiB", "100 B" for reasons. */
static void
format_bytes(char *dst, size_t len, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int			u = 0;

	while (bytes >= 1024.0 && u < 5)
	{
		bytes /= 1024.0;
		u++;
	}
	if (u == 0 || bytes >= 100.0 || bytes == (double) (uint64_t) bytes)
		snprintf(dst, len, "%.0f %s", bytes, units[u]);
	else
		snprintf(dst, len, "%.1f %s", bytes, units[u]);
}

/*
 * Target bytes of a level: base_level_size * multiplier^(L-1), computed in
 * double and clamped, as deep levels of a large multiplier overflow.
 */
uint64_t
lsm_compaction_level_target(const lsm_compaction_options *oin, int level)
{
	lsm_compaction_options o = sanitize(oin);
	double		t;
	int			i;

	if (o.style == LSM_COMPACTION_TIERED || level <= 0)
		return 0;
	t = (double) o.base_level_size;
	for (i = 1; i < level; i++)
		t *= o.level_multiplier;
	if (t >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t) t;
}

/* Score of a level of bytes against its target (a zero target: any byte is urgent). */
static double
bytes_score(uint64_t bytes, uint64_t target)
{
	if (target == 0)
		return (double) bytes;
	return (double) bytes / (double) target;
}

/* True if SSTable a comes before b in the (size, index) order of tiering. */
static bool
size_before(const lsm_sst_desc *ssts, int a, int b)
{
	return ssts[a].size < ssts[b].size ||
		(ssts[a].size == ssts[b].size && a < b);
}

/*
 * The SSTable after prev (-1: the first) in (size, index) order, or -1.
 * A successor scan rather than a sort: see the banner.
 */
static int
size_next(const lsm_sst_desc *ssts, int n, int prev, bool skip_busy)
{
	int			best = -1;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (skip_busy && ssts[i].being_compacted)
			continue;
		if (prev >= 0 && !size_before(ssts, prev, i))
			continue;
		if (best < 0 || size_before(ssts, i, best))
			best = i;
	}
	return best;
}

/*
 * Size-tiered bucketing.  Walking SSTables smallest first, each joins the
 * current bucket when within [avg*low, avg*high] of its average; those
 * under tier_min_size form one bucket regardless (they come first), so
 * that many tiny flushes get merged even when their sizes differ by more
 * than the bucket ratio.  Buckets are thus runs of consecutive ranks.
 * Reports the largest bucket and the eligible one (>= min_threshold) with
 * the smallest average: merging small SSTables is cheapest and cuts the
 * SSTable count most per byte written.
 */
static void
tier_buckets(const lsm_compaction_options *o, const lsm_sst_desc *ssts, int n,
			 bool skip_busy, tier_choice *c)
{
	int			rank = 0,
				start = 0,
				count = 0;
	uint64_t	sum = 0;
	bool		small = false;
	int			i = size_next(ssts, n, -1, skip_busy);

	c->largest = 0;
	c->start = -1;
	c->count = 0;
	c->sum = 0;
	for (;;)
	{
		bool		joins = false;

		if (i >= 0 && count > 0)
		{
			uint64_t	sz = ssts[i].size;

			if (small)
				joins = sz < o->tier_min_size;
			else
			{
				double		avg = (double) sum / count;

				joins = (double) sz >= avg * o->tier_bucket_low &&
					(double) sz <= avg * o->tier_bucket_high;
			}
		}
		if (!joins && count > 0)
		{
			/* close the bucket [start, start + count) */
			if (count > c->largest)
				c->largest = count;
			if (count >= o->tier_min_threshold &&
				(c->start < 0 ||
				 (double) sum / count < (double) c->sum / c->count))
			{
				c->start = start;
				c->count = count;
				c->sum = sum;
			}
		}
		if (i < 0)
			break;
		if (!joins)
		{
			start = rank;
			count = 0;
			sum = 0;
			small = ssts[i].size < o->tier_min_size;
		}
		count++;
		sum += ssts[i].size;
		rank++;
		i = size_next(ssts, n, i, skip_busy);
	}
}

/*
 * The shape of the table for the stats view, and the scores that drive
 * pick_auto (which calls this, so the two never disagree on leveled
 * scores).
 */
void
lsm_compaction_level_stats(const lsm_compaction_options *oin,
						   const lsm_sst_desc *ssts, int n,
						   int *files, uint64_t *bytes, double *scores)
{
	lsm_compaction_options o = sanitize(oin);
	int			i;

	for (i = 0; i < LSM_MAX_LEVELS; i++)
	{
		files[i] = 0;
		bytes[i] = 0;
		scores[i] = 0.0;
	}
	for (i = 0; i < n; i++)
	{
		int			l = eff_level(&o, &ssts[i]);

		files[l]++;
		bytes[l] += ssts[i].size;
	}
	if (o.style == LSM_COMPACTION_TIERED)
	{
		tier_choice c;

		tier_buckets(&o, ssts, n, false, &c);
		scores[0] = (double) c.largest / o.tier_min_threshold;
		return;
	}
	scores[0] = (double) files[0] / o.l0_trigger;
	for (i = 1; i < o.num_levels; i++)
		scores[i] = bytes_score(bytes[i], lsm_compaction_level_target(&o, i));
}

/* An empty pick, so that every false return leaves nothing to free. */
static void
pick_init(lsm_compaction_pick *out)
{
	memset(out, 0, sizeof(*out));
	out->in = NULL;
}

/* The allocator to use: the caller's, or malloc when given none. */
static const lsm_allocator *
allocator(const lsm_allocator *alloc)
{
	return alloc ? alloc : &lsm_malloc_allocator;
}

/*
 * Allocate the input array for nin entries.  On failure the pick stays
 * empty with reason "out of memory" (a palloc allocator ereports instead).
 */
static bool
pick_alloc(const lsm_allocator *alloc, lsm_compaction_pick *out, int nin)
{
	out->in = allocator(alloc)->alloc(allocator(alloc)->ctx, sizeof(int) * (size_t) nin);
	if (out->in == NULL)
	{
		out->nin = 0;
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return false;
	}
	out->nin = 0;
	return true;
}

/* Are the from-level SSTables of a pick (single < 0: all of them) pairwise disjoint? */
static bool
from_disjoint(const lsm_compaction_options *o, const lsm_comparator *cmp,
			  const lsm_sst_desc *ssts, int n, int from, int single)
{
	int			i,
				j;

	if (single >= 0)
		return true;
	for (i = 0; i < n; i++)
	{
		if (eff_level(o, &ssts[i]) != from)
			continue;
		for (j = i + 1; j < n; j++)
		{
			if (eff_level(o, &ssts[j]) != from)
				continue;
			if (!(ucmp(cmp, ssts[i].largest, ssts[i].largest_len,
					   ssts[j].smallest, ssts[j].smallest_len) < 0 ||
				  ucmp(cmp, ssts[j].largest, ssts[j].largest_len,
					   ssts[i].smallest, ssts[i].smallest_len) < 0))
				return false;
		}
	}
	return true;
}

/*
 * Fill a leveled pick: the chosen from-level SSTables (all of L0 when
 * single is -1, else the one SSTable `single`) plus every to_level SSTable
 * overlapping r, which expand_level already grew to its fixed point.
 * take_from_level false means from_level == to_level (last level into
 * itself) and the to_level pass takes them.
 */
static bool
leveled_fill(const lsm_compaction_options *o, const lsm_comparator *cmp,
			 const lsm_sst_desc *ssts, int n, int from, int single, int to,
			 const key_range *r, const lsm_allocator *alloc,
			 lsm_compaction_pick *out)
{
	int			nfrom = 0,
				nto = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		int			l = eff_level(o, &ssts[i]);

		if (from != to && l == from && (single < 0 || i == single))
			nfrom++;
		else if (l == to && range_overlaps(cmp, r, &ssts[i]))
			nto++;
	}
	if (nfrom + nto == 0)
		return false;
	if (!pick_alloc(alloc, out, nfrom + nto))
		return false;
	for (i = 0; i < n; i++)
		if (from != to && eff_level(o, &ssts[i]) == from && (single < 0 || i == single))
			out->in[out->nin++] = i;
	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) == to && range_overlaps(cmp, r, &ssts[i]))
			out->in[out->nin++] = i;
	out->from_level = from;
	out->to_level = to;
	out->trivial_move = (nfrom >= 1 && nto == 0 && from != to &&
						 (nfrom == 1 || from_disjoint(o, cmp, ssts, n, from, single)));
	out->bottommost = leveled_bottommost(o, cmp, ssts, n, to, r);
	return true;
}

/*
 * The intra-L0 rule (lsm_picker.h): L0's SSTables overlap each other, the
 * L1 SSTables overlapping r (their union, expanded) hold more than
 * l0_intra_ratio times L0's bytes, and L0's bytes times the ratio are
 * under base_level_size.
 */
static bool
l0_merge_within(const lsm_compaction_options *o, const lsm_comparator *cmp,
				const lsm_sst_desc *ssts, int n, const key_range *r)
{
	uint64_t	l0 = 0,
				l1 = 0;
	int			nl0 = 0;
	int			i;

	if (!(o->l0_intra_ratio > 0.0))
		return false;
	for (i = 0; i < n; i++)
	{
		int			l = eff_level(o, &ssts[i]);

		if (l == 0)
		{
			l0 += ssts[i].size;
			nl0++;
		}
		else if (l == 1 && range_overlaps(cmp, r, &ssts[i]))
			l1 += ssts[i].size;
	}
	if (nl0 < 2 || from_disjoint(o, cmp, ssts, n, 0, -1))
		return false;
	return (double) l1 > o->l0_intra_ratio * (double) l0 &&
		o->l0_intra_ratio * (double) l0 < (double) o->base_level_size;
}

/* Every L0 SSTable into one L0 SSTable. */
static bool
intra_l0_fill(const lsm_compaction_options *o, const lsm_sst_desc *ssts,
			  int n, const lsm_allocator *alloc, lsm_compaction_pick *out)
{
	int			nl0 = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) == 0)
			nl0++;
	if (!pick_alloc(alloc, out, nl0))
		return false;
	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) == 0)
			out->in[out->nin++] = i;
	out->from_level = 0;
	out->to_level = 0;
	out->trivial_move = false;
	out->bottommost = false;	/* L1 overlaps them (the rule) */
	return true;
}

/*
 * Level-0 groups (automatic picks): level 0 splits into groups of
 * SSTables whose key ranges overlap, each the fixed point of expand_level
 * on level 0 from one of its SSTables.  No other L0 SSTable touches a
 * group's range, so the group holds the only L0 versions of its keys and
 * can go into L1 alone: for every key, L0's versions stay newer than
 * L1's.  With two or more groups, the group that needs a rewrite (two or
 * more SSTables, or L1 SSTables overlapping it) whose oldest SSTable
 * (smallest max_seq) is oldest is picked alone, with the L1 SSTables
 * overlapping it: one overlap between two of a table's flushes then
 * rewrites those two, not all of level 0.  With no group needing a
 * rewrite, every L0 SSTable moves down (a trivial move).  Returns false
 * (out untouched) when there is a single group, or a group's L1 SSTables
 * are being compacted; the caller then takes every L0 SSTable.
 */
static bool
pick_l0_group(const lsm_compaction_options *o, const lsm_comparator *cmp,
			  const lsm_sst_desc *ssts, int n, const lsm_allocator *alloc,
			  lsm_compaction_pick *out)
{
	key_range	best0 = {true, NULL, 0, NULL, 0};
	key_range	best1 = {true, NULL, 0, NULL, 0};
	uint64_t	best_oldest = 0;
	int			groups = 0;
	bool		blocked = false;
	int			nfrom = 0,
				nto = 0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		key_range	r0 = {true, NULL, 0, NULL, 0};
		key_range	r1;
		bool		first = true;
		bool		l1 = false;
		int			members = 0;
		uint64_t	oldest = UINT64_MAX;

		if (eff_level(o, &ssts[i]) != 0)
			continue;
		range_extend(cmp, &r0, &ssts[i]);
		(void) expand_level(o, cmp, ssts, n, 0, &r0);
		for (j = 0; j < n; j++)
		{
			if (eff_level(o, &ssts[j]) != 0 || !range_overlaps(cmp, &r0, &ssts[j]))
				continue;
			if (j < i)
				first = false;	/* counted with its first SSTable */
			members++;
			if (ssts[j].max_seq < oldest)
				oldest = ssts[j].max_seq;
		}
		if (!first)
			continue;
		groups++;
		r1 = r0;
		if (!expand_level(o, cmp, ssts, n, 1, &r1))
		{
			blocked = true;		/* an L1 SSTable it needs is taken */
			continue;
		}
		for (j = 0; j < n; j++)
			if (eff_level(o, &ssts[j]) == 1 && range_overlaps(cmp, &r1, &ssts[j]))
				l1 = true;
		if ((members >= 2 || l1) && (best0.empty || oldest < best_oldest))
		{
			best0 = r0;
			best1 = r1;
			best_oldest = oldest;
		}
	}
	if (groups < 2 || blocked)
		return false;
	if (best0.empty)
	{
		/*
		 * Every L0 SSTable alone, none overlapping L1: all move down,
		 * even when their union covers an L1 SSTable in a gap between
		 * them (L1 stays disjoint).
		 */
		for (i = 0; i < n; i++)
			if (eff_level(o, &ssts[i]) == 0)
				nfrom++;
		if (!pick_alloc(alloc, out, nfrom))
			return false;
		for (i = 0; i < n; i++)
			if (eff_level(o, &ssts[i]) == 0)
				out->in[out->nin++] = i;
		out->from_level = 0;
		out->to_level = 1;
		out->trivial_move = true;
		{
			key_range	r = {true, NULL, 0, NULL, 0};

			for (i = 0; i < n; i++)
				if (eff_level(o, &ssts[i]) == 0)
					range_extend(cmp, &r, &ssts[i]);
			out->bottommost = leveled_bottommost(o, cmp, ssts, n, 1, &r);
		}
		return true;
	}
	for (i = 0; i < n; i++)
	{
		int			l = eff_level(o, &ssts[i]);

		if (l == 0 && range_overlaps(cmp, &best0, &ssts[i]))
			nfrom++;
		else if (l == 1 && range_overlaps(cmp, &best1, &ssts[i]))
			nto++;
	}
	if (!pick_alloc(alloc, out, nfrom + nto))
		return false;
	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) == 0 && range_overlaps(cmp, &best0, &ssts[i]))
			out->in[out->nin++] = i;
	for (i = 0; i < n; i++)
		if (eff_level(o, &ssts[i]) == 1 && range_overlaps(cmp, &best1, &ssts[i]))
			out->in[out->nin++] = i;
	out->from_level = 0;
	out->to_level = 1;
	out->trivial_move = false;	/* a group that needs a rewrite */
	out->bottommost = leveled_bottommost(o, cmp, ssts, n, 1, &best1);
	return true;
}

/*
 * L0 into L1: every L0 SSTable (their key ranges overlap and their seq
 * ranges interleave, so taking a subset could put an older version below
 * a newer one) plus the L1 SSTables overlapping their union; or, with
 * intra_l0 (automatic picks): one level-0 group alone (pick_l0_group), or,
 * the intra-L0 rule met, every L0 SSTable into one in L0.
 */
static bool
pick_l0(const lsm_compaction_options *o, const lsm_comparator *cmp,
		const lsm_sst_desc *ssts, int n, bool intra_l0,
		const lsm_allocator *alloc, lsm_compaction_pick *out)
{
	key_range	r = {true, NULL, 0, NULL, 0};
	int			i;

	for (i = 0; i < n; i++)
	{
		if (eff_level(o, &ssts[i]) != 0)
			continue;
		if (ssts[i].being_compacted)
			return false;
		range_extend(cmp, &r, &ssts[i]);
	}
	if (intra_l0 && pick_l0_group(o, cmp, ssts, n, alloc, out))
		return true;
	if (out->nin == 0 && out->reason[0] != '\0')
		return false;			/* out of memory */
	if (r.empty || !expand_level(o, cmp, ssts, n, 1, &r))
		return false;
	if (intra_l0 && l0_merge_within(o, cmp, ssts, n, &r))
		return intra_l0_fill(o, ssts, n, alloc, out);
	return leveled_fill(o, cmp, ssts, n, 0, -1, 1, &r, alloc, out);
}

/* True if SSTable a comes before b by (smallest key, index). */
static bool
key_before(const lsm_comparator *cmp, const lsm_sst_desc *ssts, int a, int b)
{
	int			c = ucmp(cmp, ssts[a].smallest, ssts[a].smallest_len,
						 ssts[b].smallest, ssts[b].smallest_len);

	return c < 0 || (c == 0 && a < b);
}

/*
 * Round robin within a level: the SSTable of `level` after cur (-1: the
 * start) in (smallest key, index) order, wrapping to the first.  With
 * cur == -1 the start is the first SSTable whose smallest key is > ptr
 * (no pointer: the first of the level).  Returns -1 for an empty level.
 */
static int
level_next(const lsm_compaction_options *o, const lsm_comparator *cmp,
		   const lsm_sst_desc *ssts, int n, int level, int cur,
		   const char *ptr, size_t ptrlen)
{
	int			first = -1,
				after = -1;
	int			i;

	for (i = 0; i < n; i++)
	{
		bool		is_after;

		if (eff_level(o, &ssts[i]) != level)
			continue;
		if (first < 0 || key_before(cmp, ssts, i, first))
			first = i;
		if (cur >= 0)
			is_after = key_before(cmp, ssts, cur, i);
		else
			is_after = ptr != NULL && ptrlen > 0 &&
				ucmp(cmp, ssts[i].smallest, ssts[i].smallest_len, ptr, ptrlen) > 0;
		if (is_after && (after < 0 || key_before(cmp, ssts, i, after)))
			after = i;
	}
	if (cur < 0 && (ptr == NULL || ptrlen == 0))
		return first;
	return after >= 0 ? after : first;
}

/*
 * Ln into Ln+1 (1 <= n <= num_levels - 2): the first SSTable in round
 * robin order that is free and whose overlapping Ln+1 SSTables are free.
 * Walking the whole level in order spreads compactions over the key space
 * and lets a busy neighbour be stepped over.
 */
static bool
pick_ln(const lsm_compaction_options *o, const lsm_comparator *cmp,
		const lsm_sst_desc *ssts, int n, int level,
		const char *ptr, size_t ptrlen, const lsm_allocator *alloc,
		lsm_compaction_pick *out)
{
	int			start = level_next(o, cmp, ssts, n, level, -1, ptr, ptrlen);
	int			f = start;

	if (start < 0)
		return false;
	do
	{
		if (!ssts[f].being_compacted)
		{
			key_range	r = {true, NULL, 0, NULL, 0};

			range_extend(cmp, &r, &ssts[f]);
			if (expand_level(o, cmp, ssts, n, level + 1, &r))
				return leveled_fill(o, cmp, ssts, n, level, f, level + 1, &r,
									alloc, out);
		}
		f = level_next(o, cmp, ssts, n, level, f, NULL, 0);
	} while (f != start);
	return false;
}

/*
 * Collect the SSTables of ranks [start, start + count) of the candidate
 * size order (smallest first) into a new input array.
 */
static bool
tier_fill(const lsm_sst_desc *ssts, int n, int start, int count,
		  const lsm_allocator *alloc, lsm_compaction_pick *out)
{
	int			rank = 0;
	int			i;

	if (!pick_alloc(alloc, out, count))
		return false;
	for (i = size_next(ssts, n, -1, true); i >= 0 && out->nin < count;
		 i = size_next(ssts, n, i, true), rank++)
		if (rank >= start)
			out->in[out->nin++] = i;
	return true;
}

/*
 * Size-tiered automatic pick: the chosen bucket's smallest SSTables, at
 * most tier_max_threshold of them, so one compaction stays bounded.
 */
static bool
pick_tiered(const lsm_compaction_options *o, const lsm_comparator *cmp,
			const lsm_sst_desc *ssts, int n, const lsm_allocator *alloc,
			lsm_compaction_pick *out)
{
	tier_choice c;
	int			take;
	uint64_t	sum = 0;
	char		avg[32];
	int			j;

	tier_buckets(o, ssts, n, true, &c);
	if (c.start < 0)
		return false;
	take = c.count < o->tier_max_threshold ? c.count : o->tier_max_threshold;
	if (!tier_fill(ssts, n, c.start, take, alloc, out))
		return false;
	for (j = 0; j < out->nin; j++)
		sum += ssts[out->in[j]].size;
	out->from_level = 0;
	out->to_level = 0;
	out->trivial_move = false;
	out->bottommost = tiered_bottommost(cmp, ssts, n, out->in, out->nin);
	out->score = (double) c.largest / o->tier_min_threshold;
	format_bytes(avg, sizeof(avg), (double) sum / out->nin);
	snprintf(out->reason, sizeof(out->reason), "tiered: %d SSTables of ~%s",
			 out->nin, avg);
	return true;
}

/*
 * Leveled automatic pick: levels 0..num_levels-2 by score, highest first,
 * L0 (then the shallower level) winning ties; the first level whose pick
 * is not blocked by running compactions wins.
 */
bool
lsm_compaction_pick_auto(const lsm_compaction_options *oin,
						 const lsm_comparator *cmp,
						 const lsm_sst_desc *ssts, int n,
						 const char *const *compact_pointer,
						 const size_t *compact_pointer_len,
						 const lsm_allocator *alloc,
						 lsm_compaction_pick *out)
{
	lsm_compaction_options o = sanitize(oin);
	int			files[LSM_MAX_LEVELS];
	uint64_t	bytes[LSM_MAX_LEVELS];
	double		scores[LSM_MAX_LEVELS];
	bool		tried[LSM_MAX_LEVELS] = {false};
	int			k;

	pick_init(out);
	if (n <= 0)
		return false;
	if (o.style == LSM_COMPACTION_TIERED)
		return pick_tiered(&o, cmp, ssts, n, alloc, out);

	lsm_compaction_level_stats(&o, ssts, n, files, bytes, scores);
	for (k = 0; k < o.num_levels - 1; k++)
	{
		int			best = -1;
		int			l;
		bool		ok;

		for (l = 0; l < o.num_levels - 1; l++)
			if (!tried[l] && (best < 0 || scores[l] > scores[best]))
				best = l;
		if (best < 0 || !(scores[best] >= 1.0))
			break;
		tried[best] = true;
		if (best == 0)
			ok = pick_l0(&o, cmp, ssts, n, true, alloc, out);
		else
		{
			const char *ptr = NULL;
			size_t		ptrlen = 0;

			if (compact_pointer != NULL && compact_pointer_len != NULL)
			{
				ptr = compact_pointer[best];
				ptrlen = compact_pointer_len[best];
			}
			ok = pick_ln(&o, cmp, ssts, n, best, ptr, ptrlen, alloc, out);
		}
		if (out->nin == 0 && out->reason[0] != '\0')
			return false;		/* out of memory */
		if (!ok)
			continue;
		out->score = scores[best];
		if (best == 0 && out->to_level == 0)
		{
			char		l0b[16];

			format_bytes(l0b, sizeof(l0b), (double) bytes[0]);
			snprintf(out->reason, sizeof(out->reason),
					 "L0 has %d files (trigger %d), %s merged within L0 (L1 overlap > %.0fx)",
					 files[0], o.l0_trigger, l0b, o.l0_intra_ratio);
		}
		else if (best == 0)
		{
			int			nl0 = 0;
			int			i;

			for (i = 0; i < out->nin; i++)
				if (eff_level(&o, &ssts[out->in[i]]) == 0)
					nl0++;
			if (nl0 < files[0])
				snprintf(out->reason, sizeof(out->reason),
						 "L0 has %d files (trigger %d), a group of %d overlapping",
						 files[0], o.l0_trigger, nl0);
			else
				snprintf(out->reason, sizeof(out->reason),
						 "L0 has %d files (trigger %d)", files[0], o.l0_trigger);
		}
		else
		{
			char		have[32],
						want[32];

			format_bytes(have, sizeof(have), (double) bytes[best]);
			format_bytes(want, sizeof(want),
						 (double) lsm_compaction_level_target(&o, best));
			snprintf(out->reason, sizeof(out->reason), "L%d has %s (target %s)",
					 best, have, want);
		}
		return true;
	}
	return false;
}

/* Every SSTable, for full manual compactions. */
static bool
pick_everything(int n, const lsm_allocator *alloc, lsm_compaction_pick *out)
{
	int			i;

	if (!pick_alloc(alloc, out, n))
		return false;
	for (i = 0; i < n; i++)
		out->in[out->nin++] = i;
	return true;
}

/*
 * Manual picks (see the header).  They must take everything they are asked
 * to take, so a being_compacted SSTable among the inputs makes them wait
 * (false, with that reason) rather than shrink.
 */
bool
lsm_compaction_pick_manual(const lsm_compaction_options *oin,
						   const lsm_comparator *cmp,
						   const lsm_sst_desc *ssts, int n,
						   int level,
						   const lsm_allocator *alloc,
						   lsm_compaction_pick *out)
{
	lsm_compaction_options o = sanitize(oin);
	key_range	r = {true, NULL, 0, NULL, 0};
	int			i;
	int			to;

	pick_init(out);
	if (level < -1 || level >= o.num_levels)
	{
		snprintf(out->reason, sizeof(out->reason), "invalid level %d", level);
		return false;
	}
	if (n <= 0)
		return false;

	if (o.style == LSM_COMPACTION_TIERED || level == -1)
	{
		int			shallowest = o.num_levels - 1;

		to = 0;
		for (i = 0; i < n; i++)
		{
			int			l = eff_level(&o, &ssts[i]);

			if (l > to)
				to = l;
			if (l < shallowest)
				shallowest = l;
		}
		if (o.style == LSM_COMPACTION_TIERED)
			to = shallowest = 0;
		else if (to < 1)
			to = 1;
		if (n == 1 && eff_level(&o, &ssts[0]) == to)
			return false;		/* a single SSTable already in place */
		for (i = 0; i < n; i++)
			if (ssts[i].being_compacted)
			{
				snprintf(out->reason, sizeof(out->reason),
						 "manual: SSTables being compacted");
				return false;
			}
		if (!pick_everything(n, alloc, out))
			return false;
		out->from_level = shallowest;
		out->to_level = to;
		out->bottommost = true;
		if (o.style == LSM_COMPACTION_TIERED)
			snprintf(out->reason, sizeof(out->reason), "manual: all SSTables");
		else
			snprintf(out->reason, sizeof(out->reason),
					 "manual: all SSTables into L%d", to);
		return true;
	}

	/* leveled, one level */
	to = level == o.num_levels - 1 ? level : level + 1;
	{
		int			count = 0;

		for (i = 0; i < n; i++)
		{
			if (eff_level(&o, &ssts[i]) != level)
				continue;
			count++;
			range_extend(cmp, &r, &ssts[i]);
			if (ssts[i].being_compacted)
			{
				snprintf(out->reason, sizeof(out->reason),
						 "manual: L%d SSTables being compacted", level);
				return false;
			}
		}
		if (count == 0 || (to == level && count == 1))
			return false;
	}
	if (!expand_level(&o, cmp, ssts, n, to, &r))
	{
		snprintf(out->reason, sizeof(out->reason),
				 "manual: L%d SSTables being compacted", to);
		return false;
	}
	if (!leveled_fill(&o, cmp, ssts, n, level, -1, to, &r, alloc, out))
		return false;
	out->trivial_move = false;
	snprintf(out->reason, sizeof(out->reason), "manual: L%d into L%d", level, to);
	return true;
}

/* Release a pick's input array; safe on an empty or already freed pick. */
void
lsm_compaction_pick_free(const lsm_allocator *alloc, lsm_compaction_pick *pick)
{
	if (pick->in != NULL)
		allocator(alloc)->free(allocator(alloc)->ctx, pick->in);
	pick->in = NULL;
	pick->nin = 0;
}
