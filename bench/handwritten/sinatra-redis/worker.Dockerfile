FROM debian:bullseye-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ruby ruby-redis ruby-json ruby-bundler \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
COPY . /home/dotcloud/current/
WORKDIR /home/dotcloud/current
USER dotcloud
ENV RACK_ENV=production BUNDLE_GEMFILE=/home/dotcloud/Gemfile BUNDLE_APP_CONFIG=/home/dotcloud/.bundle
CMD ["sh", "-c", "cp /home/dotcloud/baseline/Gemfile /home/dotcloud/Gemfile && exec ruby worker.rb"]
