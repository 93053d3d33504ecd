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
	OUT progress float8, OUT status text)
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
	OUT file_amplification float8, OUT manifest_bytes bigint)
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

-- CompactionJob: running jobs (with progress), failed ones not yet recorded,
-- and the history.
CREATE VIEW compactionjob AS
	SELECT j.id, j.input_sstables, NULL::uuid AS output_sstable_id,
		   j.started_at, NULL::timestamptz AS completed_at,
		   NULL::bigint AS bytes_read, j.bytes_written,
		   j.relid::regclass AS relation, j.kind, j.from_level, j.to_level,
		   '[]'::jsonb AS output_sstables, j.keys_in, j.keys_dropped,
		   j.status, j.reason, j.trivial_move, j.progress
	  FROM lsm_am.running_jobs() j
	UNION ALL
	SELECT h.id, h.input_sstables, h.output_sstable_id,
		   h.started_at, h.completed_at,
		   h.bytes_read, h.bytes_written,
		   h.relid::regclass, h.kind, h.from_level, h.to_level,
		   h.output_sstables, h.keys_in, h.keys_dropped,
		   h.status, h.reason, h.trivial_move, 1.0::float8
	  FROM lsm_am.compaction_history h;
COMMENT ON VIEW compactionjob IS 'Flush and compaction jobs of lsm tables: running ones with progress, failed ones not yet recorded, finished ones from lsm_am.compaction_history';

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

-- SSTableMeta, as a view (in the extension's schema, normally public, so
-- that "SELECT * FROM SSTableMeta" works).
CREATE VIEW sstablemeta AS
	SELECT * FROM lsm_am.sstables();
COMMENT ON VIEW sstablemeta IS 'One row per SSTable of every lsm table in this database';

CREATE VIEW lsm_am.memtables AS
	SELECT * FROM lsm_am.memtables();

GRANT USAGE ON SCHEMA lsm_am TO PUBLIC;
GRANT SELECT ON sstablemeta, compactionjob TO PUBLIC;
GRANT SELECT ON lsm_am.memtables, lsm_am.level_stats, lsm_am.relation_stats,
	lsm_am.compaction_history TO PUBLIC;

-- ---------------------------------------------------------------------
-- The lsm index access method.  pg_am names are unique, so the index AM
-- is called lsm_index; CREATE INDEX ... USING lsm is rewritten to it by
-- the extension's utility hook.
CREATE FUNCTION lsm_index_handler(internal) RETURNS index_am_handler
	AS 'MODULE_PATHNAME', 'lsm_index_handler' LANGUAGE C STRICT;
CREATE ACCESS METHOD lsm_index TYPE INDEX HANDLER lsm_index_handler;
COMMENT ON ACCESS METHOD lsm_index IS 'LSM-tree index: (key, TID) entries in memtables and SSTables (CREATE INDEX ... USING lsm)';

-- BEGIN generated operator classes: generated by scripts/gen_opclasses.sh
-- from btree's catalog; do not edit by hand; regenerate with:
--   bash scripts/gen_opclasses.sh
-- For each btree operator class in the script's OPCLASSES: an operator
-- family and class of the same names, with btree's operators, strategy
-- numbers and support functions 1 (comparison), 2 (sort support) and
-- 4 (equalimage), and btree's cross-type members between those types
-- (not function 3, in_range: it is looked up in btree's families only).
CREATE OPERATOR FAMILY lsm_am.bool_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.bool_ops DEFAULT FOR TYPE boolean USING lsm_index FAMILY lsm_am.bool_ops AS
    OPERATOR 1 <(boolean,boolean),
    OPERATOR 2 <=(boolean,boolean),
    OPERATOR 3 =(boolean,boolean),
    OPERATOR 4 >=(boolean,boolean),
    OPERATOR 5 >(boolean,boolean),
    FUNCTION 1 btboolcmp(boolean,boolean),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR FAMILY lsm_am.bytea_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.bytea_ops DEFAULT FOR TYPE bytea USING lsm_index FAMILY lsm_am.bytea_ops AS
    OPERATOR 1 <(bytea,bytea),
    OPERATOR 2 <=(bytea,bytea),
    OPERATOR 3 =(bytea,bytea),
    OPERATOR 4 >=(bytea,bytea),
    OPERATOR 5 >(bytea,bytea),
    FUNCTION 1 byteacmp(bytea,bytea),
    FUNCTION 2 bytea_sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR FAMILY lsm_am.char_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.char_ops DEFAULT FOR TYPE "char" USING lsm_index FAMILY lsm_am.char_ops AS
    OPERATOR 1 <("char","char"),
    OPERATOR 2 <=("char","char"),
    OPERATOR 3 =("char","char"),
    OPERATOR 4 >=("char","char"),
    OPERATOR 5 >("char","char"),
    FUNCTION 1 btcharcmp("char","char"),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.date_ops DEFAULT FOR TYPE date USING lsm_index FAMILY lsm_am.datetime_ops AS
    OPERATOR 1 <(date,date),
    OPERATOR 2 <=(date,date),
    OPERATOR 3 =(date,date),
    OPERATOR 4 >=(date,date),
    OPERATOR 5 >(date,date),
    FUNCTION 1 date_cmp(date,date),
    FUNCTION 2 date_sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR CLASS lsm_am.timestamp_ops DEFAULT FOR TYPE timestamp without time zone USING lsm_index FAMILY lsm_am.datetime_ops AS
    OPERATOR 1 <(timestamp without time zone,timestamp without time zone),
    OPERATOR 2 <=(timestamp without time zone,timestamp without time zone),
    OPERATOR 3 =(timestamp without time zone,timestamp without time zone),
    OPERATOR 4 >=(timestamp without time zone,timestamp without time zone),
    OPERATOR 5 >(timestamp without time zone,timestamp without time zone),
    FUNCTION 1 timestamp_cmp(timestamp without time zone,timestamp without time zone),
    FUNCTION 2 timestamp_sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR CLASS lsm_am.timestamptz_ops DEFAULT FOR TYPE timestamp with time zone USING lsm_index FAMILY lsm_am.datetime_ops AS
    OPERATOR 1 <(timestamp with time zone,timestamp with time zone),
    OPERATOR 2 <=(timestamp with time zone,timestamp with time zone),
    OPERATOR 3 =(timestamp with time zone,timestamp with time zone),
    OPERATOR 4 >=(timestamp with time zone,timestamp with time zone),
    OPERATOR 5 >(timestamp with time zone,timestamp with time zone),
    FUNCTION 1 timestamptz_cmp(timestamp with time zone,timestamp with time zone),
    FUNCTION 2 timestamp_sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
ALTER OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index ADD
    OPERATOR 1 <(date,timestamp with time zone),
    OPERATOR 2 <=(date,timestamp with time zone),
    OPERATOR 3 =(date,timestamp with time zone),
    OPERATOR 4 >=(date,timestamp with time zone),
    OPERATOR 5 >(date,timestamp with time zone),
    FUNCTION 1 (date, timestamp with time zone) date_cmp_timestamptz(date,timestamp with time zone);
ALTER OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index ADD
    OPERATOR 1 <(date,timestamp without time zone),
    OPERATOR 2 <=(date,timestamp without time zone),
    OPERATOR 3 =(date,timestamp without time zone),
    OPERATOR 4 >=(date,timestamp without time zone),
    OPERATOR 5 >(date,timestamp without time zone),
    FUNCTION 1 (date, timestamp without time zone) date_cmp_timestamp(date,timestamp without time zone);
ALTER OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index ADD
    OPERATOR 1 <(timestamp with time zone,date),
    OPERATOR 2 <=(timestamp with time zone,date),
    OPERATOR 3 =(timestamp with time zone,date),
    OPERATOR 4 >=(timestamp with time zone,date),
    OPERATOR 5 >(timestamp with time zone,date),
    FUNCTION 1 (timestamp with time zone, date) timestamptz_cmp_date(timestamp with time zone,date);
ALTER OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index ADD
    OPERATOR 1 <(timestamp with time zone,timestamp without time zone),
    OPERATOR 2 <=(timestamp with time zone,timestamp without time zone),
    OPERATOR 3 =(timestamp with time zone,timestamp without time zone),
    OPERATOR 4 >=(timestamp with time zone,timestamp without time zone),
    OPERATOR 5 >(timestamp with time zone,timestamp without time zone),
    FUNCTION 1 (timestamp with time zone, timestamp without time zone) timestamptz_cmp_timestamp(timestamp with time zone,timestamp without time zone);
ALTER OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index ADD
    OPERATOR 1 <(timestamp without time zone,date),
    OPERATOR 2 <=(timestamp without time zone,date),
    OPERATOR 3 =(timestamp without time zone,date),
    OPERATOR 4 >=(timestamp without time zone,date),
    OPERATOR 5 >(timestamp without time zone,date),
    FUNCTION 1 (timestamp without time zone, date) timestamp_cmp_date(timestamp without time zone,date);
ALTER OPERATOR FAMILY lsm_am.datetime_ops USING lsm_index ADD
    OPERATOR 1 <(timestamp without time zone,timestamp with time zone),
    OPERATOR 2 <=(timestamp without time zone,timestamp with time zone),
    OPERATOR 3 =(timestamp without time zone,timestamp with time zone),
    OPERATOR 4 >=(timestamp without time zone,timestamp with time zone),
    OPERATOR 5 >(timestamp without time zone,timestamp with time zone),
    FUNCTION 1 (timestamp without time zone, timestamp with time zone) timestamp_cmp_timestamptz(timestamp without time zone,timestamp with time zone);
CREATE OPERATOR FAMILY lsm_am.float_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.float4_ops DEFAULT FOR TYPE real USING lsm_index FAMILY lsm_am.float_ops AS
    OPERATOR 1 <(real,real),
    OPERATOR 2 <=(real,real),
    OPERATOR 3 =(real,real),
    OPERATOR 4 >=(real,real),
    OPERATOR 5 >(real,real),
    FUNCTION 1 btfloat4cmp(real,real),
    FUNCTION 2 btfloat4sortsupport(internal);
CREATE OPERATOR CLASS lsm_am.float8_ops DEFAULT FOR TYPE double precision USING lsm_index FAMILY lsm_am.float_ops AS
    OPERATOR 1 <(double precision,double precision),
    OPERATOR 2 <=(double precision,double precision),
    OPERATOR 3 =(double precision,double precision),
    OPERATOR 4 >=(double precision,double precision),
    OPERATOR 5 >(double precision,double precision),
    FUNCTION 1 btfloat8cmp(double precision,double precision),
    FUNCTION 2 btfloat8sortsupport(internal);
ALTER OPERATOR FAMILY lsm_am.float_ops USING lsm_index ADD
    OPERATOR 1 <(double precision,real),
    OPERATOR 2 <=(double precision,real),
    OPERATOR 3 =(double precision,real),
    OPERATOR 4 >=(double precision,real),
    OPERATOR 5 >(double precision,real),
    FUNCTION 1 (double precision, real) btfloat84cmp(double precision,real);
ALTER OPERATOR FAMILY lsm_am.float_ops USING lsm_index ADD
    OPERATOR 1 <(real,double precision),
    OPERATOR 2 <=(real,double precision),
    OPERATOR 3 =(real,double precision),
    OPERATOR 4 >=(real,double precision),
    OPERATOR 5 >(real,double precision),
    FUNCTION 1 (real, double precision) btfloat48cmp(real,double precision);
CREATE OPERATOR FAMILY lsm_am.integer_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.int2_ops DEFAULT FOR TYPE smallint USING lsm_index FAMILY lsm_am.integer_ops AS
    OPERATOR 1 <(smallint,smallint),
    OPERATOR 2 <=(smallint,smallint),
    OPERATOR 3 =(smallint,smallint),
    OPERATOR 4 >=(smallint,smallint),
    OPERATOR 5 >(smallint,smallint),
    FUNCTION 1 btint2cmp(smallint,smallint),
    FUNCTION 2 btint2sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR CLASS lsm_am.int4_ops DEFAULT FOR TYPE integer USING lsm_index FAMILY lsm_am.integer_ops AS
    OPERATOR 1 <(integer,integer),
    OPERATOR 2 <=(integer,integer),
    OPERATOR 3 =(integer,integer),
    OPERATOR 4 >=(integer,integer),
    OPERATOR 5 >(integer,integer),
    FUNCTION 1 btint4cmp(integer,integer),
    FUNCTION 2 btint4sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR CLASS lsm_am.int8_ops DEFAULT FOR TYPE bigint USING lsm_index FAMILY lsm_am.integer_ops AS
    OPERATOR 1 <(bigint,bigint),
    OPERATOR 2 <=(bigint,bigint),
    OPERATOR 3 =(bigint,bigint),
    OPERATOR 4 >=(bigint,bigint),
    OPERATOR 5 >(bigint,bigint),
    FUNCTION 1 btint8cmp(bigint,bigint),
    FUNCTION 2 btint8sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
ALTER OPERATOR FAMILY lsm_am.integer_ops USING lsm_index ADD
    OPERATOR 1 <(bigint,integer),
    OPERATOR 2 <=(bigint,integer),
    OPERATOR 3 =(bigint,integer),
    OPERATOR 4 >=(bigint,integer),
    OPERATOR 5 >(bigint,integer),
    FUNCTION 1 (bigint, integer) btint84cmp(bigint,integer);
ALTER OPERATOR FAMILY lsm_am.integer_ops USING lsm_index ADD
    OPERATOR 1 <(bigint,smallint),
    OPERATOR 2 <=(bigint,smallint),
    OPERATOR 3 =(bigint,smallint),
    OPERATOR 4 >=(bigint,smallint),
    OPERATOR 5 >(bigint,smallint),
    FUNCTION 1 (bigint, smallint) btint82cmp(bigint,smallint);
ALTER OPERATOR FAMILY lsm_am.integer_ops USING lsm_index ADD
    OPERATOR 1 <(integer,bigint),
    OPERATOR 2 <=(integer,bigint),
    OPERATOR 3 =(integer,bigint),
    OPERATOR 4 >=(integer,bigint),
    OPERATOR 5 >(integer,bigint),
    FUNCTION 1 (integer, bigint) btint48cmp(integer,bigint);
ALTER OPERATOR FAMILY lsm_am.integer_ops USING lsm_index ADD
    OPERATOR 1 <(integer,smallint),
    OPERATOR 2 <=(integer,smallint),
    OPERATOR 3 =(integer,smallint),
    OPERATOR 4 >=(integer,smallint),
    OPERATOR 5 >(integer,smallint),
    FUNCTION 1 (integer, smallint) btint42cmp(integer,smallint);
ALTER OPERATOR FAMILY lsm_am.integer_ops USING lsm_index ADD
    OPERATOR 1 <(smallint,bigint),
    OPERATOR 2 <=(smallint,bigint),
    OPERATOR 3 =(smallint,bigint),
    OPERATOR 4 >=(smallint,bigint),
    OPERATOR 5 >(smallint,bigint),
    FUNCTION 1 (smallint, bigint) btint28cmp(smallint,bigint);
ALTER OPERATOR FAMILY lsm_am.integer_ops USING lsm_index ADD
    OPERATOR 1 <(smallint,integer),
    OPERATOR 2 <=(smallint,integer),
    OPERATOR 3 =(smallint,integer),
    OPERATOR 4 >=(smallint,integer),
    OPERATOR 5 >(smallint,integer),
    FUNCTION 1 (smallint, integer) btint24cmp(smallint,integer);
CREATE OPERATOR FAMILY lsm_am.interval_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.interval_ops DEFAULT FOR TYPE interval USING lsm_index FAMILY lsm_am.interval_ops AS
    OPERATOR 1 <(interval,interval),
    OPERATOR 2 <=(interval,interval),
    OPERATOR 3 =(interval,interval),
    OPERATOR 4 >=(interval,interval),
    OPERATOR 5 >(interval,interval),
    FUNCTION 1 interval_cmp(interval,interval);
CREATE OPERATOR FAMILY lsm_am.numeric_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.numeric_ops DEFAULT FOR TYPE numeric USING lsm_index FAMILY lsm_am.numeric_ops AS
    OPERATOR 1 <(numeric,numeric),
    OPERATOR 2 <=(numeric,numeric),
    OPERATOR 3 =(numeric,numeric),
    OPERATOR 4 >=(numeric,numeric),
    OPERATOR 5 >(numeric,numeric),
    FUNCTION 1 numeric_cmp(numeric,numeric),
    FUNCTION 2 numeric_sortsupport(internal);
CREATE OPERATOR FAMILY lsm_am.oid_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.oid_ops DEFAULT FOR TYPE oid USING lsm_index FAMILY lsm_am.oid_ops AS
    OPERATOR 1 <(oid,oid),
    OPERATOR 2 <=(oid,oid),
    OPERATOR 3 =(oid,oid),
    OPERATOR 4 >=(oid,oid),
    OPERATOR 5 >(oid,oid),
    FUNCTION 1 btoidcmp(oid,oid),
    FUNCTION 2 btoidsortsupport(internal),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR FAMILY lsm_am.text_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.name_ops DEFAULT FOR TYPE name USING lsm_index FAMILY lsm_am.text_ops AS
    OPERATOR 1 <(name,name),
    OPERATOR 2 <=(name,name),
    OPERATOR 3 =(name,name),
    OPERATOR 4 >=(name,name),
    OPERATOR 5 >(name,name),
    FUNCTION 1 btnamecmp(name,name),
    FUNCTION 2 btnamesortsupport(internal),
    FUNCTION 4 btvarstrequalimage(oid);
CREATE OPERATOR CLASS lsm_am.text_ops DEFAULT FOR TYPE text USING lsm_index FAMILY lsm_am.text_ops AS
    OPERATOR 1 <(text,text),
    OPERATOR 2 <=(text,text),
    OPERATOR 3 =(text,text),
    OPERATOR 4 >=(text,text),
    OPERATOR 5 >(text,text),
    FUNCTION 1 bttextcmp(text,text),
    FUNCTION 2 bttextsortsupport(internal),
    FUNCTION 4 btvarstrequalimage(oid);
ALTER OPERATOR FAMILY lsm_am.text_ops USING lsm_index ADD
    OPERATOR 1 <(name,text),
    OPERATOR 2 <=(name,text),
    OPERATOR 3 =(name,text),
    OPERATOR 4 >=(name,text),
    OPERATOR 5 >(name,text),
    FUNCTION 1 (name, text) btnametextcmp(name,text);
ALTER OPERATOR FAMILY lsm_am.text_ops USING lsm_index ADD
    OPERATOR 1 <(text,name),
    OPERATOR 2 <=(text,name),
    OPERATOR 3 =(text,name),
    OPERATOR 4 >=(text,name),
    OPERATOR 5 >(text,name),
    FUNCTION 1 (text, name) bttextnamecmp(text,name);
CREATE OPERATOR FAMILY lsm_am.time_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.time_ops DEFAULT FOR TYPE time without time zone USING lsm_index FAMILY lsm_am.time_ops AS
    OPERATOR 1 <(time without time zone,time without time zone),
    OPERATOR 2 <=(time without time zone,time without time zone),
    OPERATOR 3 =(time without time zone,time without time zone),
    OPERATOR 4 >=(time without time zone,time without time zone),
    OPERATOR 5 >(time without time zone,time without time zone),
    FUNCTION 1 time_cmp(time without time zone,time without time zone),
    FUNCTION 4 btequalimage(oid);
CREATE OPERATOR FAMILY lsm_am.uuid_ops USING lsm_index;
CREATE OPERATOR CLASS lsm_am.uuid_ops DEFAULT FOR TYPE uuid USING lsm_index FAMILY lsm_am.uuid_ops AS
    OPERATOR 1 <(uuid,uuid),
    OPERATOR 2 <=(uuid,uuid),
    OPERATOR 3 =(uuid,uuid),
    OPERATOR 4 >=(uuid,uuid),
    OPERATOR 5 >(uuid,uuid),
    FUNCTION 1 uuid_cmp(uuid,uuid),
    FUNCTION 2 uuid_sortsupport(internal),
    FUNCTION 4 btequalimage(oid);
-- END generated operator classes
