#!/bin/sh
# First start: a data directory, and the application's user with the password from the .env.
set -e
if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --datadir=/var/lib/mysql --skip-test-db >/dev/null
    printf "CREATE USER 'root'@'%%' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO 'root'@'%%' WITH GRANT OPTION;\n" \
        "$PASSWORD" > /tmp/init.sql
    exec mariadbd --datadir=/var/lib/mysql --socket=/tmp/mysqld.sock --pid-file=/tmp/mysqld.pid --bind-address=0.0.0.0 --init-file=/tmp/init.sql
fi
exec mariadbd --datadir=/var/lib/mysql --socket=/tmp/mysqld.sock --pid-file=/tmp/mysqld.pid --bind-address=0.0.0.0
