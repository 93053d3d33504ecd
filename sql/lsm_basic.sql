--
-- lsm_basic: the lsm table access method stores and returns rows.
--
-- Memtables freeze every ~1MB (test/lsm_test.conf) and background workers
-- flush them at moments we cannot predict, so this file never prints how
-- many SSTables or memtables exist unless lsm_am.flush() made it certain.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
RESET client_min_messages;

SELECT amname, amtype FROM pg_am WHERE amname = 'lsm';

-- A small table: insert, select, system columns.
CREATE TABLE basic (id int, name text) USING lsm;
SELECT c.relname, a.amname
  FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'basic'::regclass;
INSERT INTO basic VALUES (1, 'one');
INSERT INTO basic VALUES (2, 'two'), (3, 'three');
SELECT * FROM basic ORDER BY id;
SELECT count(*), sum(id), min(name), max(name) FROM basic;
SELECT * FROM basic WHERE id = 2;
SELECT * FROM basic WHERE name LIKE 't%' ORDER BY id;
-- tableoid, xmin and cmin are set on returned rows
SELECT tableoid::regclass, xmin = xmin AS has_xmin, id FROM basic ORDER BY id;
SELECT count(*) AS rows_with_valid_xmin FROM basic WHERE xmin::text::bigint >= 3;
-- RETURNING reports the row's ctid
INSERT INTO basic VALUES (4, 'four') RETURNING id, name, ctid = ctid AS has_ctid;

-- Row ids are assigned in insertion order from 1: row id n is TID
-- (n / 291, n % 291 + 1), so the first rows of a fresh table are (0,2)...
SELECT ctid, id FROM basic ORDER BY id;

-- TID scans.  The planner prefers a seq scan on such a small table, so
-- disable that to get the TID scan plans.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM basic WHERE ctid = '(0,3)';
SELECT * FROM basic WHERE ctid = '(0,3)';
SELECT * FROM basic WHERE ctid = '(0,1)';	-- row id 0 is never used
SELECT * FROM basic WHERE ctid = '(7,1)';	-- past the end
SELECT * FROM basic WHERE ctid = ANY (ARRAY['(0,2)', '(0,5)']::tid[]) ORDER BY id;
EXPLAIN (COSTS OFF) SELECT * FROM basic WHERE ctid > '(0,3)';
SELECT * FROM basic WHERE ctid > '(0,3)' ORDER BY id;
SELECT * FROM basic WHERE ctid >= '(0,3)' AND ctid < '(0,5)' ORDER BY id;
SELECT * FROM basic WHERE ctid < '(0,0)';
-- a TID found by a scan fetches the same row
SELECT b.id, b.name FROM basic b
 WHERE b.ctid = (SELECT ctid FROM basic WHERE id = 3);
RESET enable_seqscan;
EXPLAIN (COSTS OFF) SELECT * FROM basic;
EXPLAIN (COSTS OFF) SELECT count(*) FROM basic WHERE id > 1;

-- Flush the small table: exactly one level-0 SSTable with its 4 rows,
-- whose keys are the big-endian row ids 1 and 4.
SELECT lsm_am.flush('basic');
SELECT lsm_am.flush('basic');	-- nothing left to flush
SELECT level, min_key, max_key, entries, tombstones,
       size_bytes > 0 AS has_size, bloom_filter_fp_rate
  FROM SSTableMeta WHERE relation = 'basic'::regclass;
SELECT count(*) FROM lsm_am.memtables WHERE relation = 'basic'::regclass AND entries > 0;
SELECT * FROM basic ORDER BY id;
SELECT * FROM basic WHERE ctid = '(0,4)';
-- rows after the flush land in a new memtable, read together with the SSTable
INSERT INTO basic VALUES (5, 'five');
SELECT state, entries, tombstones FROM lsm_am.memtables WHERE relation = 'basic'::regclass;
SELECT ctid, * FROM basic ORDER BY id;

-- NULLs
CREATE TABLE nulls (a int, b text, c float8, d bool) USING lsm;
INSERT INTO nulls VALUES (NULL, NULL, NULL, NULL), (1, NULL, 2.5, NULL),
       (NULL, 'x', NULL, true), (2, 'y', 3.5, false);
SELECT * FROM nulls ORDER BY a NULLS FIRST, b NULLS FIRST;
SELECT count(*), count(a), count(b), count(c), count(d) FROM nulls;
SELECT * FROM nulls WHERE a IS NULL AND b IS NULL;
SELECT lsm_am.flush('nulls');
SELECT * FROM nulls ORDER BY a NULLS FIRST, b NULLS FIRST;

-- 100,000 rows by INSERT ... SELECT, compared with the same rows in heap.
CREATE TABLE big (id bigint, grp int, val text, f float8) USING lsm;
CREATE TABLE big_heap (id bigint, grp int, val text, f float8) USING heap;
INSERT INTO big SELECT g, g % 100, md5(g::text), g / 7.0 FROM generate_series(1, 100000) g;
INSERT INTO big_heap SELECT g, g % 100, md5(g::text), g / 7.0 FROM generate_series(1, 100000) g;
SELECT count(*), sum(id), sum(grp), count(DISTINCT val), round(sum(f)) FROM big;
SELECT md5(string_agg(id || ':' || grp || ':' || val, ',' ORDER BY id)) FROM big;
SELECT md5(string_agg(id || ':' || grp || ':' || val, ',' ORDER BY id)) FROM big_heap;
SELECT grp, count(*), sum(id) FROM big WHERE grp IN (0, 1, 99) GROUP BY grp ORDER BY grp;
SELECT * FROM big WHERE id IN (1, 50000, 100000) ORDER BY id;
-- a seq scan returns rows in row id (insertion) order
SELECT count(*) FROM (SELECT id, lag(id) OVER () AS prev FROM big) s
 WHERE prev IS NOT NULL AND id <> prev + 1;
(SELECT * FROM big EXCEPT SELECT * FROM big_heap)
UNION ALL
(SELECT * FROM big_heap EXCEPT SELECT * FROM big);

-- Flush everything: same answers from SSTables.
SELECT lsm_am.flush('big') >= 0 AS flushed;
SELECT count(*) FROM lsm_am.memtables WHERE relation = 'big'::regclass AND entries > 0;
SELECT count(*) >= 1 AS has_sstables, sum(entries) AS entries,
       sum(tombstones) AS tombstones, bool_and(level BETWEEN 0 AND 7) AS levels_valid,
       sum(size_bytes) > 0 AS has_size
  FROM SSTableMeta WHERE relation = 'big'::regclass;
-- keys are row ids from 1 (ranges reserved for write batches may leave gaps)
SELECT (SELECT min_key FROM SSTableMeta WHERE relation = 'big'::regclass
         ORDER BY min_key LIMIT 1) AS min_key,
       (SELECT max_key FROM SSTableMeta WHERE relation = 'big'::regclass
         ORDER BY max_key DESC LIMIT 1) >= '\x00000000000186a0'::bytea AS max_key_past_rows;
SELECT count(*), sum(id), sum(grp), count(DISTINCT val), round(sum(f)) FROM big;
SELECT md5(string_agg(id || ':' || grp || ':' || val, ',' ORDER BY id)) FROM big;
SELECT * FROM big WHERE id IN (1, 50000, 100000) ORDER BY id;
SELECT count(*) FROM (SELECT id, lag(id) OVER () AS prev FROM big) s
 WHERE prev IS NOT NULL AND id <> prev + 1;
-- a TID in the middle of the SSTables
SELECT id FROM big WHERE ctid = (SELECT ctid FROM big WHERE id = 77777);
-- more rows after the flush: memtable and SSTables merge
INSERT INTO big SELECT g, g % 100, md5(g::text), g / 7.0 FROM generate_series(100001, 110000) g;
SELECT count(*), sum(id), max(id) FROM big;
SELECT count(*) FROM big WHERE ctid > (SELECT ctid FROM big WHERE id = 100000);

-- COPY FROM STDIN, and COPY TO
CREATE TABLE copied (id int, t text, n numeric) USING lsm;
COPY copied FROM STDIN;
1	alpha	1.5
2	beta	\N
3	\N	-7
4	delta with spaces	0
\.
COPY copied FROM STDIN WITH (FORMAT csv, HEADER true);
id,t,n
5,"quoted, comma",42
6,,3.14159
\.
SELECT * FROM copied ORDER BY id;
COPY copied TO STDOUT;
INSERT INTO copied SELECT g, 'row ' || g, g FROM generate_series(7, 20000) g;
SELECT count(*), sum(id), sum(n) FROM copied;
COPY (SELECT * FROM copied WHERE id > 19998 ORDER BY id) TO STDOUT WITH (FORMAT csv);

-- Many column types, compared with heap.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (x int, y text);
CREATE TABLE types (
    i2 int2, i4 int4, i8 int8, num numeric(20, 5), f4 float4, f8 float8,
    b bool, c char(5), vc varchar(10), t text, ba bytea,
    d date, ts timestamp, tstz timestamptz, iv interval, tm time,
    u uuid, j jsonb, js json, arr int[], tarr text[], ip inet, m mood,
    p pair, r int4range, bits bit varying(16), mon money, pt point
) USING lsm;
CREATE TABLE types_heap (LIKE types) USING heap;
SET timezone = 'UTC';
INSERT INTO types VALUES
  (1, 2, 3, 12345.6789, 1.5, 2.25, true, 'ab', 'varchar', 'text',
   '\xdeadbeef', '2024-02-29', '2024-02-29 12:34:56.789', '2024-02-29 12:34:56+02',
   '1 year 2 months 3 days 04:05:06', '23:59:59.999999',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2, {"b": null}]}', '{"x" : 1}',
   '{1,2,3}', '{"a b",NULL,c}', '192.168.0.1/24', 'happy', ROW(7, 'seven'),
   '[1,10)', B'1011', 12.34, '(1.5,-2)'),
  (-32768, -2147483648, -9223372036854775808, -0.00001, '-Infinity', 'NaN', false,
   '', '', '', '\x', '4713-01-01 BC', 'infinity', '-infinity', '-1 second', '00:00',
   '00000000-0000-0000-0000-000000000000', '[]', 'null', '{}', '{}', '::1', 'sad',
   ROW(NULL, NULL), 'empty', B'', -1, '(0,0)'),
  (32767, 2147483647, 9223372036854775807, 999999999999999.99999, 3.4e38, 1.7976931348623157e308, NULL,
   'zzzzz', 'éàü€', E'multi\nline\ttext', '\x00ff00', '5874897-12-31', '294276-12-31 23:59:59',
   '2000-01-01 00:00:00+00', '178000000 years', '24:00:00', NULL, '"str"', NULL,
   '{{1,2},{3,4}}', NULL, '2001:db8::ff00:42:8329', NULL, NULL, '(,5]', NULL, NULL, NULL);
INSERT INTO types_heap SELECT * FROM types;
SELECT i2, i4, i8, num, f4, f8, b, c, vc, t FROM types ORDER BY i2;
SELECT i2, ba, d, ts, tstz, iv, tm FROM types ORDER BY i2;
SELECT i2, u, j, js, arr, tarr, ip, m, p, r, bits, mon, pt FROM types ORDER BY i2;
SELECT lsm_am.flush('types');
-- every column compares equal to heap (point has no equality: compare as text)
SELECT count(*) FROM types l JOIN types_heap h
    ON (l.i2, l.i4, l.i8, l.num, l.f4, l.f8, l.c, l.vc, l.t, l.ba, l.d, l.ts,
        l.tstz, l.iv, l.tm, l.j, l.arr, l.ip, l.r, l.mon, l.pt::text)
       IS NOT DISTINCT FROM
       (h.i2, h.i4, h.i8, h.num, h.f4, h.f8, h.c, h.vc, h.t, h.ba, h.d, h.ts,
        h.tstz, h.iv, h.tm, h.j, h.arr, h.ip, h.r, h.mon, h.pt::text)
   AND l.b IS NOT DISTINCT FROM h.b AND l.u IS NOT DISTINCT FROM h.u
   AND l.js::text IS NOT DISTINCT FROM h.js::text
   AND l.tarr IS NOT DISTINCT FROM h.tarr AND l.m IS NOT DISTINCT FROM h.m
   AND l.p IS NOT DISTINCT FROM h.p AND l.bits IS NOT DISTINCT FROM h.bits;
RESET timezone;

-- Wide rows: values are TOASTed into the table's (heap) TOAST relation.
SELECT reltoastrelid <> 0 AS has_toast FROM pg_class WHERE oid = 'types'::regclass;
CREATE TABLE wide (id int, t text, b bytea) USING lsm;
-- 1 MB of hex digits (barely compressible), 1 MB of repeated text, 1 MB
-- of pseudo-random bytes, and a value stored EXTERNAL (uncompressed).
INSERT INTO wide
SELECT 1, string_agg(md5(g::text), '' ORDER BY g), NULL
  FROM generate_series(1, 32768) g;
INSERT INTO wide VALUES (2, repeat('lsm tree ', 116509), NULL);
INSERT INTO wide
SELECT 3, NULL, decode(string_agg(md5((g * 7)::text), '' ORDER BY g), 'hex')
  FROM generate_series(1, 65536) g;
ALTER TABLE wide ALTER COLUMN t SET STORAGE EXTERNAL;
INSERT INTO wide
SELECT 4, string_agg(md5((g + 1)::text), '' ORDER BY g), NULL
  FROM generate_series(1, 32768) g;
INSERT INTO wide VALUES (5, 'small', '\x01');
SELECT id, length(t), length(b), md5(t) AS md5_t, md5(b) AS md5_b FROM wide ORDER BY id;
SELECT md5(string_agg(md5(g::text), '' ORDER BY g)) AS expect_1
  FROM generate_series(1, 32768) g;
SELECT md5(repeat('lsm tree ', 116509)) AS expect_2;
SELECT md5(decode(string_agg(md5((g * 7)::text), '' ORDER BY g), 'hex')) AS expect_3
  FROM generate_series(1, 65536) g;
SELECT md5(string_agg(md5((g + 1)::text), '' ORDER BY g)) AS expect_4
  FROM generate_series(1, 32768) g;
-- the values live in the TOAST relation
SELECT pg_relation_size(reltoastrelid) > 1000000 AS toast_has_data
  FROM pg_class WHERE oid = 'wide'::regclass;
SELECT substr(t, 1, 40), substr(t, 1000000, 20) FROM wide WHERE id = 1;
SELECT lsm_am.flush('wide') >= 1 AS flushed;
SELECT id, length(t), length(b), md5(t) AS md5_t, md5(b) AS md5_b FROM wide ORDER BY id;
-- a wide value copied from one lsm table to another
CREATE TABLE wide2 USING lsm AS SELECT * FROM wide;
SELECT id, md5(t) AS md5_t, md5(b) AS md5_b FROM wide2 ORDER BY id;

-- CREATE TABLE AS and SELECT INTO with USING lsm
CREATE TABLE ctas USING lsm AS SELECT g AS id, g * 2 AS dbl FROM generate_series(1, 1000) g;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'ctas'::regclass;
SELECT count(*), sum(dbl) FROM ctas;
SET default_table_access_method = lsm;
CREATE TABLE by_default (x int);
RESET default_table_access_method;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE c.oid = 'by_default'::regclass;
INSERT INTO by_default SELECT generate_series(1, 10);
SELECT sum(x) FROM by_default;

-- TRUNCATE empties the table and it takes new rows; the SSTables and
-- memtables of the old storage are gone.
TRUNCATE big;
SELECT count(*) FROM big;
SELECT count(*) FROM SSTableMeta WHERE relation = 'big'::regclass;
SELECT count(*) FROM lsm_am.memtables WHERE relation = 'big'::regclass AND entries > 0;
INSERT INTO big VALUES (1, 1, 'after truncate', 1);
SELECT ctid, id, val FROM big;
SELECT lsm_am.flush('big');
SELECT level, min_key, max_key, entries FROM SSTableMeta WHERE relation = 'big'::regclass;
TRUNCATE basic, nulls;
SELECT (SELECT count(*) FROM basic) AS basic, (SELECT count(*) FROM nulls) AS nulls;

-- DROP removes the table and its SSTables from SSTableMeta.
DROP TABLE big;
SELECT count(*) FROM SSTableMeta s JOIN pg_class c ON c.oid = s.relation
 WHERE c.relname = 'big';
SELECT count(*) FROM pg_class WHERE relname = 'big';

DROP TABLE basic, nulls, big_heap, copied, types, types_heap, wide, wide2, ctas, by_default;
DROP TYPE mood, pair;
