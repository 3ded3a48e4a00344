"""What Docker holds for an application, found by the labels every object carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dotcloud_emulator.platform import naming

COMPOSE_WORKING_DIR = "com.docker.compose.project.working_dir"
COMPOSE_CONFIG_FILES = "com.docker.compose.project.config_files"
# A Swarm task's container is named by its task: `dotcloud-tutorial_www.2.<task id>`.
SWARM_TASK_NAME = "com.docker.swarm.task.name"


@dataclass(frozen=True)
class Instance:
    """One container of an application: a service instance (`www.0`) or the gateway."""

    app: str
    service: str
    number: int
    role: str
    type: str
    container_id: str
    container_name: str
    status: str  # Docker's: created, running, restarting, exited, dead...
    health: str | None  # starting, healthy, unhealthy; None without a healthcheck
    exit_code: int
    published: Mapping[str, int] = field(default_factory=dict)  # "6379/tcp" -> host port
    labels: Mapping[str, str] = field(default_factory=dict)
    # Docker's RFC 3339 times of the last start and stop ("" when unknown, or never stopped).
    started_at: str = ""
    finished_at: str = ""
    # Its names on its networks: an instance named as its service (`db`) is the one the
    # service's address reaches (the master of a scaled redis or mysql).
    aliases: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        if self.role == naming.ROLE_GATEWAY:
            return naming.GATEWAY_SERVICE
        return naming.instance_name(self.service, self.number)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def state(self) -> str:
        """dotCloud's word for it: `up` or `down`."""
        return "up" if self.running and self.health != "unhealthy" else "down"

    @property
    def holds_service_name(self) -> bool:
        return self.service in self.aliases

    def host_port(self, container_port: int, protocol: str = "tcp") -> int | None:
        return self.published.get(f"{container_port}/{protocol}")


def instance_from_attrs(attrs: Mapping[str, Any]) -> Instance:
    """An `Instance` from `docker inspect` data (docker-py's `container.attrs`)."""
    labels: dict[str, str] = dict(attrs.get("Config", {}).get("Labels") or {})
    state: Mapping[str, Any] = attrs.get("State") or {}
    health = state.get("Health") or {}
    role = labels.get(naming.LABEL_ROLE, naming.ROLE_SERVICE)
    return Instance(
        app=labels.get(naming.LABEL_APP, ""),
        service=labels.get(
            naming.LABEL_SERVICE, naming.GATEWAY_SERVICE if role == naming.ROLE_GATEWAY else ""
        ),
        number=_int(labels.get(naming.LABEL_INSTANCE) or swarm_instance(labels)),
        role=role,
        type=labels.get(naming.LABEL_TYPE, ""),
        container_id=str(attrs.get("Id", "")),
        container_name=str(attrs.get("Name", "")).lstrip("/"),
        status=str(state.get("Status", "unknown")),
        health=health.get("Status") or None,
        exit_code=_int(state.get("ExitCode", 0)),
        published=published_ports(attrs.get("NetworkSettings", {}).get("Ports") or {}),
        labels=labels,
        started_at=_docker_time(state.get("StartedAt")),
        finished_at=_docker_time(state.get("FinishedAt")),
        aliases=network_aliases(attrs.get("NetworkSettings", {}).get("Networks") or {}),
    )


def network_aliases(networks: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        str(alias)
        for endpoint in networks.values()
        for alias in ((endpoint or {}).get("Aliases") or ())
    )


def _docker_time(value: object) -> str:
    """Docker's time, or "" for none: a container never stopped has year 1 as its FinishedAt."""
    text = str(value or "")
    return "" if not text or text.startswith("0001-") else text


def swarm_instance(labels: Mapping[str, str]) -> str:
    """The instance number of a Swarm task's container: its task slot less one (slot 1 is
    instance 0, whose DOTCLOUD_SERVICE_ID is "0"); "0" for any other container."""
    parts = labels.get(SWARM_TASK_NAME, "").split(".")
    if len(parts) >= 3 and parts[-2].isdigit() and int(parts[-2]) >= 1:
        return str(int(parts[-2]) - 1)
    return "0"


def current_tasks(found: list[Instance]) -> list[Instance]:
    """One container per Swarm instance: the running one, when Swarm keeps the stopped
    containers of earlier tasks in the same slot (a push or a restart leaves them)."""
    kept: dict[tuple[str, str, int], Instance] = {}
    others = []
    for instance in found:
        if SWARM_TASK_NAME not in instance.labels:
            others.append(instance)
            continue
        key = (instance.role, instance.service, instance.number)
        if key not in kept or (instance.running and not kept[key].running):
            kept[key] = instance
    return [*others, *kept.values()]


def within_replicas(client: Any, app: str, found: list[Instance]) -> list[Instance]:
    """Leave out the containers Swarm keeps of slots it no longer runs (after a scale down, or
    once the stack is removed): a slot is an instance only while its service wants it, and a data
    service's instance (a Swarm service of its own, labelled with its number) while it exists."""
    if not any(SWARM_TASK_NAME in instance.labels for instance in found):
        return found
    replicas: dict[tuple[str, str], int] = {}
    one_each: set[tuple[str, str, int]] = set()  # a data service's instances: a service each
    for service in client.services.list(filters=app_selector(app)):
        spec = service.attrs.get("Spec") or {}
        labels = spec.get("Labels") or {}
        key = (labels.get(naming.LABEL_ROLE, ""), labels.get(naming.LABEL_SERVICE, ""))
        if naming.LABEL_INSTANCE in labels:
            one_each.add((*key, _int(labels[naming.LABEL_INSTANCE])))
            continue
        wanted = ((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas", 0)
        replicas[key] = int(wanted)
    return [
        instance
        for instance in found
        if SWARM_TASK_NAME not in instance.labels
        or (instance.role, instance.service, instance.number) in one_each
        or instance.number < replicas.get((instance.role, instance.service), 0)
    ]


def published_ports(ports: Mapping[str, Any]) -> dict[str, int]:
    """Container port -> host port, from `NetworkSettings.Ports`; the first IPv4 binding wins."""
    published: dict[str, int] = {}
    for container_port, bindings in sorted(ports.items()):
        for binding in bindings or []:
            if ":" in binding.get("HostIp", ""):
                continue
            host_port = _int(binding.get("HostPort", ""))
            if host_port:
                published.setdefault(container_port, host_port)
    return published


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def list_containers(client: Any, filters: Mapping[str, Any], *, every: bool = True) -> list[Any]:
    """The containers matching `filters` (stopped ones too unless `every` is False).

    Listing inspects each container in turn; one removed meanwhile is a normal race (another
    command, `docker rm`), so it is left out instead of failing the whole listing.
    """
    return list(client.containers.list(all=every, filters=dict(filters), ignore_removed=True))


def app_selector(app: str, *more: str) -> dict[str, list[str]]:
    return {"label": [f"{naming.LABEL_APP}={app}", *more]}


def instances(
    client: Any,
    app: str,
    service: str | None = None,
    number: int | None = None,
    *,
    include_gateway: bool = False,
) -> list[Instance]:
    """The application's containers (running or not), sorted by service then instance number."""
    found = [
        instance_from_attrs(container.attrs)
        for container in list_containers(client, app_selector(app))
    ]
    selected = [
        instance
        for instance in within_replicas(client, app, current_tasks(found))
        if (
            instance.role == naming.ROLE_SERVICE
            or (include_gateway and instance.role == naming.ROLE_GATEWAY)
        )
        and (service is None or instance.service == service)
        and (number is None or instance.number == number)
    ]
    return sorted(selected, key=lambda i: (i.role == naming.ROLE_GATEWAY, i.service, i.number))


def gateway(client: Any, app: str) -> Instance | None:
    for instance in instances(client, app, include_gateway=True):
        if instance.role == naming.ROLE_GATEWAY:
            return instance
    return None


def containers(client: Any, app: str, service: str | None = None) -> list[Any]:
    more = [f"{naming.LABEL_SERVICE}={service}"] if service else []
    return list_containers(client, app_selector(app, *more))


def volumes(client: Any, app: str, service: str | None = None) -> list[Any]:
    more = [f"{naming.LABEL_SERVICE}={service}"] if service else []
    return list(client.volumes.list(filters=app_selector(app, *more)))


def volume_types(client: Any, app: str) -> dict[str, str]:
    """Service -> type, read from the labels of the data volumes (they outlive the containers)."""
    types: dict[str, str] = {}
    for volume in volumes(client, app):
        labels = volume.attrs.get("Labels") or {}
        service, type_name = labels.get(naming.LABEL_SERVICE), labels.get(naming.LABEL_TYPE)
        if service and type_name:
            types[service] = type_name
    return types


def networks(client: Any, app: str) -> list[Any]:
    return list(client.networks.list(filters=app_selector(app)))


def images(client: Any, app: str) -> list[Any]:
    """The application's images: labelled ones and those named `dotcloud-<app>/...`."""
    by_id: dict[str, Any] = {}
    for image in client.images.list(filters=app_selector(app)):
        by_id[image.id] = image
    prefix = naming.image_prefix(app)
    for image in client.images.list(filters={"reference": f"{prefix}*"}):
        by_id[image.id] = image
    return list(by_id.values())


def app_names(client: Any) -> list[str]:
    """Applications with at least one container or volume in Docker."""
    names = {
        container.labels.get(naming.LABEL_APP, "")
        for container in list_containers(client, {"label": naming.LABEL_APP})
    }
    names.update(
        (volume.attrs.get("Labels") or {}).get(naming.LABEL_APP, "")
        for volume in client.volumes.list(filters={"label": naming.LABEL_APP})
    )
    return sorted(name for name in names if name)


def holders_of_host_port(client: Any, port: int) -> list[Instance]:
    """Running emulator containers publishing `port` on the host."""
    return [
        instance
        for instance in (
            instance_from_attrs(container.attrs)
            for container in list_containers(client, {"label": naming.LABEL_APP}, every=False)
        )
        if port in instance.published.values()
    ]
