/*-------------------------------------------------------------------------
 *
 * lsm_xlog.h
 *	  WAL records of the lsm_am custom resource manager: their ids and
 *	  layouts.  Written by engine/ (memtable inserts, log pages, flush,
 *	  compaction, block reservations), replayed by engine/lsm_redo.c,
 *	  described by storage/lsm_desc.c (pg_waldump, wal_consistency_checking
 *	  output).
 *
 *	  These values are on disk (in WAL): change them only with a new
 *	  record id.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_XLOG_H
#define LSM_XLOG_H

#include "postgres.h"

#include "access/xlogreader.h"
#include "lib/stringinfo.h"
#include "storage/block.h"
#include "storage/off.h"

#define LSM_RMGR_ID 137
#define LSM_RMGR_NAME "lsm_am"

#define XLOG_LSM_INSERT			0x00	/* items appended to a log page */
#define XLOG_LSM_NEW_LOGPAGE	0x10	/* log page allocated and linked */
#define XLOG_LSM_FLUSH			0x20	/* SSTable added, memtable log freed */
#define XLOG_LSM_COMPACT		0x30	/* SSTables replaced / moved */
#define XLOG_LSM_META			0x40	/* blocks reserved or swept */

typedef struct xl_lsm_insert
{
	uint16		nitems;
	OffsetNumber offnum;		/* first item's offset */
	/* nitems item lengths (uint16) follow, then the items (block data) */
} xl_lsm_insert;

typedef struct xl_lsm_new_logpage
{
	uint64		gen;
	BlockNumber blkno;
	BlockNumber prev;			/* the page it follows in the chain, or
								 * InvalidBlockNumber: a new generation */
	BlockNumber next;			/* the page it precedes, or InvalidBlockNumber */
} xl_lsm_new_logpage;

typedef struct xl_lsm_flush
{
	uint64		gen;			/* memtable generation flushed */
	BlockNumber start;			/* SSTable block range */
	uint32		nblocks;
	uint64		entries;
} xl_lsm_flush;

typedef struct xl_lsm_compact
{
	int16		from_level;
	int16		to_level;
	uint16		nremove;
	uint16		nmove;
	uint16		nadd;
} xl_lsm_compact;

#define LSM_META_RESERVE	1
#define LSM_META_SWEEP		2
#define LSM_META_TRUNCATE	3
#define LSM_META_UNRESERVE	4	/* a refused switch gives its outputs' blocks back */
#define LSM_META_NEXT_SEQ	5	/* sequence numbers reserved: next_seq raised
								 * (start = 0; nblocks = how many) */

typedef struct xl_lsm_meta
{
	uint8		kind;			/* LSM_META_* */
	BlockNumber start;
	uint32		nblocks;
} xl_lsm_meta;

/* rm_desc / rm_identify (storage/lsm_desc.c) */
extern void lsm_desc(StringInfo buf, XLogReaderState *record);
extern const char *lsm_identify(uint8 info);

#endif							/* LSM_XLOG_H */
