"""`export procfile` for real: the sample `tutorial` (CherryPy on Python 3.11, sessions in Redis)
and the Python 2 CherryPy 3.2 fixture are exported, each exported tree comes up with `up` as a
Procfile application (uWSGI on $PORT as `web`, heroku-redis as the data service), and the same
page answers with the same session behaviour: a counter that grows with one cookie and starts
again for a new session. One `up` per exported application.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import requests

from .conftest import ROOT, Cli, RunningApp, copy_sample, running_app

FIXTURES = ROOT / "tests" / "fixtures" / "apps"


def hits(app: RunningApp, session: requests.Session) -> int:
    response = session.get(f"{app.base}/hits", headers={"Host": app.host("web")}, timeout=30)
    assert response.status_code == 200, response.text[-2000:]
    return int(response.text)


def export(cli: Cli, appdir: Path, outdir: Path) -> None:
    result = cli.run("export", "procfile", str(appdir), "-o", str(outdir), "--json")
    written = json.loads(result.stdout)
    assert written["directory"] == str(outdir)
    assert (outdir / "Procfile").read_text().startswith("web: python dotcloud_environment.py ")


def test_the_exported_tutorial_serves_its_page_and_redis_sessions(
    cli: Cli, tmp_path: Path, cleanup_apps: list[str]
) -> None:
    outdir = tmp_path / "exported" / "tutorial"
    export(cli, copy_sample(tmp_path), outdir)
    assert json.loads((outdir / "app.json").read_text())["addons"] == ["heroku-redis"]
    with running_app(cli, "exptut", outdir, cleanup_apps) as app:
        page = requests.get(f"{app.base}/", headers={"Host": app.host("web")}, timeout=30)
        assert page.status_code == 200, page.text[-2000:]
        assert 'id="generate"' in page.text
        # the shim wrote the original names: sessions in the redis of DOTCLOUD_SESSION_REDIS_URL
        assert '<code id="session-store">redis</code>' in page.text
        assert '<code id="instance">www.0</code>' in page.text, page.text
        # /static served by uWSGI itself, nginx being gone
        style = requests.get(
            f"{app.base}/static/style.css", headers={"Host": app.host("web")}, timeout=30
        )
        assert style.status_code == 200
        assert style.text == (ROOT / "services/www/static/style.css").read_text()
        # the postinstall hook ran (from the shim) before uWSGI loaded the application
        postinstall = requests.get(
            f"{app.base}/postinstall", headers={"Host": app.host("web")}, timeout=30
        )
        assert postinstall.status_code == 200, postinstall.text[-2000:]
        assert postinstall.text.startswith("ran-before-start: yes\n")
        session = requests.Session()
        assert [hits(app, session) for _ in range(3)] == [1, 2, 3]
        assert hits(app, requests.Session()) == 1
        assert hits(app, session) == 4


def test_an_exported_python_2_cherrypy_app_keeps_its_redis_sessions(
    cli: Cli, tmp_path: Path, cleanup_apps: list[str]
) -> None:
    fixture = "py2-cherrypy"
    appdir = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, appdir, ignore=shutil.ignore_patterns("__pycache__"))
    outdir = tmp_path / "exported" / fixture
    export(cli, appdir, outdir)
    assert (outdir / "runtime.txt").read_text() == "python-2.7.18\n"
    with running_app(cli, "exppy2", outdir, cleanup_apps) as app:
        version = requests.get(f"{app.base}/version", headers={"Host": app.host("web")}, timeout=30)
        assert version.text.startswith("2.7."), version.text[-2000:]
        session = requests.Session()
        assert [hits(app, session) for _ in range(3)] == [1, 2, 3]
        assert hits(app, requests.Session()) == 1
        static = requests.get(
            f"{app.base}/static/hello.txt", headers={"Host": app.host("web")}, timeout=30
        )
        assert static.text == (FIXTURES / fixture / "www/static/hello.txt").read_text()
