FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends uwsgi-core uwsgi-plugin-psgi \
        libdancer-perl libyaml-perl libjson-perl libdbi-perl libdbd-mysql-perl libplack-perl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
COPY . /home/dotcloud/current/
WORKDIR /home/dotcloud/current
USER dotcloud
ENV PERL_USE_UNSAFE_INC=1 PERL5LIB=/home/dotcloud/current/lib PLACK_ENV=deployment
CMD ["uwsgi", "--plugin", "psgi", "--http-socket", ":8080", "--psgi", "app.psgi", \
     "--processes", "4", "--static-map", "/static=/home/dotcloud/current/static"]
