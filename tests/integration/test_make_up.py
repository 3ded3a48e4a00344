"""The README's first command, `make up`, from a fresh clone of the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from .conftest import ROOT, Cli, free_port, remove_app_leftovers, unique_app


def test_make_up_from_a_fresh_clone_serves_the_sample(
    cli: Cli, tmp_path: Path, cleanup_apps: list[str]
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    app, port = unique_app("make"), free_port()
    # The clone's own code runs (tools/ puts its src/ first); the virtualenv is reused to save
    # the time of installing the same pinned packages again. Its stamps must look newer than the
    # clone's pyproject.toml or make would reinstall into it (pointing its editable install at
    # this temporary clone); `make -o` would not do, as `up` runs make again for the virtualenv.
    venv = Path(sys.executable).parent.parent
    stamp = min((venv / name).stat().st_mtime for name in (".runtime", ".installed"))
    os.utime(clone / "pyproject.toml", (stamp - 60, stamp - 60))
    make = ["make", f"VENV={venv}", f"APP={app}", f"APP_PORT={port}"]
    try:
        result = subprocess.run(
            [*make, "up"], cwd=clone, env=cli.env(), capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"Application is live at http://www.{app}.localhost:{port}/" in (
            result.stdout + result.stderr
        )

        page = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert 'id="generate"' in page.text

        down = subprocess.run(
            [*make, "down"], cwd=clone, env=cli.env(), capture_output=True, text=True, timeout=300
        )
        assert down.returncode == 0, down.stderr[-3000:]
        assert "pip install" not in result.stdout + down.stdout
    finally:
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)
