"""`restart APP.SVC[.N]`: restart one instance, or every instance of a service in turn."""

from __future__ import annotations

import argparse

from dotcloud_emulator.cli.commands.common import Subparsers, announce, parse_app_target
from dotcloud_emulator.engine import inventory, lifecycle
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.errors import UserError


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "restart",
        help="restart a service's instances",
        description="Restart one instance (APP.SVC.N), or each instance of a service in turn "
        "(APP.SVC), waiting until it answers again before the next one.",
    )
    parser.add_argument("target", metavar="APP.SVC[.N]", help="e.g. tutorial.www or tutorial.www.0")
    parser.set_defaults(handler=run_restart)


def run_restart(args: argparse.Namespace) -> int:
    target = parse_app_target(args.target, require_service=True)
    assert target.service is not None  # require_service guarantees it
    client = docker_client()
    found = inventory.instances(client, target.app, target.service, target.instance)
    if not found:
        raise UserError(f"{args.target} has no running instance: run `up` first")
    for instance in sorted(found, key=lambda i: i.number):
        lifecycle.restart(client, target.app, target.service, instance.number)
        announce(
            f"Service ({target.service}) instance #{instance.number} of application "
            f"{target.app} has been restarted."
        )
    return 0
