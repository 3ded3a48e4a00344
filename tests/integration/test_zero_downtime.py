"""A push with one instance or two: a client requesting the whole time sees no failure."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
import requests

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_SERVICE

from .conftest import (
    Cli,
    RunningApp,
    copy_sample,
    free_port,
    poll,
    remove_app_leftovers,
    unique_app,
)

MAX_CLIENT_SECONDS = 600.0
MAX_REQUESTS = 200_000
NEW_CODE_TIMEOUT = 60.0
OLD_LINE = "        return plain(self.instance_label)\n"
NEW_LINE = '        return plain(self.instance_label + " v2")\n'


@dataclass
class Client:
    """GET requests in a loop, a new connection each, until stopped (or a bound is reached)."""

    url: str
    answers: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    # Held while `run` counts an answer, so that another thread reads the counts whole.
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sent(self) -> int:
        with self.lock:
            return sum(self.answers.values()) + len(self.failures)

    def counts(self) -> Counter[str]:
        """A copy of the answers so far, safe to read while `run` goes on in its thread."""
        with self.lock:
            return Counter(self.answers)

    def run(self) -> None:
        deadline = time.monotonic() + MAX_CLIENT_SECONDS
        while not self.stop.is_set() and time.monotonic() < deadline and self.sent < MAX_REQUESTS:
            try:
                response = requests.get(self.url, timeout=10)
            except requests.RequestException as exc:
                with self.lock:
                    self.failures.append(f"{exc.__class__.__name__}: {exc}")
                continue
            with self.lock:
                if response.status_code != 200:
                    self.failures.append(f"HTTP {response.status_code}: {response.text[:200]}")
                else:
                    self.answers[response.text] += 1


def instances_copy(destination: Path, instances: int) -> Path:
    appdir = copy_sample(destination)
    buildfile = appdir / "dotcloud.yml"
    text = buildfile.read_text(encoding="utf-8")
    wanted = f"  type: python\n  instances: {instances}\n"
    buildfile.write_text(text.replace("  type: python\n", wanted, 1))
    return appdir


def change_code(appdir: Path) -> None:
    wsgi = appdir / "services" / "www" / "wsgi.py"
    source = wsgi.read_text(encoding="utf-8")
    assert OLD_LINE in source, "the sample's /instance handler changed: update this test"
    wsgi.write_text(source.replace(OLD_LINE, NEW_LINE), encoding="utf-8")


def container_ids(app: str, service: str) -> set[str]:
    selector = {"label": [f"{LABEL_APP}={app}", f"{LABEL_SERVICE}={service}"]}
    return {c.id for c in docker.from_env().containers.list(all=True, filters=selector)}


@pytest.mark.parametrize("instances", [1, 2])
def test_push_loses_no_request(
    cli: Cli, tmp_path: Path, cleanup_apps: list[str], instances: int
) -> None:
    """With one instance, the new one starts beside the old one and takes over once it answers;
    with two, each in turn leaves the gateway while it is replaced."""
    app = RunningApp(
        unique_app(f"zero{instances}"), free_port(), instances_copy(tmp_path, instances)
    )
    try:
        cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))
        session_before = container_ids(app.name, "session")
        change_code(app.appdir)
        client = Client(f"{app.base}/instance")
        thread = threading.Thread(target=client.run, daemon=True)
        thread.start()
        try:
            pushed = cli.run("push", str(app.appdir), "-A", app.name, "--port", str(app.port))
        finally:
            client.stop.set()
            thread.join(timeout=30)

        print(
            f"zero-downtime push, {instances} instance(s): "
            f"{client.sent} requests, {len(client.failures)} failed"
        )
        assert client.failures == [], client.failures[:10]
        assert client.sent > 0
        last = f"www.{instances - 1}"
        assert f"[{last}] Re-routing traffic to the new build..." in pushed.stderr
        if instances == 1:
            assert "[www.0] Starting the new instance beside the current one..." in pushed.stderr
            assert len(container_ids(app.name, "www")) == 1  # the old one is gone
        assert container_ids(app.name, "session") == session_before
        assert_every_instance_serves_the_new_code(app, instances)
    finally:
        cli.run("destroy", app.name, "-y", check=False)
        remove_app_leftovers(app.name)


def assert_every_instance_serves_the_new_code(app: RunningApp, instances: int) -> None:
    seen: set[str] = set()
    labels = {f"www.{n}" for n in range(instances)}

    def all_answered() -> bool:
        seen.add(requests.get(f"{app.base}/instance", timeout=10).text)
        return {f"{label} v2" for label in labels} <= seen

    poll(all_answered, timeout=NEW_CODE_TIMEOUT, what=f"{sorted(labels)} with the new code")
    assert not labels & seen, f"an old instance still answers: {seen}"
