"""The web service of "jobs": queue a job in Redis, show its result from PostgreSQL and MariaDB.

uWSGI imports this module and calls `application`. Everything it connects to is read from
~/environment.json. Routes:
  GET  /              the form and the latest results (PostgreSQL)
  POST /jobs          queue a job (form field `text`); answers 202 with {"id": ...}
  GET  /jobs/<id>     the job as each database holds it: {"postgresql": ..., "mysql": ...}
"""

from __future__ import annotations

import html
import json
import uuid
from datetime import datetime
from typing import Any

import cherrypy
import psycopg
import pymysql
import redis
import settings
from psycopg.rows import dict_row

COLUMNS = "id, input, output, words, worker, finished_at"
MAX_TEXT = 1000
PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>jobs</title></head>
<body>
  <h1>jobs: web, worker, Redis, PostgreSQL, MariaDB</h1>
  <form method="post" action="/jobs">
    <input name="text" placeholder="some words" required> <button>Queue</button>
  </form>
  <h2>Latest results (PostgreSQL)</h2>
  <ul>{items}</ul>
</body>
</html>
"""


def jsonable(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def postgresql_row(env: dict[str, Any], job_id: str) -> dict[str, Any] | None:
    query = f"SELECT {COLUMNS} FROM results WHERE id = %s"  # noqa: S608 (constant columns)
    try:
        with psycopg.connect(**settings.postgresql(env), row_factory=dict_row) as connection:
            return connection.execute(query, (job_id,)).fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None  # the worker's postinstall has not created the database yet


def mysql_row(env: dict[str, Any], job_id: str) -> dict[str, Any] | None:
    query = f"SELECT {COLUMNS} FROM results WHERE id = %s"  # noqa: S608 (constant columns)
    try:
        connection = pymysql.connect(**settings.mysql(env), cursorclass=pymysql.cursors.DictCursor)
    except pymysql.err.OperationalError:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, (job_id,))
            row: dict[str, Any] | None = cursor.fetchone()
            return row
    except pymysql.err.ProgrammingError:
        return None
    finally:
        connection.close()


def latest(env: dict[str, Any]) -> list[dict[str, Any]]:
    query = f"SELECT {COLUMNS} FROM results ORDER BY finished_at DESC LIMIT 10"  # noqa: S608
    try:
        with psycopg.connect(**settings.postgresql(env), row_factory=dict_row) as connection:
            return connection.execute(query).fetchall()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return []


class Jobs:
    def __init__(self) -> None:
        self.env = settings.environment()
        self.queue = redis.Redis.from_url(settings.redis_url(self.env), socket_timeout=5)

    @cherrypy.expose
    def index(self) -> str:
        items = "".join(
            f"<li><code>{html.escape(row['id'])}</code> {html.escape(row['input'])} &rarr; "
            f"{html.escape(row['output'])} ({row['words']} words, {html.escape(row['worker'])})"
            "</li>"
            for row in latest(self.env)
        )
        return PAGE.format(items=items)

    @cherrypy.expose
    @cherrypy.tools.json_out()
    def jobs(self, job_id: str | None = None, text: str | None = None) -> dict[str, Any]:
        if cherrypy.request.method == "POST":
            return self.enqueue(text or "")
        if job_id is None:
            raise cherrypy.HTTPError(405)
        return {
            "id": job_id,
            "postgresql": jsonable(postgresql_row(self.env, job_id)),
            "mysql": jsonable(mysql_row(self.env, job_id)),
        }

    def enqueue(self, text: str) -> dict[str, Any]:
        if not text.strip() or len(text) > MAX_TEXT:
            raise cherrypy.HTTPError(400, f"text: 1 to {MAX_TEXT} characters")
        job_id = uuid.uuid4().hex
        self.queue.rpush(settings.QUEUE_KEY, json.dumps({"id": job_id, "text": text}))
        cherrypy.response.status = 202
        return {"id": job_id}


cherrypy.config.update({"environment": "embedded", "log.screen": True})
application = cherrypy.tree.mount(Jobs(), "/")
