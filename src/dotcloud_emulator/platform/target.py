"""Targets as the dotCloud CLI wrote them: `tutorial`, `tutorial.www`, `tutorial.www.1`."""

from __future__ import annotations

from dataclasses import dataclass

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.appname import check_app_name
from dotcloud_emulator.platform.environment import instance_count
from dotcloud_emulator.platform.state import AppState

TARGET_FORMS = ("APP", "APP.SERVICE", "APP.SERVICE.INSTANCE")
TARGET_FORM = "APP.SERVICE[.INSTANCE]"


@dataclass(frozen=True)
class Target:
    """A target checked for shape; `resolve_instance` checks it against the application."""

    app: str
    service: str | None = None
    instance: int | None = None

    @property
    def text(self) -> str:
        parts = [self.app, self.service, None if self.instance is None else str(self.instance)]
        return ".".join(part for part in parts if part is not None)


def parse_target(text: str, *, max_depth: int = 3, require_service: bool = False) -> Target:
    """Parse `APP[.SVC[.N]]`; anything else is a one-line usage error (exit 2)."""
    parts = text.split(".")
    min_depth = 2 if require_service else 1
    if not min_depth <= len(parts) <= max_depth or not all(parts):
        forms = " or ".join(TARGET_FORMS[min_depth - 1 : max_depth])
        raise UsageError(f'"{text}" is not a valid target here: use {forms}')
    check_app_name(parts[0])
    service = parts[1] if len(parts) > 1 else None
    if len(parts) < 3:
        return Target(parts[0], service)
    if not (parts[2].isascii() and parts[2].isdigit()):
        raise UsageError(f'"{parts[2]}" in "{text}" is not an instance number')
    return Target(parts[0], service, int(parts[2]))


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
    instance = target.instance or 0
    if instance >= count:
        numbers = ", ".join(str(n) for n in range(count))
        raise UsageError(
            f"{application.name}.{service.name} has no instance {instance}: "
            f"it has {count} instance{'s' if count != 1 else ''} ({numbers})"
        )
    return service, instance
