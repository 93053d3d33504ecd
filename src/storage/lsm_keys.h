/*-------------------------------------------------------------------------
 *
 * lsm_keys.h
 *	  Keys of lsm relations and how they compare: table rows are keyed by
 *	  their 8-byte big-endian row id (row ids <-> TIDs here), lsm index
 *	  entries by (key columns, TID) in the encoding below, ordered by the
 *	  index's opclasses.  Also which relations are lsm's (the access
 *	  methods register themselves here at load).
 *
 * Index entry formats (on disk, see README "Design").  An index whose
 * metapage has LSM_META_KEYS_ORDERED and whose key columns all have an
 * order-preserving encoding (integers, oid, date, time, timestamps, bool,
 * uuid, bytea, text and varchar in the "C" collation, with their default
 * ordering) stores ordered keys, which compare with memcmp:
 *	  user key := ocol[0..nkeys-1] tid
 *	  ocol     := 0x01 (NULL, NULLS FIRST) | 0x02 ovalue | 0x03 (NULL, NULLS LAST)
 *	  ovalue   := integers, date, time, timestamps: big-endian with the
 *				  sign bit flipped; oid: big-endian; bool: one byte; uuid:
 *				  its 16 bytes; bytea and "C" text: the bytes with 0x00
 *				  written 0x00 0xFF, then 0x00 0x01; all bytes inverted
 *				  for a DESC column.
 * Other indexes store opclass-ordered keys:
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
 * The comparator and LsmIndexInfo are backend-local (function pointers),
 * built from the relcache on first use and kept for the backend's life.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_KEYS_H
#define LSM_KEYS_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "access/tableam.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/rel.h"
#include "utils/sortsupport.h"

#include "core/lsm_core.h"
#include "storage/lsm_format.h"

/* Row ids <-> TIDs (LSM_TIDS_PER_BLOCK, storage/lsm_format.h). */
extern void lsm_rowid_to_tid(uint64 rowid, ItemPointer tid);
extern uint64 lsm_tid_to_rowid(ItemPointer tid);

/*
 * Which relations are lsm's: the table AM routine and the index AM's
 * build function identify them (registered by table/ and index/ at load).
 */
extern void lsm_register_table_am(const TableAmRoutine *routine);
extern void lsm_register_index_am(IndexBuildResult *(*ambuild) (Relation, Relation,
																 struct IndexInfo *));
extern bool lsm_rel_is_lsm_table(Relation rel);
extern bool lsm_rel_is_index(Relation rel);
extern bool lsm_rel_is_lsm_index(Relation rel);

#define LSM_INDEX_TID_LEN	6
#define LSM_INDEX_PROBE_MARK 0xFF	/* first byte of a probe key */

/* Order-preserving encodings of key columns (ordered keys above). */
typedef enum LsmKeyEnc
{
	LSM_ENC_NONE,				/* opclass-ordered key (or an INCLUDE column) */
	LSM_ENC_INT,				/* signed integer of typlen bytes */
	LSM_ENC_UINT,				/* unsigned integer of typlen bytes (oid) */
	LSM_ENC_BOOL,
	LSM_ENC_RAW,				/* fixed-length bytes in memcmp order (uuid) */
	LSM_ENC_BYTES				/* varlena bytes in memcmp order */
} LsmKeyEnc;

typedef struct LsmIndexCol
{
	LsmKeyEnc	enc;			/* LSM_ENC_NONE unless the index is ordered */
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
	bool		ordered;		/* keys compare with memcmp (ordered keys) */
	RelFileNode rnode;			/* the storage this was read for */
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

#endif							/* LSM_KEYS_H */
