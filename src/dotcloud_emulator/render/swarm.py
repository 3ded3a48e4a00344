"""The Docker Swarm stack file of an application, dumped from dicts: pure, and no secret in it.

One Swarm service per dotCloud service (`replicas` = instances), with what `docker stack deploy`
accepts (a `version:` key, no `build`, no `depends_on` conditions, no `host_ip`, no `profiles`, no
top-level `name`):

- every service uses `endpoint_mode: dnsrr` (a service name resolves to its healthy replicas;
  virtual IPs need IPVS, which some kernels lack) and Docker's healthcheck from the platform's
  checks, so Swarm routes to a replica only once it answers;
- each instance's environment files (which hold the passwords) are Swarm secrets, with names that
  carry a hash of their content (Swarm cannot change a secret in place). Every replica of a service
  mounts every instance's files under `/run/dotcloud/slot-<n>/`, and its entrypoint installs those
  of its own task slot (`{{.Task.Slot}}`, 1 for instance 0), so each replica keeps its own
  `DOTCLOUD_SERVICE_ID`;
- a data service is one Swarm service per instance (`session-0`, `db-1`, ...), each one replica
  on its instance's named volume, pinned to one node (`node.hostname`): the master's carries the
  service's name (`session`, `db`) as a network alias, so a scaled redis or mysql replicates and a
  scaled mongodb's members find each other as under Compose. Its role is given, not looked up:
  Swarm's DNS answers a name only once its task is healthy, and Swarm makes no failover;
- the gateway is our nginx, one replica publishing the application's port in host mode, its routes
  a Swarm config.

Secret and config files are named relative to the stack file, which the engine writes into the
application's folder of the state directory (`swarm/stack.yml`), next to `instances/`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.envfiles import environment_files
from dotcloud_emulator.platform.environment import instance_count, instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.compose import HEALTH_COMMAND, master_instance, seconds
from dotcloud_emulator.render.contexts import check_renderable
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.gateway import http_port, http_services, routes
from dotcloud_emulator.render.templating import render_template
from dotcloud_emulator.yamlout import dump_yaml

Mapping_ = dict[str, Any]

STACK_FILE_VERSION = "3.8"  # Debian's 20.10 CLI reads 3.x files up to 3.9
SWARM_DIR = PurePosixPath("swarm")  # in the application's folder of the state directory
STACK_FILE = SWARM_DIR / "stack.yml"
ROUTES_FILE = SWARM_DIR / "routes.conf"
# The Swarm service of the gateway: a hyphen keeps it apart from every dotCloud service name.
GATEWAY_SWARM_SERVICE = "dotcloud-gateway"
ROUTES_TARGET = "/etc/nginx/conf.d/routes.conf"
# The template Swarm expands in each task's environment: 1, 2, ... (instance 0 is slot 1).
TASK_SLOT = "{{.Task.Slot}}"
SLOT_VARIABLE = "DOTCLOUD_TASK_SLOT"
# Hosts a code service's entrypoint waits for before postinstall: Swarm has no start order.
WAIT_VARIABLE = "DOTCLOUD_WAIT_FOR"
# A scaled data service's instance is told its role (role-functions.j2), "master" or "replica".
ROLE_VARIABLE = "DOTCLOUD_REPLICATION_ROLE"
# The environment files an instance reads, and the short word each one's secret is named with.
SECRET_KINDS = {
    "environment.json": "json",
    "environment.yml": "yml",
    "environment.yaml": "yaml",
    "dotcloud_profile": "profile",
}
SECRET_MODE = 0o400  # read by the entrypoint as root, which installs them for dotcloud
MAX_OBJECT_NAME = 64  # Swarm's limit on secret and config names
# Swarm's own healthchecks decide when a replica takes traffic and when a rolling update moves on;
# nothing probes for it, so they run more often than under Compose.
HEALTH_INTERVAL = "5s"
HEALTH_TIMEOUT = "10s"
HEALTH_RETRIES = 3
GATEWAY_START_PERIOD = 10
GATEWAY_STOP_GRACE = "5s"


@dataclass(frozen=True)
class StackImages:
    """The image reference of each service, and of the gateway (the engine tags them)."""

    services: Mapping[str, str]
    gateway: str


def stack_name(app: str) -> str:
    """The stack's namespace: the Compose project's name, so a data volume is the same one."""
    return naming.compose_project(app)


def render_stack(
    application: Application,
    state: AppState,
    settings: Settings,
    images: StackImages,
    node: str,
) -> list[File]:
    """The stack file and the gateway's routes; `node`: the host name data services run on."""
    for service in application.services:
        check_renderable(service)
    secrets: Mapping_ = {}
    services: Mapping_ = {}
    for service in application.services:
        service_secrets = instance_secrets(application, state, settings, service)
        secrets.update({secret.name: secret.definition() for secret in service_secrets})
        if catalogue.is_data(service):
            for number in range(instance_count(service, state)):
                mine = [secret.mount() for secret in service_secrets if secret.instance == number]
                definition = _data_instance(application, state, service, number, images, node)
                services[naming.instance_service(service.name, number)] = {
                    **definition,
                    "secrets": mine,
                }
            continue
        services[service.name] = _service(application, state, service, images)
        services[service.name]["secrets"] = [secret.mount() for secret in service_secrets]
    files: list[File] = []
    configs: Mapping_ = {}
    if http_services(application):
        routes_file = render_routes(application, state, settings)
        files.append(routes_file)
        routes_config = _routes_config(application, routes_file)
        configs.update(routes_config)
        services[GATEWAY_SWARM_SERVICE] = _gateway(application, state, images, node, routes_config)
    document: Mapping_ = {
        "version": STACK_FILE_VERSION,
        "services": services,
        "networks": {"default": {"labels": {naming.LABEL_APP: application.name}}},
        "volumes": _volumes(application, state),
        "secrets": secrets,
    }
    if configs:
        document["configs"] = configs
    header = (
        f"# Docker Swarm stack of {application.name}: generated by dotcloud-emulator from "
        "dotcloud.yml; do not edit.\n# Deploy it with `dotcloud-emulator stack deploy`.\n"
    )
    return [File(STACK_FILE, header + dump_yaml(document)), *files]


def render_routes(application: Application, state: AppState, settings: Settings) -> File:
    """The gateway's routes: each HTTP service by its Swarm name, resolved at request time."""
    found = [
        {"hosts": route.hosts, "upstream": f"{service.name}:{http_port(service)}"}
        for route, service in zip(
            routes(application, state, settings), http_services(application), strict=True
        )
    ]
    text = render_template(
        "swarm/routes.conf.j2",
        app=application.name,
        public_port=state.gateway_port,
        routes=found,
    )
    return File(ROUTES_FILE, text)


def _service(
    application: Application,
    state: AppState,
    service: Service,
    images: StackImages,
) -> Mapping_:
    """A code service: one Swarm service, a replica per instance, each reading its slot's files."""
    environment = {SLOT_VARIABLE: TASK_SLOT}
    waits = data_hosts(application)
    if waits:
        environment[WAIT_VARIABLE] = " ".join(waits)
    return {
        "image": images.services[service.name],
        "labels": _labels(application, service, naming.ROLE_SERVICE),
        "environment": environment,
        "healthcheck": _healthcheck(catalogue.start_period(service)),
        "stop_grace_period": seconds(naming.STOP_TIMEOUT),
        "deploy": _deploy(application, service, instance_count(service, state), node=None),
    }


def _data_instance(
    application: Application,
    state: AppState,
    service: Service,
    number: int,
    images: StackImages,
    node: str,
) -> Mapping_:
    """One instance of a data service: its own Swarm service, on its own volume, its role fixed
    (the master: the instance its name went to under `up`, 0 unless a failover moved it)."""
    labels = {
        **_labels(application, service, naming.ROLE_SERVICE),
        naming.LABEL_INSTANCE: str(number),
    }
    environment = {SLOT_VARIABLE: str(number + 1)}
    master = master_instance(service, state)
    if instance_count(service, state) > 1:
        environment[ROLE_VARIABLE] = "master" if number == master else "replica"
    definition: Mapping_ = {
        "image": images.services[service.name],
        "labels": labels,
        "environment": environment,
        "healthcheck": _healthcheck(catalogue.start_period(service)),
        "stop_grace_period": seconds(naming.STOP_TIMEOUT),
        "deploy": {**_deploy(application, service, 1, node), "labels": labels},
        "volumes": [
            {
                "type": "volume",
                "source": naming.data_volume(service.name, number),
                "target": catalogue.DATA_DIR,
            }
        ],
    }
    if number == master:
        definition["networks"] = {"default": {"aliases": [service.name]}}
    return definition


def data_swarm_services(application: Application, state: AppState) -> set[str]:
    """The Swarm services (stack-internal names) the data services' instances run as."""
    return {
        naming.instance_service(service.name, number)
        for service in application.services
        if catalogue.is_data(service)
        for number in range(instance_count(service, state))
    }


def data_hosts(application: Application) -> list[str]:
    """The names of the data services, which code services wait for (`session`)."""
    return [service.name for service in application.services if catalogue.is_data(service)]


def _labels(application: Application, service: Service, role: str) -> Mapping_:
    return {
        naming.LABEL_APP: application.name,
        naming.LABEL_SERVICE: service.name,
        naming.LABEL_TYPE: service.type,
        naming.LABEL_ROLE: role,
    }


def _deploy(
    application: Application, service: Service, replicas: int, node: str | None
) -> Mapping_:
    deploy: Mapping_ = {
        "mode": "replicated",
        "replicas": replicas,
        "endpoint_mode": "dnsrr",
        "labels": _labels(application, service, naming.ROLE_SERVICE),
        "restart_policy": {"condition": "on-failure", "delay": "5s"},
    }
    if node is not None:
        # A data instance: one copy at a time on its volume, on the node that holds the volume.
        deploy["placement"] = {"constraints": [placement(node)]}
        deploy["update_config"] = {"parallelism": 1, "order": "stop-first"}
    else:
        # A push starts each new replica and waits for its healthcheck before stopping an old one.
        rolling = {"parallelism": 1, "order": "start-first", "delay": "2s"}
        deploy["update_config"] = {**rolling, "failure_action": "rollback", "monitor": "10s"}
        deploy["rollback_config"] = rolling
    return deploy


def placement(node: str) -> str:
    return f"node.hostname == {node}"


def _healthcheck(start_period: int) -> Mapping_:
    return {
        "test": HEALTH_COMMAND,
        "interval": HEALTH_INTERVAL,
        "timeout": HEALTH_TIMEOUT,
        "retries": HEALTH_RETRIES,
        "start_period": seconds(start_period),
    }


@dataclass(frozen=True)
class InstanceSecret:
    """One environment file of one instance, as a Swarm secret mounted where its slot reads it."""

    name: str
    file: str  # relative to the stack file
    target: str
    labels: Mapping[str, str]
    instance: int

    def definition(self) -> Mapping_:
        return {"name": self.name, "file": self.file, "labels": dict(self.labels)}

    def mount(self) -> Mapping_:
        return {"source": self.name, "target": self.target, "mode": SECRET_MODE}


def instance_secrets(
    application: Application, state: AppState, settings: Settings, service: Service
) -> list[InstanceSecret]:
    """Every environment file of every instance of `service`."""
    found = []
    labels = _labels(application, service, naming.ROLE_SERVICE)
    for number in range(instance_count(service, state)):
        env = instance_environment(application, state, settings, service.name, number)
        folder = PurePosixPath("..") / "instances" / naming.instance_service(service.name, number)
        for file_name, text in environment_files(env).items():
            kind = SECRET_KINDS[file_name]
            found.append(
                InstanceSecret(
                    name=secret_name(application.name, service.name, number, kind, text),
                    file=(folder / file_name).as_posix(),
                    target=f"{naming.INSTANCE_MOUNT}/slot-{number + 1}/{file_name}",
                    labels=labels,
                    instance=number,
                )
            )
    return found


def secret_name(app: str, service: str, number: int, kind: str, content: str) -> str:
    """`dotcloud-tutorial-www-0-json-<hash>`: a new name whenever the content changes."""
    base = f"{stack_name(app)}-{service}-{number}-{kind}"
    return hashed_name(base, content)


def hashed_name(base: str, content: str) -> str:
    digest = _digest(content)
    name = f"{base}-{digest}"
    if len(name) > MAX_OBJECT_NAME:
        name = f"dotcloud-{_digest(base)}-{digest}"
    return name


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _routes_config(application: Application, routes_file: File) -> Mapping_:
    name = hashed_name(f"{stack_name(application.name)}-routes", routes_file.content)
    return {
        name: {
            "name": name,
            "file": f"./{routes_file.path.name}",
            "labels": {
                naming.LABEL_APP: application.name,
                naming.LABEL_SERVICE: naming.GATEWAY_SERVICE,
                naming.LABEL_ROLE: naming.ROLE_GATEWAY,
            },
        }
    }


def _gateway(
    application: Application,
    state: AppState,
    images: StackImages,
    node: str,
    routes_config: Mapping_,
) -> Mapping_:
    labels = {
        naming.LABEL_APP: application.name,
        naming.LABEL_SERVICE: naming.GATEWAY_SERVICE,
        naming.LABEL_ROLE: naming.ROLE_GATEWAY,
    }
    (config_name,) = routes_config
    return {
        "image": images.gateway,
        "labels": labels,
        # Host mode: Swarm's ingress mesh needs IPVS. One replica, so one holder of the port.
        "ports": [
            {
                "target": layout.GATEWAY_LISTEN_PORT,
                "published": state.gateway_port,
                "protocol": "tcp",
                "mode": "host",
            }
        ],
        "configs": [{"source": config_name, "target": ROUTES_TARGET, "mode": 0o444}],
        "healthcheck": _healthcheck(GATEWAY_START_PERIOD),
        "stop_grace_period": GATEWAY_STOP_GRACE,
        "deploy": {
            "mode": "replicated",
            "replicas": 1,
            "endpoint_mode": "dnsrr",
            "labels": labels,
            "placement": {"constraints": [placement(node)]},
            # The new gateway cannot bind the port before the old one lets it go.
            "update_config": {"parallelism": 1, "order": "stop-first"},
            "restart_policy": {"condition": "on-failure", "delay": "2s"},
        },
    }


def _volumes(application: Application, state: AppState) -> Mapping_:
    return {
        naming.data_volume(service.name, number): {
            "labels": {
                **_labels(application, service, naming.ROLE_DATA),
                naming.LABEL_INSTANCE: str(number),
            }
        }
        for service in application.services
        if catalogue.is_data(service)
        for number in range(instance_count(service, state))
    }
