/*-------------------------------------------------------------------------
 *
 * lsm_options.h
 *	  The utility hook: lsm table options in CREATE TABLE / ALTER TABLE,
 *	  USING lsm for indexes, and the index method of constraints
 *	  (lsm_am.constraint_index_method).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LSM_OPTIONS_H
#define LSM_OPTIONS_H

#include "postgres.h"



#define LSM_CONSTRAINT_INDEX_BTREE 0
#define LSM_CONSTRAINT_INDEX_LSM 1
extern int	lsm_constraint_index_method;
extern void lsm_options_init(void);

#endif							/* LSM_OPTIONS_H */
