"""The postgis service for real, reached as 2012 applications reached it: a Python 2 WSGI service
with psycopg2 2.4.5 (its postinstall creates the `geo` database and the extension) and a Node 0.8
service with pg 0.8.8, the pure-JavaScript client that logs in with md5 (tests/fixtures/apps/
py2-postgis), both configured only from environment.json. Their places survive `down`/`up` and a
`docker kill` of the database.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from .conftest import ROOT, Cli, RunningApp, poll, running_app
from .test_self_healing import container

FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-postgis"
BACK_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = tmp_path_factory.mktemp("postgis") / "py2-postgis"
    shutil.copytree(FIXTURE, appdir)
    with running_app(cli, "gis", appdir, cleanup_apps) as running:
        yield running


def get(app: RunningApp, path: str, service: str) -> str:
    response = requests.get(f"{app.base}{path}", headers={"Host": app.host(service)}, timeout=30)
    assert response.status_code == 200, f"{service} {path}: {response.status_code} {response.text}"
    return response.text.strip()


def places(app: RunningApp, name: str, service: str) -> int:
    stored, count = get(app, f"/place/{name}", service).split()
    assert stored == name
    return int(count)


def test_both_drivers_of_2012_run_postgis_queries(app: RunningApp) -> None:
    assert get(app, "/", "web") == "psycopg2 2.4.5"
    assert get(app, "/", "node").startswith("pg 0.8.8 on node v0.8.")
    # One degree of latitude at the equator, in km, by PostGIS's geography type.
    assert get(app, "/distance", "web") == "111"
    assert get(app, "/distance", "node") == "111"


def test_both_services_write_the_same_table(app: RunningApp) -> None:
    first = places(app, "paris", "web")
    assert places(app, "lyon", "node") == first + 1
    assert places(app, "nice", "web") == first + 2


def test_the_root_password_is_stored_as_md5_as_on_postgresql_9(cli: Cli, app: RunningApp) -> None:
    query = "SELECT left(rolpassword, 3) FROM pg_authid WHERE rolname = 'root'"
    stored = cli.run(
        "run", f"{app.name}.gis", "--", f'psql -U root -d template1 -X -tAc "{query}"'
    ).stdout
    assert stored.strip().splitlines()[-1] == "md5"


def test_places_survive_down_and_up_and_a_docker_kill(cli: Cli, app: RunningApp) -> None:
    before = places(app, "before-down", "web")
    cli.run("down", app.name)
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
    assert places(app, "after-up", "node") == before + 1

    subprocess.run(
        ["docker", "kill", container(app.name, "gis").name], check=True, capture_output=True
    )
    killed = time.monotonic()
    poll(
        lambda: _places_or_none(app, "after-kill") == before + 2,
        timeout=BACK_TIMEOUT,
        what="gis.0 back after docker kill, with every place",
    )
    print(f"gis.0 served the places again {time.monotonic() - killed:.1f}s after docker kill")


def _places_or_none(app: RunningApp, name: str) -> int | None:
    try:
        return places(app, name, "web")
    except (AssertionError, requests.RequestException, ValueError):
        return None
