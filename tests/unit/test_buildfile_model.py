"""What a valid build file turns into: the Application, its defaults, and the diagnostic types."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import MappingProxyType

import pytest

from dotcloud_emulator.buildfile.diagnostics import BuildFileError, Diagnostic
from dotcloud_emulator.buildfile.loader import LoadResult, load_application
from dotcloud_emulator.errors import EXIT_USAGE, UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "buildfiles"


@pytest.fixture
def tutorial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LoadResult:
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    app = tmp_path / "tutorial"
    (app / "www").mkdir(parents=True)
    shutil.copy(FIXTURES / "valid_tutorial.yml", app / "dotcloud.yml")
    monkeypatch.chdir(tmp_path)
    return load_application(Path("tutorial"), "tutorial")


def test_application(tutorial: LoadResult, tmp_path: Path) -> None:
    application = tutorial.application
    assert application.name == "tutorial"
    assert application.root == (tmp_path / "tutorial").resolve()
    assert application.buildfile == application.root / "dotcloud.yml"
    assert application.service_names == ("www", "session")


def test_python_service(tutorial: LoadResult) -> None:
    www = tutorial.application.service("www")
    assert (www.type, www.approot, www.instances) == ("python", "www", 1)
    assert dict(www.environment) == {
        "DEBUG": "true",
        "RATIO": "1.10",
        "GREETING": "hello",
        "EMPTY": "",
    }
    assert dict(www.ports) == {"admin": "tcp"}
    assert dict(www.processes) == {"worker": "python worker.py"}
    assert www.requirements == ("CherryPy", "redis")
    assert www.systempackages == ("libxml2-dev", "g++")
    assert www.postinstall == "./postinstall"
    assert dict(www.extra) == {"customkey": "kept"}
    assert isinstance(www.environment, MappingProxyType)


def test_config_defaults_are_filled_in(tutorial: LoadResult) -> None:
    config = tutorial.application.service("www").config
    assert config["python_version"] == "v3.11"
    assert config["uwsgi_processes"] == 2
    assert config["uwsgi_buffer_size"] == 4096
    assert config["uwsgi_enable_threads"] is False


def test_data_service_defaults(tutorial: LoadResult) -> None:
    session = tutorial.application.service("session")
    assert (session.type, session.approot, session.instances, session.process) == (
        "redis",
        ".",
        1,
        "",
    )
    assert dict(session.config) == {}
    assert (session.prebuild, session.postbuild, session.buildscript) == (None, None, None)


def test_unknown_key_warning(tutorial: LoadResult) -> None:
    assert [found.format() for found in tutorial.warnings] == [
        'tutorial/dotcloud.yml:19:3: warning: unknown key "customkey" in service "www"; it is kept '
        "as is (custom buildscripts see it as SERVICE_CUSTOMKEY)"
    ]


def test_custom_service_keeps_free_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "build").write_text("#!/bin/sh\n")
    Path("dotcloud.yml").write_text(
        "db:\n  type: custom\n  buildscript: scripts/build\n  config: {version: 9.2}\n"
        "  ruby_version: 1.9\n  instances: 4\n"
    )
    db = load_application(Path("."), "app").application.service("db")
    assert (db.buildscript, db.instances) == ("scripts/build", 4)
    assert dict(db.config) == {"version": 9.2}
    assert dict(db.extra) == {"ruby_version": "1.9"}


def test_diagnostic_format_and_order() -> None:
    later = Diagnostic("dotcloud.yml", 3, 1, "warning", "b")
    earlier = Diagnostic("dotcloud.yml", 2, 7, "error", "a")
    assert sorted([later, earlier]) == [earlier, later]
    assert later.format() == "dotcloud.yml:3:1: warning: b"


def test_build_file_error_is_a_usage_error() -> None:
    found = Diagnostic("x/dotcloud.yml", 1, 1, "error", "bad")
    error = BuildFileError("x/dotcloud.yml", (found,))
    assert isinstance(error, UsageError)
    assert error.exit_code == EXIT_USAGE
    assert error.diagnostics == (found,)
    assert (
        error.message == "x/dotcloud.yml: 1 error in the build file\nx/dotcloud.yml:1:1: error: bad"
    )
