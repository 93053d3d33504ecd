#!/usr/bin/env bash
# test/check_layers.sh: the source folders are layers, and a file may use
# only its own folder and the folders below it.
#
#   core      <- storage <- engine <- table, index <- extension
#
# (table/ and index/ are side by side: neither includes the other.)  Checked
# from the #include lines of every .c and .h under src/: an include of
# "F/..." where F is one of these folders must name F at or below the
# including file's own layer; a file directly in src/ is refused (every
# file belongs to a layer); src/core/ includes nothing of PostgreSQL
# (no postgres.h, no PostgreSQL header) and nothing of the other folders.
# Then, when the object files exist (after make), the same rule on the
# symbols themselves: each undefined symbol of an object that another
# object of ours defines must be defined in the same or a lower layer, so
# a declaration copied by hand cannot hide an upward call.
#
# Exit status 0 when every rule holds; 1 with one line per violation.
set -uo pipefail

top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top/src" || exit 1

rank() {
	case "$1" in
		core) echo 0 ;;
		storage) echo 1 ;;
		engine) echo 2 ;;
		table | index) echo 3 ;;
		extension) echo 4 ;;
		*) echo -1 ;;
	esac
}

bad=0
fail() {
	echo "layering: $*"
	bad=$((bad + 1))
}

for f in $(find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	case "$f" in
		*/*) ;;
		*)
			fail "$f is not in a layer folder"
			continue
			;;
	esac
	layer="${f%%/*}"
	r=$(rank "$layer")
	if [ "$r" -lt 0 ]; then
		fail "$f: unknown folder $layer"
		continue
	fi
	while IFS= read -r inc; do
		target="${inc%%/*}"
		if [ "$layer" = core ]; then
			case "$inc" in
				*/*) fail "$f includes \"$inc\": the core includes only its own headers" ;;
			esac
			continue
		fi
		tr=$(rank "$target")
		[ "$tr" -lt 0 ] && continue    # a PostgreSQL header ("access/...", ...)
		if [ "$tr" -gt "$r" ]; then
			fail "$f includes \"$inc\": $layer/ may not use the higher $target/"
		elif [ "$tr" -eq "$r" ] && [ "$target" != "$layer" ]; then
			fail "$f includes \"$inc\": $layer/ and $target/ are side by side"
		fi
	done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
	if [ "$layer" = core ] && grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]+[<"](postgres|postgres_fe|c)\.h[">]' "$f"; then
		fail "$f: the core must not include PostgreSQL headers"
	fi
done

# Symbols: who defines what, among our objects.
objs=$(find . -name '*.o' | sed 's|^\./||' | sort)
if [ -n "$objs" ]; then
	defs=$(mktemp)
	trap 'rm -f "$defs"' EXIT
	for o in $objs; do
		nm -g --defined-only "$o" 2>/dev/null | awk -v o="$o" 'NF >= 3 { print $3, o }'
	done | sort -u >"$defs"
	for o in $objs; do
		layer="${o%%/*}"
		r=$(rank "$layer")
		[ "$r" -lt 0 ] && continue
		while read -r sym; do
			def=$(awk -v s="$sym" '$1 == s { print $2; exit }' "$defs")
			[ -n "$def" ] || continue
			dl="${def%%/*}"
			dr=$(rank "$dl")
			if [ "$dr" -gt "$r" ]; then
				fail "$o uses $sym of $def: $layer/ may not call the higher $dl/"
			elif [ "$dr" -eq "$r" ] && [ "$dl" != "$layer" ]; then
				fail "$o uses $sym of $def: $layer/ and $dl/ are side by side"
			fi
		done < <(nm -u "$o" 2>/dev/null | awk '{ print $2 }')
	done
fi

if [ "$bad" -gt 0 ]; then
	echo "layering: $bad violation(s)"
	exit 1
fi
echo "layering: ok ($(find . -name '*.[ch]' | wc -l) files${objs:+, $(echo "$objs" | wc -l) objects})"
