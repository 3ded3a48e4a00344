FROM debian:bullseye-slim
# bullseye-security lists builds of some ruby-* packages its mirror no longer serves: take bullseye's.
RUN printf 'Package: ruby-*\nPin: release l=Debian-Security\nPin-Priority: 100\n' \
        > /etc/apt/preferences.d/ruby \
 && apt-get update \
 && apt-get install -y --no-install-recommends ruby ruby-sinatra ruby-redis ruby-json \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
COPY . /home/dotcloud/current/
WORKDIR /home/dotcloud/current
USER dotcloud
ENV RACK_ENV=production
CMD ["rackup", "--host", "0.0.0.0", "--port", "8080"]
