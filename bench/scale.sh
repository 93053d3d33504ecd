#!/usr/bin/env bash
# bench/scale.sh: a load of many GB into an lsm table with an lsm index,
# then a count and point lookups, as "Scale" measures it.
#
#   bash bench/scale.sh [GB]     (default 20, or $BENCH_GB)
#
# Needs lsm_am installed (bash scripts/setup.sh).  Starts its own throwaway
# cluster (as OS user postgres when run as root; port $BENCH_PORT, default
# 54336), removed at the end (BENCH_KEEP=1 keeps it).  Not part of the test
# suite; nothing here asserts anything.
#
# Table t(id bigint, k bigint, payload text) USING lsm, index t_k USING lsm
# (k); a row is id, k = hashint8extended(id, 0) (random-looking, so the
# index is written in random key order) and a 128-character payload (four
# md5 strings): 156 bytes of column data, so GB means GB * 1e9 / 156 rows.
# BENCH_CLIENTS (default 2) sessions load disjoint id ranges at once, in
# INSERT ... SELECT transactions of BENCH_CHUNK (default 1,000,000) rows.
# The GB is lowered when the disk has less than 3x it free (printed).
# Every 5 s the level-0 SSTable counts are sampled: their maximum is
# reported with the slowdown/stop triggers.  After the load: the wait for
# compactions to finish, count(*), BENCH_LOOKUP_SECONDS (30) of point
# lookups by k through the index (pgbench, BENCH_CLIENTS clients), then
# per relation: SSTables, SSTable bytes, file bytes, file amplification;
# per level: files, bytes, write amplification (lsm_am.level_stats); WAL;
# then VACUUM t and the file sizes after it.
# Cluster: shared_buffers 128MB (BENCH_SHARED_BUFFERS), max_wal_size 4GB,
# synchronous_commit off, autovacuum off.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

gb="${1:-${BENCH_GB:-20}}"
clients="${BENCH_CLIENTS:-2}"
chunk="${BENCH_CHUNK:-1000000}"
port="${BENCH_PORT:-54336}"
lookup_secs="${BENCH_LOOKUP_SECONDS:-30}"
[[ "$gb" =~ ^[1-9][0-9]*$ ]] || lsm_die "GB must be a positive integer, got '$gb'"
[[ "$clients" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_CLIENTS must be a positive integer"
[[ "$chunk" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_CHUNK must be a positive integer"

base="$(lsm_pg_tmpdir bench_scale)"
free_gb=$(df -P -B1G "$base" | awk 'NR == 2 { print $4 }')
if [ "$((gb * 3))" -gt "$free_gb" ]; then
	lsm_log "only $free_gb GB free at $base: loading $((free_gb / 3)) GB instead of $gb"
	gb=$((free_gb / 3))
	[ "$gb" -ge 1 ] || lsm_die "not enough disk space for a load"
fi
rows=$((gb * 1000000000 / 156))
per_client=$(((rows + clients - 1) / clients))

lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP
lsm_log "starting a throwaway cluster in $base (port $port)"
lsm_cluster_start "$base" "$port" "shared_buffers = '${BENCH_SHARED_BUFFERS:-128MB}'" \
	"max_wal_size = '4GB'" "synchronous_commit = off" "autovacuum = off" \
	"max_worker_processes = 32" "lsm_am.compaction_history_size = 1000000"
q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }
q -c "CREATE EXTENSION lsm_am" \
	-c "CREATE TABLE t (id bigint, k bigint, payload text) USING lsm" \
	-c "CREATE INDEX t_k ON t USING lsm (k)" || lsm_die "setup failed"

# level-0 samples
samples="$base/l0.csv"
lsm_as_pg touch "$samples"
(
	while sleep 5; do
		q -c "SELECT extract(epoch FROM now())::int, relation, files FROM lsm_am.level_stats
		      WHERE level = 0" 2>/dev/null | tr '|' ',' >>"$samples" || true
	done
) &
sampler=$!

lsm_log "loading $rows rows ($gb GB of column data) with $clients sessions, $chunk rows per transaction"
lsn0=$(q -c "SELECT pg_current_wal_lsn()")
t0=$(date +%s.%N)
pids=()
for ((c = 0; c < clients; c++)); do
	(
		lo=$((c * per_client + 1))
		hi=$(((c + 1) * per_client))
		[ "$hi" -gt "$rows" ] && hi=$rows
		while [ "$lo" -le "$hi" ]; do
			top=$((lo + chunk - 1))
			[ "$top" -gt "$hi" ] && top=$hi
			q -c "INSERT INTO t SELECT g, hashint8extended(g, 0),
			        md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text)
			      FROM generate_series($lo::bigint, $top::bigint) g" >/dev/null ||
				{ lsm_log "session $c: INSERT of $lo..$top failed"; exit 1; }
			lo=$((top + 1))
		done
	) &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
t1=$(date +%s.%N)
[ "$failed" = 0 ] || lsm_log "a loading session failed; results below are of what committed"
lsn1=$(q -c "SELECT pg_current_wal_lsn()")

lsm_log "waiting for flushes and compactions to finish"
q -c "SELECT lsm_am.flush('t'), lsm_am.flush('t_k')" >/dev/null
t2=$(date +%s.%N)
for _ in $(seq 1 720); do
	busy=$(q -c "SELECT count(*) FROM CompactionJob WHERE status = 'running'")
	[ "$busy" = 0 ] && break
	sleep 5
done
t3=$(date +%s.%N)
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null

c0=$(date +%s.%N)
count=$(q -c "SELECT count(*) FROM t")
c1=$(date +%s.%N)

lookup="$base/lookup.sql"
lsm_as_pg tee "$lookup" >/dev/null <<SQL
\set id random(1, $rows)
SELECT id FROM t WHERE k = hashint8extended(:id, 0);
SQL
lsm_as_pg pgbench -h "$base" -p "$port" -U postgres -n -c "$clients" -j "$clients" \
	-T "$lookup_secs" -f "$lookup" postgres >"$base/lookup.log" 2>&1 ||
	{ tail -n 5 "$base/lookup.log" >&2; lsm_log "lookups failed"; }
tps=$(awk '/^tps = / { print $3; exit }' "$base/lookup.log")
hits=$(q -c "SELECT count(*) FROM (SELECT id FROM t WHERE k = hashint8extended(($rows / 2)::bigint, 0)) s")

echo
echo "load of $rows rows ($gb GB of column data) into an lsm table with an lsm index, $clients sessions"
awk -v r="$count" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v gb="$gb" 'BEGIN {
	printf "load: %.0f s, %.0f rows/s, %.1f MB/s of column data; compactions after it: %.0f s more\n",
		b - a, r / (b - a), gb * 1000 / (b - a), d - c }'
echo "WAL during the load: $(q -c "SELECT pg_size_pretty(pg_wal_lsn_diff('$lsn1', '$lsn0'))")" \
	"($(q -c "SELECT round(pg_wal_lsn_diff('$lsn1', '$lsn0') / greatest($count, 1))") bytes per row)"
awk -v a="$c0" -v b="$c1" -v n="$count" 'BEGIN { printf "count(*): %s rows in %.1f s\n", n, b - a }'
echo "point lookups by k through the index: ${tps:-?} per second ($clients clients, $lookup_secs s); a probe finds $hits row"
echo "level-0 SSTables, most seen in the 5 s samples: $(awk -F, '{ if ($3 > m[$2]) m[$2] = $3 }
	END { for (r in m) printf "%s %d  ", r, m[r] }' "$samples")" \
	"(slowdown at $(q -c "SHOW lsm_am.l0_slowdown_trigger"), stop at $(q -c "SHOW lsm_am.l0_stop_trigger"))"
echo
q -c "SELECT relation, sstables, pg_size_pretty(sstable_bytes) AS sstables_size,
             pg_size_pretty(relation_bytes) AS file_size, round(file_amplification::numeric, 2) AS file_amp,
             round(space_amplification::numeric, 2) AS space_amp
      FROM lsm_am.relation_stats ORDER BY relation" -P footer=off -F ' | ' -A -t |
	awk 'BEGIN { print "relation | SSTables | SSTable bytes | file bytes | file amp | space amp" } { print }'
v0=$(date +%s.%N)
q -c "VACUUM t" >/dev/null
v1=$(date +%s.%N)
awk -v a="$v0" -v b="$v1" 'BEGIN { printf "after VACUUM t (%.0f s: SSTables moved down the files, free tails cut):\n", b - a }'
q -c "SELECT relation, sstables, pg_size_pretty(sstable_bytes), pg_size_pretty(relation_bytes),
             round(file_amplification::numeric, 2)
      FROM lsm_am.relation_stats ORDER BY relation" -P footer=off -F ' | ' -A -t
echo
q -c "SELECT relation, level, files, pg_size_pretty(size_bytes), write_amp
      FROM lsm_am.level_stats WHERE files > 0 OR bytes_written > 0 ORDER BY relation, level" -F ' | ' -A -t |
	awk 'BEGIN { print "relation | level | files | bytes | write amp" } { print }'
exit 0
