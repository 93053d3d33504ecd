/*-------------------------------------------------------------------------
 *
 * storage/lsm_desc.c
 *	  Descriptions of lsm_am WAL records (rm_desc / rm_identify), used in
 *	  redo error context and by pg_walinspect.  Formatting only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlogreader.h"
#include "lib/stringinfo.h"

#include "storage/lsm_xlog.h"

void
lsm_desc(StringInfo buf, XLogReaderState *record)
{
	char	   *rec = XLogRecGetData(record);
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	switch (info)
	{
		case XLOG_LSM_INSERT:
			{
				xl_lsm_insert *x = (xl_lsm_insert *) rec;

				appendStringInfo(buf, "items %u off %u", x->nitems, x->offnum);
				break;
			}
		case XLOG_LSM_NEW_LOGPAGE:
			{
				xl_lsm_new_logpage *x = (xl_lsm_new_logpage *) rec;

				appendStringInfo(buf, "gen " UINT64_FORMAT " blk %u prev %d next %d",
								 x->gen, x->blkno, (int) x->prev, (int) x->next);
				break;
			}
		case XLOG_LSM_FLUSH:
			{
				xl_lsm_flush *x = (xl_lsm_flush *) rec;

				appendStringInfo(buf, "gen " UINT64_FORMAT " sstable blocks %u..%u entries " UINT64_FORMAT,
								 x->gen, x->start,
								 x->nblocks ? x->start + x->nblocks - 1 : x->start,
								 x->entries);
				break;
			}
		case XLOG_LSM_COMPACT:
			{
				xl_lsm_compact *x = (xl_lsm_compact *) rec;

				appendStringInfo(buf, "L%d -> L%d remove %u move %u add %u",
								 x->from_level, x->to_level, x->nremove, x->nmove, x->nadd);
				break;
			}
		case XLOG_LSM_META:
			{
				xl_lsm_meta *x = (xl_lsm_meta *) rec;

				if (x->kind == LSM_META_RESERVE)
					appendStringInfo(buf, "reserve blocks %u..%u", x->start,
									 x->start + x->nblocks - 1);
				else if (x->kind == LSM_META_TRUNCATE)
					appendStringInfo(buf, "free tail of %u blocks from %u", x->nblocks,
									 x->start);
				else if (x->kind == LSM_META_NEXT_SEQ)
					appendStringInfo(buf, "reserve %u sequence numbers", x->nblocks);
				else if (x->kind == LSM_META_UNRESERVE)
					appendStringInfo(buf, "give back the blocks of %u refused SSTables from %u",
									 x->nblocks, x->start);
				else
					appendStringInfo(buf, "sweep %u blocks", x->nblocks);
				break;
			}
	}
}

const char *
lsm_identify(uint8 info)
{
	switch (info & ~XLR_INFO_MASK)
	{
		case XLOG_LSM_INSERT:
			return "INSERT";
		case XLOG_LSM_NEW_LOGPAGE:
			return "NEW_LOGPAGE";
		case XLOG_LSM_FLUSH:
			return "FLUSH";
		case XLOG_LSM_COMPACT:
			return "COMPACT";
		case XLOG_LSM_META:
			return "META";
	}
	return NULL;
}
