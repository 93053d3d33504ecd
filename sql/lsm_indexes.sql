--
-- lsm_indexes: indexes on lsm tables.  btree (unique, primary key,
-- multi-column, expression, partial), hash, gist and spgist are read
-- through index scans and index-only scans whose results must equal a seq
-- scan's; gin and brin (bitmap-only access methods) are built and
-- maintained.  Unique violations, foreign keys to and from lsm tables,
-- REINDEX, and index results after UPDATE/DELETE, flushes and compactions.
-- Results are what a heap table prints (this file run with USING heap
-- prints the same), except the lines that show the table is lsm.
--
-- Bitmap heap scans stay off (so that the plans are index scans) until the
-- last section, which reads gin and brin indexes through them.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS lsm_am;
CREATE EXTENSION IF NOT EXISTS amcheck;
RESET client_min_messages;
SET enable_bitmapscan = off;

CREATE TABLE ix (id int NOT NULL, grp int, name text, tags int[], doc tsvector,
                 box box, span int4range) USING lsm WITH (autovacuum_enabled = off);
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
 WHERE c.oid = 'ix'::regclass;
-- rows in an SSTable, then more in the memtable, before the indexes exist
INSERT INTO ix
  SELECT g, g % 10, 'name' || g,
         ARRAY[g % 7, g % 11, 100 + g % 3],
         to_tsvector('simple', 'w' || (g % 13) || ' x' || (g % 17)),
         box(point(g % 100, g / 100), point(g % 100 + 1, g / 100 + 1)),
         int4range(g, g + 5)
    FROM generate_series(1, 6000) g;
SELECT lsm_am.flush('ix') >= 0 AS flushed;
INSERT INTO ix
  SELECT g, g % 10, 'name' || g,
         ARRAY[g % 7, g % 11, 100 + g % 3],
         to_tsvector('simple', 'w' || (g % 13) || ' x' || (g % 17)),
         box(point(g % 100, g / 100), point(g % 100 + 1, g / 100 + 1)),
         int4range(g, g + 5)
    FROM generate_series(6001, 10000) g;

ALTER TABLE ix ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX ix_name ON ix (name);
CREATE INDEX ix_grp_id ON ix (grp, id);
CREATE INDEX ix_lower ON ix (lower(name));
CREATE INDEX ix_partial ON ix (id) WHERE grp = 3;
CREATE INDEX ix_hash ON ix USING hash (grp);
CREATE INDEX ix_tags ON ix USING gin (tags);
CREATE INDEX ix_doc ON ix USING gin (doc);
CREATE INDEX ix_box ON ix USING gist (box);
CREATE INDEX ix_span ON ix USING gist (span);
CREATE INDEX ix_spg ON ix USING spgist (span);
CREATE INDEX ix_brin ON ix USING brin (id) WITH (pages_per_range = 2);
SELECT c.relname, a.amname, i.indisunique, i.indisprimary, i.indisvalid
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_am a ON a.oid = c.relam
 WHERE i.indrelid = 'ix'::regclass ORDER BY c.relname;

-- Each query runs through the index and then as a seq scan; both results
-- are printed as count|sum of ids|md5 of the ids in order.
CREATE FUNCTION ix_both(q text, OUT via_index text, OUT via_seqscan text)
LANGUAGE plpgsql AS $$
DECLARE
  sql text := 'SELECT count(*) || ''|'' || coalesce(sum(id), 0) || ''|'' || '
              'md5(coalesce(string_agg(id::text, '','' ORDER BY id), '''')) FROM (' || q || ') s';
BEGIN
  SET LOCAL enable_seqscan = off;
  EXECUTE sql INTO via_index;
  SET LOCAL enable_seqscan = on;
  SET LOCAL enable_indexscan = off;
  SET LOCAL enable_indexonlyscan = off;
  SET LOCAL enable_bitmapscan = off;
  EXECUTE sql INTO via_seqscan;
END $$;

SET enable_seqscan = off;
-- btree: primary key, unique, multi-column, expression, partial
EXPLAIN (COSTS OFF) SELECT * FROM ix WHERE id = 4242;
SELECT id, grp, name FROM ix WHERE id = 4242;
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE id BETWEEN 10 AND 20;
SELECT id FROM ix WHERE id BETWEEN 10 AND 20 ORDER BY id;
SELECT * FROM ix_both('SELECT id FROM ix WHERE id BETWEEN 5990 AND 6010');
EXPLAIN (COSTS OFF) SELECT id, name FROM ix WHERE name = 'name77';
SELECT id, name FROM ix WHERE name = 'name77';
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE grp = 4 AND id < 100;
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 4 AND id < 100');
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE lower(name) = 'name9999';
SELECT id FROM ix WHERE lower(name) = 'name9999';
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE grp = 3 AND id > 9900;
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 3 AND id > 9900');
-- ORDER BY through the index, both directions
EXPLAIN (COSTS OFF) SELECT id FROM ix ORDER BY id DESC LIMIT 3;
SELECT id FROM ix ORDER BY id DESC LIMIT 3;
SELECT id FROM ix WHERE id > 6000 ORDER BY id LIMIT 3;
SELECT min(id), max(id) FROM ix;
-- hash
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE grp = 7;
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 7');
-- gist on box and range, spgist on range, with ordering by distance
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE box && box(point(10, 10), point(12, 12));
SELECT * FROM ix_both('SELECT id FROM ix WHERE box && box(point(10, 10), point(12, 12))');
SELECT id, box FROM ix WHERE box && box(point(10, 10), point(11, 11)) ORDER BY id;
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE span @> 5000;
SELECT * FROM ix_both('SELECT id FROM ix WHERE span @> 5000');
SELECT id, span FROM ix WHERE span && int4range(100, 103) ORDER BY id;
SELECT id FROM ix WHERE span << int4range(3, 5) ORDER BY id;
DROP INDEX ix_span;
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE span @> 7777;
SELECT * FROM ix_both('SELECT id FROM ix WHERE span @> 7777');
RESET enable_seqscan;
-- gin and brin can only be read by bitmap scans, which are off: these
-- queries are seq scans on a table with gin and brin indexes;
-- brin_summarize_new_values scans the table again
SELECT count(*), sum(id) FROM ix WHERE tags @> ARRAY[3, 5];
SELECT count(*), sum(id) FROM ix WHERE doc @@ to_tsquery('simple', 'w3 & x4');
SELECT brin_summarize_new_values('ix_brin') >= 0 AS summarized;

-- Index-only scans: an lsm table has no visibility map, so every tuple is
-- checked in the table; the results are the same.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE id < 50;
SELECT * FROM ix_both('SELECT id FROM ix WHERE id < 50');
SELECT count(*) FROM ix WHERE id < 50;
EXPLAIN (COSTS OFF) SELECT grp, id FROM ix WHERE grp = 9 AND id > 9000;
SELECT * FROM ix_both('SELECT grp, id FROM ix WHERE grp = 9 AND id > 9000');
RESET enable_seqscan;

-- amcheck: every row of the table is in the btree indexes
SELECT bt_index_check(i.indexrelid, true)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'ix'::regclass AND c.relam = 403 ORDER BY c.relname;

-- Unique violations: on insert, on update, within one statement; the
-- failed statement leaves nothing behind.
INSERT INTO ix (id, grp, name) VALUES (1, 0, 'dup id');
INSERT INTO ix (id, grp, name) VALUES (20001, 0, 'name5');
UPDATE ix SET id = 2 WHERE id = 3;
UPDATE ix SET name = 'same' WHERE id IN (4, 5);
INSERT INTO ix (id, grp, name) VALUES (20002, 0, 'x'), (20002, 0, 'y');
SELECT count(*), sum(id) FROM ix;
SELECT id, name FROM ix WHERE id IN (1, 2, 3, 4, 5, 20001, 20002) ORDER BY id;
-- a key freed by a delete or an update can be reused at once, and a
-- swap in one statement is fine for a deferrable constraint
DELETE FROM ix WHERE id = 10;
INSERT INTO ix (id, grp, name) VALUES (10, 0, 'reused 10');
UPDATE ix SET name = 'name11-old' WHERE id = 11;
INSERT INTO ix (id, grp, name) VALUES (20011, 1, 'name11');
SELECT id, name FROM ix WHERE id IN (10, 11, 20011) ORDER BY id;
SELECT id, name FROM ix WHERE name IN ('name11', 'name11-old', 'reused 10') ORDER BY id;
-- a key freed by a rolled-back insert, and by a deleting transaction
BEGIN;
INSERT INTO ix (id, grp, name) VALUES (30000, 0, 'tx');
ROLLBACK;
INSERT INTO ix (id, grp, name) VALUES (30000, 0, 'tx');
BEGIN;
DELETE FROM ix WHERE id = 30000;
INSERT INTO ix (id, grp, name) VALUES (30000, 0, 'tx again');
COMMIT;
SELECT id, name FROM ix WHERE id = 30000;
CREATE TABLE ix_swap (id int, v text) USING lsm;
ALTER TABLE ix_swap ADD CONSTRAINT ix_swap_id UNIQUE (id) DEFERRABLE INITIALLY IMMEDIATE;
INSERT INTO ix_swap VALUES (1, 'a'), (2, 'b');
UPDATE ix_swap SET id = 3 - id;
SELECT * FROM ix_swap ORDER BY id;
BEGIN;
SET CONSTRAINTS ix_swap_id DEFERRED;
INSERT INTO ix_swap VALUES (1, 'dup');
DELETE FROM ix_swap WHERE v = 'b';
COMMIT;
SELECT * FROM ix_swap ORDER BY id;
BEGIN;
SET CONSTRAINTS ix_swap_id DEFERRED;
INSERT INTO ix_swap VALUES (2, 'dup');
COMMIT;
SELECT * FROM ix_swap ORDER BY id;
-- a unique index cannot be built over duplicates
INSERT INTO ix_swap VALUES (NULL, 'n1'), (NULL, 'n2');
CREATE TABLE ix_dups (id int) USING lsm;
INSERT INTO ix_dups VALUES (1), (2), (2);
CREATE UNIQUE INDEX ix_dups_id ON ix_dups (id);
DELETE FROM ix_dups WHERE ctid = (SELECT max(ctid) FROM ix_dups);
CREATE UNIQUE INDEX ix_dups_id ON ix_dups (id);
SELECT * FROM ix_dups ORDER BY id;

-- Index results after UPDATE/DELETE, flush and compaction.
UPDATE ix SET grp = grp + 100, name = name || '-u' WHERE id % 4 = 0;
DELETE FROM ix WHERE id % 9 = 0;
UPDATE ix SET id = id + 50000 WHERE id BETWEEN 2000 AND 2100;
UPDATE ix SET tags = tags || 999, span = int4range(-id, -id + 2),
              box = box(point(-1, -1), point(-2, -2))
 WHERE id % 25 = 1;
SET enable_seqscan = off;
SELECT * FROM ix_both('SELECT id FROM ix WHERE id BETWEEN 1990 AND 2110');
SELECT * FROM ix_both('SELECT id FROM ix WHERE id > 50000');
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 104');
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 4');
SELECT * FROM ix_both($q$SELECT id FROM ix WHERE name LIKE 'name1%-u'$q$);
SELECT * FROM ix_both($q$SELECT id FROM ix WHERE lower(name) = 'name100-u'$q$);
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 3');
SELECT * FROM ix_both('SELECT id FROM ix WHERE box && box(point(-3, -3), point(0, 0))');
SELECT * FROM ix_both('SELECT id FROM ix WHERE span && int4range(-100, 0)');
RESET enable_seqscan;
SELECT count(*), sum(id) FROM ix WHERE tags @> ARRAY[999];
SELECT lsm_am.flush('ix') >= 0 AS flushed;
SET enable_seqscan = off;
SELECT * FROM ix_both('SELECT id FROM ix WHERE id BETWEEN 1990 AND 2110');
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 104');
SELECT * FROM ix_both('SELECT id FROM ix WHERE box && box(point(-3, -3), point(0, 0))');
UPDATE ix SET grp = 3 WHERE id BETWEEN 5000 AND 5010;
DELETE FROM ix WHERE id BETWEEN 7000 AND 7999;
SELECT lsm_am.compact('ix') >= 0 AS compacted;
SELECT * FROM ix_both('SELECT id FROM ix WHERE id BETWEEN 6990 AND 8010');
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 3');
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 104');
SELECT * FROM ix_both($q$SELECT id FROM ix WHERE name LIKE 'name7%'$q$);
SELECT * FROM ix_both('SELECT id FROM ix WHERE span && int4range(-100, 0)');
SELECT * FROM ix_both('SELECT id FROM ix WHERE box && box(point(-3, -3), point(0, 0))');
SELECT * FROM ix_both('SELECT id FROM ix');
SELECT id, grp, name FROM ix WHERE id = 7500;
SELECT id, grp, name FROM ix WHERE name = 'name7500';
RESET enable_seqscan;
SELECT bt_index_check(i.indexrelid, true)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'ix'::regclass AND c.relam = 403 ORDER BY c.relname;

-- REINDEX rebuilds from the current rows.
REINDEX INDEX ix_grp_id;
REINDEX TABLE ix;
SET enable_seqscan = off;
SELECT * FROM ix_both('SELECT id FROM ix WHERE grp = 104');
SELECT * FROM ix_both('SELECT id FROM ix WHERE id BETWEEN 6990 AND 8010');
SELECT * FROM ix_both('SELECT id FROM ix WHERE span && int4range(-100, 0)');
RESET enable_seqscan;
SELECT bt_index_check('ix_pkey', true), bt_index_check('ix_name', true);
SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'ix'::regclass ORDER BY c.relname;

-- Foreign keys: a heap table referencing an lsm table, and an lsm table
-- referencing an lsm table with ON DELETE CASCADE / ON UPDATE CASCADE.
CREATE TABLE ix_parent (id int PRIMARY KEY, v text) USING lsm;
INSERT INTO ix_parent SELECT g, 'p' || g FROM generate_series(1, 5) g;
CREATE TABLE ix_child_heap (id int, pid int REFERENCES ix_parent) USING heap;
CREATE TABLE ix_child (id int PRIMARY KEY,
                       pid int REFERENCES ix_parent ON DELETE CASCADE ON UPDATE CASCADE)
  USING lsm;
INSERT INTO ix_child_heap VALUES (1, 1), (2, 2);
INSERT INTO ix_child SELECT g, g % 5 + 1 FROM generate_series(1, 20) g;
INSERT INTO ix_child_heap VALUES (3, 99);
INSERT INTO ix_child VALUES (100, 99);
INSERT INTO ix_child VALUES (101, NULL);
-- the referenced row cannot go while the heap table refers to it
DELETE FROM ix_parent WHERE id = 1;
UPDATE ix_parent SET id = 10 WHERE id = 2;
-- cascades into the lsm child
DELETE FROM ix_parent WHERE id = 3;
UPDATE ix_parent SET id = 40 WHERE id = 4;
SELECT pid, count(*) FROM ix_child GROUP BY pid ORDER BY pid;
SELECT * FROM ix_parent ORDER BY id;
-- an update of a non-key column of the parent does not touch the children
UPDATE ix_parent SET v = 'changed' WHERE id = 5;
SELECT count(*) FROM ix_child WHERE pid = 5;
-- the child's own updates are checked
UPDATE ix_child SET pid = 3 WHERE id = 1;
UPDATE ix_child SET pid = 40 WHERE id = 1;
SELECT * FROM ix_child WHERE id = 1;
-- adding a foreign key checks the existing rows of an lsm table
CREATE TABLE ix_child2 (pid int) USING lsm;
INSERT INTO ix_child2 VALUES (1), (5), (77);
ALTER TABLE ix_child2 ADD FOREIGN KEY (pid) REFERENCES ix_parent;
DELETE FROM ix_child2 WHERE pid = 77;
ALTER TABLE ix_child2 ADD FOREIGN KEY (pid) REFERENCES ix_parent;
-- flush and compact the parent; the references still resolve
SELECT lsm_am.flush('ix_parent') >= 0 AS flushed;
SELECT lsm_am.compact('ix_parent') >= 0 AS compacted;
DELETE FROM ix_parent WHERE id = 5;
DELETE FROM ix_child2 WHERE pid = 5;
DELETE FROM ix_parent WHERE id = 5;
SELECT * FROM ix_parent ORDER BY id;
SELECT pid, count(*) FROM ix_child GROUP BY pid ORDER BY pid;
-- TRUNCATE with foreign keys
TRUNCATE ix_parent;
TRUNCATE ix_parent CASCADE;
SELECT (SELECT count(*) FROM ix_parent) AS parent, (SELECT count(*) FROM ix_child) AS child;

-- Indexes on an empty table, and built after updates and deletes.
CREATE TABLE ix_late (id int, v text) USING lsm;
CREATE INDEX ix_late_empty ON ix_late (v);
INSERT INTO ix_late SELECT g, 'l' || g FROM generate_series(1, 3000) g;
SELECT lsm_am.flush('ix_late') >= 0 AS flushed;
UPDATE ix_late SET v = v || 'u' WHERE id % 2 = 0;
DELETE FROM ix_late WHERE id % 3 = 0;
CREATE UNIQUE INDEX ix_late_id ON ix_late (id);
CREATE INDEX ix_late_hash ON ix_late USING hash (v);
SET enable_seqscan = off;
SELECT * FROM ix_both($q$SELECT id FROM ix_late WHERE v = 'l10u'$q$);
SELECT * FROM ix_both('SELECT id FROM ix_late WHERE id BETWEEN 1 AND 20');
SELECT * FROM ix_both($q$SELECT id FROM ix_late WHERE v > 'l2'$q$);
RESET enable_seqscan;
SELECT bt_index_check('ix_late_id', true), bt_index_check('ix_late_empty', true);
-- a rolled-back update leaves index entries that point to nothing visible
BEGIN;
UPDATE ix_late SET id = id + 100000;
ROLLBACK;
SET enable_seqscan = off;
SELECT * FROM ix_both('SELECT id FROM ix_late WHERE id > 100000');
SELECT * FROM ix_both('SELECT id FROM ix_late WHERE id < 100');
RESET enable_seqscan;

-- gin and brin through bitmap heap scans, after the updates, deletes,
-- flushes, compaction and REINDEX above.
RESET enable_bitmapscan;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE tags @> ARRAY[3, 5];
SELECT * FROM ix_both('SELECT id FROM ix WHERE tags @> ARRAY[3, 5]');
SELECT * FROM ix_both('SELECT id FROM ix WHERE tags @> ARRAY[999]');
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE doc @@ to_tsquery('simple', 'w3 & x4');
SELECT * FROM ix_both($q$SELECT id FROM ix WHERE doc @@ to_tsquery('simple', 'w3 & x4')$q$);
SELECT * FROM ix_both($q$SELECT id FROM ix WHERE doc @@ to_tsquery('simple', 'w1 | x16')$q$);
SET enable_indexscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ix WHERE id BETWEEN 4000 AND 4100;
SELECT * FROM ix_both('SELECT id FROM ix WHERE id BETWEEN 4000 AND 4100');
SELECT * FROM ix_both('SELECT id FROM ix WHERE id > 50000');
RESET enable_indexscan;
RESET enable_seqscan;
SET enable_bitmapscan = off;

DROP TABLE ix, ix_swap, ix_dups, ix_parent, ix_child, ix_child_heap, ix_child2,
  ix_late CASCADE;
DROP FUNCTION ix_both(text);
