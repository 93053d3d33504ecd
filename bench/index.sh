#!/usr/bin/env bash
# bench/index.sh: random-key inserts into a table with three secondary
# indexes, heap + btree vs heap + lsm vs lsm + lsm, then reads through each
# index.
#
#   bash bench/index.sh [SECONDS [READ_SECONDS]]
#       SECONDS       load time per configuration (default 180, or
#                     $BENCH_SECONDS; 20 makes a quick smoke run)
#       READ_SECONDS  pgbench time per read workload (default 10, or 3 when
#                     SECONDS < 60; or $BENCH_READ_SECONDS)
#
# Needs lsm_am built and installed (bash scripts/setup.sh).  Starts its own
# throwaway cluster (as OS user postgres when run as root) on a Unix socket
# in a new directory under ${TMPDIR:-/tmp}, port $BENCH_PORT (default
# 54333), and removes it at the end (BENCH_KEEP=1 keeps it).  Not part of
# the test suite; nothing here asserts anything beyond sanity checks.
#
# Table bench(id bigint, a bigint, b text, c timestamptz, payload text) with
# indexes on a, b and c and no primary key.  Row g (g = 1, 2, ...) has
#   a = hashint8extended(g, 0)          a random-looking bigint
#   b = md5(g::text)                    32 random-looking hex digits
#   c = 2020-01-01 +/- up to 5 years    from hashint8extended(g, 1)
# so every insert lands at a random place of each index, and a reader can
# compute the keys of any row it wants to find.  Configurations, one after
# another in the same cluster (the previous table is dropped first):
#   heap+btree   CREATE TABLE ... (heap), CREATE INDEX ... USING btree
#   heap+lsm     CREATE TABLE ... (heap), CREATE INDEX ... USING lsm
#   lsm+lsm      CREATE TABLE ... USING lsm, CREATE INDEX ... USING lsm
# (BENCH_CONFIGS selects a subset, e.g. "heap+btree lsm+lsm").  Each:
#   1. CHECKPOINT, then for SECONDS one session inserts BENCH_BATCH (10000)
#      rows per INSERT ... SELECT and commits, printing every
#      BENCH_INTERVAL (10) seconds: elapsed time, rows so far, rows/s in
#      that interval, WAL bytes per row so far (pg_current_wal_lsn()
#      difference: everything the cluster wrote, background flushes and
#      compactions included);
#   2. lsm_am.flush() of every lsm relation (table and indexes), then waits
#      (at most BENCH_SETTLE_SECONDS, default 60) until no flush or
#      compaction of them runs and no level has a score >= 1; the WAL of
#      that is reported separately ("+flush/settle");
#   3. table size (pg_table_size) and index size (sum of pg_relation_size of
#      the three indexes: SSTables live in an lsm index's main fork; for lsm
#      indexes also the SSTables' own bytes, SSTableMeta.size_bytes);
#   4. ANALYZE, a count(*) check, a check that 100 rows are found through
#      each index, EXPLAIN of each read query (enable_seqscan = off);
#   5. pgbench, 1 client (BENCH_CLIENTS), READ_SECONDS each:
#        lookup x   SELECT * FROM bench WHERE x = <key of a random row>
#        range x    SELECT * FROM bench WHERE x >= <key of a random row>
#                   ORDER BY x LIMIT 10
#      for x in a, b, c.
# The summary compares the configurations, with ratios to heap+btree.
# Rows/s over time go to index_rows.csv in BENCH_RESULTS_DIR (default: a new
# directory under ${TMPDIR:-/tmp}), with a PNG plot (index_rows.png) when
# gnuplot is installed (BENCH_INSTALL_GNUPLOT=1 installs gnuplot-nox with
# apt-get first).  Cluster: shared_buffers BENCH_SHARED_BUFFERS (128MB),
# max_wal_size BENCH_MAX_WAL_SIZE (4GB), checkpoint_timeout
# BENCH_CHECKPOINT_TIMEOUT (5min), autovacuum off; lsm_am.memtable_size
# BENCH_MEMTABLE_SIZE (default: the engine's); BENCH_EXTRA_CONF adds
# postgresql.conf lines, separated by ';'.  BENCH_LSM_INDEX_AM (default
# lsm) is the access method of the "lsm" indexes; btree there is for
# testing this script without the lsm index AM.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/../scripts/lib.sh"
lsm_pg_env

usage="usage: bash bench/index.sh [SECONDS [READ_SECONDS]]"
[ $# -le 2 ] || lsm_die "$usage"
secs="${1:-${BENCH_SECONDS:-180}}"
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || lsm_die "SECONDS must be a positive integer, got '$secs' ($usage)"
if [ "$secs" -lt 60 ]; then read_default=3; else read_default=10; fi
read_secs="${2:-${BENCH_READ_SECONDS:-$read_default}}"
[[ "$read_secs" =~ ^[1-9][0-9]*$ ]] ||
	lsm_die "READ_SECONDS must be a positive integer, got '$read_secs' ($usage)"
batch="${BENCH_BATCH:-10000}"
[[ "$batch" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_BATCH must be a positive integer"
interval="${BENCH_INTERVAL:-10}"
[[ "$interval" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_INTERVAL must be a positive integer"
settle_max="${BENCH_SETTLE_SECONDS:-60}"
[[ "$settle_max" =~ ^[0-9]+$ ]] || lsm_die "BENCH_SETTLE_SECONDS must be a non-negative integer"
clients="${BENCH_CLIENTS:-1}"
[[ "$clients" =~ ^[1-9][0-9]*$ ]] || lsm_die "BENCH_CLIENTS must be a positive integer"
configs="${BENCH_CONFIGS:-heap+btree heap+lsm lsm+lsm}"
for cfg in $configs; do
	case "$cfg" in
		heap+btree | heap+lsm | lsm+lsm) ;;
		*) lsm_die "BENCH_CONFIGS: unknown configuration '$cfg' (heap+btree, heap+lsm, lsm+lsm)" ;;
	esac
done
lsm_index_am="${BENCH_LSM_INDEX_AM:-lsm}"
shared_buffers="${BENCH_SHARED_BUFFERS:-128MB}"
port="${BENCH_PORT:-54333}"

results="${BENCH_RESULTS_DIR:-}"
if [ -z "$results" ]; then
	results="$(mktemp -d "${TMPDIR:-/tmp}/lsm_bench_index_results.XXXXXX")"
fi
mkdir -p "$results"
csv="$results/index_rows.csv"
png="$results/index_rows.png"

lsm_bench_want_gnuplot

base="$(lsm_pg_tmpdir bench_index)"
lsm_cluster_cleanup_on_exit "$base" BENCH_KEEP

conf=("shared_buffers = '$shared_buffers'"
	"max_wal_size = '${BENCH_MAX_WAL_SIZE:-4GB}'"
	"checkpoint_timeout = '${BENCH_CHECKPOINT_TIMEOUT:-5min}'"
	"autovacuum = off")
[ -n "${BENCH_MEMTABLE_SIZE:-}" ] && conf+=("lsm_am.memtable_size = '$BENCH_MEMTABLE_SIZE'")
if [ -n "${BENCH_EXTRA_CONF:-}" ]; then
	IFS=';' read -r -a extra <<<"$BENCH_EXTRA_CONF"
	conf+=("${extra[@]}")
fi
lsm_log "starting a throwaway cluster in $base (port $port)"
lsm_cluster_start "$base" "$port" "${conf[@]}"

q() { lsm_psql "$base" "$port" -At "$@" </dev/null; }

# Key functions (immutable SQL, inlined and folded to constants in the
# read queries, so each is an index condition), and the loader: one
# session, BATCH rows per transaction, a NOTICE "PROGRESS elapsed rows wal"
# every STEP seconds and at the end.
q -c "CREATE EXTENSION lsm_am" -c "
CREATE FUNCTION bench_a(g bigint) RETURNS bigint IMMUTABLE LANGUAGE sql
  AS 'SELECT hashint8extended(g, 0)';
CREATE FUNCTION bench_b(g bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS 'SELECT md5(g::text)';
CREATE FUNCTION bench_c(g bigint) RETURNS timestamptz IMMUTABLE LANGUAGE sql
  AS \$\$SELECT timestamptz '2020-01-01 00:00:00+00'
              + (hashint8extended(g, 1) % 157680000000000) * interval '1 microsecond'\$\$;
CREATE FUNCTION bench_payload(g bigint) RETURNS text IMMUTABLE LANGUAGE sql
  AS \$\$SELECT 'dev=' || (g % 1000) || ';temp=' || (15 + g % 20) || '.' || (g % 10)
              || ';fw=v1.' || (g % 7) || ';sig=' || md5((g * 7)::text)\$\$;
CREATE PROCEDURE bench_load(secs float8, batch int, step float8)
LANGUAGE plpgsql AS \$\$
DECLARE
  t0 timestamptz := clock_timestamp();
  lsn0 pg_lsn := pg_current_wal_lsn();
  n bigint := 0;
  el float8 := 0;
  next_at float8 := step;
BEGIN
  LOOP
    INSERT INTO bench
      SELECT g, bench_a(g), bench_b(g), bench_c(g), bench_payload(g)
        FROM generate_series(n + 1, n + batch) AS g;
    COMMIT;
    n := n + batch;
    el := extract(epoch FROM clock_timestamp() - t0);
    IF el >= next_at OR el >= secs THEN
      RAISE NOTICE 'PROGRESS % % %', round(el::numeric, 3), n,
        pg_wal_lsn_diff(pg_current_wal_lsn(), lsn0);
      WHILE next_at <= el LOOP
        next_at := next_at + step;
      END LOOP;
    END IF;
    EXIT WHEN el >= secs;
  END LOOP;
END
\$\$"

echo "config,elapsed_s,rows,rows_per_s,wal_bytes" >"$csv"

declare -A res
workloads="lookup_a lookup_b lookup_c range_a range_b range_c"

# read_sql WORKLOAD ID: the query of a read workload for row ID (a number
# or a pgbench variable).
read_sql() {
	local w="$1" id="$2" col="${1#*_}"
	case "$w" in
		lookup_*) echo "SELECT * FROM bench WHERE $col = bench_$col($id)" ;;
		range_*) echo "SELECT * FROM bench WHERE $col >= bench_$col($id) ORDER BY $col LIMIT 10" ;;
	esac
}

# The lsm relations of the current table (itself if lsm, lsm indexes), as
# a quoted, comma-separated list for SQL.
lsm_rels() {
	q -c "SELECT coalesce(string_agg(quote_literal(c.oid::regclass::text), ','), '')
	        FROM pg_class c JOIN pg_am a ON a.oid = c.relam
	       WHERE c.oid IN (SELECT 'bench'::regclass UNION ALL
	                       SELECT indexrelid FROM pg_index WHERE indrelid = 'bench'::regclass)
	         AND a.amname IN ('lsm', 'lsm_index')"
}

# settle RELS: flush RELS, then wait until none of them has a running job,
# a frozen memtable or a level score >= 1 (or the time limit).  Prints
# "yes", "no" or "-" (no lsm relation).
settle() {
	local rels="$1" start state
	if [ -z "$rels" ]; then echo "-"; return; fi
	q -c "SELECT lsm_am.flush(r::regclass) FROM unnest(ARRAY[$rels]) r" >/dev/null
	start=$SECONDS
	while :; do
		state=$(q -c "
SELECT (SELECT count(*) FROM CompactionJob
         WHERE relation::text IN ($rels) AND status = 'running')
     + (SELECT count(*) FROM lsm_am.memtables
         WHERE relation::text IN ($rels) AND state <> 'active')
     + (SELECT count(*) FROM lsm_am.level_shape()
         WHERE relation::text IN ($rels) AND score >= 1)")
		if [ "$state" = 0 ]; then echo yes; return; fi
		if [ $(( SECONDS - start )) -ge "$settle_max" ]; then echo no; return; fi
		sleep 1
	done
}

# pgb WORKLOAD ROWS: pgbench tps of a read workload.
pgb() {
	local w="$1" n="$2" f="$base/$1.sql" out="$base/pgbench.out"
	printf '\\set id random(1, :n)\n%s;\n' "$(read_sql "$w" :id)" | lsm_as_pg tee "$f" >/dev/null
	if ! lsm_as_pg env PGOPTIONS="-c enable_seqscan=off" pgbench -h "$base" -p "$port" \
		-U postgres -n -c "$clients" -j "$clients" -T "$read_secs" -D n="$n" -f "$f" \
		postgres >"$out" 2>&1; then
		cat "$out" >&2
		lsm_die "pgbench $w failed"
	fi
	awk '/^tps = /{ print $3 }' "$out"
}

# plan WORKLOAD ROWS: the plan's nodes on one line.
plan() {
	lsm_psql "$base" "$port" -At -c "SET enable_seqscan = off" \
		-c "EXPLAIN (COSTS OFF) $(read_sql "$1" $(( $2 / 2 + 1 )))" </dev/null |
		awk '!/:/ { sub(/^ *(-> *)?/, ""); s = s (s == "" ? "" : " -> ") $0 } END { print s }'
}

run_config() {
	local cfg="$1" tam="${1%%+*}" iam="${1##*+}" col donef rows s wal wal2 lsn0 lsn1 rels n
	[ "$iam" = lsm ] && iam="$lsm_index_am"
	lsm_log "$cfg: CREATE TABLE bench ... USING $tam, 3 indexes USING $iam"
	q -c "CREATE TABLE bench (id bigint, a bigint, b text, c timestamptz, payload text) USING $tam" \
		-c "CREATE INDEX bench_a ON bench USING $iam (a)" \
		-c "CREATE INDEX bench_b ON bench USING $iam (b)" \
		-c "CREATE INDEX bench_c ON bench USING $iam (c)" \
		-c "CHECKPOINT"

	lsm_log "$cfg: inserting for $secs s, $batch rows per transaction"
	printf '%-11s %9s %12s %12s %11s\n' config "elapsed s" rows "rows/s" "WAL B/row"
	donef="$base/load.done"
	rm -f "$donef"
	lsm_psql "$base" "$port" -At -c "CALL bench_load($secs, $batch, $interval)" </dev/null 2>&1 |
		awk -v cfg="$cfg" -v csv="$csv" -v donef="$donef" '
		$1 == "NOTICE:" && $2 == "PROGRESS" {
			el = $3; n = $4; wal = $5
			rate = (el > pel) ? (n - pn) / (el - pel) : 0
			printf "%-11s %9.1f %12.0f %12.0f %11.1f\n", cfg, el, n, rate, wal / n
			printf "%s,%.3f,%.0f,%.1f,%.0f\n", cfg, el, n, rate, wal >> csv
			fflush()
			pel = el; pn = n
			printf "%.0f %s %.0f\n", n, el, wal > donef
			close(donef)
			next
		}
		{ print > "/dev/stderr" }'
	[ -s "$donef" ] || lsm_die "$cfg: the load reported nothing"
	read -r rows s wal <"$donef"
	res[$cfg.rows]=$rows
	res[$cfg.rate]=$(awk -v n="$rows" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
	# rows/s over the last three intervals (or fewer)
	res[$cfg.end]=$(awk -F, -v cfg="$cfg" '$1 == cfg { e[++k] = $2; r[k] = $3 }
		END { i = (k > 3) ? k - 3 : 0; e0 = (i > 0) ? e[i] : 0; r0 = (i > 0) ? r[i] : 0
		      printf "%.0f", (e[k] > e0) ? (r[k] - r0) / (e[k] - e0) : 0 }' "$csv")
	res[$cfg.wal]=$wal

	rels=$(lsm_rels)
	lsm_log "$cfg: flushing lsm relations (${rels:-none}) and waiting for compactions (at most ${settle_max}s)"
	lsn0=$(q -c "SELECT pg_current_wal_lsn()")
	res[$cfg.settled]=$(settle "$rels")
	lsn1=$(q -c "SELECT pg_current_wal_lsn()")
	res[$cfg.wal2]=$(q -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')")
	res[$cfg.table]=$(q -c "SELECT pg_table_size('bench')")
	for col in a b c; do
		res[$cfg.idx_$col]=$(q -c "SELECT pg_relation_size('bench_$col')")
	done
	res[$cfg.idx_sst]=$(q -c "SELECT coalesce(sum(size_bytes), 0) FROM SSTableMeta
	                          WHERE relation::text IN ('bench_a', 'bench_b', 'bench_c')")
	res[$cfg.ssts]=$(if [ -n "$rels" ]; then
		q -c "SELECT string_agg(r || ':' || (SELECT count(*) FROM SSTableMeta s WHERE s.relation::text = r), ' ')
		        FROM unnest(ARRAY[$rels]) r"
	else echo "-"; fi)

	lsm_log "$cfg: ANALYZE and checks"
	q -c "ANALYZE bench"
	n=$(q -c "SELECT count(*) FROM bench")
	[ "$n" = "$rows" ] || lsm_die "$cfg: bench holds $n rows, expected $rows"
	for col in a b c; do
		# 100 rows spread over the table, each looked up through the index
		n=$(q -c "SET enable_seqscan = off" -c "SET enable_hashjoin = off" -c "SET enable_mergejoin = off" -c "
SELECT count(*) FROM generate_series(1, 100) AS s,
       LATERAL (SELECT 1 FROM bench WHERE $col = bench_$col((s * 7919 % $rows) + 1)) AS x" | tail -n 1)
		[ "$n" -ge 100 ] || lsm_die "$cfg: found $n of 100 rows through bench_$col"
	done

	echo "$cfg: plans (enable_seqscan = off):"
	for w in $workloads; do
		res[$cfg.plan_$w]=$(plan "$w" "$rows")
		printf '  %-9s %s\n' "$w" "${res[$cfg.plan_$w]}"
		case "${res[$cfg.plan_$w]} " in
			*" using bench_${w#*_} "* | *" on bench_${w#*_} "*) ;;
			*) echo "  WARNING: $w does not use index bench_${w#*_}" ;;
		esac
	done

	for w in $workloads; do
		lsm_log "$cfg: $w for $read_secs s"
		res[$cfg.$w]=$(pgb "$w" "$rows")
	done

	awk -v cfg="$cfg" -v rows="$rows" -v s="$s" -v r="${res[$cfg.rate]}" -v w="$wal" \
		-v w2="${res[$cfg.wal2]}" -v t="${res[$cfg.table]}" -v ia="${res[$cfg.idx_a]}" \
		-v ib="${res[$cfg.idx_b]}" -v ic="${res[$cfg.idx_c]}" 'BEGIN {
		printf "%s: %.0f rows in %.1f s (%.0f rows/s), WAL %.1f B/row (+%.1f flush/settle), table %.1f MB, indexes %.1f MB (a %.1f, b %.1f, c %.1f)\n",
			cfg, rows, s, r, w / rows, w2 / rows, t / 1048576, (ia + ib + ic) / 1048576,
			ia / 1048576, ib / 1048576, ic / 1048576 }'
	echo "$cfg: settled: ${res[$cfg.settled]}; SSTables: ${res[$cfg.ssts]}"
	echo "$cfg: tps: $(for w in $workloads; do printf '%s %.0f  ' "$w" "${res[$cfg.$w]}"; done)"
	echo

	q -c "DROP TABLE bench" -c "CHECKPOINT"
}

echo "lsm_am index benchmark: bash bench/index.sh $secs $read_secs"
echo "PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), shared_buffers = $(q -c 'SHOW shared_buffers')," \
	"max_wal_size = $(q -c 'SHOW max_wal_size'), checkpoint_timeout = $(q -c 'SHOW checkpoint_timeout')," \
	"lsm_am.memtable_size = $(q -c 'SHOW lsm_am.memtable_size'), batch = $batch rows"
[ "$lsm_index_am" = lsm ] || echo "NOTE: the 'lsm' indexes are USING $lsm_index_am (BENCH_LSM_INDEX_AM)"
[ -z "${BENCH_EXTRA_CONF:-}" ] || echo "BENCH_EXTRA_CONF: $BENCH_EXTRA_CONF"
echo
for cfg in $configs; do
	run_config "$cfg"
done

# Summary: one row per measure, one column per configuration, then the
# ratios to heap+btree.
{
	echo "configs $configs"
	for cfg in $configs; do
		r="${res[$cfg.rows]}"
		echo "rows $cfg $r"
		echo "rate $cfg ${res[$cfg.rate]}"
		echo "end $cfg ${res[$cfg.end]}"
		awk -v c="$cfg" -v r="$r" -v w="${res[$cfg.wal]}" -v w2="${res[$cfg.wal2]}" \
			-v t="${res[$cfg.table]}" -v ia="${res[$cfg.idx_a]}" -v ib="${res[$cfg.idx_b]}" \
			-v ic="${res[$cfg.idx_c]}" -v is="${res[$cfg.idx_sst]}" 'BEGIN {
			i = ia + ib + ic
			printf "wal %s %.1f\nwal2 %s %.1f\nwalt %s %.1f\n", c, w / r, c, w2 / r, c, (w + w2) / r
			printf "table %s %.1f\nindex %s %.1f\nidxrow %s %.1f\n", c, t / 1048576, c, i / 1048576, c, i / r
			printf "idxsst %s %s\n", c, (is > 0) ? sprintf("%.1f", is / 1048576) : "-" }'
		for w in $workloads; do echo "$w $cfg ${res[$cfg.$w]}"; done
	done
} | awk '
$1 == "configs" { nc = NF - 1; for (i = 2; i <= NF; i++) cf[i - 1] = $i; next }
{ v[$1, $2] = $3 }
END {
	printf "\n%-26s", "measure"
	for (i = 1; i <= nc; i++) printf " %12s", cf[i]
	for (i = 1; i <= nc; i++) if (cf[i] != "heap+btree") printf " %12s", cf[i] "/hb"
	printf "\n"
	nm = split("rows rate end wal wal2 walt table index idxsst idxrow lookup_a lookup_b lookup_c range_a range_b range_c", ms, " ")
	split("rows loaded|rows/s|rows/s (last 3 intervals)|WAL B/row (load)|WAL B/row (+flush/settle)|WAL B/row (total)|table MB|index MB (3 indexes)|  of which SSTables MB|index B/row|lookup tps (a bigint)|lookup tps (b text)|lookup tps (c timestamptz)|range tps (a bigint)|range tps (b text)|range tps (c timestamptz)", names, "|")
	for (m = 1; m <= nm; m++) {
		k = ms[m]
		printf "%-26s", names[m]
		for (i = 1; i <= nc; i++) {
			x = v[k, cf[i]]
			if (x == "-" || x == "") printf " %12s", "-"
			else if (k ~ /^(wal|wal2|walt|table|index|idxsst|idxrow)$/) printf " %12.1f", x
			else printf " %12.0f", x
		}
		for (i = 1; i <= nc; i++) {
			if (cf[i] == "heap+btree") continue
			h = v[k, "heap+btree"]
			if (k == "rows" || k == "wal2" || k == "idxsst" || h == "" || h + 0 == 0) printf " %12s", "-"
			else printf " %12.2f", v[k, cf[i]] / h
		}
		printf "\n"
	}
	print ""
	print "x/hb: ratio to heap+btree.  WAL: pg_current_wal_lsn() difference per row (whole cluster,"
	print "background flushes and compactions included); +flush/settle: lsm_am.flush() of the lsm"
	print "relations and waiting for their compactions after the load.  index MB: sum of"
	print "pg_relation_size of the three indexes; SSTables MB: SSTableMeta.size_bytes of the lsm"
	print "indexes (the rest is free space and memtable log pages).  table MB: pg_table_size."
	print "tps: pgbench, enable_seqscan = off; lookup x: x = key of a random row; range x: x >= key"
	print "ORDER BY x LIMIT 10."
}'

echo
echo "rows/s over time: $csv"
if command -v gnuplot >/dev/null 2>&1; then
	if gnuplot <<GP 2>"$results/gnuplot.err"; then
set terminal pngcairo size 1000,600 noenhanced
set output '$png'
set datafile separator ','
set title 'random-key inserts, 3 secondary indexes, shared_buffers $shared_buffers (bash bench/index.sh $secs $read_secs)'
set xlabel 'elapsed seconds'
set ylabel 'rows/s (per interval)'
set xrange [0:*]
set yrange [0:*]
set key top right
set grid
plot for [cfg in "$configs"] '$csv' using 2:(strcol(1) eq cfg ? \$4 : 1/0) with linespoints title cfg
GP
		echo "plot: $png"
	else
		cat "$results/gnuplot.err" >&2
		lsm_log "gnuplot failed; no plot"
	fi
else
	echo "(no gnuplot: no plot; BENCH_INSTALL_GNUPLOT=1 installs gnuplot-nox)"
fi
