/*
 * test_compaction.c
 *	  Unit tests of the compaction picker: L0 triggers and L1 overlap,
 *	  trivial moves, round robin, level targets and scores, priorities,
 *	  being_compacted exclusions, the bottommost rule, size-tiered
 *	  bucketing, manual picks, and randomized shapes checked against
 *	  brute-force computations of the same rules.
 *
 * Keys are integers written as six decimal digits, so that the bytewise
 * comparator orders them as the integers do and the brute-force checks
 * can work on the integers.
 */
#include "lsm_picker.h"
#include "lsm_test.h"
#include "lsm_test_mem.h"

#define MAXS 512
#define KiB ((uint64_t) 1024)
#define MiB ((uint64_t) 1024 * 1024)

#define CHECK_STR(a, b) \
	do { \
		if (strcmp((a), (b)) != 0) { \
			fprintf(stderr, "  %s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", \
					__FILE__, __LINE__, (a), (b)); \
			lsm_test_failures_in_test++; \
		} \
	} while (0)

static const lsm_comparator *cmp = &lsm_bytewise_comparator;

/* A set of SSTable descriptions with integer key ranges. */
typedef struct tset
{
	int			n;
	lsm_sst_desc s[MAXS];
	int			lo[MAXS];
	int			hi[MAXS];
	char		keys[MAXS][2][12];
} tset;

static tset T;					/* the set of the current test */
static tset T2;					/* scratch for the randomized test */

/* Empty the set (its storage is static: tests reuse T). */
static void
tset_reset(tset *t)
{
	t->n = 0;
}

/* Point the key pointers of SSTable i at its own key strings. */
static void
tset_fix_keys(tset *t, int i)
{
	snprintf(t->keys[i][0], sizeof(t->keys[i][0]), "%06d", t->lo[i]);
	snprintf(t->keys[i][1], sizeof(t->keys[i][1]), "%06d", t->hi[i]);
	t->s[i].smallest = t->keys[i][0];
	t->s[i].smallest_len = 6;
	t->s[i].largest = t->keys[i][1];
	t->s[i].largest_len = 6;
}

/* Append an SSTable of [lo, hi] with the given seq range; returns its index. */
static int
add_seq(tset *t, int level, int lo, int hi, uint64_t size,
		uint64_t min_seq, uint64_t max_seq)
{
	int			i = t->n++;

	if (i >= MAXS)
		abort();
	memset(&t->s[i], 0, sizeof(t->s[i]));
	t->s[i].level = level;
	t->s[i].size = size;
	t->s[i].entries = 10;
	t->s[i].min_seq = min_seq;
	t->s[i].max_seq = max_seq;
	t->lo[i] = lo;
	t->hi[i] = hi;
	tset_fix_keys(t, i);
	return i;
}

/* Append to T; seqs do not matter to leveled picks. */
static int
add(int level, int lo, int hi, uint64_t size)
{
	return add_seq(&T, level, lo, hi, size, 1, 1);
}

/* Default options, leveled or tiered. */
static lsm_compaction_options
leveled(void)
{
	lsm_compaction_options o;

	lsm_compaction_options_default(&o);
	return o;
}

static lsm_compaction_options
tiered(void)
{
	lsm_compaction_options o;

	lsm_compaction_options_default(&o);
	o.style = LSM_COMPACTION_TIERED;
	return o;
}

/*
 * Automatic pick over t with integer compact pointers (ptr[L] < 0: none;
 * ptr NULL: no pointer arrays at all).
 */
static bool
pick_t(const lsm_compaction_options *o, tset *t, const int *ptr,
	   lsm_compaction_pick *p)
{
	static char buf[LSM_MAX_LEVELS][12];
	const char *ptrs[LSM_MAX_LEVELS];
	size_t		lens[LSM_MAX_LEVELS];
	int			l;

	if (ptr == NULL)
		return lsm_compaction_pick_auto(o, cmp, t->s, t->n, NULL, NULL,
										&test_alloc, p);
	for (l = 0; l < LSM_MAX_LEVELS; l++)
	{
		ptrs[l] = NULL;
		lens[l] = 0;
		if (ptr[l] >= 0)
		{
			snprintf(buf[l], sizeof(buf[l]), "%06d", ptr[l]);
			ptrs[l] = buf[l];
			lens[l] = 6;
		}
	}
	return lsm_compaction_pick_auto(o, cmp, t->s, t->n, ptrs, lens,
									&test_alloc, p);
}

/* Automatic pick over T without compact pointers. */
static bool
pick(const lsm_compaction_options *o, lsm_compaction_pick *p)
{
	return pick_t(o, &T, NULL, p);
}

/* Manual pick over T. */
static bool
manual(const lsm_compaction_options *o, int level, lsm_compaction_pick *p)
{
	return lsm_compaction_pick_manual(o, cmp, T.s, T.n, level, &test_alloc, p);
}

/* Is SSTable i among the pick's inputs? */
static bool
has(const lsm_compaction_pick *p, int i)
{
	int			j;

	for (j = 0; j < p->nin; j++)
		if (p->in[j] == i)
			return true;
	return false;
}

/* The first input, or -1 for an empty pick (so a failed CHECK cannot crash). */
static int
first(const lsm_compaction_pick *p)
{
	return p->nin > 0 ? p->in[0] : -1;
}

/* The smallest key of the first input, or -1. */
static int
first_lo(const lsm_compaction_pick *p)
{
	return p->nin > 0 ? T.lo[p->in[0]] : -1;
}

/* Free a pick through the counting allocator (leaks show in .live). */
static void
done(lsm_compaction_pick *p)
{
	lsm_compaction_pick_free(&test_alloc, p);
}

/* The overlap rule on integer keys, for the brute-force checks. */
static bool
ioverlap(int alo, int ahi, int blo, int bhi)
{
	return !(ahi < blo || bhi < alo);
}

/* ---- tests ---- */

/* Default options and level targets (exact, and clamped by neither). */
static void
test_defaults_and_targets(void)
{
	lsm_compaction_options o = leveled(),
				t = tiered();

	CHECK_EQ_INT(o.style, LSM_COMPACTION_LEVELED);
	CHECK_EQ_INT(o.num_levels, 7);
	CHECK_EQ_INT(o.l0_trigger, 4);
	CHECK(o.base_level_size == 256 * MiB);
	CHECK(o.level_multiplier == 10.0);
	CHECK_EQ_INT(o.tier_min_threshold, 4);
	CHECK_EQ_INT(o.tier_max_threshold, 32);
	CHECK(o.tier_bucket_low == 0.5 && o.tier_bucket_high == 1.5);
	CHECK(o.tier_min_size == 8 * MiB);

	CHECK(lsm_compaction_level_target(&o, 0) == 0);
	CHECK(lsm_compaction_level_target(&o, 1) == 256 * MiB);
	CHECK(lsm_compaction_level_target(&o, 2) == 2560 * MiB);
	CHECK(lsm_compaction_level_target(&o, 3) == 25600 * MiB);
	CHECK(lsm_compaction_level_target(&o, 6) == 25600000 * MiB);
	CHECK(lsm_compaction_level_target(&t, 0) == 0);
	CHECK(lsm_compaction_level_target(&t, 2) == 0);
	o.base_level_size = 1000;
	o.level_multiplier = 3;
	CHECK(lsm_compaction_level_target(&o, 3) == 9000);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* Files, bytes and scores per level, leveled and tiered. */
static void
test_level_stats(void)
{
	lsm_compaction_options o = leveled();
	int			files[LSM_MAX_LEVELS];
	uint64_t	bytes[LSM_MAX_LEVELS];
	double		scores[LSM_MAX_LEVELS];
	int			l;

	tset_reset(&T);
	add(0, 0, 10, 5 * MiB);
	add(0, 5, 20, 5 * MiB);
	add(0, 1, 2, 5 * MiB);
	add(1, 0, 10, 64 * MiB);
	add(1, 20, 30, 64 * MiB);
	add(2, 0, 100, 5120 * MiB);
	add(6, 0, 100, 1 * MiB);
	lsm_compaction_level_stats(&o, T.s, T.n, files, bytes, scores);
	CHECK_EQ_INT(files[0], 3);
	CHECK_EQ_INT(files[1], 2);
	CHECK_EQ_INT(files[2], 1);
	CHECK_EQ_INT(files[3], 0);
	CHECK_EQ_INT(files[6], 1);
	CHECK(bytes[0] == 15 * MiB);
	CHECK(bytes[1] == 128 * MiB);
	CHECK(bytes[2] == 5120 * MiB);
	CHECK(scores[0] == 0.75);
	CHECK(scores[1] == 0.5);
	CHECK(scores[2] == 2.0);
	CHECK(scores[3] == 0.0);
	CHECK(scores[6] == 1.0 / 25600000.0);
	CHECK_EQ_INT(files[7], 0);
	CHECK(scores[7] == 0.0);

	/* being_compacted SSTables still count in the shape */
	T.s[0].being_compacted = true;
	lsm_compaction_level_stats(&o, T.s, T.n, files, bytes, scores);
	CHECK_EQ_INT(files[0], 3);
	CHECK(scores[0] == 0.75);

	/* tiered: level 0 scores the largest bucket, the others 0 */
	o = tiered();
	tset_reset(&T);
	for (l = 0; l < 5; l++)
		add(0, l * 10, l * 10 + 5, (uint64_t) (20 + l) * MiB);
	add(0, 0, 100, 500 * MiB);
	add(0, 0, 100, 600 * MiB);
	add(2, 0, 100, 20 * MiB);	/* levels are ignored: joins the bucket */
	lsm_compaction_level_stats(&o, T.s, T.n, files, bytes, scores);
	CHECK_EQ_INT(files[0], 7);
	CHECK_EQ_INT(files[2], 1);
	CHECK(scores[0] == 6.0 / 4.0);
	for (l = 1; l < LSM_MAX_LEVELS; l++)
		CHECK(scores[l] == 0.0);
}

/* No SSTables: no pick of any kind, and no allocation. */
static void
test_empty(void)
{
	lsm_compaction_options o = leveled(),
				t = tiered();
	lsm_compaction_pick p;
	int			files[LSM_MAX_LEVELS];
	uint64_t	bytes[LSM_MAX_LEVELS];
	double		scores[LSM_MAX_LEVELS];
	long		total = test_alloc_st.total;
	int			l;

	tset_reset(&T);
	CHECK(!pick(&o, &p));
	CHECK_EQ_INT(p.nin, 0);
	CHECK(p.in == NULL);
	CHECK(!pick(&t, &p));
	CHECK_EQ_INT(p.nin, 0);
	CHECK(!manual(&o, -1, &p));
	CHECK(!manual(&o, 0, &p));
	CHECK(!manual(&o, 3, &p));
	CHECK(!manual(&t, -1, &p));
	CHECK_EQ_INT(p.nin, 0);
	CHECK(p.in == NULL);
	done(&p);					/* freeing an empty pick is fine */
	lsm_compaction_level_stats(&o, T.s, 0, files, bytes, scores);
	for (l = 0; l < LSM_MAX_LEVELS; l++)
		CHECK(files[l] == 0 && bytes[l] == 0 && scores[l] == 0.0);
	CHECK_EQ_INT(test_alloc_st.live, 0);
	CHECK_EQ_INT(test_alloc_st.total, total);	/* no allocation at all */
}

/* L0 is picked at l0_trigger files, not before, with all its files. */
/*
 * The level-0 group rule of automatic picks (lsm_picker.c pick_l0_group),
 * computed here: L0 SSTables in groups of transitively overlapping key
 * ranges; with two or more groups, the first (by its first SSTable) of
 * the oldest groups that need a rewrite (2+ SSTables, or L1 overlapping
 * the group's range) is taken with the L1 SSTables overlapping it, or,
 * none needing one, all of L0 as a trivial move.  Returns false when
 * level 0 is one group (the caller's rule applies); else want[i] says
 * whether SSTable i of T is taken.
 */
static bool
model_l0_groups(bool *want, bool *trivial)
{
	int			grp[MAXS];
	int			glo[MAXS],
				ghi[MAXS],
				gmembers[MAXS];
	uint64_t	goldest[MAXS];
	bool		gl1[MAXS];
	int			ng = 0,
				best = -1;
	int			i,
				j;
	bool		changed;

	for (i = 0; i < T.n; i++)
		grp[i] = T.s[i].level == 0 ? i : -1;
	do
	{
		changed = false;
		for (i = 0; i < T.n; i++)
			for (j = 0; j < T.n; j++)
				if (grp[i] >= 0 && grp[j] >= 0 && grp[j] < grp[i] &&
					ioverlap(T.lo[i], T.hi[i], T.lo[j], T.hi[j]))
				{
					int			from = grp[i],
								k;

					for (k = 0; k < T.n; k++)
						if (grp[k] == from)
							grp[k] = grp[j];
					changed = true;
				}
	} while (changed);
	/* groups numbered by their first SSTable */
	for (i = 0; i < T.n; i++)
	{
		if (grp[i] != i)
			continue;
		glo[ng] = T.lo[i];
		ghi[ng] = T.hi[i];
		gmembers[ng] = 0;
		goldest[ng] = UINT64_MAX;
		gl1[ng] = false;
		for (j = 0; j < T.n; j++)
			if (grp[j] == i)
			{
				if (T.lo[j] < glo[ng])
					glo[ng] = T.lo[j];
				if (T.hi[j] > ghi[ng])
					ghi[ng] = T.hi[j];
				gmembers[ng]++;
				if (T.s[j].max_seq < goldest[ng])
					goldest[ng] = T.s[j].max_seq;
			}
		for (j = 0; j < T.n; j++)
			if (T.s[j].level == 1 && ioverlap(T.lo[j], T.hi[j], glo[ng], ghi[ng]))
				gl1[ng] = true;
		if ((gmembers[ng] >= 2 || gl1[ng]) && (best < 0 || goldest[ng] < goldest[best]))
			best = ng;
		ng++;
	}
	if (ng < 2)
		return false;
	for (i = 0; i < T.n; i++)
	{
		if (best < 0)
			want[i] = T.s[i].level == 0;
		else
			want[i] = (T.s[i].level == 0 &&
					   ioverlap(T.lo[i], T.hi[i], glo[best], ghi[best])) ||
				(T.s[i].level == 1 &&
				 ioverlap(T.lo[i], T.hi[i], glo[best], ghi[best]));
	}
	*trivial = best < 0;
	return true;
}

/* Check pick p against model_l0_groups's want[]. */
static void
check_l0_groups(const lsm_compaction_pick *p, const bool *want, bool trivial, int seed)
{
	int			i,
				expect = 0;

	for (i = 0; i < T.n; i++)
	{
		if (want[i])
			expect++;
		if (want[i] != has(p, i))
		{
			fprintf(stderr, "  seed %d: SSTable %d (L%d [%d,%d]) %s (level-0 groups)\n",
					seed, i, T.s[i].level, T.lo[i], T.hi[i],
					want[i] ? "missing" : "taken");
			CHECK(false);
		}
	}
	CHECK_EQ_INT(p->nin, expect);
	CHECK_EQ_INT(p->from_level, 0);
	CHECK_EQ_INT(p->to_level, 1);
	CHECK_EQ_INT(p->trivial_move, trivial);
}

static void
test_l0_trigger(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			i;

	tset_reset(&T);
	for (i = 0; i < 3; i++)
		add(0, i * 100, i * 100 + 50, MiB);
	CHECK(!pick(&o, &p));
	CHECK_EQ_INT(p.nin, 0);

	add(0, 1000, 1100, MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 4);
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.to_level, 1);
	CHECK(p.trivial_move);		/* disjoint, L1 empty */
	CHECK(p.bottommost);
	CHECK(p.score == 1.0);
	CHECK_STR(p.reason, "L0 has 4 files (trigger 4)");
	for (i = 0; i < 4; i++)
		CHECK(has(&p, i));
	done(&p);

	/* [1,2] overlaps [0,50]: those two merged, the other three stay */
	add(0, 1, 2, MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 2);
	CHECK(has(&p, 0) && has(&p, 4));
	CHECK(!p.trivial_move);
	CHECK(p.score == 1.25);
	CHECK_STR(p.reason, "L0 has 5 files (trigger 4), a group of 2 overlapping");
	done(&p);

	/* [1,120] joins them with [100,150]: a group of four */
	add(0, 1, 120, MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 4);
	CHECK(has(&p, 0) && has(&p, 1) && has(&p, 4) && has(&p, 5));
	CHECK_STR(p.reason, "L0 has 6 files (trigger 4), a group of 4 overlapping");
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/*
 * L0 compaction takes exactly the L1 SSTables overlapping the union of the
 * L0 ranges, including one inside a gap between L0 SSTables.
 */
static void
test_l0_overlap_l1(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			seed;

	/* the overlap rule of L0 -> L1 (test_intra_l0 has the other choice) */
	o.l0_intra_ratio = 0;
	/* a gap: L0 [0,10] and [50,60]; L1 [20,30] lies between them */
	tset_reset(&T);
	add(0, 0, 10, MiB);
	add(0, 50, 60, MiB);
	add(1, 20, 30, MiB);
	add(1, 61, 70, MiB);
	add(1, 60, 60, MiB);		/* shares the boundary key 60 */
	o.l0_trigger = 2;
	CHECK(pick(&o, &p));
	/* two level-0 groups: [50,60] needs a rewrite (L1 [60,60]), alone */
	CHECK_EQ_INT(p.nin, 2);
	CHECK(has(&p, 1) && has(&p, 4));
	CHECK(!has(&p, 0) && !has(&p, 2) && !has(&p, 3));
	done(&p);
	/* one group ([0,60]): every L0 SSTable and the L1 ones under it */
	add(0, 5, 55, MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 5);
	CHECK(has(&p, 0) && has(&p, 1) && has(&p, 2) && has(&p, 4) && has(&p, 5));
	CHECK(!has(&p, 3));
	done(&p);

	for (seed = 1; seed <= 200; seed++)
	{
		int			nl0,
					nl1;
		int			hlo = 1 << 30,
					hhi = -1;
		int			expect = 0;
		int			i,
					x = 0;

		test_srand(seed);
		nl0 = 1 + (int) test_rand_below(6);
		nl1 = (int) test_rand_below(30);
		tset_reset(&T);
		o.l0_trigger = nl0;
		for (i = 0; i < nl1; i++)
		{
			int			lo = x + (int) test_rand_below(300);
			int			hi = lo + (int) test_rand_below(300);

			add(1, lo, hi, MiB);
			x = hi + 1;
		}
		for (i = 0; i < nl0; i++)
		{
			int			lo = (int) test_rand_below(x + 200);
			int			hi = lo + (int) test_rand_below(2000);

			add(0, lo, hi, MiB);
			if (lo < hlo)
				hlo = lo;
			if (hi > hhi)
				hhi = hi;
		}
		CHECK(pick(&o, &p));
		{
			bool		gwant[MAXS],
						gtrivial;

			if (model_l0_groups(gwant, &gtrivial))
			{
				check_l0_groups(&p, gwant, gtrivial, seed);
				done(&p);
				continue;
			}
		}
		for (i = 0; i < T.n; i++)
		{
			bool		want = T.s[i].level == 0 ||
				ioverlap(T.lo[i], T.hi[i], hlo, hhi);

			if (want)
				expect++;
			if (want != has(&p, i))
			{
				fprintf(stderr, "  seed %d: SSTable %d (L%d [%d,%d]) %s\n",
						seed, i, T.s[i].level, T.lo[i], T.hi[i],
						want ? "missing" : "taken but not overlapping");
				CHECK(false);
			}
		}
		CHECK_EQ_INT(p.nin, expect);
		{
			/* moved: nothing of L1 taken, the L0 SSTables pairwise disjoint */
			bool		disjoint = true;
			int			j;

			for (i = 0; i < T.n; i++)
				for (j = i + 1; j < T.n; j++)
					if (T.s[i].level == 0 && T.s[j].level == 0 &&
						ioverlap(T.lo[i], T.hi[i], T.lo[j], T.hi[j]))
						disjoint = false;
			CHECK_EQ_INT(p.trivial_move, expect == nl0 && disjoint);
		}
		done(&p);
	}
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/*
 * Intra-L0: overlapping L0 SSTables merge within L0 while the L1 they
 * overlap holds more than l0_intra_ratio times their bytes and L0 times
 * the ratio stays under base_level_size; else into L1.  Checked on fixed
 * shapes, then on random ones against the rule computed here.
 */
static void
test_intra_l0(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			seed;
	int			i;

	int			nwithin = 0,
				ninto = 0,
				ngroups = 0;

	o.num_levels = 2;			/* L1 last: its own score never competes */
	/* 4 x 10 MiB overlapping in L0 over 200 MiB of L1: within L0 */
	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i * 10, 1000 + i, 10 * MiB);
	for (i = 0; i < 10; i++)
		add(1, i * 100, i * 100 + 50, 20 * MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.to_level, 0);
	CHECK_EQ_INT(p.nin, 4);
	for (i = 0; i < 4; i++)
		CHECK(has(&p, i));
	CHECK(!p.trivial_move);
	CHECK(!p.bottommost);
	CHECK(strstr(p.reason, "within L0") != NULL);
	done(&p);

	/* L1 at 4x L0 exactly: not over the ratio, into L1 */
	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i * 10, 1000 + i, 10 * MiB);
	for (i = 0; i < 8; i++)
		add(1, i * 100, i * 100 + 50, 20 * MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.to_level, 1);
	CHECK_EQ_INT(p.nin, 12);
	done(&p);

	/* L1 outside L0's range does not count */
	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i * 10, 100 + i, 10 * MiB);
	add(1, 0, 50, 20 * MiB);
	add(1, 200, 300, 1000 * MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.to_level, 1);
	CHECK_EQ_INT(p.nin, 5);
	done(&p);

	/* L0 grown to base_level_size / ratio: into L1 however large L1 is */
	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i * 10, 1000 + i, 16 * MiB);
	for (i = 0; i < 10; i++)
		add(1, i * 100, i * 100 + 50, 1000 * MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);

	/* pairwise disjoint L0 SSTables (growing row ids) never merge within L0 */
	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i * 100, i * 100 + 50, 10 * MiB);
	add(1, 0, 1000, 1000 * MiB);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);

	/* an L0 SSTable being compacted blocks both; ratio 0 turns it off */
	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i * 10, 1000 + i, 10 * MiB);
	add(1, 0, 1000, 200 * MiB);
	T.s[2].being_compacted = true;
	CHECK(!pick(&o, &p));
	T.s[2].being_compacted = false;
	o.l0_intra_ratio = 0;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);
	o.l0_intra_ratio = -3;		/* sanitized to 0 */
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);

	/* manual picks of L0 always go into L1 */
	o.l0_intra_ratio = 4;
	o.num_levels = 3;
	CHECK(manual(&o, 0, &p));
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);

	for (seed = 1; seed <= 1500; seed++)
	{
		int			nl0 = 2 + (int) test_rand_below(6);
		int			nl1 = (int) test_rand_below(20);
		int			hlo = 1 << 30,
					hhi = -1;
		uint64_t	l0 = 0,
					l1 = 0;
		bool		disjoint = true;
		bool		within;
		int			j,
					x = 0;

		test_srand(seed);
		tset_reset(&T);
		o = leveled();
		o.num_levels = 2;
		o.l0_trigger = nl0;
		o.l0_intra_ratio = 1 + (double) test_rand_below(8);
		o.base_level_size = (1 + test_rand_below(400)) * MiB;
		for (i = 0; i < nl1; i++)
		{
			int			lo = x + (int) test_rand_below(300);
			int			hi = lo + (int) test_rand_below(300);

			add(1, lo, hi, (1 + test_rand_below(64)) * MiB);
			x = hi + 1;
		}
		for (i = 0; i < nl0; i++)
		{
			int			lo = (int) test_rand_below(x + 200);
			int			hi = lo + (int) test_rand_below(test_rand_below(2) ? 2000 : 50);

			add(0, lo, hi, (1 + test_rand_below(16)) * MiB);
			if (lo < hlo)
				hlo = lo;
			if (hi > hhi)
				hhi = hi;
		}
		for (i = 0; i < T.n; i++)
		{
			if (T.s[i].level == 0)
			{
				l0 += T.s[i].size;
				for (j = i + 1; j < T.n; j++)
					if (T.s[j].level == 0 &&
						ioverlap(T.lo[i], T.hi[i], T.lo[j], T.hi[j]))
						disjoint = false;
			}
		}
		/* L1 taken by an L0 -> L1 pick: the fixed point over [hlo, hhi] */
		for (i = 0; i < T.n; i++)
			if (T.s[i].level == 1 && ioverlap(T.lo[i], T.hi[i], hlo, hhi))
			{
				if (T.lo[i] < hlo)
					hlo = T.lo[i];
				if (T.hi[i] > hhi)
					hhi = T.hi[i];
			}
		for (i = 0; i < T.n; i++)
			if (T.s[i].level == 1 && ioverlap(T.lo[i], T.hi[i], hlo, hhi))
				l1 += T.s[i].size;
		within = !disjoint && (double) l1 > o.l0_intra_ratio * (double) l0 &&
			o.l0_intra_ratio * (double) l0 < (double) o.base_level_size;
		CHECK(pick(&o, &p));
		{
			bool		gwant[MAXS],
						gtrivial;

			/* two or more level-0 groups: the group rule first */
			if (model_l0_groups(gwant, &gtrivial))
			{
				check_l0_groups(&p, gwant, gtrivial, seed);
				ngroups++;
				done(&p);
				continue;
			}
		}
		CHECK_EQ_INT(p.from_level, 0);
		CHECK_EQ_INT(p.to_level, within ? 0 : 1);
		if (within)
			nwithin++;
		else
			ninto++;
		if (within)
		{
			CHECK_EQ_INT(p.nin, nl0);
			for (i = 0; i < T.n; i++)
				CHECK_EQ_INT(has(&p, i), T.s[i].level == 0);
		}
		done(&p);
	}
	printf("     random shapes: %d merged within L0, %d into L1, %d by level-0 groups\n",
		   nwithin, ninto, ngroups);
	CHECK(nwithin > 30 && ninto > 30);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* Trivial moves: one input, nothing overlapping in the output level. */
static void
test_trivial_move(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			a;

	/* one L0 SSTable, nothing overlapping in L1: moved */
	o.l0_trigger = 1;
	tset_reset(&T);
	a = add(0, 100, 200, MiB);
	add(1, 300, 400, MiB);
	CHECK(pick(&o, &p));
	CHECK(p.trivial_move);
	CHECK_EQ_INT(p.nin, 1);
	CHECK_EQ_INT(first(&p), a);
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);

	/* one L0 SSTable overlapping L1: merged */
	add(1, 150, 250, MiB);
	CHECK(pick(&o, &p));
	CHECK(!p.trivial_move);
	CHECK_EQ_INT(p.nin, 2);
	done(&p);

	/* several pairwise disjoint L0 SSTables, nothing in L1 over them: moved */
	o.l0_trigger = 2;
	tset_reset(&T);
	add(0, 20, 30, MiB);
	add(0, 0, 10, MiB);
	add(0, 40, 50, MiB);
	add(1, 60, 70, MiB);
	CHECK(pick(&o, &p));
	CHECK(p.trivial_move);
	CHECK_EQ_INT(p.nin, 3);
	CHECK_EQ_INT(p.to_level, 1);
	done(&p);

	/* two of them touching at one key: those two merged, the third stays */
	T.lo[2] = 30;
	tset_fix_keys(&T, 2);
	CHECK(pick(&o, &p));
	CHECK(!p.trivial_move);
	CHECK_EQ_INT(p.nin, 2);
	CHECK(has(&p, 0) && has(&p, 2));
	CHECK_STR(p.reason, "L0 has 3 files (trigger 2), a group of 2 overlapping");
	done(&p);

	/* disjoint, an L1 SSTable in a gap between them, none over it: moved */
	T.lo[2] = 40;
	tset_fix_keys(&T, 2);
	add(1, 12, 18, MiB);
	CHECK(pick(&o, &p));
	CHECK(p.trivial_move);
	CHECK_EQ_INT(p.nin, 3);
	CHECK(!has(&p, 3) && !has(&p, 4));
	done(&p);

	/* one of them over that L1 SSTable: it alone merged with it */
	T.hi[1] = 14;
	tset_fix_keys(&T, 1);
	CHECK(pick(&o, &p));
	CHECK(!p.trivial_move);
	CHECK_EQ_INT(p.nin, 2);
	CHECK(has(&p, 1) && has(&p, 4));
	done(&p);

	/* Ln: one SSTable, nothing overlapping below: moved */
	o.base_level_size = 100;
	tset_reset(&T);
	a = add(1, 100, 200, 1000);
	add(2, 300, 400, 10);
	add(2, 0, 99, 10);
	CHECK(pick(&o, &p));
	CHECK(p.trivial_move);
	CHECK_EQ_INT(p.from_level, 1);
	CHECK_EQ_INT(p.to_level, 2);
	CHECK_EQ_INT(p.nin, 1);
	CHECK_EQ_INT(first(&p), a);
	done(&p);

	/* touching at one key is overlapping */
	T.lo[1] = 200;
	tset_fix_keys(&T, 1);
	CHECK(pick(&o, &p));
	CHECK(!p.trivial_move);
	CHECK_EQ_INT(p.nin, 2);
	CHECK(has(&p, 1));
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/*
 * Round robin: each pick starts after the compact pointer (set, as the
 * caller does, to the largest key of the previous input) and wraps.
 */
static void
test_round_robin(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			ptr[LSM_MAX_LEVELS];
	int			order[] = {3, 0, 4, 1, 2};
	int			expect[] = {0, 10, 20, 30, 40, 0, 10};
	int			i;

	o.base_level_size = 100;
	tset_reset(&T);
	for (i = 0; i < 5; i++)
		add(1, order[i] * 10, order[i] * 10 + 9, 100);
	for (i = 0; i < LSM_MAX_LEVELS; i++)
		ptr[i] = -1;

	for (i = 0; i < 7; i++)
	{
		CHECK(pick_t(&o, &T, ptr, &p));
		CHECK_EQ_INT(p.nin, 1);
		CHECK_EQ_INT(p.from_level, 1);
		CHECK_EQ_INT(first_lo(&p), expect[i]);
		CHECK(p.trivial_move);
		ptr[1] = p.nin > 0 ? T.hi[p.in[0]] : -1;
		done(&p);
	}

	/* a pointer inside an SSTable's range: the next SSTable */
	ptr[1] = 15;
	CHECK(pick_t(&o, &T, ptr, &p));
	CHECK_EQ_INT(first_lo(&p), 20);
	done(&p);
	/* a pointer equal to a smallest key: strictly after it */
	ptr[1] = 20;
	CHECK(pick_t(&o, &T, ptr, &p));
	CHECK_EQ_INT(first_lo(&p), 30);
	done(&p);
	/* past the end: wraps */
	ptr[1] = 999;
	CHECK(pick_t(&o, &T, ptr, &p));
	CHECK_EQ_INT(first_lo(&p), 0);
	done(&p);
	/* no pointer arrays: the first */
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(first_lo(&p), 0);
	done(&p);

	/* the pointer of another level does not matter */
	ptr[1] = -1;
	ptr[2] = 25;
	CHECK(pick_t(&o, &T, ptr, &p));
	CHECK_EQ_INT(first_lo(&p), 0);
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* Highest score wins; L0, then the shallower level, wins ties. */
static void
test_priority(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			i;

	o.base_level_size = 1000;

	/* L0 1.25 < L1 2.0 */
	tset_reset(&T);
	for (i = 0; i < 5; i++)
		add(0, 0, 10, 1);
	add(1, 100, 200, 2000);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 1);
	CHECK(p.score == 2.0);
	done(&p);

	/* L0 1.5 == L1 1.5: L0 wins the tie */
	add(0, 0, 10, 1);
	CHECK(T.s[5].level == 1);	/* the L1 SSTable */
	T.s[5].size = 1500;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 0);
	CHECK(p.score == 1.5);
	done(&p);

	/* L1 1.5 == L2 1.5: the shallower wins; L2 3.0 beats L1 1.5 */
	tset_reset(&T);
	add(1, 0, 10, 1500);
	add(2, 100, 200, 15000);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 1);
	done(&p);
	T.s[1].size = 30000;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 2);
	CHECK_EQ_INT(p.to_level, 3);
	CHECK(p.score == 3.0);
	done(&p);

	/* nothing reaches 1 */
	T.s[0].size = 999;
	T.s[1].size = 9999;
	CHECK(!pick(&o, &p));
	CHECK_EQ_INT(p.nin, 0);

	/* reason text */
	o = leveled();
	o.base_level_size = 64 * MiB;
	tset_reset(&T);
	add(2, 0, 10, 700 * MiB);
	CHECK(pick(&o, &p));
	CHECK_STR(p.reason, "L2 has 700 MiB (target 640 MiB)");
	done(&p);
	T.s[0].size = 1536 * MiB;
	CHECK(pick(&o, &p));
	CHECK_STR(p.reason, "L2 has 1.5 GiB (target 640 MiB)");
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* The last level has a score but is never compacted automatically. */
static void
test_last_level(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			files[LSM_MAX_LEVELS];
	uint64_t	bytes[LSM_MAX_LEVELS];
	double		scores[LSM_MAX_LEVELS];

	o.num_levels = 3;
	o.base_level_size = 1000;
	tset_reset(&T);
	add(2, 0, 10, 1000000);
	add(2, 20, 30, 1000000);
	lsm_compaction_level_stats(&o, T.s, T.n, files, bytes, scores);
	CHECK(scores[2] == 200.0);
	CHECK(!pick(&o, &p));
	add(1, 40, 50, 5000);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 1);
	CHECK_EQ_INT(p.to_level, 2);
	done(&p);

	o.num_levels = 2;
	o.l0_intra_ratio = 0;		/* L1 is 62500x L0 below: into L1 all the same */
	tset_reset(&T);
	add(1, 0, 10, 1000000);
	CHECK(!pick(&o, &p));
	add(0, 0, 10, 1);
	add(0, 0, 10, 1);
	add(0, 0, 10, 1);
	add(0, 0, 10, 1);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.to_level, 1);
	CHECK_EQ_INT(p.nin, 5);
	CHECK(p.bottommost);
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* being_compacted SSTables are never picked nor merged into. */
static void
test_being_compacted(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			i,
				a,
				b,
				c,
				l2a;

	o.base_level_size = 1000;

	/* one busy L0 SSTable blocks L0 entirely */
	tset_reset(&T);
	for (i = 0; i < 5; i++)
		add(0, i * 10, i * 10 + 5, 1);
	T.s[2].being_compacted = true;
	CHECK(!pick(&o, &p));
	CHECK_EQ_INT(p.nin, 0);
	/* ... and the next level by score is picked instead */
	a = add(1, 500, 600, 1100);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 1);
	CHECK_EQ_INT(p.nin, 1);
	CHECK_EQ_INT(first(&p), a);
	done(&p);

	/* a busy overlapping L1 SSTable blocks L0 */
	T.s[2].being_compacted = false;
	T.s[a].size = 10;
	b = add(1, 40, 45, 10);
	T.s[b].being_compacted = true;
	CHECK(!pick(&o, &p));
	/* a busy L1 SSTable not overlapping does not */
	T.lo[b] = 60;
	T.hi[b] = 70;
	tset_fix_keys(&T, b);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.nin, 5);
	CHECK(!has(&p, b));
	done(&p);

	/* Ln round robin steps over busy SSTables and busy overlaps */
	tset_reset(&T);
	a = add(1, 0, 10, 1000);
	b = add(1, 20, 30, 1000);
	c = add(1, 40, 50, 1000);
	l2a = add(2, 5, 8, 10);
	T.s[a].being_compacted = true;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(first(&p), b);
	done(&p);
	T.s[a].being_compacted = false;
	T.s[l2a].being_compacted = true;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(first(&p), b);
	done(&p);
	T.s[b].being_compacted = true;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(first(&p), c);
	done(&p);
	T.s[c].being_compacted = true;
	CHECK(!pick(&o, &p));
	CHECK_EQ_INT(p.nin, 0);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* Leveled bottommost: nothing below the output level overlaps. */
static void
test_bottommost_leveled(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			l3;

	o.base_level_size = 1000;
	tset_reset(&T);
	add(1, 100, 200, 2000);
	add(2, 150, 250, 10);
	l3 = add(3, 500, 600, 10);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 2);
	CHECK(p.bottommost);
	done(&p);

	/* overlapping the output's range (not the Ln input's) below */
	T.lo[l3] = 240;
	tset_fix_keys(&T, l3);
	CHECK(pick(&o, &p));
	CHECK(!p.bottommost);
	done(&p);

	/* L0 into L1 with L2 below */
	tset_reset(&T);
	add(0, 100, 150, 1);
	add(0, 120, 200, 1);
	add(0, 100, 110, 1);
	add(0, 190, 200, 1);
	l3 = add(2, 0, 50, 10);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.from_level, 0);
	CHECK(p.bottommost);
	done(&p);
	T.lo[l3] = 195;
	T.hi[l3] = 300;
	tset_fix_keys(&T, l3);
	CHECK(pick(&o, &p));
	CHECK(!p.bottommost);
	done(&p);
	/* a deep level counts too */
	T.s[l3].level = 6;
	CHECK(pick(&o, &p));
	CHECK(!p.bottommost);
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/*
 * Tiered bottommost: an SSTable outside the inputs matters only if it
 * overlaps their range and holds data older than their newest entry.
 */
static void
test_bottommost_tiered(void)
{
	lsm_compaction_options o = tiered();
	lsm_compaction_pick p;
	int			i,
				x;

	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add_seq(&T, 0, 0, 100, 16 * MiB, 10 * i + 1, 10 * i + 10);
	x = add_seq(&T, 0, 500, 600, 1000 * MiB, 0, 0);
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 4);
	CHECK(!has(&p, x));
	CHECK(p.bottommost);
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.to_level, 0);
	CHECK(!p.trivial_move);
	CHECK(p.score == 1.0);
	CHECK_STR(p.reason, "tiered: 4 SSTables of ~16 MiB");
	done(&p);

	/* overlapping and older */
	T.lo[x] = 50;
	tset_fix_keys(&T, x);
	CHECK(pick(&o, &p));
	CHECK(!p.bottommost);
	done(&p);
	/* overlapping but all newer than the inputs' max_seq (40) */
	T.s[x].min_seq = 40;
	T.s[x].max_seq = 50;
	CHECK(pick(&o, &p));
	CHECK(p.bottommost);
	done(&p);
	T.s[x].min_seq = 39;
	CHECK(pick(&o, &p));
	CHECK(!p.bottommost);
	done(&p);
	/* a being_compacted SSTable still holds its data */
	T.s[x].size = 16 * MiB;
	T.s[x].being_compacted = true;
	CHECK(pick(&o, &p));
	CHECK_EQ_INT(p.nin, 4);
	CHECK(!p.bottommost);
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* Sizes of a tiered pick's inputs, sorted as the pick lists them. */
static void
pick_sizes(const lsm_compaction_pick *p, uint64_t *out)
{
	int			j;

	for (j = 0; j < p->nin; j++)
		out[j] = T.s[p->in[j]].size;
}

static void
add_sizes(const int *mib, int k)
{
	int			i;

	for (i = 0; i < k; i++)
		add(0, i, i + 1000, (uint64_t) mib[i] * MiB);
}

/* Size-tiered bucketing and the choice among buckets. */
static void
test_tiered_buckets(void)
{
	lsm_compaction_options o = tiered();
	lsm_compaction_pick p;
	uint64_t	sz[64];

	/* similar sizes bucket together; the large ones do not */
	{
		int			s[] = {100, 12, 10, 110, 13, 11};

		tset_reset(&T);
		add_sizes(s, 6);
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		pick_sizes(&p, sz);
		CHECK(sz[0] == 10 * MiB && sz[1] == 11 * MiB && sz[2] == 12 * MiB &&
			  sz[3] == 13 * MiB);
		CHECK_STR(p.reason, "tiered: 4 SSTables of ~11.5 MiB");
		done(&p);
	}
	/* three similar: not enough */
	{
		int			s[] = {10, 11, 12, 100, 110};

		tset_reset(&T);
		add_sizes(s, 5);
		CHECK(!pick(&o, &p));
		CHECK_EQ_INT(p.nin, 0);
	}
	/* under min_size, all share a bucket whatever their ratio */
	{
		int			s[] = {1, 2, 3, 7, 100};

		tset_reset(&T);
		add_sizes(s, 5);
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		CHECK(!has(&p, 4));
		done(&p);
		o.tier_min_size = 0;
		CHECK(!pick(&o, &p));
		o.tier_min_size = 8 * MiB;
		/* 8 MiB is not under min_size: own bucket */
		T.s[3].size = 8 * MiB;
		CHECK(!pick(&o, &p));
	}
	/* the eligible bucket with the smallest average wins over a larger one */
	{
		int			s[] = {100, 101, 102, 103, 104, 20, 21, 22, 23, 500};

		tset_reset(&T);
		add_sizes(s, 10);
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		pick_sizes(&p, sz);
		CHECK(sz[0] == 20 * MiB && sz[3] == 23 * MiB);
		CHECK(p.score == 5.0 / 4.0);
		done(&p);
		/* with the small bucket too small, the larger is taken */
		T.s[8].size = 500 * MiB;
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 5);
		pick_sizes(&p, sz);
		CHECK(sz[0] == 100 * MiB && sz[4] == 104 * MiB);
		done(&p);
	}
	/* max_threshold caps the pick, smallest first */
	{
		int			s[] = {16, 15, 14, 13, 12, 11, 10};

		tset_reset(&T);
		add_sizes(s, 7);
		o.tier_max_threshold = 4;
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		pick_sizes(&p, sz);
		CHECK(sz[0] == 10 * MiB && sz[1] == 11 * MiB && sz[2] == 12 * MiB &&
			  sz[3] == 13 * MiB);
		CHECK(p.score == 7.0 / 4.0);
		done(&p);
		o.tier_max_threshold = 32;
	}
	/* bucket bounds are inclusive: 150 joins avg 100 with high 1.5 */
	{
		int			s[] = {100, 150, 160, 170};

		tset_reset(&T);
		add_sizes(s, 4);
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		done(&p);
		T.s[1].size = 151 * MiB;
		CHECK(!pick(&o, &p));
	}
	/* being_compacted SSTables are not bucketed */
	{
		int			s[] = {10, 11, 12, 13, 14};

		tset_reset(&T);
		add_sizes(s, 4);
		T.s[1].being_compacted = true;
		CHECK(!pick(&o, &p));
		add_sizes(s + 4, 1);
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		CHECK(!has(&p, 1));
		done(&p);
	}
	/* levels are ignored by tiering */
	{
		int			s[] = {10, 11, 12, 13};

		tset_reset(&T);
		add_sizes(s, 4);
		T.s[2].level = 3;
		CHECK(pick(&o, &p));
		CHECK_EQ_INT(p.nin, 4);
		CHECK_EQ_INT(p.to_level, 0);
		done(&p);
	}
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* Manual picks: whole table, one level, last level; leveled and tiered. */
static void
test_manual(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			a,
				b,
				c,
				d,
				e;

	o.num_levels = 4;

	/* -1: everything into the deepest non-empty level */
	tset_reset(&T);
	add(0, 0, 100, 1);
	add(0, 50, 60, 1);
	add(1, 0, 10, 1);
	add(1, 20, 30, 1);
	add(3, 500, 600, 1);
	CHECK(manual(&o, -1, &p));
	CHECK_EQ_INT(p.nin, 5);
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.to_level, 3);
	CHECK(p.bottommost);
	CHECK(!p.trivial_move);
	CHECK(strncmp(p.reason, "manual", 6) == 0);
	done(&p);
	T.s[1].being_compacted = true;
	CHECK(!manual(&o, -1, &p));
	CHECK_EQ_INT(p.nin, 0);

	/* -1 with a single SSTable: in place, or moved out of L0 into L1 */
	tset_reset(&T);
	add(2, 0, 10, 1);
	CHECK(!manual(&o, -1, &p));
	T.s[0].level = 0;
	CHECK(manual(&o, -1, &p));
	CHECK_EQ_INT(p.nin, 1);
	CHECK_EQ_INT(p.to_level, 1);
	CHECK(!p.trivial_move);
	done(&p);
	/* two SSTables in L0 only: into L1 */
	add(0, 5, 20, 1);
	CHECK(manual(&o, -1, &p));
	CHECK_EQ_INT(p.to_level, 1);
	CHECK_EQ_INT(p.nin, 2);
	done(&p);

	/* one level: all of it plus the overlapping SSTables of the next */
	tset_reset(&T);
	a = add(1, 0, 10, 1);
	b = add(1, 20, 30, 1);
	c = add(2, 5, 8, 1);
	d = add(2, 25, 40, 1);
	e = add(2, 50, 60, 1);
	add(0, 1000, 2000, 1);
	add(3, 55, 56, 1);
	CHECK(manual(&o, 1, &p));
	CHECK_EQ_INT(p.from_level, 1);
	CHECK_EQ_INT(p.to_level, 2);
	CHECK_EQ_INT(p.nin, 4);
	CHECK(has(&p, a) && has(&p, b) && has(&p, c) && has(&p, d) && !has(&p, e));
	CHECK(p.nin >= 2 && p.in[0] == a && p.in[1] == b);	/* from-level inputs first */
	CHECK(p.bottommost);		/* L3 [55,56] is outside [0,40] */
	done(&p);
	T.s[e].being_compacted = true;	/* not needed: no effect */
	CHECK(manual(&o, 1, &p));
	done(&p);
	T.s[d].being_compacted = true;
	CHECK(!manual(&o, 1, &p));
	T.s[d].being_compacted = false;
	T.s[e].being_compacted = false;
	T.hi[d] = 55;				/* overlap below now */
	T.lo[e] = 56;
	tset_fix_keys(&T, d);
	tset_fix_keys(&T, e);
	CHECK(manual(&o, 1, &p));
	CHECK(!p.bottommost);
	done(&p);

	/* an empty level: nothing to do */
	tset_reset(&T);
	add(2, 0, 10, 1);
	CHECK(!manual(&o, 1, &p));
	/* level 0 with a single SSTable and nothing below: a rewrite, not a move */
	add(0, 100, 200, 1);
	CHECK(manual(&o, 0, &p));
	CHECK_EQ_INT(p.nin, 1);
	CHECK(!p.trivial_move);
	done(&p);

	/* the last level compacts into itself */
	tset_reset(&T);
	add(3, 0, 10, 1);
	CHECK(!manual(&o, 3, &p));
	add(3, 20, 30, 1);
	add(2, 0, 100, 1);
	CHECK(manual(&o, 3, &p));
	CHECK_EQ_INT(p.from_level, 3);
	CHECK_EQ_INT(p.to_level, 3);
	CHECK_EQ_INT(p.nin, 2);
	CHECK(!has(&p, 2));
	CHECK(p.bottommost);
	done(&p);

	/* invalid levels */
	CHECK(!manual(&o, 4, &p));
	CHECK(!manual(&o, -2, &p));
	CHECK_EQ_INT(p.nin, 0);

	/* tiered: everything, at any level argument */
	o = tiered();
	tset_reset(&T);
	add(0, 0, 10, MiB);
	CHECK(!manual(&o, -1, &p));
	CHECK(!manual(&o, 0, &p));
	add(0, 5, 20, 100 * MiB);
	add(0, 50, 60, 1000 * MiB);
	CHECK(manual(&o, -1, &p));
	CHECK_EQ_INT(p.nin, 3);
	CHECK_EQ_INT(p.from_level, 0);
	CHECK_EQ_INT(p.to_level, 0);
	CHECK(p.bottommost);
	done(&p);
	CHECK(manual(&o, 2, &p));
	CHECK_EQ_INT(p.nin, 3);
	done(&p);
	T.s[2].being_compacted = true;
	CHECK(!manual(&o, -1, &p));
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* A failing allocator: no pick, nothing leaked, nothing to free. */
static void
test_out_of_memory(void)
{
	lsm_compaction_options o = leveled();
	lsm_compaction_pick p;
	int			i;

	tset_reset(&T);
	for (i = 0; i < 4; i++)
		add(0, i, i + 10, 1);
	test_alloc_st.fail_after = 0;
	CHECK(!pick(&o, &p));
	CHECK_EQ_INT(p.nin, 0);
	CHECK(p.in == NULL);
	CHECK(!manual(&o, -1, &p));
	CHECK(p.in == NULL);
	o = tiered();
	CHECK(!pick(&o, &p));
	CHECK(p.in == NULL);
	test_alloc_st.fail_after = -1;
	CHECK(pick(&o, &p));
	done(&p);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* ---- randomized leveled shapes ---- */

/* Integer hull of the inputs of p at `level` (all levels if level < 0). */
static bool
hull_of(const tset *t, const lsm_compaction_pick *p, int level, int *lo, int *hi)
{
	bool		any = false;
	int			j;

	for (j = 0; j < p->nin; j++)
	{
		int			i = p->in[j];

		if (level >= 0 && t->s[i].level != level)
			continue;
		if (!any || t->lo[i] < *lo)
			*lo = t->lo[i];
		if (!any || t->hi[i] > *hi)
			*hi = t->hi[i];
		any = true;
	}
	return any;
}

/*
 * Brute force: can no compaction out of `level` be picked because of
 * being_compacted SSTables (or an empty level)?
 */
static bool
level_blocked(const tset *t, int level)
{
	int			i,
				j;

	if (level == 0)
	{
		int			lo = 0,
					hi = -1;
		bool		any = false;

		for (i = 0; i < t->n; i++)
			if (t->s[i].level == 0)
			{
				if (t->s[i].being_compacted)
					return true;
				if (!any || t->lo[i] < lo)
					lo = t->lo[i];
				if (!any || t->hi[i] > hi)
					hi = t->hi[i];
				any = true;
			}
		if (!any)
			return true;
		for (i = 0; i < t->n; i++)
			if (t->s[i].level == 1 && t->s[i].being_compacted &&
				ioverlap(lo, hi, t->lo[i], t->hi[i]))
				return true;
		return false;
	}
	for (i = 0; i < t->n; i++)
	{
		bool		ok;

		if (t->s[i].level != level || t->s[i].being_compacted)
			continue;
		ok = true;
		for (j = 0; j < t->n; j++)
			if (t->s[j].level == level + 1 && t->s[j].being_compacted &&
				ioverlap(t->lo[i], t->hi[i], t->lo[j], t->hi[j]))
				ok = false;
		if (ok)
			return false;
	}
	return true;
}

/* Brute force: the Ln SSTable round robin should pick. */
static int
expected_rr(const tset *t, int level, int ptr)
{
	int			best_after = -1,
				best_any = -1;
	int			i;

	/* keys are disjoint within a level: at most one SSTable per smallest key */
	for (i = 0; i < t->n; i++)
	{
		bool		ok = true;
		int			j;

		if (t->s[i].level != level || t->s[i].being_compacted)
			continue;
		for (j = 0; j < t->n; j++)
			if (t->s[j].level == level + 1 && t->s[j].being_compacted &&
				ioverlap(t->lo[i], t->hi[i], t->lo[j], t->hi[j]))
				ok = false;
		if (!ok)
			continue;
		if (best_any < 0 || t->lo[i] < t->lo[best_any])
			best_any = i;
		if (ptr >= 0 && t->lo[i] > ptr &&
			(best_after < 0 || t->lo[i] < t->lo[best_after]))
			best_after = i;
	}
	return best_after >= 0 ? best_after : best_any;
}

/* qsort order of ints. */
static int
int_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return x < y ? -1 : x > y;
}

/* A random leveled shape: L0 overlapping, L1+ disjoint, in random order. */
static void
random_leveled(tset *t, const lsm_compaction_options *o)
{
	int			pts[64];
	int			l,
				i;

	int			nl0 = (int) test_rand_below(8);

	tset_reset(&T2);
	for (i = 0; i < nl0; i++)
	{
		int			lo = (int) test_rand_below(100000);

		add_seq(&T2, 0, lo, lo + (int) test_rand_below(20000),
				1 + test_rand_below(3000), 1, 1);
	}
	for (l = 1; l < o->num_levels; l++)
	{
		int			k = (int) test_rand_below(10);
		int			m = 0;

		while (m < 2 * k)
		{
			int			v = (int) test_rand_below(100000);
			bool		dup = false;

			for (i = 0; i < m; i++)
				dup = dup || pts[i] == v;
			if (!dup)
				pts[m++] = v;
		}
		qsort(pts, m, sizeof(int), int_cmp);
		for (i = 0; i < k; i++)
			add_seq(&T2, l, pts[2 * i], pts[2 * i + 1],
					1 + test_rand_below(3000), 1, 1);
	}
	/* shuffle into t */
	tset_reset(t);
	t->n = T2.n;
	for (i = 0; i < T2.n; i++)
	{
		int			j = (int) test_rand_below(i + 1);

		if (j != i)
		{
			t->s[i] = t->s[j];
			t->lo[i] = t->lo[j];
			t->hi[i] = t->hi[j];
			tset_fix_keys(t, i);
		}
		t->s[j] = T2.s[i];
		t->lo[j] = T2.lo[i];
		t->hi[j] = T2.hi[i];
		tset_fix_keys(t, j);
		t->s[j].being_compacted = test_rand_below(10) == 0;
	}
}

/* Check every invariant of an automatic leveled pick against brute force. */
static void
check_auto(const lsm_compaction_options *o, const tset *t, const int *ptr,
		   bool ok, const lsm_compaction_pick *p, int iter)
{
	int			files[LSM_MAX_LEVELS];
	uint64_t	bytes[LSM_MAX_LEVELS];
	double		scores[LSM_MAX_LEVELS];
	int			failures = lsm_test_failures_in_test;
	int			i,
				j,
				l;

	lsm_compaction_level_stats(o, t->s, t->n, files, bytes, scores);
	if (!ok)
	{
		CHECK_EQ_INT(p->nin, 0);
		for (l = 0; l < o->num_levels - 1; l++)
			if (scores[l] >= 1.0)
				CHECK(level_blocked(t, l));
	}
	else
	{
		int			from = p->from_level,
					to = p->to_level;
		int			nfrom = 0,
					nto = 0;
		int			flo = 0,
					fhi = 0,
					hlo = 0,
					hhi = 0;
		bool		bottom = true;

		CHECK(p->nin >= 1);
		CHECK(from >= 0 && from <= o->num_levels - 2);
		CHECK_EQ_INT(to, from + 1);
		for (j = 0; j < p->nin; j++)
		{
			int			i2 = p->in[j];

			CHECK(i2 >= 0 && i2 < t->n);
			if (i2 < 0 || i2 >= t->n)
				return;
			for (i = 0; i < j; i++)
				CHECK(p->in[i] != i2);
			CHECK(!t->s[i2].being_compacted);
			CHECK(t->s[i2].level == from || t->s[i2].level == to);
			if (t->s[i2].level == from)
				nfrom++;
			else
				nto++;
		}
		if (from == 0)
		{
			/* level-0 groups: no L0 SSTable left out overlaps one taken */
			for (i = 0; i < t->n; i++)
				if (t->s[i].level == 0 && !has(p, i))
					for (j = 0; j < p->nin; j++)
						if (t->s[p->in[j]].level == 0)
							CHECK(!ioverlap(t->lo[i], t->hi[i],
											t->lo[p->in[j]], t->hi[p->in[j]]));
			CHECK(nfrom >= 1 && nfrom <= files[0]);
		}
		else
			CHECK_EQ_INT(nfrom, 1);
		CHECK(hull_of(t, p, from, &flo, &fhi));
		hull_of(t, p, -1, &hlo, &hhi);
		for (i = 0; i < t->n; i++)
		{
			if (t->s[i].level == to && !has(p, i))
			{
				/*
				 * all to_level SSTables overlapping the inputs are taken
				 * (a move of pairwise disjoint SSTables: overlapping each)
				 */
				if (!p->trivial_move)
					CHECK(!ioverlap(flo, fhi, t->lo[i], t->hi[i]));
				/* and the output fits in to_level (a move: each input) */
				if (!p->trivial_move)
					CHECK(!ioverlap(hlo, hhi, t->lo[i], t->hi[i]));
				for (j = 0; j < p->nin; j++)
					CHECK(!ioverlap(t->lo[p->in[j]], t->hi[p->in[j]],
									t->lo[i], t->hi[i]));
			}
			if (t->s[i].level > to && ioverlap(hlo, hhi, t->lo[i], t->hi[i]))
				bottom = false;
		}
		{
			/* moved: nothing of to_level taken, the inputs pairwise disjoint */
			bool		disjoint = true;
			int			a,
						b;

			for (a = 0; a < p->nin; a++)
				for (b = a + 1; b < p->nin; b++)
					if (ioverlap(t->lo[p->in[a]], t->hi[p->in[a]],
								 t->lo[p->in[b]], t->hi[p->in[b]]))
						disjoint = false;
			CHECK_EQ_INT(p->trivial_move, nto == 0 && (nfrom == 1 || (from == 0 && disjoint)));
		}
		CHECK_EQ_INT(p->bottommost, bottom);
		CHECK(p->score == scores[from]);
		CHECK(p->score >= 1.0);
		/* every more urgent level was blocked */
		for (l = 0; l < o->num_levels - 1; l++)
			if (scores[l] > p->score || (scores[l] == p->score && l < from))
				CHECK(level_blocked(t, l));
		if (from >= 1)
			CHECK_EQ_INT(first(p), expected_rr(t, from, ptr[from]));
	}
	if (lsm_test_failures_in_test != failures)
		fprintf(stderr, "  (randomized iteration %d, %s)\n", iter,
				ok ? p->reason : "no pick");
}

/* Check a manual leveled pick against brute force. */
static void
check_manual(const lsm_compaction_options *o, const tset *t, int level,
			 bool ok, const lsm_compaction_pick *p, int iter)
{
	int			failures = lsm_test_failures_in_test;
	int			last = o->num_levels - 1;
	int			deepest = -1,
				nlevel = 0;
	bool		busy = false;
	int			i;

	for (i = 0; i < t->n; i++)
	{
		if (t->s[i].level > deepest)
			deepest = t->s[i].level;
		if (t->s[i].level == level)
			nlevel++;
	}
	if (level == -1)
	{
		int			to = deepest < 1 ? 1 : deepest;

		for (i = 0; i < t->n; i++)
			busy = busy || t->s[i].being_compacted;
		if (t->n == 0 || busy || (t->n == 1 && t->s[0].level == to))
			CHECK(!ok);
		else
		{
			CHECK(ok);
			if (!ok)
				return;
			CHECK_EQ_INT(p->nin, t->n);
			CHECK_EQ_INT(p->to_level, to);
			CHECK(p->bottommost);
			CHECK(!p->trivial_move);
		}
	}
	else
	{
		int			to = level == last ? level : level + 1;
		int			lo = 1 << 30,
					hi = -1,
					expect = 0;
		bool		bottom = true;

		for (i = 0; i < t->n; i++)
			if (t->s[i].level == level)
			{
				if (t->lo[i] < lo)
					lo = t->lo[i];
				if (t->hi[i] > hi)
					hi = t->hi[i];
			}
		/* one pass suffices under the leveled invariant */
		for (i = 0; i < t->n; i++)
			if (t->s[i].level == level ||
				(t->s[i].level == to && ioverlap(lo, hi, t->lo[i], t->hi[i])))
			{
				expect++;
				busy = busy || t->s[i].being_compacted;
			}
		for (i = 0; i < t->n; i++)
			if (t->s[i].level == to && ioverlap(lo, hi, t->lo[i], t->hi[i]))
			{
				if (t->lo[i] < lo)
					lo = t->lo[i];
				if (t->hi[i] > hi)
					hi = t->hi[i];
			}
		for (i = 0; i < t->n; i++)
			if (t->s[i].level > to && ioverlap(lo, hi, t->lo[i], t->hi[i]))
				bottom = false;
		if (nlevel == 0 || busy || (to == level && nlevel == 1))
			CHECK(!ok);
		else
		{
			CHECK(ok);
			if (!ok)
				return;
			CHECK_EQ_INT(p->nin, expect);
			CHECK_EQ_INT(p->from_level, level);
			CHECK_EQ_INT(p->to_level, to);
			CHECK_EQ_INT(p->bottommost, bottom);
			for (i = 0; i < p->nin; i++)
			{
				int			s = p->in[i];
				int			sl = t->s[s].level;

				CHECK(sl == level ||
					  (sl == to && ioverlap(lo, hi, t->lo[s], t->hi[s])));
			}
		}
	}
	if (lsm_test_failures_in_test != failures)
		fprintf(stderr, "  (randomized manual iteration %d, level %d)\n",
				iter, level);
}

/*
 * Random leveled shapes with random busy SSTables and compact pointers:
 * every automatic and manual pick is checked against brute force.
 */
static void
test_randomized_leveled(void)
{
	static tset t;
	int			iter;
	int			picks = 0,
				trivial = 0,
				nopick = 0;

	test_srand(20240601);
	for (iter = 0; iter < 3000; iter++)
	{
		lsm_compaction_options o = leveled();
		lsm_compaction_pick p;
		int			ptr[LSM_MAX_LEVELS];
		int			l,
					level;
		bool		ok;

		o.num_levels = 2 + (int) test_rand_below(LSM_MAX_LEVELS - 1);
		o.l0_trigger = 1 + (int) test_rand_below(5);
		o.base_level_size = 1000 + test_rand_below(4000);
		o.level_multiplier = 2 + (double) test_rand_below(9);
		random_leveled(&t, &o);
		for (l = 0; l < LSM_MAX_LEVELS; l++)
			ptr[l] = test_rand_below(3) ? (int) test_rand_below(100000) : -1;

		ok = pick_t(&o, &t, ptr, &p);
		check_auto(&o, &t, ptr, ok, &p, iter);
		if (ok)
		{
			picks++;
			trivial += p.trivial_move;
		}
		else
			nopick++;
		done(&p);

		level = (int) test_rand_below(o.num_levels + 1) - 1;
		ok = lsm_compaction_pick_manual(&o, cmp, t.s, t.n, level,
										&test_alloc, &p);
		check_manual(&o, &t, level, ok, &p, iter);
		done(&p);
	}
	/* the generator exercises both outcomes */
	CHECK(picks > 300);
	CHECK(trivial > 10);
	CHECK(nopick > 100);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/* ---- randomized tiered shapes ---- */

typedef struct sized
{
	uint64_t	size;
	int			idx;
} sized;

/* qsort order of (size, index), the picker's tiering order. */
static int
sized_cmp(const void *a, const void *b)
{
	const sized *x = a,
			   *y = b;

	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->idx - y->idx;
}

/*
 * Brute-force tiered pick over a sorted array: returns the expected number
 * of inputs (0: none) with their indexes in exp, and the largest bucket.
 */
static int
expected_tiered(const lsm_compaction_options *o, const tset *t, int *exp,
				int *largest)
{
	sized		v[MAXS];
	int			m = 0,
				i,
				b0 = 0;
	int			best = -1,
				bestn = 0;
	double		bestavg = 0;

	for (i = 0; i < t->n; i++)
		if (!t->s[i].being_compacted)
		{
			v[m].size = t->s[i].size;
			v[m].idx = i;
			m++;
		}
	qsort(v, m, sizeof(sized), sized_cmp);
	*largest = 0;
	while (b0 < m)
	{
		int			b1 = b0 + 1;
		double		sum = (double) v[b0].size;

		if (v[b0].size < o->tier_min_size)
			while (b1 < m && v[b1].size < o->tier_min_size)
				sum += (double) v[b1++].size;
		else
			while (b1 < m &&
				   (double) v[b1].size >= sum / (b1 - b0) * o->tier_bucket_low &&
				   (double) v[b1].size <= sum / (b1 - b0) * o->tier_bucket_high)
				sum += (double) v[b1++].size;
		if (b1 - b0 > *largest)
			*largest = b1 - b0;
		if (b1 - b0 >= o->tier_min_threshold &&
			(best < 0 || sum / (b1 - b0) < bestavg))
		{
			best = b0;
			bestn = b1 - b0;
			bestavg = sum / (b1 - b0);
		}
		b0 = b1;
	}
	if (best < 0)
		return 0;
	if (bestn > o->tier_max_threshold)
		bestn = o->tier_max_threshold;
	for (i = 0; i < bestn; i++)
		exp[i] = v[best + i].idx;
	return bestn;
}

/* Random tiered sets: the pick must match a sort-based bucketing. */
static void
test_randomized_tiered(void)
{
	static tset t;
	int			iter;
	int			picks = 0,
				bottom = 0;

	test_srand(777);
	for (iter = 0; iter < 2000; iter++)
	{
		lsm_compaction_options o = tiered();
		lsm_compaction_pick p;
		int			exp[MAXS];
		int			nexp,
					largest,
					i,
					j;
		int			k = (int) test_rand_below(40);
		bool		ok;
		int			failures = lsm_test_failures_in_test;

		o.tier_min_threshold = 2 + (int) test_rand_below(4);
		o.tier_max_threshold = o.tier_min_threshold + (int) test_rand_below(6);
		o.tier_min_size = test_rand_below(2) ? 8 * MiB : 0;
		tset_reset(&t);
		for (i = 0; i < k; i++)
		{
			/* sizes from a few tiers, jittered; seqs by flush order */
			uint64_t	base = (uint64_t) 1 << (20 + 2 * test_rand_below(6));
			uint64_t	size = base + test_rand_below(base / 2 + 1);
			int			lo = (int) test_rand_below(100000);
			uint64_t	s0 = 1 + test_rand_below(1000);

			add_seq(&t, 0, lo, lo + (int) test_rand_below(30000), size,
					s0, s0 + test_rand_below(100));
			t.s[i].being_compacted = test_rand_below(10) == 0;
		}
		nexp = expected_tiered(&o, &t, exp, &largest);
		ok = lsm_compaction_pick_auto(&o, cmp, t.s, t.n, NULL, NULL,
									  &test_alloc, &p);
		CHECK_EQ_INT(ok, nexp > 0);
		if (ok && nexp > 0)
		{
			int			hlo = 0,
						hhi = 0;
			uint64_t	maxseq = 0;
			bool		bm = true;

			picks++;
			CHECK_EQ_INT(p.nin, nexp);
			for (j = 0; j < nexp && j < p.nin; j++)
				CHECK_EQ_INT(p.in[j], exp[j]);
			CHECK(p.score == (double) largest / o.tier_min_threshold);
			CHECK_EQ_INT(p.from_level, 0);
			CHECK_EQ_INT(p.to_level, 0);
			CHECK(!p.trivial_move);
			hull_of(&t, &p, -1, &hlo, &hhi);
			for (j = 0; j < p.nin; j++)
				if (t.s[p.in[j]].max_seq > maxseq)
					maxseq = t.s[p.in[j]].max_seq;
			for (i = 0; i < t.n; i++)
				if (!has(&p, i) && t.s[i].min_seq < maxseq &&
					ioverlap(hlo, hhi, t.lo[i], t.hi[i]))
					bm = false;
			CHECK_EQ_INT(p.bottommost, bm);
			bottom += bm;
		}
		done(&p);
		if (lsm_test_failures_in_test != failures)
			fprintf(stderr, "  (randomized tiered iteration %d)\n", iter);
	}
	CHECK(picks > 200);
	CHECK(bottom > 10 && bottom < picks);
	CHECK_EQ_INT(test_alloc_st.live, 0);
}

/*
 * Each test checks that it leaves no allocation live; start each from zero
 * so that a leak in one failing test is not reported again by the next.
 */
#define RUN_T(fn) \
	do { \
		test_alloc_st.live = 0; \
		test_alloc_st.fail_after = -1; \
		RUN(fn); \
	} while (0)

int
main(void)
{
	RUN_T(test_defaults_and_targets);
	RUN_T(test_level_stats);
	RUN_T(test_empty);
	RUN_T(test_l0_trigger);
	RUN_T(test_l0_overlap_l1);
	RUN_T(test_trivial_move);
	RUN_T(test_round_robin);
	RUN_T(test_priority);
	RUN_T(test_last_level);
	RUN_T(test_being_compacted);
	RUN_T(test_intra_l0);
	RUN_T(test_bottommost_leveled);
	RUN_T(test_bottommost_tiered);
	RUN_T(test_tiered_buckets);
	RUN_T(test_manual);
	RUN_T(test_out_of_memory);
	RUN_T(test_randomized_leveled);
	RUN_T(test_randomized_tiered);
	return TEST_SUMMARY();
}
