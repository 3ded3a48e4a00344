#!/bin/sh
# Builds the example's WARs from src/ into www/ (ROOT.war and stats.war, not committed), as their
# developers did in 2012 before a push: javac for Java 7 against the Servlet API, the libraries
# in WEB-INF/lib (Debian's PostgreSQL JDBC driver and json-simple), zipped in a fixed order with
# fixed dates, so the same sources give the same bytes. Runs in a throwaway Debian container with
# a JDK (the service itself has only a JRE).
#
#   ./build-wars.sh                      # src/guestbook -> www/ROOT.war, src/stats -> www/stats.war
#   ./build-wars.sh SOURCE WAR [...]     # other webapp folders (java/ and WEB-INF/ inside)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
image=dotcloud-emulator-example-war-builder:bookworm
if [ $# -eq 0 ]; then
    set -- "$here/src/guestbook" "$here/www/ROOT.war" "$here/src/stats" "$here/www/stats.war"
fi
docker build -q -t "$image" --label dotcloud-emulator.example=servlet-postgresql - >/dev/null <<'DOCKERFILE'
FROM debian:bookworm-slim
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jdk-headless libservlet3.1-java libpostgresql-jdbc-java libjson-simple-java zip \
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
while [ $# -ge 2 ]; do
    source=$(cd "$1" && pwd)
    out=$(cd "$(dirname "$2")" && pwd)
    war=$(basename "$2")
    docker run --rm --user "$(id -u):$(id -g)" -v "$source:/src:ro" -v "$out:/out" "$image" sh -ec "
        rm -rf /tmp/war && mkdir -p /tmp/war/WEB-INF/classes /tmp/war/WEB-INF/lib
        cp -r /src/WEB-INF /tmp/war/
        find /src -maxdepth 1 -type f -exec cp {} /tmp/war/ \;
        javac --release 7 -Xlint:-options -encoding UTF-8 -d /tmp/war/WEB-INF/classes \
            -cp /usr/share/java/servlet-api-3.1.jar:/usr/share/java/json-simple.jar \
            \$(find /src/java -name '*.java' | sort)
        if grep -rqs 'org.postgresql\|org.json.simple' /src/java; then
            cp /usr/share/java/postgresql.jar /usr/share/java/json-simple.jar /tmp/war/WEB-INF/lib/
        fi
        cd /tmp/war
        find . -exec touch -h -d '2012-06-01 12:00:00' {} +
        rm -f /out/$war
        find . -mindepth 1 | sort | TZ=UTC zip -q -X -D -@ /out/$war
    "
    echo "built $2"
    shift 2
done
