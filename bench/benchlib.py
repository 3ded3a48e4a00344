"""What the Docker benchmarks share: a throwaway copy of the sample app, the CLI, cleanup, tables.

Every application a benchmark starts has a unique name, its own state home in a temporary
directory, and is destroyed in a `finally` (the CLI's `destroy -y`, then anything still carrying
its label).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dotcloud_emulator.platform import naming  # noqa: E402

CLI = [sys.executable, str(ROOT / "tools" / "dotcloud_emulator.py")]
CLI_TIMEOUT = 900.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def copy_sample(destination: Path) -> Path:
    """The sample application (dotcloud.yml + services/) copied into `destination/tutorial`."""
    appdir = destination / "tutorial"
    appdir.mkdir()
    shutil.copy(ROOT / "dotcloud.yml", appdir / "dotcloud.yml")
    shutil.copytree(
        ROOT / "services", appdir / "services", ignore=shutil.ignore_patterns("__pycache__")
    )
    return appdir


@dataclass
class BenchApp:
    name: str
    port: int
    appdir: Path
    state_home: Path

    @property
    def project(self) -> str:
        return naming.compose_project(self.name)

    @property
    def compose_file(self) -> Path:
        return self.appdir / "docker-compose.yml"

    def env(self) -> dict[str, str]:
        return {**os.environ, naming.STATE_ENV_VAR: str(self.state_home)}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*CLI, *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(args)}` exited {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result

    def up_args(self) -> list[str]:
        return ["up", str(self.appdir), "-A", self.name, "--port", str(self.port), "--quiet"]


@contextmanager
def bench_app(prefix: str = "bench") -> Iterator[BenchApp]:
    """A copy of the sample app with a unique name; destroyed with everything it made on exit."""
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as root:
        base = Path(root)
        state_home = base / "state"
        state_home.mkdir()
        app = BenchApp(
            name=f"{prefix}{secrets.token_hex(3)}",
            port=free_port(),
            appdir=copy_sample(base),
            state_home=state_home,
        )
        try:
            yield app
        finally:
            app.cli("destroy", app.name, "-y", check=False)
            remove_leftovers(app.name)


def docker_client() -> Any:
    import docker

    return docker.from_env()


def remove_leftovers(app: str) -> None:
    """Whatever still carries the application's label, and its images (`dotcloud-APP/*`)."""
    client = docker_client()
    selector = {"label": f"{naming.LABEL_APP}={app}"}
    for container in client.containers.list(all=True, filters=selector):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=selector):
        network.remove()
    for volume in client.volumes.list(filters=selector):
        volume.remove(force=True)
    remove_images(app)


def app_image_tags(app: str) -> list[str]:
    prefix = f"{naming.compose_project(app)}/"
    client = docker_client()
    return [
        tag
        for image in client.images.list(filters={"reference": f"{prefix}*"})
        for tag in image.tags
        if tag.startswith(prefix)
    ]


def remove_images(app: str) -> None:
    """Untag this application's images only; layers other images use stay."""
    client = docker_client()
    for tag in app_image_tags(app):
        client.images.remove(tag)


def container_of(app: str, service: str, instance: int = 0) -> str:
    labels = [
        f"{naming.LABEL_APP}={app}",
        f"{naming.LABEL_SERVICE}={service}",
        f"{naming.LABEL_INSTANCE}={instance}",
    ]
    found = docker_client().containers.list(filters={"label": labels})
    if not found:
        raise RuntimeError(f"no running container for {app}.{service}.{instance}")
    return str(found[0].name)


def timed(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"cores: {os.cpu_count()}; load average {one:.2f} {five:.2f} {fifteen:.2f}"


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    suffix = " (with uncommitted changes)" if dirty.stdout.strip() else ""
    return (result.stdout.strip() or "unknown") + suffix


def header(title: str) -> None:
    print(f"{title}: commit {commit()}; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(machine_line())


def table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [headings, *rows]) for i in range(len(headings))]

    def line(cells: Sequence[str]) -> str:
        cells = [str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)]
        return "  ".join(cells).rstrip()

    return "\n".join([line(headings), line(["-" * width for width in widths]), *map(line, rows)])
