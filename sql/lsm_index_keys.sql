-- lsm index keys in the order-preserving encoding (integers, oid, date,
-- time, timestamps, bool, uuid, bytea, "C" text): index scans must return
-- the order, ranges and equalities a sort gives, for every column option,
-- in memtables and SSTables, with scan keys of other types too.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

-- rows of tbl in index order (ORDER BY ord, through an index) against a
-- sort: the same sequence of key values, the same set of rows
CREATE FUNCTION keys_check(tbl text, ord text, qual text DEFAULT 'true') RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  cols text := regexp_replace(ord, ' (DESC|ASC|NULLS FIRST|NULLS LAST)', '', 'g');
  q text;
  keys_index text; rows_index text;
  keys_sort text; rows_sort text;
  plan text;
BEGIN
  q := format('SELECT string_agg(k, '';'' ORDER BY n), string_agg(r, '';'' ORDER BY r) FROM (SELECT ROW(%s)::text k, t::text r, row_number() OVER () n FROM (SELECT * FROM %s WHERE %s ORDER BY %s) t) s',
              cols, tbl, qual, ord);
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off;
  EXECUTE format('EXPLAIN (COSTS OFF) SELECT * FROM %s WHERE %s ORDER BY %s', tbl, qual, ord) INTO plan;
  IF plan NOT LIKE 'Index%' THEN
    RETURN 'not an index scan: ' || plan;
  END IF;
  EXECUTE q INTO keys_index, rows_index;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_sort = on;
  EXECUTE q INTO keys_sort, rows_sort;
  IF keys_index IS DISTINCT FROM keys_sort THEN
    RETURN 'ORDER DIFFERS: ' || left(coalesce(keys_index, '<none>'), 200) || ' vs ' || left(coalesce(keys_sort, '<none>'), 200);
  END IF;
  IF rows_index IS DISTINCT FROM rows_sort THEN
    RETURN 'ROWS DIFFER';
  END IF;
  RETURN 'same';
END $$;

CREATE TABLE k_int (a int2, b int4, c int8, d oid) USING heap;
INSERT INTO k_int VALUES (-32768, -2147483648, -9223372036854775808, 0), (32767, 2147483647, 9223372036854775807, 4294967295),
  (0, 0, 0, 1), (-1, -1, -1, 2147483648), (1, 1, 1, 2147483647), (NULL, NULL, NULL, NULL), (-300, 70000, -5000000000, 12345);
INSERT INTO k_int SELECT g % 1000 - 500, g * 7919 % 100003 - 50000, (g::int8 * 104729) % 10000019 - 5000000, g FROM generate_series(1, 2000) g;
CREATE INDEX k_int_a ON k_int USING lsm (a);
CREATE INDEX k_int_b ON k_int USING lsm (b DESC);
CREATE INDEX k_int_c ON k_int USING lsm (c NULLS FIRST);
CREATE INDEX k_int_d ON k_int USING lsm (d DESC NULLS LAST);
SELECT keys_check('k_int', 'a'), keys_check('k_int', 'a DESC');
SELECT keys_check('k_int', 'b DESC'), keys_check('k_int', 'b');
SELECT keys_check('k_int', 'c NULLS FIRST'), keys_check('k_int', 'd DESC NULLS LAST');
-- scan keys of other integer types (cross-type probes) and ranges
SELECT keys_check('k_int', 'a', 'a > -3::int8 AND a <= 4::int4');
SELECT keys_check('k_int', 'b DESC', 'b BETWEEN -100::int8 AND 100::int2');
SELECT keys_check('k_int', 'c NULLS FIRST', 'c >= -1::int4 AND c < 5000000000::int8');
SELECT keys_check('k_int', 'c NULLS FIRST', 'c IS NULL');
SELECT count(*) FROM k_int WHERE b = 0::int8;
SELECT count(*) FROM k_int WHERE d = 4294967295;
SELECT lsm_am.flush('k_int_a') >= 0 AND lsm_am.flush('k_int_b') >= 0 AND lsm_am.flush('k_int_c') >= 0 AS flushed;
INSERT INTO k_int SELECT -g, g, -g, g + 3000 FROM generate_series(1, 300) g;
SELECT keys_check('k_int', 'a'), keys_check('k_int', 'b DESC'), keys_check('k_int', 'c NULLS FIRST');
SELECT lsm_am.compact('k_int_a') >= 0 AND lsm_am.compact('k_int_c') >= 0 AS compacted;
SELECT keys_check('k_int', 'a', 'a BETWEEN -10 AND 10'), keys_check('k_int', 'c NULLS FIRST', 'c < 0');
-- the stored keys are ordered: the smallest int2 key is 0x02 (a value) 0x0000
SELECT left(encode(min_key, 'hex'), 6) AS smallest_key FROM SSTableMeta
WHERE relation = 'k_int_a'::regclass ORDER BY min_key LIMIT 1;

CREATE TABLE k_time (d date, t time, ts timestamp, tz timestamptz, b bool) USING heap;
INSERT INTO k_time VALUES ('-infinity', '00:00', '-infinity', '-infinity', false), ('infinity', '24:00', 'infinity', 'infinity', true),
  ('4713-01-01 BC', '23:59:59.999999', '4713-01-01 00:00 BC', '4713-01-01 00:00+00 BC', NULL), (NULL, NULL, NULL, NULL, true);
INSERT INTO k_time SELECT date '2000-01-01' + (g * 37 % 20000 - 10000), time '00:00' + g * interval '17 seconds',
  timestamp '2000-01-01' + (g * 7919 % 100000 - 50000) * interval '1 hour', timestamptz '2000-01-01 00:00+00' + (g * 104729 % 100000) * interval '1 minute', g % 3 = 0
  FROM generate_series(1, 1500) g;
CREATE INDEX k_time_d ON k_time USING lsm (d);
CREATE INDEX k_time_t ON k_time USING lsm (t DESC);
CREATE INDEX k_time_ts ON k_time USING lsm (ts);
CREATE INDEX k_time_tz ON k_time USING lsm (tz NULLS FIRST);
CREATE INDEX k_time_b ON k_time USING lsm (b, d);
SELECT keys_check('k_time', 'd'), keys_check('k_time', 't DESC'), keys_check('k_time', 'ts'), keys_check('k_time', 'tz NULLS FIRST');
SELECT keys_check('k_time', 'b, d'), keys_check('k_time', 'b, d', 'b AND d > ''2000-01-01''');
SELECT keys_check('k_time', 'ts', 'ts > ''1999-06-01''::date'), keys_check('k_time', 'tz NULLS FIRST', 'tz < ''2000-02-01''::timestamp');

CREATE TABLE k_bytes (u uuid, b bytea, t text COLLATE "C", v varchar(20) COLLATE "C") USING heap;
INSERT INTO k_bytes VALUES ('00000000-0000-0000-0000-000000000000', '', '', ''), ('ffffffff-ffff-ffff-ffff-ffffffffffff', '\x00', 'a', 'a'),
  (NULL, '\x0000', 'ab', 'ab'), ('80000000-0000-0000-0000-000000000000', '\x00ff', 'a b', 'b'), ('7fffffff-ffff-ffff-ffff-ffffffffffff', '\xff', 'ä', NULL),
  ('12345678-1234-1234-1234-123456789abc', '\x0001', 'A', 'Z'), ('12345678-1234-1234-1234-123456789abd', '\x01', NULL, 'zz'), (NULL, NULL, 'a' || chr(1), 'a ');
INSERT INTO k_bytes SELECT md5(g::text)::uuid, decode(lpad(to_hex(g * 7919 % 65536), 4, '0'), 'hex') || decode(repeat('00', g % 3), 'hex'),
  md5(g::text), left(md5((g * 3)::text), g % 9) FROM generate_series(1, 1500) g;
CREATE INDEX k_bytes_u ON k_bytes USING lsm (u);
CREATE INDEX k_bytes_b ON k_bytes USING lsm (b);
CREATE INDEX k_bytes_bd ON k_bytes USING lsm (b DESC);
CREATE INDEX k_bytes_t ON k_bytes USING lsm (t);
CREATE INDEX k_bytes_v ON k_bytes USING lsm (v DESC NULLS LAST, t);
SELECT keys_check('k_bytes', 'u'), keys_check('k_bytes', 'b'), keys_check('k_bytes', 'b DESC');
SELECT keys_check('k_bytes', 't'), keys_check('k_bytes', 'v DESC NULLS LAST, t');
SELECT keys_check('k_bytes', 'b', 'b >= ''\x00'' AND b < ''\x01'''), keys_check('k_bytes', 't', 't LIKE ''a%''');
SELECT keys_check('k_bytes', 'v DESC NULLS LAST, t', 'v = ''a''::text');
SELECT count(*) FROM k_bytes WHERE b = '\x00';
SELECT count(*) FROM k_bytes WHERE u = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

-- unique lsm indexes with ordered keys
CREATE TABLE k_uniq (id int8, code text COLLATE "C") USING lsm;
CREATE UNIQUE INDEX k_uniq_id ON k_uniq USING lsm (id);
CREATE UNIQUE INDEX k_uniq_code ON k_uniq USING lsm (code);
INSERT INTO k_uniq SELECT g, 'c' || g FROM generate_series(-50, 50) g;
INSERT INTO k_uniq VALUES (-50, 'new');
INSERT INTO k_uniq VALUES (1000, 'c-50');
INSERT INTO k_uniq VALUES (1000, 'c-50x');
SELECT id, code FROM k_uniq WHERE id IN (-50, 0, 1000) ORDER BY id;

-- POSIX text is "C" text; numeric has no ordered encoding: its index
-- keeps opclass-ordered keys
CREATE TABLE k_coll (t text COLLATE "POSIX", n numeric) USING heap;
INSERT INTO k_coll SELECT md5(g::text), g / 7.0 FROM generate_series(1, 300) g;
CREATE INDEX k_coll_t ON k_coll USING lsm (t);
CREATE INDEX k_coll_n ON k_coll USING lsm (n DESC);
SELECT keys_check('k_coll', 't'), keys_check('k_coll', 'n DESC');
SELECT keys_check('k_coll', 'n DESC', 'n > 10::int4 AND n < 20.5');
SELECT lsm_am.flush('k_coll_n') >= 0 AS flushed;
SELECT left(encode(max_key, 'hex'), 2) AS opclass_key_marker FROM SSTableMeta
WHERE relation = 'k_coll_n'::regclass LIMIT 1;

DROP TABLE k_int, k_time, k_bytes, k_uniq, k_coll;
DROP FUNCTION keys_check(text, text, text);
