"""Create the `jobs` database and its `results` table in PostgreSQL and in MariaDB (idempotent)."""

from __future__ import annotations

import psycopg
import pymysql
import settings
from psycopg import sql

POSTGRESQL_TABLE = """
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    words INTEGER NOT NULL,
    worker TEXT NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""
MYSQL_TABLE = """
CREATE TABLE IF NOT EXISTS results (
    id VARCHAR(64) PRIMARY KEY,
    input TEXT NOT NULL,
    output TEXT NOT NULL,
    words INT NOT NULL,
    worker VARCHAR(64) NOT NULL,
    finished_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)"""


def create_postgresql(env: dict[str, object]) -> None:
    template = settings.postgresql(env, database="template1")  # the platform's default database
    with psycopg.connect(**template, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (settings.DATABASE,)
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.DATABASE))
            )
    with psycopg.connect(**settings.postgresql(env)) as connection:
        connection.execute(POSTGRESQL_TABLE)


def create_mysql(env: dict[str, object]) -> None:
    connection = pymysql.connect(**settings.mysql(env, database=None))
    with connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{settings.DATABASE}`")
        cursor.execute(f"USE `{settings.DATABASE}`")
        cursor.execute(MYSQL_TABLE)


if __name__ == "__main__":
    environment = settings.environment()
    create_postgresql(environment)
    create_mysql(environment)
    print(f"databases ready: {settings.DATABASE} in PostgreSQL and MariaDB")
