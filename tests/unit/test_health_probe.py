"""The instances' readiness probe: every program RUNNING and settled, crash loops seen at once."""

from __future__ import annotations

import contextlib
import datetime
import http.server
import socket
import socketserver
import threading
import xmlrpc.client
import xmlrpc.server
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File

NOW = datetime.datetime(2026, 11, 29, 12, 0, 0)


def probe(tmp_path: Path, type_name: str) -> dict[str, Any]:
    """The rendered dotcloud-health of a service, loaded as a module (it runs nothing on import)."""
    service = Service("w", type_name)
    application = Application("app", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(tmp_path))
    source = next(
        i.content for i in items if isinstance(i, File) and i.path.name == "dotcloud-health"
    )
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(source, "dotcloud-health", "exec"), namespace)
    return namespace


def status(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def crash(seconds_ago: int, program: str = "worker", code: int = 3) -> str:
    when = (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%d %H:%M:%S")
    return f"{when},123 WARN exited: {program} (exit status {code}; not expected)\n"


@pytest.fixture(params=["python", "python-worker"])
def judge(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return probe(tmp_path, request.param)["judge_programs"]


def test_settled_programs_are_ready(judge: Any) -> None:
    running = status(
        "nginx                            RUNNING   pid 10, uptime 0:00:09",
        "worker                           RUNNING   pid 12, uptime 1 day, 0:00:01",
    )
    assert judge(running, [], NOW) == (None, None)


def test_a_program_up_for_less_than_the_settle_time_is_waited_for(judge: Any) -> None:
    problem, program = judge(status("worker RUNNING pid 12, uptime 0:00:02"), [], NOW)
    assert problem == "starting: worker (up 2 s) not yet up for 4 s"
    assert program is None


def test_a_program_not_running_yet_is_waited_for(judge: Any) -> None:
    problem, _ = judge(
        status("worker BACKOFF Exited too quickly (process log may have details)"), [], NOW
    )
    assert problem.startswith("not RUNNING: worker BACKOFF")


def test_fatal_means_supervisor_gave_up(judge: Any) -> None:
    problem, program = judge(status("worker FATAL Exited too quickly"), [], NOW)
    assert problem == "Supervisor gave up: worker FATAL Exited too quickly"
    assert program == "worker"


def test_a_program_crashing_again_and_again_is_a_failure_even_while_running(judge: Any) -> None:
    log = [crash(20), crash(12), crash(4)]
    problem, program = judge(status("worker RUNNING pid 40, uptime 0:00:03"), log, NOW)
    assert problem == (
        "Supervisor gave up: worker keeps crashing (3 unexpected exits in 60 s, "
        "last: exit status 3)"
    )
    assert program == "worker"


def test_old_crashes_and_crashes_before_the_last_start_do_not_count(judge: Any) -> None:
    before_restart = [
        crash(30),
        crash(25),
        "2026-11-29 11:59:40,000 INFO supervisord started with pid 1\n",
    ]
    old = [crash(300), crash(200), crash(100)]
    settled = status("worker RUNNING pid 40, uptime 0:00:30")
    assert judge(settled, [*before_restart, crash(10)], NOW) == (None, None)
    assert judge(settled, old, NOW) == (None, None)


@pytest.mark.parametrize("type_name", ["python", "python-worker"])
def test_states_come_from_supervisord_as_supervisorctl_shows_them(
    tmp_path: Path, type_name: str
) -> None:
    line = probe(tmp_path, type_name)["status_line"]
    running = {"name": "uwsgi", "group": "uwsgi", "statename": "RUNNING", "pid": 12}
    assert line({**running, "now": 10_000, "start": 10_000 - 3_725}) == (
        "uwsgi RUNNING pid 12, uptime 1:02:05"
    )
    member = {"name": "w_0", "group": "w", "statename": "BACKOFF", "now": 5, "start": 4}
    assert line(member) == "w:w_0 BACKOFF"


# The probe's own HTTP/1.0 and XML-RPC, against the standard library's servers.


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return probe(tmp_path_factory.mktemp("wire"), "python")


class UnixXMLRPCServer(xmlrpc.server.SimpleXMLRPCServer):
    address_family = socket.AF_UNIX


class UnixXMLRPCHandler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    disable_nagle_algorithm = False  # TCP_NODELAY does not exist on a Unix socket


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def supervisord(tmp_path: Path) -> Iterator[tuple[str, list[Any]]]:
    """An XML-RPC server on a Unix socket answering supervisor.getAllProcessInfo with the list
    the test fills in, as supervisord does."""
    path = str(tmp_path / "supervisor.sock")
    infos: list[Any] = []
    server = UnixXMLRPCServer(
        path, requestHandler=UnixXMLRPCHandler, logRequests=False, allow_none=True
    )
    server.register_function(lambda: infos, "supervisor.getAllProcessInfo")

    def fail() -> None:
        raise xmlrpc.client.Fault(10, "SHUTDOWN_STATE")

    server.register_function(fail, "supervisor.fail")
    with serving(server):
        yield path, infos


def test_supervisor_status_is_read_over_the_unix_socket(
    wire: dict[str, Any], supervisord: tuple[str, list[Any]]
) -> None:
    path, infos = supervisord
    infos += [
        {
            "name": "nginx",
            "group": "nginx",
            "statename": "RUNNING",
            "pid": 7,
            "now": 100,
            "start": 91,
            "description": "pid 7, uptime 0:00:09 & <more>",
            "exitstatus": 0,
        },
        {
            "name": "w_1",
            "group": "w",
            "statename": "STARTING",
            "pid": 0,
            "now": 100,
            "start": 99,
            "description": "",
            "exitstatus": 0,
        },
    ]
    wire["SUPERVISOR_SOCKET"] = path
    output, error = wire["supervisor_status"]()
    assert (output, error) == ("nginx RUNNING pid 7, uptime 0:00:09\nw:w_1 STARTING\n", "")


def test_a_fault_or_a_missing_supervisord_is_said(
    wire: dict[str, Any], supervisord: tuple[str, list[Any]], tmp_path: Path
) -> None:
    path, _ = supervisord
    with pytest.raises(ValueError, match="fault 10: SHUTDOWN_STATE"):
        wire["xmlrpc_call"](path, "supervisor.fail", timeout=5)
    wire["SUPERVISOR_SOCKET"] = str(tmp_path / "absent.sock")
    output, error = wire["supervisor_status"]()
    assert output is None
    assert "No such file or directory" in error


XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
)
XMLRPC_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**31), max_value=2**31 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | XML_TEXT
    | st.binary(max_size=64),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(XML_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=XMLRPC_VALUES)
def test_xmlrpc_values_read_as_the_standard_library_wrote_them(
    wire: dict[str, Any], value: Any
) -> None:
    document = xmlrpc.client.dumps((value,), methodresponse=True, allow_none=True)
    assert wire["xmlrpc_value"](document.encode("utf-8")) == value


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"<html>502 Bad Gateway</html>",
        b"<methodResponse><params><param><value><int>x"
        b"</int></value></param></params></methodResponse>",
        b"\x00\xff garbage",
    ],
)
def test_a_reply_that_is_not_xmlrpc_is_a_value_error(wire: dict[str, Any], document: bytes) -> None:
    with pytest.raises(ValueError, match="not an XML-RPC"):
        wire["xmlrpc_value"](document)


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{self.path} {self.headers['Host']} {self.headers['User-Agent']}".encode()
        self.send_response(503 if self.path == "/down" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class KeepAlive(Page):
    protocol_version = "HTTP/1.1"  # answers HTTP/1.0 too, and keeps the connection open


@pytest.mark.parametrize("handler", [Page, KeepAlive])
def test_http_get_reads_the_status_and_the_body(wire: dict[str, Any], handler: Any) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    with serving(server):
        headers = {"Host": "www.app.localhost", "User-Agent": "probe"}
        assert wire["http_get"]("127.0.0.1", port, "/x", timeout=5, headers=headers, body=True) == (
            200,
            b"/x www.app.localhost probe",
        )
        assert wire["http_get"]("127.0.0.1", port, "/down", timeout=5) == (503, b"")


def listener() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_server_that_does_not_speak_http_or_does_not_answer_is_an_os_error(
    wire: dict[str, Any],
) -> None:
    with listener() as server:
        port = server.getsockname()[1]

        def garbage() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(1024)
                connection.sendall(b"SSH-2.0-OpenSSH\r\n")

        thread = threading.Thread(target=garbage, daemon=True)
        thread.start()
        with pytest.raises(OSError, match="not an HTTP reply"):
            wire["http_get"]("127.0.0.1", port, "/", timeout=5)
        thread.join(timeout=10)
        with pytest.raises(OSError, match="timed out"):
            wire["http_get"]("127.0.0.1", port, "/", timeout=0.2)
