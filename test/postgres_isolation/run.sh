#!/usr/bin/env bash
# test/postgres_isolation/run.sh: PostgreSQL 15's isolation suite
# (src/test/isolation, isolation_schedule) with default_table_access_method
# = lsm, and the same run with heap; then compare the two spec by spec.
#
#   bash test/postgres_isolation/run.sh            # both runs, then compare
#   bash test/postgres_isolation/run.sh lsm        # only one run (lsm or heap)
#
# This is not part of scripts/test.sh: many specs' lsm output differs from
# heap's today.  What it is for: server crashes, hangs, and concurrency
# behaviour (blocking, serialization failures, EvalPlanQual results) that
# differs from heap's.
#
# Steps:
#  1. as root, apt-get install the packages scripts/lib.sh lists
#     (lsm_ensure_deps) when any is missing.  PostgreSQL 15 source tree, for
#     src/test/isolation (specs/, expected/, isolation_schedule): $PGSRC if
#     set, else /root/pgsrc/postgresql-15-*, else the cache
#     ${PG_ISOLATION_CACHE:-/var/cache/lsm_am}/pgsrc, else fetched once into
#     that cache with `apt-get source postgresql-15` (test/suite_lib.sh:
#     suite_find_source, as for test/postgres_regress/run.sh: adds a deb-src
#     stanza when there is none).  That fetch is the only network access,
#     and only on first use.
#  2. unless PG_ISOLATION_INSTALL=0: build lsm_am from the working tree (a
#     copy) and `make install` it, as scripts/test.sh does.
#  3. pg_isolation_regress and isolationtester: the PGXS ones
#     (.../pgxs/src/test/isolation/, Debian's postgresql-client-15 ships
#     them).  When they are missing (or PG_ISOLATION_BUILD_TOOLS=1) both are
#     compiled from the source's src/test/isolation and
#     src/test/regress/pg_regress.c against the installed headers, libpq,
#     libpgcommon and libpgport, into $WORK/isolation_bin (bison and flex
#     are apt-get installed only if the tree lacks the generated
#     specparse.c / specscanner.c).  The server is always the installed one.
#  4. per access method: initdb (as OS user postgres; UTF8, --no-locale),
#     shared_preload_libraries = lsm_am, the settings pg_regress gives a
#     --temp-instance (log_lock_waits, log_line_prefix with the application
#     name, ...) but max_prepared_transactions = 10, CREATE EXTENSION lsm_am
#     in template1 and postgres, CREATE DATABASE isolation_regression from
#     template1 with the settings pg_regress would give it, then
#     default_table_access_method = <am> in postgresql.conf (reload).  The
#     extension exists in both runs, so the access method is the only
#     difference.  TEMP tables follow default_table_access_method too (lsm
#     has none: the specs using them fail under lsm).
#     Then the schedule's specs in order, each as its own
#     `pg_isolation_regress --use-existing <spec>` (what `make installcheck`
#     runs, one spec per call) with PGISOLATIONTIMEOUT (isolationtester
#     cancels a step after that many seconds and gives up after twice
#     that), under a per-spec time limit; the whole run has a limit too, and
#     specs not started by then are "not run".  After each spec: the new
#     server log lines are searched for crashes (signal, PANIC, TRAP, ...)
#     and the data directory for new core files; its results/<spec>.out for
#     isolationtester's step cancels and give-ups.  After a crash or a
#     killed spec the database is dropped and created again, so that its
#     leftovers cannot change the next spec's output.
#     Per run in $WORK/<am>/: specs.txt (one line per spec: name,
#     ok/FAILED vs upstream expected, flags crash / step-timeouts=N /
#     killed / not-run, seconds), crashes.txt, timeouts.txt, log/<spec>.log
#     (pg_isolation_regress output), results/<spec>.out, upstream.diffs
#     (vs upstream expected/), activity/<spec>.txt (pg_stat_activity when a
#     spec was killed), server.log, backtraces.txt (gdb, when core files).
#  5. compare results/<spec>.out of the two runs: $WORK/compare/summary.txt
#     has one line per spec (same / DIFFERS / CRASH / MISSING, with the lsm
#     run's timeout flags), the counts and the per-run figures;
#     $WORK/compare/diffs/<spec>.diff holds the heap -> lsm diff,
#     $WORK/compare/lsm-vs-heap.diffs all of them.  A spec during which
#     either server crashed counts as a crash, not as a difference.
#
# The last line is "isolation: N of M specs identical to heap, K differ, C
# crashes" (K includes specs that did not run); with one access method
# only, "isolation [<am>]: P of M specs pass against upstream expected, C
# crashes, T with timeouts (step or spec)".
#
# Environment:
#   PGSRC                  PostgreSQL 15 source tree (top directory)
#   PG_ISOLATION_CACHE     where to keep the fetched source (default
#                          /var/cache/lsm_am; the source is in .../pgsrc)
#   PG_ISOLATION_WORK      output directory (default: a fresh
#                          ${TMPDIR:-/tmp}/lsm_pg_isolation.XXXXXX)
#   PG_ISOLATION_INSTALL   1 (default) build+install lsm_am first; 0: use the
#                          installed one
#   PG_ISOLATION_PORT      first port (default 54370; heap uses +1)
#   PG_ISOLATION_PARALLEL  1: run lsm and heap at the same time (default 0:
#                          one after the other, as the specs are timing
#                          sensitive)
#   PGISOLATIONTIMEOUT     isolationtester's step timeout, seconds (default 20)
#   PG_ISOLATION_SPEC_TIMEOUT seconds per spec before it is killed (default 300)
#   PG_ISOLATION_TIMEOUT   seconds per access method run (default 3600)
#   PG_ISOLATION_SCHEDULE  schedule file (default: the source's
#                          isolation_schedule)
#   PG_ISOLATION_SPECS     spec names (space separated) to run instead of a
#                          schedule
#   PG_ISOLATION_BUILD_TOOLS 1: build pg_isolation_regress/isolationtester
#                          from the source even if PGXS has them
#   PG_ISOLATION_EXTRA_CONF extra postgresql.conf lines (newline separated)
#
# Exit status: 0 when the runs finished without a server crash, a killed
# spec or the run time limit (whatever the diffs and step timeouts); 1
# otherwise, or on a setup failure.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$top/scripts/lib.sh"
# shellcheck source=test/suite_lib.sh
. "$top/test/suite_lib.sh"
SUITE_NAME=test/postgres_isolation/run.sh

case "${1:-both}" in
	both) AMS="lsm heap" ;;
	lsm | heap) AMS="$1" ;;
	*) lsm_die "usage: $0 [both|lsm|heap]" ;;
esac

PORT0="${PG_ISOLATION_PORT:-54370}"
STEP_TIMEOUT="${PGISOLATIONTIMEOUT:-20}"
SPEC_TIMEOUT="${PG_ISOLATION_SPEC_TIMEOUT:-300}"
RUN_TIMEOUT="${PG_ISOLATION_TIMEOUT:-3600}"
DB=isolation_regression
START=$(date +%s)
elapsed() { echo "$(($(date +%s) - START))s"; }

# ------------------------------------------------------------ 1. packages, source
lsm_is_root && lsm_ensure_deps
lsm_pg_env
PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"

SRC="$(suite_find_source "${PG_ISOLATION_CACHE:-/var/cache/lsm_am}" src/test/isolation/isolation_schedule)" || exit 1
lsm_log "PostgreSQL source: $SRC (server: $("$PG_CONFIG" --version))"

suite_workdir "${PG_ISOLATION_WORK:-}" pg_isolation
lsm_log "work directory: $WORK"

# The specs and expected files, readable by postgres (/root is not).
rm -rf "$WORK/isolation"
mkdir -p "$WORK/isolation"
cp -r "$SRC/src/test/isolation/specs" "$SRC/src/test/isolation/expected" \
	"$SRC/src/test/isolation/isolation_schedule" "$WORK/isolation/"
SCHEDULE="${PG_ISOLATION_SCHEDULE:-$WORK/isolation/isolation_schedule}"
if [ -n "${PG_ISOLATION_SPECS:-}" ]; then
	SPECS="$PG_ISOLATION_SPECS"
else
	[ -f "$SCHEDULE" ] || lsm_die "no schedule $SCHEDULE"
	SPECS=$(sed -nE 's/^test: *//p' "$SCHEDULE" | tr ' ' '\n' | grep -v '^$' | awk '!seen[$0]++')
fi
# shellcheck disable=SC2086
set -- $SPECS
NSPECS=$#
[ "$NSPECS" -gt 0 ] || lsm_die "no specs to run"
for s in $SPECS; do
	[ -f "$WORK/isolation/specs/$s.spec" ] || lsm_die "no spec $s in $SRC/src/test/isolation/specs"
done

# ------------------------------------------------------------ 2. lsm_am
[ "${PG_ISOLATION_INSTALL:-1}" = 1 ] && suite_install_lsm_am "$top" "$WORK"
[ -f "$PKGLIBDIR/lsm_am.so" ] || lsm_die "lsm_am is not installed ($PKGLIBDIR/lsm_am.so)"

# ------------------------------------------------------------ 3. tools
# build_tools DIR: pg_isolation_regress and isolationtester into DIR, from
# the source tree, with the installed headers and libraries.  They must sit
# side by side and report the same version (pg_isolation_regress checks
# isolationtester's), which the shared pg_config.h guarantees.
build_tools() {
	local dir="$1" iso="$SRC/src/test/isolation" b p
	rm -rf "$dir"
	mkdir -p "$dir/build"
	cp "$iso"/isolationtester.c "$iso"/isolationtester.h "$iso"/isolation_main.c \
		"$iso"/specparse.y "$iso"/specscanner.l "$SRC/src/test/regress/pg_regress.c" \
		"$SRC/src/test/regress/pg_regress.h" "$dir/build/" || return 1
	for p in specparse.c specscanner.c; do
		[ -f "$iso/$p" ] && cp "$iso/$p" "$dir/build/"
	done
	b="$dir/build"
	if [ ! -f "$b/specparse.c" ] || [ ! -f "$b/specscanner.c" ]; then
		for p in bison flex; do
			command -v "$p" >/dev/null 2>&1 && continue
			lsm_is_root || { echo "$p missing (apt-get install $p)"; return 1; }
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" || return 1
		done
		(cd "$b" && bison -Wno-deprecated -o specparse.c specparse.y && flex -o specscanner.c specscanner.l) || return 1
	fi
	# src/port/pg_config_paths.h, which PGXS does not install
	{
		echo "#define PGBINDIR \"$("$PG_CONFIG" --bindir)\""
		echo "#define PGSHAREDIR \"$("$PG_CONFIG" --sharedir)\""
		echo "#define SYSCONFDIR \"$("$PG_CONFIG" --sysconfdir)\""
		echo "#define INCLUDEDIR \"$("$PG_CONFIG" --includedir)\""
		echo "#define PKGINCLUDEDIR \"$("$PG_CONFIG" --pkgincludedir)\""
		echo "#define INCLUDEDIRSERVER \"$("$PG_CONFIG" --includedir-server)\""
		echo "#define LIBDIR \"$("$PG_CONFIG" --libdir)\""
		echo "#define PKGLIBDIR \"$("$PG_CONFIG" --pkglibdir)\""
		echo "#define LOCALEDIR \"$("$PG_CONFIG" --localedir)\""
		echo "#define DOCDIR \"$("$PG_CONFIG" --docdir)\""
		echo "#define HTMLDIR \"$("$PG_CONFIG" --htmldir)\""
		echo "#define MANDIR \"$("$PG_CONFIG" --mandir)\""
	} >"$b/pg_config_paths.h"
	local cc inc libs
	cc="$("$PG_CONFIG" --cc)"
	inc="-I$b -I$("$PG_CONFIG" --includedir-server) -I$("$PG_CONFIG" --includedir) -I$("$PG_CONFIG" --includedir)/internal"
	libs="-L$("$PG_CONFIG" --pkglibdir) -L$("$PG_CONFIG" --libdir) -lpgcommon -lpgport -lm"
	# shellcheck disable=SC2086
	(cd "$b" &&
		$cc -O2 -D_GNU_SOURCE $inc -o "$dir/isolationtester" isolationtester.c specparse.c \
			-lpq $libs &&
		$cc -O2 -D_GNU_SOURCE $inc -DHOST_TUPLE="\"$($cc -dumpmachine)\"" -DSHELLPROG='"/bin/sh"' \
			-DDLSUFFIX='".so"' -o "$dir/pg_isolation_regress" isolation_main.c pg_regress.c $libs) || return 1
}

PGXS_ISO="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/isolation"
if [ "${PG_ISOLATION_BUILD_TOOLS:-0}" != 1 ] &&
	[ -x "$PGXS_ISO/pg_isolation_regress" ] && [ -x "$PGXS_ISO/isolationtester" ]; then
	ISO_REGRESS="$PGXS_ISO/pg_isolation_regress"
else
	lsm_log "building pg_isolation_regress and isolationtester from $SRC/src/test/isolation"
	build_tools "$WORK/isolation_bin" >"$WORK/isolation_bin.log" 2>&1 ||
		{ tail -n 40 "$WORK/isolation_bin.log"; lsm_die "building the isolation tester failed (log: $WORK/isolation_bin.log)"; }
	ISO_REGRESS="$WORK/isolation_bin/pg_isolation_regress"
fi
lsm_log "isolation tester: $ISO_REGRESS ($("$(dirname "$ISO_REGRESS")/isolationtester" -V))"
lsm_is_root && chown -R postgres: "$WORK"

# ------------------------------------------------------------ 4. runs
# wait_ready BASE PORT: until the server accepts connections (after a
# crash-restart), at most 120 s; start it again if it is gone.
wait_ready() {
	local base="$1" port="$2" i
	for i in $(seq 120); do
		lsm_as_pg pg_isready -q -h "$base" -p "$port" -d postgres && return 0
		if [ "$i" = 30 ] && ! lsm_as_pg pg_ctl -D "$base/data" status >/dev/null 2>&1; then
			lsm_log "server in $base is down; starting it again"
			lsm_as_pg pg_ctl -c -D "$base/data" -l "$base/server.log" -w -t 120 start >/dev/null
		fi
		sleep 1
	done
	return 1
}

# reset_db BASE PORT: a fresh test database, without what a killed or
# crashed spec left behind (sessions, prepared transactions, tables).
reset_db() {
	local base="$1" port="$2"
	echo "---- $(date '+%F %T') reset_db"
	lsm_as_pg timeout 120 psql -X -q -h "$base" -p "$port" -U postgres -d "$DB" <<-'EOF' >/dev/null
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		 WHERE datname = current_database() AND pid <> pg_backend_pid();
		SELECT format('ROLLBACK PREPARED %L', gid) FROM pg_prepared_xacts
		 WHERE database = current_database() \gexec
	EOF
	lsm_as_pg timeout 120 psql -X -q -h "$base" -p "$port" -U postgres -d postgres \
		-c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" &&
		suite_create_db "$base" "$port" "$DB"
}

# new_cores BASE: core files in BASE/data newer than BASE/spec.start
new_cores() { find "$1/data" -maxdepth 1 -name 'core*' -type f -newer "$1/spec.start" 2>/dev/null; }

# run_suite AM PORT: one cluster, the specs one by one.  Returns 0 when
# nothing crashed, no spec was killed and the run finished in time.
run_suite() {
	local am="$1" port="$2" base="$WORK/$1" rc=0 t0 spec off left lim s0 secs res flags n line c
	t0=$(date +%s)
	rm -rf "$base"
	mkdir -p "$base/log" "$base/activity"
	lsm_is_root && chown -R postgres: "$base"
	suite_cluster_start "$base" "$port" "'lsm_am'" "${PG_ISOLATION_EXTRA_CONF:-}" \
		"log_autovacuum_min_duration = 0" \
		"log_checkpoints = on" \
		"log_line_prefix = '%m %b[%p] %q%a '" \
		"log_lock_waits = on" \
		"log_temp_files = 128kB" \
		"max_prepared_transactions = 10" || { echo "[$am] cluster setup failed" >"$base/setup_failed"; return 1; }
	suite_create_db "$base" "$port" "$DB" &&
		suite_set_default_am "$base" "$port" "$am" "$DB" ||
		{ echo "[$am] database setup failed" >"$base/setup_failed"; lsm_cluster_stop "$base"; return 1; }
	: >"$base/specs.txt"
	: >"$base/crashes.txt"
	: >"$base/timeouts.txt"
	: >"$base/upstream.diffs"
	lsm_log "[$am] $NSPECS specs (port $port, PGISOLATIONTIMEOUT=$STEP_TIMEOUT, ${SPEC_TIMEOUT}s per spec, ${RUN_TIMEOUT}s in all; $(elapsed))"
	for spec in $SPECS; do
		left=$((RUN_TIMEOUT - ($(date +%s) - t0)))
		if [ "$left" -le 0 ]; then
			echo "$spec FAILED not-run 0" >>"$base/specs.txt"
			rc=1
			continue
		fi
		lim=$SPEC_TIMEOUT
		[ "$left" -lt "$lim" ] && lim=$left
		off=$(stat -c %s "$base/server.log")
		touch "$base/spec.start"
		rm -f "$base/regression.diffs"
		s0=$(date +%s%N)
		lsm_as_pg env PGISOLATIONTIMEOUT="$STEP_TIMEOUT" timeout -k 10 "$lim" "$ISO_REGRESS" \
			--use-existing --host="$base" --port="$port" --user=postgres --dbname="$DB" \
			--inputdir="$WORK/isolation" --outputdir="$base" "$spec" \
			>"$base/log/$spec.log" 2>&1
		n=$?
		secs=$(awk -v a="$s0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
		[ -f "$base/regression.diffs" ] && cat "$base/regression.diffs" >>"$base/upstream.diffs"
		if grep -qE '\.\.\. +ok' "$base/log/$spec.log"; then res=ok; else res=FAILED; fi
		flags=""
		if [ "$n" -eq 124 ] || [ "$n" -eq 137 ]; then
			flags="$flags killed"
			echo "$spec: killed after ${lim}s" >>"$base/timeouts.txt"
			suite_activity "$base" "$port" "$base/activity/$spec.txt"
			rc=1
		fi
		# isolationtester's cancel of a step after PGISOLATIONTIMEOUT, and its
		# giving up after twice that
		n=$(grep -cE '^isolationtester: canceling step |^step .* timed out after [0-9]+ seconds' \
			"$base/results/$spec.out" 2>/dev/null)
		if [ "${n:-0}" -gt 0 ]; then
			flags="$flags step-timeouts=$n"
			grep -E '^isolationtester: canceling step |^step .* timed out after [0-9]+ seconds' \
				"$base/results/$spec.out" | sed "s|^|$spec: |" >>"$base/timeouts.txt"
		fi
		# A crash: the postmaster may log it just after the spec's client saw
		# its connection close; once it accepts connections again, any crash
		# restart is over and logged.
		grep -qE 'server closed the connection unexpectedly|because of crash of another server process' \
			"$base/results/$spec.out" 2>/dev/null && sleep 1
		wait_ready "$base" "$port" || lsm_log "[$am] server does not accept connections after $spec"
		tail -c +$((off + 1)) "$base/server.log" | grep -E "$SUITE_CRASH_RE" | sed "s|^|$spec: |" >"$base/crash.tmp"
		for c in $(new_cores "$base"); do
			mv "$c" "$base/data/core.$spec.$(basename "$c")"
			echo "$spec: core file $base/data/core.$spec.$(basename "$c")" >>"$base/crash.tmp"
		done
		if [ -s "$base/crash.tmp" ]; then
			flags="$flags crash"
			cat "$base/crash.tmp" >>"$base/crashes.txt"
			lsm_log "[$am] server crash during $spec"
			rc=1
		fi
		rm -f "$base/crash.tmp"
		line="$spec $res${flags:- -} $secs"
		echo "$line" >>"$base/specs.txt"
		case "$flags" in
			*crash* | *killed*)
				lsm_log "[$am] $line"
				reset_db "$base" "$port" >>"$base/reset_db.log" 2>&1 ||
					lsm_log "[$am] could not recreate $DB ($base/reset_db.log)"
				;;
		esac
	done
	rm -f "$base/spec.start"
	echo "$(($(date +%s) - t0))" >"$base/duration"
	lsm_cluster_stop "$base"
	if [ -f "$base/data/postmaster.pid" ]; then
		lsm_as_pg pg_ctl -D "$base/data" -m immediate -w -t 60 stop >/dev/null 2>&1
	fi
	suite_backtraces "$base"
	lsm_log "[$am] done in $(cat "$base/duration")s ($(elapsed)): $(run_figures "$am")"
	return "$rc"
}

# specs.txt lines: SPEC ok|FAILED FLAG... SECONDS, FLAG "-" when none.
# run_figures AM: one line of counts from AM's specs.txt.
run_figures() {
	awk '{ n++; if ($2 == "ok") ok++
		for (i = 3; i < NF; i++) {
			if ($i == "crash") c++
			if ($i ~ /^step-timeouts=/) { t++; st += substr($i, 15) }
			if ($i == "killed") k++
			if ($i == "not-run") nr++
		} }
		END { printf "%d of %d ok vs upstream expected, %d with a crash, %d with step timeouts (%d steps), %d killed, %d not run\n", ok, n, c, t, st, k, nr }' \
		"$WORK/$1/specs.txt"
}

status=0
port=$PORT0
if [ "${PG_ISOLATION_PARALLEL:-0}" = 1 ]; then
	pids=()
	for am in $AMS; do
		run_suite "$am" "$port" &
		pids+=($!)
		port=$((port + 1))
	done
	for p in "${pids[@]}"; do wait "$p" || status=1; done
else
	for am in $AMS; do
		run_suite "$am" "$port" || status=1
		port=$((port + 1))
	done
fi
for am in $AMS; do
	if [ ! -f "$WORK/$am/duration" ]; then
		echo "[$am] did not run ($(cat "$WORK/$am/setup_failed" 2>/dev/null))"
		status=1
		continue
	fi
	echo "[$am] $(cat "$WORK/$am/duration")s: $(run_figures "$am")"
	if [ -s "$WORK/$am/crashes.txt" ]; then
		echo "[$am] SERVER CRASHES ($WORK/$am/crashes.txt):"
		head -n 20 "$WORK/$am/crashes.txt"
		[ -s "$WORK/$am/backtraces.txt" ] && echo "backtraces: $WORK/$am/backtraces.txt"
	fi
	[ -s "$WORK/$am/timeouts.txt" ] && echo "[$am] timeouts: $WORK/$am/timeouts.txt"
done

# ------------------------------------------------------------ 5. compare
# flags_of AM SPEC: the flags of SPEC in AM's specs.txt, space separated
flags_of() {
	awk -v s="$2" '$1 == s { for (i = 3; i < NF; i++) if ($i != "-") { printf "%s%s", sep, $i; sep = " " } }' \
		"$WORK/$1/specs.txt" 2>/dev/null
}

if [ "$AMS" = "lsm heap" ]; then
	cmp="$WORK/compare"
	rm -rf "$cmp"
	mkdir -p "$cmp/diffs"
	: >"$cmp/lsm-vs-heap.diffs"
	# shellcheck disable=SC2086
	suite_compare "$cmp" "$WORK/heap/results" "$WORK/lsm/results" $SPECS >"$cmp/status.txt"
	same=0 differ=0 crash=0
	{
		echo "lsm vs heap, isolation specs in schedule order (PGISOLATIONTIMEOUT=$STEP_TIMEOUT)"
		echo "flags: the lsm run's, then heap's when it has any"
		while read -r st spec rest; do
			fl="$(flags_of lsm "$spec")" fh="$(flags_of heap "$spec")"
			case " $fl $fh " in
				*" crash "*) st=CRASH ;;
				*" not-run "*) st=MISSING ;;
			esac
			case "$st" in
				same) same=$((same + 1)) ;;
				CRASH) crash=$((crash + 1)) ;;
				*) differ=$((differ + 1)) ;;
			esac
			printf '%-8s %-40s %s%s%s\n' "$st" "$spec" "$rest" "${fl:+  lsm: $fl}" "${fh:+  heap: $fh}" | sed 's/ *$//'
		done <"$cmp/status.txt"
		echo
		echo "identical: $same, different: $differ, crash: $crash (of $NSPECS)"
		for am in lsm heap; do
			echo "$am: $(cat "$WORK/$am/duration" 2>/dev/null)s, $(run_figures "$am")"
		done
	} >"$cmp/summary.txt"
	grep -vE '^same ' "$cmp/summary.txt"
	echo "summary: $cmp/summary.txt; per-spec diffs (heap -> lsm): $cmp/diffs/"
	echo "work directory: $WORK; total time $(elapsed)"
	echo "isolation: $same of $NSPECS specs identical to heap, $differ differ, $crash crashes"
else
	am=$AMS
	echo "work directory: $WORK; total time $(elapsed)"
	awk -v am="$am" '{ n++; if ($2 == "ok") ok++; x = y = 0
		for (i = 3; i < NF; i++) { if ($i == "crash") x = 1; if ($i ~ /^step-timeouts=/ || $i == "killed") y = 1 }
		c += x; t += y }
		END { printf "isolation [%s]: %d of %d specs pass against upstream expected, %d crashes, %d with timeouts (step or spec)\n", am, ok, n, c, t }' \
		"$WORK/$am/specs.txt" 2>/dev/null || echo "isolation [$am]: did not run"
fi
exit "$status"
