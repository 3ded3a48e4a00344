"""`env show`: the complete environment one instance sees, secrets included."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dotcloud_emulator.api import variables
from dotcloud_emulator.cli.commands.common import Subparsers, load_buildfile
from dotcloud_emulator.platform.target import TARGET_FORM, parse_target


def register_show(actions: Subparsers) -> None:
    show = actions.add_parser(
        "show",
        help="print the complete environment of one instance, secrets included",
        description="Print every variable an instance sees (DOTCLOUD_*, PORT_*, the build "
        "file's `environment:` and `env set` variables), passwords included.",
    )
    show.add_argument("target", metavar=TARGET_FORM, help="e.g. tutorial.www or tutorial.www.1")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.add_argument(
        "-d",
        "--dir",
        type=Path,
        default=Path("."),
        metavar="APPDIR",
        help="the application directory holding dotcloud.yml (default: the current directory)",
    )
    show.set_defaults(handler=show_environment)


def show_environment(args: argparse.Namespace) -> int:
    target = parse_target(args.target)
    variables.check_appdir(target.app, args.dir)
    env = variables.instance_variables(load_buildfile(args.dir, target.app), target)
    if args.json:
        print(json.dumps(env, indent=2, sort_keys=True))
    else:
        for key in sorted(env):
            print(f"{key}={env[key]}")
    return 0
