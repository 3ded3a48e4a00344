FROM debian:bullseye-slim
# bullseye-security lists builds of some ruby-* packages its mirror no longer serves: take bullseye's.
RUN printf 'Package: ruby-*\nPin: release l=Debian-Security\nPin-Priority: 100\n' \
        > /etc/apt/preferences.d/ruby \
 && apt-get update \
 && apt-get install -y --no-install-recommends ruby ruby-redis ruby-json ruby-bundler \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
COPY . /home/dotcloud/current/
WORKDIR /home/dotcloud/current
USER dotcloud
ENV RACK_ENV=production BUNDLE_GEMFILE=/home/dotcloud/Gemfile BUNDLE_APP_CONFIG=/home/dotcloud/.bundle
CMD ["sh", "-c", "cp /home/dotcloud/baseline/Gemfile /home/dotcloud/Gemfile && exec ruby worker.rb"]
