/*-------------------------------------------------------------------------
 *
 * lsm_keys.c
 *	  Keys: row ids and TIDs; index entry keys, their encoding of (key
 *	  columns, TID), decoding, and the comparator the engine core uses for
 *	  an lsm index (format in lsm_keys.h); which relations are lsm's.
 *
 * The comparator decodes the columns of both keys and compares them with
 * the sort support of each column's "<" operator (the btree order of the
 * opclass), honoring DESC, NULLS FIRST and the column's collation; equal
 * columns fall back to the TID bytes.  It is backend-local (function
 * pointers), built from the relcache on first use and kept for the life of
 * the backend: SSTable readers cached across transactions point at it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "access/relation.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/uuid.h"
#include "utils/memutils.h"

#include "core/lsm_core.h"
#include "storage/lsm_format.h"
#include "storage/lsm_keys.h"

static LsmIndexInfo *index_infos = NULL;

bool
lsm_rel_is_index(Relation rel)
{
	return rel->rd_rel->relkind == RELKIND_INDEX;
}

/* ---------- row ids and TIDs ---------- */

void
lsm_rowid_to_tid(uint64 rowid, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (rowid / LSM_TIDS_PER_BLOCK),
				   (OffsetNumber) (rowid % LSM_TIDS_PER_BLOCK + 1));
}

uint64
lsm_tid_to_rowid(ItemPointer tid)
{
	return (uint64) ItemPointerGetBlockNumberNoCheck(tid) * LSM_TIDS_PER_BLOCK +
		ItemPointerGetOffsetNumberNoCheck(tid) - 1;
}

/* ---------- which relations are lsm's ---------- */

static const TableAmRoutine *lsm_table_routine = NULL;
static IndexBuildResult *(*lsm_index_build) (Relation, Relation, struct IndexInfo *) = NULL;

void
lsm_register_table_am(const TableAmRoutine *routine)
{
	lsm_table_routine = routine;
}

void
lsm_register_index_am(IndexBuildResult *(*ambuild) (Relation, Relation, struct IndexInfo *))
{
	lsm_index_build = ambuild;
}

bool
lsm_rel_is_lsm_table(Relation rel)
{
	Assert(lsm_table_routine != NULL);
	return rel->rd_tableam != NULL && rel->rd_tableam == lsm_table_routine;
}

bool
lsm_rel_is_lsm_index(Relation rel)
{
	Assert(lsm_index_build != NULL);
	return rel->rd_rel->relkind == RELKIND_INDEX && rel->rd_indam != NULL &&
		rel->rd_indam->ambuild == lsm_index_build;
}

/* ---------- decoding ---------- */

static void
corrupt_key(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("invalid entry key in lsm index")));
}

/* ---------- ordered keys ---------- */

#define OKEY_NULL_FIRST	0x01
#define OKEY_VALUE		0x02
#define OKEY_NULL_LAST	0x03

static void
put_ordered_byte(StringInfo buf, unsigned char b, bool desc)
{
	appendStringInfoChar(buf, (char) (desc ? ~b : b));
}

/* Append one key column in its order-preserving encoding. */
static void
encode_ordered_col(const LsmIndexCol *c, StringInfo buf, Datum value, bool isnull)
{
	int			i;

	if (isnull)
	{
		appendStringInfoChar(buf, c->nulls_first ? OKEY_NULL_FIRST : OKEY_NULL_LAST);
		return;
	}
	appendStringInfoChar(buf, OKEY_VALUE);
	switch (c->enc)
	{
		case LSM_ENC_INT:
		case LSM_ENC_UINT:
			{
				uint64		u;

				if (c->typlen == 2)
					u = (uint16) DatumGetInt16(value);
				else if (c->typlen == 4)
					u = (uint32) DatumGetInt32(value);
				else
					u = (uint64) DatumGetInt64(value);
				if (c->enc == LSM_ENC_INT)
					u ^= UINT64CONST(1) << (c->typlen * 8 - 1);
				for (i = c->typlen - 1; i >= 0; i--)
					put_ordered_byte(buf, (unsigned char) (u >> (i * 8)), c->desc);
				break;
			}
		case LSM_ENC_BOOL:
			put_ordered_byte(buf, DatumGetBool(value) ? 1 : 0, c->desc);
			break;
		case LSM_ENC_RAW:
			{
				const unsigned char *b = (const unsigned char *) DatumGetPointer(value);

				for (i = 0; i < c->typlen; i++)
					put_ordered_byte(buf, b[i], c->desc);
				break;
			}
		case LSM_ENC_BYTES:
			{
				struct varlena *v = PG_DETOAST_DATUM_PACKED(value);
				const unsigned char *b = (const unsigned char *) VARDATA_ANY(v);
				Size		len = VARSIZE_ANY_EXHDR(v);
				Size		k;

				for (k = 0; k < len; k++)
				{
					put_ordered_byte(buf, b[k], c->desc);
					if (b[k] == 0)
						put_ordered_byte(buf, 0xFF, c->desc);
				}
				put_ordered_byte(buf, 0x00, c->desc);
				put_ordered_byte(buf, 0x01, c->desc);
				break;
			}
		case LSM_ENC_NONE:
			elog(ERROR, "lsm index column without an ordered encoding");
	}
}

/* Decode one ordered key column (decode_col's contract). */
static const char *
decode_ordered_col(const LsmIndexCol *c, const char *p, const char *end,
				   Datum *val, bool *isnull, MemoryContext cxt)
{
	const unsigned char *q = (const unsigned char *) p;
	const unsigned char *e = (const unsigned char *) end;
	unsigned char flip = c->desc ? 0xFF : 0x00;
	int			i;

	if (q >= e)
		corrupt_key();
	if (*q == OKEY_NULL_FIRST || *q == OKEY_NULL_LAST)
	{
		*isnull = true;
		*val = (Datum) 0;
		return p + 1;
	}
	if (*q != OKEY_VALUE)
		corrupt_key();
	q++;
	*isnull = false;
	switch (c->enc)
	{
		case LSM_ENC_INT:
		case LSM_ENC_UINT:
			{
				uint64		u = 0;

				if (q + c->typlen > e)
					corrupt_key();
				for (i = 0; i < c->typlen; i++)
					u = (u << 8) | (unsigned char) (q[i] ^ flip);
				if (c->enc == LSM_ENC_INT)
					u ^= UINT64CONST(1) << (c->typlen * 8 - 1);
				if (c->typlen == 2)
					*val = Int16GetDatum((int16) (uint16) u);
				else if (c->typlen == 4)
					*val = Int32GetDatum((int32) (uint32) u);
				else
					*val = Int64GetDatum((int64) u);
				return (const char *) q + c->typlen;
			}
		case LSM_ENC_BOOL:
			if (q + 1 > e)
				corrupt_key();
			*val = BoolGetDatum((q[0] ^ flip) != 0);
			return (const char *) q + 1;
		case LSM_ENC_RAW:
			{
				unsigned char *copy;

				if (q + c->typlen > e)
					corrupt_key();
				copy = MemoryContextAlloc(cxt, c->typlen);
				for (i = 0; i < c->typlen; i++)
					copy[i] = q[i] ^ flip;
				*val = PointerGetDatum(copy);
				return (const char *) q + c->typlen;
			}
		case LSM_ENC_BYTES:
			{
				const unsigned char *r;
				Size		len = 0;
				struct varlena *v;
				char	   *d;

				/* the length first: bytes up to the 0x00 0x01 terminator */
				for (r = q;; r++)
				{
					if (r >= e)
						corrupt_key();
					if ((unsigned char) (*r ^ flip) == 0)
					{
						if (r + 1 >= e)
							corrupt_key();
						if ((unsigned char) (r[1] ^ flip) == 0x01)
							break;
						if ((unsigned char) (r[1] ^ flip) != 0xFF)
							corrupt_key();
						r++;
					}
					len++;
				}
				v = MemoryContextAlloc(cxt, VARHDRSZ + len);
				SET_VARSIZE(v, VARHDRSZ + len);
				d = VARDATA(v);
				for (r = q; len > 0; r++)
				{
					*d++ = (char) (*r ^ flip);
					if ((unsigned char) (*r ^ flip) == 0)
						r++;		/* the escape */
					len--;
				}
				/* r is at the terminator */
				*val = PointerGetDatum(v);
				return (const char *) r + 2;
			}
		case LSM_ENC_NONE:
			break;
	}
	corrupt_key();
	return NULL;				/* keep compiler quiet */
}

/*
 * Which ordered encoding key column i of index can have: by the column's
 * comparison (support function 1 of its opfamily), so that byte order is
 * that order; LSM_ENC_NONE if none.
 */
static LsmKeyEnc
column_ordered_enc(Relation index, int i, const LsmIndexCol *c)
{
	Oid			proc = get_opfamily_proc(index->rd_opfamily[i], index->rd_opcintype[i],
										 index->rd_opcintype[i], BTORDER_PROC);

	switch (proc)
	{
		case F_BTINT2CMP:
		case F_BTINT4CMP:
		case F_BTINT8CMP:
		case F_DATE_CMP:
		case F_TIME_CMP:
		case F_TIMESTAMP_CMP:
		case F_TIMESTAMPTZ_CMP:
			if (c->typbyval && (c->typlen == 2 || c->typlen == 4 || c->typlen == 8))
				return LSM_ENC_INT;
			break;
		case F_BTOIDCMP:
			if (c->typbyval && c->typlen == 4)
				return LSM_ENC_UINT;
			break;
		case F_BTBOOLCMP:
			if (c->typbyval && c->typlen == 1)
				return LSM_ENC_BOOL;
			break;
		case F_UUID_CMP:
			if (!c->typbyval && c->typlen == UUID_LEN)
				return LSM_ENC_RAW;
			break;
		case F_BYTEACMP:
			if (c->typlen == -1)
				return LSM_ENC_BYTES;
			break;
		case F_BTTEXTCMP:
			if (c->typlen == -1 && OidIsValid(c->collation) && lc_collate_is_c(c->collation))
				return LSM_ENC_BYTES;
			break;
	}
	return LSM_ENC_NONE;
}

/*
 * Does the index's storage use ordered keys?  Its metapage says so (a
 * flag set when the metapage is made and never changed, so it is read
 * with a pin only: the caller may hold the metapage locked); a relation
 * with no metapage yet gets one with the flag.
 */
static bool
storage_keys_ordered(Relation index)
{
	Buffer		buf;
	bool		ordered;

	if (RelationGetNumberOfBlocks(index) == 0)
		return true;
	buf = ReadBufferExtended(index, MAIN_FORKNUM, LSM_METAPAGE_BLKNO, RBM_NORMAL, NULL);
	ordered = (LsmPageGetMeta(BufferGetPage(buf))->flags & LSM_META_KEYS_ORDERED) != 0;
	ReleaseBuffer(buf);
	return ordered;
}

/*
 * Decode one column at p (bounded by end) into *val and *isnull; returns the
 * position after it.  Values needing alignment are copied into cxt.
 */
static const char *
decode_col(const LsmIndexCol *c, const char *p, const char *end,
		   Datum *val, bool *isnull, MemoryContext cxt)
{
	if (c->enc != LSM_ENC_NONE)
		return decode_ordered_col(c, p, end, val, isnull, cxt);
	if (p >= end)
		corrupt_key();
	if (*p == 0)
	{
		*isnull = true;
		*val = (Datum) 0;
		return p + 1;
	}
	p++;
	*isnull = false;
	if (c->typlen > 0)
	{
		if (p + c->typlen > end)
			corrupt_key();
		if (c->typbyval)
		{
			union
			{
				int64		i8;
				int32		i4;
				int16		i2;
				char		c;
			}			u;

			memcpy(&u, p, c->typlen);
			*val = fetch_att(&u, true, c->typlen);
		}
		else if (c->typalign == TYPALIGN_CHAR)
			*val = PointerGetDatum(p);
		else
		{
			char	   *copy = MemoryContextAlloc(cxt, c->typlen);

			memcpy(copy, p, c->typlen);
			*val = PointerGetDatum(copy);
		}
		return p + c->typlen;
	}
	if (c->typlen == -1)
	{
		Size		len;

		if (VARATT_IS_1B(p))
		{
			len = VARSIZE_1B(p);
			if (len < 1 || p + len > end || VARATT_IS_1B_E(p))
				corrupt_key();
			*val = PointerGetDatum(p);
			return p + len;
		}
		else
		{
			uint32		hdr;

			if (p + 4 > end)
				corrupt_key();
			memcpy(&hdr, p, 4);
			len = VARSIZE_4B(&hdr);
			if (len < 4 || p + len > end)
				corrupt_key();
			if (((uintptr_t) p & 3) == 0)
				*val = PointerGetDatum(p);
			else
			{
				char	   *copy = MemoryContextAlloc(cxt, len);

				memcpy(copy, p, len);
				*val = PointerGetDatum(copy);
			}
			return p + len;
		}
	}
	/* cstring */
	{
		const char *z = memchr(p, 0, end - p);

		if (z == NULL)
			corrupt_key();
		*val = PointerGetDatum(p);
		return z + 1;
	}
}

/*
 * Decode columns from..to-1 of an encoding that starts with column from
 * (a user key: from = 0; an entry value: from = nkeys).
 */
void
lsm_index_decode(LsmIndexInfo *ii, const char *p, size_t len, int from, int to,
				 Datum *values, bool *isnull, MemoryContext cxt)
{
	const char *end = p + len;
	int			i;

	for (i = from; i < to; i++)
		p = decode_col(&ii->cols[i], p, end, &values[i], &isnull[i], cxt);
}

void
lsm_index_decode_tid(const char *ukey, size_t len, ItemPointer tid)
{
	const unsigned char *t;

	if (len < LSM_INDEX_TID_LEN)
		corrupt_key();
	t = (const unsigned char *) ukey + len - LSM_INDEX_TID_LEN;
	ItemPointerSet(tid,
				   ((BlockNumber) t[0] << 24) | ((BlockNumber) t[1] << 16) |
				   ((BlockNumber) t[2] << 8) | t[3],
				   (OffsetNumber) ((t[4] << 8) | t[5]));
}

/* ---------- encoding ---------- */

void
lsm_index_encode_cols(LsmIndexInfo *ii, StringInfo buf, Datum *values,
					  bool *isnull, int from, int to)
{
	int			i;

	for (i = from; i < to; i++)
	{
		const LsmIndexCol *c = &ii->cols[i];

		if (c->enc != LSM_ENC_NONE)
		{
			encode_ordered_col(c, buf, values[i], isnull[i]);
			continue;
		}
		if (isnull[i])
		{
			appendStringInfoChar(buf, 0);
			continue;
		}
		appendStringInfoChar(buf, 1);
		if (c->typlen > 0 && c->typbyval)
		{
			union
			{
				int64		i8;
				int32		i4;
				int16		i2;
				char		c;
			}			u;

			store_att_byval(&u, values[i], c->typlen);
			appendBinaryStringInfo(buf, (char *) &u, c->typlen);
		}
		else if (c->typlen > 0)
			appendBinaryStringInfo(buf, DatumGetPointer(values[i]), c->typlen);
		else if (c->typlen == -1)
		{
			struct varlena *v = PG_DETOAST_DATUM_PACKED(values[i]);

			if (VARATT_IS_SHORT(v))
				appendBinaryStringInfo(buf, (char *) v, VARSIZE_SHORT(v));
			else
			{
				Size		dlen = VARSIZE(v) - VARHDRSZ;

				/* canonical form: a short header whenever it fits */
				if (dlen + VARHDRSZ_SHORT <= VARATT_SHORT_MAX)
				{
					char		h;

					SET_VARSIZE_SHORT(&h, dlen + VARHDRSZ_SHORT);
					appendBinaryStringInfo(buf, &h, 1);
					appendBinaryStringInfo(buf, VARDATA(v), dlen);
				}
				else
					appendBinaryStringInfo(buf, (char *) v, VARSIZE(v));
			}
		}
		else
		{
			const char *s = DatumGetCString(values[i]);

			appendBinaryStringInfo(buf, s, strlen(s) + 1);
		}
	}
}

void
lsm_index_encode_tid(StringInfo buf, ItemPointer tid)
{
	unsigned char t[LSM_INDEX_TID_LEN];
	BlockNumber blk = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);

	t[0] = blk >> 24;
	t[1] = blk >> 16;
	t[2] = blk >> 8;
	t[3] = blk;
	t[4] = off >> 8;
	t[5] = off;
	appendBinaryStringInfo(buf, (char *) t, LSM_INDEX_TID_LEN);
}

/* ---------- comparison ---------- */

static int
compare_probe(LsmIndexInfo *ii, const char *a, size_t alen, const LsmIndexProbe *pr)
{
	const char *p = a;
	const char *end = a + alen;
	int			i;

	for (i = 0; i < pr->ncols; i++)
	{
		const LsmIndexCol *c = &ii->cols[i];
		Datum		v;
		bool		isnull;
		int			r;

		p = decode_col(c, p, end, &v, &isnull, ii->tmpcxt);
		if (isnull || pr->cols[i].isnull)
		{
			if (isnull && pr->cols[i].isnull)
				continue;
			if (isnull)
				return c->nulls_first ? -1 : 1;
			return c->nulls_first ? 1 : -1;
		}
		r = DatumGetInt32(FunctionCall2Coll(pr->cols[i].cmpfn, c->collation,
											v, pr->cols[i].value));
		if (r != 0)
		{
			if (c->desc)
				INVERT_COMPARE_RESULT(r);
			return r > 0 ? 1 : -1;
		}
	}
	return pr->bias;
}

/*
 * Compare two user keys (a probe on either side is allowed); with_tid
 * false compares only the key columns.
 */
int
lsm_index_compare_keys(LsmIndexInfo *ii, const char *a, size_t alen,
					   const char *b, size_t blen, bool with_tid)
{
	const char *pa,
			   *pb,
			   *ea,
			   *eb;
	int			i;

	/* empty keys (no compaction pointer) sort first */
	if (alen == 0 || blen == 0)
		return alen == blen ? 0 : (alen == 0 ? -1 : 1);
	if ((unsigned char) a[0] == LSM_INDEX_PROBE_MARK && alen == LSM_INDEX_PROBE_KEYLEN)
	{
		const LsmIndexProbe *pr;

		memcpy(&pr, a + 1, sizeof(pr));
		return -compare_probe(ii, b, blen, pr);
	}
	if ((unsigned char) b[0] == LSM_INDEX_PROBE_MARK && blen == LSM_INDEX_PROBE_KEYLEN)
	{
		const LsmIndexProbe *pr;

		memcpy(&pr, b + 1, sizeof(pr));
		return compare_probe(ii, a, alen, pr);
	}
	if (alen < LSM_INDEX_TID_LEN || blen < LSM_INDEX_TID_LEN)
		corrupt_key();
	if (ii->ordered)
	{
		size_t		la = with_tid ? alen : alen - LSM_INDEX_TID_LEN;
		size_t		lb = with_tid ? blen : blen - LSM_INDEX_TID_LEN;
		int			r = memcmp(a, b, Min(la, lb));

		if (r != 0)
			return r < 0 ? -1 : 1;
		return la < lb ? -1 : (la > lb ? 1 : 0);
	}
	pa = a;
	pb = b;
	ea = a + alen - LSM_INDEX_TID_LEN;
	eb = b + blen - LSM_INDEX_TID_LEN;
	for (i = 0; i < ii->nkeys; i++)
	{
		Datum		va,
					vb;
		bool		na,
					nb;
		int			r;

		pa = decode_col(&ii->cols[i], pa, ea, &va, &na, ii->tmpcxt);
		pb = decode_col(&ii->cols[i], pb, eb, &vb, &nb, ii->tmpcxt);
		r = ApplySortComparator(va, na, vb, nb, &ii->cols[i].ssup);
		if (r != 0)
			return r;
	}
	if (!with_tid)
		return 0;
	return memcmp(ea, eb, LSM_INDEX_TID_LEN);
}

/*
 * The comparator of an index with ordered keys: memcmp, unless one side
 * is a probe (scan keys given as values: decoded and compared by the
 * opfamily's cross-type functions).
 */
static int
ordered_index_compare(void *arg, const char *a, size_t alen, const char *b, size_t blen)
{
	int			r;

	if ((alen == LSM_INDEX_PROBE_KEYLEN && (unsigned char) a[0] == LSM_INDEX_PROBE_MARK) ||
		(blen == LSM_INDEX_PROBE_KEYLEN && (unsigned char) b[0] == LSM_INDEX_PROBE_MARK))
	{
		LsmIndexInfo *ii = (LsmIndexInfo *) arg;
		MemoryContext old = MemoryContextSwitchTo(ii->tmpcxt);

		r = lsm_index_compare_keys(ii, a, alen, b, blen, true);
		MemoryContextSwitchTo(old);
		MemoryContextReset(ii->tmpcxt);
		return r;
	}
	r = memcmp(a, b, Min(alen, blen));
	if (r != 0)
		return r;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

static int
index_compare(void *arg, const char *a, size_t alen, const char *b, size_t blen)
{
	LsmIndexInfo *ii = (LsmIndexInfo *) arg;
	MemoryContext old = MemoryContextSwitchTo(ii->tmpcxt);
	int			r;

	r = lsm_index_compare_keys(ii, a, alen, b, blen, true);
	MemoryContextSwitchTo(old);
	MemoryContextReset(ii->tmpcxt);
	return r;
}

void
lsm_index_probe_key(char *dst, const LsmIndexProbe *probe)
{
	dst[0] = (char) LSM_INDEX_PROBE_MARK;
	memcpy(dst + 1, &probe, sizeof(probe));
}

/* Bloom filters of an index hash the key columns, not the TID. */
size_t
lsm_index_bloom_prefix(void *arg, const char *ukey, size_t len)
{
	return len >= LSM_INDEX_TID_LEN ? len - LSM_INDEX_TID_LEN : len;
}

/* ---------- per-index info ---------- */

static bool
info_matches(LsmIndexInfo *ii, Relation index)
{
	TupleDesc	desc = RelationGetDescr(index);
	int			i;

	if (ii->nkeys != IndexRelationGetNumberOfKeyAttributes(index) ||
		ii->natts != IndexRelationGetNumberOfAttributes(index) ||
		!RelFileNodeEquals(ii->rnode, index->rd_node))
		return false;
	for (i = 0; i < ii->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (ii->cols[i].typlen != att->attlen || ii->cols[i].typbyval != att->attbyval)
			return false;
		if (i < ii->nkeys &&
			(ii->cols[i].opfamily != index->rd_opfamily[i] ||
			 ii->cols[i].collation != index->rd_indcollation[i] ||
			 ii->cols[i].desc != ((index->rd_indoption[i] & INDOPTION_DESC) != 0) ||
			 ii->cols[i].nulls_first != ((index->rd_indoption[i] & INDOPTION_NULLS_FIRST) != 0)))
			return false;
	}
	return true;
}

/*
 * Does equality under the opclass imply equal bytes for this column?
 * Asked through support function 4 (equalimage), as btree deduplication
 * does; without one (numeric, float, interval) it does not.
 */
static bool
column_equalimage(Relation index, int i)
{
	Oid			proc = get_opfamily_proc(index->rd_opfamily[i], index->rd_opcintype[i],
										 index->rd_opcintype[i], BTEQUALIMAGE_PROC);

	if (!OidIsValid(proc))
		return false;
	return DatumGetBool(OidFunctionCall1Coll(proc, index->rd_indcollation[i],
											 ObjectIdGetDatum(index->rd_opcintype[i])));
}

LsmIndexInfo *
lsm_index_info(Relation index)
{
	LsmIndexInfo *ii;
	MemoryContext cxt;
	MemoryContext old;
	TupleDesc	desc = RelationGetDescr(index);
	int			natts = IndexRelationGetNumberOfAttributes(index);
	int			nkeys = IndexRelationGetNumberOfKeyAttributes(index);
	int			i;

	for (ii = index_infos; ii; ii = ii->next)
		if (ii->relid == RelationGetRelid(index) && info_matches(ii, index))
			return ii;

	cxt = AllocSetContextCreate(TopMemoryContext, "lsm index key info",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	ii = palloc0(offsetof(LsmIndexInfo, cols) + sizeof(LsmIndexCol) * natts);
	ii->relid = RelationGetRelid(index);
	ii->nkeys = nkeys;
	ii->natts = natts;
	ii->cxt = cxt;
	ii->tmpcxt = AllocSetContextCreate(cxt, "lsm index comparator",
									   ALLOCSET_SMALL_SIZES);
	ii->bloom_ok = true;
	ii->rnode = index->rd_node;
	ii->ordered = storage_keys_ordered(index);
	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		LsmIndexCol *c = &ii->cols[i];

		c->typlen = att->attlen;
		c->typbyval = att->attbyval;
		c->typalign = att->attalign;
		if (i >= nkeys)
			continue;
		c->opfamily = index->rd_opfamily[i];
		c->opcintype = index->rd_opcintype[i];
		c->collation = index->rd_indcollation[i];
		c->desc = (index->rd_indoption[i] & INDOPTION_DESC) != 0;
		c->nulls_first = (index->rd_indoption[i] & INDOPTION_NULLS_FIRST) != 0;
		{
			Oid			ltop = get_opfamily_member(c->opfamily, c->opcintype,
												   c->opcintype, BTLessStrategyNumber);

			if (!OidIsValid(ltop))
				elog(ERROR, "missing operator %d(%u,%u) in opfamily %u",
					 BTLessStrategyNumber, c->opcintype, c->opcintype, c->opfamily);
			c->ssup.ssup_cxt = cxt;
			c->ssup.ssup_collation = c->collation;
			c->ssup.ssup_nulls_first = c->nulls_first;
			c->ssup.ssup_attno = i + 1;
			c->ssup.abbreviate = false;
			PrepareSortSupportFromOrderingOp(ltop, &c->ssup);
			c->ssup.ssup_reverse = c->desc;
		}
		if (!column_equalimage(index, i))
			ii->bloom_ok = false;
		c->enc = column_ordered_enc(index, i, c);
		if (c->enc == LSM_ENC_NONE)
			ii->ordered = false;
	}
	if (ii->ordered)
	{
		ii->bloom_ok = true;	/* equal values, equal bytes */
		ii->cmp.compare = ordered_index_compare;
	}
	else
	{
		for (i = 0; i < nkeys; i++)
			ii->cols[i].enc = LSM_ENC_NONE;
		ii->cmp.compare = index_compare;
	}
	ii->cmp.arg = ii;
	ii->next = index_infos;
	index_infos = ii;
	MemoryContextSwitchTo(old);
	return ii;
}

/* The order of a relation's user keys: bytewise for tables. */
const lsm_comparator *
lsm_rel_comparator(Relation rel)
{
	if (lsm_rel_is_index(rel))
		return &lsm_index_info(rel)->cmp;
	return &lsm_bytewise_comparator;
}
