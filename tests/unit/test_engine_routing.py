"""The gateway's graceful reload: resolve and check first, restore on refusal, wait until old
workers leave."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.engine.routing import (
    GatewayControl,
    Worker,
    nginx_workers,
    reload_finished,
    routes_source,
    top_processes,
)
from dotcloud_emulator.errors import UserError

TITLES = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]


def top(*processes: tuple[str, str]) -> dict[str, Any]:
    return {
        "Titles": TITLES,
        "Processes": [
            ["www-data", pid, "1", "0", "05:43", "?", "00:00:00", cmd] for pid, cmd in processes
        ],
    }


MASTER = ("10", "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf")


@dataclass
class ExecResult:
    exit_code: int
    output: bytes


@dataclass
class FakeGateway:
    """Answers `dotcloud-routes apply` (which runs `nginx -t`) with `check_code` and lists
    workers from `tops`, one per call."""

    tops: Iterator[dict[str, Any]]
    check_code: int = 0
    commands: list[list[str]] = field(default_factory=list)

    def exec_run(self, argv: list[str]) -> ExecResult:
        self.commands.append(argv)
        if argv == ["dotcloud-routes", "apply"]:
            return ExecResult(
                self.check_code, b"host not found in upstream" if self.check_code else b""
            )
        return ExecResult(0, b"")

    def top(self) -> dict[str, Any]:
        return next(self.tops)

    def logs(self, tail: int) -> bytes:
        return b"nginx said something\n"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def control(container: FakeGateway, tmp_path: Path) -> tuple[GatewayControl, Path]:
    routes = tmp_path / "conf.d" / "routes.conf"
    routes.parent.mkdir()
    routes.write_text("old routes\n")
    clock = FakeClock()
    return GatewayControl(container, routes, clock=clock, sleep=clock.sleep), routes


def test_workers_are_read_from_docker_top() -> None:
    answer = top(
        MASTER, ("11", "nginx: worker process"), ("12", "nginx: worker process is shutting down")
    )

    assert nginx_workers(top_processes(answer)) == [Worker("11", False), Worker("12", True)]
    assert top_processes({"Titles": ["USER"], "Processes": [["x"]]}) == []


def test_a_reload_is_finished_when_no_old_worker_remains() -> None:
    before = [Worker("11", False), Worker("12", False)]

    assert reload_finished(before, [Worker("13", False), Worker("14", False)]) is True
    assert reload_finished(before, [Worker("12", True), Worker("13", False)]) is False
    assert reload_finished(before, []) is False


def test_the_routes_folder_is_the_gateway_routes_bind_mount() -> None:
    attrs = {
        "Mounts": [
            {"Destination": "/data", "Source": "/elsewhere"},
            {"Destination": "/etc/dotcloud-gateway", "Source": "/app/.dotcloud/gateway/conf.d"},
        ]
    }

    assert routes_source(attrs) == Path("/app/.dotcloud/gateway/conf.d")
    assert routes_source({"Mounts": []}) is None


def test_apply_checks_then_reloads_and_waits_for_the_new_workers(tmp_path: Path) -> None:
    old = top(MASTER, ("11", "nginx: worker process"))
    draining = top(
        MASTER, ("11", "nginx: worker process is shutting down"), ("12", "nginx: worker process")
    )
    new = top(MASTER, ("12", "nginx: worker process"))
    gateway = FakeGateway(iter([old, draining, new]))
    controller, routes = control(gateway, tmp_path)

    controller.apply("new routes\n")

    assert routes.read_text() == "new routes\n"
    assert gateway.commands == [["dotcloud-routes", "apply"]]


def test_refused_routes_are_rolled_back_and_nothing_reloads(tmp_path: Path) -> None:
    gateway = FakeGateway(iter([top(MASTER, ("11", "nginx: worker process"))]), check_code=1)
    controller, routes = control(gateway, tmp_path)

    with pytest.raises(UserError) as caught:
        controller.apply("broken routes\n")

    assert caught.value.message == "the gateway refused its new routes:\nhost not found in upstream"
    assert routes.read_text() == "old routes\n"
    assert gateway.commands == [["dotcloud-routes", "apply"]]


def test_a_reload_that_never_takes_is_an_error_with_the_gateway_log(tmp_path: Path) -> None:
    stuck = top(MASTER, ("11", "nginx: worker process"))
    gateway = FakeGateway(iter([stuck] * 1000))
    controller, _ = control(gateway, tmp_path)

    with pytest.raises(UserError, match=r"did not reload within 30s:\n    nginx said something"):
        controller.apply("new routes\n")


def test_old_workers_holding_long_connections_do_not_block(tmp_path: Path) -> None:
    before = top(MASTER, ("11", "nginx: worker process"))
    lingering = top(
        MASTER, ("11", "nginx: worker process is shutting down"), ("12", "nginx: worker process")
    )
    gateway = FakeGateway(iter([before] + [lingering] * 1000))
    controller, _ = control(gateway, tmp_path)

    controller.apply("new routes\n")

    assert gateway.commands[-1] == ["dotcloud-routes", "apply"]
