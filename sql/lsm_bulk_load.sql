--
-- lsm_bulk_load: a transaction that writes many new rows (INSERT ...
-- SELECT, COPY, CREATE TABLE AS) writes them, and its lsm index entries,
-- as level-0 SSTables of their own (lsm_am.bulk_write_size) instead of
-- through the memtable.  What it wrote must read back exactly (through
-- every scan, in the same transaction and after commit), a rolled-back
-- load or savepoint must leave nothing visible, and the SSTables must be
-- real: listed in SSTableMeta with the loaded entries, recorded as
-- "bulk load" jobs, and merged by compaction like any other.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- small bulk batches so that a few tens of thousands of rows make several
SET lsm_am.bulk_write_size = '1MB';
SET lsm_am.write_batch_size = 100;

-- counts through an index (plain, index-only, bitmap) and a seq scan
CREATE FUNCTION bl_check(t regclass, col text, lo bigint, hi bigint) RETURNS text
  LANGUAGE plpgsql AS $$
DECLARE a bigint; b bigint; c bigint; d bigint;
  q text := format('SELECT count(*) FROM %s WHERE %I BETWEEN %s AND %s', t, col, lo, hi);
BEGIN
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;
  SET LOCAL enable_indexonlyscan = off;
  EXECUTE q INTO a;
  SET LOCAL enable_indexonlyscan = on;
  EXECUTE q INTO b;
  SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;
  SET LOCAL enable_bitmapscan = on;
  EXECUTE q INTO c;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_bitmapscan = off;
  EXECUTE q INTO d;
  RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_indexscan;
  RESET enable_indexonlyscan;
  IF a = b AND b = c AND c = d THEN RETURN 'ok ' || d; END IF;
  RETURN format('MISMATCH index %s, index-only %s, bitmap %s, seq %s', a, b, c, d);
END $$;

-- SSTables written by bulk loads of a relation, and their entries
CREATE FUNCTION bl_jobs(rel regclass) RETURNS TABLE (jobs bigint, keys numeric)
  LANGUAGE sql AS $$
  SELECT count(*), coalesce(sum(keys_in), 0) FROM lsm_am.compaction_history
   WHERE relid = rel AND reason = 'bulk load' AND status = 'done' $$;

CREATE TABLE bl (id bigint, k bigint, pad text) USING lsm;
CREATE INDEX bl_k ON bl USING lsm (k);
CREATE INDEX bl_id_btree ON bl (id);

-- a load: the rows read back in the same transaction and after it
BEGIN;
INSERT INTO bl SELECT g, (g * 7919) % 100003, repeat('x', 40)
  FROM generate_series(1, 30000) g;
SELECT bl_check('bl', 'k', 0, 200000) AS k_in_xact, bl_check('bl', 'id', 0, 200000) AS id_in_xact;
COMMIT;
SELECT bl_check('bl', 'k', 0, 200000) AS k, bl_check('bl', 'id', 0, 200000) AS id,
       bl_check('bl', 'k', 100, 5000) AS k_range;
SELECT count(*) = 30000 AS all_rows, count(DISTINCT id) = 30000 AS distinct_ids,
       sum(id) = 30000::numeric * 30001 / 2 AS ids_sum FROM bl;
-- the table and its lsm index each got bulk-load SSTables holding most entries
SELECT jobs > 0 AS table_bulk, keys > 15000 AS table_keys FROM bl_jobs('bl');
SELECT jobs > 0 AS index_bulk, keys > 15000 AS index_keys FROM bl_jobs('bl_k');

-- a rolled-back load leaves nothing visible
SELECT lsm_am.flush('bl') >= 0 AS flushed;
SELECT sum(entries) AS entries_before FROM lsm_am.sstables() WHERE relation = 'bl'::regclass \gset
BEGIN;
INSERT INTO bl SELECT g, g, 'rolled back' FROM generate_series(100001, 130000) g;
SELECT count(*) AS in_xact FROM bl WHERE pad = 'rolled back';
-- most of them are in SSTables already
SELECT sum(entries) - :entries_before >= 20000 AS load_in_sstables
  FROM lsm_am.sstables() WHERE relation = 'bl'::regclass;
ROLLBACK;
SELECT count(*) AS after_rollback FROM bl WHERE pad = 'rolled back';
SELECT bl_check('bl', 'k', 0, 200000) AS k, bl_check('bl', 'id', 0, 200000) AS id;

-- a savepoint rolled back in the middle of a load: only its rows go
BEGIN;
INSERT INTO bl SELECT g, g, 'kept' FROM generate_series(200001, 220000) g;
SAVEPOINT s;
INSERT INTO bl SELECT g, g, 'dropped' FROM generate_series(220001, 240000) g;
ROLLBACK TO s;
INSERT INTO bl SELECT g, g, 'kept' FROM generate_series(240001, 250000) g;
COMMIT;
SELECT pad, count(*) FROM bl WHERE id > 200000 GROUP BY pad ORDER BY pad;
SELECT bl_check('bl', 'k', 0, 300000) AS k, bl_check('bl', 'id', 0, 300000) AS id;

-- COPY is a bulk load too
CREATE TABLE bl_src AS SELECT g AS id, g % 1000 AS k, md5(g::text) AS pad
  FROM generate_series(1, 20000) g;
COPY bl_src TO '/tmp/lsm_bulk_load.copy';
CREATE TABLE bl_copy (id bigint, k bigint, pad text) USING lsm;
CREATE INDEX bl_copy_k ON bl_copy USING lsm (k);
COPY bl_copy FROM '/tmp/lsm_bulk_load.copy';
SELECT bl_check('bl_copy', 'k', 0, 1000) AS k;
SELECT count(*) AS differ FROM (SELECT * FROM bl_copy EXCEPT SELECT * FROM bl_src) d;
SELECT jobs > 0 AS copy_bulk FROM bl_jobs('bl_copy');

-- CREATE TABLE AS
CREATE TABLE bl_ctas USING lsm AS SELECT * FROM bl_src;
SELECT count(*) AS ctas_rows, sum(k) = (SELECT sum(k) FROM bl_src) AS same_sum FROM bl_ctas;
SELECT jobs > 0 AS ctas_bulk FROM bl_jobs('bl_ctas');

-- a heap table's lsm index is loaded the same way
CREATE TABLE bl_heap (id bigint, k bigint);
CREATE INDEX bl_heap_k ON bl_heap USING lsm (k);
INSERT INTO bl_heap SELECT g, g % 5000 FROM generate_series(1, 40000) g;
SELECT bl_check('bl_heap', 'k', 0, 5000) AS heap_k, bl_check('bl_heap', 'k', 10, 19) AS heap_k_range;
SELECT jobs > 0 AS heap_index_bulk FROM bl_jobs('bl_heap_k');

-- a full compaction merges bulk-load SSTables and drops the rolled-back
-- rows (their SSTables stayed; the history rows of their jobs went with
-- their transaction)
SELECT lsm_am.compact('bl') >= 0 AS compacted, lsm_am.compact('bl_k') >= 0 AS index_compacted;
SELECT count(*) AS sstables FROM lsm_am.sstables() WHERE relation = 'bl'::regclass;
SELECT sum(entries) AS entries_after_compaction
  FROM lsm_am.sstables() WHERE relation = 'bl'::regclass;
SELECT bl_check('bl', 'k', 0, 300000) AS k, bl_check('bl', 'id', 0, 300000) AS id;
SELECT count(*) AS all_rows FROM bl;

-- a bulk batch left at commit below a quarter of lsm_am.bulk_write_size
-- goes into the memtable in one write that outlives several memtables
-- (1MB each here): every row must be there
SET lsm_am.bulk_write_size = '256MB';
CREATE TABLE bl_long (id bigint, pad text) USING lsm;
INSERT INTO bl_long SELECT g, md5(g::text) FROM generate_series(1, 60000) g;
SELECT count(*), sum(id) = 60000::numeric * 60001 / 2 AS ids_sum FROM bl_long;
SELECT lsm_am.flush('bl_long') >= 0 AS flushed;
SELECT count(*), sum(id) = 60000::numeric * 60001 / 2 AS ids_sum FROM bl_long;
SELECT jobs AS bulk_jobs_long FROM bl_jobs('bl_long');

-- off: no bulk-load SSTables
SET lsm_am.bulk_write_size = 0;
CREATE TABLE bl_off (id bigint) USING lsm;
INSERT INTO bl_off SELECT g FROM generate_series(1, 30000) g;
SELECT jobs AS bulk_jobs_off FROM bl_jobs('bl_off');
SELECT count(*) FROM bl_off;
RESET lsm_am.bulk_write_size;
RESET lsm_am.write_batch_size;

DROP TABLE bl, bl_src, bl_copy, bl_ctas, bl_heap, bl_long, bl_off;
DROP FUNCTION bl_check(regclass, text, bigint, bigint);
DROP FUNCTION bl_jobs(regclass);
