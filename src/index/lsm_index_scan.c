/*-------------------------------------------------------------------------
 *
 * index/lsm_index_scan.c
 *	  Scans of an lsm index: equality, ranges, IN lists (array keys), IS
 *	  [NOT] NULL, both directions (ORDER BY ... [DESC] LIMIT, cursors
 *	  turning around), index-only scans and bitmap scans.
 *
 * A scan reads a merged view of the index's memtables and SSTables
 * (engine/lsm_readview.c).  For each combination of array elements (a "sub-scan",
 * enumerated in index order, or backwards) it seeks to a probe built from
 * the leading equality keys and one bound on the next column, then walks
 * the entries in the scan direction.  Of each (key, TID) only the newest
 * entry counts; a DELETE hides the TID.  Every scan key is checked on
 * every entry with its operator; a failing key on a column whose
 * preceding columns all have equality keys ends the sub-scan when the
 * failure lies ahead in the scan direction, as btree's "required" keys
 * do.  When every key column has an equality key of the column's own
 * type, only the memtables and the SSTables whose bloom filter may hold
 * the key are read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/tidbitmap.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/lsm_core.h"
#include "engine/lsm_readview.h"
#include "index/lsm_index.h"
#include "storage/lsm_keys.h"

typedef struct KeyInfo
{
	int			col;			/* 0-based index column */
	int			strategy;		/* BT*StrategyNumber; 0 for IS [NOT] NULL */
	bool		is_null_test;
	bool		search_null;	/* IS NULL (else IS NOT NULL) */
	Datum		arg;
	Oid			subtype;
	Oid			collation;
	FmgrInfo   *opfn;			/* the operator's function */
	FmgrInfo	cmpfn;			/* opfamily comparison (opcintype, subtype) */
	bool		has_cmpfn;
	/* = ANY(array): sorted, distinct elements in index order */
	bool		is_array;
	int			nelems;
	Datum	   *elems;
	int			cur;
} KeyInfo;

typedef enum CheckResult
{
	CHECK_MATCH,
	CHECK_SKIP,
	CHECK_STOP
} CheckResult;

typedef struct LsmIndexScan
{
	LsmIndexInfo *ii;
	MemoryContext cxt;			/* lives as long as the scan */
	MemoryContext tuplecxt;		/* the current tuple */
	LsmReadView *view;
	lsm_iter   *it;				/* view->iter or an owned point iterator */
	bool		owns_it;
	int			nkeys;
	KeyInfo    *keys;
	bool		impossible;
	int			narrays;
	int		   *arrays;			/* indexes of array keys, by column */
	int			eqprefix;		/* leading columns with an equality key */
	bool		started;
	ScanDirection dir;
	bool		exhausted;
	StringInfoData cur;			/* user key of the last entry returned */
	bool		have_cur;
	LsmIndexProbe probe;
	char		probekey[LSM_INDEX_PROBE_KEYLEN + LSM_TRAILER_SIZE];
	Datum	   *values;
	bool	   *isnull;
} LsmIndexScan;

IndexScanDesc
lsmi_beginscan(Relation rel, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(rel, nkeys, norderbys);
	LsmIndexScan *s = palloc0(sizeof(LsmIndexScan));

	s->ii = lsm_index_info(rel);
	s->cxt = AllocSetContextCreate(CurrentMemoryContext, "lsm index scan",
								   ALLOCSET_DEFAULT_SIZES);
	s->tuplecxt = AllocSetContextCreate(s->cxt, "lsm index tuple",
										ALLOCSET_DEFAULT_SIZES);
	s->values = MemoryContextAlloc(s->cxt, sizeof(Datum) * s->ii->natts);
	s->isnull = MemoryContextAlloc(s->cxt, sizeof(bool) * s->ii->natts);
	s->cur.data = NULL;
	scan->xs_itupdesc = RelationGetDescr(rel);
	scan->opaque = s;
	return scan;
}

static void
close_iter(LsmIndexScan *s)
{
	if (s->it && s->owns_it)
	{
		ResourceOwner saved = CurrentResourceOwner;

		CurrentResourceOwner = s->view->owner;
		lsm_iter_destroy(s->it);
		CurrentResourceOwner = saved;
	}
	s->it = NULL;
	s->owns_it = false;
}

static void
close_view(LsmIndexScan *s)
{
	close_iter(s);
	if (s->view)
		lsm_read_view_close(s->view);
	s->view = NULL;
}

/* Comparison function of the opfamily for (opcintype, type). */
static void
lookup_cmpfn(LsmIndexScan *s, KeyInfo *k, Oid type, FmgrInfo *fn)
{
	LsmIndexCol *c = &s->ii->cols[k->col];
	Oid			proc;

	proc = get_opfamily_proc(c->opfamily, c->opcintype,
							 OidIsValid(type) ? type : c->opcintype, BTORDER_PROC);
	if (!OidIsValid(proc))
		elog(ERROR, "missing support function %d(%u,%u) in opfamily %u",
			 BTORDER_PROC, c->opcintype, type, c->opfamily);
	fmgr_info_cxt(proc, fn, s->cxt);
}

typedef struct SortCtx
{
	FmgrInfo	fn;
	Oid			collation;
	bool		desc;
} SortCtx;

static int
elem_cmp(const void *a, const void *b, void *arg)
{
	SortCtx    *c = (SortCtx *) arg;
	int			r = DatumGetInt32(FunctionCall2Coll(&c->fn, c->collation,
													*(const Datum *) a,
													*(const Datum *) b));

	if (c->desc)
		INVERT_COMPARE_RESULT(r);
	return r;
}

/* Deconstruct an array key: sorted distinct elements, or one extreme. */
static void
prepare_array(LsmIndexScan *s, KeyInfo *k, ScanKey sk)
{
	ArrayType  *arr = DatumGetArrayTypeP(sk->sk_argument);
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i,
				j;
	SortCtx		sc;
	LsmIndexCol *c = &s->ii->cols[k->col];

	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &elmlen, &elmbyval, &elmalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), elmlen, elmbyval, elmalign,
					  &elems, &nulls, &n);
	for (i = 0, j = 0; i < n; i++)
		if (!nulls[i])
			elems[j++] = elems[i];
	n = j;
	if (n == 0)
	{
		s->impossible = true;
		return;
	}
	/* sort the elements with the element type's own comparison */
	{
		Oid			et = OidIsValid(k->subtype) ? k->subtype : c->opcintype;
		Oid			proc = get_opfamily_proc(c->opfamily, et, et, BTORDER_PROC);

		if (!OidIsValid(proc))
			elog(ERROR, "missing support function %d(%u,%u) in opfamily %u",
				 BTORDER_PROC, et, et, c->opfamily);
		fmgr_info_cxt(proc, &sc.fn, s->cxt);
		sc.collation = k->collation;
		sc.desc = c->desc;
	}
	qsort_arg(elems, n, sizeof(Datum), elem_cmp, &sc);
	if (k->strategy == BTEqualStrategyNumber)
	{
		for (i = 1, j = 1; i < n; i++)
			if (elem_cmp(&elems[j - 1], &elems[i], &sc) != 0)
				elems[j++] = elems[i];
		k->is_array = true;
		k->elems = elems;
		k->nelems = j;
		k->cur = 0;
		k->arg = elems[0];
		return;
	}
	/* col < ANY(a) is col < max(a); col > ANY(a) is col > min(a) */
	sc.desc = false;
	qsort_arg(elems, n, sizeof(Datum), elem_cmp, &sc);
	if (k->strategy == BTLessStrategyNumber || k->strategy == BTLessEqualStrategyNumber)
		k->arg = elems[n - 1];
	else
		k->arg = elems[0];
}

void
lsmi_rescan(IndexScanDesc scan, ScanKey keys, int nkeys,
			ScanKey orderbys, int norderbys)
{
	LsmIndexScan *s = (LsmIndexScan *) scan->opaque;
	MemoryContext old;
	int			i;
	bool		eqcol[INDEX_MAX_KEYS];

	close_view(s);
	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));

	/* everything of the previous keys goes; the view is reopened lazily */
	MemoryContextReset(s->tuplecxt);
	old = MemoryContextSwitchTo(s->cxt);
	s->keys = palloc0(sizeof(KeyInfo) * Max(1, scan->numberOfKeys));
	s->nkeys = 0;
	s->impossible = false;
	s->narrays = 0;
	s->arrays = palloc(sizeof(int) * Max(1, scan->numberOfKeys));
	s->started = false;
	s->exhausted = false;
	s->have_cur = false;
	if (s->cur.data == NULL)
		initStringInfo(&s->cur);
	memset(eqcol, 0, sizeof(eqcol));

	for (i = 0; i < scan->numberOfKeys; i++)
	{
		ScanKey		sk = &scan->keyData[i];
		KeyInfo    *k = &s->keys[s->nkeys];

		k->col = sk->sk_attno - 1;
		k->strategy = sk->sk_strategy;
		k->subtype = sk->sk_subtype;
		k->collation = sk->sk_collation;
		k->opfn = &sk->sk_func;
		if (sk->sk_flags & SK_ISNULL)
		{
			if (!(sk->sk_flags & (SK_SEARCHNULL | SK_SEARCHNOTNULL)))
			{
				s->impossible = true;	/* col op NULL is never true */
				break;
			}
			k->is_null_test = true;
			k->search_null = (sk->sk_flags & SK_SEARCHNULL) != 0;
			k->strategy = 0;
			if (k->search_null)
				eqcol[k->col] = true;
			s->nkeys++;
			continue;
		}
		if (sk->sk_flags & SK_ROW_HEADER)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("row comparisons are not supported by lsm indexes")));
		k->arg = sk->sk_argument;
		if (sk->sk_flags & SK_SEARCHARRAY)
		{
			prepare_array(s, k, sk);
			if (s->impossible)
				break;
			if (k->is_array)
			{
				/* by column, so that combinations come in index order */
				int			j = s->narrays;

				while (j > 0 && s->keys[s->arrays[j - 1]].col > k->col)
				{
					s->arrays[j] = s->arrays[j - 1];
					j--;
				}
				s->arrays[j] = s->nkeys;
				s->narrays++;
			}
		}
		lookup_cmpfn(s, k, k->subtype, &k->cmpfn);
		k->has_cmpfn = true;
		if (k->strategy == BTEqualStrategyNumber)
			eqcol[k->col] = true;
		s->nkeys++;
	}
	s->eqprefix = 0;
	while (s->eqprefix < s->ii->nkeys && eqcol[s->eqprefix])
		s->eqprefix++;
	MemoryContextSwitchTo(old);
}

/* The strategy as seen in index order (DESC columns swap < and >). */
static int
index_order_strategy(LsmIndexScan *s, KeyInfo *k)
{
	if (!s->ii->cols[k->col].desc)
		return k->strategy;
	return BTMaxStrategyNumber + 1 - k->strategy;
}

/* Arrays to their first (forward) or last combination. */
static void
arrays_reset(LsmIndexScan *s, ScanDirection dir)
{
	int			i;

	for (i = 0; i < s->narrays; i++)
	{
		KeyInfo    *k = &s->keys[s->arrays[i]];

		k->cur = ScanDirectionIsForward(dir) ? 0 : k->nelems - 1;
		k->arg = k->elems[k->cur];
	}
}

/* Next combination in dir; false (unchanged) after the last. */
static bool
arrays_advance(LsmIndexScan *s, ScanDirection dir)
{
	int			i;

	for (i = s->narrays - 1; i >= 0; i--)
	{
		KeyInfo    *k = &s->keys[s->arrays[i]];

		if (ScanDirectionIsForward(dir) ? k->cur + 1 < k->nelems : k->cur > 0)
		{
			int			j;

			k->cur += ScanDirectionIsForward(dir) ? 1 : -1;
			k->arg = k->elems[k->cur];
			for (j = i + 1; j < s->narrays; j++)
			{
				KeyInfo    *kj = &s->keys[s->arrays[j]];

				kj->cur = ScanDirectionIsForward(dir) ? 0 : kj->nelems - 1;
				kj->arg = kj->elems[kj->cur];
			}
			return true;
		}
	}
	return false;
}

/*
 * Choose the entries to read for the current combination: a point
 * iterator (bloom filters) when every key column has an equality key of
 * its own type, else the whole merged view.
 */
static void
choose_iter(LsmIndexScan *s)
{
	LsmIndexInfo *ii = s->ii;
	KeyInfo    *eq[INDEX_MAX_KEYS];
	int			col;
	int			i;

	close_iter(s);
	if (!ii->bloom_ok || s->eqprefix < ii->nkeys)
	{
		s->it = s->view->iter;
		return;
	}
	memset(eq, 0, sizeof(eq));
	for (i = 0; i < s->nkeys; i++)
	{
		KeyInfo    *k = &s->keys[i];

		if (eq[k->col])
			continue;
		if (k->is_null_test ? k->search_null :
			(k->strategy == BTEqualStrategyNumber &&
			 (!OidIsValid(k->subtype) || k->subtype == ii->cols[k->col].opcintype)))
			eq[k->col] = k;
	}
	for (col = 0; col < ii->nkeys; col++)
		if (eq[col] == NULL)
		{
			s->it = s->view->iter;
			return;
		}
	{
		StringInfoData key;
		Datum		vals[INDEX_MAX_KEYS];
		bool		nulls[INDEX_MAX_KEYS];
		ResourceOwner saved = CurrentResourceOwner;
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		for (col = 0; col < ii->nkeys; col++)
		{
			nulls[col] = eq[col]->is_null_test;
			vals[col] = nulls[col] ? (Datum) 0 : eq[col]->arg;
		}
		initStringInfo(&key);
		lsm_index_encode_cols(ii, &key, vals, nulls, 0, ii->nkeys);
		/* a user key: the bloom prefix drops the TID */
		appendBinaryStringInfo(&key, "\0\0\0\0\0\0", LSM_INDEX_TID_LEN);
		CurrentResourceOwner = s->view->owner;
		s->it = lsm_view_point_iter(s->view, key.data, key.len);
		CurrentResourceOwner = saved;
		s->owns_it = true;
		pfree(key.data);
		MemoryContextSwitchTo(old);
	}
}

static void
seek_ukey(LsmIndexScan *s, const char *ukey, size_t len, uint64 seq, lsm_entry_type type)
{
	char	   *ik = palloc(len + LSM_TRAILER_SIZE);

	memcpy(ik, ukey, len);
	lsm_trailer_encode(ik + len, seq, type);
	lsm_iter_seek(s->it, ik, len + LSM_TRAILER_SIZE);
	pfree(ik);
}

/*
 * Position for the current combination: forward at the newest entry of
 * the first key, backward at the oldest entry of the last one.
 */
static void
position_start(LsmIndexScan *s, ScanDirection dir)
{
	LsmIndexInfo *ii = s->ii;
	LsmIndexProbe *pr = &s->probe;
	bool		fwd = ScanDirectionIsForward(dir);
	bool		exclusive = false;
	int			col;
	int			i;

	choose_iter(s);
	pr->ncols = 0;
	for (col = 0; col < ii->nkeys; col++)
	{
		KeyInfo    *eqk = NULL;
		KeyInfo    *bound = NULL;

		for (i = 0; i < s->nkeys && eqk == NULL; i++)
		{
			KeyInfo    *k = &s->keys[i];

			if (k->col != col)
				continue;
			if ((k->is_null_test && k->search_null) ||
				(!k->is_null_test && k->strategy == BTEqualStrategyNumber))
				eqk = k;
			else if (!k->is_null_test && bound == NULL)
			{
				int			st = index_order_strategy(s, k);

				if (fwd ? (st == BTGreaterStrategyNumber || st == BTGreaterEqualStrategyNumber) :
					(st == BTLessStrategyNumber || st == BTLessEqualStrategyNumber))
					bound = k;
			}
		}
		if (eqk)
		{
			pr->cols[pr->ncols].isnull = eqk->is_null_test;
			pr->cols[pr->ncols].value = eqk->arg;
			pr->cols[pr->ncols].cmpfn = eqk->has_cmpfn ? &eqk->cmpfn : NULL;
			pr->ncols++;
			continue;
		}
		if (bound)
		{
			int			st = index_order_strategy(s, bound);

			pr->cols[pr->ncols].isnull = false;
			pr->cols[pr->ncols].value = bound->arg;
			pr->cols[pr->ncols].cmpfn = &bound->cmpfn;
			pr->ncols++;
			exclusive = (st == BTGreaterStrategyNumber || st == BTLessStrategyNumber);
		}
		break;
	}

	if (pr->ncols == 0)
	{
		if (fwd)
			lsm_iter_seek_first(s->it);
		else
			lsm_iter_seek_last(s->it);
		return;
	}
	/* equal entries: included unless the bound is exclusive */
	if (fwd)
		pr->bias = exclusive ? -1 : 1;
	else
		pr->bias = exclusive ? 1 : -1;
	lsm_index_probe_key(s->probekey, pr);
	lsm_trailer_encode(s->probekey + LSM_INDEX_PROBE_KEYLEN, LSM_MAX_SEQ, LSM_TYPE_LOCK);
	lsm_iter_seek(s->it, s->probekey, sizeof(s->probekey));
	if (!fwd)
	{
		if (lsm_iter_valid(s->it))
			lsm_iter_prev(s->it);
		else
			lsm_iter_seek_last(s->it);
	}
}

static bool
same_ukey(LsmIndexScan *s, const char *a, size_t alen, const char *b, size_t blen)
{
	MemoryContext old;
	int			r;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return true;
	old = MemoryContextSwitchTo(s->ii->tmpcxt);
	r = lsm_index_compare_keys(s->ii, a, alen, b, blen, true);
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->ii->tmpcxt);
	return r == 0;
}

/*
 * The newest entry of the next (key, TID) in dir, copied into tuplecxt;
 * false at the end.
 */
static bool
next_entry(LsmIndexScan *s, ScanDirection dir, char **ukey, size_t *ulen,
		   lsm_entry_type *type, char **val, size_t *vlen)
{
	lsm_iter   *it = s->it;
	size_t		klen;
	const char *k;
	const char *v;

	if (!lsm_iter_valid(it))
	{
		if (lsm_iter_status(it) != LSM_OK)
			lsm_check_iter_status(s->view, it);
		return false;
	}
	k = lsm_iter_key(it, &klen);
	if (klen < LSM_TRAILER_SIZE + LSM_INDEX_TID_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("invalid entry in lsm index \"%s\"",
						RelationGetRelationName(s->view->rel))));
	*ulen = klen - LSM_TRAILER_SIZE;
	*ukey = MemoryContextAlloc(s->tuplecxt, *ulen);
	memcpy(*ukey, k, *ulen);
	for (;;)
	{
		v = lsm_iter_value(it, vlen);
		*val = MemoryContextAlloc(s->tuplecxt, Max(*vlen, 1));
		memcpy(*val, v, *vlen);
		lsm_ikey_decode(k, klen, NULL, NULL, type);
		/* step over the other entries of this key; backward, they are newer */
		if (ScanDirectionIsForward(dir))
		{
			do
			{
				lsm_iter_next(it);
				if (!lsm_iter_valid(it))
					break;
				k = lsm_iter_key(it, &klen);
			} while (klen >= LSM_TRAILER_SIZE &&
					 same_ukey(s, k, klen - LSM_TRAILER_SIZE, *ukey, *ulen));
			break;
		}
		lsm_iter_prev(it);
		if (!lsm_iter_valid(it))
			break;
		k = lsm_iter_key(it, &klen);
		if (klen < LSM_TRAILER_SIZE ||
			!same_ukey(s, k, klen - LSM_TRAILER_SIZE, *ukey, *ulen))
			break;
	}
	if (!lsm_iter_valid(it) && lsm_iter_status(it) != LSM_OK)
		lsm_check_iter_status(s->view, it);
	return true;
}

static CheckResult
check_keys(LsmIndexScan *s, ScanDirection dir)
{
	bool		fwd = ScanDirectionIsForward(dir);
	int			i;

	for (i = 0; i < s->nkeys; i++)
	{
		KeyInfo    *k = &s->keys[i];
		LsmIndexCol *c = &s->ii->cols[k->col];
		bool		required = k->col <= s->eqprefix;
		bool		isnull = s->isnull[k->col];
		int			st;

		if (k->is_null_test)
		{
			if (k->search_null == isnull)
				continue;
			if (!required)
				return CHECK_SKIP;
			if (k->search_null)
				return CHECK_STOP;
			/* IS NOT NULL met a NULL: the NULLs lie at one end */
			return (c->nulls_first ? !fwd : fwd) ? CHECK_STOP : CHECK_SKIP;
		}
		if (isnull)
		{
			if (!required)
				return CHECK_SKIP;
			return (c->nulls_first ? !fwd : fwd) ? CHECK_STOP : CHECK_SKIP;
		}
		if (DatumGetBool(FunctionCall2Coll(k->opfn, k->collation,
										   s->values[k->col], k->arg)))
			continue;
		if (!required)
			return CHECK_SKIP;
		st = index_order_strategy(s, k);
		if (st == BTEqualStrategyNumber)
			return CHECK_STOP;
		if (fwd)
			return (st == BTLessStrategyNumber || st == BTLessEqualStrategyNumber) ?
				CHECK_STOP : CHECK_SKIP;
		return (st == BTGreaterStrategyNumber || st == BTGreaterEqualStrategyNumber) ?
			CHECK_STOP : CHECK_SKIP;
	}
	return CHECK_MATCH;
}

/* The next matching entry of the current combination. */
static bool
next_match(IndexScanDesc scan, LsmIndexScan *s, ScanDirection dir)
{
	for (;;)
	{
		char	   *ukey;
		char	   *val;
		size_t		ulen;
		size_t		vlen;
		lsm_entry_type type;
		CheckResult r;
		ResourceOwner saved = CurrentResourceOwner;
		bool		found;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(s->tuplecxt);
		CurrentResourceOwner = s->view->owner;
		found = next_entry(s, dir, &ukey, &ulen, &type, &val, &vlen);
		CurrentResourceOwner = saved;
		if (!found)
			return false;
		if (type != LSM_TYPE_PUT)
			continue;
		lsm_index_decode(s->ii, ukey, ulen - LSM_INDEX_TID_LEN, 0, s->ii->nkeys,
						 s->values, s->isnull, s->tuplecxt);
		r = check_keys(s, dir);
		if (r == CHECK_STOP)
			return false;
		if (r == CHECK_SKIP)
			continue;
		lsm_index_decode_tid(ukey, ulen, &scan->xs_heaptid);
		resetStringInfo(&s->cur);
		appendBinaryStringInfo(&s->cur, ukey, ulen);
		s->have_cur = true;
		if (scan->xs_want_itup)
		{
			MemoryContext old = MemoryContextSwitchTo(s->tuplecxt);

			lsm_index_decode(s->ii, val, vlen, s->ii->nkeys, s->ii->natts,
							 s->values, s->isnull, s->tuplecxt);
			scan->xs_itup = index_form_tuple(RelationGetDescr(scan->indexRelation),
											 s->values, s->isnull);
			MemoryContextSwitchTo(old);
		}
		return true;
	}
}

/* Turn around: continue from the last entry returned, in dir. */
static void
reverse(LsmIndexScan *s, ScanDirection dir)
{
	bool		include = s->exhausted;
	ResourceOwner saved = CurrentResourceOwner;

	CurrentResourceOwner = s->view->owner;
	if (ScanDirectionIsForward(dir))
	{
		seek_ukey(s, s->cur.data, s->cur.len, LSM_MAX_SEQ, LSM_TYPE_LOCK);
		if (!include)
		{
			while (lsm_iter_valid(s->it))
			{
				size_t		klen;
				const char *k = lsm_iter_key(s->it, &klen);

				if (!same_ukey(s, k, klen - LSM_TRAILER_SIZE, s->cur.data, s->cur.len))
					break;
				lsm_iter_next(s->it);
			}
		}
	}
	else
	{
		if (include)
			seek_ukey(s, s->cur.data, s->cur.len, 0, 0);
		else
			seek_ukey(s, s->cur.data, s->cur.len, LSM_MAX_SEQ, LSM_TYPE_LOCK);
		if (lsm_iter_valid(s->it))
			lsm_iter_prev(s->it);
		else
			lsm_iter_seek_last(s->it);
	}
	CurrentResourceOwner = saved;
}

static bool
scan_next(IndexScanDesc scan, LsmIndexScan *s, ScanDirection dir)
{
	if (s->impossible)
		return false;
	if (s->view == NULL)
		s->view = lsm_read_view_open(scan->indexRelation, NULL, s->cxt);
	if (!s->started)
	{
		s->started = true;
		s->dir = dir;
		arrays_reset(s, dir);
		position_start(s, dir);
	}
	else if (dir != s->dir)
	{
		if (!s->have_cur)
			return false;		/* nothing was found either way */
		reverse(s, dir);
		s->dir = dir;
	}
	else if (s->exhausted)
		return false;
	s->exhausted = false;
	for (;;)
	{
		if (next_match(scan, s, dir))
			return true;
		if (s->narrays == 0 || !arrays_advance(s, dir))
		{
			s->exhausted = true;
			return false;
		}
		position_start(s, dir);
	}
}

bool
lsmi_gettuple(IndexScanDesc scan, ScanDirection dir)
{
	LsmIndexScan *s = (LsmIndexScan *) scan->opaque;

	scan->xs_recheck = false;
	return scan_next(scan, s, dir);
}

int64
lsmi_getbitmap(IndexScanDesc scan, TIDBitmap *tbm)
{
	LsmIndexScan *s = (LsmIndexScan *) scan->opaque;
	int64		n = 0;

	while (scan_next(scan, s, ForwardScanDirection))
	{
		tbm_add_tuples(tbm, &scan->xs_heaptid, 1, false);
		n++;
	}
	return n;
}

void
lsmi_endscan(IndexScanDesc scan)
{
	LsmIndexScan *s = (LsmIndexScan *) scan->opaque;

	close_view(s);
	MemoryContextDelete(s->cxt);
	pfree(s);
}
