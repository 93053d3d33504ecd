--
-- lsm_write_batch: entries of non-unique lsm indexes that a transaction
-- holds back (lsm_am.write_batch_size) and writes together.  Whatever is
-- held must be invisible to the user: every read of the index in the same
-- transaction (index, index-only, bitmap and backward scans, a parallel
-- worker's scan, a cursor, a plpgsql loop) returns what a sequential scan
-- returns; a rolled-back savepoint or exception block leaves no entries;
-- TRUNCATE, REINDEX, DROP INDEX and CREATE INDEX in the same transaction
-- keep the index exact; unique indexes are not held back (duplicates are
-- found at once).  Checked on an lsm table and on a heap table.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- counts through the index (plain and index-only), a bitmap, and a seq scan
CREATE FUNCTION wb_idx(t regclass, lo int, hi int) RETURNS bigint
  LANGUAGE plpgsql SET enable_seqscan = off SET enable_bitmapscan = off
  SET enable_indexonlyscan = off AS $$
DECLARE n bigint;
BEGIN EXECUTE format('SELECT count(p) FROM %s WHERE k BETWEEN %s AND %s', t, lo, hi) INTO n;
RETURN n; END $$;
CREATE FUNCTION wb_ios(t regclass, lo int, hi int) RETURNS bigint
  LANGUAGE plpgsql SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE n bigint;
BEGIN EXECUTE format('SELECT count(*) FROM %s WHERE k BETWEEN %s AND %s', t, lo, hi) INTO n;
RETURN n; END $$;
CREATE FUNCTION wb_bitmap(t regclass, lo int, hi int) RETURNS bigint
  LANGUAGE plpgsql SET enable_seqscan = off SET enable_indexscan = off
  SET enable_indexonlyscan = off AS $$
DECLARE n bigint;
BEGIN EXECUTE format('SELECT count(p) FROM %s WHERE k BETWEEN %s AND %s', t, lo, hi) INTO n;
RETURN n; END $$;
CREATE FUNCTION wb_seq(t regclass, lo int, hi int) RETURNS bigint
  LANGUAGE plpgsql SET enable_indexscan = off SET enable_bitmapscan = off
  SET enable_indexonlyscan = off AS $$
DECLARE n bigint;
BEGIN EXECUTE format('SELECT count(p) FROM %s WHERE k BETWEEN %s AND %s', t, lo, hi) INTO n;
RETURN n; END $$;
-- 'ok <count>' when all four agree, else the four counts
CREATE FUNCTION wb_check(t regclass, lo int = 0, hi int = 1000000) RETURNS text
  LANGUAGE plpgsql AS $$
DECLARE a bigint := wb_idx(t, lo, hi); b bigint := wb_ios(t, lo, hi);
        c bigint := wb_bitmap(t, lo, hi); d bigint := wb_seq(t, lo, hi);
BEGIN
  IF a = b AND b = c AND c = d THEN RETURN 'ok ' || d; END IF;
  RETURN format('MISMATCH index %s, index-only %s, bitmap %s, seq %s', a, b, c, d);
END $$;
-- the keys in descending order through the index and by sorting
CREATE FUNCTION wb_desc(t regclass) RETURNS text LANGUAGE plpgsql
  SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE via_index text; sorted text;
BEGIN
  EXECUTE format('SELECT string_agg(k::text, '','') FROM (SELECT k FROM %s ORDER BY k DESC LIMIT 20) s', t)
    INTO via_index;
  SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;
  EXECUTE format('SELECT string_agg(k::text, '','') FROM (SELECT k FROM %s ORDER BY k DESC LIMIT 20) s', t)
    INTO sorted;
  IF via_index = sorted THEN RETURN 'ok'; END IF;
  RETURN format('MISMATCH %s vs %s', via_index, sorted);
END $$;

SHOW lsm_am.write_batch_size;
-- new table rows are held back too (lsm_am.write_batch_rows, on by default)
SHOW lsm_am.write_batch_rows;

CREATE TABLE wl (id int, k int, p text) USING lsm;
CREATE INDEX wl_k ON wl USING lsm (k);
CREATE TABLE wh (id int, k int, p text) USING heap;
CREATE INDEX wh_k ON wh USING lsm (k);

-- the plans the check functions use
SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
EXPLAIN (COSTS OFF) SELECT count(p) FROM wl WHERE k BETWEEN 0 AND 10;
RESET enable_indexonlyscan;
EXPLAIN (COSTS OFF) SELECT count(*) FROM wl WHERE k BETWEEN 0 AND 10;
SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = on;
EXPLAIN (COSTS OFF) SELECT count(p) FROM wl WHERE k BETWEEN 0 AND 10;
RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_indexscan; RESET enable_indexonlyscan;

-- reads in the writing transaction see everything it wrote
BEGIN;
INSERT INTO wl SELECT g, (g * 7919) % 1000, 'a' FROM generate_series(1, 3000) g;
INSERT INTO wh SELECT g, (g * 7919) % 1000, 'a' FROM generate_series(1, 3000) g;
SELECT wb_check('wl'), wb_check('wh'), wb_check('wl', 100, 199), wb_check('wh', 100, 199);
INSERT INTO wl SELECT g, 1000 + g, 'b' FROM generate_series(1, 10) g;
INSERT INTO wh SELECT g, 1000 + g, 'b' FROM generate_series(1, 10) g;
SELECT wb_desc('wl'), wb_desc('wh');
-- one more row, read back by an index scan in the same statement's loop
DO $$
DECLARE r record; n int := 0;
BEGIN
  FOR i IN 1..5 LOOP
    INSERT INTO wl VALUES (i, 5000 + i, 'loop');
    SELECT count(*) INTO n FROM wl WHERE k = 5000 + i;
    IF n <> 1 THEN RAISE EXCEPTION 'row % not found through the index', i; END IF;
  END LOOP;
END $$;
COMMIT;
SELECT wb_check('wl'), wb_check('wh');

-- savepoints: entries of a rolled-back subtransaction are never written
BEGIN;
INSERT INTO wl SELECT g, 2000, 'c' FROM generate_series(1, 100) g;
SAVEPOINT s1;
INSERT INTO wl SELECT g, 2001, 'd' FROM generate_series(1, 100) g;
SAVEPOINT s2;
INSERT INTO wl SELECT g, 2002, 'e' FROM generate_series(1, 100) g;
RELEASE s2;
INSERT INTO wl SELECT g, 2003, 'f' FROM generate_series(1, 100) g;
ROLLBACK TO s1;
INSERT INTO wl SELECT g, 2004, 'g' FROM generate_series(1, 100) g;
SAVEPOINT s3;
INSERT INTO wl SELECT g, 2005, 'h' FROM generate_series(1, 100) g;
RELEASE s3;
COMMIT;
SELECT k, count(*) FROM wl WHERE k BETWEEN 2000 AND 2005 GROUP BY k ORDER BY k;
SELECT wb_check('wl', 2000, 2005);
-- plpgsql exception blocks roll back their subtransaction
DO $$
BEGIN
  FOR i IN 1..20 LOOP
    BEGIN
      INSERT INTO wh SELECT g, 3000 + i, 'x' FROM generate_series(1, 10) g;
      IF i % 2 = 0 THEN RAISE EXCEPTION 'undo %', i; END IF;
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
  END LOOP;
END $$;
SELECT count(*), count(DISTINCT k) FROM wh WHERE k BETWEEN 3001 AND 3020;
SELECT wb_check('wh', 3001, 3020);
-- a rolled-back transaction leaves nothing either
BEGIN;
INSERT INTO wl SELECT g, 4000, 'r' FROM generate_series(1, 500) g;
ROLLBACK;
SELECT wb_check('wl', 4000, 4000);

-- the entries written count in the memtable view once written
SELECT lsm_am.flush('wl_k'::regclass) >= 0 AS flushed;
BEGIN;
INSERT INTO wl SELECT g, 6000, 'm' FROM generate_series(1, 50) g;
SELECT entries FROM lsm_am.memtables WHERE relation = 'wl_k'::regclass AND state = 'active';
COMMIT;

-- a small batch: written when full, in the middle of a statement
SET lsm_am.write_batch_size = 7;
BEGIN;
INSERT INTO wl SELECT g, 7000 + g % 3, 'w' FROM generate_series(1, 100) g;
SELECT wb_check('wl', 7000, 7002);
ROLLBACK;
SET lsm_am.write_batch_size = 0;
INSERT INTO wl SELECT g, 7100, 'w' FROM generate_series(1, 100) g;
RESET lsm_am.write_batch_size;
SELECT wb_check('wl', 7000, 7100);

-- a parallel worker reading the index sees what the leader holds back
BEGIN;
INSERT INTO wh SELECT g, 8000, 'par' FROM generate_series(1, 300) g;
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM wh WHERE k = 8000;
SELECT count(*) FROM wh WHERE k = 8000;
COMMIT;

-- a cursor opened after the inserts reads them
BEGIN;
INSERT INTO wl SELECT g, 9000 + g, 'cur' FROM generate_series(1, 30) g;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
DECLARE c SCROLL CURSOR FOR SELECT k FROM wl WHERE k > 9000 ORDER BY k;
FETCH 3 FROM c;
FETCH LAST FROM c;
FETCH BACKWARD 2 FROM c;
COMMIT;

-- TRUNCATE, REINDEX, CREATE INDEX and DROP INDEX in the writing transaction
BEGIN;
INSERT INTO wl SELECT g, 10000, 'trunc' FROM generate_series(1, 200) g;
TRUNCATE wl;
INSERT INTO wl SELECT g, 10001, 'after' FROM generate_series(1, 20) g;
SELECT wb_check('wl');
COMMIT;
SELECT wb_check('wl');
BEGIN;
INSERT INTO wl SELECT g, 10002, 'reindex' FROM generate_series(1, 200) g;
REINDEX INDEX wl_k;
INSERT INTO wl SELECT g, 10003, 'after' FROM generate_series(1, 20) g;
COMMIT;
SELECT wb_check('wl'), k, count(*) FROM wl GROUP BY k ORDER BY k;
BEGIN;
INSERT INTO wl SELECT g, 10004, 'drop' FROM generate_series(1, 200) g;
DROP INDEX wl_k;
INSERT INTO wl SELECT g, 10005, 'after' FROM generate_series(1, 20) g;
CREATE INDEX wl_k ON wl USING lsm (k);
INSERT INTO wl SELECT g, 10006, 'after' FROM generate_series(1, 20) g;
COMMIT;
SELECT wb_check('wl'), k, count(*) FROM wl GROUP BY k ORDER BY k;
-- a table created, filled and indexed in one transaction, then truncated
BEGIN;
CREATE TABLE wn (id int, k int, p text) USING lsm;
CREATE INDEX wn_k ON wn USING lsm (k);
INSERT INTO wn SELECT g, g % 10, 'n' FROM generate_series(1, 100) g;
TRUNCATE wn;
INSERT INTO wn SELECT g, g % 5, 'n' FROM generate_series(1, 50) g;
COMMIT;
SELECT wb_check('wn');

-- new rows of a table without unique indexes wait in the batch too: their
-- TIDs are known at once (RETURNING ctid, fetches by TID, triggers)
CREATE TABLE wr (id int, k int, p text) USING lsm;
CREATE INDEX wr_k ON wr USING lsm (k);
CREATE TABLE wr_log (id int, seen bigint);
CREATE FUNCTION wr_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO wr_log SELECT NEW.id, count(*) FROM wr WHERE id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER wr_after AFTER INSERT ON wr FOR EACH ROW EXECUTE FUNCTION wr_seen();
BEGIN;
CREATE TEMP TABLE wr_tids ON COMMIT DROP AS
  WITH i AS (INSERT INTO wr SELECT g, g % 10, 'r' || g FROM generate_series(1, 200) g
             RETURNING ctid AS tid, id)
  SELECT * FROM i;
SELECT count(*) AS fetched_by_tid FROM wr_tids t JOIN wr ON wr.ctid = t.tid AND wr.id = t.id;
SELECT count(*), min(seen), max(seen) FROM wr_log;
SELECT wb_check('wr');
UPDATE wr SET p = 'u' WHERE id <= 10;
UPDATE wr SET k = k + 100 WHERE id BETWEEN 11 AND 20;
DELETE FROM wr WHERE id BETWEEN 21 AND 30;
SELECT wb_check('wr'), count(*) FILTER (WHERE p = 'u') AS updated FROM wr;
COMMIT;
SELECT wb_check('wr'), count(*) FROM wr;
DROP TRIGGER wr_after ON wr;
-- a table rewrite after inserts, and rows a rewrite itself inserts
BEGIN;
INSERT INTO wr SELECT g, g % 10, 'before rewrite' FROM generate_series(1001, 1300) g;
ALTER TABLE wr ALTER COLUMN id TYPE bigint;
INSERT INTO wr SELECT g, g % 10, 'after rewrite' FROM generate_series(1301, 1350) g;
COMMIT;
SELECT p, count(*) FROM wr WHERE p LIKE '%rewrite' GROUP BY p ORDER BY p;
SELECT wb_check('wr');
-- CREATE TABLE AS and REFRESH MATERIALIZED VIEW into lsm tables
BEGIN;
CREATE TABLE wr_copy USING lsm AS SELECT * FROM wr;
CREATE MATERIALIZED VIEW wr_mv USING lsm AS SELECT id, k, p FROM wr WHERE k < 5;
INSERT INTO wr SELECT g, 1, 'more' FROM generate_series(2001, 2100) g;
REFRESH MATERIALIZED VIEW wr_mv;
COMMIT;
SELECT (SELECT count(*) FROM wr_copy) AS copied, (SELECT count(*) FROM wr) - 100 AS expected,
       (SELECT count(*) FROM wr_mv) AS in_view, (SELECT count(*) FROM wr WHERE k < 5) AS expected_in_view;
-- rows of a rolled-back savepoint and of a TRUNCATE never appear
BEGIN;
INSERT INTO wr SELECT g, 3, 'kept' FROM generate_series(3001, 3050) g;
SAVEPOINT s;
INSERT INTO wr SELECT g, 3, 'rolled back' FROM generate_series(3051, 3100) g;
ROLLBACK TO s;
COMMIT;
SELECT p, count(*) FROM wr WHERE id > 3000 GROUP BY p ORDER BY p;
BEGIN;
INSERT INTO wr_copy SELECT g, 3, 'truncated' FROM generate_series(1, 50) g;
TRUNCATE wr_copy;
INSERT INTO wr_copy SELECT g, 3, 'after truncate' FROM generate_series(1, 5) g;
COMMIT;
SELECT p, count(*) FROM wr_copy GROUP BY p;
DROP MATERIALIZED VIEW wr_mv;
DROP TABLE wr, wr_log, wr_copy;
DROP FUNCTION wr_seen;

-- a batch written at commit that fills memtables: the writer, holding
-- ACCESS EXCLUSIVE, flushes them itself (and records the jobs) at commit
CREATE TABLE wbig (id int, k int, p text) USING lsm;
CREATE INDEX wbig_k ON wbig USING lsm (k);
SET lsm_am.write_batch_size = 1000000;
BEGIN;
LOCK TABLE wbig IN ACCESS EXCLUSIVE MODE;
INSERT INTO wbig SELECT g, g % 100, repeat('x', 60) FROM generate_series(1, 30000) g;
COMMIT;
RESET lsm_am.write_batch_size;
SELECT count(*) FROM wbig;
SELECT wb_check('wbig', 0, 99);
SELECT count(*) > 0 AS flushed_at_commit FROM SSTableMeta WHERE relation = 'wbig'::regclass;
DROP TABLE wbig;

-- unique indexes are checked at once, held-back entries or not
CREATE TABLE wu (id int, k int, p text) USING lsm;
CREATE UNIQUE INDEX wu_id ON wu USING lsm (id);
CREATE INDEX wu_k ON wu USING lsm (k);
BEGIN;
INSERT INTO wu SELECT g, g, 'u' FROM generate_series(1, 100) g;
INSERT INTO wu VALUES (50, 0, 'dup');
ROLLBACK;
INSERT INTO wu SELECT g, g % 7, 'u' FROM generate_series(1, 100) g;
SELECT wb_check('wu');

-- SERIALIZABLE writes each entry at once (lsm_write_batch.spec shows it)
BEGIN ISOLATION LEVEL SERIALIZABLE;
INSERT INTO wu SELECT g, 11000, 's' FROM generate_series(101, 150) g;
SELECT wb_check('wu', 11000, 11000);
COMMIT;
SELECT wb_check('wu');

DROP TABLE wl, wh, wn, wu;
DROP FUNCTION wb_check, wb_idx, wb_ios, wb_bitmap, wb_seq, wb_desc;
