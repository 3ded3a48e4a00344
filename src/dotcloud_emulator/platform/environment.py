"""The DOTCLOUD_* environment of one instance: a pure function of the model, the state and settings.

Values follow the platform's real dumps: strings everywhere except the bind ports `PORT_HTTP` and
`PORT_<NAME>`, which are integers. Every service of the application is visible from every service.

Hosts are those that work where the variable is read:
- data services: the service name, the network alias of instance 0 (`session`), like the platform's
  address that "always points at the current master";
- custom tcp/udp ports: the instance's own stack-internal host (`www-0`), since such ports are per
  instance and not load-balanced;
- HTTP: the gateway's address a browser on this machine opens (`www.tutorial.localhost`).

Scaled services (more than one instance) also get copies suffixed `_<n>` of every variable, one
per instance, and the unsuffixed variables equal the `_0` ones, as on the platform, but for the
URL of a replica set (a scaled mongodb): it lists every member and names the set
(`mongodb://root:PW@mongo:27017,mongo-1:27017,mongo-2:27017/?replicaSet=app.mongo`), so that a
driver finds the primary; `_URL_<n>` names member n alone. Data and
tcp/udp copies name each instance's host (`session-1`, `www-1`). The gateway balances HTTP over the
instances and gives none an address of its own, so every `HTTP_HOST_<n>`/`HTTP_URL_<n>` names the
gateway address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from string import Template

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import DataPort
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.envfiles import environment_files
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState

__all__ = [
    "CUSTOM_PORT_BASE",
    "HTTP_BIND_PORT",
    "LOCAL_HOSTS",
    "Hosts",
    "custom_port_numbers",
    "environment_files",
    "instance_count",
    "instance_environment",
    "is_http_service",
]

ENVIRONMENT_NAME = "default"
FLAVOR = "live"  # the flavor every application got by default since CLI 0.9.5
HTTP_BIND_PORT = 8080  # nginx listens here as the unprivileged `dotcloud` user
# The platform picked custom bind ports itself (42801 in the docs); no order was documented, so
# here they are numbered in build-file order from this base.
CUSTOM_PORT_BASE = 42800

Environment = dict[str, str | int]


def _local_data_host(service: str, instance: int) -> str:
    return service if instance == 0 else naming.instance_service(service, instance)


@dataclass(frozen=True)
class Hosts:
    """How an engine spells the addresses the environment hands out; the rest of the contract
    (variable names, ports, `_<n>` copies, credentials) is the same on every engine."""

    data: Callable[[str, int], str]  # a data service's instance: `session`, `session-1`
    instance: Callable[[str, int], str]  # a code instance, for its tcp/udp ports: `www-0`
    http: Callable[[str, str, str], str]  # (app, service, domain) -> `www.tutorial.localhost`


# Compose: Docker's DNS answers the service alias and each instance's Compose service.
LOCAL_HOSTS = Hosts(data=_local_data_host, instance=naming.instance_service, http=naming.http_host)


def instance_count(service: Service, state: AppState) -> int:
    return state.scale.get(service.name, service.instances)


def custom_port_numbers(service: Service) -> dict[str, int]:
    """The bind port of each entry of the service's `ports:`, in build-file order; a declared
    `www: http` of a type whose program listens on its own HTTP port (nodejs) is that port."""
    own = catalogue.http_port_name(service.type)
    return {
        name: (
            HTTP_BIND_PORT
            if own and name.lower() == own and protocol == "http"
            else CUSTOM_PORT_BASE + index
        )
        for index, (name, protocol) in enumerate(service.ports.items())
    }


def is_http_service(service: Service) -> bool:
    return catalogue.serves_http(service.type) or "http" in service.ports.values()


def instance_environment(
    application: Application,
    state: AppState,
    settings: Settings,
    service_name: str,
    instance: int,
    hosts: Hosts = LOCAL_HOSTS,
) -> Environment:
    """Platform variables, then those made from them (a Procfile application's DATABASE_URL),
    then the service's yml `environment:`, then `env set` variables."""
    service = _service(application, service_name)
    count = instance_count(service, state)
    if not 0 <= instance < count:
        raise UsageError(f"service {service_name} has no instance {instance} (it has {count})")
    env: Environment = {}
    env.update(_instance_variables(application, service, instance))
    for other in application.services:
        env.update(_service_variables(application, state, settings, other, hosts))
    env.update(replication_variables(state, service))
    env.update(_derived_variables(service, env))
    env.update({key: str(value) for key, value in service.environment.items()})
    env.update(state.variables)
    return env


def _derived_variables(service: Service, env: Environment) -> dict[str, str]:
    return {
        key: Template(text).safe_substitute(env)
        for key, text in service.derived_environment.items()
    }


def replication_variable(service: Service, data_port: DataPort) -> str:
    """The variable holding the password a scaled service's replicas log in to the master with."""
    return f"DOTCLOUD_{service.name.upper()}_{data_port.infix}_REPLICATION_PASSWORD"


def replication_variables(state: AppState, service: Service) -> Environment:
    """The replication password, in the service's own instances only: the other services never
    see it (the master and its replicas are the only ones to use it). The state prepares one for
    every service whose type has a replication login; without it the master makes no such user."""
    data_port = catalogue.data_port(service.type)
    password = state.replication_passwords.get(service.name)
    if data_port is None or not data_port.replication_login or not password:
        return {}
    return {replication_variable(service, data_port): password}


def _service(application: Application, name: str) -> Service:
    try:
        return application.service(name)
    except KeyError:
        known = ", ".join(application.service_names)
        raise UsageError(
            f'application {application.name} has no service "{name}" (services: {known})'
        ) from None


def _instance_variables(application: Application, service: Service, instance: int) -> Environment:
    env: Environment = {
        "DOTCLOUD_PROJECT": application.name,
        "DOTCLOUD_ENVIRONMENT": ENVIRONMENT_NAME,
        "DOTCLOUD_FLAVOR": FLAVOR,
        "DOTCLOUD_SERVICE_NAME": service.name,
        "DOTCLOUD_SERVICE_ID": str(instance),
    }
    if catalogue.serves_http(service.type):
        env["PORT_HTTP"] = HTTP_BIND_PORT
    own = catalogue.http_port_name(service.type)
    if own:  # the port the service's own program must listen on (nodejs: PORT_WWW)
        env[f"PORT_{own.upper()}"] = HTTP_BIND_PORT
    for name, port in custom_port_numbers(service).items():
        env[f"PORT_{name.upper()}"] = port
    return env


def _service_variables(
    application: Application, state: AppState, settings: Settings, service: Service, hosts: Hosts
) -> dict[str, str]:
    """What any service sees of `service`, with `_<n>` copies when it is scaled."""
    count = instance_count(service, state)
    env: dict[str, str] = {}
    for instance in range(count):
        per_instance = _instance_addresses(application, state, settings, service, instance, hosts)
        if instance == 0:
            env.update(per_instance)
        if count > 1:
            env.update({f"{key}_{instance}": value for key, value in per_instance.items()})
    replica_set = catalogue.replica_set_name(application.name, service, count)
    data_port = catalogue.data_port(service.type)
    if replica_set is not None and data_port is not None:
        members = ",".join(f"{hosts.data(service.name, n)}:{data_port.port}" for n in range(count))
        key = f"DOTCLOUD_{service.name.upper()}_{data_port.infix}"
        password = state.passwords[service.name]
        env[f"{key}_URL"] = (
            f"{data_port.scheme}://{data_port.login}:{password}@{members}/?replicaSet={replica_set}"
        )
    return env


def _instance_addresses(
    application: Application,
    state: AppState,
    settings: Settings,
    service: Service,
    instance: int,
    hosts: Hosts,
) -> dict[str, str]:
    prefix = f"DOTCLOUD_{service.name.upper()}"
    env: dict[str, str] = {}
    for data_port in catalogue.data_ports(service.type):
        host = hosts.data(service.name, instance)
        env.update(_data_variables(prefix, data_port, state, service, host))
    if is_http_service(service):
        host = hosts.http(application.name, service.name, settings.domain)
        env[f"{prefix}_HTTP_HOST"] = host
        env[f"{prefix}_HTTP_URL"] = naming.http_url(host, state.gateway_port)
    host = hosts.instance(service.name, instance)
    for name, port in custom_port_numbers(service).items():
        protocol = service.ports[name]
        if protocol == "http":
            continue
        env[f"{prefix}_{name.upper()}_HOST"] = host
        env[f"{prefix}_{name.upper()}_PORT"] = str(port)
        env[f"{prefix}_{name.upper()}_URL"] = f"{protocol}://{host}:{port}"
    return env


def _data_variables(
    prefix: str, data_port: DataPort, state: AppState, service: Service, host: str
) -> dict[str, str]:
    try:
        password = state.passwords[service.name]
    except KeyError:
        raise UserError(
            f"no password for data service {service.name}: the application state was not prepared"
        ) from None
    base = f"{prefix}_{data_port.infix}"
    return {
        f"{base}_HOST": host,
        f"{base}_PORT": str(data_port.port),
        f"{base}_LOGIN": data_port.login,
        f"{base}_PASSWORD": password,
        f"{base}_URL": f"{data_port.scheme}://{data_port.login}:{password}@{host}:{data_port.port}",
    }
