#!/bin/sh
# First start: a data directory of its own on the volume (Debian's package made one at install
# time), and the application's user with the password from the .env.
set -e
DATADIR=/var/lib/mysql/app
RUN="--datadir=$DATADIR --socket=/tmp/mysqld.sock --pid-file=/tmp/mysqld.pid --bind-address=0.0.0.0"
if [ ! -d "$DATADIR/mysql" ]; then
    mariadb-install-db --datadir="$DATADIR" --skip-test-db >/dev/null
    printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n" \
        "$PASSWORD" > /tmp/init.sql
    # shellcheck disable=SC2086
    exec mariadbd $RUN --init-file=/tmp/init.sql
fi
# shellcheck disable=SC2086
exec mariadbd $RUN
