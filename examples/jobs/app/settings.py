"""Where the other services are, read only from ~/environment.json (the platform's contract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATABASE = "jobs"
QUEUE_KEY = "jobs"


def environment() -> dict[str, Any]:
    path = Path("~/environment.json").expanduser()
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def postgresql(env: dict[str, Any], database: str = DATABASE) -> dict[str, Any]:
    """psycopg's connection arguments. (The platform's URL, pgsql://, is not a libpq scheme.)"""
    return {
        "host": env["DOTCLOUD_DB_SQL_HOST"],
        "port": int(env["DOTCLOUD_DB_SQL_PORT"]),
        "user": env["DOTCLOUD_DB_SQL_LOGIN"],
        "password": env["DOTCLOUD_DB_SQL_PASSWORD"],
        "dbname": database,
        "connect_timeout": 5,
    }


def mysql(env: dict[str, Any], database: str | None = DATABASE) -> dict[str, Any]:
    """PyMySQL's connection arguments."""
    return {
        "host": env["DOTCLOUD_MDB_MYSQL_HOST"],
        "port": int(env["DOTCLOUD_MDB_MYSQL_PORT"]),
        "user": env["DOTCLOUD_MDB_MYSQL_LOGIN"],
        "password": env["DOTCLOUD_MDB_MYSQL_PASSWORD"],
        "database": database,
        "connect_timeout": 5,
        "autocommit": True,
    }


def redis_url(env: dict[str, Any]) -> str:
    url: str = env["DOTCLOUD_QUEUE_REDIS_URL"]
    return url
