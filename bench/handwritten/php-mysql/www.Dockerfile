FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx php8.2-fpm php8.2-mysql \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud \
 && sed -i 's/^user = www-data/user = dotcloud/; s/^group = www-data/group = dotcloud/' \
        /etc/php/8.2/fpm/pool.d/www.conf \
 && printf '%s\n' 'server {' \
        '  listen 8080;' \
        '  root /home/dotcloud/current;' \
        '  index index.php;' \
        '  include /home/dotcloud/current/nginx.conf;' \
        '  location ~ \.php$ {' \
        '    include snippets/fastcgi-php.conf;' \
        '    fastcgi_pass unix:/run/php/php8.2-fpm.sock;' \
        '  }' \
        '}' > /etc/nginx/sites-enabled/default
COPY . /home/dotcloud/current/
RUN printf '<?php echo "pong";\n' > /home/dotcloud/current/ping.php \
 && cp /home/dotcloud/current/php.ini /etc/php/8.2/fpm/conf.d/99-app.ini
CMD ["sh", "-c", "php-fpm8.2 && exec nginx -g 'daemon off;'"]
