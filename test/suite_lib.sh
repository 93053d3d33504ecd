# shellcheck shell=bash
# test/suite_lib.sh: shell helpers shared by the scripts that run one of
# PostgreSQL 15's own test suites twice, with default_table_access_method =
# lsm and with heap (test/postgres_regress/run.sh, test/postgres_isolation/run.sh).
#
# Source it after scripts/lib.sh and lsm_pg_env; do not run it.  It defines:
#   suite_find_source CACHE FILE   print the PostgreSQL 15 source tree: $PGSRC,
#                                  /root/pgsrc/postgresql-15-*,
#                                  CACHE/pgsrc/postgresql-15-*, or fetched
#                                  into CACHE/pgsrc with apt-get source
#                                  (FILE: a path inside the tree that must
#                                  exist, e.g. src/test/regress/parallel_schedule)
#   suite_workdir DIR NAME         set WORK: DIR (made, owned by postgres) if
#                                  not empty, else a fresh lsm_NAME.XXXXXX
#   suite_install_lsm_am TOP WORK  build lsm_am from a copy of TOP in
#                                  WORK/build and make install it
#   suite_cluster_start BASE PORT PRELOAD CONF [LINE...]
#                                  initdb BASE/data (as postgres; UTF8,
#                                  --no-locale); postgresql.conf gets a
#                                  "# added by $SUITE_NAME" header, a Unix
#                                  socket in BASE only, port PORT,
#                                  shared_preload_libraries = PRELOAD, the
#                                  settings common to the suites, LINE...,
#                                  and last the CONF lines (newline
#                                  separated); start it (core files allowed);
#                                  CREATE EXTENSION lsm_am in template1 and
#                                  postgres
#   suite_psql BASE PORT DB [psql args...]
#   suite_create_db BASE PORT DB   CREATE DATABASE DB from template1 with
#                                  the settings pg_regress gives its databases
#   suite_set_default_am BASE PORT AM DB
#                                  default_table_access_method = AM in
#                                  postgresql.conf, reload, check it in DB
#   suite_activity BASE PORT FILE  pg_stat_activity (other backends) to FILE
#   suite_crash_lines LOG          the lines of a server log that mean a
#                                  crash (signal, PANIC, TRAP, ...)
#   suite_backtraces BASE          gdb backtraces of BASE/data/core* into
#                                  BASE/backtraces.txt (as root, gdb is
#                                  apt-get installed when missing)
#   suite_compare CMP HEAPDIR LSMDIR NAME...
#                                  cmp HEAPDIR/NAME.out with LSMDIR/NAME.out;
#                                  print "same / DIFFERS / MISSING  NAME"
#                                  lines, write CMP/diffs/NAME.diff (heap ->
#                                  lsm) and append it to CMP/lsm-vs-heap.diffs;
#                                  counts in SUITE_SAME, SUITE_DIFFER,
#                                  SUITE_MISSING

SUITE_CRASH_RE='terminated by signal|TRAP:|PANIC:|was terminated by exception|stuck spinlock|terminating any other active server processes'

suite_find_source() {
	local cache="$1" file="$2" d
	if [ -n "${PGSRC:-}" ]; then
		[ -f "$PGSRC/$file" ] || lsm_die "PGSRC=$PGSRC has no $file"
		echo "$PGSRC"
		return
	fi
	for d in $(ls -d /root/pgsrc/postgresql-15-* "$cache"/pgsrc/postgresql-15-* 2>/dev/null | sort -rV); do
		if [ -f "$d/$file" ]; then
			echo "$d"
			return
		fi
	done
	suite_fetch_source "$cache" "$file"
}

# apt-get source postgresql-15 into CACHE/pgsrc (network, first use only).
suite_fetch_source() {
	local cache="$1/pgsrc" file="$2" d
	lsm_is_root || lsm_die "no PostgreSQL 15 source: set PGSRC, or run once as root to apt-get source it"
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
		! grep -qs '^deb-src' /etc/apt/sources.list; then
		[ -f /etc/apt/sources.list.d/debian.sources ] ||
			lsm_die "no deb-src stanza and no /etc/apt/sources.list.d/debian.sources to copy"
		lsm_log "adding /etc/apt/sources.list.d/debian-src.sources (deb-src copy of debian.sources)"
		sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/debian-src.sources
	fi
	command -v dpkg-source >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dpkg-dev >&2 ||
		lsm_die "apt-get install dpkg-dev failed"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || lsm_die "apt-get update failed"
	mkdir -p "$cache"
	# The newest source version can be missing from a mirror that has its
	# binaries (404): then the older ones apt knows, newest first.
	if ! (cd "$cache" && apt-get source -q postgresql-15 >&2); then
		local v ok=0
		for v in $(apt-cache showsrc postgresql-15 2>/dev/null | sed -n 's/^Version: //p' | sort -urV); do
			lsm_log "apt-get source postgresql-15 failed; trying postgresql-15=$v"
			if (cd "$cache" && apt-get source -q "postgresql-15=$v" >&2); then
				ok=1
				break
			fi
		done
		[ "$ok" = 1 ] || lsm_die "apt-get source postgresql-15 failed"
	fi
	d=$(ls -d "$cache"/postgresql-15-* 2>/dev/null | sort -rV | head -n 1)
	[ -f "$d/$file" ] || lsm_die "apt-get source gave no $file"
	echo "$d"
}

suite_workdir() {
	if [ -n "$1" ]; then
		WORK="$1"
		mkdir -p "$WORK"
		chmod 755 "$WORK"
		lsm_is_root && chown postgres: "$WORK"
	else
		WORK="$(lsm_pg_tmpdir "$2")"
	fi
}

suite_install_lsm_am() {
	local top="$1" work="$2"
	lsm_log "building and installing lsm_am from $top"
	rm -rf "$work/build"
	mkdir -p "$work/build"
	tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
		--exclude=src/core/test/build --exclude=results --exclude=output_iso \
		--exclude='tmp_*' --exclude='regression.*' -cf - . | tar -C "$work/build" -xf - ||
		lsm_die "copy of the source tree failed"
	(cd "$work/build" && make -s PG_CONFIG="$PG_CONFIG" >"$work/build.log" 2>&1) ||
		{ tail -n 40 "$work/build.log"; lsm_die "lsm_am build failed"; }
	(cd "$work/build" && lsm_make_install >>"$work/build.log" 2>&1) ||
		{ tail -n 40 "$work/build.log"; lsm_die "lsm_am make install failed"; }
}

suite_psql() {
	local base="$1" port="$2" db="$3"
	shift 3
	lsm_as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d "$db" "$@"
}

suite_cluster_start() {
	local base="$1" port="$2" preload="$3" conf="$4" line
	shift 4
	lsm_as_pg initdb -D "$base/data" -U postgres -A trust --no-sync -E UTF8 --no-locale \
		>"$base/initdb.log" 2>&1 || { cat "$base/initdb.log"; return 1; }
	{
		echo "# added by $SUITE_NAME"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$base'"
		echo "port = $port"
		echo "shared_preload_libraries = $preload"
		echo "lsm_am.memtable_size = '1MB'"
		echo "max_worker_processes = 16"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
		[ -n "$conf" ] && printf '%s\n' "$conf"
	} | lsm_as_pg tee -a "$base/data/postgresql.conf" >/dev/null
	# -c: allow core files (kernel.core_pattern permitting), in the data dir
	lsm_as_pg pg_ctl -c -D "$base/data" -l "$base/server.log" -w -t 120 start >/dev/null ||
		{ tail -n 30 "$base/server.log"; return 1; }
	suite_psql "$base" "$port" template1 -c 'CREATE EXTENSION lsm_am' &&
		suite_psql "$base" "$port" postgres -c 'CREATE EXTENSION lsm_am' ||
		{ lsm_cluster_stop "$base"; return 1; }
}

suite_create_db() {
	local base="$1" port="$2" db="$3"
	suite_psql "$base" "$port" postgres <<-EOF
		CREATE DATABASE $db TEMPLATE template1;
		ALTER DATABASE $db SET lc_messages TO 'C';
		ALTER DATABASE $db SET lc_monetary TO 'C';
		ALTER DATABASE $db SET lc_numeric TO 'C';
		ALTER DATABASE $db SET lc_time TO 'C';
		ALTER DATABASE $db SET bytea_output TO 'hex';
		ALTER DATABASE $db SET timezone_abbreviations TO 'Default';
	EOF
}

suite_set_default_am() {
	local base="$1" port="$2" am="$3" db="$4"
	echo "default_table_access_method = '$am'" | lsm_as_pg tee -a "$base/data/postgresql.conf" >/dev/null
	lsm_as_pg pg_ctl -D "$base/data" reload >/dev/null
	sleep 1
	suite_psql "$base" "$port" "$db" -Atc 'SHOW default_table_access_method' | grep -qx "$am" ||
		{ echo "default_table_access_method is not $am"; return 1; }
}

suite_activity() {
	local base="$1" port="$2" file="$3"
	suite_psql "$base" "$port" postgres -c \
		"SELECT pid, datname, state, wait_event_type, wait_event, now() - query_start AS running, left(query, 200) AS query FROM pg_stat_activity WHERE pid <> pg_backend_pid()" \
		>"$file" 2>&1
}

suite_crash_lines() {
	grep -nE "$SUITE_CRASH_RE" "$1"
}

suite_backtraces() {
	local base="$1" c
	if [ -n "$(find "$base/data" -maxdepth 1 -name 'core*' -type f 2>/dev/null)" ] &&
		! command -v gdb >/dev/null 2>&1 && lsm_is_root; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gdb >&2 ||
			lsm_log "apt-get install gdb failed: no backtraces"
	fi
	for c in $(find "$base/data" -maxdepth 1 -name 'core*' -type f 2>/dev/null); do
		{
			echo "==== $c"
			gdb -batch -ex 'bt full' "$PG_BINDIR/postgres" "$c" 2>/dev/null | head -n 200
		} >>"$base/backtraces.txt"
	done
}

suite_compare() {
	local cmp="$1" heap="$2" lsm="$3" t h l
	shift 3
	SUITE_SAME=0 SUITE_DIFFER=0 SUITE_MISSING=0
	for t in "$@"; do
		h="$heap/$t.out" l="$lsm/$t.out"
		if [ ! -f "$h" ] || [ ! -f "$l" ]; then
			echo "MISSING  $t"
			SUITE_MISSING=$((SUITE_MISSING + 1))
		elif cmp -s "$h" "$l"; then
			echo "same     $t"
			SUITE_SAME=$((SUITE_SAME + 1))
		else
			diff -U3 --label "heap/$t.out" --label "lsm/$t.out" "$h" "$l" >"$cmp/diffs/$t.diff"
			cat "$cmp/diffs/$t.diff" >>"$cmp/lsm-vs-heap.diffs"
			echo "DIFFERS  $t  ($(grep -c '^[-+][^-+]' "$cmp/diffs/$t.diff") lines)"
			SUITE_DIFFER=$((SUITE_DIFFER + 1))
		fi
	done
}
