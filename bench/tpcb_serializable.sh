#!/usr/bin/env bash
# bench/tpcb_serializable.sh: pgbench's TPC-B at SERIALIZABLE, heap vs lsm.
#
#   bash bench/tpcb_serializable.sh [SCALE [SECONDS]]
#                                     (default scale 50, 60 s per run)
#
# Needs lsm_am installed (bash scripts/setup.sh).  Starts its own throwaway
# cluster (as OS user postgres when run as root; port $BENCH_PORT, default
# 54334), removed at the end (BENCH_KEEP=1 keeps it).  Not part of the test
# suite; nothing here asserts anything.
#
# Two databases in one cluster, tpcb_heap and tpcb_lsm, whose
# default_table_access_method is heap and lsm: `pgbench -i -s SCALE` in
# each (so pgbench's four tables are heap or lsm, their primary keys btree).
# Then, for each client count in BENCH_CLIENTS (default "2 8"), heap and lsm
# one after the other, pgbench's built-in TPC-B script for SECONDS with
# default_transaction_isolation = serializable, --max-tries=100 (a
# transaction that fails with a serialization failure or deadlock is
# retried, as an application would) and --failures-detailed.  Reported per
# run: tps (committed transactions per second), the share of committed
# transactions that needed at least one retry, the serialization failures
# (and deadlocks) in all (pgbench's "total number of retries"; one
# transaction may fail many times), and transactions that failed for good
# (100 tries).  Then the lsm/heap tps ratio.  A run in which pgbench
# aborts clients (an error it does not retry) is kept, flagged as such.
# shared_buffers is BENCH_SHARED_BUFFERS (default 128MB; scale 50 is about
# 750 MB of heap data, several times that); max_connections is
# BENCH_MAX_CONNECTIONS (default 50; SSI's conflict pool is sized from it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

scale="${1:-${BENCH_SCALE:-50}}"
secs="${2:-${BENCH_SECONDS:-60}}"
clients="${BENCH_CLIENTS:-2 8}"
port="${BENCH_PORT:-54334}"
[[ "$scale" =~ ^[1-9][0-9]*$ ]] || lsm_die "SCALE must be a positive integer, got '$scale'"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || lsm_die "SECONDS must be a positive integer, got '$secs'"

base="$(lsm_pg_tmpdir bench_tpcb)"
lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP
conf=("shared_buffers = '${BENCH_SHARED_BUFFERS:-128MB}'" "max_wal_size = '4GB'"
	"checkpoint_timeout = '5min'" "synchronous_commit = off"
	"max_connections = ${BENCH_MAX_CONNECTIONS:-50}" "max_pred_locks_per_transaction = 256")
lsm_log "starting a throwaway cluster in $base (port $port)"
lsm_cluster_start "$base" "$port" "${conf[@]}"

q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }

for am in heap lsm; do
	q -c "CREATE DATABASE tpcb_$am"
	[ "$am" = lsm ] && q -c "CREATE EXTENSION IF NOT EXISTS lsm_am"
	lsm_psql "$base" "$port" -At -d "tpcb_$am" -c "CREATE EXTENSION lsm_am" </dev/null
	q -c "ALTER DATABASE tpcb_$am SET default_table_access_method = $am"
	lsm_log "pgbench -i -s $scale into tpcb_$am"
	t0=$(date +%s)
	lsm_as_pg pgbench -h "$base" -p "$port" -U postgres -i -q -s "$scale" "tpcb_$am" \
		>"$base/init_$am.log" 2>&1 || { cat "$base/init_$am.log"; lsm_die "pgbench -i failed"; }
	lsm_log "  loaded in $(($(date +%s) - t0)) s; $(q -d "tpcb_$am" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
done
q -c "CHECKPOINT"

# run AM CLIENTS: "tps retried_share failed"
run() {
	local am="$1" c="$2" out
	out="$base/run_${am}_$c.log"
	lsm_as_pg env PGOPTIONS="-c default_transaction_isolation=serializable" \
		pgbench -h "$base" -p "$port" -U postgres -n -c "$c" -j "$c" -T "$secs" \
		--max-tries=100 --failures-detailed "tpcb_$am" >"$out" 2>&1 ||
		{
			# a client aborted (an error that is not retried): keep the
			# partial result, flagged, and show why
			grep -E 'error' "$out" | sort | uniq -c | head -n 5 >&2
			aborted="$aborted $am/$c"
		}
	awk '
		/^number of transactions actually processed:/ { done = $6 }
		/^number of failed transactions:/ { failed = $5 }
		/^number of transactions retried:/ { retried = $5 }
		/^total number of retries:/ { retries = $5 }
		/^tps = / { tps = $3 }
		END {
			if (retries == "") retries = 0
			if (retried == "") retried = 0
			printf "%.0f %.1f %d %d\n", tps, (done > 0 ? 100 * retried / done : 0), retries, failed
		}' "$out"
}

declare -A r
aborted=""
for c in $clients; do
	for am in heap lsm; do
		lsm_log "TPC-B SERIALIZABLE, $c clients, $secs s: $am"
		run "$am" "$c" >"$base/result_${am}_$c"
		r[$am.$c]=$(cat "$base/result_${am}_$c")
		q -c "CHECKPOINT"
	done
done

echo
echo "pgbench TPC-B, scale $scale, SERIALIZABLE, $secs s per run (--max-tries=100)"
printf '%-8s %-5s %8s %12s %16s %12s\n' clients am tps "retried %" "failures (all)" "failed"
for c in $clients; do
	for am in heap lsm; do
		read -r tps pct retries failed <<<"${r[$am.$c]}"
		printf '%-8s %-5s %8s %12s %16s %12s\n' "$c" "$am" "$tps" "$pct" "$retries" "$failed"
	done
	read -r ht _ _ _ <<<"${r[heap.$c]}"
	read -r lt _ _ _ <<<"${r[lsm.$c]}"
	awk -v c="$c" -v h="$ht" -v l="$lt" 'BEGIN { printf "%-8s lsm/heap tps: %.2fx\n", c, (h > 0 ? l / h : 0) }'
done
[ -n "$aborted" ] && echo "runs in which pgbench aborted clients (partial results):$aborted"
exit 0
