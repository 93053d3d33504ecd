--
-- lsm_options: per-table options compression, compression_level,
-- bloom_fp_rate and block_size.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- Options given at CREATE TABLE are stored in pg_class.reloptions.
CREATE TABLE opt (id int, payload text) USING lsm
  WITH (compression = 'zstd', compression_level = 5, bloom_fp_rate = 0.05,
        block_size = 8192);
\d+ opt
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
-- option names and compression values are case-insensitive
CREATE TABLE opt_case (id int) USING lsm WITH (COMPRESSION = 'NONE', Block_Size = 512);
SELECT reloptions FROM pg_class WHERE oid = 'opt_case'::regclass;
-- bounds are accepted
CREATE TABLE opt_bounds (id int) USING lsm
  WITH (compression_level = 19, bloom_fp_rate = 0, block_size = 1048576);
ALTER TABLE opt_bounds SET (compression_level = 1, bloom_fp_rate = 0.5, block_size = 512);
SELECT reloptions FROM pg_class WHERE oid = 'opt_bounds'::regclass;
-- a table without options has none
CREATE TABLE opt_none (id int) USING lsm;
SELECT reloptions FROM pg_class WHERE oid = 'opt_none'::regclass;
-- CREATE TABLE IF NOT EXISTS on an existing table leaves its options alone
CREATE TABLE IF NOT EXISTS opt_none (id int) USING lsm WITH (compression = 'none');
SELECT reloptions FROM pg_class WHERE oid = 'opt_none'::regclass;

-- ALTER TABLE SET / RESET
ALTER TABLE opt SET (compression = 'none');
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
ALTER TABLE opt RESET (compression_level);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
ALTER TABLE opt SET (compression_level = 9, block_size = 16384);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
ALTER TABLE opt RESET (compression, block_size);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
-- RESET of an option that is not set is fine
ALTER TABLE opt RESET (compression);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;

-- Mixed with heap's options (fillfactor, autovacuum_*), in one command
-- or several, in any order.
ALTER TABLE opt SET (fillfactor = 70, compression = 'none');
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
ALTER TABLE opt SET (autovacuum_enabled = false);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
ALTER TABLE opt RESET (fillfactor), SET (block_size = 4096);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
ALTER TABLE opt RESET (compression, autovacuum_enabled);
SELECT reloptions FROM pg_class WHERE oid = 'opt'::regclass;
CREATE TABLE opt_mixed (id int) USING lsm
  WITH (fillfactor = 50, compression = 'none', toast_tuple_target = 256, bloom_fp_rate = 0.2);
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;
-- an invalid heap option value in a mixed command changes nothing
ALTER TABLE opt_mixed SET (fillfactor = 5, compression = 'zstd');
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;
-- ... nor does an invalid lsm value
ALTER TABLE opt_mixed SET (fillfactor = 60, compression = 'snappy');
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;
-- other ALTER TABLE subcommands together with options
ALTER TABLE opt_mixed ADD COLUMN extra text, SET (compression = 'zstd');
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;
\d+ opt_mixed
-- a rolled-back ALTER leaves the options as they were
BEGIN;
ALTER TABLE opt_mixed SET (block_size = 2048);
ALTER TABLE opt_mixed RESET (bloom_fp_rate, fillfactor);
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;
ROLLBACK;
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;

-- Options survive TRUNCATE (new storage) and the table keeps working.
INSERT INTO opt_mixed SELECT g FROM generate_series(1, 100) g;
TRUNCATE opt_mixed;
SELECT reloptions FROM pg_class WHERE oid = 'opt_mixed'::regclass;
INSERT INTO opt_mixed SELECT g FROM generate_series(1, 10) g;
SELECT lsm_am.flush('opt_mixed');
SELECT entries, bloom_filter_fp_rate FROM SSTableMeta WHERE relation = 'opt_mixed'::regclass;
SELECT count(*), sum(id) FROM opt_mixed;

-- compression = 'none' writes larger SSTables than zstd for the same
-- compressible rows (~3MB of repetitive text each).
CREATE TABLE opt_zstd (id int, payload text) USING lsm WITH (compression = 'zstd');
CREATE TABLE opt_raw (id int, payload text) USING lsm WITH (compression = 'none');
INSERT INTO opt_zstd SELECT g, repeat('compressible ' || (g % 10), 10) FROM generate_series(1, 20000) g;
INSERT INTO opt_raw SELECT g, repeat('compressible ' || (g % 10), 10) FROM generate_series(1, 20000) g;
SELECT lsm_am.flush('opt_zstd') >= 0 AS flushed, lsm_am.flush('opt_raw') >= 0 AS flushed;
SELECT (SELECT sum(entries) FROM SSTableMeta WHERE relation = 'opt_zstd'::regclass) AS zstd_entries,
       (SELECT sum(entries) FROM SSTableMeta WHERE relation = 'opt_raw'::regclass) AS raw_entries;
SELECT (SELECT sum(size_bytes) FROM SSTableMeta WHERE relation = 'opt_raw'::regclass) >
       2 * (SELECT sum(size_bytes) FROM SSTableMeta WHERE relation = 'opt_zstd'::regclass)
       AS none_is_larger;
-- both read back the same rows
SELECT md5(string_agg(id || payload, ',' ORDER BY id)) FROM opt_zstd;
SELECT md5(string_agg(id || payload, ',' ORDER BY id)) FROM opt_raw;
-- changing the option applies to SSTables written afterwards; old and
-- new SSTables are read together
ALTER TABLE opt_raw SET (compression = 'zstd', compression_level = 19);
INSERT INTO opt_raw SELECT g, repeat('compressible ' || (g % 10), 10) FROM generate_series(20001, 25000) g;
SELECT lsm_am.flush('opt_raw') >= 1 AS flushed;
SELECT count(*), sum(id), count(DISTINCT payload) FROM opt_raw;
ALTER TABLE opt_raw SET (compression = 'none');
INSERT INTO opt_raw SELECT g, repeat('compressible ' || (g % 10), 10) FROM generate_series(25001, 26000) g;
SELECT lsm_am.flush('opt_raw') >= 1 AS flushed;
SELECT count(*), sum(id), count(DISTINCT payload) FROM opt_raw;

-- bloom_fp_rate shows in SSTableMeta, for SSTables written with it.
CREATE TABLE opt_bloom (id int) USING lsm WITH (bloom_fp_rate = 0.02);
INSERT INTO opt_bloom SELECT generate_series(1, 100);
SELECT lsm_am.flush('opt_bloom');
ALTER TABLE opt_bloom SET (bloom_fp_rate = 0.1);
INSERT INTO opt_bloom SELECT generate_series(101, 200);
SELECT lsm_am.flush('opt_bloom');
ALTER TABLE opt_bloom SET (bloom_fp_rate = 0);	-- no bloom filter
INSERT INTO opt_bloom SELECT generate_series(201, 300);
SELECT lsm_am.flush('opt_bloom');
ALTER TABLE opt_bloom RESET (bloom_fp_rate);	-- back to lsm_am.bloom_fp_rate
INSERT INTO opt_bloom SELECT generate_series(301, 400);
SELECT lsm_am.flush('opt_bloom');
SELECT min_key, max_key, entries, bloom_filter_fp_rate
  FROM SSTableMeta WHERE relation = 'opt_bloom'::regclass ORDER BY min_key;
SELECT count(*), sum(id) FROM opt_bloom;
SELECT * FROM opt_bloom WHERE ctid = '(0,101)';

-- block_size: small and large blocks hold the same rows.
CREATE TABLE opt_small (id int, payload text) USING lsm WITH (block_size = 512, compression = 'none');
CREATE TABLE opt_large (id int, payload text) USING lsm WITH (block_size = 65536, compression = 'none');
INSERT INTO opt_small SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
INSERT INTO opt_large SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
SELECT lsm_am.flush('opt_small'), lsm_am.flush('opt_large');
SELECT (SELECT entries FROM SSTableMeta WHERE relation = 'opt_small'::regclass) AS small_entries,
       (SELECT entries FROM SSTableMeta WHERE relation = 'opt_large'::regclass) AS large_entries;
SELECT md5(string_agg(payload, ',' ORDER BY id)) FROM opt_small;
SELECT md5(string_agg(payload, ',' ORDER BY id)) FROM opt_large;
SELECT id, payload FROM opt_small WHERE ctid = (SELECT ctid FROM opt_small WHERE id = 4321);
SELECT id, payload FROM opt_large WHERE ctid = (SELECT ctid FROM opt_large WHERE id = 4321);

DROP TABLE opt, opt_case, opt_bounds, opt_none, opt_mixed, opt_zstd, opt_raw,
  opt_bloom, opt_small, opt_large;
