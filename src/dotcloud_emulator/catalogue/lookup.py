"""Questions every stage asks the catalogue about a service or a type name."""

from __future__ import annotations

from dotcloud_emulator.buildfile.model import Service
from dotcloud_emulator.catalogue.entries import SERVICE_TYPES
from dotcloud_emulator.catalogue.model import DataPort, NodeRuntime, ServiceType, Stack
from dotcloud_emulator.errors import UsageError


def runs_here(type_name: str) -> bool:
    service_type = SERVICE_TYPES.get(type_name)
    return service_type is not None and service_type.runs_here


def runnable_types() -> tuple[str, ...]:
    """The types the emulator runs, in catalogue order."""
    return tuple(name for name, service_type in SERVICE_TYPES.items() if service_type.runs_here)


def is_data(service: Service) -> bool:
    service_type = SERVICE_TYPES.get(service.type)
    return service_type is not None and service_type.is_data


def serves_http(type_name: str) -> bool:
    """The type has an HTTP front end of its own (nginx on PORT_HTTP), routed by the gateway."""
    service_type = SERVICE_TYPES.get(type_name)
    return service_type is not None and service_type.http


def data_port(type_name: str) -> DataPort | None:
    service_type = SERVICE_TYPES.get(type_name)
    return service_type.data_port if service_type is not None else None


def data_ports(type_name: str) -> tuple[DataPort, ...]:
    """Every port of a data type, its main one first; () for other types."""
    service_type = SERVICE_TYPES.get(type_name)
    return service_type.data_ports if service_type is not None else ()


def replica_set_name(app: str, service: Service, count: int) -> str | None:
    """The name of the replica set a service of `count` instances is (`app.svc`, the platform's
    `mongodb_replset`), or None when it is none: one instance, or a type without replica sets."""
    service_type = SERVICE_TYPES.get(service.type)
    if service_type is None or not service_type.replica_set or count < 2:
        return None
    return f"{app}.{service.name}"


def start_period(service: Service) -> int:
    return SERVICE_TYPES[service.type].start_period


def python_stack(service_type: ServiceType, version: str) -> Stack | None:
    """The stack a `python_version` value runs on for this type, or None if none accepts it."""
    for stack in service_type.stacks:
        if stack.python is not None and version in stack.python.accepts:
            return stack
    return None


def stack_for(service: Service) -> Stack:
    """The stack a validated service runs on: its type's, chosen by `python_version` when the
    type has one per Python runtime."""
    service_type = SERVICE_TYPES[service.type]
    if len(service_type.stacks) == 1:
        return service_type.stacks[0]
    version = config_value(service, "python_version")
    stack = python_stack(service_type, str(version))
    if stack is None:
        raise UsageError(f"service {service.name}: python_version {version} is not available here")
    return stack


def config_value(service: Service, key: str) -> object:
    """A config key's value, or the type's default for it."""
    if key in service.config:
        return service.config[key]
    return SERVICE_TYPES[service.type].config_keys[key].default


def node_runtime_for(stack: Stack, version: str) -> NodeRuntime | None:
    """The Node binary a `node_version` value runs on, or None if none accepts it."""
    return next((runtime for runtime in stack.node_runtimes if version in runtime.accepts), None)


def node_runtime(service: Service) -> NodeRuntime:
    """The Node binary a validated nodejs service runs on, chosen by its `node_version`."""
    version = str(config_value(service, "node_version"))
    runtime = node_runtime_for(stack_for(service), version)
    if runtime is None:
        raise UsageError(f"service {service.name}: node_version {version} is not available here")
    return runtime


def http_port_name(type_name: str) -> str:
    """The name of the type's own HTTP port when its program listens on it (nodejs: www)."""
    service_type = SERVICE_TYPES.get(type_name)
    return service_type.http_port_name if service_type is not None else ""
