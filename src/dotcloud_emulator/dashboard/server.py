"""The dashboard's HTTP server: the standard library's `ThreadingHTTPServer` on 127.0.0.1.

Why not a framework: the dashboard has a dozen routes, answers one user on loopback, and needs
one request per thread (a log stream or a slow Docker query must not hold up the others) and
server-sent events (a response written as it comes). `ThreadingHTTPServer` does exactly that,
adds no dependency to the tool, and keeps the routes testable as plain functions (`views.py`).
"""

from __future__ import annotations

import contextlib
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from dotcloud_emulator.dashboard.actions import Actions
from dotcloud_emulator.dashboard.backend import ApiBackend, Backend
from dotcloud_emulator.dashboard.security import Guard, new_token
from dotcloud_emulator.dashboard.views import MAX_BODY, Dashboard, Request, Response
from dotcloud_emulator.errors import UserError

BIND = "127.0.0.1"
DEFAULT_PORT = 8181


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C does not wait for open log streams
    dashboard: Dashboard

    @property
    def url(self) -> str:
        return f"http://{BIND}:{self.server_address[1]}/"


class DashboardHandler(BaseHTTPRequestHandler):
    server: DashboardServer
    server_version = "dotcloud-emulator-dashboard"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def answer(self) -> None:
        split = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(
            method=self.command,
            path=unquote(split.path),
            headers=headers,
            query=dict(parse_qsl(split.query)),
            body=self.read_body(headers),
        )
        self.send(self.server.dashboard.handle(request))

    def read_body(self, headers: dict[str, str]) -> bytes:
        length = headers.get("content-length", "0")
        size = int(length) if length.isascii() and length.isdigit() else 0
        return self.rfile.read(min(size, MAX_BODY + 1)) if size else b""

    def send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            return
        self.end_headers()
        try:
            for chunk in response.stream:
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:  # the page went away
            pass
        finally:
            close = getattr(response.stream, "close", None)
            if close is not None:
                close()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a page polls every few seconds. Errors reach the terminal from the views."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # A malformed request line: answer it plainly (the base would log it).
        self.send_response_only(code)
        self.end_headers()


def make_server(port: int, backend: Backend | None = None) -> DashboardServer:
    """A server bound to 127.0.0.1:`port` (0: any free port), not serving yet."""
    try:
        server = DashboardServer((BIND, port), DashboardHandler)
    except OSError as exc:
        raise UserError(f"cannot listen on {BIND}:{port}: {exc.strerror or exc}") from exc
    guard = Guard(server.server_address[1], new_token())
    server.dashboard = Dashboard(backend or ApiBackend(), guard, Actions())
    return server


def serve(port: int, *, open_browser: bool, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; `ready` hears the URL once it answers."""
    server = make_server(port)
    with server:
        ready(server.url)
        if open_browser:
            webbrowser.open(server.url)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
            server.serve_forever(poll_interval=0.5)
