#!/usr/bin/env bash
# scripts/demo.sh: show lsm_am working on a throwaway cluster.
#
#   bash scripts/demo.sh            (run scripts/setup.sh first, once)
#
# Creates a cluster in a new directory under ${TMPDIR:-/tmp} (run as OS user
# postgres when invoked as root), listening only on a Unix socket in that
# directory on port $LSM_DEMO_PORT (default 54329).  It loads 200,000 rows
# into an lsm table with INSERT ... SELECT and COPY FROM STDIN, flushes the
# memtable to SSTables, prints a few queries and the SSTableMeta view, then
# stops the cluster and deletes the directory.  Set LSM_DEMO_KEEP=1 to keep
# the directory (its path is printed) for a look around afterwards.
# Reads nothing from stdin.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
lsm_pg_env

port="${LSM_DEMO_PORT:-54329}"
rows_insert=150000
rows_copy=50000

base="$(lsm_pg_tmpdir demo)"
lsm_cluster_cleanup_on_exit "$base" LSM_DEMO_KEEP

lsm_log "starting a throwaway cluster in $base on port $port"
lsm_cluster_start "$base" "$port" "lsm_am.memtable_size = '16MB'"

psql_demo() { lsm_psql "$base" "$port" "$@" </dev/null; }

lsm_log "CREATE EXTENSION lsm_am; CREATE TABLE events (...) USING lsm"
psql_demo -c "CREATE EXTENSION lsm_am" -c "
CREATE TABLE events (
    id      bigint,
    device  int,
    ts      timestamptz,
    payload text
) USING lsm"

lsm_log "INSERT ... SELECT of $rows_insert rows"
psql_demo -o /dev/null -c "SELECT setseed(0.42)" -c "
INSERT INTO events
SELECT g,
       (random() * 999)::int + 1,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       'temp=' || round((15 + random() * 20)::numeric, 2)
         || ';hum=' || (30 + (random() * 60)::int)
         || ';fw=v1.' || (g % 7)
         || ';sig=' || md5(g::text)
FROM generate_series(1, $rows_insert) AS g"

# COPY FROM STDIN, with the rows produced by a second psql's COPY TO STDOUT.
lsm_log "COPY events FROM STDIN: $rows_copy rows"
lsm_psql "$base" "$port" -c "COPY (
SELECT g,
       (g * 7919) % 1000 + 1,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       CASE WHEN g % 50 = 0 THEN NULL
            ELSE 'temp=' || (15 + g % 20) || '.5;hum=' || (30 + g % 60)
                 || ';fw=v2.' || (g % 3) || ';sig=' || md5(g::text) END
FROM generate_series($rows_insert + 1, $rows_insert + $rows_copy) AS g
) TO STDOUT" </dev/null |
	lsm_psql "$base" "$port" -c "COPY events FROM STDIN"

lsm_log "SELECT lsm_am.flush('events')  -- memtable -> SSTable(s)"
psql_demo -c "SELECT lsm_am.flush('events'::regclass) AS sstables_written"

lsm_log "queries"
psql_demo -c "SELECT count(*) AS rows, min(ts), max(ts), count(DISTINCT device) AS devices,
       count(*) FILTER (WHERE payload IS NULL) AS null_payloads
FROM events"
psql_demo -c "SELECT device, count(*) AS readings, max(ts) AS last_seen
FROM events GROUP BY device ORDER BY readings DESC, device LIMIT 5"
psql_demo -c "SELECT * FROM events WHERE id IN (1, 150001, 200000) ORDER BY id"

lsm_log "UPDATE and DELETE, then a full compaction"
psql_demo -c "UPDATE events SET payload = upper(payload) WHERE id % 100 = 0" \
	-c "DELETE FROM events WHERE id % 1000 = 1" \
	-c "SELECT lsm_am.compact('events'::regclass) AS compactions"

lsm_log "SELECT * FROM SSTableMeta"
psql_demo -x -c "SELECT * FROM SSTableMeta ORDER BY relation::text, level, min_key"

lsm_log "CompactionJob, per-level statistics and space"
psql_demo -c "SELECT kind, status, from_level, to_level, keys_in, keys_dropped,
       pg_size_pretty(bytes_read) AS read, pg_size_pretty(bytes_written) AS written, reason
  FROM CompactionJob ORDER BY started_at"
psql_demo -c "SELECT * FROM lsm_am.level_stats"
psql_demo -c "SELECT * FROM lsm_am.relation_stats"
psql_demo -c "SELECT pg_size_pretty(pg_total_relation_size('events')) AS events_size"

lsm_log "demo finished"
