#!/bin/sh
# make deb: builds the Debian packages (unsigned, binary only) from a copy of
# the source tree, so the checkout and its parent stay clean, then checks
# them with tests/ship/check-deb.sh.  The .deb files land in <out>.
#   usage: scripts/build-deb.sh <out dir>
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
rm -rf "$out"
mkdir -p "$out/src"
# The tree as a fresh clone has it: tracked files when this is a git
# checkout, else everything but build directories.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        grep -zv '^build' | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$out/src"
else
    (cd "$root" && tar --exclude='./build*' -cf - .) | tar -xf - -C "$out/src"
fi
(cd "$out/src" && DEB_BUILD_OPTIONS="parallel=${JOBS:-2} nocheck" \
    dpkg-buildpackage -us -uc -b > "$out/build.log" 2>&1) || {
    tail -n 40 "$out/build.log" >&2; echo "dpkg-buildpackage failed: $out/build.log" >&2; exit 1; }
rm -rf "$out/src"
echo "built:"
for deb in "$out"/*.deb; do echo "  $(basename "$deb")"; done
"$root/tests/ship/check-deb.sh" "$out" "$root"
