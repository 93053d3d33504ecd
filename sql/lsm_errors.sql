--
-- lsm_errors: what lsm tables do not support yet fails with a clear
-- error (SQLSTATE 0A000 feature_not_supported), bad options are refused,
-- and the session keeps working after every error.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TABLE err (id int, v text) USING lsm;
INSERT INTO err SELECT g, 'v' || g FROM generate_series(1, 10) g;
CREATE TABLE err_heap (id int, v text) USING heap;
INSERT INTO err_heap SELECT g, 'h' || g FROM generate_series(1, 3) g;

-- \echo :SQLSTATE prints the SQLSTATE of the statement before it
-- (0A000 = feature_not_supported, 22023 = invalid_parameter_value,
-- 42501 = insufficient_privilege, 42809 = wrong_object_type).

-- UPDATE and DELETE
UPDATE err SET v = 'x' WHERE id = 1;
\echo :SQLSTATE
SELECT count(*) FROM err;
DELETE FROM err WHERE id = 1;
\echo :SQLSTATE
SELECT count(*) FROM err;
DELETE FROM err;
UPDATE err SET v = 'x';
-- an UPDATE or DELETE that matches no row does not reach the table AM
UPDATE err SET v = 'x' WHERE id = -1;
DELETE FROM err WHERE id = -1;
-- MERGE that would update or delete
MERGE INTO err t USING (VALUES (1, 'm')) s(id, v) ON t.id = s.id
  WHEN MATCHED THEN UPDATE SET v = s.v;
MERGE INTO err t USING (VALUES (1, 'm')) s(id, v) ON t.id = s.id
  WHEN MATCHED THEN DELETE;
-- the rows are unchanged
SELECT * FROM err ORDER BY id;

-- Row locks
SELECT * FROM err WHERE id = 1 FOR UPDATE;
\echo :SQLSTATE
SELECT * FROM err WHERE id = 1 FOR SHARE;
SELECT * FROM err WHERE id = 1 FOR NO KEY UPDATE;
SELECT * FROM err WHERE id = 1 FOR KEY SHARE;
-- a lock on the heap side of a join only is fine
SELECT e.id, h.v FROM err e JOIN err_heap h USING (id) ORDER BY id FOR UPDATE OF h;

-- INSERT ... ON CONFLICT.  Without an arbiter index (and lsm tables
-- cannot have indexes) PostgreSQL plans ON CONFLICT DO NOTHING as a plain
-- INSERT, as on a heap table without indexes: no conflict is possible.
-- Naming a conflict target fails in the planner, before the table AM.
INSERT INTO err VALUES (100, 'x') ON CONFLICT DO NOTHING;
INSERT INTO err VALUES (100, 'x') ON CONFLICT DO NOTHING;
SELECT count(*) FROM err WHERE id = 100;
INSERT INTO err VALUES (100, 'x') ON CONFLICT (id) DO NOTHING;
INSERT INTO err VALUES (100, 'x') ON CONFLICT (id) DO UPDATE SET v = 'y';
SELECT count(*) FROM err WHERE id = 100;

-- Indexes
CREATE INDEX err_id ON err (id);
\echo :SQLSTATE
CREATE UNIQUE INDEX err_id ON err (id);
CREATE INDEX err_expr ON err (lower(v)) WHERE id > 0;
CREATE INDEX err_brin ON err USING brin (id);
ALTER TABLE err ADD PRIMARY KEY (id);
ALTER TABLE err ADD CONSTRAINT err_uniq UNIQUE (id);
SELECT count(*) FROM pg_index WHERE indrelid = 'err'::regclass;
-- a table with a primary key cannot be created as lsm
CREATE TABLE err_pk (id int PRIMARY KEY) USING lsm;
SELECT to_regclass('err_pk');

-- TABLESAMPLE
SELECT count(*) FROM err TABLESAMPLE SYSTEM (50);
\echo :SQLSTATE
SELECT count(*) FROM err TABLESAMPLE BERNOULLI (50) REPEATABLE (1);

-- VACUUM FULL and CLUSTER
VACUUM FULL err;
\echo :SQLSTATE
VACUUM (FULL, ANALYZE) err;
-- CLUSTER needs an index, which an lsm table cannot have, so it fails
-- before it reaches the table AM
CLUSTER err;
CLUSTER err USING err_id;
-- plain VACUUM and ANALYZE are accepted; VACUUM says it does nothing yet
VACUUM err;
VACUUM (VERBOSE OFF) err, err_heap;
ANALYZE err;
VACUUM ANALYZE err;

-- TEMP and UNLOGGED lsm tables
CREATE TEMP TABLE err_temp (id int) USING lsm;
\echo :SQLSTATE
CREATE TEMPORARY TABLE err_temp (id int) USING lsm;
CREATE UNLOGGED TABLE err_unlogged (id int) USING lsm;
\echo :SQLSTATE
CREATE TEMP TABLE err_temp_ctas USING lsm AS SELECT 1 AS x;
SELECT to_regclass('err_temp'), to_regclass('err_unlogged'), to_regclass('err_temp_ctas');
ALTER TABLE err SET UNLOGGED;
SELECT relpersistence FROM pg_class WHERE oid = 'err'::regclass;
-- a TEMP heap table still works
CREATE TEMP TABLE ok_temp (id int);
INSERT INTO ok_temp VALUES (1);
SELECT * FROM ok_temp;

-- Bad option values
CREATE TABLE bad (id int) USING lsm WITH (compression = 'lz4');
\echo :SQLSTATE
CREATE TABLE bad (id int) USING lsm WITH (compression = '');
CREATE TABLE bad (id int) USING lsm WITH (compression_level = 0);
CREATE TABLE bad (id int) USING lsm WITH (compression_level = 20);
CREATE TABLE bad (id int) USING lsm WITH (compression_level = 'high');
CREATE TABLE bad (id int) USING lsm WITH (compression_level = 2.5);
CREATE TABLE bad (id int) USING lsm WITH (bloom_fp_rate = -0.1);
CREATE TABLE bad (id int) USING lsm WITH (bloom_fp_rate = 0.6);
CREATE TABLE bad (id int) USING lsm WITH (bloom_fp_rate = 'often');
CREATE TABLE bad (id int) USING lsm WITH (block_size = 511);
CREATE TABLE bad (id int) USING lsm WITH (block_size = 1048577);
CREATE TABLE bad (id int) USING lsm WITH (block_size = -1);
ALTER TABLE err SET (compression = 'gzip');
ALTER TABLE err SET (compression_level = 100);
ALTER TABLE err SET (bloom_fp_rate = 1);
ALTER TABLE err SET (block_size = 0);
SELECT to_regclass('bad');
SELECT reloptions FROM pg_class WHERE oid = 'err'::regclass;
-- unknown option names: PostgreSQL's own error
CREATE TABLE bad (id int) USING lsm WITH (compresion = 'zstd');
\echo :SQLSTATE
CREATE TABLE bad (id int) USING lsm WITH (memtable_size = 100);
ALTER TABLE err SET (no_such_option = 1);
-- lsm options on a heap table are unknown there
CREATE TABLE bad (id int) USING heap WITH (compression = 'zstd');
ALTER TABLE err_heap SET (bloom_fp_rate = 0.1);
SELECT to_regclass('bad');

-- lsm_am.flush() on what is not an lsm table
SELECT lsm_am.flush('err_heap');
\echo :SQLSTATE
SELECT lsm_am.flush('pg_class');
CREATE VIEW err_view AS SELECT * FROM err;
SELECT lsm_am.flush('err_view');
SELECT lsm_am.flush('no_such_table');
SELECT lsm_am.flush(NULL);

-- A role that does not own the table may not flush it; one without
-- SELECT on it sees its SSTables in SSTableMeta but not their keys.
SELECT lsm_am.flush('err');
CREATE ROLE lsm_regress_other;
GRANT SELECT ON err_heap TO lsm_regress_other;
CREATE TABLE err_granted (id int) USING lsm;
INSERT INTO err_granted VALUES (1), (2);
SELECT lsm_am.flush('err_granted');
GRANT SELECT ON err_granted TO lsm_regress_other;
SET ROLE lsm_regress_other;
SELECT lsm_am.flush('err');
\echo :SQLSTATE
SELECT lsm_am.flush('err_granted');
SELECT * FROM err;
SELECT relation, level, min_key, max_key, entries
  FROM SSTableMeta WHERE relation IN ('err'::regclass, 'err_granted'::regclass)
 ORDER BY relation::text;
SELECT relation, state, entries FROM lsm_am.memtables
 WHERE relation IN ('err'::regclass, 'err_granted'::regclass) AND entries > 0;
-- the other role's own lsm table
RESET ROLE;
GRANT CREATE ON SCHEMA public TO lsm_regress_other;
SET ROLE lsm_regress_other;
CREATE TABLE err_theirs (id int) USING lsm;
INSERT INTO err_theirs VALUES (7);
SELECT lsm_am.flush('err_theirs');
SELECT min_key, max_key FROM SSTableMeta WHERE relation = 'err_theirs'::regclass;
RESET ROLE;
ALTER TABLE err_theirs SET (compression = 'none');
SET ROLE lsm_regress_other;
ALTER TABLE err SET (compression = 'none');
ALTER TABLE err RESET (compression);
RESET ROLE;
SELECT reloptions FROM pg_class WHERE oid = 'err'::regclass;
SELECT reloptions FROM pg_class WHERE oid = 'err_theirs'::regclass;

-- Errors inside a transaction roll back only what they should.
BEGIN;
INSERT INTO err VALUES (11, 'in tx');
SAVEPOINT a;
UPDATE err SET v = 'no';
ROLLBACK TO a;
SAVEPOINT b;
SELECT * FROM err FOR UPDATE;
ROLLBACK TO b;
INSERT INTO err VALUES (12, 'in tx');
COMMIT;
SELECT count(*), max(id) FROM err;
BEGIN;
INSERT INTO err VALUES (13, 'lost');
DELETE FROM err;
SELECT 1;
ROLLBACK;
SELECT count(*), max(id) FROM err;

-- After all these errors the session and the table still work.
INSERT INTO err SELECT g, 'v' || g FROM generate_series(20, 30) g;
SELECT lsm_am.flush('err');
SELECT count(*), sum(id) FROM err;

DROP TABLE err, err_heap, err_granted, err_theirs CASCADE;
REVOKE CREATE ON SCHEMA public FROM lsm_regress_other;
DROP ROLE lsm_regress_other;

-- CREATE INDEX CONCURRENTLY is refused before anything is created, so
-- no invalid index is left behind.
CREATE TABLE err_cic (id int) USING lsm;
INSERT INTO err_cic VALUES (1);
CREATE INDEX CONCURRENTLY err_cic_id ON err_cic (id);
\echo :SQLSTATE
SELECT count(*) FROM pg_index WHERE indrelid = 'err_cic'::regclass;
INSERT INTO err_cic VALUES (2);
SELECT * FROM err_cic ORDER BY id;
DROP TABLE err_cic;
