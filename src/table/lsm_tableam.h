/*-------------------------------------------------------------------------
 *
 * lsm_tableam.h
 *	  The lsm table access method.
 *
 * Where an insert goes (see README "Design"):
 *	  table/lsm_tableam.c (tuple_insert: the row codec, table/lsm_rows.c)
 *	  -> engine/lsm_memtables.c (lsm_memstore_write: log page + WAL +
 *	  shared skiplist) -> later engine/lsm_flush.c writes the frozen
 *	  memtable as an SSTable (engine/lsm_sstwriter.c, storage/
 *	  lsm_sstfile.c lays it on pages).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_TABLEAM_H
#define LSM_TABLEAM_H

#include "postgres.h"

#include "access/tableam.h"

extern const TableAmRoutine *lsm_table_am_routine(void);
extern void lsm_tableam_init(void);

#endif							/* LSM_TABLEAM_H */
