#!/usr/bin/env bash
# test/postgres_regress/run.sh: PostgreSQL 15's core regression suite
# (src/test/regress, parallel_schedule) with default_table_access_method =
# lsm, and the same run with heap; then compare the two.
#
#   bash test/postgres_regress/run.sh            # both runs, then compare
#   bash test/postgres_regress/run.sh lsm        # only one run (lsm or heap)
#
# This is not part of scripts/test.sh: most of the suite's differences from
# heap are expected (see EXPECTED_DIFFERENCES.md next to this script).  What
# it is for: server crashes, and results that differ from heap's.
#
# Steps:
#  1. PostgreSQL 15 source tree, for src/test/regress (sql/, expected/,
#     data/, regress.c): $PGSRC if set, else /root/pgsrc/postgresql-15-*,
#     else the cache ${CORE_REGRESS_CACHE:-/var/cache/lsm_am}/pgsrc, else
#     fetched once into that cache with `apt-get source postgresql-15`
#     (needs a deb-src stanza: when /etc/apt/sources.list.d has none, a copy
#     of debian.sources with "Types: deb-src" is added as
#     debian-src.sources; then apt-get update; when the mirror lacks the
#     newest version's source, the newest older version apt-cache showsrc
#     lists).  That fetch is the only network access, and only on first
#     use.  (Source lookup, cluster setup and the comparison are shared
#     with test/postgres_isolation/run.sh: test/suite_lib.sh.)
#  2. unless CORE_REGRESS_INSTALL=0: build lsm_am from the working tree (a
#     copy) and `make install` it, as scripts/test.sh does.
#  3. build the suite's C test module regress.so from regress.c with PGXS
#     (Debian does not ship it) into a "dlpath" directory, next to symlinks
#     to Debian's autoinc.so and refint.so (contrib/spi, which Debian
#     ships); pg_regress --dlpath points the tests at it.
#     Also temp_heap.so from temp_heap.c (this directory), preloaded in both
#     runs unless CORE_REGRESS_TEMP_HEAP=0: TEMP and UNLOGGED tables created
#     without USING get heap, since lsm supports neither and the suite's
#     many temp tables would otherwise hide most of what it can show.
#  4. per access method: initdb (as OS user postgres; UTF8, --no-locale),
#     shared_preload_libraries = lsm_am, max_prepared_transactions = 10 (so
#     that prepared_xacts runs its two-phase tests), CREATE EXTENSION lsm_am in
#     template1 and postgres, CREATE DATABASE regression from template1 with
#     the settings pg_regress itself would give it, then
#     default_table_access_method = <am> in postgresql.conf (reload), and
#     the installed PGXS pg_regress --use-existing --schedule
#     parallel_schedule.  The extension exists in both runs, so the access
#     method is the only difference.  (pg_regress would otherwise create the
#     database from template0, which has no lsm access method.)
#     Server log, core files (pg_ctl -c; backtraces with gdb when there are
#     any) and pg_regress output stay in $WORK/<am>/.
#  5. compare results/<test>.out of the two runs: $WORK/compare/summary.txt
#     lists identical/differing tests, $WORK/compare/diffs/<test>.diff holds
#     heap -> lsm diffs, $WORK/compare/lsm-vs-heap.diffs all of them, and
#     $WORK/compare/classified.txt (classify.py) sorts each diff hunk into
#     "order" (same rows, other order), "plan" (EXPLAIN only) or "other",
#     printing every "other" hunk: those are the ones to read.
#
# Environment:
#   PGSRC                PostgreSQL 15 source tree (top directory)
#   CORE_REGRESS_WORK    output directory (default: a fresh
#                        ${TMPDIR:-/tmp}/lsm_core_regress.XXXXXX)
#   CORE_REGRESS_INSTALL 1 (default) build+install lsm_am first; 0: use the
#                        installed one
#   CORE_REGRESS_PORT    first port (default 54360; heap uses +1)
#   CORE_REGRESS_PARALLEL 1: run lsm and heap at the same time (default 0)
#   CORE_REGRESS_TIMEOUT seconds per pg_regress run (default 2400)
#   CORE_REGRESS_SCHEDULE schedule file (default: the source's
#                        parallel_schedule)
#   CORE_REGRESS_TEMP_HEAP 1 (default): preload temp_heap.so; 0: TEMP and
#                        UNLOGGED tables follow default_table_access_method
#   CORE_REGRESS_EXTRA_CONF extra postgresql.conf lines (newline separated)
#
# Exit status: 0 when both runs finished without a server crash (whatever
# the diffs); 1 on a crash (signal / PANIC / TRAP in a server log), a
# timeout, or a setup failure.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"
# shellcheck source=test/suite_lib.sh
. "$top/test/suite_lib.sh"
SUITE_NAME=test/postgres_regress/run.sh

case "${1:-both}" in
	both) AMS="lsm heap" ;;
	lsm | heap) AMS="$1" ;;
	*) lsm_die "usage: $0 [both|lsm|heap]" ;;
esac

PORT0="${CORE_REGRESS_PORT:-54360}"
TIMEOUT="${CORE_REGRESS_TIMEOUT:-2400}"
START=$(date +%s)
elapsed() { echo "$(($(date +%s) - START))s"; }

lsm_pg_env
PGXS_REGRESS="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress"
[ -x "$PGXS_REGRESS" ] || lsm_die "pg_regress not found at $PGXS_REGRESS (postgresql-server-dev-15)"
PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"

# ------------------------------------------------------------ 1. source
SRC="$(suite_find_source "${CORE_REGRESS_CACHE:-/var/cache/lsm_am}" src/test/regress/parallel_schedule)" || exit 1
lsm_log "PostgreSQL source: $SRC (server: $("$PG_CONFIG" --version))"

suite_workdir "${CORE_REGRESS_WORK:-}" core_regress
lsm_log "work directory: $WORK"

# The tests' input files, readable by postgres (/root is not).
rm -rf "$WORK/regress"
cp -r "$SRC/src/test/regress" "$WORK/regress"
SCHEDULE="${CORE_REGRESS_SCHEDULE:-$WORK/regress/parallel_schedule}"

# ------------------------------------------------------------ 2. lsm_am
[ "${CORE_REGRESS_INSTALL:-1}" = 1 ] && suite_install_lsm_am "$top" "$WORK"
[ -f "$PKGLIBDIR/lsm_am.so" ] || lsm_die "lsm_am is not installed ($PKGLIBDIR/lsm_am.so)"

# ------------------------------------------------------------ 3. regress.so
DLPATH="$WORK/dlpath"
rm -rf "$DLPATH"
mkdir -p "$DLPATH/build"
cp "$SRC/src/test/regress/regress.c" "$DLPATH/build/"
cat >"$DLPATH/build/Makefile" <<EOF
MODULES = regress
PG_CONFIG = $PG_CONFIG
PGXS := \$(shell \$(PG_CONFIG) --pgxs)
include \$(PGXS)
EOF
(cd "$DLPATH/build" && make -s >build.log 2>&1 && cp regress.so "$DLPATH/") ||
	{ cat "$DLPATH/build/build.log"; lsm_die "building regress.so failed"; }
# temp_heap.so (temp_heap.c here): TEMP/UNLOGGED tables without USING get
# heap, as lsm has neither (CORE_REGRESS_TEMP_HEAP=0: off).
mkdir -p "$DLPATH/temp_heap"
cp "$here/temp_heap.c" "$DLPATH/temp_heap/"
sed 's/^MODULES = regress/MODULES = temp_heap/' "$DLPATH/build/Makefile" >"$DLPATH/temp_heap/Makefile"
(cd "$DLPATH/temp_heap" && make -s >build.log 2>&1) ||
	{ cat "$DLPATH/temp_heap/build.log"; lsm_die "building temp_heap.so failed"; }
if [ "${CORE_REGRESS_TEMP_HEAP:-1}" = 1 ]; then
	PRELOAD="'lsm_am,$DLPATH/temp_heap/temp_heap'"
else
	PRELOAD="'lsm_am'"
fi
for m in autoinc refint; do
	if [ -f "$PKGLIBDIR/$m.so" ]; then
		ln -s "$PKGLIBDIR/$m.so" "$DLPATH/$m.so"
	else
		lsm_log "warning: $PKGLIBDIR/$m.so missing: the tests using it will fail in both runs"
	fi
done
lsm_is_root && chown -R postgres: "$WORK"

# ------------------------------------------------------------ 4. runs
# run_suite AM PORT: one cluster, one pg_regress run; its exit status is
# pg_regress's (124 on timeout).
run_suite() {
	local am="$1" port="$2" base="$WORK/$1" rc
	rm -rf "$base"
	mkdir -p "$base"
	lsm_is_root && chown postgres: "$base"
	suite_cluster_start "$base" "$port" "$PRELOAD" "${CORE_REGRESS_EXTRA_CONF:-}" \
		"log_line_prefix = '%m [%p] %d '" \
		"log_min_messages = warning" \
		"log_min_error_statement = panic" \
		"max_prepared_transactions = 10" || return 1
	suite_create_db "$base" "$port" regression &&
		suite_set_default_am "$base" "$port" "$am" regression ||
		{ lsm_cluster_stop "$base"; return 1; }

	lsm_log "[$am] pg_regress (port $port, $(elapsed))"
	(cd "$base" && lsm_as_pg timeout -k 30 "$TIMEOUT" "$PGXS_REGRESS" \
		--use-existing --host="$base" --port="$port" --user=postgres \
		--inputdir="$WORK/regress" --outputdir="$base" --dlpath="$DLPATH" \
		--schedule="$SCHEDULE" --max-concurrent-tests=20 \
		>"$base/pg_regress.out" 2>&1)
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "TIMEOUT after ${TIMEOUT}s" >>"$base/pg_regress.out"
		suite_activity "$base" "$port" "$base/activity_at_timeout.txt"
	fi
	lsm_cluster_stop "$base"
	lsm_log "[$am] done: exit $rc ($(elapsed)); $(grep -cE '\.\.\. +ok' "$base/pg_regress.out") ok, $(grep -cE '\.\.\. +FAILED' "$base/pg_regress.out") FAILED vs upstream expected"
	return "$rc"
}

# Crashes in a run's server log; backtraces of core files.
check_crashes() {
	local am="$1" base="$WORK/$1" n
	suite_crash_lines "$base/server.log" >"$base/crashes.txt"
	suite_backtraces "$base"
	n=$(wc -l <"$base/crashes.txt")
	if [ "$n" -gt 0 ]; then
		echo "[$am] SERVER CRASHES ($n log lines, $base/crashes.txt):"
		head -n 20 "$base/crashes.txt"
		[ -s "$base/backtraces.txt" ] && echo "backtraces: $base/backtraces.txt"
		return 1
	fi
	echo "[$am] no crash in the server log"
	return 0
}

status=0
port=$PORT0
if [ "${CORE_REGRESS_PARALLEL:-0}" = 1 ]; then
	pids=()
	for am in $AMS; do
		run_suite "$am" "$port" &
		pids+=($!)
		port=$((port + 1))
	done
	for p in "${pids[@]}"; do wait "$p"; done
else
	for am in $AMS; do
		run_suite "$am" "$port"
		port=$((port + 1))
	done
fi
for am in $AMS; do
	grep -q '^TIMEOUT' "$WORK/$am/pg_regress.out" 2>/dev/null && { echo "[$am] TIMEOUT"; status=1; }
	[ -f "$WORK/$am/server.log" ] || { echo "[$am] did not run"; status=1; continue; }
	check_crashes "$am" || status=1
done

# ------------------------------------------------------------ 5. compare
if [ "$AMS" = "lsm heap" ]; then
	cmp="$WORK/compare"
	rm -rf "$cmp"
	mkdir -p "$cmp/diffs"
	: >"$cmp/lsm-vs-heap.diffs"
	# tests in schedule order
	tests=$(sed -nE 's/^(test|ignore): *//p' "$SCHEDULE" | tr ' ' '\n' | grep -v '^$' | awk '!seen[$0]++')
	{
		# shellcheck disable=SC2086
		suite_compare "$cmp" "$WORK/heap/results" "$WORK/lsm/results" $tests
		echo "identical: $SUITE_SAME, differing: $SUITE_DIFFER, missing: $SUITE_MISSING"
		for am in lsm heap; do
			echo "$am vs upstream expected: $(grep -cE '\.\.\. +ok' "$WORK/$am/pg_regress.out") ok, $(grep -cE '\.\.\. +FAILED' "$WORK/$am/pg_regress.out") FAILED"
		done
	} >"$cmp/summary.txt"
	grep -v '^same' "$cmp/summary.txt"
	# hunks that are only row order or only plan shape, and the rest
	python3 "$here/classify.py" "$cmp/diffs" >"$cmp/classified.txt" 2>&1 &&
		echo "hunks by class (order / plan / other): $cmp/classified.txt"
	echo "per-test diffs: $cmp/diffs/  (all: $cmp/lsm-vs-heap.diffs)"
fi
echo "work directory: $WORK; total time $(elapsed)"
exit "$status"
