/* lsm_am install script */

\echo Use "CREATE EXTENSION lsm_am" to load this file. \quit

-- Fail early, with a hint, if the library was not preloaded.
CREATE FUNCTION lsm_am_check_preload() RETURNS void
	AS 'MODULE_PATHNAME', 'lsm_am_check_preload' LANGUAGE C STRICT;
SELECT lsm_am_check_preload();
DROP FUNCTION lsm_am_check_preload();

CREATE FUNCTION lsm_tableam_handler(internal) RETURNS table_am_handler
	AS 'MODULE_PATHNAME', 'lsm_tableam_handler' LANGUAGE C STRICT;

CREATE ACCESS METHOD lsm TYPE TABLE HANDLER lsm_tableam_handler;
COMMENT ON ACCESS METHOD lsm IS 'LSM-tree storage: memtables, SSTables, compaction';

CREATE SCHEMA lsm_am;

CREATE FUNCTION lsm_am.flush(rel regclass) RETURNS integer
	AS 'MODULE_PATHNAME', 'lsm_am_flush' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION lsm_am.flush(regclass) IS
	'Freeze the memtable of an lsm table and write all frozen memtables as SSTables; returns how many were written';
REVOKE ALL ON FUNCTION lsm_am.flush(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lsm_am.flush(regclass) TO PUBLIC;  -- checks ownership itself

CREATE FUNCTION lsm_am.sstables(
	OUT id uuid, OUT level integer, OUT min_key bytea, OUT max_key bytea,
	OUT file_path text, OUT size_bytes bigint, OUT bloom_filter_fp_rate float8,
	OUT created_at timestamptz, OUT relation regclass, OUT entries bigint,
	OUT tombstones bigint, OUT start_block bigint, OUT end_block bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'lsm_am_sstables' LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lsm_am.memtables(
	OUT relation regclass, OUT generation bigint, OUT state text,
	OUT entries bigint, OUT tombstones bigint, OUT data_bytes bigint,
	OUT memory_bytes bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'lsm_am_memtables' LANGUAGE C STRICT VOLATILE;

-- The seed schema's SSTableMeta, as a view (in the extension's schema,
-- normally public, so that "SELECT * FROM SSTableMeta" works).
CREATE VIEW sstablemeta AS
	SELECT * FROM lsm_am.sstables();
COMMENT ON VIEW sstablemeta IS 'One row per SSTable of every lsm table in this database';

CREATE VIEW lsm_am.memtables AS
	SELECT * FROM lsm_am.memtables();

GRANT USAGE ON SCHEMA lsm_am TO PUBLIC;
GRANT SELECT ON sstablemeta TO PUBLIC;
GRANT SELECT ON lsm_am.memtables TO PUBLIC;
