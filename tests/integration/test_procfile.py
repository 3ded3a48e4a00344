"""Heroku-style applications run with the same machinery: examples/django-procfile (the Django
1.4 project of Heroku's 2013 tutorial: requirements.txt, dj_database_url reading $DATABASE_URL,
`web: python manage.py runserver 0.0.0.0:$PORT --noreload`, the heroku-postgresql add-on in
app.json) comes up with `up`, `syncdb` runs through `run`, the page reads from PostgreSQL
through the gateway, `status` prints `heroku ps`, and `scale web=2` serves from two dynos.

One application (one image build) for the module; the tests run in the order written.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator

import pytest
import requests

from .conftest import ROOT, Cli, RunningApp, poll, running_app

EXAMPLE = ROOT / "examples" / "django-procfile"
COMMAND = "python manage.py runserver 0.0.0.0:$PORT --noreload"
VISITS = re.compile(r'<strong id="visits">(\d+)</strong>')
DYNO = re.compile(r'<span id="dyno">(web\.\d)</span>')
PS_LINE = re.compile(r"web\.(\d): up \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \(~ \d+[smhd] ago\)")


@pytest.fixture(scope="module")
def heroku_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = tmp_path_factory.mktemp("procfile") / "django-procfile"
    shutil.copytree(
        EXAMPLE, appdir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "gateway")
    )
    with running_app(cli, "heroku", appdir, cleanup_apps) as app:
        yield app


def page(app: RunningApp) -> str:
    response = requests.get(f"{app.base}/", headers={"Host": app.host("web")}, timeout=30)
    assert response.status_code == 200, response.text[-2000:]
    return response.text


def visits(text: str) -> int:
    found = VISITS.search(text)
    assert found, text
    return int(found.group(1))


def test_syncdb_through_run_then_the_page_reads_from_postgresql(
    cli: Cli, heroku_app: RunningApp
) -> None:
    synced = cli.run("run", f"{heroku_app.name}.web", "--", "python manage.py syncdb --noinput")
    assert "Creating table hello_visit" in synced.stdout + synced.stderr
    first = page(heroku_app)
    assert "<h1>Hello from Django on PostgreSQL</h1>" in first  # GREETING of .env
    assert re.search(r'<span id="server">PostgreSQL 15\.\d+', first), first
    assert visits(page(heroku_app)) == visits(first) + 1  # each request is a row


def test_the_build_ran_collectstatic_and_kept_dotenv_out(cli: Cli, heroku_app: RunningApp) -> None:
    listing = cli.run(
        "run", f"{heroku_app.name}.web", "--", "ls staticfiles/admin/css; ls -a ~/code"
    ).stdout
    assert "base.css" in listing  # Django's admin files, where settings.STATIC_ROOT says
    assert "Procfile" in listing
    assert ".env" not in listing.split()


def test_status_prints_heroku_ps(cli: Cli, heroku_app: RunningApp) -> None:
    lines = cli.run("status", heroku_app.name).stdout.splitlines()
    assert lines[0] == f"=== web: `{COMMAND}`"
    assert [PS_LINE.fullmatch(line) is not None for line in lines[1:]] == [True], lines
    dynos = json.loads(cli.run("status", heroku_app.name, "--json").stdout)
    assert [(d["name"], d["type"], d["state"], d["command"]) for d in dynos] == [
        ("web.1", "web", "up", COMMAND)
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", dynos[0]["updated_at"])
    # An add-on's service is not a dyno: its status is dotCloud's.
    assert cli.run("status", f"{heroku_app.name}.postgresql").stdout == "postgresql.0: up\n"


def test_scale_web_to_two_dynos_sharing_the_database(cli: Cli, heroku_app: RunningApp) -> None:
    before = visits(page(heroku_app))
    cli.run("scale", heroku_app.name, "web=2")
    lines = cli.run("status", heroku_app.name).stdout.splitlines()
    assert lines[0] == f"=== web: `{COMMAND}`"
    assert sorted(m.group(1) for line in lines[1:] if (m := PS_LINE.fullmatch(line))) == [
        "1",
        "2",
    ]
    seen: set[str] = set()
    counts: list[int] = []

    def both_dynos_answered() -> bool:
        text = page(heroku_app)
        found = DYNO.search(text)
        assert found, text
        seen.add(found.group(1))
        counts.append(visits(text))
        return seen == {"web.1", "web.2"}

    poll(both_dynos_answered, timeout=60, what="a page from web.1 and from web.2")
    assert counts == sorted(counts)
    assert counts[0] > before
    logs = cli.run("logs", f"{heroku_app.name}.web", "-n", "200").stdout
    assert re.search(r'\[web\.\d\] .*"GET / HTTP/1\.1" 200', logs), logs[-3000:]


def test_the_example_is_a_procfile_application(cli: Cli) -> None:
    result = cli.run("validate", str(EXAMPLE))
    assert result.stdout.strip().endswith(
        'application "hellodjango": 2 services (web: python-worker, postgresql: postgresql)'
    )
