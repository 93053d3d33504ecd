/*-------------------------------------------------------------------------
 *
 * lsm_index.h
 *	  The lsm index access method (pg_am name lsm_index; CREATE INDEX ...
 *	  USING lsm is routed to it by the utility hook in lsm_options.c).
 *
 * Where an index insert goes:
 *	  lsm_index.c (aminsert: encode the key, unique check) ->
 *	  lsm_memstore.c (lsm_memstore_write: log page + WAL + skiplist of the
 *	  index's own memtable) -> lsm_flush.c / lsm_compact.c as for tables.
 *
 * Entry format (on disk, see README "Design"):
 *	  user key := col[0..nkeys-1] tid
 *	  col      := 0x00 (NULL) | 0x01 value
 *	  value    := by-value types: typlen bytes (native order);
 *				  fixed-length by-reference: typlen bytes;
 *				  varlena: detoasted, with a 1-byte header when it fits
 *				  (<= 126 data bytes), else the 4-byte header;
 *				  cstring: bytes and terminating NUL
 *	  tid      := block number (4 bytes big-endian) offset (2 bytes BE)
 *	  value of the entry := col[nkeys..natts-1] (INCLUDE columns), the
 *				  same encoding; empty without INCLUDE columns.
 * PUT = the entry exists; DELETE (written by VACUUM) = removed.  Entries
 * carry no transaction information: the table decides visibility, as
 * with btree.  Keys are ordered by the opclass comparison of each column
 * (sort support of its "<" operator, DESC and NULLS FIRST as declared),
 * then by TID.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_INDEX_H
#define LSM_INDEX_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/rel.h"
#include "utils/sortsupport.h"

#include "lsm_core.h"

#define LSM_INDEX_TID_LEN	6
#define LSM_INDEX_PROBE_MARK 0xFF	/* first byte of a probe key */

typedef struct LsmIndexCol
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Oid			opfamily;
	Oid			opcintype;
	Oid			collation;
	bool		desc;
	bool		nulls_first;
	SortSupportData ssup;		/* key columns: the "<" operator's sort support */
} LsmIndexCol;

/* What a backend knows about an lsm index's key layout and ordering. */
typedef struct LsmIndexInfo
{
	Oid			relid;
	int			nkeys;			/* key columns */
	int			natts;			/* key + INCLUDE columns */
	bool		bloom_ok;		/* equal keys always have equal bytes */
	MemoryContext cxt;			/* owns this */
	MemoryContext tmpcxt;		/* comparator scratch, reset per call */
	lsm_comparator cmp;
	struct LsmIndexInfo *next;
	LsmIndexCol cols[FLEXIBLE_ARRAY_MEMBER];
} LsmIndexInfo;

/*
 * A search position given by scan keys instead of stored values: the
 * first ncols columns compared with the given values (cross-type
 * comparison functions of the opfamily); when they are all equal the probe
 * sorts before (bias +1) or after (bias -1) the entries.  Passed to the
 * core as a key of LSM_INDEX_PROBE_MARK and a pointer: it lives in this
 * backend only, as the comparator does.
 */
typedef struct LsmIndexProbeCol
{
	bool		isnull;
	Datum		value;
	FmgrInfo   *cmpfn;			/* (opcintype, value type) comparison */
} LsmIndexProbeCol;

typedef struct LsmIndexProbe
{
	int			ncols;
	int			bias;
	LsmIndexProbeCol cols[INDEX_MAX_KEYS];
} LsmIndexProbe;

#define LSM_INDEX_PROBE_KEYLEN (1 + sizeof(void *))

/* lsm_index_key.c */
extern LsmIndexInfo *lsm_index_info(Relation index);
extern bool lsm_rel_is_index(Relation rel);
extern bool lsm_rel_is_lsm_index(Relation rel);
extern const lsm_comparator *lsm_rel_comparator(Relation rel);
extern size_t lsm_index_bloom_prefix(void *arg, const char *ukey, size_t len);
extern void lsm_index_encode_cols(LsmIndexInfo *ii, StringInfo buf, Datum *values,
								  bool *isnull, int from, int to);
extern void lsm_index_encode_tid(StringInfo buf, ItemPointer tid);
extern void lsm_index_decode_tid(const char *ukey, size_t len, ItemPointer tid);
extern void lsm_index_decode(LsmIndexInfo *ii, const char *p, size_t len, int from, int to,
							 Datum *values, bool *isnull, MemoryContext cxt);
extern int	lsm_index_compare_keys(LsmIndexInfo *ii, const char *a, size_t alen,
								   const char *b, size_t blen, bool with_tid);
extern void lsm_index_probe_key(char *dst, const LsmIndexProbe *probe);

/* lsm_index.c */
extern void lsm_index_init(void);
extern bool lsm_indam_is_ours(const IndexAmRoutine *am);

/* lsm_index_scan.c */
extern IndexScanDesc lsmi_beginscan(Relation rel, int nkeys, int norderbys);
extern void lsmi_rescan(IndexScanDesc scan, ScanKey keys, int nkeys,
						ScanKey orderbys, int norderbys);
extern bool lsmi_gettuple(IndexScanDesc scan, ScanDirection dir);
extern int64 lsmi_getbitmap(IndexScanDesc scan, TIDBitmap *tbm);
extern void lsmi_endscan(IndexScanDesc scan);

#endif							/* LSM_INDEX_H */
