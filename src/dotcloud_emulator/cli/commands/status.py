"""`status`: whether each instance of a service (or of every service) is up."""

from __future__ import annotations

import argparse
from typing import Any

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.commands.common import (
    Subparsers,
    add_json_flag,
    announce,
    find_application,
    print_json,
    settings,
)
from dotcloud_emulator.cli.commands.info import no_service_message
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import instance_count
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show whether each instance is up",
        description="Probe every instance of a service (or of every service) and print "
        "`www.0: up` or `down`.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial or tutorial.www")
    add_json_flag(parser)
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    client = docker_client()
    application = find_application(target.app, client)
    statuses = instance_statuses(client, target.app, application)
    known = list(dict.fromkeys(service for service, _ in statuses))
    if target.service is not None and target.service not in known:
        raise UsageError(no_service_message(target.app, target.service, known))
    services = [target.service] if target.service else known
    if not services:
        raise UserError(f'application "{target.app}" has no services here: run `up` first')
    if args.json:
        print_json({label: state for (svc, label), state in statuses.items() if svc in services})
        return 0
    for service in services:
        announce(f'Probing status for service "{service}"...')
        for (svc, label), state in statuses.items():
            if svc == service:
                print(f"{label}: {state}", flush=True)
    return 0


def instance_statuses(
    client: Any, app: str, application: Application | None
) -> dict[tuple[str, str], str]:
    """(service, `www.0`) -> `up` | `down`, in build-file order, then any other container."""
    statuses = {key: "down" for key in expected_instances(app, application)}
    found = inventory.instances(client, app)
    for instance in sorted(found, key=lambda i: (i.service, i.number)):
        statuses[(instance.service, instance.label)] = instance.state
    order = list(application.service_names) if application else []
    return dict(
        sorted(
            statuses.items(),
            key=lambda item: (_position(order, item[0][0]), item[0][0], _number(item[0][1])),
        )
    )


def expected_instances(app: str, application: Application | None) -> list[tuple[str, str]]:
    """The instances the build file asks for; without it, those the state remembers."""
    state = StateStore(settings().state_home).load(app)
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
