"""Development mode (`up --dev`) against a real engine: a copy of the sample runs from its tree.

One `up --dev` process runs in the background for the module (terminated in teardown, the
application destroyed); the tests edit the copy's files and poll the page and the process's
terminal output.
"""

from __future__ import annotations

import contextlib
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from dotcloud_emulator.platform import naming

from .conftest import (
    CLI,
    Cli,
    copy_sample,
    free_port,
    poll,
    remove_app_leftovers,
    unique_app,
)

TITLE = "dotCloud tutorial: CherryPy on uWSGI"
SERVE_TIMEOUT = 20.0  # far above the second a save takes to be served, below a build
BUILD_TIMEOUT = 600.0
NEW_PACKAGE = "six==1.17.0"
# Ten saves 1-3 s apart on a loaded machine: two busy loops beside the emulator (one per core),
# each ending by itself after BURN_SECONDS should the teardown never run.
SAVES = 10
SPACING = (1.0, 3.0)
BURNERS = 2
BURN_SECONDS = 180
BUSY_LOOP = (
    "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
)
PAGE_POLL = 0.02  # how often the page is asked for while waiting for a save to be served
TITLE_TAG = re.compile(r"<title>[^<]*</title>")
SAVE_TITLE = re.compile(r"<title>Save (\d+)</title>")
APPLIED = re.compile(r"---> www: wsgi\.py (\(\d+ saves\) )?applied in \d+\.\d s")
WORKERS = 4  # the platform's default uwsgi_processes (the sample says 2)


@dataclass
class DevSession:
    app: str
    port: int
    appdir: Path
    process: subprocess.Popen[str]
    terminal: Path  # the process's stderr

    @property
    def wsgi(self) -> Path:
        return self.appdir / "services" / "www" / "wsgi.py"

    def output(self) -> str:
        return self.terminal.read_text(encoding="utf-8", errors="replace")

    def page(self) -> requests.Response:
        return requests.get(
            f"http://127.0.0.1:{self.port}/",
            headers={"Host": f"www.{self.app}.localhost"},
            timeout=10,
        )

    def serves(self, text: str, status: int = 200) -> bool:
        with contextlib.suppress(requests.RequestException):
            response = self.page()
            return response.status_code == status and text in response.text
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def dev(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevSession]:
    app, port = unique_app("dev"), free_port()
    appdir = copy_sample(tmp_path_factory.mktemp("devapp"))
    edit(appdir / "dotcloud.yml", "uwsgi_processes: 2", f"uwsgi_processes: {WORKERS}")
    terminal = appdir.parent / "dev-terminal.txt"
    with terminal.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [*CLI, "up", str(appdir), "-A", app, "--port", str(port), "--dev"],
            env=cli.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    session = DevSession(app, port, appdir, process, terminal)
    try:
        poll(
            lambda: "Development mode: watching" in session.output() or process.poll() is not None,
            timeout=BUILD_TIMEOUT,
            what="up --dev to start watching",
        )
        assert process.poll() is None, session.output()
        yield session
    finally:
        session.stop()
        cli.run("destroy", app, "-y", check=False)
        remove_app_leftovers(app)


def image_id(app: str) -> str:
    import docker

    return str(docker.from_env().images.get(naming.image(app, "www")).id)


def www_container(app: str) -> object:
    import docker

    selector = {"label": [f"{naming.LABEL_APP}={app}", f"{naming.LABEL_SERVICE}=www"]}
    (container,) = docker.from_env().containers.list(filters=selector)
    return container


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_to_wsgi_py_is_served_without_a_build(dev: DevSession) -> None:
    image, container = image_id(dev.app), www_container(dev.app)
    assert dev.serves(TITLE)
    edit(dev.wsgi, TITLE, "Edited in development mode")
    poll(lambda: dev.serves("Edited in development mode"), SERVE_TIMEOUT, "the edited page")
    assert image_id(dev.app) == image  # no build
    assert www_container(dev.app).id == container.id  # type: ignore[attr-defined]
    poll_terminal(dev, "---> www: wsgi.py applied in")


@pytest.fixture
def cpu_load() -> Iterator[None]:
    program = BUSY_LOOP.format(seconds=BURN_SECONDS)
    burners = [subprocess.Popen([sys.executable, "-c", program]) for _ in range(BURNERS)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait(timeout=10)


def save_title(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(TITLE_TAG.sub(f"<title>{title}</title>", text, count=1), encoding="utf-8")


@dataclass
class SaveWatch:
    """The page's save number as polled through the gateway: when each save was first seen,
    and any answer older than a save already seen (a worker left on older code)."""

    dev: DevSession
    newest: int = -1
    seen: dict[int, float] = field(default_factory=dict)  # save -> seconds from save to page
    older: list[tuple[int, int]] = field(default_factory=list)  # (newest seen, then answered)

    def look(self, saved: dict[int, float]) -> None:
        with contextlib.suppress(requests.RequestException):
            match = SAVE_TITLE.search(self.dev.page().text)
            if match is None:
                return
            number = int(match.group(1))
            if number < self.newest:
                self.older.append((self.newest, number))
            elif number not in self.seen:
                self.seen[number] = time.monotonic() - saved[number]
            self.newest = max(self.newest, number)

    def until(self, moment: float, saved: dict[int, float], number: int | None = None) -> None:
        """Look until `moment`, or until save `number` is seen, whichever comes first."""
        while time.monotonic() < moment and (number is None or number not in self.seen):
            self.look(saved)
            time.sleep(PAGE_POLL)


def every_worker_serves(dev: DevSession, title: str) -> bool:
    """As many answers in a row as there are workers, times two, all with `title`: a worker
    left on older code would answer one of them sooner or later."""
    return all(dev.serves(f"<title>{title}</title>") for _ in range(2 * WORKERS))


def test_ten_saves_under_load_are_each_served(dev: DevSession, cpu_load: None) -> None:
    spacing = random.Random(19)
    terminal_before = len(dev.output())
    original = dev.wsgi.read_text(encoding="utf-8")
    watch, saved = SaveWatch(dev), {}
    try:
        for number in range(SAVES):
            saved[number] = time.monotonic()
            save_title(dev.wsgi, f"Save {number:02d}")
            # The next save comes 1-3 s later, or once this one is served if it takes longer:
            # it may land while this one's reload is still running.
            watch.until(saved[number] + SERVE_TIMEOUT, saved, number)
            watch.until(saved[number] + spacing.uniform(*SPACING), saved)
        figures = ", ".join(f"{watch.seen[n]:.2f}" if n in watch.seen else "lost" for n in saved)
        print(f"save -> served (s), {WORKERS} workers, {BURNERS} busy loops: {figures}")
        assert sorted(watch.seen) == list(saved), (
            f"saves not served in {SERVE_TIMEOUT:.0f} s: {figures}"
        )
        assert watch.older == [], "older code answered after a newer save was served"
        last = f"Save {SAVES - 1:02d}"
        poll(lambda: every_worker_serves(dev, last), SERVE_TIMEOUT, "every worker on the last save")
        # Saves that landed while an earlier reload was still loading are reported together
        # with the later one ("wsgi.py (3 saves) applied in"): on a busy machine all ten may be.
        poll_terminal(dev, APPLIED, terminal_before)
    finally:
        dev.wsgi.write_text(original, encoding="utf-8")  # the page the next tests expect
    poll(lambda: dev.serves("Edited in development mode"), SERVE_TIMEOUT, "the page restored")


def poll_terminal(dev: DevSession, text: str | re.Pattern[str], since: int = 0) -> None:
    """Until the terminal says `text` (or matches it) after its first `since` characters; a
    failure shows what it said instead."""
    pattern = text if isinstance(text, re.Pattern) else re.compile(re.escape(text))
    try:
        poll(
            lambda: pattern.search(dev.output()[since:]) is not None,
            SERVE_TIMEOUT,
            f"the terminal saying {pattern.pattern!r}",
        )
    except AssertionError as exc:
        tail = "\n".join(dev.output()[since:].splitlines()[-40:])
        raise AssertionError(f"{exc}; it said:\n{tail}") from None


def test_a_syntax_error_is_shown_and_fixing_it_recovers(dev: DevSession) -> None:
    good = dev.wsgi.read_text(encoding="utf-8")
    dev.wsgi.write_text(good + "\ndef broken(:\n", encoding="utf-8")
    try:
        poll(lambda: dev.serves("SyntaxError", status=500), SERVE_TIMEOUT, "the error page")
        poll_terminal(dev, "wsgi.py failed to load: SyntaxError")
        assert "wsgi.py, line" in dev.page().text
        assert dev.process.poll() is None
    finally:
        dev.wsgi.write_text(good, encoding="utf-8")
    poll(lambda: dev.serves("Edited in development mode"), SERVE_TIMEOUT, "the page once fixed")


def test_a_package_added_to_requirements_txt_is_installed(dev: DevSession, cli: Cli) -> None:
    requirements = dev.appdir / "services" / "www" / "requirements.txt"
    requirements.write_text(
        requirements.read_text(encoding="utf-8") + f"{NEW_PACKAGE}\n", encoding="utf-8"
    )
    poll(lambda: "Redeployed in" in dev.output(), BUILD_TIMEOUT, "the redeploy")
    check = "/home/dotcloud/env/bin/python -c 'import six; print(six.__version__)'"
    result = cli.run("run", f"{dev.app}.www", "--", check)
    assert result.stdout.strip().endswith("1.17.0")
    assert dev.serves("Edited in development mode")  # still from the tree after the redeploy


def test_a_plain_up_leaves_development_mode(dev: DevSession, cli: Cli) -> None:
    dev.stop()
    assert dev.process.returncode == 0
    assert "Stopped watching" in dev.output()
    cli.run("up", str(dev.appdir), "-A", dev.app, "--port", str(dev.port))
    container = www_container(dev.app)
    labels = container.labels  # type: ignore[attr-defined]
    mounts = [m["Destination"] for m in container.attrs["Mounts"]]  # type: ignore[attr-defined]
    assert naming.LABEL_DEV not in labels
    assert "/home/dotcloud/code/services/www" not in mounts
    edit(dev.wsgi, "Edited in development mode", "Edited after development mode")
    shown = cli.run("run", f"{dev.app}.www", "--", "cat", "/home/dotcloud/current/wsgi.py")
    assert "Edited in development mode" in shown.stdout  # the image's copy, not the tree
