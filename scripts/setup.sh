#!/usr/bin/env bash
# scripts/setup.sh: from a fresh Debian 12 machine to a running demo.
#
#   bash scripts/setup.sh
#
# 1. installs the missing Debian packages (PostgreSQL 15 server and headers,
#    zstd, xxhash, IPC::Run, build-essential) -- needs root, or a non-root
#    user with passwordless sudo, or a non-root user with all of them present;
# 2. builds the extension and installs it into PostgreSQL 15;
# 3. runs scripts/demo.sh (a throwaway cluster with an lsm table in it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
cd "$here/.."

lsm_ensure_deps
lsm_pg_env

lsm_log "building lsm_am ($PG_CONFIG)"
make -s PG_CONFIG="$PG_CONFIG"
lsm_log "installing into $("$PG_CONFIG" --pkglibdir)"
lsm_make_install

lsm_log "running scripts/demo.sh"
exec bash "$here/demo.sh" </dev/null
