"""`generate`, in process: files written, secrets only in the state directory, build-file errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dotcloud_emulator.cli.main import main

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
    assert captured.out == f"wrote {out / 'docker-compose.yml'} and 3 build contexts\n"
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
    app = make_app(tmp_path / "demo", "db:\n  type: mongodb\n")
    assert main(["generate", str(app)]) == 2
    assert "'mongodb' is a dotCloud service type this emulator does not run" in (
        capsys.readouterr().err
    )
