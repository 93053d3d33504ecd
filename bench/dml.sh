#!/usr/bin/env bash
# bench/dml.sh: UPDATE, DELETE and index lookups, heap + btree vs lsm + btree.
#
#   bash bench/dml.sh [ROWS [SECONDS]]   (default 200000 rows, 10 s per run)
#
# Needs lsm_am installed (bash scripts/setup.sh).  Starts its own throwaway
# cluster (as OS user postgres when run as root; port $BENCH_PORT, default
# 54332), removed at the end (BENCH_KEEP=1 keeps it).  Not part of the test
# suite; nothing here asserts anything.
#
# Two tables with the same ROWS rows and a primary key (btree), one heap,
# one lsm.  For each it reports:
#   bulk UPDATE   rows/s of UPDATE t SET v = v + 1 WHERE id % 4 = 0
#   bulk DELETE   rows/s of DELETE FROM t WHERE id % 10 = 0
#   point lookup  pgbench tps (1 client, SECONDS): SELECT by random id
#   point update  pgbench tps: UPDATE ... WHERE id = random id
#   range scan    pgbench tps: sum over 100 consecutive ids (index scan)
# and the lsm/heap ratio of each.  The lsm memtable is
# BENCH_MEMTABLE_SIZE (default 16MB).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

rows="${1:-${BENCH_ROWS:-200000}}"
secs="${2:-${BENCH_SECONDS:-10}}"
port="${BENCH_PORT:-54332}"
base="$(lsm_pg_tmpdir bench_dml)"
lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP

conf=("shared_buffers = '${BENCH_SHARED_BUFFERS:-256MB}'" "max_wal_size = '16GB'"
	"checkpoint_timeout = '1h'" "autovacuum = off"
	"lsm_am.memtable_size = '${BENCH_MEMTABLE_SIZE:-16MB}'")
lsm_log "starting a throwaway cluster in $base (port $port)"
lsm_cluster_start "$base" "$port" "${conf[@]}"

q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }

q -c "CREATE EXTENSION lsm_am"
for am in heap lsm; do
	q -c "CREATE TABLE t_$am (id int PRIMARY KEY, v int, payload text) USING $am" \
	  -c "INSERT INTO t_$am SELECT g, 0, md5(g::text) FROM generate_series(1, $rows) g" \
	  -c "ANALYZE t_$am"
done
q -c "SELECT lsm_am.flush('t_lsm')" >/dev/null

# timed SQL: prints seconds
timed() {
	lsm_psql "$base" "$port" -At <<SQL | tail -n 1
SELECT clock_timestamp() AS t0 \gset
$1;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);
SQL
}

# pgbench SCRIPT: prints tps
pgb() {
	local f="$base/script.sql"
	printf '%s\n' "$1" | lsm_as_pg tee "$f" >/dev/null
	lsm_as_pg pgbench -h "$base" -p "$port" -U postgres -n -c 1 -T "$secs" \
		-D n="$rows" -f "$f" postgres 2>/dev/null |
		awk '/^tps = /{print $3}'
}

declare -A r
for am in heap lsm; do
	lsm_log "point lookups on t_$am"
	r[$am.lookup]=$(pgb "\\set id random(1, :n)
SELECT * FROM t_$am WHERE id = :id;")
	lsm_log "range scans on t_$am"
	r[$am.range]=$(pgb "\\set id random(1, :n)
SELECT sum(v) FROM t_$am WHERE id BETWEEN :id AND :id + 99;")
	lsm_log "point updates on t_$am"
	r[$am.pupdate]=$(pgb "\\set id random(1, :n)
UPDATE t_$am SET v = v + 1 WHERE id = :id;")
	lsm_log "bulk UPDATE on t_$am"
	s=$(timed "UPDATE t_$am SET v = v + 1 WHERE id % 4 = 0")
	r[$am.update]=$(awk -v n="$rows" -v s="$s" 'BEGIN { printf "%.0f", (n / 4) / s }')
	lsm_log "bulk DELETE on t_$am"
	s=$(timed "DELETE FROM t_$am WHERE id % 10 = 0")
	r[$am.delete]=$(awk -v n="$rows" -v s="$s" 'BEGIN { printf "%.0f", (n / 10) / s }')
done
heapsum=$(q -c "SELECT count(*), sum(v) FROM t_heap")
lsmsum=$(q -c "SELECT count(*), sum(v) FROM t_lsm")
lsm_log "heap count|sum $heapsum, lsm count|sum $lsmsum (point updates are random, so sums differ)"

echo
echo "lsm_am DML benchmark: $rows rows, primary key btree, $secs s per pgbench run, 1 client"
echo "PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), lsm_am.memtable_size = ${BENCH_MEMTABLE_SIZE:-16MB}"
echo
printf "%-22s %12s %12s %8s\n" "workload" "heap" "lsm" "lsm/heap"
for k in update delete lookup pupdate range; do
	case $k in
		update) name="bulk UPDATE rows/s" ;;
		delete) name="bulk DELETE rows/s" ;;
		lookup) name="point lookup tps" ;;
		pupdate) name="point update tps" ;;
		range) name="range scan tps" ;;
	esac
	awk -v n="$name" -v h="${r[heap.$k]}" -v l="${r[lsm.$k]}" \
		'BEGIN { printf "%-22s %12.0f %12.0f %8.2f\n", n, h, l, (h > 0 ? l / h : 0) }'
done
