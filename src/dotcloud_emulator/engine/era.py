"""An application's era: the date its requirements resolve as of, found rather than asked for.

A 2012 application pushed to the platform in 2012 got the releases of 2012. Pushed here today,
its unpinned requirements would get today's, which no longer run its code. So, unless the user
names a date (`up --pip-date`), the era is inferred, in this order:

1. the application's git history: the last commit touching an approot that installs
   requirements, the day the code was last known to work;
2. else its exact pins (`name==version` in `requirements*.txt`, `requirements:` and setup.py's
   `install_requires`): the newest pinned release, dated by the package index's own upload times
   (`timetravel.release_dates`), plus `ERA_MARGIN`;
3. else no date: today's releases.

An era less than `RECENT` ago is no era at all: the releases since rarely break an application,
and today's carry the year's fixes. The rule lives here alone; each ecosystem's build takes the
date it gives (pip through the time-travel index).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine.timetravel import (
    PYPI_SIMPLE,
    Pin,
    Upstream,
    UpstreamError,
    normalize_project,
    parse_pins,
    parse_version,
    release_dates,
)
from dotcloud_emulator.render.contexts import approot

# An application pins what it installs on the day it is written, so its newest pin is no later
# than that day, and most often a few weeks earlier (the pin was the release of the month). A
# month after the newest pin brings the unpinned requirements up to about the application's own
# day, and no further: a larger margin risks the next major release of an unpinned dependency.
ERA_MARGIN = timedelta(days=30)
RECENT = timedelta(days=365)
GIT_TIMEOUT = 10  # seconds
LOOKUPS = 8  # package index pages fetched at once

PIN_SOURCES = ("requirements.txt", "requirements-prod.txt", "requirements/production.txt")


@dataclass(frozen=True)
class Era:
    """The date requirements resolve as of (None: today's releases), and where it came from."""

    cutoff: date | None
    source: str

    def describe(self) -> str:
        if self.cutoff is None:
            return f"today's releases ({self.source})"
        return f"released before {self.cutoff.isoformat()} ({self.source})"


def pip_services(application: Application) -> list[Service]:
    """The services whose build installs Python requirements with pip."""
    return [
        s
        for s in application.services
        if catalogue.runs_here(s.type) and catalogue.stack_for(s).virtualenv
    ]


def requirement_lines(
    application: Application, services: Iterable[Service] | None = None
) -> list[str]:
    """Every requirement the build installs: each approot's requirements.txt and `requirements:`."""
    lines: list[str] = []
    for service in application.services if services is None else services:
        lines.extend(service.requirements)
        lines.extend(_read_lines(application.root / approot(service) / "requirements.txt"))
    return lines


def application_pins(application: Application) -> list[Pin]:
    """The exact pins of the services that install requirements, once each, in file order."""
    pins: dict[str, Pin] = {}
    for service in pip_services(application):
        root = application.root / approot(service)
        lines = list(service.requirements)
        for name in PIN_SOURCES:
            lines.extend(_read_lines(root / name))
        lines.extend(setup_py_requirements(root / "setup.py"))
        for pin in parse_pins(lines):
            pins.setdefault(normalize_project(pin.name), pin)
    return list(pins.values())


def setup_py_requirements(path: Path) -> list[str]:
    """The string literals of setup.py's `install_requires=[...]`, read without running it."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "install_requires"
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            found.extend(
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return found


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def git_date(root: Path, paths: Sequence[PurePosixPath]) -> datetime | None:
    """The committer date of the last commit touching `paths` under `root`, if `root` is in a git
    work tree. Only `git log` runs, with no pager, hooks or file-system monitor from the tree."""
    if not (root / ".git").exists() and not _inside_git(root):
        return None
    argv = [
        "git",
        "-c", "core.fsmonitor=false",
        "-c", "core.pager=cat",
        "-C", str(root),
        "--no-pager", "log", "-1", "--format=%cI", "--",
        *(p.as_posix() for p in paths),
    ]  # fmt: skip
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "HOME": os.environ.get("HOME", "/"),
    }
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=GIT_TIMEOUT, env=env, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    stamp = done.stdout.strip()
    if done.returncode != 0 or not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return None


def _inside_git(root: Path) -> bool:
    return any((parent / ".git").exists() for parent in root.resolve().parents)


def pinned_releases(
    pins: Sequence[Pin], upstream: Upstream
) -> tuple[list[tuple[Pin, datetime]], list[str]]:
    """Each pin's release date by the index (pins it does not know are left out), and the
    projects the index could not tell about."""

    def lookup(pin: Pin) -> tuple[Pin, datetime | None, str | None]:
        try:
            files = upstream.files(normalize_project(pin.name))
        except UpstreamError as exc:
            return pin, None, str(exc)
        wanted = parse_version(pin.version)
        return pin, release_dates(files).get(wanted) if wanted else None, None

    dated: list[tuple[Pin, datetime]] = []
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=LOOKUPS) as pool:
        for pin, moment, failure in pool.map(lookup, pins):
            if moment is not None:
                dated.append((pin, moment))
            elif failure is not None:
                failures.append(pin.name)
    return dated, failures


def era_key(application: Application) -> str:
    """What the inference depends on: a new key means the era must be inferred again."""
    facts = {
        "git": _git_stamp(application),
        "pins": [[p.name, p.version] for p in application_pins(application)],
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _git_stamp(application: Application) -> str | None:
    moment = git_date(application.root, _approots(application))
    return moment.isoformat() if moment else None


def _approots(application: Application) -> list[PurePosixPath]:
    return sorted({approot(s) for s in pip_services(application)})


def infer(application: Application, upstream: Upstream, *, now: datetime | None = None) -> Era:
    """The application's era, by the rule of this module's docstring; `upstream`: the index
    whose upload times date the pins."""
    now = now or datetime.now(UTC)
    if not pip_services(application):
        return Era(None, "no service installs Python requirements")
    committed = git_date(application.root, _approots(application))
    if committed is not None:
        return _recent_or(committed, now, f"last commit {committed.date().isoformat()}")
    pins = application_pins(application)
    if not pins:
        return Era(None, "no git history and no exact pins to date it by")
    dated, failures = pinned_releases(pins, upstream)
    if not dated:
        reason = "the package index did not answer" if failures else "no pin is on the index"
        return Era(None, f"{reason}: nothing to date it by")
    pin, released = max(dated, key=lambda item: item[1])
    found = f"newest pinned release: {pin.name} {pin.version}, {released.date().isoformat()}"
    return _recent_or(released + ERA_MARGIN, now, found)


def _recent_or(moment: datetime, now: datetime, found: str) -> Era:
    if moment > now - RECENT:
        return Era(None, f"{found}, recent")
    return Era(moment.date(), found)


def era_from_state(cutoff: str | None, source: str | None) -> Era | None:
    """The era a saved state holds, if any was inferred."""
    if source is None:
        return None
    return Era(date.fromisoformat(cutoff) if cutoff else None, source)


def environment_index(environ: Mapping[str, str] | None) -> str:
    env = os.environ if environ is None else environ
    return env.get("PIP_INDEX_URL") or PYPI_SIMPLE
