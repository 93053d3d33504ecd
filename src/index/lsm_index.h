/*-------------------------------------------------------------------------
 *
 * lsm_index.h
 *	  The lsm index access method (pg_am name lsm_index; CREATE INDEX ...
 *	  USING lsm is routed to it by the utility hook in
 *	  extension/lsm_options.c): its entry points for the rest of index/
 *	  and for extension/.
 *
 * Where an index insert goes:
 *	  index/lsm_indexam.c (aminsert: encode the key, unique check) ->
 *	  engine/lsm_memtables.c (lsm_memstore_write: log page + WAL +
 *	  skiplist of the index's own memtable) -> engine/lsm_flush.c and
 *	  engine/lsm_compaction.c as for tables.  Entry format and ordering:
 *	  storage/lsm_keys.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_INDEX_H
#define LSM_INDEX_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "nodes/tidbitmap.h"

#include "storage/lsm_keys.h"

/* lsm_indexam.c */
extern void lsm_index_init(void);

/* index/lsm_index_scan.c */
extern IndexScanDesc lsmi_beginscan(Relation rel, int nkeys, int norderbys);
extern void lsmi_rescan(IndexScanDesc scan, ScanKey keys, int nkeys,
						ScanKey orderbys, int norderbys);
extern bool lsmi_gettuple(IndexScanDesc scan, ScanDirection dir);
extern int64 lsmi_getbitmap(IndexScanDesc scan, TIDBitmap *tbm);
extern void lsmi_endscan(IndexScanDesc scan);

#endif							/* LSM_INDEX_H */
