#!/usr/bin/env bash
# bench/bench.sh: load the same rows into a heap table and an lsm table.
#
#   bash bench/bench.sh [ROWS]        (default 1000000, or $BENCH_ROWS)
#
# Needs lsm_am built and installed (bash scripts/setup.sh).  Starts its own
# throwaway cluster (as OS user postgres when run as root) on a Unix socket
# in a new directory under ${TMPDIR:-/tmp}, port $BENCH_PORT (default
# 54330), and removes it at the end (BENCH_KEEP=1 keeps it).  Not part of
# the test suite; nothing here asserts anything.
#
# For each of two load methods -- INSERT ... SELECT from generate_series, and
# server-side COPY FROM a file written beforehand -- it loads ROWS rows into
# a fresh heap table and a fresh lsm table, schema events(id bigint, device
# int, ts timestamptz, payload text), one after the other, and reports:
#   rows/s       ROWS / wall time of the load statement alone
#   WAL B/row    pg_current_wal_lsn() difference around the load statement
#                (after a CHECKPOINT), divided by ROWS
#   +persist     extra WAL B/row of making the table final on disk:
#                lsm_am.flush() for lsm, CHECKPOINT for heap
#   disk B/row   pg_total_relation_size() after that, divided by ROWS
#   sst B/row    (lsm) sum(size_bytes) of its SSTableMeta rows / ROWS
# and the lsm/heap ratio of rows/s, WAL (load + persist) and disk size.
# Settings: BENCH_MEMTABLE_SIZE (lsm_am.memtable_size, default: the
# engine's), BENCH_SHARED_BUFFERS (default 256MB), BENCH_EXTRA_CONF
# (postgresql.conf lines separated by ';').  The cluster runs with a
# large max_wal_size so that no checkpoint starts during a load.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

rows="${1:-${BENCH_ROWS:-1000000}}"
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || lsm_die "ROWS must be a positive integer, got '$rows'"
port="${BENCH_PORT:-54330}"

base="$(lsm_pg_tmpdir bench)"
lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP

conf=("shared_buffers = '${BENCH_SHARED_BUFFERS:-256MB}'"
	"max_wal_size = '16GB'" "checkpoint_timeout = '1h'" "autovacuum = off")
[ -n "${BENCH_MEMTABLE_SIZE:-}" ] && conf+=("lsm_am.memtable_size = '$BENCH_MEMTABLE_SIZE'")
if [ -n "${BENCH_EXTRA_CONF:-}" ]; then
	IFS=';' read -r -a extra <<<"$BENCH_EXTRA_CONF"
	conf+=("${extra[@]}")
fi
lsm_log "starting a throwaway cluster in $base (port $port)"
lsm_cluster_start "$base" "$port" "${conf[@]}"

q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }
q_script() { lsm_psql "$base" "$port" -At; }    # SQL on stdin

q -c "CREATE EXTENSION lsm_am" -c "
CREATE FUNCTION bench_rows(lo bigint, hi bigint)
RETURNS TABLE (id bigint, device int, ts timestamptz, payload text)
LANGUAGE sql AS \$\$
  SELECT g, ((g * 7919) % 1000 + 1)::int,
         timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
         'temp=' || (15 + g % 20) || '.' || (g % 10)
           || ';hum=' || (30 + g % 60) || ';fw=v1.' || (g % 7)
           || ';sig=' || md5(g::text)
  FROM generate_series(lo, hi) AS g
\$\$"
for t in heap_insert lsm_insert heap_copy lsm_copy; do
	q -c "CREATE TABLE $t (id bigint, device int, ts timestamptz, payload text) USING ${t%%_*}"
done
memtable=$(q -c "SHOW lsm_am.memtable_size")

lsm_log "writing $rows rows to $base/rows.copy for the COPY loads"
q -c "COPY (SELECT * FROM bench_rows(1, $rows)) TO '$base/rows.copy'"

# load TABLE METHOD: prints "seconds wal_load wal_persist disk sst".
load() {
	local table="$1" method="$2" stmt persist sst
	case "$method" in
		insert) stmt="INSERT INTO $table SELECT * FROM bench_rows(1, $rows)" ;;
		copy) stmt="COPY $table FROM '$base/rows.copy'" ;;
	esac
	case "$table" in
		lsm_*)
			persist="SELECT lsm_am.flush('$table'::regclass)"
			sst="(SELECT coalesce(sum(size_bytes), 0) FROM SSTableMeta WHERE relation = '$table'::regclass)"
			;;
		*)
			persist="CHECKPOINT"
			sst="NULL"
			;;
	esac
	q_script <<SQL | tail -n 1
CHECKPOINT;
SELECT pg_current_wal_lsn() AS lsn0, clock_timestamp() AS t0 \gset
$stmt;
SELECT pg_current_wal_lsn() AS lsn1, clock_timestamp() AS t1 \gset
$persist \g /dev/null
SELECT pg_current_wal_lsn() AS lsn2 \gset
SELECT extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz),
       pg_wal_lsn_diff(:'lsn1', :'lsn0'), pg_wal_lsn_diff(:'lsn2', :'lsn1'),
       pg_total_relation_size('$table'), coalesce($sst::text, '-');
SQL
}

declare -A res
for method in insert copy; do
	for am in heap lsm; do
		lsm_log "loading $rows rows into ${am}_$method ($method)"
		res[$am.$method]="$(load "${am}_$method" "$method" | tr '|' ' ')"
		[ -n "${res[$am.$method]}" ] || lsm_die "no result for ${am}_$method"
		count=$(q -c "SELECT count(*) FROM ${am}_$method")
		[ "$count" = "$rows" ] || lsm_die "${am}_$method holds $count rows, expected $rows"
	done
done

echo
echo "lsm_am benchmark: $rows rows per load; events(id bigint, device int, ts timestamptz, payload text)"
echo "PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), lsm_am.memtable_size = $memtable, shared_buffers = ${BENCH_SHARED_BUFFERS:-256MB}"
echo
for method in insert copy; do
	for am in heap lsm; do
		echo "$method $am $rows ${res[$am.$method]}"
	done
done | awk '
BEGIN {
	printf "%-14s %-5s %9s %12s %10s %10s %11s %10s\n", "load", "table", "seconds", "rows/s",
		"WAL B/row", "+persist", "disk B/row", "sst B/row"
}
{
	m = ($1 == "insert") ? "INSERT..SELECT" : "COPY"
	n = $3; s = $4; wl = $5 / n; wp = $6 / n; d = $7 / n
	rps = (s > 0) ? n / s : 0
	sst = ($8 == "-") ? "-" : sprintf("%.1f", $8 / n)
	printf "%-14s %-5s %9.2f %12.0f %10.1f %10.2f %11.1f %10s\n", m, $2, s, rps, wl, wp, d, sst
	R[$1, $2] = rps; W[$1, $2] = wl + wp; D[$1, $2] = d
}
END {
	printf "\n%-14s %12s %20s %11s\n", "lsm/heap", "rows/s", "WAL (load+persist)", "disk"
	split("insert copy", ms, " ")
	for (i = 1; i <= 2; i++) {
		k = ms[i]; m = (k == "insert") ? "INSERT..SELECT" : "COPY"
		printf "%-14s %12s %20s %11s\n", m,
			(R[k, "heap"] > 0) ? sprintf("%.2f", R[k, "lsm"] / R[k, "heap"]) : "-",
			(W[k, "heap"] > 0) ? sprintf("%.2f", W[k, "lsm"] / W[k, "heap"]) : "-",
			(D[k, "heap"] > 0) ? sprintf("%.2f", D[k, "lsm"] / D[k, "heap"]) : "-"
	}
	print "\n+persist: extra WAL of lsm_am.flush() (lsm) or CHECKPOINT (heap), per row."
	print "disk: pg_total_relation_size after that; sst: sum of SSTableMeta.size_bytes."
}'
