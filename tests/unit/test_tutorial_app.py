"""The tutorial application (services/www) driven in-process through its WSGI callable."""

from __future__ import annotations

import importlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest

WWW = Path(__file__).resolve().parents[2] / "services" / "www"

ENVIRONMENT = {
    "DOTCLOUD_PROJECT": "tutorial",
    "DOTCLOUD_SERVICE_NAME": "www",
    "DOTCLOUD_SERVICE_ID": "1",
    "DOTCLOUD_SESSION_REDIS_URL": "redis://root:secret@session:6379",
}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """Keeps the session cookie between requests, as a browser does."""

    application: Callable[..., Any]
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        body = urlencode(form or {}).encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
        }
        if form is not None:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        setup_testing_defaults(environ)
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            started["status"], started["headers"] = status, headers

        chunks = self.application(environ, start_response)
        text = b"".join(chunks).decode()
        for name, value in started["headers"]:
            if name.lower() == "set-cookie":
                self.cookies.update({k: m.value for k, m in SimpleCookie(value).items()})
        return Response(int(started["status"].split()[0]), dict(started["headers"]), text)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def load_wsgi(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], ModuleType]]:
    monkeypatch.syspath_prepend(str(WWW))

    def load() -> ModuleType:
        sys.modules.pop("wsgi", None)
        return importlib.import_module("wsgi")

    yield load
    sys.modules.pop("wsgi", None)
    sys.modules.pop("redis_session", None)


@pytest.fixture
def browser(load_wsgi: Callable[[], ModuleType]) -> Browser:
    return Browser(load_wsgi().application)


def test_hits_count_per_session(browser: Browser) -> None:
    bodies = [browser.request("GET", "/hits").body for _ in range(3)]

    assert bodies == ["1", "2", "3"]
    assert "session_id" in browser.cookies


def test_hits_restart_without_cookie(browser: Browser) -> None:
    browser.request("GET", "/hits")
    browser.request("GET", "/hits")
    stranger = Browser(browser.application)

    assert stranger.request("GET", "/hits").body == "1"
    assert browser.request("GET", "/hits").body == "3"


def test_hits_is_plain_text(browser: Browser) -> None:
    response = browser.request("GET", "/hits")

    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain;charset=utf-8"


def test_instance_without_environment_is_local(browser: Browser) -> None:
    assert browser.request("GET", "/instance").body == "local.0"


def test_instance_from_environment_json(home: Path, load_wsgi: Callable[[], ModuleType]) -> None:
    without_redis = {k: v for k, v in ENVIRONMENT.items() if "REDIS" not in k}
    (home / "environment.json").write_text(json.dumps(without_redis))

    browser = Browser(load_wsgi().application)

    assert browser.request("GET", "/instance").body == "www.1"


def test_environment_json_with_redis_mounts_redis_sessions(
    home: Path, load_wsgi: Callable[[], ModuleType]
) -> None:
    (home / "environment.json").write_text(json.dumps(ENVIRONMENT))

    wsgi = load_wsgi()

    root_config = wsgi.application.config["/"]
    assert root_config["tools.sessions.storage_class"] is wsgi.RedisSession
    assert root_config["tools.sessions.url"] == ENVIRONMENT["DOTCLOUD_SESSION_REDIS_URL"]


def test_page_has_button_output_and_static_links(browser: Browser) -> None:
    response = browser.request("GET", "/")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<button id="generate"' in response.body
    assert 'id="generated-string"' in response.body
    assert '<link rel="stylesheet" href="/static/style.css">' in response.body
    assert '<script src="/static/app.js" defer></script>' in response.body
    assert '<strong id="hits">1</strong>' in response.body
    assert '<code id="session-store">memory</code>' in response.body


def test_page_and_hits_share_the_counter(browser: Browser) -> None:
    browser.request("GET", "/")

    assert browser.request("GET", "/hits").body == "2"


def test_generator_get_before_post_is_404(browser: Browser) -> None:
    assert browser.request("GET", "/generator").status == 404


def test_generator_post_creates_hex_string_of_default_length(browser: Browser) -> None:
    created = browser.request("POST", "/generator", {})

    assert created.status == 200
    assert re.fullmatch("[0-9a-f]{8}", created.body), created.body
    assert browser.request("GET", "/generator").body == created.body


def test_generator_post_makes_a_new_random_string_each_time(browser: Browser) -> None:
    made = {browser.request("POST", "/generator", {}).body for _ in range(5)}

    assert len(made) == 5  # by chance two of five 32-bit strings match once in 400 million


def test_generator_post_with_length(browser: Browser) -> None:
    created = browser.request("POST", "/generator", {"length": "13"})

    assert re.fullmatch("[0-9a-f]{13}", created.body), created.body


@pytest.mark.parametrize("length", ["0", "65", "abc"])
def test_generator_post_rejects_bad_length(browser: Browser, length: str) -> None:
    assert browser.request("POST", "/generator", {"length": length}).status == 400


def test_generator_put_replaces_string(browser: Browser) -> None:
    browser.request("POST", "/generator", {})

    replaced = browser.request("PUT", "/generator", {"another_string": "hello"})

    assert (replaced.status, replaced.body) == (200, "hello")
    assert browser.request("GET", "/generator").body == "hello"


def test_generator_put_without_string_is_400(browser: Browser) -> None:
    assert browser.request("PUT", "/generator", {}).status == 400


def test_generator_delete_removes_string(browser: Browser) -> None:
    browser.request("POST", "/generator", {})

    deleted = browser.request("DELETE", "/generator")

    assert (deleted.status, deleted.body) == (204, "")
    assert browser.request("GET", "/generator").status == 404
    assert browser.request("DELETE", "/generator").status == 404


def test_generator_string_belongs_to_its_session(browser: Browser) -> None:
    browser.request("POST", "/generator", {})

    assert Browser(browser.application).request("GET", "/generator").status == 404


def test_generator_refuses_other_methods(browser: Browser) -> None:
    response = browser.request("PATCH", "/generator", {})

    assert response.status == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST", "PUT", "DELETE"}


def test_postinstall_404_when_it_never_ran(browser: Browser) -> None:
    assert browser.request("GET", "/postinstall").status == 404


def test_postinstall_ran_before_start(home: Path, load_wsgi: Callable[[], ModuleType]) -> None:
    (home / "postinstall.ran").write_text("1700000000\n")

    response = Browser(load_wsgi().application).request("GET", "/postinstall")

    assert (response.status, response.body) == (200, "ran-before-start: yes\nran-at: 1700000000\n")


def test_postinstall_ran_after_start(home: Path, load_wsgi: Callable[[], ModuleType]) -> None:
    browser = Browser(load_wsgi().application)
    (home / "postinstall.ran").write_text("1700000000\n")

    assert browser.request("GET", "/postinstall").body.startswith("ran-before-start: no\n")


def test_sessions_stay_in_memory_without_redis(load_wsgi: Callable[[], ModuleType]) -> None:
    wsgi = load_wsgi()

    assert "tools.sessions.storage_class" not in wsgi.session_config(None)


def test_sessions_use_redis_when_configured(load_wsgi: Callable[[], ModuleType]) -> None:
    wsgi = load_wsgi()

    config = wsgi.session_config("redis://root:pw@session:6379")

    assert config["tools.sessions.storage_class"].__name__ == "RedisSession"
    assert config["tools.sessions.url"] == "redis://root:pw@session:6379"
    assert config["tools.sessions.locking"] == "early"


def test_load_environment_reads_environment_json(
    home: Path, load_wsgi: Callable[[], ModuleType]
) -> None:
    wsgi = load_wsgi()
    (home / "environment.json").write_text(json.dumps(ENVIRONMENT))

    assert wsgi.load_environment(home) == ENVIRONMENT


def test_load_environment_without_file_is_empty(
    home: Path, load_wsgi: Callable[[], ModuleType]
) -> None:
    assert load_wsgi().load_environment(home) == {}


def test_load_environment_rejects_non_object(
    home: Path, load_wsgi: Callable[[], ModuleType]
) -> None:
    wsgi = load_wsgi()
    (home / "environment.json").write_text("[]")

    with pytest.raises(ValueError, match="expected a JSON object"):
        wsgi.load_environment(home)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        pytest.param({}, None, id="empty"),
        pytest.param(ENVIRONMENT, "redis://root:secret@session:6379", id="session"),
        pytest.param(
            {"DOTCLOUD_CACHE_REDIS_URL": "redis://root:a@cache:6379"},
            "redis://root:a@cache:6379",
            id="other-service",
        ),
        pytest.param(
            {
                "DOTCLOUD_ALPHA_REDIS_URL": "redis://root:a@alpha:6379",
                "DOTCLOUD_SESSION_REDIS_URL": "redis://root:s@session:6379",
            },
            "redis://root:s@session:6379",
            id="session-preferred",
        ),
        pytest.param(
            {
                "DOTCLOUD_ZETA_REDIS_URL": "redis://root:z@zeta:6379",
                "DOTCLOUD_ALPHA_REDIS_URL": "redis://root:a@alpha:6379",
            },
            "redis://root:a@alpha:6379",
            id="first-by-name",
        ),
        pytest.param(
            {
                "DOTCLOUD_DB_MYSQL_URL": "mysql://root:m@db:3306",
                "DOTCLOUD_SESSION_REDIS_HOST": "session",
                "REDIS_URL": "redis://elsewhere:6379",
            },
            None,
            id="no-redis-url-key",
        ),
    ],
)
def test_find_redis_url(
    load_wsgi: Callable[[], ModuleType], environment: dict[str, str], expected: str | None
) -> None:
    assert load_wsgi().find_redis_url(environment) == expected


def test_headers_reports_what_the_gateway_forwarded(browser: Browser) -> None:
    response = browser.request("GET", "/headers")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    seen = json.loads(response.body)
    assert set(seen) == {
        "Host",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
        "X-Real-Ip",
    }
    assert seen["X-Forwarded-Proto"] == ""
