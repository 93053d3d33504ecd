# scripts/lib.sh: shell helpers shared by scripts/*.sh and bench/bench.sh.
#
# Source it; do not run it.  It defines:
#   lsm_log / lsm_die           messages on stderr
#   lsm_pg_env                  PG_CONFIG, PG_BINDIR, PATH for PostgreSQL 15
#   lsm_ensure_deps             apt-get install whatever build/test deps miss
#   lsm_as_pg CMD...            run CMD as OS user postgres when we are root
#   lsm_make_install            make install (via sudo -n if needed and allowed)
#   lsm_cluster_start DIR PORT [conf lines...] / lsm_cluster_stop DIR
#   lsm_psql DIR PORT [psql args...]
# Servers always listen on a Unix socket inside their own throwaway directory
# and never on TCP, so they cannot clash with a system cluster on 5432.

LSM_PG_MAJOR=15
LSM_DEPS="postgresql-$LSM_PG_MAJOR postgresql-server-dev-$LSM_PG_MAJOR libzstd-dev libxxhash-dev libipc-run-perl build-essential"

lsm_log() { printf '==> %s\n' "$*" >&2; }
lsm_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

lsm_is_root() { [ "$(id -u)" -eq 0 ]; }

# Point PG_CONFIG and PATH at PostgreSQL 15 even when /usr/bin/pg_config is
# the libpq-dev one (Debian diverts it) or several majors are installed.
lsm_pg_env() {
	local d="/usr/lib/postgresql/$LSM_PG_MAJOR/bin"
	if [ -x "$d/pg_config" ]; then
		PG_CONFIG="$d/pg_config"
	else
		PG_CONFIG="${PG_CONFIG:-pg_config}"
	fi
	command -v "$PG_CONFIG" >/dev/null 2>&1 ||
		lsm_die "pg_config for PostgreSQL $LSM_PG_MAJOR not found (run scripts/setup.sh)"
	PG_BINDIR="$("$PG_CONFIG" --bindir)"
	PATH="$PG_BINDIR:$PATH"
	export PG_CONFIG PG_BINDIR PATH
}

# Print the packages of $LSM_DEPS that are not installed.
lsm_missing_deps() {
	local p missing=""
	for p in $LSM_DEPS; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
	echo "${missing# }"
}

# Install missing Debian packages.  Root uses apt-get directly; a non-root
# user uses sudo -n when that works, and otherwise gets a clear error.
lsm_ensure_deps() {
	local missing sudo=""
	command -v dpkg-query >/dev/null 2>&1 || {
		lsm_log "dpkg-query not found: not Debian; assuming dependencies are present"
		return 0
	}
	missing="$(lsm_missing_deps)"
	if [ -z "$missing" ]; then
		lsm_log "dependencies present ($LSM_DEPS)"
		return 0
	fi
	if ! lsm_is_root; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo="sudo -n"
		else
			lsm_die "missing packages: $missing; install them as root: apt-get install $missing"
		fi
	fi
	lsm_log "installing missing packages: $missing"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
		lsm_die "apt-get update failed"
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing ||
		lsm_die "apt-get install $missing failed"
}

# lsm_bench_want_gnuplot: with BENCH_INSTALL_GNUPLOT=1, install gnuplot-nox
# if it is missing (bench scripts plot with it when it is there).
lsm_bench_want_gnuplot() {
	if [ "${BENCH_INSTALL_GNUPLOT:-0}" = 1 ] && ! command -v gnuplot >/dev/null 2>&1; then
		(LSM_DEPS=gnuplot-nox lsm_ensure_deps) || lsm_log "could not install gnuplot-nox; no plot"
	fi
}

# Run a command as the unprivileged user postgres if we are root (the server
# refuses to run as root), else as ourselves.  The command runs from a
# directory postgres can enter: initdb fails when it cannot read its cwd.
lsm_as_pg() {
	if lsm_is_root; then
		id postgres >/dev/null 2>&1 || lsm_die "OS user postgres does not exist (is postgresql-$LSM_PG_MAJOR installed?)"
		(cd / && runuser -u postgres -- env "PATH=$PATH" "HOME=${LSM_PG_HOME:-/tmp}" "$@")
	else
		"$@"
	fi
}

# make install into the PostgreSQL installation: directly if we may write
# there, else through sudo -n, else fail with an explanation.
lsm_make_install() {
	local pkglibdir
	pkglibdir="$("$PG_CONFIG" --pkglibdir)"
	if lsm_is_root || [ -w "$pkglibdir" ]; then
		make -s PG_CONFIG="$PG_CONFIG" install
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n make -s PG_CONFIG="$PG_CONFIG" install
	else
		lsm_die "cannot write to $pkglibdir: run as root, or with passwordless sudo"
	fi
}

# Make a fresh directory owned by whoever will run the server.
lsm_pg_tmpdir() {
	local d
	d="$(mktemp -d "${TMPDIR:-/tmp}/lsm_${1:-tmp}.XXXXXX")"
	chmod 755 "$d"
	if lsm_is_root; then chown postgres: "$d"; fi
	echo "$d"
}

# lsm_cluster_start BASEDIR PORT [extra postgresql.conf lines...]
# initdb in BASEDIR/data and start it with shared_preload_libraries=lsm_am;
# the socket lives in BASEDIR, the server log is BASEDIR/server.log.
lsm_cluster_start() {
	local base="$1" port="$2" line
	shift 2
	lsm_as_pg initdb -D "$base/data" -U postgres -A trust --no-sync -E UTF8 \
		--locale=C >"$base/initdb.log" 2>&1 ||
		{ cat "$base/initdb.log" >&2; lsm_die "initdb failed"; }
	{
		echo "# added by lsm_am scripts"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$base'"
		echo "port = $port"
		echo "shared_preload_libraries = 'lsm_am'"
		for line in "$@"; do echo "$line"; done
	} | lsm_as_pg tee -a "$base/data/postgresql.conf" >/dev/null
	lsm_as_pg pg_ctl -D "$base/data" -l "$base/server.log" -w -t 120 start >/dev/null ||
		{ tail -n 30 "$base/server.log" >&2; lsm_die "server did not start (log: $base/server.log)"; }
}

lsm_cluster_stop() {
	local base="$1"
	if [ -f "$base/data/postmaster.pid" ]; then
		lsm_as_pg pg_ctl -D "$base/data" -m fast -w -t 120 stop >/dev/null ||
			lsm_log "pg_ctl stop failed (log: $base/server.log)"
	fi
}

# lsm_cluster_cleanup_on_exit BASEDIR KEEPVAR: when the script exits, stop
# the cluster in BASEDIR, show the end of its log if the script failed, and
# delete BASEDIR unless it failed or the variable named KEEPVAR is 1.
lsm_cluster_cleanup_on_exit() {
	_lsm_cleanup_base="$1"
	_lsm_cleanup_keepvar="$2"
	trap _lsm_cluster_cleanup EXIT
}

_lsm_cluster_cleanup() {
	local rc=$? base="$_lsm_cleanup_base"
	lsm_cluster_stop "$base"
	if [ "$rc" -ne 0 ] && [ -f "$base/server.log" ]; then
		echo "---- last lines of $base/server.log ----" >&2
		tail -n 40 "$base/server.log" >&2
	fi
	if [ "${!_lsm_cleanup_keepvar:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
		lsm_log "cluster directory kept: $base (data in $base/data, log in $base/server.log)"
	else
		rm -rf "$base"
		lsm_log "cluster stopped and $base removed ($_lsm_cleanup_keepvar=1 keeps it)"
	fi
	exit "$rc"
}

# lsm_psql BASEDIR PORT [psql args...]: psql as superuser postgres, stop on
# the first error, no psqlrc.
lsm_psql() {
	local base="$1" port="$2"
	shift 2
	lsm_as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d postgres "$@"
}
