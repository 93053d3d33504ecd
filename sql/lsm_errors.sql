--
-- lsm_errors: what lsm tables do not support fails with a clear
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

-- UPDATE, DELETE, MERGE, row locks, indexes (also CREATE INDEX
-- CONCURRENTLY), VACUUM FULL and CLUSTER work on lsm tables and are tested
-- in lsm_dml, lsm_indexes and the isolation spec lsm_dml_concurrency.

-- INSERT ... ON CONFLICT without an index: PostgreSQL plans ON CONFLICT DO
-- NOTHING without a conflict target as a plain INSERT, as on a heap table
-- without indexes; naming a conflict target that no unique index matches
-- fails in the planner, before the table AM.
INSERT INTO err VALUES (100, 'x') ON CONFLICT DO NOTHING;
INSERT INTO err VALUES (100, 'x') ON CONFLICT DO NOTHING;
SELECT count(*) FROM err WHERE id = 100;
INSERT INTO err VALUES (100, 'x') ON CONFLICT (id) DO NOTHING;
\echo :SQLSTATE
INSERT INTO err VALUES (100, 'x') ON CONFLICT (id) DO UPDATE SET v = 'y';
SELECT count(*) FROM err WHERE id = 100;
DELETE FROM err WHERE id = 100;

-- TABLESAMPLE works: a 100% sample is the table.
SELECT (SELECT count(*) FROM err TABLESAMPLE SYSTEM (100)) = (SELECT count(*) FROM err) AS system_all,
       (SELECT count(*) FROM err TABLESAMPLE BERNOULLI (100)) = (SELECT count(*) FROM err) AS bernoulli_all;
-- Backward scans work: a SCROLL cursor over a
-- seq scan of an lsm table moves both ways, as over heap.
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM err WHERE id <= 5;
FETCH 2 FROM c;
FETCH BACKWARD 1 FROM c;
\echo :SQLSTATE
ROLLBACK;
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM err WHERE id <= 5;
FETCH LAST FROM c;
ROLLBACK;
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM err WHERE id <= 5 ORDER BY id;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE 1 FROM c;
COMMIT;
-- a cursor WITH HOLD is materialized at commit and can then go backward
BEGIN;
DECLARE h SCROLL CURSOR WITH HOLD FOR SELECT id FROM err WHERE id <= 3;
COMMIT;
FETCH ALL FROM h;
FETCH BACKWARD 2 FROM h;
CLOSE h;

-- plain VACUUM and ANALYZE are accepted
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
UPDATE err SET v = 'no' WHERE id = 11;
CREATE TEMP TABLE err_tmp (a int) USING lsm;
ROLLBACK TO a;
SAVEPOINT b;
DELETE FROM err WHERE id = 1;
DECLARE c SCROLL CURSOR FOR SELECT * FROM err;
FETCH BACKWARD 1 FROM c;
ROLLBACK TO b;
INSERT INTO err VALUES (12, 'in tx');
COMMIT;
SELECT count(*), max(id), min(id) FROM err;
SELECT * FROM err WHERE id = 11;
BEGIN;
INSERT INTO err VALUES (13, 'lost');
DELETE FROM err;
CREATE TEMP TABLE err_tmp (a int) USING lsm;
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

-- CREATE INDEX ... USING lsm: "lsm" names the table access method; the
-- utility hook routes it to the index access method lsm_index.
CREATE TABLE err_idx (a int) USING lsm;
CREATE INDEX err_idx_lsm ON err_idx USING lsm (a);
\echo :SQLSTATE
SELECT amname FROM pg_am a JOIN pg_class c ON c.relam = a.oid WHERE c.relname = 'err_idx_lsm';
CREATE INDEX ON err_idx (a);
DROP TABLE err_idx;
