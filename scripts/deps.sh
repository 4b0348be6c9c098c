#!/bin/sh
# Makes sure the tools a make target needs are present.  Missing ones are
# installed with apt-get when that is permitted (root, or sudo without a
# password), saying what; otherwise prints the one command that would install
# them and fails.
#   usage: scripts/deps.sh <tool>=<debian package> ...
set -eu

missing_pkgs=""
for pair in "$@"; do
    tool=${pair%%=*}
    pkg=${pair#*=}
    case $tool in
        /*) [ -e "$tool" ] && continue ;;
        *) command -v "$tool" >/dev/null 2>&1 && continue ;;
    esac
    case " $missing_pkgs " in *" $pkg "*) ;; *) missing_pkgs="$missing_pkgs $pkg" ;; esac
done
[ -z "$missing_pkgs" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "cx: missing packages:$missing_pkgs" >&2
    echo "cx: install them with: sudo apt-get install -y$missing_pkgs" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "cx: missing packages:$missing_pkgs (no apt-get here: install them with your package manager)" >&2
    exit 1
fi
echo "cx: installing missing packages:$missing_pkgs"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing_pkgs >/dev/null
echo "cx: installed:$missing_pkgs"
