/*-------------------------------------------------------------------------
 *
 * lsm_redo.h
 *	  The lsm_am custom WAL resource manager: registration and redo of the
 *	  records of storage/lsm_xlog.h (pages and, on a standby or during
 *	  recovery, the in-memory memtables).
 *
 * REQUIRES: lsm_redo runs in the startup process only; it takes the
 * relation state's lock where it changes memtables, as writers do.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_REDO_H
#define LSM_REDO_H

#include "postgres.h"

#include "access/xlogreader.h"

#include "storage/lsm_xlog.h"

extern void lsm_rmgr_register(void);
extern void lsm_redo(XLogReaderState *record);
extern void lsm_mask(char *pagedata, BlockNumber blkno);

#endif							/* LSM_REDO_H */
