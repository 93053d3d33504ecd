/*-------------------------------------------------------------------------
 *
 * extension/lsm_options.c
 *	  Per-table options of lsm tables:
 *
 *	  CREATE TABLE t (...) USING lsm WITH (compression = 'zstd',
 *		  compression_level = 3, bloom_fp_rate = 0.01, block_size = 4096);
 *	  ALTER TABLE t SET (compression = 'none');  ALTER TABLE t RESET (...);
 *
 * PostgreSQL 15 gives table access methods no reloptions callback: every
 * table's WITH list is validated against heap's options, which would
 * reject ours.  So a ProcessUtility hook takes lsm options out of CREATE
 * TABLE, CREATE TABLE AS and ALTER TABLE SET/RESET on lsm tables, validates them (a clear
 * error for a bad value), lets PostgreSQL run the rest, and stores them in
 * pg_class.reloptions itself.  Stored there, they show in \d+, survive
 * TRUNCATE, and pg_dump writes them back as WITH (...).  Relcache parsing
 * does not validate stored options, so heap's parser ignores them.
 * Unknown option names keep PostgreSQL's own "unrecognized parameter"
 * error.  Changes apply to SSTables written afterwards.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "extension/lsm_options.h"
#include "storage/lsm_relopts.h"

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * Numeric option values, written bare (= 1024) or quoted (= '1024', as
 * pg_dump writes every reloption).
 */
static int64
option_int(DefElem *def)
{
	char	   *s = defGetString(def);
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for lsm option \"%s\": \"%s\"", def->defname, s),
				 errhint("An integer is expected.")));
	return (int64) v;
}

static double
option_real(DefElem *def)
{
	char	   *s = defGetString(def);
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for lsm option \"%s\": \"%s\"", def->defname, s),
				 errhint("A number is expected.")));
	return v;
}

/*
 * Check one option's value (for RESET, only its name).  Errors name the
 * option and the accepted range.
 */
static void
validate_option(DefElem *def, bool is_reset)
{
	if (is_reset)
		return;
	if (def->arg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lsm option \"%s\" requires a value", def->defname)));
	if (strcmp(def->defname, "compression") == 0)
	{
		char	   *v = defGetString(def);

		if (pg_strcasecmp(v, "zstd") != 0 && pg_strcasecmp(v, "none") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for lsm option \"compression\": \"%s\"", v),
					 errhint("Valid values are \"zstd\" and \"none\".")));
	}
	else if (strcmp(def->defname, "compression_level") == 0)
	{
		int64		v = option_int(def);

		if (v < 1 || v > 19)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lsm option \"compression_level\" must be between 1 and 19, not " INT64_FORMAT, v)));
	}
	else if (strcmp(def->defname, "bloom_fp_rate") == 0)
	{
		double		v = option_real(def);

		if (!(v >= 0.0 && v <= 0.5))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lsm option \"bloom_fp_rate\" must be between 0 and 0.5, not %g", v),
					 errhint("0 disables bloom filters.")));
	}
	else if (strcmp(def->defname, "block_size") == 0)
	{
		int64		v = option_int(def);

		if (v < 512 || v > 1024 * 1024)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lsm option \"block_size\" must be between 512 and 1048576 bytes, not " INT64_FORMAT, v)));
	}
	else if (strcmp(def->defname, "compaction_style") == 0)
	{
		char	   *v = defGetString(def);

		if (pg_strcasecmp(v, "leveled") != 0 && pg_strcasecmp(v, "tiered") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for lsm option \"compaction_style\": \"%s\"", v),
					 errhint("Valid values are \"leveled\" and \"tiered\".")));
	}
	else if (strcmp(def->defname, "l0_compaction_trigger") == 0)
	{
		int64		v = option_int(def);

		if (v < 2 || v > 64)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lsm option \"l0_compaction_trigger\" must be between 2 and 64, not " INT64_FORMAT, v)));
	}
	else if (strcmp(def->defname, "level_base_size") == 0 ||
			 strcmp(def->defname, "target_file_size") == 0)
	{
		int64		v = option_int(def);

		if (v < 64 || v > INT_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lsm option \"%s\" must be between 64 and %d kB, not " INT64_FORMAT,
							def->defname, INT_MAX / 2, v)));
	}
	else if (strcmp(def->defname, "level_multiplier") == 0)
	{
		double		v = option_real(def);

		if (!(v >= 2.0 && v <= 100.0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("lsm option \"level_multiplier\" must be between 2 and 100, not %g", v)));
	}
}

/* Split opts into lsm options (returned, validated) and the rest (*rest). */
static List *
split_options(List *opts, List **rest, bool is_reset)
{
	List	   *ours = NIL;
	ListCell   *lc;

	*rest = NIL;
	foreach(lc, opts)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (lsm_is_lsm_option(def))
		{
			validate_option(def, is_reset);
			ours = lappend(ours, def);
		}
		else
			*rest = lappend(*rest, def);
	}
	return ours;
}

/* Merge defs into pg_class.reloptions of relid (or remove them). */
static void
store_options(Oid relid, List *defs, bool is_reset)
{
	Relation	classrel = table_open(RelationRelationId, RowExclusiveLock);
	HeapTuple	tup = SearchSysCacheCopy1(RELOID, ObjectIdGetDatum(relid));
	Datum		old;
	bool		isnull;
	Datum		newopts;
	Datum		values[Natts_pg_class];
	bool		nulls[Natts_pg_class];
	bool		repl[Natts_pg_class];
	HeapTuple	newtup;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	if (is_reset)
	{
		/* RESET takes names only */
		List	   *names = NIL;
		ListCell   *lc;

		foreach(lc, defs)
			names = lappend(names, makeDefElem(lfirst_node(DefElem, lc)->defname,
											   NULL, -1));
		defs = names;
	}
	old = SysCacheGetAttr(RELOID, tup, Anum_pg_class_reloptions, &isnull);
	newopts = transformRelOptions(isnull ? (Datum) 0 : old, defs, NULL, NULL,
								  false, is_reset);
	memset(values, 0, sizeof(values));
	memset(nulls, false, sizeof(nulls));
	memset(repl, false, sizeof(repl));
	repl[Anum_pg_class_reloptions - 1] = true;
	if (newopts != (Datum) 0)
		values[Anum_pg_class_reloptions - 1] = newopts;
	else
		nulls[Anum_pg_class_reloptions - 1] = true;
	newtup = heap_modify_tuple(tup, RelationGetDescr(classrel), values, nulls, repl);
	CatalogTupleUpdate(classrel, &newtup->t_self, newtup);
	InvokeObjectPostAlterHook(RelationRelationId, relid, 0);
	heap_freetuple(newtup);
	heap_freetuple(tup);
	table_close(classrel, RowExclusiveLock);
	CommandCounterIncrement();
}

static bool
relid_is_lsm(Oid relid)
{
	HeapTuple	tup;
	bool		result = false;

	if (!OidIsValid(relid))
		return false;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);

		result = cls->relkind == RELKIND_RELATION &&
			OidIsValid(cls->relam) &&
			cls->relam == get_table_am_oid("lsm", true);
		ReleaseSysCache(tup);
	}
	return result;
}

int			lsm_constraint_index_method = LSM_CONSTRAINT_INDEX_BTREE;

/* Make PRIMARY KEY and UNIQUE constraints of c use lsm indexes. */
static void
constraint_use_lsm(Node *node)
{
	Constraint *c;

	if (node == NULL || !IsA(node, Constraint))
		return;
	c = (Constraint *) node;
	if ((c->contype == CONSTR_PRIMARY || c->contype == CONSTR_UNIQUE) &&
		c->access_method == NULL && c->indexname == NULL)
		c->access_method = "lsm_index";
}

static void
column_use_lsm(Node *node)
{
	ListCell   *lc;

	if (node == NULL || !IsA(node, ColumnDef))
		return;
	foreach(lc, ((ColumnDef *) node)->constraints)
		constraint_use_lsm(lfirst(lc));
}

/*
 * With lsm_am.constraint_index_method = lsm, the indexes of PRIMARY KEY
 * and UNIQUE constraints of CREATE TABLE and ALTER TABLE are lsm indexes
 * (PostgreSQL builds them with btree otherwise; there is no syntax to
 * choose).  Returns a modified copy of the statement.
 */
static Node *
constraints_use_lsm(Node *parsetree)
{
	ListCell   *lc;

	parsetree = copyObject(parsetree);
	if (IsA(parsetree, CreateStmt))
	{
		CreateStmt *cs = (CreateStmt *) parsetree;

		foreach(lc, cs->tableElts)
		{
			constraint_use_lsm(lfirst(lc));
			column_use_lsm(lfirst(lc));
		}
		foreach(lc, cs->constraints)
			constraint_use_lsm(lfirst(lc));
	}
	else
	{
		AlterTableStmt *as = (AlterTableStmt *) parsetree;

		foreach(lc, as->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if (cmd->subtype == AT_AddConstraint)
				constraint_use_lsm(cmd->def);
			else if (cmd->subtype == AT_AddColumn)
				column_use_lsm(cmd->def);
		}
	}
	return parsetree;
}

static PlannedStmt *
copy_with_stmt(PlannedStmt *pstmt, Node *stmt)
{
	PlannedStmt *copy = makeNode(PlannedStmt);

	memcpy(copy, pstmt, sizeof(PlannedStmt));
	copy->utilityStmt = stmt;
	return copy;
}

static void
lsm_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	List	   *ours = NIL;
	List	   *saved = NIL;
	Oid			relid = InvalidOid;
	bool		is_reset = false;

	if (lsm_constraint_index_method == LSM_CONSTRAINT_INDEX_LSM &&
		(IsA(parsetree, CreateStmt) || IsA(parsetree, AlterTableStmt)))
	{
		parsetree = constraints_use_lsm(parsetree);
		pstmt = copy_with_stmt(pstmt, parsetree);
	}

	if (IsA(parsetree, CreateStmt))
	{
		CreateStmt *cs = (CreateStmt *) parsetree;
		const char *am = cs->accessMethod ? cs->accessMethod : default_table_access_method;
		List	   *rest;

		if (am && strcmp(am, "lsm") == 0 && cs->options != NIL &&
			(ours = split_options(cs->options, &rest, false)) != NIL)
		{
			cs = copyObject(cs);
			split_options(cs->options, &rest, false);
			cs->options = rest;
			pstmt = copy_with_stmt(pstmt, (Node *) cs);
			if (cs->if_not_exists &&
				OidIsValid(RangeVarGetRelid(cs->relation, NoLock, true)))
				ours = NIL;		/* nothing is created */
		}
	}
	else if (IsA(parsetree, CreateTableAsStmt) &&
			 ((CreateTableAsStmt *) parsetree)->objtype == OBJECT_TABLE)
	{
		CreateTableAsStmt *ctas = (CreateTableAsStmt *) parsetree;
		IntoClause *into = ctas->into;
		const char *am = into->accessMethod ? into->accessMethod : default_table_access_method;
		List	   *rest;

		if (am && strcmp(am, "lsm") == 0 && into->options != NIL &&
			(ours = split_options(into->options, &rest, false)) != NIL)
		{
			ctas = copyObject(ctas);
			split_options(ctas->into->options, &rest, false);
			ctas->into->options = rest;
			pstmt = copy_with_stmt(pstmt, (Node *) ctas);
			if (ctas->if_not_exists &&
				OidIsValid(RangeVarGetRelid(ctas->into->rel, NoLock, true)))
				ours = NIL;
		}
	}
	else if (IsA(parsetree, IndexStmt) &&
			 ((IndexStmt *) parsetree)->accessMethod != NULL &&
			 strcmp(((IndexStmt *) parsetree)->accessMethod, "lsm") == 0)
	{
		/*
		 * "lsm" names the table access method in pg_am, whose names are
		 * unique: the index access method is lsm_index.
		 */
		IndexStmt  *is = copyObject((IndexStmt *) parsetree);

		is->accessMethod = "lsm_index";
		pstmt = copy_with_stmt(pstmt, (Node *) is);
	}
	else if (IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *as = (AlterTableStmt *) parsetree;

		if (as->objtype == OBJECT_TABLE)
		{
			relid = RangeVarGetRelid(as->relation, NoLock, true);
			if (relid_is_lsm(relid))
			{
				AlterTableStmt *copy = copyObject(as);
				List	   *cmds = NIL;
				ListCell   *lc;
				bool		heap_options = false;

				foreach(lc, copy->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_SetRelOptions || cmd->subtype == AT_ResetRelOptions)
					{
						List	   *rest;
						List	   *mine;

						is_reset = cmd->subtype == AT_ResetRelOptions;
						mine = split_options((List *) cmd->def, &rest, is_reset);
						ours = list_concat(ours, mine);
						if (rest == NIL && mine != NIL)
							continue;	/* the command was only ours */
						cmd->def = (Node *) rest;
						heap_options = true;
					}
					cmds = lappend(cmds, cmd);
				}
				/*
				 * PostgreSQL validates the whole merged option list of a
				 * table when it sets heap options, and would reject our
				 * stored ones: take them out while it runs, put them back
				 * afterwards.
				 */
				if (heap_options && (saved = lsm_stored_options(relid)) != NIL)
				{
					store_options(relid, saved, true);
					if (ours == NIL)
						ours = list_make1(linitial(saved));
				}
				if (ours != NIL)
				{
					Relation	rel;

					/* as ALTER TABLE SET (...) would: own it, lock it */
					rel = relation_openrv(as->relation, ShareUpdateExclusiveLock);
					if (!pg_class_ownercheck(RelationGetRelid(rel), GetUserId()))
						aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE,
									   RelationGetRelationName(rel));
					relation_close(rel, NoLock);
					copy->cmds = cmds;
					if (cmds == NIL)
					{
						store_options(relid, ours, is_reset);
						if (qc)
							SetQueryCompletion(qc, CMDTAG_ALTER_TABLE, 0);
						return;
					}
					pstmt = copy_with_stmt(pstmt, (Node *) copy);
				}
			}
		}
	}

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (ours != NIL)
	{
		if (IsA(parsetree, CreateStmt))
			relid = RangeVarGetRelid(((CreateStmt *) pstmt->utilityStmt)->relation,
									 NoLock, false);
		else if (IsA(parsetree, CreateTableAsStmt))
			relid = RangeVarGetRelid(((CreateTableAsStmt *) pstmt->utilityStmt)->into->rel,
									 NoLock, false);
		CommandCounterIncrement();
		if (saved != NIL)
			store_options(relid, saved, false);
		store_options(relid, ours, is_reset);
	}
}

void
lsm_options_init(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = lsm_ProcessUtility;
}
