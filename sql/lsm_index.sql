-- The lsm index access method: every operator class, NULLs, collations,
-- multi-column keys, INCLUDE, ordered and backward scans, arrays, unique
-- indexes, ON CONFLICT, options.  Results through the lsm index are
-- compared with the same query without indexes (check_same prints "same").
CREATE EXTENSION IF NOT EXISTS lsm_am;
SET client_min_messages = warning;

-- run q through indexes only, then without them; compare the rows in order
CREATE FUNCTION check_same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	a text;
	b text;
BEGIN
	PERFORM set_config('enable_seqscan', 'off', true);
	PERFORM set_config('enable_indexscan', 'on', true);
	PERFORM set_config('enable_indexonlyscan', 'on', true);
	PERFORM set_config('enable_bitmapscan', 'on', true);
	PERFORM set_config('enable_sort', 'off', true);
	EXECUTE 'SELECT string_agg(x::text, '','') FROM (' || q || ') x' INTO a;
	PERFORM set_config('enable_seqscan', 'on', true);
	PERFORM set_config('enable_indexscan', 'off', true);
	PERFORM set_config('enable_indexonlyscan', 'off', true);
	PERFORM set_config('enable_bitmapscan', 'off', true);
	PERFORM set_config('enable_sort', 'on', true);
	EXECUTE 'SELECT string_agg(x::text, '','') FROM (' || q || ') x' INTO b;
	PERFORM set_config('enable_indexscan', 'on', true);
	PERFORM set_config('enable_indexonlyscan', 'on', true);
	PERFORM set_config('enable_bitmapscan', 'on', true);
	RETURN CASE WHEN a IS NOT DISTINCT FROM b THEN 'same'
		ELSE 'DIFF: ' || coalesce(a, '<none>') || ' vs ' || coalesce(b, '<none>') END;
END $$;

-- the plan of q with sequential scans off (is the lsm index used?)
CREATE FUNCTION plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('enable_seqscan', 'off', true);
	RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
	PERFORM set_config('enable_seqscan', 'on', true);
END $$;

-- CREATE INDEX ... USING lsm makes an index of access method lsm_index
CREATE TABLE t_int (k2 int2, k4 int4, k8 int8, id int);
INSERT INTO t_int SELECT (i % 300) - 150, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 1000 END,
	i::int8 * 1000003 % 99991 - 50000, i FROM generate_series(1, 3000) i;
CREATE INDEX t_int_k2 ON t_int USING lsm (k2);
CREATE INDEX t_int_k4 ON t_int USING lsm (k4);
CREATE INDEX t_int_k8 ON t_int USING lsm (k8);
SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
	WHERE c.relname LIKE 't_int_%' ORDER BY 1;
SELECT plan_of('SELECT k4 FROM t_int WHERE k4 = 5');
SELECT plan_of('SELECT * FROM t_int WHERE k8 > 100 ORDER BY k8 LIMIT 3');
-- integers, cross-type comparisons (int2 column against int4/int8 constants)
SELECT check_same('SELECT k2 FROM t_int WHERE k2 = 7');
SELECT check_same('SELECT k2 FROM t_int WHERE k2 = 7::int8');
SELECT check_same('SELECT k2, id FROM t_int WHERE k2 BETWEEN -3 AND 2 ORDER BY k2, id');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 < 10 ORDER BY k4');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 >= 990 ORDER BY k4 DESC');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 IS NULL');
SELECT check_same('SELECT count(*) FROM t_int WHERE k4 IS NOT NULL');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 IN (1, 2, 500, 5000, NULL) ORDER BY k4');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 = ANY(ARRAY[3, 3, 1]::int8[]) ORDER BY k4 DESC');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 < ANY(ARRAY[2, 5]) ORDER BY k4');
SELECT check_same('SELECT k8 FROM t_int WHERE k8 > 49000 ORDER BY k8');
SELECT check_same('SELECT k8 FROM t_int ORDER BY k8 DESC LIMIT 5');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 = 5 AND k4 = 6');
SELECT check_same('SELECT k4 FROM t_int WHERE k4 > 5 AND k4 < 3');

-- floats (NaN sorts last, -0 equals 0), numeric (1.0 equals 1.00)
CREATE TABLE t_num (f4 float4, f8 float8, n numeric);
INSERT INTO t_num SELECT (i % 50) / 4.0, CASE i % 97 WHEN 0 THEN 'NaN' WHEN 1 THEN '-0' WHEN 2 THEN 'Infinity' ELSE (i % 211) / 7.0 END,
	CASE WHEN i % 3 = 0 THEN (i % 40)::numeric(10, 2) ELSE (i % 40)::numeric END FROM generate_series(1, 2000) i;
CREATE INDEX ON t_num USING lsm (f4);
CREATE INDEX ON t_num USING lsm (f8);
CREATE INDEX ON t_num USING lsm (n);
SELECT check_same('SELECT f4 FROM t_num WHERE f4 = 2.5');
SELECT check_same('SELECT f4 FROM t_num WHERE f4 > 11.5::float8 ORDER BY f4');
SELECT check_same('SELECT f8 FROM t_num WHERE f8 = 0');
SELECT check_same('SELECT f8 FROM t_num WHERE f8 = ''NaN''');
SELECT check_same('SELECT f8 FROM t_num WHERE f8 > 29 ORDER BY f8');
SELECT check_same('SELECT f8 FROM t_num ORDER BY f8 DESC LIMIT 4');
SELECT check_same('SELECT n FROM t_num WHERE n = 7');
SELECT check_same('SELECT count(*) FROM t_num WHERE n = 7.000');
SELECT check_same('SELECT n FROM t_num WHERE n BETWEEN 38.5 AND 100 ORDER BY n');

-- text and varchar: the column's collation decides the order
CREATE TABLE t_text (c text COLLATE "C", u text COLLATE "und-x-icu", v varchar(20));
INSERT INTO t_text SELECT w || i % 7, w || i % 7, w FROM (SELECT i, (ARRAY['apple', 'Apple', 'banana', 'Banana', 'cherry', 'éclair', 'Zebra', 'zebra', ''])[1 + i % 9] AS w FROM generate_series(1, 900) i) s;
CREATE INDEX t_text_c ON t_text USING lsm (c);
CREATE INDEX t_text_u ON t_text USING lsm (u);
CREATE INDEX t_text_v ON t_text USING lsm (v);
SELECT check_same('SELECT DISTINCT c FROM t_text WHERE c > ''B'' ORDER BY c LIMIT 6');
SELECT check_same('SELECT DISTINCT u FROM t_text WHERE u > ''B'' ORDER BY u LIMIT 6');
SELECT DISTINCT u FROM t_text WHERE u < 'c' ORDER BY u;
SELECT check_same('SELECT v FROM t_text WHERE v = ''Banana''');
SELECT check_same('SELECT count(*) FROM t_text WHERE v IN (''apple'', ''zebra'')');
SELECT plan_of('SELECT v FROM t_text WHERE v = ''Banana''');

-- bytea, uuid, bool, "char", oid, name
CREATE TABLE t_misc (b bytea, g uuid, o bool, ch "char", id oid, nm name);
INSERT INTO t_misc SELECT decode(lpad(to_hex(i % 300), 4, '0'), 'hex'), md5((i % 500)::text)::uuid,
	i % 3 = 0, chr(65 + i % 20)::"char", (i % 700)::oid, 'n' || (i % 50) FROM generate_series(1, 1500) i;
CREATE INDEX ON t_misc USING lsm (b);
CREATE INDEX ON t_misc USING lsm (g);
CREATE INDEX ON t_misc USING lsm (o);
CREATE INDEX ON t_misc USING lsm (ch);
CREATE INDEX ON t_misc USING lsm (id);
CREATE INDEX ON t_misc USING lsm (nm);
SELECT check_same('SELECT b FROM t_misc WHERE b < ''\x0005''::bytea ORDER BY b');
SELECT check_same('SELECT g FROM t_misc WHERE g = md5(''42'')::uuid');
SELECT check_same('SELECT g FROM t_misc ORDER BY g LIMIT 3');
SELECT check_same('SELECT count(*) FROM t_misc WHERE o');
SELECT check_same('SELECT ch FROM t_misc WHERE ch BETWEEN ''C'' AND ''E'' ORDER BY ch DESC LIMIT 5');
SELECT check_same('SELECT id FROM t_misc WHERE id > 695 ORDER BY id');
SELECT check_same('SELECT nm FROM t_misc WHERE nm = ''n7''');

-- date, time, timestamp, timestamptz (cross-type), interval
CREATE TABLE t_time (d date, t time, ts timestamp, tz timestamptz, iv interval);
INSERT INTO t_time SELECT '2024-01-01'::date + i % 400, '00:00'::time + (i % 1440) * interval '1 minute',
	'2024-01-01'::timestamp + i * interval '37 minutes', '2024-01-01 00:00+00'::timestamptz + i * interval '1 hour',
	CASE i % 4 WHEN 0 THEN interval '1 month' WHEN 1 THEN interval '30 days' ELSE (i % 90) * interval '1 day' END
	FROM generate_series(1, 2000) i;
CREATE INDEX ON t_time USING lsm (d);
CREATE INDEX ON t_time USING lsm (t);
CREATE INDEX ON t_time USING lsm (ts);
CREATE INDEX ON t_time USING lsm (tz);
CREATE INDEX ON t_time USING lsm (iv);
SET TimeZone = 'UTC';
SELECT check_same('SELECT d FROM t_time WHERE d = ''2024-02-01''');
SELECT check_same('SELECT d FROM t_time WHERE d < ''2024-01-03''::timestamp ORDER BY d');
SELECT check_same('SELECT t FROM t_time WHERE t BETWEEN ''10:00'' AND ''10:05'' ORDER BY t');
SELECT check_same('SELECT ts FROM t_time WHERE ts >= ''2024-02-15'' ORDER BY ts LIMIT 3');
SELECT check_same('SELECT tz FROM t_time WHERE tz > ''2024-03-01''::date ORDER BY tz LIMIT 3');
SELECT check_same('SELECT iv FROM t_time WHERE iv = ''30 days''');
SELECT check_same('SELECT count(*) FROM t_time WHERE iv = ''1 month''');

-- multi-column keys with DESC, NULLS FIRST, INCLUDE; index-only scans
CREATE TABLE t_multi (a int, b text, c int, payload text) USING lsm;
INSERT INTO t_multi SELECT CASE WHEN i % 11 = 0 THEN NULL ELSE i % 20 END,
	CASE WHEN i % 7 = 0 THEN NULL ELSE 'b' || (i % 13) END, i, 'p' || i FROM generate_series(1, 2000) i;
CREATE INDEX t_multi_abc ON t_multi USING lsm (a NULLS FIRST, b DESC) INCLUDE (c);
SELECT plan_of('SELECT a, b, c FROM t_multi WHERE a = 3 ORDER BY a NULLS FIRST, b DESC LIMIT 2');
SELECT plan_of('SELECT a, b FROM t_multi ORDER BY a DESC NULLS LAST, b LIMIT 2');
SELECT check_same('SELECT a, b, c FROM t_multi WHERE a = 3 ORDER BY a NULLS FIRST, b DESC, c');
SELECT check_same('SELECT a, b FROM t_multi ORDER BY a NULLS FIRST, b DESC LIMIT 15');
SELECT check_same('SELECT a, b FROM t_multi ORDER BY a DESC NULLS LAST, b ASC LIMIT 15');
SELECT check_same('SELECT count(*) FROM t_multi WHERE a IS NULL AND b IS NULL');
SELECT check_same('SELECT a, b, c FROM t_multi WHERE a IN (4, 2) AND b > ''b5'' ORDER BY a, b DESC, c');
SELECT check_same('SELECT a, c FROM t_multi WHERE a > 17 AND b = ''b3'' ORDER BY a, c');
SELECT check_same('SELECT count(*) FROM t_multi WHERE b = ''b1''');

-- backward scans through a scrollable cursor
BEGIN;
SET LOCAL enable_seqscan = off;
SET LOCAL enable_sort = off;
DECLARE cur SCROLL CURSOR FOR SELECT a, b, c FROM t_multi WHERE a BETWEEN 5 AND 6 AND b IS NOT NULL ORDER BY a NULLS FIRST, b DESC;
FETCH 3 FROM cur;
FETCH BACKWARD 2 FROM cur;
FETCH LAST FROM cur;
FETCH BACKWARD 3 FROM cur;
MOVE FORWARD ALL FROM cur;
FETCH BACKWARD 1 FROM cur;
FETCH FIRST FROM cur;
COMMIT;

-- after a flush and a compaction the answers stay the same
INSERT INTO t_multi SELECT i % 20, 'b' || (i % 13), i, 'q' || i FROM generate_series(2001, 2500) i;
SELECT check_same('SELECT a, b, c FROM t_multi WHERE a IN (4, 2) AND b > ''b5'' ORDER BY a, b DESC, c');
SELECT lsm_am.flush('t_multi_abc') > 0 AS flushed;
SELECT check_same('SELECT a, b, c FROM t_multi WHERE a IN (4, 2) AND b > ''b5'' ORDER BY a, b DESC, c');
SELECT lsm_am.compact('t_multi_abc') > 0 AS compacted;
SELECT check_same('SELECT a, b FROM t_multi ORDER BY a DESC NULLS LAST, b ASC LIMIT 15');
DELETE FROM t_multi WHERE c % 3 = 0;
VACUUM t_multi;
SELECT check_same('SELECT a, b, c FROM t_multi WHERE a = 3 ORDER BY a NULLS FIRST, b DESC, c');
SELECT check_same('SELECT count(*) FROM t_multi WHERE a IS NOT NULL');

-- unique indexes, PRIMARY KEY / UNIQUE constraints, ON CONFLICT
CREATE TABLE t_uniq (id int, k text, v int);
CREATE UNIQUE INDEX t_uniq_id ON t_uniq USING lsm (id);
INSERT INTO t_uniq SELECT i, 'k' || i, 0 FROM generate_series(1, 100) i;
INSERT INTO t_uniq VALUES (5, 'dup', 0);
INSERT INTO t_uniq VALUES (NULL, 'n1', 0), (NULL, 'n2', 0);
UPDATE t_uniq SET id = id + 1 WHERE id = 100;
UPDATE t_uniq SET id = 100 WHERE id = 99;
INSERT INTO t_uniq VALUES (5, 'x', 1) ON CONFLICT (id) DO UPDATE SET v = t_uniq.v + 10;
INSERT INTO t_uniq VALUES (5, 'x', 1) ON CONFLICT (id) DO NOTHING;
INSERT INTO t_uniq VALUES (500, 'new', 1) ON CONFLICT (id) DO NOTHING;
SELECT id, k, v FROM t_uniq WHERE id IN (5, 99, 100, 101, 500) ORDER BY id;
-- a violation on an existing duplicate fails the build
CREATE TABLE t_dup (id int);
INSERT INTO t_dup VALUES (1), (2), (2);
CREATE UNIQUE INDEX ON t_dup USING lsm (id);
DELETE FROM t_dup WHERE ctid = (SELECT max(ctid) FROM t_dup);
CREATE UNIQUE INDEX t_dup_id ON t_dup USING lsm (id);
-- NULLS NOT DISTINCT
CREATE TABLE t_nnd (a int);
CREATE UNIQUE INDEX ON t_nnd USING lsm (a) NULLS NOT DISTINCT;
INSERT INTO t_nnd VALUES (NULL);
INSERT INTO t_nnd VALUES (NULL);
-- constraints on lsm indexes (the GUC picks the method of constraint indexes)
SET lsm_am.constraint_index_method = lsm;
CREATE TABLE t_pk (id int PRIMARY KEY, code text UNIQUE, x int) USING lsm;
ALTER TABLE t_pk ADD CONSTRAINT t_pk_x UNIQUE (x) DEFERRABLE INITIALLY DEFERRED;
RESET lsm_am.constraint_index_method;
SELECT c.relname, a.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = 't_pk'::regclass ORDER BY 1;
INSERT INTO t_pk VALUES (1, 'a', 1), (2, 'b', 2);
INSERT INTO t_pk VALUES (1, 'c', 3);
INSERT INTO t_pk VALUES (3, 'a', 3);
INSERT INTO t_pk VALUES (1, 'z', 9) ON CONFLICT (id) DO UPDATE SET code = excluded.code;
SELECT * FROM t_pk ORDER BY id;
-- deferred: a duplicate inside the transaction is fine if gone at commit
BEGIN;
UPDATE t_pk SET x = x + 1;
SELECT x FROM t_pk ORDER BY x;
COMMIT;
BEGIN;
INSERT INTO t_pk VALUES (10, 'q', 2);
COMMIT;
SELECT * FROM t_pk ORDER BY id;

-- options
CREATE INDEX t_opt ON t_int USING lsm (id) WITH (bloom_fp_rate = 0.001, compression = 'none',
	memtable_size = 256, compaction_style = 'tiered', target_file_size = 1024);
SELECT reloptions FROM pg_class WHERE relname = 't_opt';
CREATE INDEX ON t_int USING lsm (id) WITH (compression = 'lz4');
CREATE INDEX ON t_int USING lsm (id) WITH (bloom_fp_rate = 0.9);
CREATE INDEX ON t_int USING lsm (id) WITH (compaction_style = 'fifo');
CREATE INDEX ON t_int USING lsm (id) WITH (fillfactor = 50);
ALTER INDEX t_opt SET (memtable_size = 128);
SELECT reloptions FROM pg_class WHERE relname = 't_opt';
-- not supported: explicit errors
CREATE TEMP TABLE t_temp (a int);
CREATE INDEX ON t_temp USING lsm (a);
CREATE INDEX ON t_int USING lsm ((k4 + 1)) WHERE k4 > 0;
SELECT check_same('SELECT k4 FROM t_int WHERE k4 + 1 = 6 AND k4 > 0');
-- amvalidate accepts every operator class
SELECT opc.opcname, amvalidate(opc.oid) FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
	WHERE am.amname = 'lsm_index' ORDER BY 1;
-- REINDEX, and CREATE INDEX CONCURRENTLY
REINDEX INDEX t_int_k4;
SELECT check_same('SELECT k4 FROM t_int WHERE k4 < 10 ORDER BY k4');
CREATE INDEX CONCURRENTLY t_int_conc ON t_int USING lsm (k8, id);
SELECT check_same('SELECT k8, id FROM t_int WHERE k8 < -49000 ORDER BY k8, id');
REINDEX INDEX CONCURRENTLY t_int_conc;
SELECT check_same('SELECT k8, id FROM t_int WHERE k8 < -49000 ORDER BY k8, id');
TRUNCATE t_int;
SELECT count(*) FROM t_int WHERE k4 = 5;
DROP TABLE t_int, t_num, t_text, t_misc, t_time, t_multi, t_uniq, t_dup, t_nnd, t_pk;
