#!/bin/sh
# A private PostgreSQL server for the tests (and `make tour PG=1`).
#
#   scripts/pg-server.sh start DIR [WATCH_PID]
#       initdb into a fresh private directory /tmp/cxpg.XXXXXX (short, so the
#       Unix socket path stays far below the 107-byte limit), start the server
#       listening on a Unix socket in that directory only (no TCP), wait until
#       it accepts connections, create the role and database the tests use,
#       and write DIR/env.  DIR is created if needed; a server already recorded
#       in DIR is stopped first.  When the caller is root the server runs as
#       Debian's `postgres` user.  A watchdog stops the server and removes
#       everything when process WATCH_PID dies (default: the caller's parent,
#       i.e. ctest when the CTest fixture runs this; 0: no watchdog), so an
#       interrupted test run leaves nothing behind.
#   scripts/pg-server.sh stop DIR
#       stop the server (fast mode), end the watchdog, remove the private
#       directory and DIR.  Stopping a DIR with no server succeeds.
#   scripts/pg-server.sh crash DIR
#       `pg_ctl stop -m immediate`: the server dies as in a crash, files stay;
#       `stop DIR` still cleans up.  For fault tests.
#
# DIR/env holds shell-sourceable KEY=VALUE lines (values never need quoting):
#   PGHOST=/tmp/cxpg.XXXXXX   the socket directory
#   PGPORT=5432               the socket's port number (no TCP listener)
#   PGUSER=cx                 a LOGIN role that owns PGDATABASE (trust auth)
#   PGDATABASE=cx
#   CX_PG_SECRET_USER=cx_secret          a role that must give a password
#   CX_PG_SECRET_PASSWORD=cx-secret-pw   (scram-sha-256) and its password
#   CX_PG_DATA=/tmp/cxpg.XXXXXX/data     the data directory
# The CTest fixture `pg_server` (cmake/databases.cmake) runs `start
# <build>/pg` and `stop <build>/pg`; tests find the file through the
# environment variable CX_PG_ENV=<build>/pg/env.
#
# A missing PostgreSQL installation is an error (exit status 1) with a clear
# message, never a skip.  Binaries are taken from $PG_BINDIR when it is set
# (and nowhere else), otherwise from /usr/lib/postgresql/*/bin (newest
# first), then PATH.
set -eu

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

die() { echo "pg-server: $*" >&2; exit 1; }

usage() { die "usage: $self start DIR [WATCH_PID] | stop DIR | crash DIR"; }

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] && [ -x "$PG_BINDIR/postgres" ] ||
            die "no PostgreSQL server in PG_BINDIR=$PG_BINDIR (initdb, pg_ctl, postgres): install Debian's 'postgresql' package or fix PG_BINDIR"
        echo "$PG_BINDIR"; return
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            echo "$d"; return
        fi
    done
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"; return
    fi
    die "no PostgreSQL server found (initdb, pg_ctl, postgres in /usr/lib/postgresql/*/bin or PATH): install Debian's 'postgresql' package (make deps does)"
}

# Runs a command as the server's owner: `postgres` when we are root.
as_owner() {
    if [ "$(id -u)" != 0 ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        die "running as root, but neither runuser nor setpriv is available to drop to 'postgres'"
    fi
}

# Process start time, so a recycled pid is not mistaken for the watched one.
start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null || true; }

alive() { [ -n "$2" ] && [ "$(start_time "$1")" = "$2" ]; }

do_stop() {
    dir=$1 mode=${2:-fast}
    [ -f "$dir/root" ] || { rm -rf "$dir"; return 0; }
    root=$(cat "$dir/root")
    if [ -f "$dir/watchdog" ]; then
        read -r wpid wstart < "$dir/watchdog" || true
        if [ "${wpid:-}" != "$$" ] && alive "$wpid" "${wstart:-}"; then
            kill "$wpid" 2>/dev/null || true
        fi
    fi
    bindir=$(find_bindir)
    case $root in /tmp/cxpg.*) ;; *) die "refusing to remove $root (not a /tmp/cxpg.* directory)" ;; esac
    if [ -f "$root/data/postmaster.pid" ]; then
        (cd / && as_owner "$bindir/pg_ctl" stop -D "$root/data" -m "$mode" -w -t 60 >/dev/null 2>&1) || true
    fi
    rm -rf "$root" "$dir"
}

do_crash() {
    dir=$1
    [ -f "$dir/root" ] || die "no server recorded in $dir"
    root=$(cat "$dir/root")
    bindir=$(find_bindir)
    (cd / && as_owner "$bindir/pg_ctl" stop -D "$root/data" -m immediate -w -t 60 >/dev/null) ||
        die "pg_ctl stop -m immediate failed for $root/data"
}

do_watch() {
    dir=$1 pid=$2 pstart=$3
    while alive "$pid" "$pstart" && [ -f "$dir/root" ]; do
        sleep 1
    done
    [ -f "$dir/root" ] && do_stop "$dir"
    exit 0
}

do_start() {
    dir=$1 watch=${2:-$PPID}
    bindir=$(find_bindir)
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        die "running as root and there is no 'postgres' user to run the server as (Debian's 'postgresql' package creates it)"
    fi
    [ -f "$dir/root" ] && do_stop "$dir"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    root=$(mktemp -d /tmp/cxpg.XXXXXX)
    echo "$root" > "$dir/root"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$root"
    chmod 700 "$root"
    data=$root/data log=$root/server.log
    fail() {
        echo "pg-server: $*" >&2
        [ -f "$log" ] && sed 's/^/pg-server: log: /' "$log" >&2
        do_stop "$dir"
        exit 1
    }
    (cd / && as_owner "$bindir/initdb" -D "$data" -U cxadmin -A trust -E UTF8 \
        --locale=C --no-sync >"$root/initdb.log" 2>&1) ||
        { cat "$root/initdb.log" >&2; fail "initdb failed"; }
    cd /
    as_owner sh -c "cat >> '$data/postgresql.conf'" <<EOF
# cx test server: Unix socket only, no durability needed.
listen_addresses = ''
unix_socket_directories = '$root'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF
    as_owner sh -c "cat > '$data/pg_hba.conf'" <<EOF
local all cx_secret scram-sha-256
local all all trust
EOF
    as_owner "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t 60 >/dev/null 2>&1 ||
        fail "the server did not start"
    psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$root" -p 5432 -U cxadmin "$@"; }
    psql -d postgres -c "CREATE ROLE cx LOGIN CREATEDB" \
         -c "CREATE ROLE cx_secret LOGIN PASSWORD 'cx-secret-pw'" \
         -c "CREATE DATABASE cx OWNER cx" >/dev/null 2>"$root/psql.log" ||
        { cat "$root/psql.log" >&2; fail "creating the test role and database failed"; }
    cat > "$dir/env.tmp" <<EOF
PGHOST=$root
PGPORT=5432
PGUSER=cx
PGDATABASE=cx
CX_PG_SECRET_USER=cx_secret
CX_PG_SECRET_PASSWORD=cx-secret-pw
CX_PG_DATA=$data
EOF
    mv "$dir/env.tmp" "$dir/env"
    if [ "$watch" != 0 ]; then
        wstart=$(start_time "$watch")
        [ -n "$wstart" ] || fail "process $watch to watch is not running"
        # Detached from the caller's session and output, or ctest would wait
        # for the watchdog's end before finishing this fixture.
        setsid "$self" __watch "$dir" "$watch" "$wstart" </dev/null >/dev/null 2>&1 &
        echo "$! $(start_time $!)" > "$dir/watchdog"
    fi
    echo "pg-server: PostgreSQL ($("$bindir/postgres" --version)) ready on $root, env in $dir/env"
}

[ $# -ge 2 ] || usage
cmd=$1 dir=$2
case $cmd in
    start) [ $# -le 3 ] || usage; do_start "$dir" "${3:-$PPID}" ;;
    stop) do_stop "$dir" ;;
    crash) do_crash "$dir" ;;
    __watch) do_watch "$dir" "$3" "$4" ;;
    *) usage ;;
esac
