--
-- lsm_alter_table: ALTER TABLE commands that scan or rewrite an lsm
-- table (their scans run in per-row memory contexts, which once freed a
-- scan's read view under it), and CREATE TABLE AS with lsm options.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- CREATE TABLE AS takes lsm options like CREATE TABLE does.
CREATE TABLE alt_ctas USING lsm WITH (compression = 'none', bloom_fp_rate = 0.1)
  AS SELECT g AS id FROM generate_series(1, 5) g;
SELECT reloptions FROM pg_class WHERE oid = 'alt_ctas'::regclass;
SELECT sum(id) FROM alt_ctas;
SELECT lsm_am.flush('alt_ctas');
SELECT entries, bloom_filter_fp_rate FROM SSTableMeta WHERE relation = 'alt_ctas'::regclass;

-- Rows both in an SSTable and in the memtable.
CREATE TABLE alt (id int, v text) USING lsm;
INSERT INTO alt SELECT g, 'v' || g FROM generate_series(1, 1000) g;
SELECT lsm_am.flush('alt');
INSERT INTO alt SELECT g, 'v' || g FROM generate_series(1001, 2000) g;

-- Constraints that must check every row.
ALTER TABLE alt ADD CONSTRAINT alt_pos CHECK (id > 0);
ALTER TABLE alt ADD CONSTRAINT alt_small CHECK (id < 1500);
ALTER TABLE alt ALTER COLUMN id SET NOT NULL;
INSERT INTO alt VALUES (0, 'violates alt_pos');
INSERT INTO alt VALUES (NULL, 'violates not null');
SELECT count(*), sum(id) FROM alt;

-- Rewrites: ALTER COLUMN TYPE, ADD COLUMN with a volatile default.
ALTER TABLE alt ALTER COLUMN id TYPE bigint;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'alt'::regclass AND attname = 'id';
SELECT count(*), sum(id), min(v), max(v) FROM alt;
ALTER TABLE alt ADD COLUMN r float8 DEFAULT random();
SELECT count(*), count(r), sum(id) FROM alt;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'alt'::regclass;
INSERT INTO alt VALUES (2001, 'after rewrite', 0.5);
SELECT lsm_am.flush('alt') >= 1 AS flushed;
SELECT count(*), sum(id) FROM alt;

-- SET ACCESS METHOD copies the rows to heap and back.
ALTER TABLE alt SET ACCESS METHOD heap;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'alt'::regclass;
SELECT count(*), sum(id) FROM alt;
ALTER TABLE alt SET ACCESS METHOD lsm;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'alt'::regclass;
SELECT count(*), sum(id) FROM alt;

DROP TABLE alt, alt_ctas;
