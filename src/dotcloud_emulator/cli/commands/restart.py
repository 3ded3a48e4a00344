"""`restart APP.SVC[.N]`: restart one instance, or every instance of a service in turn."""

from __future__ import annotations

import argparse

from dotcloud_emulator.cli.commands.common import (
    ConsoleReporter,
    Subparsers,
    announce,
    find_application,
    settings,
)
from dotcloud_emulator.engine import inventory, lifecycle
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.engine.rollout import restart_instances
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "restart",
        help="restart a service's instances",
        description="Restart one instance (APP.SVC.N), or each instance of a service in turn "
        "(APP.SVC), waiting until it answers again before the next one. While an instance "
        "restarts, the gateway sends its traffic to the service's other instances, if any.",
    )
    parser.add_argument("target", metavar="APP.SVC[.N]", help="e.g. tutorial.www or tutorial.www.0")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(handler=run_restart)


def run_restart(args: argparse.Namespace) -> int:
    target = parse_target(args.target, require_service=True)
    if target.service is None:
        raise UserError(f"{args.target} names no service")
    client = docker_client()
    found = inventory.instances(client, target.app, target.service, target.instance)
    if not found:
        raise UserError(f"{args.target} has no running instance: run `up` first")
    application = find_application(target.app, client)
    numbers = sorted(instance.number for instance in found)
    reporter = ConsoleReporter(quiet=args.quiet)
    for number in numbers:
        if application is None:
            lifecycle.restart(client, target.app, target.service, number)
        else:
            state = StateStore(settings().state_home).load(target.app)
            keys = [(target.service, number)]
            restart_instances(client, application, state, settings(), keys, reporter)
        announce(
            f"Service ({target.service}) instance #{number} of application "
            f"{target.app} has been restarted."
        )
    return 0
