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

CREATE FUNCTION lsm_am.flush(rel regclass, wait boolean DEFAULT true) RETURNS integer
	AS 'MODULE_PATHNAME', 'lsm_am_flush' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION lsm_am.flush(regclass, boolean) IS
	'Freeze the memtable of an lsm table and write all frozen memtables as SSTables; returns how many were written (wait => false: leave it to the background workers)';
-- Both functions check that the caller owns the table.

CREATE FUNCTION lsm_am.compact(rel regclass, level integer DEFAULT NULL,
							   wait boolean DEFAULT true) RETURNS integer
	AS 'MODULE_PATHNAME', 'lsm_am_compact' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION lsm_am.compact(regclass, integer, boolean) IS
	'Compact an lsm table: flush the memtables and merge every SSTable into one sorted run (level NULL), or one level into the next; returns the number of compactions (wait => false: ask the background workers)';

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

CREATE FUNCTION lsm_am.running_jobs(
	OUT id uuid, OUT relid oid, OUT kind text, OUT reason text,
	OUT from_level integer, OUT to_level integer, OUT input_sstables jsonb,
	OUT trivial_move boolean, OUT started_at timestamptz,
	OUT bytes_written bigint, OUT keys_in bigint, OUT keys_dropped bigint,
	OUT progress float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'lsm_am_running_jobs' LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lsm_am.level_shape(
	OUT relation regclass, OUT level integer, OUT files integer,
	OUT size_bytes bigint, OUT score float8, OUT target_bytes bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'lsm_am_level_shape' LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION lsm_am.relation_stats(
	OUT relation regclass, OUT sstables integer, OUT entries bigint,
	OUT sstable_bytes bigint, OUT memtable_log_bytes bigint, OUT free_bytes bigint,
	OUT relation_bytes bigint, OUT space_amplification float8,
	OUT file_amplification float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'lsm_am_relation_stats' LANGUAGE C STRICT VOLATILE;

-- Finished flushes and compactions (bounded by lsm_am.compaction_history_size;
-- written by the server as this table's owner).
CREATE TABLE lsm_am.compaction_history (
	id uuid PRIMARY KEY,
	relid oid NOT NULL,
	kind text NOT NULL,				-- flush or compaction
	status text NOT NULL,			-- done or failed
	reason text,
	from_level integer,				-- -1: the memtable
	to_level integer,
	input_sstables jsonb NOT NULL,
	output_sstables jsonb NOT NULL,
	output_sstable_id uuid,
	trivial_move boolean NOT NULL DEFAULT false,
	started_at timestamptz NOT NULL,
	completed_at timestamptz,
	bytes_read bigint,
	bytes_read_from_level bigint,
	bytes_written bigint,
	keys_in bigint,
	keys_dropped bigint
);
CREATE INDEX ON lsm_am.compaction_history (completed_at);

-- The seed schema's CompactionJob: running jobs (with progress) and history.
CREATE VIEW compactionjob AS
	SELECT j.id, j.input_sstables, NULL::uuid AS output_sstable_id,
		   j.started_at, NULL::timestamptz AS completed_at,
		   NULL::bigint AS bytes_read, j.bytes_written,
		   j.relid::regclass AS relation, j.kind, j.from_level, j.to_level,
		   '[]'::jsonb AS output_sstables, j.keys_in, j.keys_dropped,
		   'running'::text AS status, j.reason, j.trivial_move, j.progress
	  FROM lsm_am.running_jobs() j
	UNION ALL
	SELECT h.id, h.input_sstables, h.output_sstable_id,
		   h.started_at, h.completed_at,
		   h.bytes_read, h.bytes_written,
		   h.relid::regclass, h.kind, h.from_level, h.to_level,
		   h.output_sstables, h.keys_in, h.keys_dropped,
		   h.status, h.reason, h.trivial_move, 1.0::float8
	  FROM lsm_am.compaction_history h;
COMMENT ON VIEW compactionjob IS 'Flush and compaction jobs of lsm tables: running ones with progress, finished ones from lsm_am.compaction_history';

-- Per-level statistics, modeled on RocksDB's Compaction Stats.  L0's
-- write_amp is flush output over memtable bytes; Ln's is bytes written
-- into Ln over bytes read from L(n-1).
CREATE VIEW lsm_am.level_stats AS
	SELECT s.relation, s.level, s.files, s.size_bytes, round(s.score::numeric, 2) AS score,
		   s.target_bytes,
		   coalesce(h.bytes_read, 0) AS bytes_read,
		   coalesce(h.bytes_written, 0) AS bytes_written,
		   CASE WHEN h.bytes_read_from > 0
				THEN round(h.bytes_written::numeric / h.bytes_read_from, 2) END AS write_amp,
		   coalesce(h.keys_in, 0) AS keys_in,
		   coalesce(h.keys_dropped, 0) AS keys_dropped,
		   coalesce(round(h.seconds, 3), 0) AS compaction_seconds,
		   coalesce(h.jobs, 0) AS jobs,
		   coalesce(h.trivial_moves, 0) AS trivial_moves
	  FROM lsm_am.level_shape() s
	  LEFT JOIN (SELECT relid, to_level,
						sum(bytes_read) AS bytes_read,
						sum(bytes_read_from_level) AS bytes_read_from,
						sum(bytes_written) AS bytes_written,
						sum(keys_in) AS keys_in, sum(keys_dropped) AS keys_dropped,
						sum(extract(epoch FROM completed_at - started_at)) AS seconds,
						count(*) AS jobs,
						count(*) FILTER (WHERE trivial_move) AS trivial_moves
				   FROM lsm_am.compaction_history
				  WHERE status = 'done'
				  GROUP BY relid, to_level) h
		ON h.relid = s.relation AND h.to_level = s.level;

CREATE VIEW lsm_am.relation_stats AS
	SELECT * FROM lsm_am.relation_stats();

-- The seed schema's SSTableMeta, as a view (in the extension's schema,
-- normally public, so that "SELECT * FROM SSTableMeta" works).
CREATE VIEW sstablemeta AS
	SELECT * FROM lsm_am.sstables();
COMMENT ON VIEW sstablemeta IS 'One row per SSTable of every lsm table in this database';

CREATE VIEW lsm_am.memtables AS
	SELECT * FROM lsm_am.memtables();

GRANT USAGE ON SCHEMA lsm_am TO PUBLIC;
GRANT SELECT ON sstablemeta, compactionjob TO PUBLIC;
GRANT SELECT ON lsm_am.memtables, lsm_am.level_stats, lsm_am.relation_stats,
	lsm_am.compaction_history TO PUBLIC;
