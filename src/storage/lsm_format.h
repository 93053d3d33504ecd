/*-------------------------------------------------------------------------
 *
 * lsm_format.h
 *	  The on-disk formats of lsm relations: row ids and TIDs, the table
 *	  entry (row header, update link), the metapage (manifest, memtable
 *	  logs, free extents) and the memtable log pages.  SSTable bytes
 *	  themselves are the core's format (core/lsm_sstable.h), laid on pages
 *	  by storage/lsm_sstfile.c; index entry keys are in storage/lsm_keys.h.
 *
 *	  These values are on disk: a change of any struct, flag or constant
 *	  here is a change of the file format (LSM_META_VERSION).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_FORMAT_H
#define LSM_FORMAT_H

#include "postgres.h"

#include "access/htup_details.h"
#include "storage/block.h"
#include "storage/bufpage.h"
#include "storage/itemptr.h"

#include "core/lsm_core.h"

/* ---------- Row ids and TIDs ---------- */

/*
 * Rows are identified by a 64-bit row id, which is also the sequence
 * number of the PUT entry that created the row.  The TID of a row is
 * (rowid / LSM_TIDS_PER_BLOCK, rowid % LSM_TIDS_PER_BLOCK + 1), so
 * offsets stay within 1..MaxHeapTuplesPerPage as bitmap scans require.
 */
#define LSM_TIDS_PER_BLOCK	MaxHeapTuplesPerPage
#define LSM_MAX_ROWID	((uint64) MaxBlockNumber * LSM_TIDS_PER_BLOCK - 1)
#define LSM_FIRST_SEQ	1

/* Conversions: storage/lsm_keys.h (lsm_rowid_to_tid, lsm_tid_to_rowid). */

/* ---------- Table entries (the value of memtable/SSTable entries) ---------- */

/*
 * Every table entry's user key is the big-endian 8-byte row id; its value
 * starts with an LsmRowHeader.  PUT: header + the row as a MinimalTuple
 * from t_infomask2 on (LSM_ROW_TUPLE_OFFSET: its length word and padding
 * are not stored).
 * DELETE (tombstone): header whose xid/cid are the deleter's, plus
 * LsmRowLink naming the new version when the delete was an UPDATE.
 * A row id holds the row's versions: the first PUT (seq = row id), then
 * a PUT per UPDATE that changed no indexed column (seq > row id), each
 * followed (newer) by its DELETE and LOCK entries.  The TID of a version
 * is that of its PUT's seq; a later version's seq keys a back-pointer
 * (DELETE-type, LSM_ROW_VERSION_OF, link = the row id) and, once the
 * version is replaced or deleted, its end (LSM_ROW_VERSION_END).
 * LOCK: header whose xid is the locker's, flags carry the lock mode.
 * On disk: do not change.
 */
typedef struct LsmRowHeader
{
	TransactionId xid;			/* inserter (PUT), deleter, locker */
	CommandId	cid;
	uint16		flags;
	uint16		reserved;
} LsmRowHeader;

#define LSM_ROW_UPDATED		0x0001	/* DELETE that is half of an UPDATE */
#define LSM_ROW_FROZEN		0x0002	/* xid is known committed for all */
#define LSM_ROW_MOVED		0x0004	/* DELETE that moved the row to another partition */
#define LSM_ROW_KEYS_KEPT	0x0010	/* DELETE of an UPDATE that changed no key
									 * column: it conflicts as heap's
									 * LockTupleNoKeyExclusive */
#define LSM_ROW_KILLED		0x0008	/* DELETE of a failed speculative insertion:
									 * the row never existed, for anyone */
#define LSM_ROW_VERSION_OF	0x0020	/* DELETE-type entry under the key of a
									 * later version's seq: the link names the
									 * row whose version that is (the
									 * back-pointer that resolves its TID) */
#define LSM_ROW_VERSION_END	0x0040	/* DELETE-type entry under the same key:
									 * that version was replaced or deleted
									 * (the back-pointer's tombstone) */
#define LSM_ROW_VERSION_ENTRY (LSM_ROW_VERSION_OF | LSM_ROW_VERSION_END)
/* LOCK entries keep their LockTupleMode in LsmRowHeader.reserved. */

typedef struct LsmRowLink
{
	uint64		new_rowid;		/* next version in the update chain */
} LsmRowLink;

#define LSM_ROWKEY_LEN 8
#define LSM_ROW_TUPLE_OFFSET MINIMAL_TUPLE_DATA_OFFSET

/* ---------- Metapage (manifest), block 0 of the main fork ---------- */

#define LSM_META_MAGIC		0x4C534D31	/* "LSM1" */
#define LSM_META_VERSION	2
#define LSM_METAPAGE_BLKNO	0
#define LSM_MAX_LOGGENS		16
#define LSM_MAX_FREE_EXTENTS 64

/* A memtable's log: a chain of log pages holding its entries. */
typedef struct LsmLogGen
{
	uint64		gen;			/* memtable generation number */
	BlockNumber head;
	BlockNumber tail;
	uint32		npages;
	uint32		reserved;
} LsmLogGen;

typedef struct LsmFreeExtent
{
	BlockNumber start;
	uint32		count;
} LsmFreeExtent;

/* One SSTable as listed by the manifest. */
typedef struct LsmSstEntry
{
	uint8		id[16];			/* uuid */
	uint8		level;
	uint8		reserved[3];
	BlockNumber start;			/* first block */
	uint32		nblocks;
	TransactionId min_xid;		/* oldest unfrozen xid in it; FrozenTransactionId:
								 * none; invalid: unknown */
	uint64		file_size;		/* bytes of the SSTable byte stream */
	uint64		entries;
	uint64		tombstones;
	uint64		min_seq;
	uint64		max_seq;
	int64		created_at;		/* TimestampTz */
	float8		bloom_fp_rate;
} LsmSstEntry;

/*
 * The metapage.  Version 2 (made by this version): the SSTable list lives
 * in manifest pages, which the metapage's directory lists (mpages); every
 * change of the list writes the changed manifest pages afresh to new
 * blocks and switches the directory in one logged metapage image
 * (engine/lsm_manifest.c).  Version 1 (read, and converted at its first
 * change): the list inline after free[], nssts entries (LsmMetaV1Ssts).
 */
typedef struct LsmMetaData
{
	uint32		magic;
	uint32		version;
	uint64		next_seq;		/* lower bound of the next sequence number */
	uint64		next_gen;		/* next memtable generation number */
	uint16		nloggens;
	uint16		nfree;
	uint16		nssts_v1;		/* version 1: SSTables inline; version 2: 0 */
	uint16		flags;			/* LSM_META_* */
	LsmLogGen	loggens[LSM_MAX_LOGGENS];	/* oldest first */
	LsmFreeExtent free[LSM_MAX_FREE_EXTENTS];
	/* version 2 from here (version 1: LsmSstEntry[nssts_v1]) */
	uint32		nssts;			/* SSTables in the manifest pages */
	uint32		nl0;			/* of them at level 0 */
	uint64		mversion;		/* bumped at every change of the directory */
	uint64		entries;		/* sum of the SSTables' entries */
	uint64		tombstones;		/* sum of their tombstones */
	uint32		nmpages;		/* manifest pages */
	uint32		reserved;
	BlockNumber mpages[FLEXIBLE_ARRAY_MEMBER];	/* manifest page blocks */
} LsmMetaData;

#define LSM_META_V2_OFFSET	offsetof(LsmMetaData, nssts)
#define LsmMetaV1Ssts(meta) ((LsmSstEntry *) ((char *) (meta) + LSM_META_V2_OFFSET))
#define LSM_META_V1_MAX_SSTS \
	((BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - LSM_META_V2_OFFSET) / sizeof(LsmSstEntry))

/*
 * Set in every metapage made by this version: an lsm index whose key
 * columns all have an order-preserving encoding stores its keys in it
 * (storage/lsm_keys.h).  Indexes without the flag keep the opclass-ordered
 * encoding they were built with.
 */
#define LSM_META_KEYS_ORDERED	0x0001

/* Manifest pages the directory can list. */
#define LSM_META_MAX_MPAGES \
	((BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - offsetof(LsmMetaData, mpages)) / sizeof(BlockNumber))

/*
 * A manifest page: a standard page whose contents are this header and
 * nentries SSTable entries (in no particular order); pd_lower ends them.
 */
typedef struct LsmManifestPage
{
	uint32		magic;			/* LSM_MPAGE_MAGIC */
	uint16		nentries;
	uint16		reserved;
	uint64		mversion;		/* the metapage's mversion that wrote it */
	LsmSstEntry entries[FLEXIBLE_ARRAY_MEMBER];
} LsmManifestPage;

#define LSM_MPAGE_MAGIC		0x4C534D4D	/* "LSMM" */
#define LSM_MPAGE_MAX_ENTRIES \
	((BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - offsetof(LsmManifestPage, entries)) / sizeof(LsmSstEntry))

/* SSTables a manifest can list. */
#define LSM_META_MAX_SSTS	((int) (LSM_META_MAX_MPAGES * LSM_MPAGE_MAX_ENTRIES))

#define LsmPageGetMeta(page) ((LsmMetaData *) PageGetContents(page))

/* Special space of a memtable log page. */
typedef struct LsmLogPageOpaque
{
	uint64		gen;
	BlockNumber next;
	uint16		flags;
	uint16		page_id;		/* LSM_LOGPAGE_ID */
} LsmLogPageOpaque;

#define LSM_LOGPAGE_ID 0xF1A5

/*
 * Header of one item on a log page: followed by the key (omitted when the
 * key is the row key of the entry's own seq, as for every new row), then
 * the value.  Encode/decode with lsm_logitem_encode/_decode.
 */
typedef struct LsmLogItem
{
	uint64		seq;
	uint8		type;			/* lsm_entry_type */
	uint8		flags;			/* LSM_LOGITEM_* */
	uint16		keylen;
} LsmLogItem;

#define LSM_LOGITEM_HDRSZ	(offsetof(LsmLogItem, keylen) + sizeof(uint16))
#define LSM_LOGITEM_ROWKEY	0x01	/* key = BE8(seq), not stored */

/* SSTable pages: a standard page header, then SSTable bytes. */
#define LSM_SST_PAGE_PAYLOAD (BLCKSZ - SizeOfPageHeaderData)

/* Largest entry (key + value) a log page can hold. */
#define LSM_MAX_ENTRY_SIZE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData + sizeof(ItemIdData)) - \
	 MAXALIGN(sizeof(LsmLogPageOpaque)) - MAXALIGN(sizeof(LsmLogItem)))

#endif							/* LSM_FORMAT_H */
