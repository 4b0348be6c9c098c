#!/bin/sh
# The API reference: fills in docs/Doxyfile.in and runs Doxygen on the
# headers and docs/*.md, every warning an error.  `make docs` runs it; so
# does make check (ship.api_reference_builds_without_a_doxygen_warning), where
# it fails if doxygen is missing (make check and make docs install it).
#   usage: build-docs.sh <source root> <output dir>
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
if ! command -v doxygen >/dev/null 2>&1; then
    echo "doxygen is not installed (make check and make docs install it)" >&2
    exit 1
fi
version=$(sed -n 's/^#define CX_VERSION_STRING "\(.*\)"/\1/p' "$src/include/cx/version.h")
sed -e "s|@SOURCE@|$src|g" -e "s|@OUTPUT@|$out|g" -e "s|@VERSION@|$version|g" \
    "$src/docs/Doxyfile.in" > "$out/Doxyfile"
rm -f "$out/warnings.log"
if ! doxygen "$out/Doxyfile"; then
    cat "$out/warnings.log" >&2
    echo "doxygen: $(wc -l < "$out/warnings.log") warnings (they are errors)" >&2
    exit 1
fi
echo "API reference: $out/html/index.html ($(wc -l < "$out/warnings.log") warnings)"
