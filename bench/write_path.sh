#!/usr/bin/env bash
# bench/write_path.sh: concurrent random-key inserts into a table with
# three secondary indexes, as "The write path" measures them.
#
#   bash bench/write_path.sh [SECONDS]    (default 180 s per run, or $BENCH_SECONDS)
#
# Needs lsm_am installed (bash scripts/setup.sh).  Starts its own throwaway
# cluster (as OS user postgres when run as root; port $BENCH_PORT, default
# 54335), removed at the end (BENCH_KEEP=1 keeps it).  Not part of the test
# suite; nothing here asserts anything.
#
# Table t(id bigint, k1 bigint, k2 bigint, k3 bigint, payload text) with an
# index on each of k1, k2, k3; each pgbench transaction inserts
# BENCH_ROWS_PER_TXN (500) rows with random keys ((random()*1e15)::bigint)
# and a 64-character payload.  Configurations (BENCH_CONFIGS, default all
# that can run), one after the other, the table dropped in between:
#   heap+btree  heap+lsm  lsm+lsm  lsm+btree
#   heap+lsm3   btree-like LSM indexes of postgrespro/lsm3, built with PGXS
#               from BENCH_LSM3_SRC (default ../shared/peers/lsm3 next to
#               this repository) into the PostgreSQL installation; skipped
#               when the source is not there.
# For each client count in BENCH_CLIENTS (default "2 4") and each
# configuration: CHECKPOINT, then pgbench -c N for SECONDS with progress
# every BENCH_INTERVAL (20) seconds.  Reported: rows/s over the run, in the
# first interval and in the last two; WAL bytes per row
# (pg_current_wal_lsn() before and after the run: everything the cluster
# wrote, flushes and compactions included); bytes on disk per row
# (pg_total_relation_size after the run); then ratios to heap+btree and
# heap+lsm3.  lsm_am.level_stats of each run's lsm relations goes to
# level_stats_CONFIG_CLIENTS.txt.  Rows/s per interval go to write_path.csv in
# BENCH_RESULTS_DIR (default: a new directory under ${TMPDIR:-/tmp}), with a
# PNG plot (write_path.png) when gnuplot is installed
# (BENCH_INSTALL_GNUPLOT=1 installs gnuplot-nox first).
# Cluster: shared_buffers 128MB, synchronous_commit off, max_wal_size 1GB,
# checkpoint_timeout 60s (BENCH_SHARED_BUFFERS, BENCH_MAX_WAL_SIZE,
# BENCH_CHECKPOINT_TIMEOUT); BENCH_EXTRA_CONF adds postgresql.conf lines,
# separated by ';'.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

secs="${1:-${BENCH_SECONDS:-180}}"
clients="${BENCH_CLIENTS:-2 4}"
interval="${BENCH_INTERVAL:-20}"
rows="${BENCH_ROWS_PER_TXN:-500}"
port="${BENCH_PORT:-54335}"
lsm3_src="${BENCH_LSM3_SRC:-$here/../../shared/peers/lsm3}"
configs="${BENCH_CONFIGS:-heap+btree heap+lsm lsm+lsm lsm+btree heap+lsm3}"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || lsm_die "SECONDS must be a positive integer, got '$secs'"
[[ "$interval" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_INTERVAL must be a positive integer"
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_ROWS_PER_TXN must be a positive integer"

results="${BENCH_RESULTS_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/lsm_write_path.XXXXXX")}"
mkdir -p "$results"
csv="$results/write_path.csv"
png="$results/write_path.png"

# lsm3: build and install it from source when asked for and present.
have_lsm3=0
if [[ " $configs " == *" heap+lsm3 "* ]]; then
	if [ -f "$lsm3_src/lsm3.c" ]; then
		build="$(mktemp -d "${TMPDIR:-/tmp}/lsm3_build.XXXXXX")"
		cp -r "$lsm3_src/." "$build/"
		if (cd "$build" && make -s USE_PGXS=1 PG_CONFIG="$PG_CONFIG" >"$results/lsm3_build.log" 2>&1 &&
			make -s USE_PGXS=1 PG_CONFIG="$PG_CONFIG" install >>"$results/lsm3_build.log" 2>&1); then
			have_lsm3=1
			lsm_log "lsm3 built from $lsm3_src"
		else
			lsm_log "lsm3 did not build (see $results/lsm3_build.log); skipping heap+lsm3"
		fi
		rm -rf "$build"
	else
		lsm_log "no lsm3 source at $lsm3_src; skipping heap+lsm3"
	fi
fi
[ "$have_lsm3" = 1 ] || configs="${configs//heap+lsm3/}"

lsm_bench_want_gnuplot

base="$(lsm_pg_tmpdir bench_write)"
lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP
conf=("shared_buffers = '${BENCH_SHARED_BUFFERS:-128MB}'"
	"max_wal_size = '${BENCH_MAX_WAL_SIZE:-1GB}'"
	"checkpoint_timeout = '${BENCH_CHECKPOINT_TIMEOUT:-60s}'"
	"synchronous_commit = off" "autovacuum = off" "max_worker_processes = 32")
[ "$have_lsm3" = 1 ] && conf+=("shared_preload_libraries = 'lsm_am,lsm3'")
IFS=';' read -r -a extra <<<"${BENCH_EXTRA_CONF:-}"
for line in "${extra[@]}"; do [ -n "$line" ] && conf+=("$line"); done
lsm_log "starting a throwaway cluster in $base (port $port); results in $results"
lsm_cluster_start "$base" "$port" "${conf[@]}"
chmod a+rwx "$results"

q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }
q -c "CREATE EXTENSION lsm_am"
[ "$have_lsm3" = 1 ] && q -c "CREATE EXTENSION lsm3"

script="$base/insert.sql"
lsm_as_pg tee "$script" >/dev/null <<SQL
INSERT INTO t (id, k1, k2, k3, payload)
SELECT nextval('t_id'), (random() * 1e15)::bigint, (random() * 1e15)::bigint,
       (random() * 1e15)::bigint, md5(random()::text) || md5(random()::text)
FROM generate_series(1, $rows);
SQL

# A fresh table for each run.  The drop is retried: lsm3's merge worker
# may still hold a lock on the previous run's indexes (a deadlock error).
setup_table() {
	local tam="${1%%+*}" iam="${1##*+}" i try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		q -v ON_ERROR_STOP=1 -c "DROP TABLE IF EXISTS t" -c "DROP SEQUENCE IF EXISTS t_id" \
			>/dev/null 2>&1 && break
		[ "$try" = 10 ] && lsm_die "could not drop the previous run's table t"
		sleep 3
	done
	q -v ON_ERROR_STOP=1 -c "CREATE SEQUENCE t_id" \
		-c "CREATE TABLE t (id bigint, k1 bigint, k2 bigint, k3 bigint, payload text) USING $tam" ||
		lsm_die "could not create table t for $1"
	for i in 1 2 3; do
		q -v ON_ERROR_STOP=1 -c "CREATE INDEX t_k$i ON t USING $iam (k$i)" ||
			lsm_die "could not create index t_k$i for $1"
	done
}

echo "clients,config,second,rows_per_s" >"$csv"
declare -A res
for c in $clients; do
	for cfg in $configs; do
		setup_table "$cfg"
		q -c "CHECKPOINT"
		lsn0=$(q -c "SELECT pg_current_wal_lsn()")
		lsm_log "$cfg, $c clients, $secs s"
		out="$base/run_${cfg}_$c.log"
		lsm_as_pg pgbench -h "$base" -p "$port" -U postgres -n -c "$c" -j "$c" -T "$secs" \
			-P "$interval" -f "$script" postgres >"$out" 2>&1 ||
			{ tail -n 5 "$out" >&2; lsm_log "pgbench failed for $cfg"; }
		lsn1=$(q -c "SELECT pg_current_wal_lsn()")
		nrows=$(q -c "SELECT count(*) FROM t")
		wal=$(q -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
		disk=$(q -c "SELECT pg_total_relation_size('t')")
		# where an lsm relation's writes went: flushes and compactions per level
		if [[ "$cfg" == lsm+* || "$cfg" == *+lsm ]]; then
			lsm_psql "$base" "$port" -c "SELECT * FROM lsm_am.level_stats
				WHERE relation::text IN ('t', 't_k1', 't_k2', 't_k3') ORDER BY relation::text, level" \
				</dev/null >"$results/level_stats_${cfg}_$c.txt" 2>&1
		fi
		# progress lines: "progress: 20.0 s, 123.4 tps, ..."
		awk -v c="$c" -v cfg="$cfg" -v r="$rows" '/^progress: / {
			s = $2 + 0; tps = $4 + 0; printf "%s,%s,%d,%.0f\n", c, cfg, s, tps * r }' "$out" >>"$csv"
		read -r first last <<<"$(awk -v r="$rows" '/^progress: / { n++; v[n] = $4 * r }
			END { l = (n >= 2) ? (v[n] + v[n - 1]) / 2 : v[n]; printf "%.0f %.0f\n", v[1], l }' "$out")"
		res[$cfg.$c]="$(awk -v n="$nrows" -v s="$secs" -v w="$wal" -v d="$disk" -v f="$first" -v l="$last" \
			'BEGIN { printf "%.0f %s %s %.0f %.0f", n / s, f, l, (n > 0 ? w / n : 0), (n > 0 ? d / n : 0) }')"
	done
done

echo
echo "random-key inserts, $rows rows per transaction, 3 secondary indexes, $secs s per run"
echo "(rows/s: over the run, first ${interval} s, last $((2 * interval)) s; WAL and disk bytes per row)"
printf '%-8s %-11s %10s %10s %10s %9s %9s %8s %8s\n' clients config rows/s first last WAL/row disk/row "x btree" "x lsm3"
for c in $clients; do
	read -r hb _ hbl _ _ <<<"${res[heap+btree.$c]:-0 0 0 0 0}"
	read -r l3 _ l3l _ _ <<<"${res[heap+lsm3.$c]:-0 0 0 0 0}"
	for cfg in $configs; do
		read -r all first last wal disk <<<"${res[$cfg.$c]}"
		awk -v c="$c" -v cfg="$cfg" -v a="$all" -v f="$first" -v l="$last" -v w="$wal" -v d="$disk" \
			-v hb="$hbl" -v l3="$l3l" 'BEGIN {
			printf "%-8s %-11s %10s %10s %10s %9s %9s %8s %8s\n", c, cfg, a, f, l, w, d,
				(hb > 0 ? sprintf("%.2f", l / hb) : "-"), (l3 > 0 ? sprintf("%.2f", l / l3) : "-") }'
	done
done
echo "(x btree, x lsm3: rows/s in the last $((2 * interval)) s against heap+btree's and heap+lsm3's)"
echo "per-interval rows/s: $csv"

if command -v gnuplot >/dev/null 2>&1; then
	plots=""
	for c in $clients; do
		for cfg in $configs; do
			grep "^$c,$cfg," "$csv" | cut -d, -f3,4 >"$results/series_${c}_${cfg}.dat"
			plots="$plots${plots:+, }'$results/series_${c}_${cfg}.dat' using 1:2 with linespoints title '$cfg, $c clients'"
		done
	done
	if gnuplot <<GP 2>"$results/gnuplot.err"; then
set terminal pngcairo size 1000,600 noenhanced
set output '$png'
set datafile separator ','
set title 'random-key inserts, 3 secondary indexes'
set xlabel 'seconds'
set ylabel 'rows/s'
set key outside right
plot $plots
GP
		echo "plot: $png"
	else
		cat "$results/gnuplot.err" >&2
		lsm_log "gnuplot failed; no plot"
	fi
else
	echo "(no gnuplot: no plot; BENCH_INSTALL_GNUPLOT=1 installs gnuplot-nox)"
fi
exit 0
