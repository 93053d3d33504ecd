#!/usr/bin/env bash
# bench/compaction.sh: write and space amplification of leveled and
# size-tiered compaction.
#
#   bash bench/compaction.sh [ROWS]    (default 2000000, or $BENCH_ROWS)
#
# Needs lsm_am built and installed (bash scripts/setup.sh).  Starts its own
# throwaway cluster (as OS user postgres when run as root) on a Unix socket
# in a new directory under ${TMPDIR:-/tmp}, port $BENCH_PORT (default
# 54331), and removes it at the end (BENCH_KEEP=1 keeps it).  Not part of
# the test suite; nothing here asserts anything.
#
# Two lsm tables receive the same rows, schema events(id bigint, device
# int, ts timestamptz, payload text): "leveled" (the default style) and
# "tiered" (WITH (compaction_style = 'tiered')).  ROWS committed rows
# arrive in BENCH_BATCHES (default 10) INSERT ... SELECT batches, each
# loaded into one table and then the other; after every third batch a
# further batch of ROWS/20 rows is inserted and rolled back (compaction
# drops those rows).  Small memtables and levels (BENCH_MEMTABLE_SIZE,
# default 4MB; BENCH_LEVEL_BASE_SIZE, default 16MB; level_multiplier 10)
# make several levels form; BENCH_TARGET_FILE_SIZE sets
# lsm_am.target_file_size (default: the engine's).  The background workers flush and compact
# as they see fit; after the load the script waits (at most
# BENCH_SETTLE_SECONDS, default 300) until no job of either table runs and
# no level has a score >= 1, or until nothing ran for 10 seconds although
# a score is >= 1 (then reported as "stuck").  No compaction is requested
# by hand.  Then, per table:
#   rows/s       committed ROWS / wall time of that table's INSERTs
#                (rolled-back batches included)
#   write amp    (bytes_written of every done flush and compaction in
#                CompactionJob) / (bytes_read of the flushes, i.e. the
#                memtable bytes of the inserted rows)
#   flush, compaction   the two parts of that sum, as multiples of the
#                memtable bytes
#   space amp    lsm_am.relation_stats.space_amplification (SSTable bytes
#                / bytes of the deepest level)
#   rel/sst      relation_bytes / sstable_bytes (free space, log pages)
#   sstables, levels (files per level), compactions (of which trivial
#                moves), and whether compaction settled.
# lsm_am.compaction_history_size is raised so that no job is forgotten.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

rows="${1:-${BENCH_ROWS:-2000000}}"
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || lsm_die "ROWS must be a positive integer, got '$rows'"
batches="${BENCH_BATCHES:-10}"
[[ "$batches" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_BATCHES must be a positive integer"
port="${BENCH_PORT:-54331}"
memtable="${BENCH_MEMTABLE_SIZE:-4MB}"
base_size="${BENCH_LEVEL_BASE_SIZE:-16MB}"
settle_max="${BENCH_SETTLE_SECONDS:-300}"
extra_conf=()
[ -n "${BENCH_TARGET_FILE_SIZE:-}" ] && extra_conf+=("lsm_am.target_file_size = '$BENCH_TARGET_FILE_SIZE'")

base="$(lsm_pg_tmpdir bench_compaction)"
lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP

lsm_log "starting a throwaway cluster in $base (port $port)"
lsm_cluster_start "$base" "$port" \
	"shared_buffers = '${BENCH_SHARED_BUFFERS:-256MB}'" \
	"max_wal_size = '16GB'" "checkpoint_timeout = '1h'" "autovacuum = off" \
	"max_worker_processes = 16" \
	"lsm_am.memtable_size = '$memtable'" \
	"lsm_am.level_base_size = '$base_size'" \
	"lsm_am.compaction_history_size = 1000000" ${extra_conf[@]+"${extra_conf[@]}"}

q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }

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
\$\$" \
	-c "CREATE TABLE leveled (id bigint, device int, ts timestamptz, payload text) USING lsm" \
	-c "CREATE TABLE tiered (id bigint, device int, ts timestamptz, payload text) USING lsm
	    WITH (compaction_style = 'tiered')"

# timed_insert TABLE LO HI [rollback]: seconds spent.
timed_insert() {
	local table="$1" lo="$2" hi="$3" end="COMMIT"
	[ "${4:-}" = rollback ] && end="ROLLBACK"
	lsm_psql "$base" "$port" -At <<SQL | tail -n 1
SELECT clock_timestamp() AS t0 \gset
BEGIN;
INSERT INTO $table SELECT * FROM bench_rows($lo, $hi);
$end;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz);
SQL
}

declare -A secs=([leveled]=0 [tiered]=0)
per_batch=$(( (rows + batches - 1) / batches ))
aborted_rows=$(( rows / 20 ))
next=1
aborted_next=$(( rows + 1000001 ))
for ((b = 1; b <= batches; b++)); do
	lo=$next
	hi=$(( lo + per_batch - 1 ))
	[ "$hi" -gt "$rows" ] && hi=$rows
	[ "$lo" -gt "$hi" ] && break
	lsm_log "batch $b: rows $lo..$hi"
	for t in leveled tiered; do
		s=$(timed_insert "$t" "$lo" "$hi")
		secs[$t]=$(awk -v a="${secs[$t]}" -v b="$s" 'BEGIN { print a + b }')
	done
	next=$(( hi + 1 ))
	if [ $(( b % 3 )) -eq 0 ] && [ "$aborted_rows" -gt 0 ]; then
		alo=$aborted_next
		ahi=$(( alo + aborted_rows - 1 ))
		lsm_log "batch $b: $aborted_rows rows rolled back"
		for t in leveled tiered; do
			s=$(timed_insert "$t" "$alo" "$ahi" rollback)
			secs[$t]=$(awk -v a="${secs[$t]}" -v b="$s" 'BEGIN { print a + b }')
		done
		aborted_next=$(( ahi + 1 ))
	fi
done

# Wait for the workers: nothing running and every score < 1, or idle for
# 10 s with a score >= 1 ("stuck"), or the time limit.
lsm_log "waiting (at most ${settle_max}s) for background flushes and compactions to settle"
state_sql="
SELECT t,
       (SELECT count(*) FROM CompactionJob WHERE relation = t::regclass AND status = 'running'),
       (SELECT round(coalesce(max(score), 0)::numeric, 3) FROM lsm_am.level_shape() WHERE relation = t::regclass),
       (SELECT count(*) FROM lsm_am.memtables WHERE relation = t::regclass AND state <> 'active')
  FROM unnest(ARRAY['leveled', 'tiered']) t"
declare -A settled=([leveled]="" [tiered]="")
declare -A idle=([leveled]=0 [tiered]=0)
start=$SECONDS
while :; do
	while IFS='|' read -r t running score frozen; do
		[ -n "${settled[$t]}" ] && continue
		if [ "$running" -eq 0 ] && [ "$frozen" -eq 0 ]; then
			if awk -v s="$score" 'BEGIN { exit !(s < 1) }'; then
				settled[$t]="yes"
			else
				idle[$t]=$(( idle[$t] + 1 ))
				[ "${idle[$t]}" -ge 10 ] && settled[$t]="stuck (score $score)"
			fi
		else
			idle[$t]=0
		fi
	done < <(q -c "$state_sql")
	[ -n "${settled[leveled]}" ] && [ -n "${settled[tiered]}" ] && break
	if [ $(( SECONDS - start )) -ge "$settle_max" ]; then
		for t in leveled tiered; do
			[ -n "${settled[$t]}" ] || settled[$t]="no (time limit)"
		done
		break
	fi
	sleep 1
done
lsm_log "settled after $(( SECONDS - start ))s: leveled ${settled[leveled]}, tiered ${settled[tiered]}"

for t in leveled tiered; do
	count=$(q -c "SELECT count(*) FROM $t")
	[ "$count" = "$rows" ] || lsm_die "$t holds $count rows, expected $rows"
done

# One line per table: the numbers the table below is made of.
stats() {
	local t="$1"
	q -F ' ' -c "
SELECT (SELECT coalesce(sum(bytes_read), 0) FROM CompactionJob
         WHERE relation = '$t'::regclass AND kind = 'flush' AND status = 'done'),
       (SELECT coalesce(sum(bytes_written), 0) FROM CompactionJob
         WHERE relation = '$t'::regclass AND kind = 'flush' AND status = 'done'),
       (SELECT coalesce(sum(bytes_written), 0) FROM CompactionJob
         WHERE relation = '$t'::regclass AND kind = 'compaction' AND status = 'done'),
       (SELECT count(*) FROM CompactionJob
         WHERE relation = '$t'::regclass AND kind = 'compaction' AND status = 'done'),
       (SELECT count(*) FROM CompactionJob
         WHERE relation = '$t'::regclass AND kind = 'compaction' AND status = 'done' AND trivial_move),
       (SELECT coalesce(sum(keys_dropped), 0) FROM CompactionJob
         WHERE relation = '$t'::regclass AND status = 'done'),
       round(space_amplification::numeric, 2),
       round(relation_bytes::numeric / nullif(sstable_bytes, 0), 2),
       sstables,
       coalesce((SELECT string_agg('L' || level || ':' || files, ',' ORDER BY level)
          FROM lsm_am.level_stats WHERE relation = '$t'::regclass AND files > 0), '-'),
       relation_bytes
  FROM lsm_am.relation_stats WHERE relation = '$t'::regclass"
}

echo
echo "lsm_am compaction benchmark: ${BENCH_TARGET_FILE_SIZE:+BENCH_TARGET_FILE_SIZE=$BENCH_TARGET_FILE_SIZE }bash bench/compaction.sh $rows"
echo "$rows rows in $batches batches (+ $aborted_rows rolled-back rows after every third batch);" \
	"events(id bigint, device int, ts timestamptz, payload text)"
echo "PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), lsm_am.memtable_size = $memtable," \
	"level_base_size = $base_size, level_multiplier = $(q -c 'SHOW lsm_am.level_multiplier')," \
	"target_file_size = $(q -c 'SHOW lsm_am.target_file_size'), max_workers = $(q -c 'SHOW lsm_am.max_workers')"
echo
for t in leveled tiered; do
	echo "$t $rows ${secs[$t]} $(stats "$t") ${settled[$t]}"
done | awk '
BEGIN {
	printf "%-8s %9s %10s %9s %7s %10s %9s %7s %8s %-24s %11s %9s %s\n", "table", "rows/s",
		"write amp", "(flush", "+ comp)", "space amp", "rel/sst", "ssts", "MB", "levels (files)",
		"compactions", "(trivial)", "settled"
}
{
	n = $2; s = $3; mem = $4; fw = $5; cw = $6
	printf "%-8s %9.0f %10.2f %9.2f %7.2f %10s %9s %7d %8.1f %-24s %11d %9d", $1,
		(s > 0 ? n / s : 0), (mem > 0 ? (fw + cw) / mem : 0), (mem > 0 ? fw / mem : 0),
		(mem > 0 ? cw / mem : 0), $10, $11, $12, $14 / 1048576, $13, $7, $8
	printf " "
	for (i = 15; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : "")
	printf "\n"
	dropped[$1] = $9
}
END {
	print ""
	print "write amp: bytes written by flushes and compactions / memtable bytes flushed (CompactionJob)."
	print "space amp: lsm_am.relation_stats.space_amplification; rel/sst: relation_bytes / sstable_bytes;"
	print "MB: relation size.  keys dropped by flushes and compactions (rolled-back rows): leveled " \
		dropped["leveled"] ", tiered " dropped["tiered"] "."
}'
