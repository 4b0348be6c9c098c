#!/bin/sh
# The cheap half of `make deb`, run by make check: every file `cmake
# --install` puts under /usr is claimed by exactly one debian/*.install
# pattern, and every pattern claims something, so a new header or library
# cannot silently miss (or land twice in) the packages; and the changelog's
# version is cx's.
#   usage: check-debian-install.sh <build dir> <source root>
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
DESTDIR="$work/root" cmake --install "$build" --prefix /usr >/dev/null
# Configured for another prefix, CMake installs into usr/lib/ where a
# Debian build puts usr/lib/<triplet>/: move there, as the patterns expect.
cd "$work/root"
if ! ls -d usr/lib/*-linux-gnu* >/dev/null 2>&1; then
    mkdir "$work/multiarch"
    mv usr/lib/* "$work/multiarch/"
    mv "$work/multiarch" "usr/lib/$(gcc -print-multiarch 2>/dev/null || echo multiarch)"
fi
find . \( -type f -o -type l \) | sed 's|^\./||' | sort > "$work/installed"
status=0
# The packages carry the library's version.
deb_version=$(sed -n '1s/^cx (\([^-)]*\).*/\1/p' "$src/debian/changelog")
cx_version=$(sed -n 's/^#define CX_VERSION_STRING "\(.*\)"/\1/p' "$src/include/cx/version.h")
if [ "$deb_version" != "$cx_version" ]; then
    echo "debian/changelog is at $deb_version, cx/version.h at $cx_version: add a changelog entry" >&2
    status=1
fi
: > "$work/claimed"
for inst in "$src"/debian/*.install; do
    pkg=$(basename "$inst" .install)
    while read -r pattern; do
        [ -n "$pattern" ] || continue
        # shellcheck disable=SC2086
        matched=$(cd "$work/root" && for f in $pattern; do
            [ -e "$f" ] || [ -L "$f" ] || continue
            if [ -d "$f" ]; then find "$f" \( -type f -o -type l \); else echo "$f"; fi
        done)
        matched=$(echo "$matched" | sed '/^$/d')
        if [ -z "$matched" ]; then
            echo "debian/$pkg.install: $pattern matches nothing cmake installs" >&2; status=1
        fi
        echo "$matched" | sed "/^$/d; s|\$| $pkg|" >> "$work/claimed"
    done < "$inst"
done
while read -r f; do
    owners=$(grep -c "^$f " "$work/claimed" || true)
    if [ "$owners" -eq 0 ]; then
        echo "$f is installed but in no package (add it to a debian/*.install)" >&2; status=1
    elif [ "$owners" -gt 1 ]; then
        echo "$f is claimed by $owners packages: $(grep "^$f " "$work/claimed" | cut -d' ' -f2 | tr '\n' ' ')" >&2; status=1
    fi
done < "$work/installed"
[ $status = 0 ] && echo "$(wc -l < "$work/installed") installed files, each in exactly one package"
exit $status
