"""`destroy`: remove an application (or one service) with its data, images and state."""

from __future__ import annotations

import argparse

from dotcloud_emulator.cli.commands.common import (
    Subparsers,
    announce,
    confirm,
    settings,
)
from dotcloud_emulator.engine import lifecycle
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.platform.target import Target, parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "destroy",
        help="remove an application or one service, data included",
        description="Remove the application's containers, network, data volumes, images and "
        "state (passwords, variables). With APP.SERVICE, remove only that service's containers, "
        "data volumes and password. Asks for confirmation unless -y is given.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial or tutorial.session")
    parser.add_argument(
        "-y", "--assume-yes", action="store_true", help="do not ask for confirmation"
    )
    parser.set_defaults(handler=run_destroy)


def run_destroy(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    what = f'"{target.text}"'
    question = (
        f"Destroy the application {what}?"
        if target.service is None
        else f"Destroy the service {what}?"
    )
    if not confirm(question, assume_yes=args.assume_yes, what=f"destroy {what}"):
        announce("Cancelled")
        return 1
    client = docker_client()
    announce(f"Destroying {what}")
    if target.service is None:
        destroy_application(client, target)
    else:
        destroy_service(client, target, target.service)
    announce("Destroyed.")
    return 0


def destroy_application(client: object, target: Target) -> None:
    lifecycle.destroy_app(client, target.app)
    StateStore(settings().state_home).destroy(target.app)


def destroy_service(client: object, target: Target, service: str) -> None:
    lifecycle.destroy_service(client, target.app, service)
    store = StateStore(settings().state_home)
    if not store.exists(target.app):
        return
    state = store.load(target.app)
    state.passwords.pop(service, None)
    state.service_created.pop(service, None)
    state.scale.pop(service, None)
    state.domains.pop(service, None)
    store.save(state)
