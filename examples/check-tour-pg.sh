#!/bin/sh
# The class-based DatabaseConnection against the test server (CTest fixture
# pg_server, whose settings are in $CX_PG_ENV): Alice's row is committed,
# Bob's is rolled back when the block raises.
#
#   check-tour-pg.sh CX_TOUR
set -eu
set -a
. "$CX_PG_ENV"
set +a
out=$("$1" 5.1)
echo "$out"
echo "$out" | grep -q '^  rows in cx_tour_users: 1 (Alice committed, Bob rolled back)$'
