"""`scale`: how many instances each code service runs, checked against the build file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dotcloud_emulator.api.connect import connect_if_up, require_application, store
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.buildfile.schema import (
    MAX_INSTANCES,
    instance_count_message,
    scaling_note,
)
from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.engine.failover import note_masters_of
from dotcloud_emulator.errors import NoSuchService, UsageError

ACTIONS = ("instances", "memory")


@dataclass(frozen=True)
class ScaleRequest:
    service: str
    instances: int

    @property
    def text(self) -> str:
        return f"{self.service}:instances={self.instances}"


def parse_scale(argument: str) -> ScaleRequest:
    """`www=3` or `www:instances=3`; the dotCloud CLI's errors for anything else."""
    target, equals, value = argument.partition("=")
    if not equals or not target:
        raise UsageError(f'"{argument}" is not a scaling request: use SVC=N or SVC:instances=N')
    service, _, action = target.partition(":")
    action = action or "instances"
    if action not in ACTIONS:
        raise UsageError(
            f'Invalid action for "{service}": Action must be either "instances" or "memory"'
        )
    if action == "memory":
        raise UsageError(
            f"{argument}: memory is not emulated (containers run without a memory limit); "
            "scale instances instead"
        )
    if not (value.isascii() and value.isdigit()):
        raise UsageError("Instance count must be a number")
    count = int(value)
    if not 1 <= count <= MAX_INSTANCES:
        raise UsageError(f"{argument}: the instance count must be from 1 to {MAX_INSTANCES}")
    return ScaleRequest(service, count)


def check_scalable(application: Application, request: ScaleRequest) -> None:
    if request.service not in application.service_names:
        raise NoSuchService(application.name, request.service, application.service_names)
    service_type = SERVICE_TYPES.get(application.service(request.service).type)
    if service_type is not None and service_type.is_data and not service_type.replicated:
        raise UsageError(
            f"{request.service} is a {service_type.name} service: it runs 1 instance here "
            f"({scaling_note()})"
        )
    if (
        service_type is not None
        and service_type.instance_counts
        and request.instances not in service_type.instance_counts
    ):
        raise UsageError(
            f"{request.text}: {instance_count_message(service_type, request.instances)}"
        )


def scalable_application(app: str, requests: Sequence[ScaleRequest]) -> Application:
    """The application, once every request is known to be possible (else nothing changes)."""
    application = require_application(app)
    for request in requests:
        check_scalable(application, request)
    check_keeps_masters(application, requests)
    return application


def check_keeps_masters(application: Application, requests: Sequence[ScaleRequest]) -> None:
    """Scaling down never removes the master a failover made of a replica (data.2): its data
    may be newer than the others'."""
    state = store().load(application.name)
    client = connect_if_up()
    if client is not None:
        note_masters_of(client, state)
    for request in requests:
        master = state.masters.get(request.service, 0)
        if request.instances <= master:
            raise UsageError(
                f"{request.text}: {request.service}.{master} is the master of {request.service} "
                f"since a failover, and scaling to {request.instances} would remove it; scale to "
                f"{master + 1} or more"
            )


def store_scale(application: Application, requests: Sequence[ScaleRequest]) -> None:
    state_store = store()
    state = state_store.prepare(application)
    for request in requests:
        state.scale[request.service] = request.instances
    state_store.save(state)


def describe(requests: Sequence[ScaleRequest]) -> str:
    return ", ".join(request.text for request in requests)
