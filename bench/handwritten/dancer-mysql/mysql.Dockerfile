FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends mariadb-server \
 && rm -rf /var/lib/apt/lists/*
COPY mysql-start.sh /usr/local/bin/mysql-start
USER mysql
CMD ["sh", "/usr/local/bin/mysql-start"]
