"""Integration tests drive the real CLI against a real Docker engine.

Without an engine they skip locally, with the reason; with CI=true a missing engine fails the run.
Every application a test starts gets a unique name and is destroyed afterwards, even when a test
fails,
and a final sweep removes anything left carrying the run's application labels.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, str(ROOT / "tools" / "dotcloud_emulator.py")]
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_ID = uuid.uuid4().hex[:6]


# `docker swarm leave` breaks name resolution in containers running across it (Docker 20.10), so
# the Swarm tests, which may init and leave a swarm, run after every other test of the session.
LAST_MODULES = ("test_swarm.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
    items.sort(key=lambda item: Path(str(item.fspath)).name in LAST_MODULES)  # stable: order kept


LOG_TAIL = 40


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used a running application gets each of its containers' last log lines
    (and state) in its report: a failure in CI can then be explained without running it again."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for app in {value.name for value in funcargs.values() if isinstance(value, RunningApp)}:
        with contextlib.suppress(Exception):  # diagnostics must never hide the failure itself
            report.sections.append((f"containers of {app}", _containers_report(app)))


def _containers_report(app: str) -> str:
    import docker

    from dotcloud_emulator.platform.naming import LABEL_APP

    client = docker.from_env()
    parts = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_APP}={app}"}):
        state = container.attrs["State"]
        health = state.get("Health", {}).get("Status", "-")
        tail = container.logs(tail=LOG_TAIL, timestamps=True).decode(errors="replace")
        parts.append(
            f"--- {container.name}: {state['Status']}, health {health}, "
            f"restarts {container.attrs.get('RestartCount', 0)}, started {state['StartedAt']}\n"
            f"{tail}"
        )
    return "\n".join(parts) or "no container"


def _engine_problem() -> str | None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:
        return f"no Docker engine reachable ({exc.__class__.__name__}: {exc})"
    version = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        return "Docker Compose v2 is missing (`docker compose version` failed)"
    return None


@pytest.fixture(scope="session")
def docker_engine() -> None:
    problem = _engine_problem()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true requires a Docker engine: {problem}", pytrace=False)
    pytest.skip(f"{problem}; run `make docker` to install one")


@pytest.fixture(scope="session")
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("state")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cli:
    state_home: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOTCLOUD_EMULATOR_HOME": str(self.state_home)}

    def run(
        self, *args: str, cwd: Path = ROOT, timeout: float = 900, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*CLI, *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result


@pytest.fixture(scope="session")
def cli(docker_engine: None, state_home: Path, cleanup_apps: list[str]) -> Cli:
    return Cli(state_home)


APPS_OF_THIS_RUN: list[str] = []


def unique_app(prefix: str) -> str:
    """A name no other run uses; every such application is swept and checked at the end."""
    name = f"{prefix}{RUN_ID}"
    if name not in APPS_OF_THIS_RUN:
        APPS_OF_THIS_RUN.append(name)
    return name


def remove_app_leftovers(app: str) -> None:
    """Last resort after `destroy`: remove whatever still carries the application's label."""
    import docker

    from dotcloud_emulator.platform.naming import LABEL_APP

    client = docker.from_env()
    selector = {"label": f"{LABEL_APP}={app}"}
    for container in client.containers.list(all=True, filters=selector):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=selector):
        network.remove()
    for volume in client.volumes.list(filters=selector):
        volume.remove(force=True)


@pytest.fixture(scope="session")
def cleanup_apps() -> Iterator[list[str]]:
    """The applications to sweep after the run (every `unique_app` name is one)."""
    yield APPS_OF_THIS_RUN
    if _engine_problem() is not None:
        return
    apps = list(APPS_OF_THIS_RUN)
    for app in apps:
        try:
            remove_app_leftovers(app)
        except Exception as exc:  # report, but keep cleaning the others
            print(f"cleanup of {app} failed: {exc}", file=sys.stderr)
    left = {app: found for app in apps if (found := leftovers(app))}
    assert not left, f"the tests left Docker objects behind: {left}"


def leftovers(app: str) -> list[str]:
    """Containers, networks and volumes still carrying the application's label."""
    import docker

    from dotcloud_emulator.platform.naming import LABEL_APP

    client = docker.from_env()
    selector = {"label": f"{LABEL_APP}={app}"}
    return [
        *(f"container {c.name}" for c in client.containers.list(all=True, filters=selector)),
        *(f"network {n.name}" for n in client.networks.list(filters=selector)),
        *(f"volume {v.name}" for v in client.volumes.list(filters=selector)),
    ]


READY_TIMEOUT = 60.0


@dataclass
class RunningApp:
    name: str
    port: int
    appdir: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, service: str) -> str:
        return f"{service}.{self.name}.localhost"


def poll(
    check: Callable[[], bool], timeout: float = READY_TIMEOUT, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def copy_sample(destination: Path) -> Path:
    appdir = destination / "tutorial"
    appdir.mkdir()
    shutil.copy(ROOT / "dotcloud.yml", appdir / "dotcloud.yml")
    shutil.copytree(
        ROOT / "services", appdir / "services", ignore=shutil.ignore_patterns("__pycache__")
    )
    return appdir


@contextlib.contextmanager
def running_app(
    cli: Cli, prefix: str, appdir: Path, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """`up` an application under a unique name; `destroy` it afterwards, whatever happened."""
    app = RunningApp(unique_app(prefix), free_port(), appdir)
    try:
        cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
        yield app
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_app_leftovers(app.name)


@pytest.fixture(scope="session")
def tutorial(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    with running_app(cli, "tut", copy_sample(tmp_path_factory.mktemp("app")), cleanup_apps) as app:
        yield app
