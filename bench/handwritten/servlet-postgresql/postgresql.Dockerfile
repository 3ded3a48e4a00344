FROM debian:bookworm-slim
RUN install -d /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-cluster.conf \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres /var/lib/postgresql/data /run/postgresql
COPY postgresql-start.sh /usr/local/bin/postgresql-start
USER postgres
CMD ["sh", "/usr/local/bin/postgresql-start"]
