/*
 * temp_heap: a test-only helper for test/postgres_regress/run.sh.
 *
 * lsm does not support TEMP or UNLOGGED tables (README, Limitations), so
 * with default_table_access_method = lsm every CREATE TEMP TABLE of the
 * core regression suite fails, and so does everything in the test that
 * uses the table: hundreds of cascading errors that hide what the suite
 * could otherwise say about lsm.  Loaded through shared_preload_libraries
 * (in both runs, so that they differ only in the access method), this
 * ProcessUtility hook gives a TEMP or UNLOGGED CREATE TABLE, CREATE TABLE
 * AS / SELECT INTO or CREATE MATERIALIZED VIEW without an explicit USING
 * clause the access method heap.  Explicit USING lsm is left alone (and
 * still fails as documented).  ALTER TABLE ... SET UNLOGGED of an lsm table
 * is not touched either.
 *
 * Switched off with temp_heap.enabled = off (run.sh: CORE_REGRESS_TEMP_HEAP=0).
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_hook = NULL;
static bool enabled = true;

static bool
needs_heap(RangeVar *rv)
{
	if (rv == NULL)
		return false;
	if (rv->relpersistence == RELPERSISTENCE_TEMP ||
		rv->relpersistence == RELPERSISTENCE_UNLOGGED)
		return true;
	/* CREATE TABLE pg_temp.x: temp through its schema */
	if (rv->schemaname && strcmp(rv->schemaname, "pg_temp") == 0)
		return true;
	return false;
}

static void
temp_heap_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
						 bool readOnlyTree, ProcessUtilityContext context,
						 ParamListInfo params, QueryEnvironment *queryEnv,
						 DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (enabled && parsetree)
	{
		bool		change = false;

		if (IsA(parsetree, CreateStmt))
		{
			CreateStmt *cs = (CreateStmt *) parsetree;

			/* a partitioned table has no access method (and may not get one) */
			change = cs->accessMethod == NULL && cs->partspec == NULL &&
				needs_heap(cs->relation);
		}
		else if (IsA(parsetree, CreateTableAsStmt))
		{
			CreateTableAsStmt *cs = (CreateTableAsStmt *) parsetree;

			change = cs->into && cs->into->accessMethod == NULL &&
				needs_heap(cs->into->rel);
		}
		if (change)
		{
			if (readOnlyTree)
			{
				pstmt = copyObject(pstmt);
				parsetree = pstmt->utilityStmt;
				readOnlyTree = false;
			}
			if (IsA(parsetree, CreateStmt))
				((CreateStmt *) parsetree)->accessMethod = pstrdup("heap");
			else
				((CreateTableAsStmt *) parsetree)->into->accessMethod = pstrdup("heap");
		}
	}
	if (prev_hook)
		prev_hook(pstmt, queryString, readOnlyTree, context, params,
				  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

void
_PG_init(void)
{
	DefineCustomBoolVariable("temp_heap.enabled",
							 "TEMP/UNLOGGED tables without USING get heap.",
							 NULL, &enabled, true, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	prev_hook = ProcessUtility_hook;
	ProcessUtility_hook = temp_heap_ProcessUtility;
}
