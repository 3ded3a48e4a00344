"""Changing a running application one instance at a time, while the gateway keeps serving.

Each code instance in turn leaves the gateway's upstreams (a graceful nginx reload), is recreated
with the new image or restarted with its new environment, is waited for, and comes back: with two
instances or more of a service no request fails. An instance that is the last one of its service in
the gateway is replaced in place, so the service is briefly unavailable. Data services are started
when missing and recreated only when their Compose definition changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.buildfile.servicetypes import SERVICE_TYPES
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.compose import ComposeProject, run_compose
from dotcloud_emulator.engine.lifecycle import remove_containers
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT, wait_until_ready
from dotcloud_emulator.engine.routing import GatewayControl
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import instance_count
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.gateway import http_services, render_gateway_routes

Action = Literal["recreate", "restart"]
InstanceKey = tuple[str, int]  # ("www", 0)
ENVIRONMENT_FILE = "environment.json"


class EventSink(Protocol):
    """Where a rollout reports `[www.0] ...` lines; `engine.deploy.Reporter` is one."""

    def event(self, source: str, text: str) -> None: ...


def revision_name(now: float | None = None) -> str:
    """`rsync-1339191773365`, as the platform named a pushed revision."""
    return f"rsync-{int((time.time() if now is None else now) * 1000)}"


def is_data_service(application: Application, service: str) -> bool:
    names = application.service_names
    if service not in names:
        return False
    service_type = SERVICE_TYPES.get(application.service(service).type)
    return service_type is not None and service_type.kind == "data"


def desired_instances(application: Application, state: AppState) -> list[InstanceKey]:
    return [
        (service.name, number)
        for service in application.services
        for number in range(instance_count(service, state))
    ]


def environment_texts(instances_dir: Path) -> dict[str, str]:
    """`{"www-0": environment.json text}` for every instance folder in the state directory."""
    if not instances_dir.is_dir():
        return {}
    texts: dict[str, str] = {}
    for folder in sorted(instances_dir.iterdir()):
        path = folder / ENVIRONMENT_FILE
        if path.is_file():
            texts[folder.name] = path.read_text(encoding="utf-8")
    return texts


def changed_environments(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    return {name for name, text in after.items() if before.get(name) != text}


@dataclass
class Plan:
    """What a rollout does to each instance."""

    start: list[InstanceKey] = field(default_factory=list)  # data first, then code
    replace: list[tuple[InstanceKey, Action]] = field(default_factory=list)
    retire: list[InstanceKey] = field(default_factory=list)


def plan_rollout(
    application: Application,
    desired: Iterable[InstanceKey],
    running: Iterable[InstanceKey],
    *,
    recreate: Iterable[InstanceKey] = (),
    restart: Iterable[InstanceKey] = (),
    existing: Iterable[InstanceKey] = (),
) -> Plan:
    """Start what is missing, replace code instances (recreate or restart), retire extras:
    running ones, and stopped containers (`existing`) no longer wanted."""
    wanted, live = list(desired), set(running)
    to_recreate, to_restart = set(recreate), set(restart)
    data = [key for key in wanted if is_data_service(application, key[0])]
    code = [key for key in wanted if key not in data]
    plan = Plan()
    plan.start = [k for k in data if k not in live] + [k for k in code if k not in live]
    for key in code:
        if key not in live:
            continue
        if key in to_recreate:
            plan.replace.append((key, "recreate"))
        elif key in to_restart:
            plan.replace.append((key, "restart"))
    plan.retire = sorted(key for key in live | set(existing) if key not in wanted)
    return plan


@dataclass
class Rollout:
    client: Any
    application: Application
    state: AppState
    settings: Settings
    project: ComposeProject
    report: EventSink
    gateway: GatewayControl | None
    rotation: dict[str, set[int]]  # HTTP service -> instances the gateway sends traffic to
    timeout: float = DEFAULT_TIMEOUT
    revision: str = ""

    @classmethod
    def begin(
        cls,
        client: Any,
        application: Application,
        state: AppState,
        settings: Settings,
        project: ComposeProject,
        report: EventSink,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        revision: str = "",
    ) -> Rollout:
        running = [i for i in inventory.instances(client, application.name) if i.running]
        rotation = {
            service.name: {i.number for i in running if i.service == service.name}
            for service in http_services(application)
        }
        gateway = GatewayControl.find(client, application.name)
        return cls(
            client, application, state, settings, project, report, gateway, rotation,
            timeout, revision,
        )  # fmt: skip

    def run(self, plan: Plan) -> None:
        data = [k for k in plan.start if is_data_service(self.application, k[0])]
        self.start(data)
        self.start([k for k in plan.start if k not in data])
        for key, action in plan.replace:
            self.replace(key, action)
        for key in plan.retire:
            self.retire(key)
        self.finish()

    def start(self, keys: list[InstanceKey]) -> None:
        if not keys:
            return
        for key in keys:
            self.report.event(label(key), "Initializing...")
        self._compose_up([naming.instance_service(*key) for key in keys])
        self._wait(keys)
        routed = [key for key in keys if key[0] in self.rotation]
        for key in keys:
            self.report.event(label(key), "Service initialized")
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
        self.drain(key)
        if action == "recreate":
            self._compose_up([naming.instance_service(service, number)], "--force-recreate")
        else:
            self._restart(key)
        self.report.event(label(key), "Waiting for the instance to become responsive...")
        self._wait([key])
        if service in self.rotation:
            rerouting = "to the new build" if action == "recreate" else "to the instance"
            self.report.event(label(key), f"Re-routing traffic {rerouting}...")
            self.rotation[service].add(number)
            self.route()  # also when it never left: a recreated instance has a new address
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
        remove_containers(self._containers(key))

    def finish(self) -> None:
        """Make sure the gateway runs on the right port, then route every desired instance."""
        if not http_services(self.application):
            return
        if self.gateway is None or self._gateway_port() != self.state.gateway_port:
            self._compose_up([naming.GATEWAY_SERVICE], "--force-recreate")
            self._wait_gateway()
            self.gateway = GatewayControl.find(self.client, self.application.name)
        self.rotation = {
            service.name: set(range(instance_count(service, self.state)))
            for service in http_services(self.application)
        }
        self.route()

    def route(self) -> None:
        if self.gateway is None:
            return
        rendered = render_gateway_routes(self.application, self.state, self.settings, self.rotation)
        self.gateway.apply(rendered.content)

    def _compose_up(self, services: list[str], *flags: str) -> None:
        argv = self.project.argv("up", "--detach", "--no-deps", "--no-build", *flags, *services)
        run_compose(self.project, argv)

    def _restart(self, key: InstanceKey) -> None:
        containers = self._containers(key)
        if not containers:
            raise UserError(f"{label(key)} has no container: run `up` first")
        for container in containers:
            container.restart(timeout=naming.STOP_TIMEOUT)

    def _containers(self, key: InstanceKey) -> list[Any]:
        found = inventory.instances(self.client, self.application.name, key[0], key[1])
        return [self.client.containers.get(i.container_id) for i in found]

    def _wait(self, keys: list[InstanceKey]) -> None:
        ids: dict[str, str] = {}
        for key in keys:
            found = inventory.instances(self.client, self.application.name, key[0], key[1])
            if not found:
                raise UserError(f"{label(key)} was not created")
            ids[label(key)] = found[0].container_id
        wait_until_ready(self.client, ids, timeout=self.timeout)

    def _wait_gateway(self) -> None:
        found = inventory.gateway(self.client, self.application.name)
        if found is None:
            raise UserError(f"the gateway of {self.application.name} was not created")
        wait_until_ready(
            self.client, {naming.GATEWAY_SERVICE: found.container_id}, timeout=self.timeout
        )

    def _gateway_port(self) -> int | None:
        found = inventory.gateway(self.client, self.application.name)
        return None if found is None else next(iter(found.published.values()), None)


def label(key: InstanceKey) -> str:
    return naming.instance_name(*key)


def restart_instances(
    client: Any,
    application: Application,
    state: AppState,
    settings: Settings,
    keys: Iterable[InstanceKey],
    report: EventSink,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Restart instances one at a time, each out of the gateway while it restarts."""
    project = ComposeProject.for_app(
        application.name,
        application.root / layout.COMPOSE_FILE,
        settings.state_home,
        state.gateway_port,
    )
    rollout = Rollout.begin(client, application, state, settings, project, report, timeout=timeout)
    for key in keys:
        rollout.replace(key, "restart")
