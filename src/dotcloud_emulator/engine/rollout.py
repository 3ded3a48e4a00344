"""Carrying out a plan one instance at a time, while the gateway keeps serving.

Each code instance in turn leaves the gateway's upstreams (a graceful nginx reload), is recreated
with the new image or restarted with its new environment, is waited for, and comes back: with two
instances or more of a service no request fails. An instance that is the last one of its service in
the gateway is replaced beside itself: the new container starts next to the old one and takes
the traffic once it answers, so no request fails either. Data services are started when missing
and recreated only when their Compose definition changed.

Nothing here knows Compose: the steps go to an `Executor`. A first `up` and a rolling change
take the same start path (start, wait until ready, route); they differ only in what they tell.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine.compose_engine import ComposeEngine
from dotcloud_emulator.engine.context import DeployContext, Reporter
from dotcloud_emulator.engine.executor import Executor, OnReady
from dotcloud_emulator.engine.plan import (
    Action,
    InstanceKey,
    Plan,
    is_data_service,
    label,
)
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import instance_count
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.gateway import http_services


@dataclass(frozen=True)
class StartWords:
    """What a start tells; an empty text says nothing at that point."""

    announce: str = ""  # each instance, before the engine creates it
    activity: str = ""  # while the engine creates them
    waiting: str = ""  # each instance, then while they are waited for
    ready: str = ""  # each instance, as it answers
    started: str = ""  # each instance, once all answer


# A first `up` narrates the waits; a change to a running application, each instance's steps.
FIRST_START = StartWords(
    activity="Starting services",
    waiting="Waiting for the instance to become responsive...",
    ready="Instance is up and responsive",
)
FIRST_DATA = replace(FIRST_START, activity="Starting data services")
FIRST_GATEWAY = replace(FIRST_START, activity="Starting the gateway")
JOINING = StartWords(announce="Initializing...", started="Service initialized")
QUIET = StartWords()


@dataclass
class Rollout:
    executor: Executor
    application: Application
    state: AppState
    report: Reporter
    rotation: dict[str, set[int]]  # HTTP service -> instances the gateway sends traffic to
    revision: str = ""

    @classmethod
    def begin(cls, ctx: DeployContext, executor: Executor, *, revision: str = "") -> Rollout:
        running = executor.running()
        rotation = {
            service.name: {number for name, number in running if name == service.name}
            for service in http_services(ctx.application)
        }
        return cls(executor, ctx.application, ctx.state, ctx.reporter, rotation, revision)

    def first_start(self, keys: Sequence[InstanceKey]) -> None:
        """Start an application of which nothing runs: its data services, then its code services
        once the data answers, then the gateway. Each step waits with the engine's own probes,
        which notice readiness at once, where an engine ordering dependencies itself would wait
        for its next healthcheck."""
        data = [key for key in keys if is_data_service(self.application, key[0])]
        code = [key for key in keys if key not in data]
        self.start(data, FIRST_DATA, first=True)
        self.start(code, FIRST_START, first=not data)
        self.finish(first=True)

    def run(self, plan: Plan) -> None:
        data = [k for k in plan.start if is_data_service(self.application, k[0])]
        self.start(data)
        self.start([k for k in plan.start if k not in data])
        for key, action in plan.replace:
            self.replace(key, action)
        for key in plan.retire:
            self.retire(key)
        self.finish()

    def start(
        self, keys: Sequence[InstanceKey], words: StartWords = JOINING, *, first: bool = False
    ) -> None:
        """The one start path: start the instances, wait until they answer, route them."""
        if not keys:
            return
        self._tell(keys, words.announce)
        with self._activity(words.activity):
            self.executor.start(keys, first=first)
        self._wait(keys, words)
        self._tell(keys, words.started)
        routed = [key for key in keys if key[0] in self.rotation]
        for service, number in routed:
            self.rotation[service].add(number)
        if routed:
            self.route()

    def replace(self, key: InstanceKey, action: Action) -> None:
        service, number = key
        if action == "recreate":
            self.report.event(label(key), f"Deploying build revision {self.revision}...")
        else:
            self.report.event(label(key), "Restarting...")
        if self.rotation.get(service) == {number}:
            self.replace_beside(key, action)
            return
        self.drain(key)
        self.executor.replace(key, action)
        self.report.event(label(key), "Waiting for the instance to become responsive...")
        self.executor.wait([key])
        if service in self.rotation:
            rerouting = "to the new build" if action == "recreate" else "to the instance"
            self.report.event(label(key), f"Re-routing traffic {rerouting}...")
            self.rotation[service].add(number)
            self.route()  # also when it never left: a recreated instance has a new address
        if action == "recreate":
            self.report.event(label(key), f"Successfully deployed build revision {self.revision}")

    def replace_beside(self, key: InstanceKey, action: Action) -> None:
        """Replace the last instance of a service in the gateway without a gap: the new one starts
        beside the old one, takes the traffic once it answers, then the old one goes. If the
        new one fails, it goes instead and the old one keeps serving."""
        self.executor.pin(key, "current")
        self.route()
        self.report.event(label(key), "Starting the new instance beside the current one...")
        self.executor.start_beside(key)
        self.report.event(label(key), "Waiting for the instance to become responsive...")
        try:
            self.executor.wait([key])
        except UserError:
            self.executor.end_beside(key, keep="current")
            self.route()
            raise
        rerouting = "to the new build" if action == "recreate" else "to the instance"
        self.report.event(label(key), f"Re-routing traffic {rerouting}...")
        self.executor.pin(key, "new")
        self.route()  # returns once the old workers finished their requests
        self.executor.end_beside(key, keep="new")
        self.route()
        if action == "recreate":
            self.report.event(label(key), f"Successfully deployed build revision {self.revision}")

    def drain(self, key: InstanceKey) -> None:
        """Take the instance out of the gateway, unless it is the last one of its service."""
        service, number = key
        serving = self.rotation.get(service)
        if serving is None or number not in serving or not serving - {number}:
            return
        serving.discard(number)
        self.route()

    def retire(self, key: InstanceKey) -> None:
        self.report.event(label(key), "Stopping (scaled down)")
        serving = self.rotation.get(key[0])
        if serving is not None and key[1] in serving:
            serving.discard(key[1])
            self.route()
        self.executor.retire(key)

    def finish(self, *, first: bool = False) -> None:
        """Have the gateway run on the application's port, routing every desired instance."""
        if not http_services(self.application):
            return
        self.rotation = {
            service.name: set(range(instance_count(service, self.state)))
            for service in http_services(self.application)
        }
        if first or not self.executor.gateway_serves():
            # A gateway that starts reads the generated routes: every desired instance already.
            self._start_gateway(FIRST_GATEWAY if first else QUIET, first=first)
        else:
            self.route()

    def route(self) -> None:
        self.executor.route(self.rotation)

    def _start_gateway(self, words: StartWords, *, first: bool) -> None:
        with self._activity(words.activity):
            self.executor.start_gateway(first=first)
        gateway = [naming.GATEWAY_SERVICE]
        with self._waiting(gateway, words):
            self.executor.wait_gateway(self._on_ready(words))

    def _wait(self, keys: Sequence[InstanceKey], words: StartWords) -> None:
        ordered = sorted(keys)
        with self._waiting([label(key) for key in ordered], words):
            self.executor.wait(ordered, self._on_ready(words))

    def _waiting(self, labels: list[str], words: StartWords) -> AbstractContextManager[None]:
        if not words.waiting:
            return contextlib.nullcontext()
        for name in labels:
            self.report.event(name, words.waiting)
        return self.report.activity(f"Waiting for {', '.join(labels)} to become responsive")

    def _on_ready(self, words: StartWords) -> OnReady | None:
        if not words.ready:
            return None
        return lambda name: self.report.event(name, words.ready)

    def _tell(self, keys: Iterable[InstanceKey], text: str) -> None:
        if text:
            for key in keys:
                self.report.event(label(key), text)

    def _activity(self, text: str) -> AbstractContextManager[None]:
        return self.report.activity(text) if text else contextlib.nullcontext()


def restart_instances(
    client: Any,
    application: Application,
    state: AppState,
    settings: Settings,
    keys: Iterable[InstanceKey],
    report: Reporter,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Restart instances one at a time, each out of the gateway while it restarts."""
    ctx = DeployContext.create(
        client, application, state, settings, reporter=report, timeout=timeout
    )
    rollout = Rollout.begin(ctx, ComposeEngine(ctx))
    for key in keys:
        rollout.replace(key, "restart")
