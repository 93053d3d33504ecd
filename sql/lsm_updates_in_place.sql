-- UPDATEs that change no indexed column keep the row under its row id
-- (heap's HOT): no index entries, a new TID per version, old versions kept
-- while a snapshot may see them and dropped by compaction afterwards.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

CREATE TABLE upd (id int PRIMARY KEY, k int, v text) USING lsm;
CREATE INDEX upd_k ON upd (k);
INSERT INTO upd SELECT i, i % 10, 'v' || i FROM generate_series(1, 1000) i;

-- ten rounds of updates of a column no index uses
DO $$ BEGIN FOR r IN 1..10 LOOP UPDATE upd SET v = v || '.' WHERE id <= 100; END LOOP; END $$;
SELECT pg_stat_force_next_flush();
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'upd';

-- index, bitmap and sequential scans see the newest versions
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT id, k, v FROM upd WHERE id IN (1, 50, 100, 101) ORDER BY id;
SELECT count(*), sum(length(v)) FROM upd WHERE k = 3;
RESET enable_seqscan; SET enable_indexscan = off; SET enable_bitmapscan = on;
SELECT count(*), sum(length(v)) FROM upd WHERE k = 3;
SET work_mem = '64kB';		-- lossy bitmap pages
SELECT count(*), sum(length(v)) FROM upd WHERE k >= 0;
RESET work_mem; RESET enable_indexscan; RESET enable_bitmapscan;
SET enable_indexscan = off; SET enable_bitmapscan = off;
SELECT count(*), count(DISTINCT id), sum(length(v)) FROM upd;
RESET enable_indexscan; RESET enable_bitmapscan;

-- every version has its own TID: ctid changes, the old TID finds nothing
CREATE TABLE upd_ctid (c tid) USING heap;
INSERT INTO upd_ctid SELECT ctid FROM upd WHERE id = 7;
UPDATE upd SET v = 'seven' WHERE id = 7;
SELECT (SELECT ctid FROM upd WHERE id = 7) <> c AS ctid_changed,
       (SELECT count(*) FROM upd WHERE ctid = c) AS rows_at_old_ctid,
       (SELECT v FROM upd WHERE ctid = (SELECT ctid FROM upd WHERE id = 7)) AS at_new_ctid
FROM upd_ctid;

-- TID range scans and TABLESAMPLE return each row once, by its version's TID
SELECT count(*) FROM upd WHERE ctid >= '(0,1)' AND ctid < '(2,0)';
SELECT count(*) FROM (SELECT ctid FROM upd OFFSET 0) s WHERE ctid >= '(0,1)' AND ctid < '(2,0)';
SELECT count(*) FROM upd WHERE ctid >= '(2,0)';
SELECT count(*) FROM (SELECT ctid FROM upd OFFSET 0) s WHERE ctid >= '(2,0)';
SELECT count(*), count(DISTINCT id) FROM upd TABLESAMPLE SYSTEM (100);

-- an aborted update leaves the old version in place
BEGIN;
UPDATE upd SET v = 'aborted' WHERE id <= 3;
ROLLBACK;
SELECT id, v FROM upd WHERE id <= 3 ORDER BY id;
UPDATE upd SET v = 'after-abort' WHERE id = 2;
SELECT id, v FROM upd WHERE id <= 3 ORDER BY id;

-- an update of an indexed column is not in place: the index gets the new key
UPDATE upd SET k = 42 WHERE id = 5;
SELECT id, k, v FROM upd WHERE k = 42;
SELECT count(*) FROM upd WHERE k = 5 AND id = 5;

-- AFTER triggers see the old and the new version
CREATE TABLE upd_log (what text);
CREATE FUNCTION upd_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO upd_log VALUES (OLD.v || ' -> ' || NEW.v); RETURN NULL; END $$;
CREATE TRIGGER upd_after AFTER UPDATE ON upd FOR EACH ROW EXECUTE FUNCTION upd_trig();
UPDATE upd SET v = 'eight' WHERE id = 8;
UPDATE upd SET v = 'eight again' WHERE id = 8;
SELECT * FROM upd_log;
DROP TRIGGER upd_after ON upd;

-- TOASTed values carried into the new version, and replaced
UPDATE upd SET v = repeat('x', 100000) WHERE id = 9;
UPDATE upd SET k = k WHERE id = 9;
SELECT id, length(v) FROM upd WHERE id = 9;
UPDATE upd SET v = 'nine' WHERE id = 9;
SELECT id, v FROM upd WHERE id = 9;

-- a new index on a column that changed in place indexes the newest version
CREATE INDEX upd_v ON upd (v);
SET enable_seqscan = off;
SELECT id FROM upd WHERE v = 'seven';
SELECT count(*) FROM upd WHERE v LIKE 'v1%' AND id <= 100;
RESET enable_seqscan;

-- the same after a flush, a compaction and VACUUM FULL
SELECT lsm_am.flush('upd') >= 0 AS flushed;
SELECT count(*), sum(length(v)) FROM upd;
SELECT lsm_am.compact('upd') >= 0 AS compacted;
SELECT id, k, v FROM upd WHERE id IN (1, 2, 7, 8, 50) ORDER BY id;
SELECT count(*), count(DISTINCT id), sum(length(v)) FROM upd;
-- replaced versions are gone from the compacted SSTables: at most a PUT
-- and a back-pointer per row remain
SELECT sum(entries) <= 2 * 1000 AS compacted_small FROM SSTableMeta WHERE relation = 'upd'::regclass;
VACUUM FULL upd;
SELECT id, k, v FROM upd WHERE id IN (1, 2, 7, 8, 50) ORDER BY id;
SELECT count(*), count(DISTINCT id), sum(length(v)) FROM upd;
UPDATE upd SET v = 'after vacuum full' WHERE id = 1;
SELECT id, v FROM upd WHERE id = 1;

DROP TABLE upd, upd_ctid, upd_log;
DROP FUNCTION upd_trig();
