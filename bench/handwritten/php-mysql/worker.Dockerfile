FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends php8.2-cli php8.2-mysql \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
COPY . /home/dotcloud/current/
WORKDIR /home/dotcloud/current
USER dotcloud
CMD ["php", "counter.php"]
