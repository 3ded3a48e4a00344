"""`generate`: files written, secrets only in the state directory, build-file errors; the pure
renderer and the one writer behind it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.generate import read_ca_bundle, write_project
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render.contexts import ApprootFacts
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.project import render_project

BUILDFILE = """\
www:
  type: python
  approot: web
cache:
  type: redis
"""


def make_app(root: Path, buildfile: str = BUILDFILE) -> Path:
    (root / "web").mkdir(parents=True)
    (root / "web" / "wsgi.py").write_text("application = None\n")
    (root / "web" / "requirements.txt").write_text("CherryPy\n")
    (root / "dotcloud.yml").write_text(buildfile)
    return root


def test_generate_writes_the_project_and_the_environments(
    tmp_path: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(tmp_path / "demo")
    out = tmp_path / "out"
    assert main(["generate", str(app), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out / 'docker-compose.yml'} and 4 build contexts\n"
    assert (out / ".dotcloud/build/www/Dockerfile").is_file()
    assert (out / ".dotcloud/build/www/code/web/wsgi.py").is_file()
    assert (out / ".dotcloud/gateway/conf.d/routes.conf").is_file()
    env_file = private_state_home / "apps/demo/instances/cache-0/environment.json"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    password = json.loads(env_file.read_text())["DOTCLOUD_CACHE_REDIS_PASSWORD"]
    assert len(password) >= 22
    for path in out.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(errors="replace"), path


def test_generate_twice_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(tmp_path / "demo")
    assert main(["generate", str(app)]) == 0
    before = {p: p.stat().st_mtime_ns for p in app.rglob("*") if p.is_file()}
    assert main(["generate", str(app)]) == 0
    after = {p: p.stat().st_mtime_ns for p in app.rglob("*") if p.is_file()}
    assert before == after
    assert not (app / ".dotcloud/build/www/code/docker-compose.yml").exists()


def test_a_bad_build_file_prints_only_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(tmp_path / "demo", "www:\n  type: pyhton\n")
    assert main(["generate", str(app)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines
    assert all(line.startswith(f"{app / 'dotcloud.yml'}:2:") for line in lines), lines
    assert not (app / "docker-compose.yml").exists()


def test_a_type_without_a_runtime_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(tmp_path / "demo", "db:\n  type: opa\n")
    assert main(["generate", str(app)]) == 2
    assert "'opa' is a dotCloud service type this emulator does not run" in (
        capsys.readouterr().err
    )


def demo_application(root: Path) -> Application:
    make_app(root)
    return load_application(root, "demo").application


def test_render_project_writes_nothing(tmp_path: Path, private_state_home: Path) -> None:
    application = demo_application(tmp_path / "demo")
    settings = Settings(private_state_home)
    state = AppState(app="demo", created_at=0.0, passwords={"cache": "pw"})
    before = sorted(tmp_path.rglob("*"))

    approots = {"www": ApprootFacts(has_requirements_file=True)}
    items = render_project(application, state, settings, "", approots)

    assert sorted(tmp_path.rglob("*")) == before
    dockerfile = next(i for i in items if isinstance(i, File) and i.path.name == "Dockerfile")
    assert "requirements.txt" in dockerfile.content


def test_the_writer_names_the_instances_whose_environment_changed(
    tmp_path: Path, private_state_home: Path
) -> None:
    application = demo_application(tmp_path / "demo")
    settings = Settings(private_state_home)
    state = StateStore(private_state_home).prepare(application)
    out = tmp_path / "out"

    first = write_project(application, state, settings, out, "")
    again = write_project(application, state, settings, out, "")
    state.variables["GREETING"] = "hello"
    state.scale["www"] = 2
    changed = write_project(application, state, settings, out, "")

    assert first.compose_file == out / "docker-compose.yml"
    assert first.changed_environments == {("www", 0), ("cache", 0)}
    assert again.changed_environments == frozenset()
    assert changed.changed_environments == {("www", 0), ("www", 1), ("cache", 0)}


def test_the_ca_bundle_is_read_from_the_first_variable_set(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")

    assert read_ca_bundle({"PIP_CERT": str(bundle), "SSL_CERT_FILE": "/missing"}) == (
        "-----BEGIN CERTIFICATE-----\n"
    )
    assert read_ca_bundle({}) == ""
    with pytest.raises(UserError, match=r"^SSL_CERT_FILE=/missing: cannot read the CA bundle"):
        read_ca_bundle({"SSL_CERT_FILE": "/missing"})
