"""The era inference: a git-dated application, a pins-only one, an unpinned one (no network:
the package index is a fake answering from memory)."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine import era
from dotcloud_emulator.engine.deploy import settle_era
from dotcloud_emulator.engine.timetravel import IndexFile, Upstream, UpstreamError
from dotcloud_emulator.platform.state import PIP_TODAY, AppState

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _files(project: str, releases: dict[str, datetime]) -> list[IndexFile]:
    return [
        IndexFile(f"{project}-{version}.tar.gz", f"https://f/{project}/{version}", {}, uploaded=at)
        for version, at in releases.items()
    ]


INDEX = {
    "django": _files(
        "Django",
        {"1.3": datetime(2011, 3, 23, tzinfo=UTC), "1.3.1": datetime(2011, 9, 9, tzinfo=UTC)},
    ),
    "south": _files("South", {"0.7.3": datetime(2010, 12, 16, tzinfo=UTC)}),
    "cherrypy": _files("CherryPy", {"18.10.0": datetime(2026, 6, 1, tzinfo=UTC)}),
}


class FakeIndex(Upstream):
    def __init__(self, down: bool = False) -> None:
        super().__init__("http://127.0.0.1:9/simple/")
        self.down = down
        self.asked: list[str] = []

    def files(self, project: str) -> list[IndexFile]:
        self.asked.append(project)
        if self.down:
            raise UpstreamError("connection refused")
        if project not in INDEX:
            raise UpstreamError("HTTP 404", 404)
        return INDEX[project]


def python_app(root: Path, *, requirements: str = "", setup_py: str | None = None) -> Application:
    (root / "www").mkdir(parents=True, exist_ok=True)
    (root / "www" / "requirements.txt").write_text(requirements)
    if setup_py is not None:
        (root / "www" / "setup.py").write_text(setup_py)
    www = Service("www", "python", config=MappingProxyType({}), approot="www")
    return Application("oldapp", root, root / "dotcloud.yml", (www,))


def git(root: Path, *argv: str, when: str) -> None:
    env = dict(os.environ)
    env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "HOME": str(root)}
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@x", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(root), *argv], env=env, check=True, capture_output=True)


def test_a_git_dated_app_resolves_as_of_its_last_commit_touching_the_approot(
    tmp_path: Path,
) -> None:
    application = python_app(tmp_path, requirements="Django==1.3.1\n")
    git(tmp_path, "init", "-q", when="2012-03-04T10:00:00Z")
    git(tmp_path, "add", "www", when="2012-03-04T10:00:00Z")
    git(tmp_path, "commit", "-qm", "app", when="2012-03-04T10:00:00Z")
    (tmp_path / "README").write_text("outside the approot\n")
    git(tmp_path, "add", "README", when="2015-01-01T10:00:00Z")
    git(tmp_path, "commit", "-qm", "readme", when="2015-01-01T10:00:00Z")
    index = FakeIndex()

    found = era.infer(application, index, now=NOW)

    assert found == era.Era(date(2012, 3, 4), "last commit 2012-03-04")
    assert index.asked == []  # git answered: the index is not asked


def test_a_pins_only_app_resolves_as_of_its_newest_pin_plus_the_margin(tmp_path: Path) -> None:
    application = python_app(
        tmp_path,
        requirements="-r base.txt\nDjango==1.3.1  # the web framework\nsimplejson\n",
        setup_py="from setuptools import setup\nsetup(install_requires=['South==0.7.3'])\n",
    )

    found = era.infer(application, FakeIndex(), now=NOW)

    assert found.cutoff == date(2011, 9, 9) + era.ERA_MARGIN
    assert found.source == "newest pinned release: Django 1.3.1, 2011-09-09"
    assert found.describe() == (
        "released before 2011-10-09 (newest pinned release: Django 1.3.1, 2011-09-09)"
    )


def test_an_unpinned_app_resolves_as_of_today(tmp_path: Path) -> None:
    application = python_app(tmp_path, requirements="Django>=1.3\nsimplejson\n")

    found = era.infer(application, FakeIndex(), now=NOW)

    assert found.cutoff is None
    assert "no exact pins" in found.source


def test_a_recent_app_resolves_as_of_today(tmp_path: Path) -> None:
    found = era.infer(
        python_app(tmp_path, requirements="CherryPy==18.10.0\n"), FakeIndex(), now=NOW
    )

    assert found.cutoff is None
    assert found.source.endswith(", recent")


def test_an_unreachable_index_means_today_and_says_so(tmp_path: Path) -> None:
    application = python_app(tmp_path, requirements="Django==1.3.1\n")

    found = era.infer(application, FakeIndex(down=True), now=NOW)

    assert found == era.Era(None, "the package index did not answer: nothing to date it by")


@pytest.mark.parametrize(
    ("line", "pin"),
    [
        ("Django==1.3.1", era.Pin("Django", "1.3.1")),
        ("  django-redis == 3.1.7 ; python_version < '3'", era.Pin("django-redis", "3.1.7")),
        ("celery[redis]==2.5.3", era.Pin("celery", "2.5.3")),
        ("redis>=2.4.5", None),
        ("-e git+https://example.invalid/x.git#egg=x==1.0", None),
        ("flask==not a version", None),
        ("", None),
    ],
)
def test_pins_are_exact_requirements_only(line: str, pin: era.Pin | None) -> None:
    assert era.parse_pins([line]) == ([pin] if pin else [])


def test_setup_py_is_read_without_running_it(tmp_path: Path) -> None:
    setup = tmp_path / "setup.py"
    setup.write_text("import os; os.system('touch RAN')\nsetup(install_requires=('a==1', 2))\n")
    assert era.setup_py_requirements(setup) == ["a==1"]
    assert not (tmp_path / "RAN").exists()
    setup.write_bytes(b"\x00 not python")
    assert era.setup_py_requirements(setup) == []


def test_settle_era_infers_once_and_keeps_it_until_the_pins_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def infer(application: Application, upstream: Upstream) -> era.Era:
        asked.append(application.name)
        return era.Era(date(2011, 10, 9), "newest pinned release: Django 1.3.1, 2011-09-09")

    monkeypatch.setattr(era, "infer", infer)
    application = python_app(tmp_path, requirements="Django==1.3.1\n")
    state = AppState(app="oldapp", created_at=0.0)
    lines: list[str] = []
    reporter = _LineReporter(lines)

    settle_era(application, state, reporter)
    settle_era(application, state, reporter)
    assert asked == ["oldapp"]
    assert state.packages_before == "2011-10-09"
    assert lines[-1] == (
        "Resolving requirements as released before 2011-10-09 "
        "(newest pinned release: Django 1.3.1, 2011-09-09)"
    )

    (tmp_path / "www" / "requirements.txt").write_text("Django==1.3.2\n")
    settle_era(application, state, reporter)
    assert asked == ["oldapp", "oldapp"]


def test_a_named_date_or_today_wins_over_the_era(tmp_path: Path) -> None:
    application = python_app(tmp_path, requirements="Django==1.3.1\n")
    state = AppState(app="oldapp", created_at=0.0, era_date="2011-10-09", era_source="x")
    lines: list[str] = []

    state.pip_date = "2012-06-01"
    settle_era(application, state, _LineReporter(lines))
    assert state.packages_before == "2012-06-01"
    state.pip_date = PIP_TODAY
    settle_era(application, state, _LineReporter(lines))
    assert state.packages_before is None
    assert lines == [
        "Resolving requirements as released before 2012-06-01 (--pip-date)",
        "Resolving requirements as released today (--pip-date today)",
    ]


class _LineReporter:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def step(self, text: str) -> None:
        self.lines.append(text)

    def event(self, source: str, text: str) -> None:
        self.lines.append(f"[{source}] {text}")

    def activity(self, text: str) -> object:
        raise AssertionError("no activity expected")

    def detail(self, line: str) -> None:
        self.lines.append(line)
