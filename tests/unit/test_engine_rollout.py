"""The plan (pure) and the rollout that carries it out: a recording executor stands in for Compose,
so the order of starts, waits, drains and routes is checked without Docker."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine.context import DeployContext
from dotcloud_emulator.engine.executor import OnReady, Side
from dotcloud_emulator.engine.plan import (
    Action,
    InstanceKey,
    Plan,
    desired_instances,
    label,
    plan_rollout,
    revision_name,
)
from dotcloud_emulator.engine.rollout import Rollout
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState


def tutorial(root: Path) -> Application:
    services = (Service("www", "python"), Service("session", "redis"))
    return Application("tutorial", root, root / "dotcloud.yml", services)


class Lines:
    """A reporter that keeps what a console would show, activities included."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, text: str) -> None:
        self.lines.append(f"---> {text}")

    def event(self, source: str, text: str) -> None:
        self.lines.append(f"[{source}] {text}")

    @contextlib.contextmanager
    def activity(self, text: str) -> Iterator[None]:
        self.lines.append(f"==> {text}")
        yield

    def detail(self, line: str) -> None:
        pass


class RecordingExecutor:
    """Records each call the rollout makes; every instance answers at once."""

    def __init__(self, running: Sequence[InstanceKey] = (), gateway_serves: bool = True) -> None:
        self._running = list(running)
        self._gateway_serves = gateway_serves
        self.calls: list[tuple[Any, ...]] = []

    def running(self) -> list[InstanceKey]:
        return list(self._running)

    def existing(self) -> list[InstanceKey]:
        return list(self._running)

    def outdated(self) -> list[InstanceKey]:
        return []

    def start(self, keys: Sequence[InstanceKey], *, first: bool = False) -> None:
        self.calls.append(("start", [label(k) for k in keys], first))

    def wait(self, keys: Sequence[InstanceKey], on_ready: OnReady | None = None) -> None:
        self.calls.append(("wait", [label(k) for k in keys]))
        for key in keys:
            if on_ready is not None:
                on_ready(label(key))

    def replace(self, key: InstanceKey, action: Action) -> None:
        self.calls.append(("replace", label(key), action))

    def retire(self, key: InstanceKey) -> None:
        self.calls.append(("retire", label(key)))

    def pin(self, key: InstanceKey, which: Side) -> None:
        self.calls.append(("pin", label(key), which))

    def start_beside(self, key: InstanceKey) -> None:
        self.calls.append(("start_beside", label(key)))

    def end_beside(self, key: InstanceKey, *, keep: Side) -> None:
        self.calls.append(("end_beside", label(key), keep))

    def keep_healing(self) -> None:
        self.calls.append(("keep_healing",))

    def gateway_serves(self) -> bool:
        return self._gateway_serves

    def start_gateway(self, *, first: bool = False) -> None:
        self.calls.append(("start_gateway", first))

    def wait_gateway(self, on_ready: OnReady | None = None) -> None:
        self.calls.append(("wait_gateway",))
        if on_ready is not None:
            on_ready("gateway")

    def route(self, rotation: Mapping[str, Collection[int]]) -> None:
        self.calls.append(("route", {s: sorted(n) for s, n in rotation.items()}))


def context(root: Path, scale: int = 1) -> tuple[DeployContext, Lines]:
    lines = Lines()
    state = AppState(app="tutorial", created_at=0.0, scale={"www": scale})
    ctx = DeployContext.create(None, tutorial(root), state, Settings(root), reporter=lines)
    return ctx, lines


def rollout(root: Path, serving: set[int]) -> tuple[Rollout, RecordingExecutor]:
    ctx, _ = context(root, scale=3)
    executor = RecordingExecutor([("www", n) for n in sorted(serving)])
    return Rollout.begin(ctx, executor), executor


# --- the plan -----------------------------------------------------------------------------------


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


def test_a_replica_set_that_changes_members_restarts_the_members_that_stay(
    tmp_path: Path,
) -> None:
    services = (Service("www", "python"), Service("db", "mongodb", instances=3))
    app = Application("shop", tmp_path, tmp_path / "dotcloud.yml", services)
    running = [("www", 0), ("db", 0), ("db", 1), ("db", 2)]
    desired = [*running, ("db", 3), ("db", 4)]
    changed = [("www", 0), ("db", 0), ("db", 1), ("db", 2)]

    plan = plan_rollout(app, desired, running, restart=changed)

    assert plan.start == [("db", 3), ("db", 4)]
    assert plan.replace == [
        (("db", 0), "restart"),
        (("db", 1), "restart"),
        (("db", 2), "restart"),
        (("www", 0), "restart"),
    ]
    # The same members with a new environment (env set): a data instance keeps running.
    assert plan_rollout(app, running, running, restart=changed).replace == [(("www", 0), "restart")]


def test_desired_instances_follow_the_scale(tmp_path: Path) -> None:
    state = AppState(app="tutorial", created_at=0.0, scale={"www": 2})

    assert desired_instances(tutorial(tmp_path), state) == [("www", 0), ("www", 1), ("session", 0)]


def test_a_revision_is_named_like_the_platforms() -> None:
    assert revision_name(1339191773.365) == "rsync-1339191773365"


def test_stopped_containers_no_longer_wanted_are_retired_too(tmp_path: Path) -> None:
    desired = [("www", 0), ("session", 0)]
    running = [("www", 0), ("session", 0)]
    existing = [*running, ("www", 1)]  # stopped: not running, still there

    plan = plan_rollout(tutorial(tmp_path), desired, running, existing=existing)

    assert plan.retire == [("www", 1)]
    assert plan.start == []


# --- carrying it out ----------------------------------------------------------------------------


def test_draining_takes_the_instance_out_of_the_rotation(tmp_path: Path) -> None:
    rolling, executor = rollout(tmp_path, {0, 1, 2})

    rolling.drain(("www", 1))

    assert executor.calls == [("route", {"www": [0, 2]})]
    assert rolling.rotation == {"www": {0, 2}}


def test_the_last_instance_in_service_is_not_drained(tmp_path: Path) -> None:
    rolling, executor = rollout(tmp_path, {0})

    rolling.drain(("www", 0))

    assert executor.calls == []
    assert rolling.rotation == {"www": {0}}


def test_data_instances_are_never_drained(tmp_path: Path) -> None:
    rolling, executor = rollout(tmp_path, {0, 1})

    rolling.drain(("session", 0))

    assert executor.calls == []


def test_a_rolling_push_drains_each_instance_while_it_is_replaced(tmp_path: Path) -> None:
    ctx, lines = context(tmp_path, scale=3)
    running = [("www", 0), ("www", 1), ("www", 3), ("session", 0)]
    executor = RecordingExecutor(running)
    plan = plan_rollout(
        ctx.application, desired_instances(ctx.application, ctx.state), running,
        recreate=[("www", 1)],
    )  # fmt: skip

    Rollout.begin(ctx, executor, revision="rsync-1").run(plan)

    assert executor.calls == [
        ("start", ["www.2"], False),
        ("wait", ["www.2"]),
        ("route", {"www": [0, 1, 2, 3]}),
        ("route", {"www": [0, 2, 3]}),  # www.1 leaves before it is replaced
        ("replace", "www.1", "recreate"),
        ("wait", ["www.1"]),
        ("route", {"www": [0, 1, 2, 3]}),
        ("route", {"www": [0, 1, 2]}),  # www.3 leaves before it stops
        ("retire", "www.3"),
        ("route", {"www": [0, 1, 2]}),
    ]
    assert lines.lines == [
        "[www.2] Initializing...",
        "[www.2] Service initialized",
        "[www.1] Deploying build revision rsync-1...",
        "[www.1] Waiting for the instance to become responsive...",
        "[www.1] Re-routing traffic to the new build...",
        "[www.1] Successfully deployed build revision rsync-1",
        "[www.3] Stopping (scaled down)",
    ]


def test_a_first_start_starts_every_instance_then_the_gateway(tmp_path: Path) -> None:
    ctx, lines = context(tmp_path)
    executor = RecordingExecutor(gateway_serves=False)

    Rollout.begin(ctx, executor).first_start(desired_instances(ctx.application, ctx.state))

    assert executor.calls == [
        ("start", ["session.0"], True),  # data first (and orphans removed)
        ("wait", ["session.0"]),
        ("start", ["www.0"], False),  # then code, alone: its data answers already
        ("wait", ["www.0"]),
        ("route", {"www": [0]}),  # nothing to route yet: no gateway runs
        ("start_gateway", True),
        ("wait_gateway",),  # a new gateway reads the generated routes: no reload
    ]
    assert lines.lines == [
        "==> Starting data services",
        "[session.0] Waiting for the instance to become responsive...",
        "==> Waiting for session.0 to become responsive",
        "[session.0] Instance is up and responsive",
        "==> Starting services",
        "[www.0] Waiting for the instance to become responsive...",
        "==> Waiting for www.0 to become responsive",
        "[www.0] Instance is up and responsive",
        "==> Starting the gateway",
        "[gateway] Waiting for the instance to become responsive...",
        "==> Waiting for gateway to become responsive",
        "[gateway] Instance is up and responsive",
    ]


def test_a_rollout_replaces_a_gateway_that_does_not_serve_quietly(tmp_path: Path) -> None:
    ctx, lines = context(tmp_path)
    running = [("www", 0), ("session", 0)]
    executor = RecordingExecutor(running, gateway_serves=False)

    Rollout.begin(ctx, executor).run(Plan())

    assert executor.calls == [("start_gateway", False), ("wait_gateway",)]
    assert lines.lines == []


def test_the_only_instance_is_replaced_beside_itself(tmp_path: Path) -> None:
    """The last instance of a service in the gateway: the new container serves before the old
    one goes, so the service is never without one."""
    ctx, lines = context(tmp_path)
    executor = RecordingExecutor([("www", 0), ("session", 0)])

    Rollout.begin(ctx, executor).replace(("www", 0), "restart")

    assert executor.calls == [
        ("pin", "www.0", "current"),
        ("route", {"www": [0]}),
        ("start_beside", "www.0"),
        ("wait", ["www.0"]),
        ("pin", "www.0", "new"),
        ("route", {"www": [0]}),
        ("end_beside", "www.0", "new"),
        ("route", {"www": [0]}),
    ]
    assert lines.lines[0] == "[www.0] Restarting..."


class FailingWait(RecordingExecutor):
    def wait(self, keys: Sequence[InstanceKey], on_ready: OnReady | None = None) -> None:
        self.calls.append(("wait", [label(k) for k in keys]))
        raise UserError("www.0 did not become responsive")


def test_a_new_instance_that_fails_goes_and_the_old_one_keeps_serving(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    executor = FailingWait([("www", 0), ("session", 0)])

    with pytest.raises(UserError, match="did not become responsive"):
        Rollout.begin(ctx, executor).replace(("www", 0), "recreate")

    assert executor.calls[-2:] == [("end_beside", "www.0", "current"), ("route", {"www": [0]})]
    assert ("pin", "www.0", "new") not in executor.calls


def test_an_instance_with_others_in_rotation_is_drained_and_replaced_in_place(
    tmp_path: Path,
) -> None:
    rolling, executor = rollout(tmp_path, {0, 1})

    rolling.replace(("www", 1), "recreate")

    assert executor.calls[:2] == [("route", {"www": [0]}), ("replace", "www.1", "recreate")]
    assert not [call for call in executor.calls if call[0] == "start_beside"]
