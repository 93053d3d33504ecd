#!/usr/bin/env bash
# scripts/test.sh: build lsm_am and run every test suite.
#
#   bash scripts/test.sh
#
# Steps, each reported as it runs:
#   1. install missing Debian packages (scripts/lib.sh: lsm_ensure_deps);
#   2. copy the working tree (sources only) to a fresh directory under
#      ${TMPDIR:-/tmp}, build it there (plain, then with the extension's
#      Asserts on: make ASSERTS=1) and `make install` the assert build;
#      After the plain build, test/check_layers.sh: the source folders
#      are layers that include and call only their own and lower ones;
#      after `make install`, scripts/gen_opclasses.sh --check: the
#      operator classes in sql/lsm_am--0.1.sql are what the generator
#      writes from btree's catalog (a throwaway cluster, a few seconds);
#   3. `make core-check`: engine-core unit tests, no server;
#   4. pg_regress: `make installcheck` with the TAP tests switched off
#      (REGRESS, in a --temp-instance configured by test/lsm_test.conf);
#   5. isolation specs (`make installcheck` with only ISOLATION), if any;
#   6. TAP tests: `make installcheck` with only the TAP tests, once per
#      test/tap/*.pl script;
#   7. PostgreSQL's isolation suite with lsm next to heap
#      (test/postgres_isolation/run.sh; LSM_TEST_PG_ISOLATION=0 skips it): passes
#      when no server crashes and no spec hangs.
# Steps 4-6 are the three parts of `make installcheck`, run separately so
# that a pg_regress failure does not hide the TAP results.  As root they run
# as OS user postgres (the copy is chowned to it), since servers refuse root.
#
# On failure it prints regression.diffs, the server logs and the TAP logs.
# The last line is "N passed, N failed", counting core test programs,
# pg_regress tests, isolation specs and TAP scripts (a failed build or
# install counts as one failure and stops the run).  Exit status is 0 only
# when nothing failed.  The copy is removed on success and kept (its path is
# printed) on failure, or always with LSM_TEST_KEEP=1.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# Time limits (seconds) so that a hang cannot eat the CI budget (90 min):
# core-check, pg_regress, isolation, and each TAP script.
T_CORE="${LSM_TEST_TIMEOUT_CORE:-600}"
T_REGRESS="${LSM_TEST_TIMEOUT_REGRESS:-1200}"
T_ISOLATION="${LSM_TEST_TIMEOUT_ISOLATION:-600}"
T_TAP="${LSM_TEST_TIMEOUT_TAP:-600}"

PASSED=()
FAILED=()
pass() { PASSED+=("$1"); printf '    PASS  %s\n' "$1"; }
fail() { FAILED+=("$1"); printf '    FAIL  %s\n' "$1"; }
banner() { printf '\n======== %s ========\n' "$*"; }

# Print a file under a header, at most $2 lines (its end).
show_file() {
	local f="$1" max="${2:-400}" n
	[ -s "$f" ] || return 0
	n=$(wc -l <"$f")
	printf -- '---------- %s (%s lines%s) ----------\n' "$f" "$n" \
		"$([ "$n" -gt "$max" ] && echo ", last $max shown")"
	tail -n "$max" "$f"
}

summary() {
	banner "summary"
	local t
	for t in "${FAILED[@]}"; do printf '    FAIL  %s\n' "$t"; done
	[ -n "${work:-}" ] && [ -d "$work" ] && {
		if [ "${#FAILED[@]}" -gt 0 ] || [ "${LSM_TEST_KEEP:-0}" = 1 ]; then
			echo "test tree kept: $work/tree"
		else
			rm -rf "$work"
		fi
	}
	echo "${#PASSED[@]} passed, ${#FAILED[@]} failed"
	[ "${#FAILED[@]}" -eq 0 ]
	exit $?
}

# ---------------------------------------------------------------- setup
banner "dependencies"
(lsm_ensure_deps) || { fail "dependencies"; summary; }
(lsm_pg_env) || { fail "PostgreSQL $LSM_PG_MAJOR not found"; summary; }
lsm_pg_env
echo "PostgreSQL: $("$PG_CONFIG" --version) ($PG_CONFIG)"

banner "build and install"
work="$(lsm_pg_tmpdir test)"
mkdir -p "$work/tree"
# Sources only: build products of someone else's build in the working tree
# must not leak into this one.
tar -C "$src" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=src/core/test/build --exclude=results --exclude=output_iso \
	--exclude='tmp_*' --exclude='regression.*' -cf - . | tar -C "$work/tree" -xf - ||
	{ fail "copy source tree"; summary; }
cd "$work/tree" || exit 1
echo "test tree: $work/tree"
# The tests run the extension built with its Asserts on (make ASSERTS=1;
# LSM_TEST_ASSERTS=0 for a plain build).  First the plain build, so that
# its warnings show too.
ASSERTS="${LSM_TEST_ASSERTS:-1}"
if make -s PG_CONFIG="$PG_CONFIG" >"$work/build.log" 2>&1; then
	echo "    ok    build"
else
	cat "$work/build.log"
	fail "build"
	summary
fi
grep -E 'warning:' "$work/build.log" && echo "(compiler warnings above)"
# The source folders are layers that call only downward (includes and,
# on the objects just built, symbols).
if bash test/check_layers.sh >"$work/layers.log" 2>&1; then
	echo "    ok    $(tail -n 1 "$work/layers.log")"
else
	cat "$work/layers.log"
	fail "layering (test/check_layers.sh)"
fi
if [ "$ASSERTS" = 1 ]; then
	make -s clean >/dev/null 2>&1
	if make -s PG_CONFIG="$PG_CONFIG" ASSERTS=1 >"$work/build-asserts.log" 2>&1; then
		echo "    ok    build with assertions (make ASSERTS=1)"
	else
		cat "$work/build-asserts.log"
		fail "build with assertions"
		summary
	fi
	# An assert-only server function would be missing from Debian's server.
	missing=$(comm -23 \
		<(nm -D --undefined-only lsm_am.so | awk '{print $2}' | grep -v '@' | sort -u) \
		<(nm -D --defined-only "$("$PG_CONFIG" --bindir)/postgres" | awk '{print $3}' | sort -u) |
		grep -Ev '^(XXH|ZSTD_|_ITM_|__gmon_start__|log$|lround$|pow$|floor$|ceil$|sqrt$|exp$)' || true)
	if [ -n "$missing" ]; then
		echo "symbols the server does not export: $missing"
		fail "build with assertions (symbols)"
		summary
	fi
fi
if (lsm_make_install) >"$work/install.log" 2>&1; then
	echo "    ok    make install"
else
	cat "$work/install.log"
	fail "make install"
	summary
fi
# The generated section of the install script matches btree's catalog of
# the installed server (scripts/gen_opclasses.sh --check shows the diff).
if bash scripts/gen_opclasses.sh --check >"$work/opclasses.log" 2>&1; then
	echo "    ok    operator classes match btree's catalog (scripts/gen_opclasses.sh --check)"
else
	cat "$work/opclasses.log"
	fail "operator classes (scripts/gen_opclasses.sh --check)"
fi

# ---------------------------------------------------------------- core
banner "core unit tests: make core-check"
core_tests=$(cd src/core/test 2>/dev/null && ls test_*.c 2>/dev/null | sed 's/\.c$//')
if timeout -k 30 "$T_CORE" make PG_CONFIG="$PG_CONFIG" core-check; then
	for t in $core_tests; do pass "core: $t"; done
	[ -z "$core_tests" ] && echo "(no src/core/test/test_*.c)"
else
	# core-check stops at the first failure: run each one for the tally.
	echo "make core-check failed; running each core test on its own:"
	for t in $core_tests; do
		if make -s PG_CONFIG="$PG_CONFIG" "src/core/test/build/$t" >/dev/null 2>&1 &&
			timeout -k 30 "$T_CORE" "src/core/test/build/$t" >"$work/core-$t.log" 2>&1; then
			pass "core: $t"
		else
			show_file "$work/core-$t.log" 100
			fail "core: $t"
		fi
	done
	[ -z "$core_tests" ] && fail "core: make core-check"
fi

# Everything below starts servers: hand the tree to postgres when root.
if lsm_is_root; then chown -R postgres: "$work"; fi
# pg_make SECONDS make-args...: make in the test tree, as postgres if root.
pg_make() {
	local limit="$1"
	shift
	lsm_as_pg timeout -k 30 "$limit" make -C "$work/tree" PG_CONFIG="$PG_CONFIG" "$@"
	local rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "TIMEOUT: make $* ran longer than ${limit}s"
		stop_leftover_servers
	fi
	return "$rc"
}

# After a timeout the harness had no chance to stop its servers: stop every
# server still running from a data directory inside the test tree.
stop_leftover_servers() {
	local pid
	find "$work/tree" -name postmaster.pid 2>/dev/null | while read -r pid; do
		echo "stopping leftover server $(dirname "$pid")"
		lsm_as_pg pg_ctl -D "$(dirname "$pid")" -m immediate -w stop >/dev/null 2>&1
	done
}

# Report a pg_regress-style run (pg_regress or pg_isolation_regress):
# report_pg_regress LABEL OUTPUT EXIT_CODE RESULT_DIR (relative, "" or
# ending in /).  PG15 prints "test NAME ... ok|FAILED|failed (ignored)"
# (or, inside a parallel group, "     NAME ... ok").  Sets nres to the
# number of tests seen.
report_pg_regress() {
	local label="$1" out="$2" rc="$3" dir="$4" name verdict
	nres=0
	while read -r name verdict; do
		nres=$((nres + 1))
		case "$verdict" in
			ok) pass "$label: $name" ;;
			*) fail "$label: $name ($verdict)" ;;
		esac
	done < <(sed -nE 's/^(test)? +([A-Za-z0-9_.-]+) +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\2 \3/p' "$out")
	if [ "$rc" -ne 0 ]; then
		if [ "$nres" -eq 0 ] || ! grep -q 'FAILED' "$out"; then
			fail "$label: make installcheck exited $rc"
		fi
		show_file "${dir}regression.diffs" 2000
		show_file "${dir}log/postmaster.log" 200
		if [ "$nres" -eq 0 ]; then show_file "${dir}log/initdb.log" 50; fi
	fi
	return 0
}

# ---------------------------------------------------------------- pg_regress
banner "pg_regress: make installcheck (REGRESS)"
pg_make "$T_REGRESS" installcheck TAP_TESTS= ISOLATION= 2>&1 | tee "$work/regress.out"
rc=${PIPESTATUS[0]}
report_pg_regress regress "$work/regress.out" "$rc" ""
if [ "$rc" -eq 0 ] && [ "$nres" -eq 0 ]; then
	echo "(no pg_regress tests: sql/*.sql is empty)"
fi

# ---------------------------------------------------------------- isolation
if ls test/isolation/specs/*.spec >/dev/null 2>&1; then
	banner "isolation: make installcheck (ISOLATION)"
	pg_make "$T_ISOLATION" installcheck REGRESS= TAP_TESTS= 2>&1 | tee "$work/isolation.out"
	rc=${PIPESTATUS[0]}
	report_pg_regress isolation "$work/isolation.out" "$rc" output_iso/
fi

# ---------------------------------------------------------------- TAP
# One prove run per script: a BAIL_OUT (e.g. "pg_ctl start failed") stops
# prove altogether, and must not keep the other scripts from running.  A
# script passes only on prove's own "NAME.pl .. ok" line.
banner "TAP: make installcheck (test/tap/*.pl)"
tap_tests=$(ls test/tap/*.pl 2>/dev/null)
[ -z "$tap_tests" ] && echo "(no TAP tests)"
for t in $tap_tests; do
	name=$(basename "$t" .pl)
	echo "---- $t"
	pg_make "$T_TAP" -s installcheck REGRESS= ISOLATION= PROVE_TESTS="$t" 2>&1 | tee "$work/tap-$name.out"
	rc=${PIPESTATUS[0]}
	# The next prove run empties tmp_check: keep this script's logs.
	mkdir -p "tap_logs/$name" && cp -r tmp_check/log/. "tap_logs/$name/" 2>/dev/null
	if [ "$rc" -eq 0 ] && grep -qE "^$t \.+ ok" "$work/tap-$name.out"; then
		pass "tap: $t"
	else
		fail "tap: $t"
		show_file "tap_logs/$name/regress_log_$name" 600
		for f in "tap_logs/$name"/*.log; do show_file "$f" 150; done
	fi
done

# ---------------------------------------------------------------- PG isolation
# PostgreSQL's own isolation suite, lsm next to heap (test/postgres_isolation/
# run.sh, with the extension installed above).  The step passes when no
# server crashed and no spec hung past its limit; specs whose output
# differs from heap's are listed, not failed (see README).
if [ "${LSM_TEST_PG_ISOLATION:-1}" = 1 ]; then
	banner "PostgreSQL isolation suite: lsm vs heap (test/postgres_isolation/run.sh)"
	if PG_ISOLATION_INSTALL=0 PG_ISOLATION_WORK="$work/pg_isolation" \
		timeout -k 30 "${LSM_TEST_TIMEOUT_PG_ISOLATION:-1800}" \
		bash test/postgres_isolation/run.sh 2>&1 | tee "$work/pg_isolation.out" | tail -n 40; then
		pass "pg isolation suite: no crash, no hung spec ($(grep -E '^isolation: ' "$work/pg_isolation.out" | tail -n 1))"
	else
		show_file "$work/pg_isolation/lsm/crashes.txt" 100
		show_file "$work/pg_isolation/lsm/backtraces.txt" 300
		fail "pg isolation suite (crash, hung spec or no result)"
	fi
fi

summary
