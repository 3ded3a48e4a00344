"""The dotCloud tutorial: CherryPy behind nginx and uWSGI, with its sessions kept in Redis.

uWSGI imports this module and calls `application`. The configuration comes only from
~/environment.json; without it (or without a redis service) sessions stay in memory.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import re
import secrets
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import cherrypy
from redis_session import RedisSession

SESSION_REDIS_URL_KEY = "DOTCLOUD_SESSION_REDIS_URL"
REDIS_URL_KEY = re.compile(r"DOTCLOUD_[A-Z0-9_]+_REDIS_URL")
POSTINSTALL_MARKER = "postinstall.ran"
TEXT_PLAIN = "text/plain"
HITS_KEY = "hits"
GENERATED_KEY = "generated_string"
DEFAULT_GENERATED_LENGTH = "8"
MAX_GENERATED_LENGTH = 64
FORWARDED_HEADERS = (
    "Host",
    "X-Forwarded-For",
    "X-Forwarded-Port",
    "X-Forwarded-Proto",
    "X-Real-Ip",
)

HandlerT = TypeVar("HandlerT", bound=Callable[..., str])

PAGE = string.Template("""\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>dotCloud tutorial: CherryPy on uWSGI</title>
  <link rel="stylesheet" href="/static/style.css">
  <script src="/static/app.js" defer></script>
</head>
<body>
  <main>
    <h1>dotCloud tutorial: CherryPy on uWSGI</h1>
    <p>The sample application of the dotCloud emulator: a CherryPy application on the
      <code>python</code> service <code>www</code> (nginx, then uWSGI, then <code>wsgi.py</code>),
      keeping its sessions in the <code>redis</code> service <code>session</code>.</p>
    <p>Visits in this session: <strong id="hits">$hits</strong>.
      Served by instance <code id="instance">$instance</code>; sessions kept in
      <code id="session-store">$store</code>.</p>
    <p><button id="generate" type="button">Generate</button> a random string:
      <code id="generated-string">$generated</code></p>
  </main>
</body>
</html>
""")


def expose(handler: HandlerT) -> HandlerT:
    return cast(HandlerT, cherrypy.expose(handler))


def load_environment(home: Path) -> dict[str, Any]:
    path = home / "environment.json"
    try:
        environment = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    if not isinstance(environment, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return environment


def find_redis_url(environment: Mapping[str, object]) -> str | None:
    """DOTCLOUD_SESSION_REDIS_URL if set, else the first DOTCLOUD_<SVC>_REDIS_URL by name."""
    preferred = environment.get(SESSION_REDIS_URL_KEY)
    if isinstance(preferred, str) and preferred:
        return preferred
    for key in sorted(environment):
        value = environment[key]
        if REDIS_URL_KEY.fullmatch(key) and isinstance(value, str) and value:
            return value
    return None


def instance_name(environment: Mapping[str, object]) -> str:
    service = environment.get("DOTCLOUD_SERVICE_NAME", "local")
    instance = environment.get("DOTCLOUD_SERVICE_ID", "0")
    return f"{service}.{instance}"


def read_postinstall_marker(home: Path) -> str | None:
    try:
        return (home / POSTINSTALL_MARKER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def plain(text: str) -> str:
    cherrypy.response.headers["Content-Type"] = TEXT_PLAIN
    return text


def count_hit() -> int:
    hits = int(cherrypy.session.get(HITS_KEY, 0)) + 1
    cherrypy.session[HITS_KEY] = hits
    return hits


def parse_length(length: str) -> int:
    try:
        size = int(length)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_GENERATED_LENGTH:
        raise cherrypy.HTTPError(400, f"length must be an integer from 1 to {MAX_GENERATED_LENGTH}")
    return size


def random_hex(size: int) -> str:
    return secrets.token_hex((size + 1) // 2)[:size]


class StringGenerator:
    """The string generator web API of CherryPy's tutorial, one string per session."""

    exposed = True

    def GET(self) -> str:
        generated = cherrypy.session.get(GENERATED_KEY)
        if generated is None:
            raise cherrypy.HTTPError(404, "No string generated in this session.")
        return plain(str(generated))

    def POST(self, length: str = DEFAULT_GENERATED_LENGTH) -> str:
        generated = random_hex(parse_length(length))
        cherrypy.session[GENERATED_KEY] = generated
        return plain(generated)

    def PUT(self, another_string: str | None = None) -> str:
        if not another_string:
            raise cherrypy.HTTPError(400, "another_string is required")
        cherrypy.session[GENERATED_KEY] = another_string
        return plain(another_string)

    def DELETE(self) -> str:
        if cherrypy.session.pop(GENERATED_KEY, None) is None:
            raise cherrypy.HTTPError(404, "No string generated in this session.")
        cherrypy.response.status = 204
        return ""


class Root:
    def __init__(self, home: Path, environment: Mapping[str, object]) -> None:
        self.home = home
        self.instance_label = instance_name(environment)
        self.session_store = "redis" if find_redis_url(environment) else "memory"
        self.postinstall_at_start = read_postinstall_marker(home)
        self.generator = StringGenerator()

    @expose
    def index(self) -> str:
        return PAGE.substitute(
            hits=count_hit(),
            instance=html.escape(self.instance_label),
            store=self.session_store,
            generated=html.escape(str(cherrypy.session.get(GENERATED_KEY, ""))),
        )

    @expose
    def hits(self) -> str:
        return plain(str(count_hit()))

    @expose
    def instance(self) -> str:
        return plain(self.instance_label)

    @expose
    def postinstall(self) -> str:
        """Whether ~/postinstall.ran existed when the application was loaded, i.e. before launch."""
        marker = self.postinstall_at_start or read_postinstall_marker(self.home)
        if marker is None:
            raise cherrypy.HTTPError(404, "postinstall has not run")
        ran_before_start = "yes" if self.postinstall_at_start is not None else "no"
        return plain(f"ran-before-start: {ran_before_start}\nran-at: {marker}\n")

    @cherrypy.expose  # type: ignore[untyped-decorator]
    def headers(self) -> bytes:
        """The forwarding headers as the application received them, through gateway and nginx."""
        seen = {name: cherrypy.request.headers.get(name, "") for name in FORWARDED_HEADERS}
        cherrypy.response.headers["Content-Type"] = "application/json"
        return json.dumps(seen, sort_keys=True).encode()


def session_config(redis_url: str | None) -> dict[str, Any]:
    # "early" locks the session before the handler reads it: concurrent requests never lose a hit.
    config: dict[str, Any] = {
        "tools.sessions.on": True,
        "tools.sessions.locking": "early",
        "tools.sessions.timeout": 60,
        "tools.sessions.httponly": True,
    }
    if redis_url is None:
        return config
    return config | {
        "tools.sessions.storage_class": RedisSession,
        "tools.sessions.url": redis_url,
        "tools.sessions.clean_freq": 0,
    }


def app_config(redis_url: str | None) -> dict[str, dict[str, Any]]:
    return {
        "/": session_config(redis_url),
        "/generator": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()},
    }


def start_engine_in_each_worker() -> None:
    """Start CherryPy's engine in each uWSGI worker: threads started before a fork die with it."""
    try:
        uwsgi: Any = importlib.import_module("uwsgi")
    except ImportError:
        return  # not under uWSGI: the mounted tree serves requests without the engine
    uwsgi.atexit = cherrypy.engine.exit
    if uwsgi.worker_id() == 0:
        uwsgi.post_fork_hook = cherrypy.engine.start
    else:
        cherrypy.engine.start()  # lazy-apps: already inside a worker


def create_application(home: Path) -> Any:
    environment = load_environment(home)
    # Errors go to stderr (uWSGI's log); requests are already in nginx's access log.
    cherrypy.config.update({"environment": "embedded", "log.screen": True})
    cherrypy.server.unsubscribe()
    config = app_config(find_redis_url(environment))
    application = cherrypy.tree.mount(Root(home, environment), "/", config)
    application.log.access_log.setLevel(logging.WARNING)
    start_engine_in_each_worker()
    return application


application = create_application(Path.home())
