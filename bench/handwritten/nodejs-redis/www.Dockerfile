FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home dotcloud
WORKDIR /home/dotcloud/current
COPY package.json ./
RUN --mount=type=secret,id=ca npm install --omit=dev --no-audit --no-fund --cafile /run/secrets/ca
COPY . ./
USER dotcloud
CMD ["node", "server.js"]
