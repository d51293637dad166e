#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for tests/test_search_postgres.py and print the line
# that points the tests at it:
#   eval "$(bash .ci/start_postgres.sh)"     # then: python -m pytest tests/test_search_postgres.py
# Installs postgresql with apt-get when missing (needs root). The cluster lives in a temporary directory
# ($HYPERLAX_PG_DIR, default /tmp/hyperlax-postgres), separate from any system cluster; run again to reuse
# it, or stop it with: pg_ctl -D "$HYPERLAX_PG_DIR/data" stop (as the user shown in the log line).
set -euo pipefail

port=${HYPERLAX_PG_PORT:-5432}
dir=${HYPERLAX_PG_DIR:-/tmp/hyperlax-postgres}
user=hyperlax
password=hyperlax-test
db=hyperlax_test
url="postgresql://$user:$password@127.0.0.1:$port/$db"

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "installing postgresql (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# initdb refuses to run as root: root runs the server as the postgres user.
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "a server already listens on 127.0.0.1:$port; reusing it" >&2
else
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir"
        chown "$owner" "$dir"
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >&2
fi

psql() { as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ -z "$(psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" ]; then
    psql -c "CREATE ROLE $user LOGIN PASSWORD '$password'"
fi
if [ -z "$(psql -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    psql -c "CREATE DATABASE $db OWNER $user"
fi
echo "postgres on 127.0.0.1:$port, data in $dir/data (owner $owner), log $dir/server.log" >&2
echo "export HYPERLAX_TEST_POSTGRES_URL=$url"
