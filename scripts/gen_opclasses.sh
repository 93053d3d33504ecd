#!/usr/bin/env bash
# scripts/gen_opclasses.sh: write the operator classes of the lsm index
# access method (lsm_index) into sql/lsm_am--0.1.sql from btree's catalog.
#
#   bash scripts/gen_opclasses.sh           rewrite the generated section
#   bash scripts/gen_opclasses.sh --check   exit 1 (showing the diff) when
#                                           sql/lsm_am--0.1.sql differs from
#                                           what it would write
#   bash scripts/gen_opclasses.sh --print   print the section on stdout
#
# Needs the PostgreSQL 15 server binaries (scripts/setup.sh), not lsm_am:
# it starts a throwaway cluster with no preloaded library (scripts/lib.sh;
# as OS user postgres when run as root), on a Unix socket in a new
# directory under ${TMPDIR:-/tmp} (port $LSM_GEN_PORT, default 54340),
# reads pg_opclass, pg_opfamily, pg_amop and pg_amproc there, stops it and
# removes the directory (LSM_GEN_KEEP=1 keeps it).  No network.
#
# The section is the text from the line starting with
# "-- BEGIN generated operator classes" to the line starting with
# "-- END generated operator classes", both included; the rest of the file
# is left as it is.  It holds, for each btree operator class in OPCLASSES:
#   - CREATE OPERATOR FAMILY lsm_am.F for its btree family F (once per
#     family), families in name order;
#   - CREATE OPERATOR CLASS lsm_am.C (DEFAULT if btree's is) for the same
#     type in lsm_am.F, classes of a family in name order, with btree's
#     same-type operators (strategies 1-5) and support functions
#     1 (comparison), 2 (sort support) and 4 (equalimage);
#   - one ALTER OPERATOR FAMILY lsm_am.F ADD per pair of distinct types of
#     OPCLASSES in F that btree's F has members for: its cross-type
#     operators and comparison function, pairs in order of the type names.
# Support function 3 (in_range) is left out: window frames with RANGE
# offsets take it from the sort operator's btree family, never from an
# index AM's, and btvalidate (lsm_index's amvalidate) does not require it.
# Orders use the "C" collation, so the output depends only on the catalog.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
sqlfile="$here/../sql/lsm_am--0.1.sql"

# btree's operator classes (all in pg_catalog) that lsm_index mirrors: the
# default ones of the types README lists and sql/lsm_index.sql tests.
# varchar columns use text_ops, as with btree (binary coercion); btree's
# varchar_ops, a non-default class for type text equal to text_ops, is not
# mirrored.  Adding a name here and regenerating adds an operator class.
OPCLASSES=(
	bool_ops bytea_ops char_ops
	date_ops timestamp_ops timestamptz_ops
	float4_ops float8_ops
	int2_ops int4_ops int8_ops
	interval_ops numeric_ops oid_ops
	name_ops text_ops
	time_ops uuid_ops
)

mode=write
case "${1:-}" in
	"") ;;
	--check) mode=check ;;
	--print) mode=print ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) lsm_die "usage: bash scripts/gen_opclasses.sh [--check | --print]" ;;
esac
[ $# -le 1 ] || lsm_die "usage: bash scripts/gen_opclasses.sh [--check | --print]"
[ -f "$sqlfile" ] || lsm_die "$sqlfile not found"

lsm_pg_env
port="${LSM_GEN_PORT:-54340}"
base="$(lsm_pg_tmpdir gen_opclasses)"
cleanup() {
	local rc=$?
	lsm_cluster_stop "$base"
	if [ "${LSM_GEN_KEEP:-0}" = 1 ]; then
		lsm_log "cluster directory kept: $base"
	else
		rm -rf "$base"
	fi
	exit "$rc"
}
trap cleanup EXIT
# A later line wins: no shared_preload_libraries, so lsm_am need not be
# installed.
lsm_cluster_start "$base" "$port" "shared_preload_libraries = ''" "fsync = off"

opclasses="{$(IFS=,; echo "${OPCLASSES[*]}")}"
q() { lsm_psql "$base" "$port" -At -v "opclasses=$opclasses" "$@"; }

# Every name must be one btree operator class in pg_catalog, and no two of
# them may share a family and a type (their members would collide).
bad="$(q <<'SQL'
SET search_path = pg_catalog;
SELECT 'not a btree operator class in pg_catalog: ' || n
  FROM unnest(:'opclasses'::name[]) n
 WHERE NOT EXISTS (SELECT 1 FROM pg_opclass c
					WHERE c.opcname = n AND c.opcnamespace = 'pg_catalog'::regnamespace
					  AND c.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree'))
UNION ALL
SELECT 'same family and type: ' || string_agg(c.opcname, ', ')
  FROM pg_opclass c
 WHERE c.opcname = ANY (:'opclasses'::name[]) AND c.opcnamespace = 'pg_catalog'::regnamespace
   AND c.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree')
 GROUP BY c.opcfamily, c.opcintype
HAVING count(*) > 1;
SQL
)"
[ -z "$bad" ] || lsm_die "OPCLASSES: $bad"

body="$base/body.sql"
q >"$body" <<'SQL'
SET search_path = pg_catalog;
WITH sel AS (			-- the btree operator classes to mirror
	SELECT c.opcname, c.opcintype, c.opcdefault, c.opcfamily, f.opfname
	  FROM pg_opclass c
	  JOIN pg_opfamily f ON f.oid = c.opcfamily
	 WHERE c.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree')
	   AND c.opcnamespace = 'pg_catalog'::regnamespace
	   AND c.opcname = ANY (:'opclasses'::name[])
), fam AS (
	SELECT DISTINCT opcfamily, opfname FROM sel
), mem AS (				-- members of btree's families, as SQL text
	SELECT o.amopfamily AS fam, o.amoplefttype AS l, o.amoprighttype AS r,
		   1 AS kind, o.amopstrategy AS num,
		   format('OPERATOR %s %s', o.amopstrategy, o.amopopr::regoperator) AS txt
	  FROM pg_amop o
	 WHERE o.amopfamily IN (SELECT opcfamily FROM fam)
	UNION ALL
	SELECT p.amprocfamily, p.amproclefttype, p.amprocrighttype, 2, p.amprocnum,
		   CASE WHEN p.amproclefttype = p.amprocrighttype
				THEN format('FUNCTION %s %s', p.amprocnum, p.amproc::regprocedure)
				ELSE format('FUNCTION %s (%s, %s) %s', p.amprocnum,
							format_type(p.amproclefttype, NULL),
							format_type(p.amprocrighttype, NULL),
							p.amproc::regprocedure) END
	  FROM pg_amproc p
	 WHERE p.amprocfamily IN (SELECT opcfamily FROM fam)
	   AND p.amprocnum IN (1, 2, 4)
), kept AS (			-- only those between the mirrored classes' types
	SELECT m.* FROM mem m
	 WHERE EXISTS (SELECT 1 FROM sel WHERE opcfamily = m.fam AND opcintype = m.l)
	   AND EXISTS (SELECT 1 FROM sel WHERE opcfamily = m.fam AND opcintype = m.r)
), stmt AS (
	SELECT f.opfname::text AS k1, 0 AS k2, '' AS k3, '' AS k4,
		   format('CREATE OPERATOR FAMILY lsm_am.%I USING lsm_index;', f.opfname) AS txt
	  FROM fam f
	UNION ALL
	SELECT s.opfname, 1, s.opcname, '',
		   format(E'CREATE OPERATOR CLASS lsm_am.%I %sFOR TYPE %s USING lsm_index FAMILY lsm_am.%I AS\n',
				  s.opcname, CASE WHEN s.opcdefault THEN 'DEFAULT ' ELSE '' END,
				  format_type(s.opcintype, NULL), s.opfname)
		   || (SELECT string_agg('    ' || k.txt, E',\n' ORDER BY k.kind, k.num)
				 FROM kept k
				WHERE k.fam = s.opcfamily AND k.l = s.opcintype AND k.r = s.opcintype)
		   || ';'
	  FROM sel s
	UNION ALL
	SELECT f.opfname, 2, format_type(k.l, NULL), format_type(k.r, NULL),
		   format(E'ALTER OPERATOR FAMILY lsm_am.%I USING lsm_index ADD\n', f.opfname)
		   || string_agg('    ' || k.txt, E',\n' ORDER BY k.kind, k.num) || ';'
	  FROM kept k JOIN fam f ON f.opcfamily = k.fam
	 WHERE k.l <> k.r
	 GROUP BY f.opfname, k.l, k.r
)
SELECT txt FROM stmt
 ORDER BY k1 COLLATE "C", k2, k3 COLLATE "C", k4 COLLATE "C";
SQL

# An operator class without members would have been dropped (NULL text).
n="$(grep -c '^CREATE OPERATOR CLASS ' "$body" || true)"
[ "$n" -eq "${#OPCLASSES[@]}" ] ||
	lsm_die "generated $n operator classes for ${#OPCLASSES[@]} names in OPCLASSES"

section="$base/section.sql"
{
	cat <<'EOF'
-- BEGIN generated operator classes: generated by scripts/gen_opclasses.sh
-- from btree's catalog; do not edit by hand; regenerate with:
--   bash scripts/gen_opclasses.sh
-- For each btree operator class in the script's OPCLASSES: an operator
-- family and class of the same names, with btree's operators, strategy
-- numbers and support functions 1 (comparison), 2 (sort support) and
-- 4 (equalimage), and btree's cross-type members between those types
-- (not function 3, in_range: it is looked up in btree's families only).
EOF
	cat "$body"
	echo "-- END generated operator classes"
} >"$section"

# splice FILE SECTION: FILE with its generated section replaced by SECTION.
splice() {
	awk -v sec="$2" '
		/^-- BEGIN generated operator classes/ {
			if (state != 0) { bad = 1; exit }
			state = 1
			while ((getline line < sec) > 0) print line
			next
		}
		/^-- END generated operator classes/ {
			if (state != 1) { bad = 1; exit }
			state = 2
			next
		}
		state != 1 { print }
		END { if (bad || state != 2) exit 3 }' "$1"
}

case "$mode" in
	print)
		cat "$section"
		;;
	check)
		splice "$sqlfile" "$section" >"$base/new.sql" ||
			lsm_die "sql/lsm_am--0.1.sql: no single '-- BEGIN generated operator classes' ... '-- END generated operator classes' section"
		if diff -u --label "sql/lsm_am--0.1.sql" --label "generated" "$sqlfile" "$base/new.sql"; then
			lsm_log "sql/lsm_am--0.1.sql: operator classes match btree's catalog (${#OPCLASSES[@]} classes)"
		else
			lsm_log "sql/lsm_am--0.1.sql differs from the generator's output (above); regenerate with: bash scripts/gen_opclasses.sh"
			exit 1
		fi
		;;
	write)
		splice "$sqlfile" "$section" >"$base/new.sql" ||
			lsm_die "sql/lsm_am--0.1.sql: no single '-- BEGIN generated operator classes' ... '-- END generated operator classes' section"
		if cmp -s "$sqlfile" "$base/new.sql"; then
			lsm_log "sql/lsm_am--0.1.sql: unchanged"
		else
			cat "$base/new.sql" >"$sqlfile"
			lsm_log "sql/lsm_am--0.1.sql: operator classes rewritten"
		fi
		;;
esac
