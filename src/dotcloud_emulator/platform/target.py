"""`APP.SERVICE[.INSTANCE]` targets (`tutorial.www`, `tutorial.www.1`)."""

from __future__ import annotations

from dataclasses import dataclass

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.environment import instance_count
from dotcloud_emulator.platform.state import AppState

TARGET_FORM = "APP.SERVICE[.INSTANCE]"


@dataclass(frozen=True)
class Target:
    text: str
    app: str
    service: str | None
    instance: str | None  # as typed; checked against the application by `resolve_instance`


def parse_target(text: str) -> Target:
    parts = text.split(".")
    if len(parts) > 3 or any(not part for part in parts):
        raise UsageError(f'"{text}" is not a target: use {TARGET_FORM}, e.g. tutorial.www.0')
    service = parts[1] if len(parts) > 1 else None
    instance = parts[2] if len(parts) > 2 else None
    return Target(text, parts[0], service, instance)


def resolve_instance(
    application: Application, state: AppState, target: Target
) -> tuple[Service, int]:
    """The service and instance a target names in this application (instance 0 by default)."""
    services = ", ".join(application.service_names)
    if target.service is None:
        raise UsageError(
            f'"{target.text}" names no service: use {TARGET_FORM}, e.g. '
            f"{application.name}.{application.service_names[0]} (services: {services})"
        )
    if target.service not in application.service_names:
        raise UsageError(
            f'application {application.name} has no service "{target.service}" '
            f"(services: {services})"
        )
    service = application.service(target.service)
    count = instance_count(service, state)
    instance = _instance_number(target, count)
    if instance >= count:
        raise UsageError(
            f"{application.name}.{service.name} has no instance {instance}: "
            f"{_instances_text(count)}"
        )
    return service, instance


def _instance_number(target: Target, count: int) -> int:
    if target.instance is None:
        return 0
    if not (target.instance.isascii() and target.instance.isdigit()):
        raise UsageError(
            f'"{target.instance}" in "{target.text}" is not an instance number: '
            f"{_instances_text(count)}"
        )
    return int(target.instance)


def _instances_text(count: int) -> str:
    numbers = ", ".join(str(n) for n in range(count))
    return f"it has {count} instance{'s' if count != 1 else ''} ({numbers})"
