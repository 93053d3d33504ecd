--
-- lsm_transactions: MVCC visibility of lsm rows within one session.
--
-- Prepared transactions are not tested here: the temporary instance runs
-- with max_prepared_transactions = 0 (see test/lsm_test.conf).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

CREATE TABLE tx (id int, v text) USING lsm;

-- Own uncommitted rows are visible to the inserting transaction, and
-- carry its xid.
BEGIN;
INSERT INTO tx VALUES (1, 'a'), (2, 'b');
SELECT * FROM tx ORDER BY id;
SELECT count(*) FROM tx WHERE xmin = pg_current_xact_id()::xid;
COMMIT;
SELECT * FROM tx ORDER BY id;

-- ROLLBACK hides the transaction's rows.
BEGIN;
INSERT INTO tx VALUES (3, 'rolled back');
SELECT count(*) FROM tx;
ROLLBACK;
SELECT * FROM tx ORDER BY id;

-- A failed statement's rows are not visible either.
INSERT INTO tx SELECT g, (10 / (g - 5))::text FROM generate_series(3, 10) g;
SELECT * FROM tx ORDER BY id;

-- Savepoints.
BEGIN;
INSERT INTO tx VALUES (10, 'top');
SAVEPOINT s1;
INSERT INTO tx VALUES (11, 'in s1');
SAVEPOINT s2;
INSERT INTO tx VALUES (12, 'in s2');
SELECT * FROM tx WHERE id >= 10 ORDER BY id;
ROLLBACK TO s2;
SELECT * FROM tx WHERE id >= 10 ORDER BY id;
INSERT INTO tx VALUES (13, 'after rollback to s2');
RELEASE s1;
SAVEPOINT s3;
INSERT INTO tx VALUES (14, 'in s3');
ROLLBACK TO s3;
SAVEPOINT s4;
INSERT INTO tx VALUES (15, 'in s4, released');
RELEASE s4;
-- an error inside a savepoint
SAVEPOINT s5;
INSERT INTO tx VALUES (16, 'before error');
SELECT 1 / 0;
ROLLBACK TO s5;
SELECT * FROM tx WHERE id >= 10 ORDER BY id;
COMMIT;
SELECT * FROM tx WHERE id >= 10 ORDER BY id;

-- A rolled-back subtransaction inside a committed transaction, with many
-- rows, and then a flush: the aborted rows stay invisible.
BEGIN;
INSERT INTO tx SELECT g, 'kept' FROM generate_series(1000, 1999) g;
SAVEPOINT big;
INSERT INTO tx SELECT g, 'discarded' FROM generate_series(2000, 2999) g;
ROLLBACK TO big;
INSERT INTO tx SELECT g, 'kept too' FROM generate_series(3000, 3099) g;
COMMIT;
SELECT v, count(*), min(id), max(id) FROM tx WHERE id >= 1000 GROUP BY v ORDER BY v;

-- Command-id visibility: a statement does not see its own new rows.
CREATE TABLE dbl (n int) USING lsm;
INSERT INTO dbl SELECT generate_series(1, 1000);
INSERT INTO dbl SELECT * FROM dbl;
SELECT count(*), sum(n) FROM dbl;
BEGIN;
INSERT INTO dbl SELECT n + 1000 FROM dbl;	-- 2000 rows read, 2000 written
SELECT count(*), sum(n) FROM dbl;
INSERT INTO dbl SELECT * FROM dbl;
SELECT count(*) FROM dbl;
COMMIT;
SELECT count(*), count(DISTINCT n), sum(n) FROM dbl;
-- a data-modifying CTE: the outer query sees the snapshot before the insert
WITH ins AS (INSERT INTO dbl SELECT n FROM dbl WHERE n <= 10 RETURNING n)
SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM dbl) AS seen;
SELECT count(*) FROM dbl;
-- a volatile function that reads the table sees rows of earlier commands
-- in the same transaction only
CREATE FUNCTION dbl_count() RETURNS bigint LANGUAGE sql VOLATILE
  AS 'SELECT count(*) FROM dbl';
BEGIN;
TRUNCATE dbl;
INSERT INTO dbl VALUES (1);
INSERT INTO dbl SELECT dbl_count()::int FROM generate_series(1, 3);
SELECT * FROM dbl ORDER BY n;
-- a cursor keeps its snapshot while the transaction inserts more
DECLARE c CURSOR FOR SELECT n FROM dbl ORDER BY n;
FETCH 1 FROM c;
INSERT INTO dbl VALUES (100), (200);
FETCH ALL FROM c;
CLOSE c;
SELECT count(*) FROM dbl;
COMMIT;
SELECT * FROM dbl ORDER BY n;

-- Large rolled-back insert (several memtables' worth, ~20000 rows per MB):
-- invisible before and after the memtables are flushed.
CREATE TABLE rb (id int, pad text) USING lsm;
INSERT INTO rb SELECT g, 'committed' FROM generate_series(1, 100) g;
BEGIN;
INSERT INTO rb SELECT g, repeat('x', 100) FROM generate_series(101, 40100) g;
SELECT count(*) FROM rb;
ROLLBACK;
SELECT count(*), sum(id), min(pad), max(pad) FROM rb;
SELECT lsm_am.flush('rb') >= 1 AS flushed;
SELECT count(*), sum(id), min(pad), max(pad) FROM rb;
INSERT INTO rb VALUES (40101, 'committed');
SELECT count(*), max(id) FROM rb;
-- flush inside a transaction that has uncommitted rows: they stay visible
-- to it, invisible to others, and appear when it commits
BEGIN;
INSERT INTO rb SELECT g, 'late' FROM generate_series(50001, 50010) g;
SELECT lsm_am.flush('rb') >= 1 AS flushed;
SELECT count(*) FROM rb WHERE pad = 'late';
COMMIT;
SELECT count(*) FROM rb WHERE pad = 'late';
-- and one that rolls back after its rows were flushed
BEGIN;
INSERT INTO rb SELECT g, 'gone' FROM generate_series(60001, 60010) g;
SELECT lsm_am.flush('rb') >= 1 AS flushed;
ROLLBACK;
SELECT count(*) FROM rb WHERE pad = 'gone';
SELECT lsm_am.flush('rb');
SELECT count(*) FROM rb WHERE pad = 'gone';
SELECT count(*) FROM rb;

-- A flush drops the entries of aborted transactions: with memtables too
-- small to be frozen and flushed in the background, the SSTable holds
-- exactly the committed rows.  Row ids of aborted rows are not reused.
CREATE TABLE rb2 (id int) USING lsm;
INSERT INTO rb2 SELECT generate_series(1, 10);
BEGIN;
INSERT INTO rb2 SELECT generate_series(11, 20);
ROLLBACK;
INSERT INTO rb2 SELECT generate_series(21, 25);
SELECT lsm_am.flush('rb2');
SELECT level, min_key, max_key, entries, tombstones
  FROM SSTableMeta WHERE relation = 'rb2'::regclass;
SELECT count(*), sum(id) FROM rb2;
-- only aborted rows: the memtable is flushed and no SSTable is written
-- (written one by one: a write batch would drop them unwritten)
CREATE TABLE rb3 (id int) USING lsm;
SET lsm_am.write_batch_size = 0;
BEGIN;
INSERT INTO rb3 SELECT generate_series(1, 10);
ROLLBACK;
RESET lsm_am.write_batch_size;
SELECT lsm_am.flush('rb3');
SELECT count(*) FROM SSTableMeta WHERE relation = 'rb3'::regclass;
SELECT count(*) FROM lsm_am.memtables WHERE relation = 'rb3'::regclass AND entries > 0;
SELECT count(*) FROM rb3;
INSERT INTO rb3 VALUES (11);
SELECT ctid, id FROM rb3;

-- TRUNCATE inside a rolled-back transaction keeps the old rows.
CREATE TABLE tr (id int) USING lsm;
INSERT INTO tr SELECT generate_series(1, 5000);
SELECT lsm_am.flush('tr') >= 1 AS flushed;
INSERT INTO tr SELECT generate_series(5001, 6000);
BEGIN;
TRUNCATE tr;
SELECT count(*) FROM tr;
INSERT INTO tr VALUES (-1);
SELECT count(*), sum(id) FROM tr;
ROLLBACK;
SELECT count(*), sum(id) FROM tr;
SELECT sum(entries) FROM SSTableMeta WHERE relation = 'tr'::regclass;
-- ... also when rolled back to a savepoint
BEGIN;
SAVEPOINT s;
TRUNCATE tr;
INSERT INTO tr VALUES (-2);
ROLLBACK TO s;
SELECT count(*), sum(id) FROM tr;
INSERT INTO tr VALUES (6001);
COMMIT;
SELECT count(*), sum(id) FROM tr;
-- TRUNCATE committed
BEGIN;
TRUNCATE tr;
INSERT INTO tr VALUES (7), (8);
COMMIT;
SELECT * FROM tr ORDER BY id;
SELECT count(*) FROM SSTableMeta WHERE relation = 'tr'::regclass;
SELECT lsm_am.flush('tr');
SELECT entries FROM SSTableMeta WHERE relation = 'tr'::regclass;
-- TRUNCATE twice in one transaction, then rollback
BEGIN;
TRUNCATE tr;
INSERT INTO tr VALUES (9);
TRUNCATE tr;
INSERT INTO tr VALUES (10);
SELECT * FROM tr;
ROLLBACK;
SELECT * FROM tr ORDER BY id;

-- CREATE + INSERT + TRUNCATE in one transaction.
BEGIN;
CREATE TABLE fresh (id int) USING lsm;
INSERT INTO fresh SELECT generate_series(1, 100);
TRUNCATE fresh;
INSERT INTO fresh VALUES (42);
SELECT * FROM fresh;
COMMIT;
SELECT * FROM fresh;
SELECT lsm_am.flush('fresh');
SELECT * FROM fresh;
-- the same, rolled back: the table does not exist
BEGIN;
CREATE TABLE fresh2 (id int) USING lsm;
INSERT INTO fresh2 SELECT generate_series(1, 100);
SELECT lsm_am.flush('fresh2');
TRUNCATE fresh2;
INSERT INTO fresh2 VALUES (1);
ROLLBACK;
SELECT to_regclass('fresh2');
-- CREATE, then a flush and rows in the same transaction
BEGIN;
CREATE TABLE fresh3 (id int) USING lsm;
INSERT INTO fresh3 SELECT generate_series(1, 30000);
SELECT lsm_am.flush('fresh3') >= 1 AS flushed;
INSERT INTO fresh3 SELECT generate_series(30001, 30010);
COMMIT;
SELECT count(*), sum(id) FROM fresh3;

-- DROP TABLE rolled back keeps the table and its rows.
BEGIN;
DROP TABLE fresh3;
ROLLBACK;
SELECT count(*), sum(id) FROM fresh3;
INSERT INTO fresh3 VALUES (0);
SELECT count(*) FROM fresh3;

-- Isolation levels within one session: a REPEATABLE READ snapshot sees
-- its own inserts.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM tx;
INSERT INTO tx VALUES (99, 'rr');
SELECT count(*) FROM tx;
COMMIT;
SELECT count(*) FROM tx;

DROP TABLE tx, dbl, rb, rb2, rb3, tr, fresh, fresh3;
DROP FUNCTION dbl_count();
