"""`info`: a service's details as dotCloud 0.4 printed them (YAML), or an application's summary."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.buildfile.servicetypes import SERVICE_TYPES
from dotcloud_emulator.cli.commands.common import (
    Subparsers,
    add_json_flag,
    find_application,
    print_json,
    settings,
)
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.engine.endpoints import LOOPBACK, data_url, service_web_urls
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.environment import custom_port_numbers, instance_count
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.platform.target import parse_target
from dotcloud_emulator.yamlout import ReadableDumper as InfoDumper

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

    @property
    def running(self) -> bool:
        return any(self.instances.values())


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="show a service's details, or an application's services",
        description="With APP.SERVICE, print the service's details as YAML (type, config with "
        "generated passwords, instances, URLs that work from this machine). With APP, print a "
        "table of its services.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial.session")
    add_json_flag(parser)
    parser.set_defaults(handler=run_info)


def run_info(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    client = docker_client()
    application = find_application(target.app, client)
    state = StateStore(settings().state_home).load(target.app)
    names = service_names(client, target.app, application)
    if target.service is not None:
        if target.service not in names:
            raise UsageError(no_service_message(target.app, target.service, names))
        facts = gather(client, target.app, target.service, application, state)
        document = service_document(facts)
        if args.json:
            print_json(document)
        else:
            print(render_yaml(document), end="")
        return 0
    if not names:
        raise UsageError(f'application "{target.app}" has no services here: run `up` first')
    summary = [gather(client, target.app, name, application, state) for name in names]
    if args.json:
        print_json([summary_row(facts) for facts in summary])
    else:
        print_summary(target.app, summary)
    return 0


def no_service_message(app: str, service: str, names: Sequence[str]) -> str:
    known = ", ".join(names) or "none found"
    return f'application "{app}" has no service "{service}" (services: {known})'


def service_names(client: Any, app: str, application: Application | None) -> list[str]:
    """The build file's services, else those the state remembers, then any other container's."""
    if application is not None:
        names = list(application.service_names)
    else:
        names = list(StateStore(settings().state_home).load(app).service_created)
    for instance in inventory.instances(client, app):
        if instance.service not in names:
            names.append(instance.service)
    return names


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
    ports = data_ports(type_name, password, found)
    if service is not None:
        ports.extend(custom_ports(service, found))
    if service and application and any(running.values()):
        domains = state.domains.get(name, [])
        urls = service_web_urls(
            application, service, settings().domain, state.gateway_port, domains
        )
        ports.extend(("http", url) for url in urls)
    config = service_config(service, type_name, password)
    created_at = state.service_created.get(name)
    return ServiceFacts(app, name, type_name, config, created_at, running, ports)


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
    type_name: str, password: str, found: Sequence[inventory.Instance]
) -> list[tuple[str, str]]:
    """The data port of instance 0 as published on loopback, when it runs."""
    service_type = SERVICE_TYPES.get(type_name)
    if not (service_type and service_type.data_port and password):
        return []
    primary = next((i for i in found if i.number == 0 and i.running), None)
    host_port = primary.host_port(service_type.data_port.port) if primary else None
    url = data_url(type_name, password, host_port) if host_port else None
    return [(service_type.data_port.name, url)] if url else []


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
    document: dict[str, object] = {
        "cluster": CLUSTER,
        "config": dict(facts.config),
        "instances": {
            f"{facts.app}.{facts.name}.{number}": {"state": "running" if up else "stopped"}
            for number, up in sorted(facts.instances.items())
        },
        "name": f"{facts.app}.{facts.name}",
        "ports": [{"name": name, "url": url} for name, url in facts.ports],
        "state": "running" if facts.running else "stopped",
        "type": facts.type,
    }
    if facts.created_at is not None:
        document["created_at"] = facts.created_at
    return document


def render_yaml(document: Mapping[str, object]) -> str:
    return yaml.dump(
        dict(document), Dumper=InfoDumper, indent=4, sort_keys=True, default_flow_style=False
    )


def summary_row(facts: ServiceFacts) -> dict[str, object]:
    return {
        "name": facts.name,
        "type": facts.type,
        "instances": len(facts.instances),
        "state": "running" if facts.running else "stopped",
    }


def summary_table(rows: Sequence[Mapping[str, object]]) -> str:
    """The plain `+------+` table of the dotCloud CLI's `pprint_table`."""
    headers = ["name", "type", "instances", "state"]
    cells = [[str(row[h]) for h in headers] for row in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: Sequence[str]) -> str:
        return "|" + "|".join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True)) + "|"

    return "\n".join([rule, line(headers), rule, *(line(c) for c in cells), rule])


def print_summary(app: str, summary: Sequence[ServiceFacts]) -> None:
    print(f"=== {app}")
    print(summary_table([summary_row(facts) for facts in summary]))
