"""The `validate` command, run in-process through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from dotcloud_emulator.cli.main import main

TUTORIAL = "www:\n  type: python\n  approot: www\nsession:\n  type: redis\n"


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    app = tmp_path / "tutorial"
    (app / "www").mkdir(parents=True)
    monkeypatch.chdir(app)
    return app


def test_valid_file(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("dotcloud.yml").write_text(TUTORIAL)
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert (
        out
        == 'dotcloud.yml: OK, application "tutorial": 2 services (www: python, session: redis)\n'
    )
    assert err == ""


def test_explicit_directory_and_name(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("dotcloud.yml").write_text("www:\n  type: static\n")
    assert main(["validate", str(Path("..") / appdir.name), "-A", "blog"]) == 0
    assert capsys.readouterr().out == (
        f'../{appdir.name}/dotcloud.yml: OK, application "blog": 1 service (www: static)\n'
    )


def test_warnings_go_to_stderr(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("dotcloud.yml").write_text("www:\n  type: static\n  aproot: x\n")
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert err == (
        'dotcloud.yml:3:3: warning: unknown key "aproot" in service "www": '
        "did you mean 'approot'?\n"
    )
    assert out.startswith("dotcloud.yml: OK")


def test_strict(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("dotcloud.yml").write_text("www:\n  type: static\n  aproot: x\n")
    assert main(["validate", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        'dotcloud.yml:3:3: error: unknown key "aproot" in service "www": '
        "did you mean 'approot'?\n"
    )


def test_every_error_is_printed(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("dotcloud.yml").write_text("www:\n  type: pyhton\nDB:\n  type: redis\n")
    assert main(["validate"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "dotcloud.yml:2:9: error: unrecognized service type \"pyhton\" (did you mean 'python'?)",
        'dotcloud.yml:3:1: error: invalid characters in service name "DB": use lowercase letters, '
        "digits and underscores only",
    ]


def test_missing_buildfile(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (appdir / "nothing").mkdir()
    assert main(["validate", "nothing"]) == 2
    assert capsys.readouterr().err == "error: no dotcloud.yml (or Procfile) in nothing\n"
