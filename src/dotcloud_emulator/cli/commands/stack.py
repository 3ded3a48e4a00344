"""`stack deploy` / `stack rm`: run an application on Docker Swarm (see docs/scaling-out.md)."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import stack
from dotcloud_emulator.api.connect import check_engine
from dotcloud_emulator.cli.commands.common import (
    Console,
    Subparsers,
    add_appdir_arguments,
    add_json_flag,
    load_buildfile,
    print_json,
)
from dotcloud_emulator.cli.commands.up import port_number, print_live
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "stack",
        help="deploy an application to Docker Swarm, or remove it from there",
        description="Run an application on a Docker Swarm (this engine must be a manager: "
        "`docker swarm init`) with the same environment contract as `up`.",
    )
    actions = parser.add_subparsers(dest="stack_action", metavar="ACTION")
    actions.required = True
    _register_deploy(actions)
    _register_rm(actions)


def _register_deploy(actions: Subparsers) -> None:
    deploy = actions.add_parser(
        "deploy",
        help="build the images and deploy the application as a Swarm stack",
        description="Build every service of APPDIR's dotcloud.yml as `up` does, render the "
        "stack file (in the state directory: apps/APP/swarm/stack.yml), `docker stack deploy` "
        "it, wait until every replica answers, and print the URL. Code services are replicated "
        "(instances = replicas) and roll one replica at a time on a push; data services run one "
        "replica on a named volume; the gateway publishes PORT on this node.",
    )
    add_appdir_arguments(deploy)
    deploy.add_argument(
        "--port", type=port_number, metavar="PORT", help="the gateway's port (default: the last)"
    )
    deploy.add_argument(
        "--registry",
        type=registry,
        metavar="HOST:PORT[/PREFIX]",
        help="push the images there and deploy from it (needed when the swarm has other nodes)",
    )
    deploy.add_argument(
        "--timeout",
        type=float,
        default=stack.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the replicas (default: {stack.DEFAULT_TIMEOUT:.0f})",
    )
    add_json_flag(deploy)
    deploy.set_defaults(handler=run_deploy)


def _register_rm(actions: Subparsers) -> None:
    remove = actions.add_parser(
        "rm",
        help="remove the application's stack, keeping its data",
        description="`docker stack rm`: the services, network, secrets and configs go; data "
        "volumes, images and the state stay, so `stack deploy` brings it back as it was.",
    )
    remove.add_argument("app", metavar="APP", help="the application's name")
    remove.set_defaults(handler=run_rm)


def registry(text: str) -> str:
    try:
        return stack.parse_registry(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc


def run_deploy(args: argparse.Namespace) -> int:
    application = load_buildfile(args.appdir, args.application)
    console = Console(quiet=args.json)
    deployment = stack.deploy(application, args.port, args.timeout, console, args.registry)
    if args.json:
        print_json({"app": deployment.app, "port": deployment.port, "urls": deployment.urls})
    else:
        print_live(deployment)
    return 0


def run_rm(args: argparse.Namespace) -> int:
    app = parse_target(args.app, max_depth=1).app
    check_engine()
    console = Console()
    console.announce(f'Removing the stack of "{app}"')
    if stack.remove(app):
        print(f"==> Stack of {app} removed; data volumes kept")
    else:
        print(f"==> {app} has no stack deployed")
    return 0
