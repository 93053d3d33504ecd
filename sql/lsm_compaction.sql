--
-- lsm_compaction: lsm_am.compact(), leveled and size-tiered compaction,
-- garbage collection of aborted rows, the CompactionJob, level_stats and
-- relation_stats views, per-table compaction options, space reuse.
--
-- Memtables freeze every ~1MB (test/lsm_test.conf) and background workers
-- flush and compact at moments we cannot predict.  The leveled table
-- compacted by hand here uses l0_compaction_trigger = 64 and levels large
-- enough for all its rows, so that no level's score ever reaches 1 and the
-- workers never pick a compaction of their own; lsm_am.flush() and
-- lsm_am.compact() wait for their work: after them the shape is certain.
-- Sizes, block numbers, uuids and times are never printed, only facts
-- about them.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- Pairs of SSTables of a relation whose key ranges overlap (keys are
-- 8-byte big-endian row ids, so bytea order is row id order).
-- same_level: only pairs within one level.
CREATE FUNCTION comp_overlaps(rel regclass, same_level bool) RETURNS bigint
LANGUAGE sql AS $$
  SELECT count(*) FROM SSTableMeta a JOIN SSTableMeta b
    ON a.relation = b.relation AND a.id < b.id
   AND (NOT same_level OR a.level = b.level)
   AND a.min_key <= b.max_key AND b.min_key <= a.max_key
   WHERE a.relation = rel
$$;

-- "count|sum|md5" of a table's rows in id order.
CREATE FUNCTION comp_digest(rel regclass) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  EXECUTE format($q$SELECT count(*) || '|' || coalesce(sum(id), 0) || '|' ||
                    md5(coalesce(string_agg(id || ',' || payload, ';' ORDER BY id), ''))
                    FROM %s$q$, rel) INTO result;
  RETURN result;
END $$;

-- The row id an SSTable key stands for (8 bytes, big-endian).
CREATE FUNCTION comp_rowid(key bytea) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT ('x' || encode(key, 'hex'))::bit(64)::bigint
$$;

--
-- Leveled (the default style), with small output files (the 6MB of rows
-- fit in level 1: 16MB).
--
CREATE TABLE comp (id bigint, payload text) USING lsm
  WITH (level_base_size = 16384, target_file_size = 128, l0_compaction_trigger = 64);
CREATE TABLE comp_heap (id bigint, payload text);
SELECT reloptions FROM pg_class WHERE oid = 'comp'::regclass;

-- 150,000 rows: about 15 memtables of 1MB, flushed as level-0 SSTables.
-- Written one by one (not held back in a write batch, whose rows enter
-- the memtable at the batch's write and whose flushes do not always
-- carry the tail: README Limitations), so in row-id order.
SET lsm_am.write_batch_rows = off;
INSERT INTO comp SELECT g, md5(g::text) FROM generate_series(1, 150000) g;
RESET lsm_am.write_batch_rows;
INSERT INTO comp_heap SELECT g, md5(g::text) FROM generate_series(1, 150000) g;
SELECT lsm_am.flush('comp') >= 1 AS flushed;
SELECT count(*) > 5 AS several_sstables, min(level) AS min_level, max(level) AS max_level,
       sum(entries) AS entries
  FROM SSTableMeta WHERE relation = 'comp'::regclass;
-- level-0 SSTables come from memtables: their key ranges do not overlap
-- here either (one writer, row ids in insertion order)
SELECT comp_overlaps('comp', true) AS overlapping_pairs;

-- A transaction that rolls back after its rows were flushed: the flush
-- keeps them (the transaction was still running), compaction drops them.
BEGIN;
INSERT INTO comp SELECT g, md5(g::text) FROM generate_series(150001, 180000) g;
SELECT lsm_am.flush('comp') >= 1 AS flushed_in_transaction;
ROLLBACK;
SELECT sum(entries) AS entries_with_aborted FROM SSTableMeta WHERE relation = 'comp'::regclass;
SELECT count(*) FROM comp WHERE id > 150000;

-- Everything into one sorted run: with only level-0 SSTables, into level 1.
SELECT lsm_am.compact('comp');
SELECT count(*) > 1 AS several_sstables, min(level) AS min_level, max(level) AS max_level,
       sum(entries) AS entries, sum(tombstones) AS tombstones
  FROM SSTableMeta WHERE relation = 'comp'::regclass;
SELECT comp_overlaps('comp', false) AS overlapping_pairs;
-- the run covers the row ids from 1 in order (new rows' ids grow; ranges of
-- them reserved for write batches may leave gaps)
SELECT min(comp_rowid(min_key)) AS first_rowid, max(comp_rowid(max_key)) >= 150000 AS last_rowid_past_rows
  FROM SSTableMeta WHERE relation = 'comp'::regclass;
SELECT comp_digest('comp') = comp_digest('comp_heap') AS same_as_heap,
       (SELECT count(*) FROM comp) AS rows, (SELECT sum(id) FROM comp) AS sum;
SELECT count(*) FROM comp WHERE id > 150000;

-- The job: every input entry read, the aborted ones dropped, the rest
-- written; inputs and outputs listed.
SELECT kind, status, from_level, to_level, trivial_move, reason,
       bytes_read > 0 AS has_bytes_read, bytes_written > 0 AS has_bytes_written,
       keys_in, keys_dropped,
       jsonb_array_length(input_sstables) > 5 AS several_inputs,
       jsonb_array_length(output_sstables) > 1 AS several_outputs,
       output_sstable_id = (output_sstables->>0)::uuid AS first_output_id,
       completed_at >= started_at AS ordered_times, progress
  FROM CompactionJob WHERE relation = 'comp'::regclass AND kind = 'compaction';
-- its outputs are exactly the SSTables listed now
SELECT (SELECT array_agg(o::uuid ORDER BY o::uuid)
          FROM CompactionJob, jsonb_array_elements_text(output_sstables) o
         WHERE relation = 'comp'::regclass AND kind = 'compaction')
     = (SELECT array_agg(id ORDER BY id) FROM SSTableMeta WHERE relation = 'comp'::regclass)
       AS outputs_are_the_sstables;
-- flushes (by the workers and by lsm_am.flush()) are jobs too, from the
-- memtable (-1) into level 0
SELECT kind, status, from_level, to_level, bool_and(bytes_read > 0) AS has_bytes_read,
       bool_and(bytes_written > 0) AS has_bytes_written, sum(keys_in) >= 150000 AS keys_in
  FROM CompactionJob WHERE relation = 'comp'::regclass AND kind = 'flush'
 GROUP BY 1, 2, 3, 4;
-- no job of this table runs now
SELECT count(*) AS running FROM CompactionJob WHERE relation = 'comp'::regclass AND status = 'running';

-- Level statistics: level 1 holds everything and had one job.
SELECT level, files > 1 AS several_files, score < 1 AS under_target,
       target_bytes, bytes_written > 0 AS has_bytes_written, write_amp > 0 AS has_write_amp,
       keys_in, keys_dropped, jobs, trivial_moves
  FROM lsm_am.level_stats WHERE relation = 'comp'::regclass AND level = 1;
SELECT sum(files) = (SELECT count(*) FROM SSTableMeta WHERE relation = 'comp'::regclass)
       AS files_match,
       sum(size_bytes) = (SELECT sum(size_bytes) FROM SSTableMeta WHERE relation = 'comp'::regclass)
       AS sizes_match
  FROM lsm_am.level_stats WHERE relation = 'comp'::regclass;
-- level 0 is empty; its jobs are the flushes
SELECT level, files, size_bytes, jobs > 0 AS has_jobs, keys_in >= 150000 AS keys_in
  FROM lsm_am.level_stats WHERE relation = 'comp'::regclass AND level = 0;

-- Relation statistics: one run, so no space amplification.
SELECT sstables = (SELECT count(*) FROM SSTableMeta WHERE relation = 'comp'::regclass)
       AS sstables_match,
       entries, sstable_bytes > 0 AS has_sstable_bytes, space_amplification,
       relation_bytes >= sstable_bytes + free_bytes + memtable_log_bytes AS sizes_add_up,
       file_amplification >= 1 AS file_amp
  FROM lsm_am.relation_stats WHERE relation = 'comp'::regclass;

-- One level into the next: level 1 into level 2.
SELECT lsm_am.compact('comp', 1);
SELECT count(*) > 1 AS several_sstables, min(level) AS min_level, max(level) AS max_level,
       sum(entries) AS entries
  FROM SSTableMeta WHERE relation = 'comp'::regclass;
SELECT comp_overlaps('comp', false) AS overlapping_pairs;
SELECT from_level, to_level, keys_in, keys_dropped, reason
  FROM CompactionJob WHERE relation = 'comp'::regclass AND kind = 'compaction'
 ORDER BY completed_at DESC LIMIT 1;
-- nothing to do for an empty level, or for the last level (6) when empty
SELECT lsm_am.compact('comp', 0);
SELECT lsm_am.compact('comp', 1);
SELECT lsm_am.compact('comp', 6);
SELECT count(*) AS compactions FROM CompactionJob
 WHERE relation = 'comp'::regclass AND kind = 'compaction';

-- New rows on top: level 0 and level 2 overlap nothing of each other, a
-- full compaction puts all of them into the deepest level, 2.
INSERT INTO comp SELECT g, md5(g::text) FROM generate_series(150001, 160000) g;
INSERT INTO comp_heap SELECT g, md5(g::text) FROM generate_series(150001, 160000) g;
SELECT lsm_am.flush('comp') >= 1 AS flushed;
SELECT level, count(*) > 0 AS has_sstables FROM SSTableMeta
 WHERE relation = 'comp'::regclass GROUP BY level ORDER BY level;
SELECT lsm_am.compact('comp');
SELECT min(level) AS min_level, max(level) AS max_level, sum(entries) AS entries
  FROM SSTableMeta WHERE relation = 'comp'::regclass;
SELECT comp_overlaps('comp', false) AS overlapping_pairs;
SELECT comp_digest('comp') = comp_digest('comp_heap') AS same_as_heap,
       (SELECT count(*) FROM comp) AS rows;
SELECT space_amplification FROM lsm_am.relation_stats WHERE relation = 'comp'::regclass;

-- Space reuse: compacting the same data again and again writes new
-- SSTables into the space of the old ones (freed once no scan reads
-- them), so the relation stops growing.
SELECT relation_bytes AS bytes_before FROM lsm_am.relation_stats
 WHERE relation = 'comp'::regclass \gset
SELECT lsm_am.compact('comp') FROM generate_series(1, 5);
SELECT relation_bytes <= 3 * sstable_bytes + 2 * 1024 * 1024 AS bounded,
       relation_bytes <= :bytes_before * 3 / 2 AS not_growing,
       sstables > 0 AS has_sstables, entries, space_amplification
  FROM lsm_am.relation_stats WHERE relation = 'comp'::regclass;
SELECT relation_bytes AS bytes_after FROM lsm_am.relation_stats
 WHERE relation = 'comp'::regclass \gset
SELECT lsm_am.compact('comp') FROM generate_series(1, 5);
SELECT relation_bytes = :bytes_after AS stable_size
  FROM lsm_am.relation_stats WHERE relation = 'comp'::regclass;
SELECT comp_digest('comp') = comp_digest('comp_heap') AS same_as_heap;

-- A single SSTable already in the deepest level: nothing to do.
CREATE TABLE comp_one (id bigint, payload text) USING lsm;
INSERT INTO comp_one SELECT g, md5(g::text) FROM generate_series(1, 100) g;
SELECT lsm_am.flush('comp_one');
SELECT lsm_am.compact('comp_one');
SELECT level, entries FROM SSTableMeta WHERE relation = 'comp_one'::regclass;
SELECT lsm_am.compact('comp_one');
SELECT level, entries FROM SSTableMeta WHERE relation = 'comp_one'::regclass;
-- level 1 into level 2, even for one SSTable
SELECT lsm_am.compact('comp_one', 1);
SELECT level, entries FROM SSTableMeta WHERE relation = 'comp_one'::regclass;
SELECT from_level, to_level, keys_in, keys_dropped,
       jsonb_array_length(input_sstables) AS inputs
  FROM CompactionJob WHERE relation = 'comp_one'::regclass AND kind = 'compaction'
 ORDER BY completed_at;
-- an empty table: nothing to do
CREATE TABLE comp_empty (id bigint) USING lsm;
SELECT lsm_am.compact('comp_empty'), lsm_am.compact('comp_empty', 0);
SELECT * FROM lsm_am.relation_stats WHERE relation = 'comp_empty'::regclass;

--
-- Size-tiered: every SSTable stays in level 0; a full compaction leaves
-- one sorted run there, as one SSTable (tiered outputs are not cut at
-- target_file_size: cut pieces of similar size would form a bucket
-- again).  The workers compact the flushed SSTables on their own while the rows load (size-tiered buckets need no trigger
-- option); how often depends on timing, but no row may be rewritten more
-- than a few times: a sorted run is never worth merging with itself.
--
CREATE TABLE comp_tiered (id bigint, payload text) USING lsm
  WITH (compaction_style = 'tiered', target_file_size = 128);
INSERT INTO comp_tiered SELECT g, md5(g::text) FROM generate_series(1, 60000) g;
SELECT lsm_am.flush('comp_tiered') >= 1 AS flushed;
-- 0 when the workers have merged everything into one run already
SELECT lsm_am.compact('comp_tiered') <= 1 AS at_most_one_compaction;
SELECT count(*) AS sstables, min(level) AS min_level, max(level) AS max_level,
       sum(entries) AS entries
  FROM SSTableMeta WHERE relation = 'comp_tiered'::regclass;
SELECT comp_overlaps('comp_tiered', false) AS overlapping_pairs;
SELECT count(*), sum(id) FROM comp_tiered;
SELECT count(*) <= 1 AS at_most_one_manual_job,
       coalesce(bool_and(from_level = 0 AND to_level = 0 AND keys_in <= 60000
                         AND keys_dropped = 0 AND reason = 'manual: all SSTables'), true) AS manual_job_as_expected
  FROM CompactionJob WHERE relation = 'comp_tiered'::regclass AND kind = 'compaction'
   AND reason LIKE 'manual%';
SELECT sum(keys_in) <= 4 * 60000 AS rows_rewritten_at_most_4_times
  FROM CompactionJob WHERE relation = 'comp_tiered'::regclass AND kind = 'compaction';
SELECT space_amplification FROM lsm_am.relation_stats WHERE relation = 'comp_tiered'::regclass;
-- one sorted run: nothing left for the workers to do
SELECT score < 1 AS nothing_to_do FROM lsm_am.level_shape()
 WHERE relation = 'comp_tiered'::regclass AND level = 0;
CREATE TEMP TABLE comp_tiered_run AS
  SELECT id FROM SSTableMeta WHERE relation = 'comp_tiered'::regclass;
SELECT lsm_am.compact('comp_tiered', wait => false);
DO $$
BEGIN
  FOR i IN 1..50 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM CompactionJob
                           WHERE relation = 'comp_tiered'::regclass AND status = 'running')
          AND EXISTS (SELECT FROM lsm_am.level_shape()
                       WHERE relation = 'comp_tiered'::regclass AND level = 0 AND score < 1);
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT (SELECT array_agg(id ORDER BY id) FROM comp_tiered_run)
     = (SELECT array_agg(id ORDER BY id) FROM SSTableMeta WHERE relation = 'comp_tiered'::regclass)
       AS run_unchanged;
-- a level of a tiered table: everything is level 0, compacted again
-- one SSTable already: nothing to do
SELECT lsm_am.compact('comp_tiered', 0);
SELECT min(level) AS min_level, max(level) AS max_level, sum(entries) AS entries
  FROM SSTableMeta WHERE relation = 'comp_tiered'::regclass;
SELECT count(*), sum(id) FROM comp_tiered;

--
-- Automatic leveled compaction by the background workers: a low level-0
-- trigger, small levels.  Wait (bounded) until the workers are done and
-- no level is over its target; then levels below 0 hold disjoint SSTables
-- and the data is intact.  How far down it went depends on timing, so
-- only facts that hold for every schedule are printed.
-- (lsm_am.level_shape() gives the exact scores; level_stats rounds them.)
--
CREATE TABLE comp_auto (id bigint, payload text) USING lsm
  WITH (l0_compaction_trigger = 2, level_base_size = 512, target_file_size = 128,
        level_multiplier = 4);
INSERT INTO comp_auto SELECT g, md5(g::text) FROM generate_series(1, 100000) g;
SELECT lsm_am.flush('comp_auto') >= 1 AS flushed;
DO $$
DECLARE
  busy bool;
BEGIN
  FOR i IN 1..600 LOOP
    SELECT EXISTS (SELECT FROM CompactionJob
                    WHERE relation = 'comp_auto'::regclass AND status = 'running')
        OR EXISTS (SELECT FROM lsm_am.level_shape()
                    WHERE relation = 'comp_auto'::regclass AND score >= 1)
      INTO busy;
    EXIT WHEN NOT busy;
    PERFORM lsm_am.compact('comp_auto', NULL, false);
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT count(*) AS levels_over_target FROM lsm_am.level_shape()
 WHERE relation = 'comp_auto'::regclass AND score >= 1;
SELECT count(*) AS overlapping_pairs_below_l0 FROM SSTableMeta a JOIN SSTableMeta b
    ON a.relation = b.relation AND a.id < b.id AND a.level = b.level AND a.level > 0
   AND a.min_key <= b.max_key AND b.min_key <= a.max_key
 WHERE a.relation = 'comp_auto'::regclass;
SELECT sum(entries) AS entries, max(level) >= 1 AS below_level_0
  FROM SSTableMeta WHERE relation = 'comp_auto'::regclass;
SELECT count(*), sum(id), count(DISTINCT id) FROM comp_auto;
-- the workers' jobs, by reason: level 0 over its trigger, then levels
-- over their targets
SELECT count(*) > 0 AS has_l0_jobs FROM CompactionJob
 WHERE relation = 'comp_auto'::regclass AND kind = 'compaction' AND from_level = 0
   AND status = 'done' AND reason LIKE 'L0 has % files (trigger 2)';
SELECT bool_and(status = 'done') AS all_done,
       bool_and(keys_in > 0) AS keys_in,
       bool_and(trivial_move OR (bytes_read > 0 AND bytes_written > 0)) AS bytes,
       bool_and(to_level = from_level + 1) AS next_level
  FROM CompactionJob WHERE relation = 'comp_auto'::regclass AND kind = 'compaction';
SELECT level, target_bytes FROM lsm_am.level_stats
 WHERE relation = 'comp_auto'::regclass AND level BETWEEN 1 AND 2 ORDER BY level;
-- New rows' ids grow, so a level-1 SSTable never overlaps level 2: moving
-- it down needs no rewrite (a trivial move: nothing read or written); so
-- do level-0 SSTables that are disjoint (several at once, from level 0).
SELECT count(*) > 0 AS has_trivial_moves,
       bool_and(bytes_read = 0 AND bytes_written = 0) AS moves_copy_nothing,
       bool_and(from_level = 0 OR jsonb_array_length(input_sstables) = 1) AS deeper_one_input
  FROM CompactionJob WHERE relation = 'comp_auto'::regclass AND trivial_move;
SELECT sum(trivial_moves) > 0 AS level_stats_count_moves
  FROM lsm_am.level_stats WHERE relation = 'comp_auto'::regclass;

--
-- Options: validation, storage, ALTER TABLE.
--
CREATE TABLE comp_bad (id int) USING lsm WITH (compaction_style = 'universal');
CREATE TABLE comp_bad (id int) USING lsm WITH (l0_compaction_trigger = 1);
CREATE TABLE comp_bad (id int) USING lsm WITH (l0_compaction_trigger = 65);
CREATE TABLE comp_bad (id int) USING lsm WITH (level_base_size = 10);
CREATE TABLE comp_bad (id int) USING lsm WITH (target_file_size = 0);
CREATE TABLE comp_bad (id int) USING lsm WITH (level_multiplier = 1);
CREATE TABLE comp_bad (id int) USING lsm WITH (level_multiplier = 101);
CREATE TABLE comp_bad (id int) USING lsm WITH (l0_compaction_trigger = 'many');
CREATE TABLE comp_bad (id int) USING lsm WITH (compaction_style);
-- bounds are accepted; names and style values are case-insensitive
CREATE TABLE comp_opts (id int) USING lsm
  WITH (Compaction_Style = 'TIERED', l0_compaction_trigger = 2, level_base_size = 64,
        level_multiplier = 100, target_file_size = 64);
SELECT reloptions FROM pg_class WHERE oid = 'comp_opts'::regclass;
ALTER TABLE comp_opts SET (compaction_style = 'leveled', l0_compaction_trigger = 64,
                           level_multiplier = 2);
SELECT reloptions FROM pg_class WHERE oid = 'comp_opts'::regclass;
ALTER TABLE comp_opts SET (l0_compaction_trigger = 0);
ALTER TABLE comp_opts RESET (compaction_style, level_base_size);
SELECT reloptions FROM pg_class WHERE oid = 'comp_opts'::regclass;
-- options of heap tables are not lsm's
CREATE TABLE comp_heap_opt (id int) WITH (compaction_style = 'leveled');

--
-- lsm_am.compact(): arguments and privileges.
--
SELECT lsm_am.compact('comp', -2);
SELECT lsm_am.compact('comp', 8);
SELECT lsm_am.compact(NULL);
SELECT lsm_am.compact('comp_heap');
SELECT lsm_am.compact('comp_one', wait => false);
SELECT lsm_am.compact('comp_one', 1, false);
CREATE ROLE lsm_regress_compaction;
GRANT SELECT ON comp TO lsm_regress_compaction;
SET ROLE lsm_regress_compaction;
SELECT lsm_am.compact('comp');
SELECT lsm_am.compact('comp', 0);
SELECT lsm_am.compact('comp', wait => false);
SELECT lsm_am.flush('comp');
-- the crash-test pause is for superusers only
SET lsm_am.debug_compaction_pause = '1s';
-- the views are readable by everyone
SELECT count(*) > 0 AS sees_jobs FROM CompactionJob WHERE relation = 'comp'::regclass;
SELECT count(*) > 0 AS sees_levels FROM lsm_am.level_stats WHERE relation = 'comp'::regclass;
SELECT entries FROM lsm_am.relation_stats WHERE relation = 'comp'::regclass;
-- but not writable
DELETE FROM lsm_am.compaction_history;
RESET ROLE;
DROP OWNED BY lsm_regress_compaction;
DROP ROLE lsm_regress_compaction;

-- The history survives its tables (relation shows the oid when dropped);
-- lsm_am.compaction_history_size bounds it.
SHOW lsm_am.compaction_history_size;

--
-- Intra-L0: an lsm index on scattered keys, its level 1 built by hand,
-- then four small level-0 SSTables, which all overlap each other and
-- level 1 (over four times their bytes): the workers' automatic pick
-- merges them into one level-0 SSTable and leaves level 1 as it is.
--
CREATE TABLE comp_intra (id bigint, k bigint);
CREATE INDEX comp_intra_k ON comp_intra USING lsm (k)
  WITH (l0_compaction_trigger = 64, level_base_size = 1048576);
INSERT INTO comp_intra SELECT g, (g * 7919) % 1000003 FROM generate_series(1, 200000) g;
SELECT lsm_am.flush('comp_intra_k') >= 1 AS flushed;
SELECT lsm_am.compact('comp_intra_k', 0) >= 1 AS into_level_1;
DO $$
BEGIN
  FOR b IN 0..3 LOOP
    INSERT INTO comp_intra
      SELECT g, (g * 7919) % 1000003
        FROM generate_series(200001 + b * 5000, 205000 + b * 5000) g;
    PERFORM lsm_am.flush('comp_intra_k');
  END LOOP;
END $$;
CREATE TEMP TABLE comp_intra_l1 AS
  SELECT id FROM SSTableMeta WHERE relation = 'comp_intra_k'::regclass AND level = 1;
SELECT count(*) FILTER (WHERE level = 0) AS l0_sstables,
       count(*) FILTER (WHERE level = 1) > 0 AS has_l1
  FROM SSTableMeta WHERE relation = 'comp_intra_k'::regclass;
ALTER INDEX comp_intra_k SET (l0_compaction_trigger = 4);
DO $$
BEGIN
  FOR i IN 1..600 LOOP
    EXIT WHEN EXISTS (SELECT FROM lsm_am.compaction_history
                       WHERE relid = 'comp_intra_k'::regclass AND kind = 'compaction'
                         AND reason NOT LIKE 'manual%' AND status = 'done');
    PERFORM lsm_am.compact('comp_intra_k', NULL, false);
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT from_level, to_level, trivial_move, jsonb_array_length(input_sstables) AS inputs,
       jsonb_array_length(output_sstables) AS outputs, reason LIKE '%merged within L0%' AS within
  FROM lsm_am.compaction_history
 WHERE relid = 'comp_intra_k'::regclass AND kind = 'compaction' AND reason NOT LIKE 'manual%'
 ORDER BY completed_at;
-- one level-0 SSTable now; level 1 untouched
SELECT count(*) FILTER (WHERE level = 0) AS l0_sstables,
       sum(entries) FILTER (WHERE level = 0) AS l0_entries
  FROM SSTableMeta WHERE relation = 'comp_intra_k'::regclass;
SELECT (SELECT array_agg(id ORDER BY id) FROM SSTableMeta
         WHERE relation = 'comp_intra_k'::regclass AND level = 1) =
       (SELECT array_agg(id ORDER BY id) FROM comp_intra_l1) AS l1_unchanged;
-- every row found through the index
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*), sum(k) FROM comp_intra WHERE k >= 0;
SELECT count(*) FROM comp_intra i
 WHERE NOT EXISTS (SELECT FROM comp_intra j WHERE j.k = i.k AND j.id = i.id);
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*), sum(k) FROM comp_intra;
-- the ratio (0: always into level 1) is a server setting
SHOW lsm_am.l0_intra_ratio;

DROP TABLE comp, comp_heap, comp_one, comp_empty, comp_tiered, comp_auto, comp_opts, comp_intra;
DROP FUNCTION comp_overlaps(regclass, bool);
DROP FUNCTION comp_digest(regclass);
DROP FUNCTION comp_rowid(bytea);
