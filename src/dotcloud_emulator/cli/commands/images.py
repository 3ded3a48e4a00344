"""`images push`: tag every image of an application and push it to a registry.
`images base`: the base images an application is built on, for the scripts that make them."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import stack
from dotcloud_emulator.cli.commands.common import (
    Console,
    Subparsers,
    add_appdir_arguments,
    add_json_flag,
    load_buildfile,
    print_json,
)
from dotcloud_emulator.cli.commands.stack import registry
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.target import parse_target
from dotcloud_emulator.render.contexts import base_images


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "images",
        help="push an application's images to a registry",
        description="Work with the images `up` and `stack deploy` build.",
    )
    actions = parser.add_subparsers(dest="images_action", metavar="ACTION")
    actions.required = True
    push = actions.add_parser(
        "push",
        help="tag and push every image of the application",
        description="Tag each image of APP with a tag naming its content (img-<id>) under "
        "REGISTRY and push it, for a swarm whose other nodes pull from there; `stack deploy "
        "--registry REGISTRY` does this itself. Registries on 127.0.0.0/8 need no TLS.",
    )
    push.add_argument("app", metavar="APP", help="the application's name")
    push.add_argument(
        "--registry", required=True, type=registry, metavar="HOST:PORT[/PREFIX]", help="where to"
    )
    add_json_flag(push)
    push.set_defaults(handler=run_push)
    base = actions.add_parser(
        "base",
        help="list the base images the application is built on",
        description="Print, one a line, the base images APPDIR's services, its gateway and its "
        "healer are built on (DOTCLOUD_BASE_IMAGE stands in for debian:bookworm-slim), so that "
        "only those are made: `make up` gives each to scripts/ensure-base-image.sh. Needs no "
        "Docker engine.",
    )
    add_appdir_arguments(base)
    add_json_flag(base)
    base.set_defaults(handler=run_base)


def run_push(args: argparse.Namespace) -> int:
    app = parse_target(args.app, max_depth=1).app
    console = Console(quiet=args.json)
    console.announce(f"Pushing the images of {app} to {args.registry}")
    pushed = stack.push_images(app, args.registry, console)
    if args.json:
        print_json(pushed)
    else:
        for service, reference in pushed.items():
            print(f"{service}: {reference}")
    return 0


def run_base(args: argparse.Namespace) -> int:
    application = load_buildfile(args.appdir, args.application)
    images = base_images(application, Settings.from_env())
    if args.json:
        print_json(images)
    else:
        print("\n".join(images))
    return 0
