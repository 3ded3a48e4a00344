"""Acceptance for issue 8: applications written the way 2012 dotCloud apps were run unchanged.

One application per cause, from tests/fixtures/apps/ (its README says what each one checks).
Each is copied, brought up under a unique name and destroyed afterwards, even when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import (
    ROOT,
    Cli,
    RunningApp,
    free_port,
    poll,
    remove_app_leftovers,
    unique_app,
)

FIXTURES = ROOT / "tests" / "fixtures" / "apps"
PIP_DATE = "2012-06-01"


def copy_fixture(name: str, destination: Path) -> Path:
    appdir = destination / name
    shutil.copytree(FIXTURES / name, appdir, ignore=shutil.ignore_patterns("__pycache__"))
    return appdir


def up(
    cli: Cli, app: RunningApp, *options: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return cli.run(
        "up", str(app.appdir), "-A", app.name, "--port", str(app.port), *options, check=check
    )


@contextlib.contextmanager
def fixture_app(
    cli: Cli, name: str, tmp_path_factory: pytest.TempPathFactory, *options: str
) -> Iterator[RunningApp]:
    app = RunningApp(
        unique_app(name.replace("-", "")[:10]),
        free_port(),
        copy_fixture(name, tmp_path_factory.mktemp(name)),
    )
    try:
        up(cli, app, *options)
        yield app
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_app_leftovers(app.name)


def get(
    app: RunningApp, service: str, path: str, session: requests.Session | None = None
) -> requests.Response:
    client = session or requests
    return client.get(f"{app.base}{path}", headers={"Host": app.host(service)}, timeout=10)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


# --- Python 2 by default, Redis sessions, /static ------------------------------------------------


def test_cherrypy_32_runs_on_python_2_with_redis_sessions_and_static(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    with fixture_app(cli, "py2-cherrypy", tmp_path_factory) as app:
        assert get(app, "www", "/version").text.startswith("2.7.")
        # kombu 2.x's import, which Python 2.7.18's uuid alone would refuse
        kombu_import = "from uuid import _uuid_generate_random, uuid4; print(uuid4())"
        shell = cli.run("run", f"{app.name}.www", "--", f"python -c '{kombu_import}'")
        assert len(shell.stdout.strip()) == 36
        # the database drivers the platform's image had, which the app does not list
        drivers = (
            'import psycopg2, MySQLdb; print("%s %s" % (psycopg2.__version__, MySQLdb.__version__))'
        )
        shell = cli.run("run", f"{app.name}.www", "--", f"python -c '{drivers}'")
        assert shell.stdout.startswith("2.4.5 (")  # psycopg2's version, then its build options
        assert shell.stdout.split()[-1] == "1.2.3"  # MySQL-python's

        session = requests.Session()
        counts = [get(app, "www", "/hits", session).text for _ in range(3)]
        assert counts == ["1", "2", "3"]
        assert get(app, "www", "/hits").text == "1"

        static = get(app, "www", "/static/hello.txt")
        assert static.status_code == 200
        assert static.text == (FIXTURES / "py2-cherrypy/www/static/hello.txt").read_text()


# --- dependency time travel ----------------------------------------------------------------------


def test_flask_08_with_an_unpinned_werkzeug_runs_with_pip_date(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    with fixture_app(cli, "py2-flask-timetravel", tmp_path_factory, "--pip-date", PIP_DATE) as app:
        versions = get(app, "web", "/versions").json()
        assert versions["flask"] == "0.8"
        assert versions["werkzeug"] == "0.8.3"
        session = requests.Session()
        assert [get(app, "web", "/hits", session).text for _ in range(2)] == ["1\n", "2\n"]


def test_flask_08_with_a_plain_up_resolves_as_of_its_newest_pin(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    """No git history: the era is Flask 0.8's release day (PyPI's upload time) plus a month."""
    app = RunningApp(
        unique_app("flaskera"),
        free_port(),
        copy_fixture("py2-flask-timetravel", tmp_path_factory.mktemp("flaskera")),
    )
    try:
        result = up(cli, app)
        versions = get(app, "web", "/versions").json()
        info = cli.run("info", f"{app.name}.web", "--json").stdout
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_app_leftovers(app.name)

    assert (
        "Resolving requirements as released before 2011-10-29 "
        "(newest pinned release: Flask 0.8, 2011-09-29)" in output(result)
    )
    assert versions["flask"] == "0.8"
    assert versions["werkzeug"] == "0.8.1"  # out on 2011-09-30; 0.8.2 came in December
    assert json.loads(info)["packages_before"] == {
        "date": "2011-10-29",
        "source": "newest pinned release: Flask 0.8, 2011-09-29",
    }


def test_flask_08_with_todays_releases_fails_naming_the_cause_and_suggesting_a_date(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    app = RunningApp(
        unique_app("flasknow"),
        free_port(),
        copy_fixture("py2-flask-timetravel", tmp_path_factory.mktemp("flasknow")),
    )
    try:
        result = up(cli, app, "--pip-date", "today", check=False)
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_app_leftovers(app.name)

    assert result.returncode != 0
    assert "Resolving requirements as released today (--pip-date today)" in output(result)
    assert "contrib.securecookie" in output(result)
    assert "--pip-date" in output(result)


# --- build tooling and shims ---------------------------------------------------------------------


def test_django_14_on_postgresql_with_psycopg2_245_built_from_source(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    with fixture_app(cli, "py2-django-pg", tmp_path_factory) as app:
        assert get(app, "www", "/").text.startswith("Django 1.4.3, psycopg2 2.4.5, Python 2.7.")
        # the approot's nginx.conf raises the platform's 1 MB body limit
        # (the status line is enough: the application may close without reading the body)
        with requests.post(
            f"{app.base}/",
            data=b"x" * 2_000_000,
            headers={"Host": app.host("www")},
            timeout=10,
            stream=True,
        ) as upload:
            assert upload.status_code != 413

        first = get(app, "www", "/note/abc").text.split()
        second = get(app, "www", "/note/def").text.split()
        assert first[0] == "abc"
        assert second[0] == "def"
        assert int(second[2]) == int(first[2]) + 1


def test_mysql_python_12_on_mysql(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    with fixture_app(cli, "py2-mysql", tmp_path_factory) as app:
        assert get(app, "web", "/").text.startswith("MySQL-python 1.2.5, Python 2.7.")

        first = get(app, "web", "/note/abc").text.split()
        second = get(app, "web", "/note/def").text.split()
        assert first[0] == "abc"
        assert int(second[2]) == int(first[2]) + 1


def test_custom_buildscript_uses_virtualenv_and_wget(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    with fixture_app(cli, "custom-virtualenv-wget", tmp_path_factory) as app:
        assert get(app, "api", "/").text == "custom service up\n"
        assert get(app, "api", "/venv").text == "/home/dotcloud/env\n"
        payload = FIXTURES / "custom-virtualenv-wget/files/payload.txt"
        assert get(app, "api", "/payload").text == payload.read_text()
        assert get(app, "api", "/greeting").text.startswith("hello from a package")


# --- supervisord.conf programs and readiness ------------------------------------------------------


def worker_status(cli: Cli, app: RunningApp) -> dict[str, str | None]:
    printed = cli.run("run", f"{app.name}.worker", "--", "python ~/current/status.py").stdout
    status: dict[str, str | None] = json.loads(printed.strip().splitlines()[-1])
    return status


def test_a_supervisord_conf_program_runs_python_from_the_virtualenv(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    with fixture_app(cli, "py2-worker-supervisord", tmp_path_factory) as app:
        poll(
            lambda: int(worker_status(cli, app)["worker:ticks"] or 0) >= 2,
            what="the worker's ticks in Redis",
        )
        status = worker_status(cli, app)
        assert (status["worker:python"] or "").startswith("2.7.")
        assert status["worker:executable"] == "/home/dotcloud/env/bin/python"
        # the program of the approot's supervisord.conf writes to what `logs` shows
        logs = cli.run("logs", f"{app.name}.worker", "-n", "200").stdout
        assert "worker: python 2.7." in logs


def test_up_fails_and_names_a_worker_whose_program_dies(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> None:
    app = RunningApp(
        unique_app("dies"),
        free_port(),
        copy_fixture("worker-dies", tmp_path_factory.mktemp("dies")),
    )
    try:
        result = up(cli, app, check=False)
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_app_leftovers(app.name)

    assert result.returncode != 0
    assert "Application fully deployed" not in output(result)
    assert "worker.0" in output(result)
    assert "dies.py: giving up (exit status 3)" in output(result)
