FROM debian:bookworm-slim
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless jetty9 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud \
 && install -d -o dotcloud -g dotcloud /home/dotcloud/jetty/webapps \
 && printf '%s\n' '--module=http' '--module=deploy' 'jetty.http.port=8080' \
        > /home/dotcloud/jetty/start.ini
COPY . /home/dotcloud/jetty/webapps/
USER dotcloud
WORKDIR /home/dotcloud/jetty
CMD ["java", "-Xms64m", "-Xmx192m", "-jar", "/usr/share/jetty9/start.jar", \
     "jetty.home=/usr/share/jetty9", "jetty.base=/home/dotcloud/jetty"]
