"""The dashboard's pure parts (masking, the cross-site checks, the JSON) and its routes, driven
with a fake application API: no Docker, no browser."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dotcloud_emulator.api import instances
from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.api.services import ServiceFacts
from dotcloud_emulator.dashboard import masking, shaping
from dotcloud_emulator.dashboard.actions import Actions
from dotcloud_emulator.dashboard.security import Guard
from dotcloud_emulator.dashboard.server import make_server
from dotcloud_emulator.dashboard.views import Dashboard, Request, events
from dotcloud_emulator.errors import NoSuchService, UsageError, UserError

PORT = 8181
TOKEN = "t0ken-for-tests"
PASSWORD = "Zq8r1mV3sEcReT9xKp2Lw0aa"
REDIS_URL = f"redis://root:{PASSWORD}@session:6379"
ENV: dict[str, object] = {
    "DOTCLOUD_PROJECT": "tutorial",
    "PORT_HTTP": 8080,
    "DOTCLOUD_SESSION_REDIS_LOGIN": "root",
    "DOTCLOUD_SESSION_REDIS_PASSWORD": PASSWORD,
    "DOTCLOUD_SESSION_REDIS_URL": REDIS_URL,
    "DOTCLOUD_WWW_HTTP_URL": "http://www.tutorial.localhost:8080/",
}


def wait_for(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def running(service: str, number: int, health: str | None = "healthy") -> instances.Instance:
    return instances.Instance(
        "tutorial", service, number, "service", "python", f"{service}{number}", "c",
        "running", health, 0,
    )  # fmt: skip


def facts(name: str, type_name: str, ports: list[tuple[str, str]]) -> ServiceFacts:
    return ServiceFacts("tutorial", name, type_name, {}, None, {0: True}, ports)


def tutorial_snapshot() -> shaping.Snapshot:
    return shaping.Snapshot(
        "tutorial",
        [
            facts("www", "python", [("http", "http://www.tutorial.localhost:8080/")]),
            facts("session", "redis", [("redis", f"redis://root:{PASSWORD}@127.0.0.1:49153")]),
        ],
        {("www", "www.0"): "up", ("www", "www.1"): "down", ("session", "session.0"): "up"},
        [running("www", 0), running("session", 0, None)],
    )


class FakeBackend:
    """The application API as the views see it, recording the actions asked for."""

    def __init__(self) -> None:
        self.restarted: list[str] = []
        self.scaled: list[tuple[str, int]] = []
        self.release = threading.Event()
        self.release.set()
        self.failure: Exception | None = None

    def applications(self) -> dict[str, list[dict[str, object]]]:
        if self.failure:
            raise self.failure
        return {"tutorial": [{"name": "www", "type": "python", "instances": 1, "running": 1}]}

    def snapshot(self, app: str) -> shaping.Snapshot:
        assert self.release.wait(10)
        return tutorial_snapshot()

    def environment(self, app: str, service: str) -> dict[str, object]:
        if service != "www":
            raise NoSuchService(app, service, ["www", "session"])
        return dict(ENV)

    def past_lines(self, app: str, instance: str, lines: int) -> list[str]:
        return [f"[{instance}] GET /"]

    def follow(self, app: str, instance: str, lines: int, stop: threading.Event) -> Iterator[str]:
        yield f"[{instance}] one"
        yield f"[{instance}] two"

    def restart(self, app: str, instance: str, progress: Progress) -> None:
        assert self.release.wait(10)
        progress.event(instance, "Restarting...")
        self.restarted.append(instance)

    def scale(self, app: str, service: str, count: int, progress: Progress) -> None:
        self.scaled.append((service, count))

    def mail(self, app: str, service: str) -> list[dict[str, object]]:
        if service != "mail":
            raise UsageError(f"{app}.{service} is a python service: only smtp keeps mail")
        return [dict(KEPT_MESSAGE)]


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def dashboard(backend: FakeBackend) -> Dashboard:
    return Dashboard(backend, Guard(PORT, TOKEN), Actions())


def same_origin(**more: str) -> dict[str, str]:
    return {
        "host": f"127.0.0.1:{PORT}",
        "origin": f"http://127.0.0.1:{PORT}",
        "x-csrf-token": TOKEN,
        "content-type": "application/json",
        **more,
    }


def get(dashboard: Dashboard, path: str, host: str = f"localhost:{PORT}") -> tuple[int, Any]:
    response = dashboard.handle(Request("GET", path, {"host": host}))
    is_json = response.content_type == "application/json"
    return response.status, json.loads(response.body) if is_json else response.body.decode()


def post(
    dashboard: Dashboard, path: str, body: object, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    request = Request("POST", path, headers or same_origin(), body=json.dumps(body).encode())
    response = dashboard.handle(request)
    return response.status, json.loads(response.body)


# the cross-site checks


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"LOCALHOST:{PORT}"])
def test_the_dashboards_own_host_is_accepted(host: str) -> None:
    assert Guard(PORT, TOKEN).refuse_host({"host": host}) is None


@pytest.mark.parametrize(
    "host",
    [
        f"evil.example:{PORT}",  # DNS rebinding: a name of the attacker's resolving to loopback
        f"127.0.0.1.nip.io:{PORT}",
        f"127.0.0.1:{PORT + 1}",
        "127.0.0.1",
        "",
    ],
)
def test_any_other_host_is_refused(host: str) -> None:
    assert Guard(PORT, TOKEN).refuse_host({"host": host}) is not None


def test_a_change_from_the_dashboard_itself_is_accepted() -> None:
    assert Guard(PORT, TOKEN).refuse_change(same_origin()) is None
    assert Guard(PORT, TOKEN).refuse_change(same_origin(origin=f"http://localhost:{PORT}")) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"origin": "http://evil.example"}, "Origin"),
        ({"origin": f"http://127.0.0.1:{PORT + 1}"}, "Origin"),
        ({"origin": "null"}, "Origin"),
        ({"x-csrf-token": "guessed"}, "token"),
        ({"x-csrf-token": ""}, "token"),
        ({"content-type": "text/plain"}, "application/json"),
        ({"host": f"evil.example:{PORT}"}, "answers only"),
    ],
)
def test_a_change_from_elsewhere_is_refused(change: dict[str, str], reason: str) -> None:
    refused = Guard(PORT, TOKEN).refuse_change(same_origin(**change))
    assert refused is not None
    assert reason in refused


def test_a_change_without_origin_or_token_is_refused() -> None:
    headers = same_origin()
    del headers["origin"]
    assert Guard(PORT, TOKEN).refuse_change(headers) is not None
    headers = same_origin()
    del headers["x-csrf-token"]
    assert Guard(PORT, TOKEN).refuse_change(headers) is not None


# masking


@pytest.mark.parametrize(
    "name",
    ["DOTCLOUD_DB_SQL_PASSWORD", "SECRET_KEY", "API_KEY", "GITHUB_TOKEN", "MY_PASSWD", "KEY"],
)
def test_secret_names(name: str) -> None:
    assert masking.is_secret_name(name)


@pytest.mark.parametrize("name", ["DOTCLOUD_DB_SQL_LOGIN", "KEYBOARD", "PORT_HTTP", "MONKEY_COUNT"])
def test_names_that_are_not_secret(name: str) -> None:
    assert not masking.is_secret_name(name)


def test_a_password_and_every_value_holding_it_are_masked() -> None:
    shown = masking.masked_environment(ENV)

    assert PASSWORD not in json.dumps(shown)
    secret = {entry["name"] for entry in shown if entry["secret"]}
    assert secret == {"DOTCLOUD_SESSION_REDIS_PASSWORD", "DOTCLOUD_SESSION_REDIS_URL"}
    values = {entry["name"]: entry["value"] for entry in shown}
    assert values["DOTCLOUD_SESSION_REDIS_LOGIN"] == "root"
    assert values["PORT_HTTP"] == 8080
    assert [entry["name"] for entry in shown] == sorted(ENV)


def test_a_url_with_a_password_is_secret_whatever_its_name() -> None:
    env = {"CACHE": "redis://:hunter22@cache:6379/0", "ELSEWHERE": "http://example.com/"}
    assert masking.secret_names(env) == {"CACHE"}


def test_an_empty_secret_masks_nothing_else() -> None:
    assert masking.secret_names({"EMPTY_PASSWORD": "", "NAME": "tutorial"}) == set()


def test_a_data_url_is_shown_with_its_password_masked() -> None:
    url = f"redis://root:{PASSWORD}@127.0.0.1:49153"
    assert masking.masked_url(url) == f"redis://root:{masking.MASK}@127.0.0.1:49153"
    assert masking.masked_url("http://www.tutorial.localhost:8080/") == (
        "http://www.tutorial.localhost:8080/"
    )


# the JSON


def test_the_application_document_lists_services_instances_and_urls() -> None:
    document = shaping.application_document(tutorial_snapshot(), None)

    www, session = document["services"]
    assert (www["name"], www["type"], www["scalable"]) == ("www", "python", True)
    assert (session["name"], session["scalable"]) == ("session", False)
    assert www["instances"] == [
        {"label": "www.0", "state": "up", "health": "healthy", "status": "running"},
        {"label": "www.1", "state": "down", "health": "none", "status": "missing"},
    ]
    assert www["ports"] == [
        {"name": "http", "url": "http://www.tutorial.localhost:8080/", "open": True}
    ]
    assert session["ports"][0]["open"] is False
    assert PASSWORD not in json.dumps(document)


def test_an_instance_restarting_from_the_dashboard_says_so() -> None:
    action = shaping.ActionView("restart", "www.0", running=True)
    www = shaping.application_document(tutorial_snapshot(), action)["services"][0]
    assert [i["state"] for i in www["instances"]] == ["restarting", "down"]
    done = shaping.ActionView("restart", "www.0", running=False)
    www = shaping.application_document(tutorial_snapshot(), done)["services"][0]
    assert www["instances"][0]["state"] == "up"


@pytest.mark.parametrize(
    ("status", "health", "state"),
    [
        ("running", "starting", "up"),  # ready by the engine's probe, before Docker's next check
        ("running", "unhealthy", "unhealthy"),
        ("running", None, "up"),
        ("exited", None, "exited"),
    ],
)
def test_instance_states(status: str, health: str | None, state: str) -> None:
    instance = running("www", 0, health)
    instance = instances.Instance(**{**instance.__dict__, "status": status})
    assert shaping.instance_state(instance) == state


# the routes


def test_the_index_lists_the_applications(dashboard: Dashboard) -> None:
    status, html = get(dashboard, "/")
    assert status == 200
    assert 'href="/app/tutorial"' in html


def test_the_index_shows_an_error_of_the_api_instead_of_failing(
    dashboard: Dashboard, backend: FakeBackend
) -> None:
    backend.failure = UserError("cannot reach the Docker engine")
    status, html = get(dashboard, "/")
    assert status == 200
    assert "cannot reach the Docker engine" in html


def test_the_application_page_carries_the_token_and_no_secret(dashboard: Dashboard) -> None:
    status, html = get(dashboard, "/app/tutorial")
    assert status == 200
    assert f'<meta name="csrf-token" content="{TOKEN}">' in html
    assert PASSWORD not in html
    assert "<script>" not in html  # the policy allows scripts from /static only


def test_the_environment_is_masked_and_revealed_on_request(dashboard: Dashboard) -> None:
    status, shown = get(dashboard, "/api/apps/tutorial/services/www/environment")
    assert status == 200
    assert PASSWORD not in json.dumps(shown)

    path = "/api/apps/tutorial/services/www/environment/reveal"
    status, revealed = post(dashboard, path, {"name": "DOTCLOUD_SESSION_REDIS_PASSWORD"})
    assert (status, revealed) == (
        200,
        {"name": "DOTCLOUD_SESSION_REDIS_PASSWORD", "value": PASSWORD},
    )


KEPT_MESSAGE = {
    "key": "1796318894.M605999P1Q1.host",
    "sender": "<worker@example.com>",
    "recipients": "<you@example.org>",
    "subject": "Hello",
    "date": "",
    "kept_at": "2026-12-03T17:28:14Z",
}


def test_the_mail_an_smtp_service_kept_is_listed(dashboard: Dashboard) -> None:
    assert get(dashboard, "/api/apps/tutorial/services/mail/mail") == (
        200,
        {"service": "mail", "messages": [KEPT_MESSAGE]},
    )
    status, refused = get(dashboard, "/api/apps/tutorial/services/www/mail")
    assert status == 400
    assert "only smtp keeps mail" in refused["error"]


def test_a_reveal_without_the_token_is_refused(dashboard: Dashboard) -> None:
    path = "/api/apps/tutorial/services/www/environment/reveal"
    headers = same_origin(origin="http://evil.example")
    del headers["x-csrf-token"]
    status, body = post(dashboard, path, {"name": "DOTCLOUD_SESSION_REDIS_PASSWORD"}, headers)
    assert status == 403
    assert PASSWORD not in json.dumps(body)


def test_a_reveal_of_an_unknown_variable_or_service_is_404(dashboard: Dashboard) -> None:
    path = "/api/apps/tutorial/services/www/environment/reveal"
    assert post(dashboard, path, {"name": "NOPE"})[0] == 404
    assert post(dashboard, path.replace("www", "nope"), {"name": "X"})[0] == 404


def test_a_rebinding_host_is_refused_even_for_reading(dashboard: Dashboard) -> None:
    status, body = get(dashboard, "/api/apps/tutorial", host=f"evil.example:{PORT}")
    assert status == 403
    assert "answers only" in body["error"]


def test_a_restart_runs_in_the_background_and_is_shown(
    dashboard: Dashboard, backend: FakeBackend
) -> None:
    backend.release.clear()
    assert post(dashboard, "/api/apps/tutorial/instances/www.0/restart", {})[0] == 202
    assert post(dashboard, "/api/apps/tutorial/instances/www.0/restart", {})[0] == 409

    backend.release.set()
    wait_for(lambda: backend.restarted == ["www.0"])
    wait_for(lambda: not get(dashboard, "/api/apps/tutorial")[1]["action"]["running"])
    action = get(dashboard, "/api/apps/tutorial")[1]["action"]
    assert action == {
        "kind": "restart", "target": "www.0", "running": False, "error": None,
        "lines": ["[www.0] Restarting..."],
    }  # fmt: skip


@pytest.mark.parametrize("instance", ["www", "www.x", "a.b.c"])
def test_a_restart_of_something_that_is_not_an_instance_is_400(
    dashboard: Dashboard, instance: str
) -> None:
    assert post(dashboard, f"/api/apps/tutorial/instances/{instance}/restart", {})[0] == 400


def test_scale_asks_the_api(dashboard: Dashboard, backend: FakeBackend) -> None:
    assert post(dashboard, "/api/apps/tutorial/services/www/scale", {"instances": 2})[0] == 202
    wait_for(lambda: backend.scaled == [("www", 2)])
    assert post(dashboard, "/api/apps/tutorial/services/www/scale", {"instances": "2"})[0] == 400
    assert post(dashboard, "/api/apps/tutorial/services/www/scale", {"instances": True})[0] == 400


def test_unknown_pages_and_methods(dashboard: Dashboard) -> None:
    assert get(dashboard, "/nope")[0] == 404
    assert get(dashboard, "/api/apps/tutorial/instances/www.0/restart")[0] == 405
    assert get(dashboard, "/static/../views.py")[0] == 404
    assert get(dashboard, "/app/Bad.Name")[0] == 400


def test_the_log_stream_sends_past_and_new_lines_then_ends(dashboard: Dashboard) -> None:
    response = dashboard.handle(
        Request(
            "GET", "/api/apps/tutorial/instances/www.0/logs/stream", {"host": f"127.0.0.1:{PORT}"}
        )
    )
    assert response.content_type == "text/event-stream"
    assert response.stream is not None
    text = b"".join(response.stream).decode()
    assert text == (
        'retry: 2000\n\nevent: reset\ndata: "www.0"\n\n'
        'event: line\ndata: "[www.0] one"\n\n'
        'event: line\ndata: "[www.0] two"\n\n'
        'event: end\ndata: "www.0 stopped"\n\n'
    )


def test_closing_the_log_stream_stops_the_follower() -> None:
    stopped = threading.Event()

    def follow(app: str, instance: str, lines: int, stop: threading.Event) -> Iterator[str]:
        yield "[www.0] first"
        stop.wait(10)
        stopped.set()

    stream = events(follow, "tutorial", "www.0")
    next(stream)  # reset
    assert b"first" in next(stream)
    stream.close()
    assert stopped.wait(5)


def test_a_server_error_is_one_line_and_the_dashboard_goes_on(
    dashboard: Dashboard, backend: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    backend.failure = RuntimeError("boom")
    status, body = get(dashboard, "/api/apps")
    assert (status, body) == (500, {"error": "internal error: RuntimeError"})
    backend.failure = None
    assert get(dashboard, "/api/apps")[0] == 200


def test_a_slow_answer_does_not_hold_up_the_others(backend: FakeBackend) -> None:
    """A page asking about an application being pushed waits for the API; others are served."""
    server = make_server(0, backend)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    backend.release.clear()
    try:
        slow = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        slow.request("GET", "/api/apps/tutorial", headers={"Host": f"127.0.0.1:{port}"})
        quick = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        quick.request("GET", "/api/apps", headers={"Host": f"127.0.0.1:{port}"})
        assert quick.getresponse().status == 200
        backend.release.set()
        assert slow.getresponse().status == 200
    finally:
        backend.release.set()
        server.shutdown()
        server.server_close()


# the API's follower


class BlockingStream:
    """A log stream that has no new line until it is closed, like Docker's for a quiet app."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield b"past line\n"
        self.closed.wait(10)

    def close(self) -> None:
        self.closed.set()


class QuietContainer:
    def __init__(self, stream: BlockingStream) -> None:
        self.stream = stream

    def logs(self, **options: Any) -> BlockingStream:
        return self.stream


def test_a_follower_told_to_stop_closes_dockers_streams() -> None:
    stream = BlockingStream()
    client = type("Client", (), {})()
    client.containers = type("Containers", (), {"get": lambda self, _id: QuietContainer(stream)})()
    stop = threading.Event()
    lines = instances.follow(instances.Selection(client, [running("www", 0)]), 10, stop)

    assert next(lines) == "[www.0] past line"
    stop.set()
    assert list(lines) == []
    assert stream.closed.is_set()


def test_a_refusal_is_told_on_the_terminal_and_a_reveal_never_is(
    dashboard: Dashboard, capsys: pytest.CaptureFixture[str]
) -> None:
    path = "/api/apps/tutorial/services/www/environment/reveal"
    headers = same_origin(origin="http://evil.example")
    post(dashboard, path, {"name": "DOTCLOUD_SESSION_REDIS_PASSWORD"}, headers)
    post(dashboard, path, {"name": "DOTCLOUD_SESSION_REDIS_PASSWORD"})

    err = capsys.readouterr().err
    assert err == (
        f'dashboard: refused POST "{path}": cross-site request refused: '
        "its Origin is not this dashboard\n"
    )
    assert PASSWORD not in err
