"""`images base`: the base images an application is built on, which `make up` makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dotcloud_emulator.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_python3_sample_needs_only_bookworm(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOTCLOUD_BASE_IMAGE", raising=False)
    assert run(capsys, "images", "base", str(ROOT)) == (0, "debian:bookworm-slim\n", "")


def test_a_python2_app_needs_bullseye_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOTCLOUD_BASE_IMAGE", raising=False)
    code, out, _ = run(
        capsys, "images", "base", str(ROOT / "tests/fixtures/apps/py2-cherrypy"), "--json"
    )
    assert code == 0
    assert json.loads(out) == ["debian:bookworm-slim", "debian:bullseye-slim"]


def test_the_setting_stands_in_for_bookworm(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOTCLOUD_BASE_IMAGE", "mirror.example/debian:12")
    assert run(capsys, "images", "base", str(ROOT)) == (0, "mirror.example/debian:12\n", "")


def test_no_build_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "images", "base", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "no dotcloud.yml" in err
