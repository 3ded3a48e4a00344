FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjson-perl libdbi-perl libdbd-mysql-perl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
COPY . /home/dotcloud/current/
WORKDIR /home/dotcloud/current
USER dotcloud
CMD ["perl", "counter.pl"]
