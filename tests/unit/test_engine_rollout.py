"""Planning a rollout, and draining an instance from the gateway only when another one serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine.compose import ComposeProject
from dotcloud_emulator.engine.rollout import (
    Plan,
    Rollout,
    changed_environments,
    desired_instances,
    environment_texts,
    plan_rollout,
    revision_name,
)
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState


def tutorial(root: Path) -> Application:
    services = (Service("www", "python"), Service("session", "redis"))
    return Application("tutorial", root, root / "dotcloud.yml", services)


class RecordingGateway:
    def __init__(self) -> None:
        self.applied: list[str] = []

    def apply(self, routes: str) -> None:
        self.applied.append(routes)


class Events:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def event(self, source: str, text: str) -> None:
        self.lines.append(f"[{source}] {text}")


def rollout(root: Path, serving: set[int]) -> tuple[Rollout, RecordingGateway]:
    gateway = RecordingGateway()
    state = AppState(app="tutorial", created_at=0.0, scale={"www": 3})
    project = ComposeProject.for_app("tutorial", root / "docker-compose.yml", root)
    gateway_control: Any = gateway
    return (
        Rollout(
            client=None,
            application=tutorial(root),
            state=state,
            settings=Settings(root),
            project=project,
            report=Events(),
            gateway=gateway_control,
            rotation={"www": set(serving)},
        ),
        gateway,
    )


def upstream(routes: str) -> list[str]:
    block = routes[routes.index("upstream service_www {") :].split("}", 1)[0]
    return [line.split()[1] for line in block.splitlines() if line.strip().startswith("server ")]


def test_a_push_recreates_the_stale_code_instances_and_starts_missing_ones(
    tmp_path: Path,
) -> None:
    desired = [("www", 0), ("www", 1), ("www", 2), ("session", 0)]
    running = [("www", 0), ("www", 1), ("session", 0)]

    plan = plan_rollout(tutorial(tmp_path), desired, running, recreate=[("www", 1)])

    assert plan == Plan(start=[("www", 2)], replace=[(("www", 1), "recreate")], retire=[])


def test_a_push_of_unchanged_code_replaces_nothing(tmp_path: Path) -> None:
    running = [("www", 0), ("session", 0)]

    assert plan_rollout(tutorial(tmp_path), running, running) == Plan(
        start=[], replace=[], retire=[]
    )


def test_data_instances_start_before_code_and_are_never_replaced(tmp_path: Path) -> None:
    desired = [("www", 0), ("session", 0)]

    plan = plan_rollout(tutorial(tmp_path), desired, [], recreate=[("session", 0)])

    assert plan.start == [("session", 0), ("www", 0)]
    assert plan.replace == []


def test_a_state_change_restarts_only_the_named_instances_and_retires_extras(
    tmp_path: Path,
) -> None:
    running = [("www", 0), ("www", 1), ("www", 2), ("session", 0)]
    desired = [("www", 0), ("session", 0)]

    plan = plan_rollout(tutorial(tmp_path), desired, running, restart=[("www", 0)])

    assert plan == Plan(
        start=[], replace=[(("www", 0), "restart")], retire=[("www", 1), ("www", 2)]
    )


def test_desired_instances_follow_the_scale(tmp_path: Path) -> None:
    state = AppState(app="tutorial", created_at=0.0, scale={"www": 2})

    assert desired_instances(tutorial(tmp_path), state) == [("www", 0), ("www", 1), ("session", 0)]


def test_changed_environments_are_found_by_content(tmp_path: Path) -> None:
    for name, text in (("www-0", "{}"), ("session-0", '{"A": "1"}')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "environment.json").write_text(text)
    before = environment_texts(tmp_path)
    (tmp_path / "www-0" / "environment.json").write_text('{"GREETING": "hello"}')
    (tmp_path / "www-1").mkdir()
    (tmp_path / "www-1" / "environment.json").write_text("{}")

    assert changed_environments(before, environment_texts(tmp_path)) == {"www-0", "www-1"}
    assert environment_texts(tmp_path / "missing") == {}


def test_a_revision_is_named_like_the_platforms() -> None:
    assert revision_name(1339191773.365) == "rsync-1339191773365"


def test_draining_takes_the_instance_out_of_the_upstream(tmp_path: Path) -> None:
    rolling, gateway = rollout(tmp_path, {0, 1, 2})

    rolling.drain(("www", 1))

    assert upstream(gateway.applied[-1]) == ["www-0:8080", "www-2:8080"]
    assert rolling.rotation == {"www": {0, 2}}


def test_the_last_instance_in_service_is_not_drained(tmp_path: Path) -> None:
    rolling, gateway = rollout(tmp_path, {0})

    rolling.drain(("www", 0))

    assert gateway.applied == []
    assert rolling.rotation == {"www": {0}}


def test_data_instances_are_never_drained(tmp_path: Path) -> None:
    rolling, gateway = rollout(tmp_path, {0, 1})

    rolling.drain(("session", 0))

    assert gateway.applied == []


def test_stopped_containers_no_longer_wanted_are_retired_too(tmp_path: Path) -> None:
    desired = [("www", 0), ("session", 0)]
    running = [("www", 0), ("session", 0)]
    existing = [*running, ("www", 1)]  # stopped: not running, still there

    plan = plan_rollout(tutorial(tmp_path), desired, running, existing=existing)

    assert plan.retire == [("www", 1)]
    assert plan.start == []
