"""Requests to responses, without sockets: the routes, the checks, the JSON (tested with a fake
backend). `server.py` moves the bytes."""

from __future__ import annotations

import json
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.dashboard import shaping
from dotcloud_emulator.dashboard.actions import Actions, Busy
from dotcloud_emulator.dashboard.backend import Backend, instance_target
from dotcloud_emulator.dashboard.masking import masked_environment
from dotcloud_emulator.dashboard.security import JSON_TYPE, SECURITY_HEADERS, Guard
from dotcloud_emulator.errors import (
    NoSuchApplication,
    NoSuchInstance,
    NoSuchService,
    NotRunning,
    UsageError,
    UserError,
)
from dotcloud_emulator.names import printable
from dotcloud_emulator.platform.appname import check_app_name

LOG_LINES = 100
HEARTBEAT = 15.0  # seconds: an idle stream writes a comment, so a closed page is noticed
RECONNECT_MS = 2000
MAX_BODY = 4096
STATIC_TYPES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    stream: Iterator[bytes] | None = None  # server-sent events, written as they come

    @property
    def headers(self) -> dict[str, str]:
        charset = "" if self.content_type.startswith("image/") else "; charset=utf-8"
        return {"Content-Type": self.content_type + charset, **SECURITY_HEADERS}


def json_response(data: object, status: int = 200) -> Response:
    return Response(status, json.dumps(data, sort_keys=True).encode())


def error_response(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


def status_of(error: UserError) -> int:
    if isinstance(error, NoSuchApplication | NoSuchService | NoSuchInstance):
        return 404
    if isinstance(error, UsageError):
        return 400
    if isinstance(error, Busy | NotRunning):
        return 409
    return 503  # the environment failed: no engine, a container gone during a push


Handler = Callable[..., Response]
Route = tuple[str, re.Pattern[str], str]
NAME = r"([^/]+)"
ROUTES: list[Route] = [
    ("GET", re.compile(r"/"), "index_page"),
    ("GET", re.compile(rf"/app/{NAME}"), "app_page"),
    ("GET", re.compile(rf"/static/{NAME}"), "static_file"),
    ("GET", re.compile(r"/api/apps"), "applications"),
    ("GET", re.compile(rf"/api/apps/{NAME}"), "application"),
    ("GET", re.compile(rf"/api/apps/{NAME}/services/{NAME}/environment"), "environment"),
    ("POST", re.compile(rf"/api/apps/{NAME}/services/{NAME}/environment/reveal"), "reveal"),
    ("POST", re.compile(rf"/api/apps/{NAME}/services/{NAME}/scale"), "scale"),
    ("GET", re.compile(rf"/api/apps/{NAME}/services/{NAME}/mail"), "mail"),
    ("GET", re.compile(rf"/api/apps/{NAME}/instances/{NAME}/logs"), "logs"),
    ("GET", re.compile(rf"/api/apps/{NAME}/instances/{NAME}/logs/stream"), "log_stream"),
    ("POST", re.compile(rf"/api/apps/{NAME}/instances/{NAME}/restart"), "restart"),
]


def match_route(method: str, path: str) -> tuple[str, tuple[str, ...]] | int:
    """The handler's name and the path's parts, or 404/405."""
    allowed = [
        (m, name, found) for m, pattern, name in ROUTES if (found := pattern.fullmatch(path))
    ]
    for route_method, name, found in allowed:
        if route_method == method:
            return name, found.groups()
    return 405 if allowed else 404


def templates() -> Environment:
    return Environment(
        loader=PackageLoader("dotcloud_emulator.dashboard", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


class Dashboard:
    def __init__(self, backend: Backend, guard: Guard, actions: Actions | None = None) -> None:
        self.backend = backend
        self.guard = guard
        self.actions = actions or Actions()
        self.pages = templates()

    def handle(self, request: Request) -> Response:
        refused = self.guard.refuse_host(request.headers)
        if request.method == "POST":
            refused = self.guard.refuse_change(request.headers)
        if refused:
            # Said in the terminal: a refused change is what an attack on the dashboard looks like.
            tell_terminal(f"refused {request.method} {printable(request.path)}: {refused}")
            return error_response(403, refused)
        found = match_route(request.method, request.path)
        if isinstance(found, int):
            return error_response(found, "no such page" if found == 404 else "method not allowed")
        name, parts = found
        handler: Handler = getattr(self, name)
        try:
            return handler(request, *parts)
        except UserError as exc:
            return error_response(status_of(exc), exc.message)
        except Exception as exc:  # one request failed; the dashboard keeps serving
            tell_terminal(
                f"{request.method} {printable(request.path)} failed: {exc.__class__.__name__}"
            )
            return error_response(500, f"internal error: {exc.__class__.__name__}")

    # pages

    def index_page(self, request: Request) -> Response:
        try:
            apps, problem = shaping.applications_document(self.backend.applications()), None
        except UserError as exc:
            apps, problem = [], exc.message
        return self.page("index.html.j2", apps=apps, problem=problem)

    def app_page(self, request: Request, app: str) -> Response:
        return self.page("app.html.j2", app=check_app_name(app))

    def page(self, template: str, **values: Any) -> Response:
        html = self.pages.get_template(template).render(token=self.guard.token, **values)
        return Response(200, html.encode(), "text/html")

    def static_file(self, request: Request, name: str) -> Response:
        if name not in STATIC_TYPES:
            return error_response(404, "no such file")
        content = resources.files("dotcloud_emulator.dashboard").joinpath("static", name)
        return Response(200, content.read_bytes(), STATIC_TYPES[name])

    # data

    def applications(self, request: Request) -> Response:
        return json_response(shaping.applications_document(self.backend.applications()))

    def application(self, request: Request, app: str) -> Response:
        snapshot = self.backend.snapshot(check_app_name(app))
        if not snapshot.facts:
            return error_response(404, f'no application "{app}" here: run `up APPDIR` first')
        return json_response(shaping.application_document(snapshot, self.actions.view(app)))

    def environment(self, request: Request, app: str, service: str) -> Response:
        env = self.backend.environment(check_app_name(app), service)
        return json_response({"service": service, "variables": masked_environment(env)})

    def reveal(self, request: Request, app: str, service: str) -> Response:
        name = read_json(request).get("name")
        env = self.backend.environment(check_app_name(app), service)
        if not isinstance(name, str) or name not in env:
            return error_response(404, f"{printable(service)} has no such variable")
        return json_response({"name": name, "value": str(env[name])})

    def mail(self, request: Request, app: str, service: str) -> Response:
        messages = self.backend.mail(check_app_name(app), service)
        return json_response({"service": service, "messages": messages})

    def logs(self, request: Request, app: str, instance: str) -> Response:
        lines = read_count(request.query.get("lines"), LOG_LINES)
        found = self.backend.past_lines(check_app_name(app), instance, lines)
        return json_response({"instance": instance, "lines": found})

    def log_stream(self, request: Request, app: str, instance: str) -> Response:
        instance_target(check_app_name(app), instance)
        follow = self.backend.follow
        return Response(200, content_type="text/event-stream", stream=events(follow, app, instance))

    # actions

    def restart(self, request: Request, app: str, instance: str) -> Response:
        instance_target(check_app_name(app), instance)

        def work(progress: Progress) -> None:
            self.backend.restart(app, instance, progress)

        self.actions.start(app, "restart", instance, work)
        return json_response({"started": "restart", "target": instance}, 202)

    def scale(self, request: Request, app: str, service: str) -> Response:
        count = read_json(request).get("instances")
        if not isinstance(count, int) or isinstance(count, bool):
            raise UsageError("instances must be a whole number")

        def work(progress: Progress) -> None:
            self.backend.scale(app, service, count, progress)

        self.actions.start(check_app_name(app), "scale", service, work)
        return json_response({"started": "scale", "target": service, "instances": count}, 202)


def tell_terminal(text: str) -> None:
    """One line on the dashboard's stderr (never a secret: paths and reasons only)."""
    print(f"dashboard: {text}", file=sys.stderr, flush=True)


def read_json(request: Request) -> dict[str, object]:
    if len(request.body) > MAX_BODY:
        raise UsageError("the request is too large")
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise UsageError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise UsageError("the request must be a JSON object")
    return data


def read_count(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) > 10_000:
        raise UsageError("lines must be a number from 0 to 10000")
    return int(text)


FollowFunction = Callable[[str, str, int, threading.Event], Iterator[str]]


def event(kind: str, data: object) -> bytes:
    """One server-sent event; the data as JSON keeps a line with a CR in one event."""
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def events(follow: FollowFunction, app: str, instance: str) -> Iterator[bytes]:
    """The instance's last lines then new ones as events (`line`), until its container stops
    (`end`) or cannot be followed (`problem`); the page then reconnects. Closing this iterator
    (the page went away) stops the follower and closes Docker's streams."""
    stop = threading.Event()
    items: queue.Queue[tuple[str, str]] = queue.Queue()
    threading.Thread(
        target=_pump_lines, args=(follow, app, instance, stop, items), daemon=True
    ).start()
    try:
        yield f"retry: {RECONNECT_MS}\n\n".encode() + event("reset", instance)
        while True:
            try:
                kind, text = items.get(timeout=HEARTBEAT)
            except queue.Empty:
                yield b": still here\n\n"
                continue
            yield event(kind, text)
            if kind != "line":
                return
    finally:
        stop.set()


def _pump_lines(
    follow: FollowFunction,
    app: str,
    instance: str,
    stop: threading.Event,
    items: queue.Queue[tuple[str, str]],
) -> None:
    try:
        for line in follow(app, instance, LOG_LINES, stop):
            items.put(("line", line))
        items.put(("end", f"{instance} stopped"))
    except UserError as exc:
        items.put(("problem", exc.message))
    except Exception as exc:  # reported on the page; the next connection tries again
        items.put(("problem", f"internal error: {exc.__class__.__name__}"))
