"""What a change to an application does to each instance, decided without asking any engine.

The plan says which instances to start, which to replace (recreate with a new image, or restart
with a new environment) and which to retire; `engine.rollout` carries it out, one instance at a
time, on an `Executor` (Compose today).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.catalogue import SERVICE_TYPES, is_data
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import instance_count
from dotcloud_emulator.platform.state import AppState

Action = Literal["recreate", "restart"]
InstanceKey = tuple[str, int]  # ("www", 0)


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
    running ones, and stopped containers (`existing`) no longer wanted. A data instance is
    never replaced, but for the members of a replica set whose members change (a scaled
    mongodb): they restart on their new environment, to know the new members."""
    wanted, live = list(desired), set(running)
    to_recreate, to_restart = set(recreate), set(restart)
    data = [key for key in wanted if is_data_service(application, key[0])]
    code = [key for key in wanted if key not in data]
    plan = Plan()
    plan.start = [k for k in data if k not in live] + [k for k in code if k not in live]
    for key in data:
        if key in live and key in to_restart and members_change(application, key[0], wanted, live):
            plan.replace.append((key, "restart"))
    for key in code:
        if key not in live:
            continue
        if key in to_recreate:
            plan.replace.append((key, "recreate"))
        elif key in to_restart:
            plan.replace.append((key, "restart"))
    plan.retire = sorted(key for key in live | set(existing) if key not in wanted)
    return plan


def members_change(
    application: Application,
    service: str,
    wanted: Iterable[InstanceKey],
    live: Iterable[InstanceKey],
) -> bool:
    """The service is a replica set whose running members are not the wanted ones."""
    stype = SERVICE_TYPES.get(application.service(service).type)
    if stype is None or not stype.replica_set:
        return False
    numbers = {number for name, number in wanted if name == service}
    return numbers != {number for name, number in live if name == service}


def is_data_service(application: Application, service: str) -> bool:
    names = application.service_names
    if service not in names:
        return False
    return is_data(application.service(service))


def desired_instances(application: Application, state: AppState) -> list[InstanceKey]:
    return [
        (service.name, number)
        for service in application.services
        for number in range(instance_count(service, state))
    ]


def revision_name(now: float | None = None) -> str:
    """`rsync-1339191773365`, as the platform named a pushed revision."""
    return f"rsync-{int((time.time() if now is None else now) * 1000)}"


def label(key: InstanceKey) -> str:
    """`www.0`, as dotCloud spelled an instance."""
    return naming.instance_name(*key)
