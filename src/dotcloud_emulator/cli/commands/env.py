"""`env`: show an instance's environment; list, set and unset application-wide variables."""

from __future__ import annotations

import argparse
import json

from dotcloud_emulator.api import variables
from dotcloud_emulator.cli.commands.common import Console, Subparsers, apply_or_announce_pending
from dotcloud_emulator.cli.commands.envshow import register_show
from dotcloud_emulator.platform.appname import check_app_name


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "env",
        help="show an instance's environment; list, set or unset application variables",
        description="Show the environment an instance sees, or manage the application-wide "
        "variables that `dotcloud env` managed (they override the build file's `environment:`).",
    )
    actions = parser.add_subparsers(dest="env_action", metavar="ACTION")
    actions.required = True
    register_show(actions)
    _register_list(actions)
    _register_set(actions)
    _register_unset(actions)


def _register_list(actions: Subparsers) -> None:
    listing = actions.add_parser(
        "list",
        help="print the application-wide variables",
        description="Print the variables set with `env set`, sorted by name.",
    )
    listing.add_argument("app", metavar="APP")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(handler=list_variables)


def _register_set(actions: Subparsers) -> None:
    setting = actions.add_parser(
        "set",
        help="set application-wide variables",
        description="Set variables for every service of the application. Either every "
        "KEY=VALUE is valid and all are stored, or nothing is. A running application's code "
        "instances restart one at a time to see them (data services are left alone).",
    )
    setting.add_argument("app", metavar="APP")
    setting.add_argument("assignments", metavar="KEY=VALUE", nargs="+")
    setting.set_defaults(handler=set_variables)


def _register_unset(actions: Subparsers) -> None:
    unsetting = actions.add_parser(
        "unset",
        help="remove application-wide variables",
        description="Remove variables set with `env set`. Either every KEY is set and all "
        "are removed, or nothing is. A running application's code instances restart one at a "
        "time.",
    )
    unsetting.add_argument("app", metavar="APP")
    unsetting.add_argument("keys", metavar="KEY", nargs="+")
    unsetting.set_defaults(handler=unset_variables)


def after_env_change(app: str) -> None:
    """Restart the running code instances one at a time so their processes see the change."""
    apply_or_announce_pending(app, Console())


def list_variables(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    found = variables.variables(app)
    Console().announce(f"Environment variables for application {app}")
    if args.json:
        print(json.dumps(found, indent=2, sort_keys=True))
    else:
        for key in sorted(found):
            print(f"{key}={found[key]}")
    return 0


def set_variables(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    assignments = variables.parse_assignments(args.assignments)
    variables.set_variables(app, assignments)
    summary = ", ".join(f"{key}={value}" for key, value in assignments.items())
    Console().announce(f"Setting {summary} (application {app})")
    after_env_change(app)
    return 0


def unset_variables(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    variables.unset_variables(app, args.keys)
    Console().announce(f"Un-setting {', '.join(dict.fromkeys(args.keys))} (application {app})")
    after_env_change(app)
    return 0
