#!/bin/sh
# A shared library exports only cx's names: every defined dynamic symbol is
# cx_* (public), or a cx__* helper listed in abi/internal-symbols.txt (the
# machinery the statement macros and inline functions expand to).  Also
# checks the soname and the symbol version.
#   usage: check-symbols.sh <library.so> <soname> <internal-symbols.txt>
set -eu
lib=$1 soname=$2 allow=$3
status=0
actual=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$actual" != "$soname" ]; then
    echo "$lib: soname is '$actual', want '$soname'" >&2
    status=1
fi
# Defined symbols, without the version nodes (type A) themselves.
syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sort -u)
count=0
for s in $syms; do
    name=${s%%@*}
    count=$((count + 1))
    case $name in
    cx__*)
        listed=no
        for pattern in $(sed -e '/^#/d' -e 's/[[:space:]].*//' "$allow"); do
            # shellcheck disable=SC2254
            case $name in $pattern) listed=yes; break ;; esac
        done
        [ $listed = yes ] || { echo "$lib: exports $name, an internal name not listed in $allow" >&2; status=1; } ;;
    cx_*) ;;
    *) echo "$lib: exports $name, not a cx name" >&2; status=1 ;;
    esac
    case $s in
    *@CX_0) ;;
    *) echo "$lib: $s carries no CX_0 symbol version" >&2; status=1 ;;
    esac
done
[ "$count" -gt 0 ] || { echo "$lib: exports nothing" >&2; status=1; }
[ $status = 0 ] && echo "$lib: $count symbols, all cx names, soname $soname"
exit $status
