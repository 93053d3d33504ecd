--
-- lsm_dml: UPDATE, DELETE and MERGE on lsm tables behave exactly as on
-- heap tables.  Every result below is what the same statements print on a
-- heap table (this file run with USING heap prints the same), except
-- for the lines that show the table is lsm and for ctid values.
--
-- Memtables freeze every ~1MB (test/lsm_test.conf) and background workers
-- flush them at moments we cannot predict; lsm_am.flush() and
-- lsm_am.compact() wait, and their counts are never printed.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- count|sum|md5 of a table's rows in (id, v) order
CREATE FUNCTION dml_digest(t regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE format('SELECT count(*) || ''|'' || coalesce(sum(id), 0) || ''|'' || '
                 'md5(coalesce(string_agg(id || '','' || coalesce(v, ''<null>''), '';'' '
                 'ORDER BY id, v), ''''))  FROM %s', t) INTO r;
  RETURN r;
END $$;

-- Rows visible in a table's TOAST relation.
CREATE FUNCTION dml_toast_rows(t regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s',
                 (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = t)) INTO n;
  RETURN n;
END $$;

-- UPDATE and DELETE with RETURNING, through seq scans.
CREATE TABLE dml (id int, v text) USING lsm;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'dml'::regclass;
INSERT INTO dml SELECT g, 'v' || g FROM generate_series(1, 10) g;
WITH u AS (UPDATE dml SET v = v || '+' WHERE id <= 3 RETURNING id, v)
SELECT * FROM u ORDER BY id;
UPDATE dml SET v = 'nine' WHERE v = 'v9' RETURNING *;
UPDATE dml SET v = 'none' WHERE id = 100 RETURNING *;
WITH d AS (DELETE FROM dml WHERE id IN (4, 5) RETURNING *)
SELECT * FROM d ORDER BY id;
DELETE FROM dml WHERE id = 4 RETURNING *;	-- already gone
SELECT * FROM dml ORDER BY id;
-- a row updated twice in one transaction, then deleted
BEGIN;
UPDATE dml SET v = 'a' WHERE id = 6;
UPDATE dml SET v = v || 'b' WHERE id = 6;
SELECT * FROM dml WHERE id = 6;
DELETE FROM dml WHERE id = 6 RETURNING *;
SELECT * FROM dml WHERE id = 6;
COMMIT;
SELECT * FROM dml ORDER BY id;
-- a row inserted and updated in the same transaction
BEGIN;
INSERT INTO dml VALUES (11, 'new');
UPDATE dml SET v = 'newer' WHERE id = 11;
COMMIT;
-- update to NULL and back
UPDATE dml SET v = NULL WHERE id = 7;
SELECT id, v IS NULL AS v_null FROM dml WHERE id = 7;
UPDATE dml SET v = 'seven' WHERE v IS NULL;
SELECT * FROM dml ORDER BY id;
-- rows in an SSTable and in the memtable, updated and deleted
SELECT lsm_am.flush('dml') >= 0 AS flushed;
UPDATE dml SET v = upper(v) WHERE id % 2 = 0;
DELETE FROM dml WHERE id = 1;
SELECT * FROM dml ORDER BY id;
SELECT lsm_am.flush('dml') >= 0 AS flushed;
SELECT * FROM dml ORDER BY id;
SELECT lsm_am.compact('dml') >= 0 AS compacted;
SELECT * FROM dml ORDER BY id;
-- statement-level counts
UPDATE dml SET v = v;
DELETE FROM dml WHERE false;

-- The ctid of a row changes when it is updated; the old ctid finds nothing.
CREATE TABLE dml_ctid (id int, v text) USING lsm;
INSERT INTO dml_ctid VALUES (1, 'a'), (2, 'b');
CREATE TEMP TABLE old_ctid AS SELECT ctid AS c FROM dml_ctid WHERE id = 1;
UPDATE dml_ctid SET v = 'a2' WHERE id = 1;
SELECT (SELECT ctid FROM dml_ctid WHERE id = 1) <> c AS ctid_changed FROM old_ctid;
SELECT count(*) FROM dml_ctid WHERE ctid = (SELECT c FROM old_ctid);
SELECT id, v FROM dml_ctid WHERE ctid = (SELECT ctid FROM dml_ctid WHERE id = 1);
-- an update that changes nothing still makes a new version
UPDATE dml_ctid SET v = v WHERE id = 2 RETURNING id, v;
SELECT id, v FROM dml_ctid ORDER BY id;
DROP TABLE old_ctid;

-- WHERE through an index, UPDATE of the indexed key.
CREATE TABLE dml_idx (id int, v text) USING lsm WITH (autovacuum_enabled = off);
INSERT INTO dml_idx SELECT g, 'v' || g FROM generate_series(1, 2000) g;
CREATE INDEX dml_idx_id ON dml_idx (id);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) UPDATE dml_idx SET v = 'x' WHERE id = 42;
UPDATE dml_idx SET v = 'x' WHERE id = 42 RETURNING *;
EXPLAIN (COSTS OFF) DELETE FROM dml_idx WHERE id BETWEEN 100 AND 199;
DELETE FROM dml_idx WHERE id BETWEEN 100 AND 199;
SELECT * FROM dml_idx WHERE id = 42;
SELECT count(*) FROM dml_idx WHERE id BETWEEN 90 AND 210;
-- change the key: the index finds the row under its new key only
WITH u AS (UPDATE dml_idx SET id = id + 10000 WHERE id BETWEEN 1 AND 10 RETURNING id, v)
SELECT * FROM u ORDER BY id;
SELECT * FROM dml_idx WHERE id = 5;
SELECT * FROM dml_idx WHERE id = 10005;
SELECT lsm_am.flush('dml_idx') >= 0 AS flushed;
UPDATE dml_idx SET id = -id WHERE id > 10000 AND id <= 10003;
SELECT * FROM dml_idx WHERE id < 0 ORDER BY id;
SELECT count(*) FROM dml_idx WHERE id > 10000;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- the index and a seq scan agree
SELECT dml_digest('dml_idx');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) FROM dml_idx WHERE id > -100000;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- CLUSTER rewrites the table and rebuilds the index
CLUSTER dml_idx USING dml_idx_id;
SELECT dml_digest('dml_idx');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) || '|' || sum(id) FROM dml_idx WHERE id > -100000;
SELECT * FROM dml_idx WHERE id = 42;
RESET enable_seqscan;
RESET enable_bitmapscan;

-- Many rows: an lsm table and a heap twin get the same statements, with
-- flushes and compactions in between; they must stay identical.
CREATE TABLE dml_big (id int, v text) USING lsm;
CREATE TABLE dml_big_heap (id int, v text) USING heap;
INSERT INTO dml_big SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
INSERT INTO dml_big_heap SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
SELECT lsm_am.flush('dml_big') >= 0 AS flushed;
UPDATE dml_big SET v = 'u1:' || v WHERE id % 3 = 0;
UPDATE dml_big_heap SET v = 'u1:' || v WHERE id % 3 = 0;
DELETE FROM dml_big WHERE id % 7 = 0;
DELETE FROM dml_big_heap WHERE id % 7 = 0;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same, dml_digest('dml_big_heap');
SELECT lsm_am.flush('dml_big') >= 0 AS flushed;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same;
UPDATE dml_big SET id = id + 100000, v = 'u2' WHERE id % 5 = 0;
UPDATE dml_big_heap SET id = id + 100000, v = 'u2' WHERE id % 5 = 0;
INSERT INTO dml_big SELECT g, 'late' FROM generate_series(50001, 52000) g;
INSERT INTO dml_big_heap SELECT g, 'late' FROM generate_series(50001, 52000) g;
SELECT lsm_am.compact('dml_big') >= 0 AS compacted;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same, dml_digest('dml_big_heap');
-- the same rows updated several times, across flushes
UPDATE dml_big SET v = v || '.' WHERE id BETWEEN 1000 AND 1999;
UPDATE dml_big_heap SET v = v || '.' WHERE id BETWEEN 1000 AND 1999;
SELECT lsm_am.flush('dml_big') >= 0 AS flushed;
UPDATE dml_big SET v = v || '.' WHERE id BETWEEN 1500 AND 2499;
UPDATE dml_big_heap SET v = v || '.' WHERE id BETWEEN 1500 AND 2499;
DELETE FROM dml_big WHERE id BETWEEN 1800 AND 1850;
DELETE FROM dml_big_heap WHERE id BETWEEN 1800 AND 1850;
SELECT lsm_am.flush('dml_big') >= 0 AS flushed;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same;
SELECT lsm_am.compact('dml_big') >= 0 AS compacted;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same, dml_digest('dml_big_heap');
-- VACUUM FULL rewrites the table with the same rows
VACUUM FULL dml_big;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same;
UPDATE dml_big SET v = v || '!' WHERE id % 11 = 0;
UPDATE dml_big_heap SET v = v || '!' WHERE id % 11 = 0;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same;
-- an aborted update and delete leave no trace, after a flush and compaction
BEGIN;
UPDATE dml_big SET v = 'aborted' WHERE id < 30000;
DELETE FROM dml_big WHERE id >= 30000;
SELECT count(*) FROM dml_big;
ROLLBACK;
SELECT lsm_am.flush('dml_big') >= 0 AS flushed;
SELECT lsm_am.compact('dml_big') >= 0 AS compacted;
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same;
SELECT count(*) FROM dml_big WHERE v = 'aborted';
-- delete everything, then insert again
DELETE FROM dml_big;
DELETE FROM dml_big_heap;
SELECT lsm_am.flush('dml_big') >= 0 AS flushed;
SELECT lsm_am.compact('dml_big') >= 0 AS compacted;
SELECT count(*) FROM dml_big;
INSERT INTO dml_big VALUES (1, 'again');
INSERT INTO dml_big_heap VALUES (1, 'again');
SELECT dml_digest('dml_big') = dml_digest('dml_big_heap') AS same, dml_digest('dml_big');

-- Self-join DELETE and UPDATE ... FROM.
CREATE TABLE dml_pairs (id int, v text) USING lsm;
INSERT INTO dml_pairs SELECT g, 'p' || (g % 5) FROM generate_series(1, 20) g;
-- keep the row with the smallest id of each v
WITH d AS (DELETE FROM dml_pairs a USING dml_pairs b
            WHERE a.v = b.v AND a.id > b.id RETURNING a.id, a.v)
SELECT * FROM d ORDER BY id;
SELECT * FROM dml_pairs ORDER BY id;
CREATE TABLE dml_src (id int, nv text) USING lsm;
INSERT INTO dml_src VALUES (1, 'from src 1'), (3, 'from src 3'), (99, 'no match');
WITH u AS (UPDATE dml_pairs p SET v = s.nv FROM dml_src s WHERE p.id = s.id
           RETURNING p.*, s.id AS sid)
SELECT * FROM u ORDER BY id;
-- a source row matching twice updates the target once
INSERT INTO dml_src VALUES (2, 'dup a'), (2, 'dup b');
UPDATE dml_pairs p SET v = 'matched' FROM dml_src s WHERE p.id = s.id AND s.id = 2;
SELECT * FROM dml_pairs ORDER BY id;
-- UPDATE ... FROM a heap table, and a heap table FROM an lsm table
CREATE TABLE dml_heap_src (id int, nv text) USING heap;
INSERT INTO dml_heap_src VALUES (4, 'from heap');
UPDATE dml_pairs p SET v = h.nv FROM dml_heap_src h WHERE p.id = h.id;
UPDATE dml_heap_src h SET nv = p.v FROM dml_pairs p WHERE p.id = 1;
SELECT * FROM dml_pairs ORDER BY id;
SELECT * FROM dml_heap_src;
-- correlated subqueries over the table being changed
UPDATE dml_pairs SET v = (SELECT count(*) FROM dml_pairs)::text WHERE id = 5;
DELETE FROM dml_pairs WHERE id = (SELECT max(id) FROM dml_pairs) RETURNING *;
SELECT * FROM dml_pairs ORDER BY id;

-- MERGE: update, delete and insert in one statement.
CREATE TABLE dml_merge (id int, v text, n int) USING lsm;
INSERT INTO dml_merge SELECT g, 'm' || g, 0 FROM generate_series(1, 10) g;
MERGE INTO dml_merge t
USING (SELECT g AS id, g % 3 AS op FROM generate_series(5, 15) g) s
   ON t.id = s.id
 WHEN MATCHED AND s.op = 0 THEN DELETE
 WHEN MATCHED THEN UPDATE SET n = t.n + 1, v = t.v || '*'
 WHEN NOT MATCHED AND s.op <> 1 THEN INSERT VALUES (s.id, 'ins', -1)
 WHEN NOT MATCHED THEN DO NOTHING;
SELECT * FROM dml_merge ORDER BY id;
SELECT lsm_am.flush('dml_merge') >= 0 AS flushed;
MERGE INTO dml_merge t USING dml_merge s ON t.id = s.id
 WHEN MATCHED AND t.n < 0 THEN UPDATE SET n = 100
 WHEN MATCHED AND t.id = 1 THEN DELETE;
SELECT * FROM dml_merge ORDER BY id;
-- a source row matching a target row twice is an error, nothing changes
MERGE INTO dml_merge t USING (VALUES (2), (2)) s(id) ON t.id = s.id
 WHEN MATCHED THEN UPDATE SET n = n + 1;
SELECT * FROM dml_merge WHERE id = 2;

-- Triggers: BEFORE/AFTER ROW UPDATE/DELETE, and transition tables.
CREATE TABLE dml_trig (id int, v text) USING lsm;
CREATE TABLE dml_trig_log (seq serial, what text) USING lsm;
INSERT INTO dml_trig SELECT g, 't' || g FROM generate_series(1, 5) g;
CREATE FUNCTION dml_trig_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO dml_trig_log (what) VALUES
      (format('%s %s update %s -> %s', TG_WHEN, TG_LEVEL, OLD, NEW));
    IF TG_WHEN = 'BEFORE' THEN
      IF NEW.v = 'skip' THEN
        RETURN NULL;
      END IF;
      NEW.v := NEW.v || '!';
    END IF;
    RETURN NEW;
  ELSE
    INSERT INTO dml_trig_log (what) VALUES
      (format('%s %s delete %s', TG_WHEN, TG_LEVEL, OLD));
    IF TG_WHEN = 'BEFORE' AND OLD.id = 3 THEN
      RETURN NULL;
    END IF;
    RETURN OLD;
  END IF;
END $$;
CREATE FUNCTION dml_trig_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO dml_trig_log (what)
      SELECT format('statement update: old %s, new %s',
                    (SELECT string_agg(o::text, ' ' ORDER BY o.id) FROM old_rows o),
                    (SELECT string_agg(n::text, ' ' ORDER BY n.id) FROM new_rows n));
  ELSE
    INSERT INTO dml_trig_log (what)
      SELECT format('statement delete: old %s',
                    (SELECT string_agg(o::text, ' ' ORDER BY o.id) FROM old_rows o));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER b_row BEFORE UPDATE OR DELETE ON dml_trig
  FOR EACH ROW EXECUTE FUNCTION dml_trig_row();
CREATE TRIGGER a_row AFTER UPDATE OR DELETE ON dml_trig
  FOR EACH ROW EXECUTE FUNCTION dml_trig_row();
CREATE TRIGGER a_stmt_upd AFTER UPDATE ON dml_trig
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dml_trig_stmt();
CREATE TRIGGER a_stmt_del AFTER DELETE ON dml_trig
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dml_trig_stmt();
WITH u AS (UPDATE dml_trig SET v = v || 'u' WHERE id <= 2 RETURNING *)
SELECT * FROM u ORDER BY id;
UPDATE dml_trig SET v = 'skip' WHERE id = 4 RETURNING *;	-- BEFORE trigger skips it
-- the BEFORE trigger keeps id 3
WITH d AS (DELETE FROM dml_trig WHERE id >= 3 RETURNING *)
SELECT * FROM d ORDER BY id;
SELECT * FROM dml_trig ORDER BY id;
SELECT * FROM dml_trig_log ORDER BY seq;
-- a WHEN condition on OLD/NEW
CREATE TRIGGER a_row_when AFTER UPDATE ON dml_trig
  FOR EACH ROW WHEN (OLD.v IS DISTINCT FROM NEW.v)
  EXECUTE FUNCTION dml_trig_row();
TRUNCATE dml_trig_log;
UPDATE dml_trig SET v = v WHERE id = 1;
SELECT count(*) AS log_rows FROM dml_trig_log;
DROP TRIGGER a_row_when ON dml_trig;
-- a deferred constraint trigger sees the final row
CREATE FUNCTION dml_trig_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'deferred check of id %: row now %', NEW.id,
    (SELECT t FROM dml_trig t WHERE t.id = NEW.id);
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER c_deferred AFTER UPDATE ON dml_trig
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dml_trig_check();
BEGIN;
UPDATE dml_trig SET v = 'first' WHERE id = 1;
UPDATE dml_trig SET v = 'second' WHERE id = 1;
COMMIT;
DROP TRIGGER c_deferred ON dml_trig;

-- Rules.
CREATE TABLE dml_ruled (id int, v text) USING lsm;
CREATE TABLE dml_rule_log (id int, old_v text, new_v text) USING lsm;
INSERT INTO dml_ruled SELECT g, 'r' || g FROM generate_series(1, 4) g;
CREATE RULE log_update AS ON UPDATE TO dml_ruled
  DO ALSO INSERT INTO dml_rule_log VALUES (OLD.id, OLD.v, NEW.v);
CREATE RULE soft_delete AS ON DELETE TO dml_ruled
  DO INSTEAD UPDATE dml_ruled SET v = 'deleted' WHERE id = OLD.id;
UPDATE dml_ruled SET v = v || 'x' WHERE id <= 2;
DELETE FROM dml_ruled WHERE id = 4;
SELECT * FROM dml_ruled ORDER BY id;
SELECT * FROM dml_rule_log ORDER BY id, new_v;
-- an updatable view over an lsm table
CREATE VIEW dml_ruled_view AS SELECT id, v FROM dml_ruled WHERE id > 1;
UPDATE dml_ruled_view SET v = 'via view' WHERE id = 3;
SELECT * FROM dml_ruled ORDER BY id;

-- Generated columns are recomputed on UPDATE.
CREATE TABLE dml_gen (id int, a int, b int GENERATED ALWAYS AS (a * 10) STORED,
                      v text) USING lsm;
INSERT INTO dml_gen (id, a, v) SELECT g, g, 'g' FROM generate_series(1, 3) g;
UPDATE dml_gen SET a = a + 1 WHERE id = 2 RETURNING *;
UPDATE dml_gen SET v = 'only v' WHERE id = 3 RETURNING *;
UPDATE dml_gen SET b = 0;
SELECT * FROM dml_gen ORDER BY id;
-- CHECK and NOT NULL constraints are checked on the new version
ALTER TABLE dml_gen ADD CONSTRAINT dml_gen_small CHECK (b < 100);
UPDATE dml_gen SET a = 10 WHERE id = 1;
UPDATE dml_gen SET id = NULL WHERE id = 1;
ALTER TABLE dml_gen ALTER COLUMN id SET NOT NULL;
UPDATE dml_gen SET id = NULL WHERE id = 1;
SELECT * FROM dml_gen ORDER BY id;

-- TOAST: a 1MB value, updated; the old value's TOAST rows go away.
CREATE TABLE dml_toast (id int, v text, big text) USING lsm;
ALTER TABLE dml_toast ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO dml_toast
  SELECT 1, 'a', string_agg(md5(g::text), '') FROM generate_series(1, 32768) g;
INSERT INTO dml_toast VALUES (2, 'b', 'small');
SELECT id, v, length(big), md5(big) FROM dml_toast ORDER BY id;
SELECT dml_toast_rows('dml_toast') AS toast_rows_1;
-- an update that does not touch the big value keeps its TOAST rows
UPDATE dml_toast SET v = 'a2' WHERE id = 1;
SELECT dml_toast_rows('dml_toast') AS toast_rows_same;
SELECT lsm_am.flush('dml_toast') >= 0 AS flushed;
-- a new big value replaces the old one's TOAST rows
UPDATE dml_toast SET big = string_agg FROM
  (SELECT string_agg(md5((g + 1)::text), '') FROM generate_series(1, 32768) g) s
 WHERE id = 1;
SELECT dml_toast_rows('dml_toast') AS toast_rows_after_update;
SELECT id, v, length(big), md5(big) FROM dml_toast ORDER BY id;
-- moving the small row's value to TOAST and back
UPDATE dml_toast SET big = repeat('x', 10000) WHERE id = 2;
SELECT dml_toast_rows('dml_toast') > 0 AS has_toast;
UPDATE dml_toast SET big = 'small again' WHERE id = 2;
-- rolled back: the new TOAST rows are invisible, the old value is intact
BEGIN;
UPDATE dml_toast SET big = repeat('y', 20000) WHERE id = 1;
ROLLBACK;
SELECT id, v, length(big), md5(big) FROM dml_toast ORDER BY id;
DELETE FROM dml_toast WHERE id = 1;
SELECT dml_toast_rows('dml_toast') AS toast_rows_after_delete;
SELECT lsm_am.flush('dml_toast') >= 0 AS flushed;
SELECT lsm_am.compact('dml_toast') >= 0 AS compacted;
SELECT id, v, length(big), md5(big) FROM dml_toast ORDER BY id;

-- Savepoints: a rolled-back update or delete leaves the earlier version.
CREATE TABLE dml_sp (id int, v text) USING lsm;
INSERT INTO dml_sp SELECT g, 's' || g FROM generate_series(1, 3) g;
BEGIN;
UPDATE dml_sp SET v = 'before sp' WHERE id = 1;
SAVEPOINT a;
UPDATE dml_sp SET v = 'in sp' WHERE id = 1;
DELETE FROM dml_sp WHERE id = 2;
SELECT * FROM dml_sp ORDER BY id;
ROLLBACK TO a;
SELECT * FROM dml_sp ORDER BY id;
UPDATE dml_sp SET v = v || ', after sp' WHERE id = 1;
SAVEPOINT b;
DELETE FROM dml_sp;
RELEASE b;
SAVEPOINT c;
SELECT count(*) FROM dml_sp;
ROLLBACK TO c;
SELECT count(*) FROM dml_sp;
ROLLBACK;
SELECT * FROM dml_sp ORDER BY id;
BEGIN;
SAVEPOINT a;
UPDATE dml_sp SET v = 'kept' WHERE id = 3;
RELEASE a;
SAVEPOINT b;
UPDATE dml_sp SET v = 'lost' WHERE id = 3;
ROLLBACK TO b;
UPDATE dml_sp SET v = v || ' twice' WHERE id = 3;
COMMIT;
SELECT * FROM dml_sp ORDER BY id;
-- an error in the middle of an UPDATE undoes the rows it already changed
UPDATE dml_sp SET v = v || (10 / (3 - id))::text;
SELECT * FROM dml_sp ORDER BY id;

-- Halloween: an UPDATE does not see the versions it creates.
CREATE TABLE dml_hw (id int, v text) USING lsm WITH (autovacuum_enabled = off);
INSERT INTO dml_hw SELECT g, 'h' FROM generate_series(1, 3000) g;
SELECT lsm_am.flush('dml_hw') >= 0 AS flushed;
INSERT INTO dml_hw SELECT g, 'h' FROM generate_series(3001, 5000) g;
UPDATE dml_hw SET id = id + 1000;
SELECT count(*), min(id), max(id), sum(id) FROM dml_hw;
UPDATE dml_hw SET id = id + 1000 WHERE id > 0;
SELECT count(*), min(id), max(id), sum(id) FROM dml_hw;
-- through an index, too
CREATE INDEX dml_hw_id ON dml_hw (id);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) UPDATE dml_hw SET id = id + 1000 WHERE id > 0;
UPDATE dml_hw SET id = id + 1000 WHERE id > 0;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*), min(id), max(id), sum(id) FROM dml_hw;
-- INSERT ... SELECT from the table itself reads only the old rows
INSERT INTO dml_hw SELECT id + 10000, v FROM dml_hw;
SELECT count(*), min(id), max(id) FROM dml_hw;

-- Cursors WITH HOLD keep the rows they had after later updates/deletes.
CREATE TABLE dml_cur (id int, v text) USING lsm;
INSERT INTO dml_cur SELECT g, 'c' || g FROM generate_series(1, 6) g;
BEGIN;
DECLARE held CURSOR WITH HOLD FOR SELECT * FROM dml_cur ORDER BY id;
FETCH 2 FROM held;
COMMIT;
UPDATE dml_cur SET v = 'changed';
DELETE FROM dml_cur WHERE id > 4;
FETCH ALL FROM held;
CLOSE held;
SELECT * FROM dml_cur ORDER BY id;
-- a cursor declared before an update in the same transaction
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM dml_cur ORDER BY id;
UPDATE dml_cur SET v = 'again';
FETCH ALL FROM c;
CLOSE c;
COMMIT;
-- UPDATE ... WHERE CURRENT OF
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM dml_cur WHERE id >= 2 FOR UPDATE;
FETCH 1 FROM c;
UPDATE dml_cur SET v = 'current' WHERE CURRENT OF c;
FETCH 1 FROM c;
DELETE FROM dml_cur WHERE CURRENT OF c;
COMMIT;
SELECT * FROM dml_cur ORDER BY id;

-- Partitioned table with lsm partitions (and one heap partition); an
-- UPDATE of the partition key moves rows between partitions.
CREATE TABLE dml_part (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE dml_part_1 PARTITION OF dml_part FOR VALUES FROM (0) TO (100) USING lsm;
CREATE TABLE dml_part_2 PARTITION OF dml_part FOR VALUES FROM (100) TO (200) USING lsm;
CREATE TABLE dml_part_3 PARTITION OF dml_part FOR VALUES FROM (200) TO (300) USING heap;
INSERT INTO dml_part SELECT g, 'p' || g FROM generate_series(0, 299, 10) g;
SELECT tableoid::regclass, count(*) FROM dml_part GROUP BY 1 ORDER BY 1;
WITH u AS (UPDATE dml_part SET id = id + 100 WHERE id IN (10, 20)
           RETURNING tableoid::regclass, *)
SELECT * FROM u ORDER BY id;
UPDATE dml_part SET id = id + 100 WHERE id = 150 RETURNING tableoid::regclass, *;
UPDATE dml_part SET id = id - 200 WHERE id = 280 RETURNING tableoid::regclass, *;
WITH u AS (UPDATE dml_part SET v = v || '*' WHERE id < 30 RETURNING tableoid::regclass, *)
SELECT * FROM u ORDER BY id;
WITH d AS (DELETE FROM dml_part WHERE id % 40 = 0 RETURNING tableoid::regclass, *)
SELECT * FROM d ORDER BY id;
SELECT tableoid::regclass, * FROM dml_part ORDER BY id;
SELECT lsm_am.flush('dml_part_1') >= 0 AS flushed;
SELECT lsm_am.flush('dml_part_2') >= 0 AS flushed;
WITH u AS (UPDATE dml_part SET id = 299 - id WHERE id IN (30, 170, 250)
           RETURNING tableoid::regclass, *)
SELECT * FROM u ORDER BY id;
SELECT tableoid::regclass, count(*), sum(id) FROM dml_part GROUP BY 1 ORDER BY 1;
-- a move that would leave the partitions' range fails and changes nothing
UPDATE dml_part SET id = id + 1000 WHERE id = 50;
SELECT tableoid::regclass, * FROM dml_part WHERE id = 50;

-- ALTER TABLE SET ACCESS METHOD between heap and lsm keeps the current rows.
CREATE TABLE dml_am (id int, v text) USING heap;
INSERT INTO dml_am SELECT g, 'a' || g FROM generate_series(1, 1000) g;
UPDATE dml_am SET v = 'heap-updated' WHERE id % 10 = 0;
DELETE FROM dml_am WHERE id % 10 = 1;
SELECT dml_digest('dml_am') AS before;
ALTER TABLE dml_am SET ACCESS METHOD lsm;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'dml_am'::regclass;
SELECT dml_digest('dml_am') AS lsm;
UPDATE dml_am SET v = 'lsm-updated' WHERE id % 10 = 2;
DELETE FROM dml_am WHERE id % 10 = 3;
SELECT lsm_am.flush('dml_am') >= 0 AS flushed;
UPDATE dml_am SET v = 'lsm-updated-2' WHERE id % 10 = 4;
SELECT dml_digest('dml_am') AS lsm_changed;
ALTER TABLE dml_am SET ACCESS METHOD heap;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'dml_am'::regclass;
SELECT dml_digest('dml_am') AS back_to_heap;
SELECT v, count(*) FROM dml_am GROUP BY v HAVING count(*) > 1 ORDER BY v;

DROP TABLE dml, dml_ctid, dml_idx, dml_big, dml_big_heap, dml_pairs, dml_src,
  dml_heap_src, dml_merge, dml_trig, dml_trig_log, dml_ruled, dml_rule_log,
  dml_gen, dml_toast, dml_sp, dml_hw, dml_cur, dml_part, dml_am CASCADE;
DROP FUNCTION dml_digest(regclass), dml_toast_rows(regclass), dml_trig_row(),
  dml_trig_stmt(), dml_trig_check();
