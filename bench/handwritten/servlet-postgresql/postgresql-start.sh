#!/bin/sh
# First start: a cluster whose superuser root has the password from the .env.
set -e
PGDATA=/var/lib/postgresql/data/cluster
BIN=/usr/lib/postgresql/15/bin
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    printf '%s\n' "$PASSWORD" > /tmp/pw
    "$BIN/initdb" -D "$PGDATA" -U root --pwfile=/tmp/pw --auth-host=scram-sha-256 >/dev/null
    rm /tmp/pw
    echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*'
