"""Readiness: judging `docker inspect` data, the failure message, and polling with a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from dotcloud_emulator.engine.readiness import (
    Readiness,
    failure_message,
    readiness_from_attrs,
    wait_until_ready,
)
from dotcloud_emulator.errors import UserError


def attrs(
    status: str = "running", health: dict[str, Any] | None = None, exit_code: int = 0
) -> dict[str, Any]:
    state: dict[str, Any] = {"Status": status, "ExitCode": exit_code}
    if health is not None:
        state["Health"] = health
    return {"State": state}


def unhealthy(
    output: str = "curl: (7) Failed to connect to 127.0.0.1 port 8080\n",
) -> dict[str, Any]:
    return {"Status": "unhealthy", "Log": [{"ExitCode": 7, "Output": output}]}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (attrs(), Readiness("ready")),
        (attrs(health={"Status": "healthy"}), Readiness("ready")),
        (attrs(health={"Status": "starting"}), Readiness("waiting", "health check starting")),
        (attrs("created"), Readiness("waiting", "container is created")),
        (attrs("exited", exit_code=3), Readiness("failed", "exited with status 3")),
        (
            attrs("restarting", exit_code=1),
            Readiness("failed", "exited with status 1; Docker is restarting it"),
        ),
        (
            {**attrs(health={"Status": "starting"}), "RestartCount": 2},
            Readiness("failed", "died and was restarted by Docker 2 time(s)"),
        ),
        (
            attrs(health=unhealthy()),
            Readiness(
                "failed",
                "health check failed with exit code 7: "
                "curl: (7) Failed to connect to 127.0.0.1 port 8080",
            ),
        ),
    ],
)
def test_readiness_from_inspect_data(data: dict[str, Any], expected: Readiness) -> None:
    assert readiness_from_attrs(data) == expected


def test_failure_message_names_instance_check_and_logs() -> None:
    message = failure_message("www.0", "exited with status 1", ["booting", "ImportError: cherrypy"])

    assert message == (
        "www.0 did not become responsive: exited with status 1\n"
        "last 2 log lines of www.0:\n"
        "    booting\n"
        "    ImportError: cherrypy"
    )


def test_failure_message_without_logs() -> None:
    assert failure_message("session.0", "exited with status 2", []) == (
        "session.0 did not become responsive: exited with status 2\nsession.0 logged nothing"
    )


class FakeContainer:
    def __init__(self, states: list[dict[str, Any]], logs: bytes = b"") -> None:
        self.states = states
        self._logs = logs

    @property
    def attrs(self) -> dict[str, Any]:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def logs(self, tail: int) -> bytes:
        return self._logs


class FakeContainers:
    def __init__(self, containers: dict[str, FakeContainer]) -> None:
        self.containers = containers

    def get(self, container_id: str) -> FakeContainer:
        return self.containers[container_id]


class FakeClient:
    def __init__(self, containers: dict[str, FakeContainer]) -> None:
        self.containers = FakeContainers(containers)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_waits_until_every_instance_is_ready_and_reports_each() -> None:
    starting = attrs(health={"Status": "starting"})
    client = FakeClient(
        {
            "a": FakeContainer([starting, starting, attrs(health={"Status": "healthy"})]),
            "b": FakeContainer([attrs()]),
        }
    )
    clock = FakeClock()
    ready: list[str] = []

    wait_until_ready(
        client,
        {"www.0": "a", "session.0": "b"},
        on_ready=ready.append,
        clock=clock,
        sleep=clock.sleep,
    )

    assert ready == ["session.0", "www.0"]
    assert clock.sleeps == [0.5, 0.5]


def test_an_unhealthy_instance_fails_with_its_check_and_logs() -> None:
    client = FakeClient({"a": FakeContainer([attrs(health=unhealthy())], logs=b"one\ntwo\n")})
    clock = FakeClock()

    with pytest.raises(UserError) as caught:
        wait_until_ready(client, {"www.0": "a"}, clock=clock, sleep=clock.sleep)

    assert caught.value.message == (
        "www.0 did not become responsive: health check failed with exit code 7: "
        "curl: (7) Failed to connect to 127.0.0.1 port 8080\n"
        "last 2 log lines of www.0:\n    one\n    two"
    )


def test_timeout_names_what_it_was_waiting_for() -> None:
    client = FakeClient({"a": FakeContainer([attrs(health={"Status": "starting"})])})
    clock = FakeClock()

    with pytest.raises(UserError) as caught:
        wait_until_ready(client, {"www.0": "a"}, timeout=2, clock=clock, sleep=clock.sleep)

    assert caught.value.message.startswith(
        "www.0 did not become responsive: not ready after 2s (health check starting)"
    )
    assert clock.now == pytest.approx(2.0)


def test_a_program_supervisor_gave_up_on_fails_without_waiting_for_the_start_period() -> None:
    probe = {
        "ExitCode": 1,
        "Output": "Supervisor gave up: uwsgi FATAL Exited too quickly (see the process log)\n",
    }

    readiness = readiness_from_attrs(attrs(health={"Status": "starting", "Log": [probe]}))

    assert readiness.verdict == "failed"
    assert "uwsgi FATAL Exited too quickly" in readiness.reason


def test_a_program_in_backoff_is_still_waited_for() -> None:
    probe = {"ExitCode": 1, "Output": "not RUNNING: worker BACKOFF Exited too quickly"}

    readiness = readiness_from_attrs(attrs(health={"Status": "starting", "Log": [probe]}))

    assert readiness.verdict == "waiting"


class ProbedContainer(FakeContainer):
    """A container whose readiness check, run directly, answers as given."""

    def __init__(self, states: list[dict[str, Any]], exit_code: int, output: bytes) -> None:
        super().__init__(states)
        self.result = (exit_code, output)
        self.probes = 0

    def exec_run(self, command: list[str], user: str = "") -> tuple[int, bytes]:
        assert command == ["/usr/local/bin/dotcloud-health"]
        assert user == "root"
        self.probes += 1
        return self.result


def test_a_starting_instance_is_probed_directly_instead_of_waiting_for_docker() -> None:
    container = ProbedContainer([attrs(health={"Status": "starting"})], 0, b"ready\n")
    clock = FakeClock()

    wait_until_ready(FakeClient({"a": container}), {"www.0": "a"}, clock=clock, sleep=clock.sleep)

    assert container.probes == 1
    assert clock.sleeps == []


def test_a_direct_probe_that_sees_supervisor_give_up_fails_at_once() -> None:
    output = b"Supervisor gave up: worker keeps crashing (3 unexpected exits in 60 s)\nboom\n"
    container = ProbedContainer([attrs(health={"Status": "starting"})], 1, output)
    clock = FakeClock()

    with pytest.raises(UserError) as caught:
        wait_until_ready(
            FakeClient({"a": container}), {"worker.0": "a"}, clock=clock, sleep=clock.sleep
        )

    first = caught.value.message.splitlines()[0]
    assert first == (
        "worker.0 did not become responsive: health check failed with exit code 1: "
        "Supervisor gave up: worker keeps crashing (3 unexpected exits in 60 s)"
    )
    assert "    boom" in caught.value.message


def test_a_direct_probe_still_starting_keeps_waiting() -> None:
    starting = attrs(health={"Status": "starting"})
    healthy = attrs(health={"Status": "healthy"})
    container = ProbedContainer([starting, healthy], 1, b"starting: worker (up 1 s)\n")
    clock = FakeClock()

    wait_until_ready(FakeClient({"a": container}), {"w.0": "a"}, clock=clock, sleep=clock.sleep)

    assert container.probes == 1
    assert clock.sleeps == [0.5]
