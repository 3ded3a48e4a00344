"""Instances come back by themselves, as on the platform: a killed data service, a killed web
instance under load, and a restart of the Docker engine itself.

The figures (how long an instance was away, how many requests failed meanwhile) are printed,
not asserted: the assertions are that it comes back with no command run, that the data is
intact, and that no request fails where the gateway can send it elsewhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import docker
import pytest
import requests

from dotcloud_emulator.platform.naming import LABEL_APP, LABEL_INSTANCE, LABEL_SERVICE

from .conftest import IN_CI, ROOT, Cli, RunningApp, copy_sample, poll, running_app
from .test_zero_downtime import Client

BACK_TIMEOUT = 60.0  # the bound of a wait; how long it took is printed
ENGINE_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def healing(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """The sample with two web instances, shared by the tests of this module."""
    appdir = copy_sample(tmp_path_factory.mktemp("healing"))
    buildfile = appdir / "dotcloud.yml"
    text = buildfile.read_text(encoding="utf-8")
    buildfile.write_text(text.replace("  type: python\n", "  type: python\n  instances: 2\n", 1))
    with running_app(cli, "heal", appdir, cleanup_apps) as app:
        yield app


def container(app: str, service: str, number: int = 0) -> Any:
    selector = {
        "label": [f"{LABEL_APP}={app}", f"{LABEL_SERVICE}={service}", f"{LABEL_INSTANCE}={number}"]
    }
    found = docker.from_env().containers.list(all=True, filters=selector)
    assert len(found) == 1, f"{service}.{number}: {len(found)} containers"
    return found[0]


def is_healthy(app: str, service: str, number: int = 0) -> bool:
    attrs = container(app, service, number).attrs  # type: ignore[attr-defined]
    state = attrs["State"]
    return bool(state["Running"]) and state.get("Health", {}).get("Status") == "healthy"


def started_at(app: RunningApp, service: str, number: int = 0) -> str | None:
    """When the instance's container last started, or None while it is not running."""
    state = container(app.name, service, number).attrs["State"]  # type: ignore[attr-defined]
    return str(state["StartedAt"]) if state["Running"] else None


def kill_www1_until_it_serves_again(
    app: RunningApp, served: Callable[[], int], timeout: float = BACK_TIMEOUT
) -> float:
    """Kill www.1 under a client's load and wait until it answers through the gateway again
    (`served`: how many answers www.1 gave so far); the seconds that took.

    Back means serving, what a visitor sees: Docker's health status, which it checks every 30 s
    only, would say so up to half a minute later."""
    first_start = started_at(app, "www", 1)
    killed_at = time.monotonic()
    container(app.name, "www", 1).kill()
    poll(lambda: started_at(app, "www", 1) is None, timeout=10, what="www.1 killed")
    poll(
        lambda: started_at(app, "www", 1) not in (None, first_start),
        timeout=timeout,
        what="www.1 started again",
    )
    # Started after the kill: whatever www.1 answers from now on, its new process answered.
    before = served()
    poll(lambda: served() > before, timeout=timeout, what="www.1 serving through the gateway again")
    return time.monotonic() - killed_at


def hit(session: requests.Session, app: RunningApp) -> int | None:
    """One `/hits` request: the count, or None when it failed."""
    try:
        response = session.get(f"{app.base}/hits", timeout=10)
    except requests.RequestException:
        return None
    return int(response.text) if response.status_code == 200 else None


def hits_until_answered(session: requests.Session, app: RunningApp) -> tuple[int, int, float]:
    """Send `/hits` until one answers: (the count, how many failed before, seconds taken)."""
    started = time.monotonic()
    failed = 0
    while time.monotonic() - started < BACK_TIMEOUT:
        count = hit(session, app)
        if count is not None:
            return count, failed, time.monotonic() - started
        failed += 1
        time.sleep(0.2)
    raise AssertionError(f"/hits did not answer within {BACK_TIMEOUT:.0f}s ({failed} failed)")


def test_a_killed_data_service_comes_back_with_its_data(healing: RunningApp) -> None:
    session = requests.Session()
    counts = [hit(session, healing) for _ in range(3)]
    assert counts[1:] == [counts[0] + 1, counts[0] + 2], counts  # type: ignore[operator]
    redis = container(healing.name, "session")

    redis.kill()  # type: ignore[attr-defined]

    count, failed, seconds = hits_until_answered(session, healing)
    print(f"session killed: answering again after {seconds:.1f}s, {failed} requests failed")
    assert count == counts[-1] + 1  # type: ignore[operator]
    assert container(healing.name, "session").id == redis.id  # type: ignore[attr-defined]
    after = [hit(session, healing) for _ in range(20)]
    assert after == list(range(count + 1, count + 21)), after  # no failure once it is back


def test_a_killed_web_instance_under_load_loses_no_request(healing: RunningApp) -> None:
    client = Client(f"{healing.base}/instance")
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    try:
        poll(
            lambda: client.sent > 20 and client.counts()["www.1"] > 0,
            what="the client's first requests, www.1 serving some",
        )
        back_after = kill_www1_until_it_serves_again(healing, lambda: client.counts()["www.1"])
    finally:
        client.stop.set()
        thread.join(timeout=30)
    print(
        f"www.1 killed under load: back after {back_after:.1f}s; "
        f"{client.sent} requests, {len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]


def address(instance: Any) -> str:
    instance.reload()
    (network,) = instance.attrs["NetworkSettings"]["Networks"].values()
    return str(network["IPAddress"])


def test_an_instance_back_on_another_address_is_routed_to_again_at_once(
    healing: RunningApp,
) -> None:
    poll(lambda: is_healthy(healing.name, "www", 1), what="www.1 healthy")
    www1 = container(healing.name, "www", 1)
    before = address(www1)
    (network,) = www1.attrs["NetworkSettings"]["Networks"]  # type: ignore[attr-defined]
    www1.stop()  # type: ignore[attr-defined]  # stopped: the healer leaves it
    # Another container takes an address meanwhile, as after a crash on a busy engine.
    filler = docker.from_env().containers.run(
        www1.image.id,  # type: ignore[attr-defined]
        entrypoint=["sleep", "300"],
        detach=True,
        network=network,
        labels={LABEL_APP: healing.name, "io.dotcloud.emulator.test": "filler"},
    )
    try:
        www1.start()  # type: ignore[attr-defined]
        started_at = time.monotonic()
        assert address(www1) != before, "www.1 came back on its old address: nothing to show"

        def served_by_www1() -> bool:
            try:
                return requests.get(f"{healing.base}/instance", timeout=5).text == "www.1"
            except requests.RequestException:
                return False

        # Sooner than the gateway's own look every 30 s: the healer tells it at the start event.
        poll(served_by_www1, timeout=20, what="the gateway routing to www.1's new address")
    finally:
        filler.remove(force=True)
    print(
        f"www.1 back on {address(www1)} (was {before}): served through the gateway "
        f"{time.monotonic() - started_at:.1f}s after its start"
    )


def dockerd_pid() -> int | None:
    found = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True)
    pids = found.stdout.split()
    return int(pids[0]) if pids else None


def test_the_application_comes_back_after_the_engine_restarts(healing: RunningApp) -> None:
    pid = dockerd_pid()
    if pid is None or os.geteuid() != 0:
        reason = "needs a dockerd this user may stop (root, as CI runs)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    session = requests.Session()
    before, _, _ = hits_until_answered(session, healing)

    os.kill(pid, signal.SIGTERM)
    poll(lambda: dockerd_pid() is None, timeout=ENGINE_TIMEOUT, what="dockerd to stop")
    stopped_at = time.monotonic()
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-docker.sh")], check=True)

    count, failed, seconds = hits_until_answered(session, healing)
    print(
        f"engine restarted: the tutorial answered {time.monotonic() - stopped_at:.1f}s after "
        f"the engine stopped ({seconds:.1f}s after it answered again), {failed} requests failed"
    )
    assert count == before + 1


def test_status_says_web_instances_cannot_serve_while_the_data_is_down(
    cli: Cli, healing: RunningApp
) -> None:
    redis = container(healing.name, "session")
    redis.stop()  # type: ignore[attr-defined]  # stopped for good: the healer leaves it
    try:
        status = cli.run("status", healing.name).stdout
        assert "www.0: down (session.0 is down)" in status
        assert "session.0: down" in status
    finally:
        redis.start()  # type: ignore[attr-defined]
    poll(
        lambda: "www.0: up" in cli.run("status", healing.name).stdout,
        timeout=BACK_TIMEOUT,
        what="status saying www.0 is up once session.0 is back",
    )
