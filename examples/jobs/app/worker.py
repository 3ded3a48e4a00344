"""The job worker: takes jobs from the Redis list, stores each result in PostgreSQL and MariaDB.

Supervisor runs it (the service's `process:`) and restarts it if it dies; a job is only removed
from the queue once both databases hold its result.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
import pymysql
import redis
import settings

BLOCK_SECONDS = 5

POSTGRESQL_INSERT = (
    "INSERT INTO results (id, input, output, words, worker) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (id) DO NOTHING"
)
MYSQL_INSERT = (
    "INSERT IGNORE INTO results (id, input, output, words, worker) VALUES (%s, %s, %s, %s, %s)"
)
PROCESSING_KEY = f"{settings.QUEUE_KEY}:processing"


def compute(job: dict[str, Any], worker: str) -> tuple[str, str, str, int, str]:
    text = str(job["text"])
    return (str(job["id"]), text, text.upper()[::-1], len(text.split()), worker)


def store(env: dict[str, Any], row: tuple[str, str, str, int, str]) -> None:
    with psycopg.connect(**settings.postgresql(env)) as connection:
        connection.execute(POSTGRESQL_INSERT, row)
    with pymysql.connect(**settings.mysql(env)) as connection, connection.cursor() as cursor:
        cursor.execute(MYSQL_INSERT, row)


def run() -> None:
    env = settings.environment()
    worker = f"{env['DOTCLOUD_SERVICE_NAME']}.{env['DOTCLOUD_SERVICE_ID']}"
    queue = redis.Redis.from_url(settings.redis_url(env), socket_timeout=BLOCK_SECONDS + 10)
    logging.info("%s waits for jobs on %s", worker, settings.QUEUE_KEY)
    while True:
        raw = queue.blmove(settings.QUEUE_KEY, PROCESSING_KEY, BLOCK_SECONDS, "LEFT", "RIGHT")
        if raw is None:
            continue
        job = json.loads(raw)
        store(env, compute(job, worker))
        queue.lrem(PROCESSING_KEY, 1, raw)
        logging.info("job %s done", job["id"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker: %(message)s")
    run()
