"""What an application's services are and how they run here: `info`, `status` and `url`.

Facts come from three places: the build file (when it can be found), the state (passwords,
scale, domains) and Docker (which containers run, their published ports).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.connect import connect, find_application, settings, store
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.engine import failover, inventory
from dotcloud_emulator.engine.endpoints import LOOPBACK, data_url, service_web_urls
from dotcloud_emulator.engine.replication import ReplicaStatus, replica_status
from dotcloud_emulator.errors import NoSuchService, NotRunning
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import custom_port_numbers, instance_count
from dotcloud_emulator.platform.state import PIP_TODAY, AppState

CLUSTER = "local"


@dataclass(frozen=True)
class ServiceFacts:
    """Everything `info APP.SERVICE` shows, gathered from the build file, the state and Docker."""

    app: str
    name: str
    type: str
    config: Mapping[str, object]
    created_at: float | None
    instances: Mapping[int, bool]  # instance number -> running
    ports: Sequence[tuple[str, str]]  # (name, url)
    # A service installing Python requirements: the date they resolve as of (None: today's
    # releases) and where it came from (`up --pip-date`, or the era inferred by engine/era.py).
    packages_before: Mapping[str, str | None] | None = None
    # A scaled mysql: what each replica (instance number) says of its replication; None when
    # the service has no such block in `info`.
    replicas: Mapping[int, ReplicaStatus | None] | None = None
    # A scaled redis or mysql: the instance that is its master (0 until a failover); a mongodb
    # replica set: the member elected primary (None while there is none).
    master: int | None = 0

    @property
    def running(self) -> bool:
        return any(self.instances.values())

    @property
    def urls(self) -> list[str]:
        return [url for _, url in self.ports]


@dataclass(frozen=True)
class AppView:
    """One application as `info`, `status` and `url` see it, read once per command."""

    client: Any
    app: str
    application: Application | None
    state: AppState
    names: list[str]  # the build file's services, then those only the state or Docker knows

    @classmethod
    def open(cls, app: str) -> AppView:
        client = connect()
        application = find_application(app, client)
        state = store().load(app)
        return cls(client, app, application, state, service_names(client, state, application))

    def check_service(self, name: str | None) -> None:
        """A usage error when `name` is given and the application has no such service."""
        if name is not None and name not in self.names:
            raise NoSuchService(self.app, name, self.names)

    def require_services(self) -> list[str]:
        if not self.names:
            raise NotRunning(self.app)
        return self.names

    def facts(self, name: str) -> ServiceFacts:
        return gather(self.client, self.app, name, self.application, self.state)

    def urls(self, names: Sequence[str]) -> dict[str, list[str]]:
        return {name: self.facts(name).urls for name in names}

    def statuses(self) -> dict[tuple[str, str], str]:
        """(service, `www.0`) -> `up` | `down`, in build-file order, then any other container."""
        statuses = {key: "down" for key in expected_instances(self.state, self.application)}
        found = inventory.instances(self.client, self.app)
        for instance in sorted(found, key=lambda i: (i.service, i.number)):
            statuses[(instance.service, instance.label)] = instance.state
        statuses = with_dependencies(statuses, self._data_services(found))
        order = list(self.application.service_names) if self.application else []
        return dict(
            sorted(
                statuses.items(),
                key=lambda item: (_position(order, item[0][0]), item[0][0], _number(item[0][1])),
            )
        )

    def _data_services(self, found: list[inventory.Instance]) -> set[str]:
        if self.application is not None:
            return {s.name for s in self.application.services if catalogue.is_data(s)}
        return {i.service for i in found if catalogue.data_port(i.type) is not None}


Statuses = dict[tuple[str, str], str]


def with_dependencies(statuses: Statuses, data_services: set[str]) -> Statuses:
    """A code instance that runs cannot serve while a data service it depends on is down (every
    code instance depends on every data service): say so rather than `up`."""
    down = [
        label for (svc, label), state in statuses.items() if svc in data_services and state != "up"
    ]
    if not down:
        return statuses
    reason = f"down ({', '.join(down)} {'is' if len(down) == 1 else 'are'} down)"
    return {
        key: reason if key[0] not in data_services and state == "up" else state
        for key, state in statuses.items()
    }


def service_names(client: Any, state: AppState, application: Application | None) -> list[str]:
    """The build file's services, else those the state remembers, then any other container's."""
    names = list(application.service_names) if application else list(state.service_created)
    for instance in inventory.instances(client, state.app):
        if instance.service not in names:
            names.append(instance.service)
    return names


def expected_instances(state: AppState, application: Application | None) -> list[tuple[str, str]]:
    """The instances the build file asks for; without it, those the state remembers."""
    if application is None:
        counts = {name: state.scale.get(name, 1) for name in state.service_created}
    else:
        counts = {s.name: instance_count(s, state) for s in application.services}
    return [
        (service, naming.instance_name(service, number))
        for service, count in counts.items()
        for number in range(count)
    ]


def _position(order: list[str], service: str) -> int:
    return order.index(service) if service in order else len(order)


def _number(label: str) -> int:
    return int(label.rsplit(".", 1)[-1])


def gather(
    client: Any, app: str, name: str, application: Application | None, state: AppState
) -> ServiceFacts:
    found = inventory.instances(client, app, name)
    service = (
        application.service(name) if application and name in application.service_names else None
    )
    if service is not None:
        type_name, count = service.type, instance_count(service, state)
    else:
        type_name = next((i.type for i in found), "") or volume_type(client, app, name)
        count = max([state.scale.get(name, 1), *(i.number + 1 for i in found)])
    running = {number: False for number in range(count)}
    running.update({i.number: i.running for i in found})
    password = state.passwords.get(name, "")
    master: int | None = failover.master_of(found, name)
    replica_set = catalogue.replica_set_name(app, service, count) if service else None
    if replica_set is not None:
        [port] = SERVICE_TYPES[type_name].data_ports
        master = failover.replica_set_primary(found, port.port, client)
    ports = data_ports(type_name, password, found, 0 if master is None else master)
    if replica_set is not None:
        # From this machine the members' names (mongo-1) do not resolve: a driver must speak to
        # the primary's published port alone, not discover the set.
        ports = [(name, f"{url}/?directConnection=true") for name, url in ports]
    if service is not None:
        ports.extend(custom_ports(service, found))
    if service and application and any(running.values()):
        domains = state.domains.get(name, [])
        urls = service_web_urls(
            application, service, settings().domain, state.gateway_port, domains
        )
        ports.extend(("http", url) for url in urls)
    config = service_config(service, type_name, password)
    if replica_set is not None:
        config[f"{type_name}_replset"] = replica_set
    created_at = state.service_created.get(name)
    before = packages_before(state) if service is not None and installs_pip(service) else None
    replicas = replica_statuses(client, type_name, found, master or 0) if count > 1 else None
    return ServiceFacts(
        app, name, type_name, config, created_at, running, ports, before, replicas, master
    )


def replica_statuses(
    client: Any, type_name: str, found: Sequence[inventory.Instance], master: int = 0
) -> dict[int, ReplicaStatus | None] | None:
    """Each running replica's replication, asked of MariaDB (a type whose replicas have their
    own login: the platform's `info` showed this for MySQL only)."""
    port = catalogue.data_port(type_name)
    if port is None or not port.replication_login:
        return None
    return {
        i.number: replica_status(client, i.container_id) if i.running else None
        for i in found
        if i.number != master
    }


def installs_pip(service: Service) -> bool:
    return catalogue.runs_here(service.type) and catalogue.stack_for(service).virtualenv


def packages_before(state: AppState) -> dict[str, str | None]:
    """The date an application's Python requirements resolve as of, and why."""
    if state.pip_date == PIP_TODAY:
        source: str | None = "--pip-date today"
    elif state.pip_date:
        source = "--pip-date"
    else:
        source = state.era_source
    return {"date": state.packages_before, "source": source}


def volume_type(client: Any, app: str, service: str) -> str:
    return inventory.volume_types(client, app).get(service, "")


def service_config(service: Service | None, type_name: str, password: str) -> dict[str, object]:
    """The build file's `config:` plus the password the platform generated (`redis_password`)."""
    config: dict[str, object] = dict(service.config) if service else {}
    service_type = SERVICE_TYPES.get(type_name)
    if service_type and service_type.data_port and password:
        config[service_type.data_port.password_key] = password
    return config


def data_ports(
    type_name: str, password: str, found: Sequence[inventory.Instance], master: int = 0
) -> list[tuple[str, str]]:
    """The data ports of the master (instance 0 but after a failover) as published on
    loopback, when it runs."""
    service_type = SERVICE_TYPES.get(type_name)
    primary = next((i for i in found if i.number == master and i.running), None)
    if not (service_type and primary and password):
        return []
    ports = []
    for port in service_type.data_ports:
        host_port = primary.host_port(port.port)
        if host_port:
            ports.append((port.name, data_url(port, password, host_port)))
    return ports


def custom_ports(service: Service, found: Sequence[inventory.Instance]) -> list[tuple[str, str]]:
    """Each `tcp`/`udp` port of `ports:` on every running instance, as published on loopback."""
    numbers = custom_port_numbers(service)
    ports: list[tuple[str, str]] = []
    for instance in sorted((i for i in found if i.running), key=lambda i: i.number):
        for name, protocol in service.ports.items():
            if protocol == "http":
                continue
            host_port = instance.host_port(numbers[name], protocol)
            if host_port:
                ports.append((name, f"{protocol}://{LOOPBACK}:{host_port}"))
    return ports


def service_document(facts: ServiceFacts) -> dict[str, object]:
    """`info APP.SERVICE` as dotCloud 0.4 served it."""
    document: dict[str, object] = {
        "cluster": CLUSTER,
        "config": dict(facts.config),
        "instances": {
            f"{facts.app}.{facts.name}.{number}": instance_document(facts, number, up)
            for number, up in sorted(facts.instances.items())
        },
        "name": f"{facts.app}.{facts.name}",
        "ports": [{"name": name, "url": url} for name, url in facts.ports],
        "state": "running" if facts.running else "stopped",
        "type": facts.type,
    }
    if facts.created_at is not None:
        document["created_at"] = facts.created_at
    if facts.packages_before is not None:
        document["packages_before"] = dict(facts.packages_before)
    if facts.replicas is not None:
        document["replication"] = replication_document(facts)
    return document


def replication_document(facts: ServiceFacts) -> list[dict[str, object]]:
    """The platform's `replication:` of a MySQL master/slave: its status, the master, each slave
    (`UP` while it reads and applies the master's log) with its lag behind the master."""
    master_number = facts.master or 0
    master_up = facts.instances.get(master_number, False)
    slaves: list[dict[str, object]] = []
    for number in sorted(n for n in facts.instances if n != master_number):
        status = (facts.replicas or {}).get(number)
        up = facts.instances[number] and status is not None and status.up
        lag = status.lag if status is not None else None
        slaves.append(
            {
                "name": f"{facts.app}.{facts.name}.{number}",
                "replication_lag": "unknown" if lag is None else f"{lag}s",
                "status": "UP" if up else "DOWN",
            }
        )
    if not master_up:
        overall = "offline"
    elif all(slave["status"] == "UP" for slave in slaves):
        overall = "online"
    else:
        overall = "degraded"
    master = {
        "name": f"{facts.app}.{facts.name}.{master_number}",
        "status": "UP" if master_up else "DOWN",
    }
    return [{"status": overall}, {"master": master}, {"slaves": slaves}]


def instance_document(facts: ServiceFacts, number: int, up: bool) -> dict[str, str]:
    """An instance's state, and its role in a scaled replicated service (the master: 0, or the
    instance promoted by a failover); a member of a replica set has the platform's state
    instead (`PRIMARY` for the one elected, `SECONDARY`)."""
    document = {"state": "running" if up else "stopped"}
    service_type = SERVICE_TYPES.get(facts.type)
    scaled = len(facts.instances) > 1
    if service_type is not None and service_type.replica_set and scaled:
        if up:
            document["state"] = "PRIMARY" if number == facts.master else "SECONDARY"
        return document
    if service_type is not None and service_type.replicated and scaled:
        document["role"] = "master" if number == facts.master else "replica"
    return document


def summary_row(facts: ServiceFacts) -> dict[str, object]:
    return {
        "name": facts.name,
        "type": facts.type,
        "instances": len(facts.instances),
        "state": "running" if facts.running else "stopped",
    }
