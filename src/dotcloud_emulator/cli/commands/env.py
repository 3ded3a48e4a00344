"""`env`: show an instance's environment; list, set and unset application-wide variables."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.commands.common import announce_pending, apply_to_running
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.appname import check_app_name, discover_app_name
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.platform.target import TARGET_FORM, parse_target, resolve_instance

VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_PREFIX = "DOTCLOUD_"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "env",
        help="show an instance's environment; list, set or unset application variables",
        description="Show the environment an instance sees, or manage the application-wide "
        "variables that `dotcloud env` managed (they override the build file's `environment:`).",
    )
    actions = parser.add_subparsers(dest="env_action", metavar="ACTION")
    actions.required = True
    _register_show(actions)
    _register_list(actions)
    _register_set(actions)
    _register_unset(actions)


def _register_show(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _register_list(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = actions.add_parser(
        "list",
        help="print the application-wide variables",
        description="Print the variables set with `env set`, sorted by name.",
    )
    listing.add_argument("app", metavar="APP")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.set_defaults(handler=list_variables)


def _register_set(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _register_unset(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    if not apply_to_running(app):
        announce_pending(app)


def show_environment(args: argparse.Namespace) -> int:
    target = parse_target(args.target)
    settings = Settings.from_env()
    application = _load_application(args.dir, target.app)
    store = StateStore(settings.state_home)
    service, instance = resolve_instance(application, store.load(application.name), target)
    state = store.prepare(application)
    env = instance_environment(application, state, settings, service.name, instance)
    if args.json:
        print(json.dumps(env, indent=2, sort_keys=True))
    else:
        for key in sorted(env):
            print(f"{key}={env[key]}")
    return 0


def list_variables(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    variables = _store().load(app).variables
    print(f"==> Environment variables for application {app}", file=sys.stderr)
    if args.json:
        print(json.dumps(variables, indent=2, sort_keys=True))
    else:
        for key in sorted(variables):
            print(f"{key}={variables[key]}")
    return 0


def set_variables(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    assignments = parse_assignments(args.assignments)
    store = _store()
    state = store.load(app)
    state.variables.update(assignments)
    store.save(state)
    summary = ", ".join(f"{key}={value}" for key, value in assignments.items())
    print(f"==> Setting {summary} (application {app})", file=sys.stderr)
    after_env_change(app)
    return 0


def unset_variables(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    store = _store()
    state = store.load(app)
    unknown = [key for key in args.keys if key not in state.variables]
    if unknown:
        raise UsageError(f"{_not_set_message(unknown, app)} ({_variables_text(state.variables)})")
    for key in args.keys:
        state.variables.pop(key, None)
    store.save(state)
    keys = ", ".join(dict.fromkeys(args.keys))
    print(f"==> Un-setting {keys} (application {app})", file=sys.stderr)
    after_env_change(app)
    return 0


def parse_assignments(arguments: list[str]) -> dict[str, str]:
    """`KEY=VALUE` arguments as a mapping; the value is everything after the first `=`."""
    assignments: dict[str, str] = {}
    for argument in arguments:
        key, equals, value = argument.partition("=")
        _check_assignment(argument, key, equals)
        assignments[key] = value
    return assignments


def _check_assignment(argument: str, key: str, equals: str) -> None:
    if not equals or not key:
        raise UsageError(
            f'"{argument}" is an invalid environment variable expression. '
            'Environment variables are set like "foo=bar".'
        )
    if not VARIABLE_NAME.match(key):
        raise UsageError(
            f'"{key}" is not a valid variable name: use letters, digits and underscores, '
            "not starting with a digit"
        )
    if key.startswith(RESERVED_PREFIX):
        raise UsageError(
            f'"{key}": names starting with {RESERVED_PREFIX} are reserved for the platform'
        )


def _load_application(appdir: Path, app: str) -> Application:
    from dotcloud_emulator.cli.commands.common import load_buildfile

    found = discover_app_name(appdir)
    if found != app and not _deployed_from(app, appdir):
        raise UsageError(
            f'{appdir.resolve()} holds application "{found}", not "{app}"; '
            "pass --dir with the application's directory"
        )
    return load_buildfile(appdir, app)


def _deployed_from(app: str, appdir: Path) -> bool:
    """True when `up -A APP` last deployed APP from `appdir` (its name then differs)."""
    recorded = _store().load(app).appdir
    return recorded is not None and Path(recorded).resolve() == appdir.resolve()


def _not_set_message(unknown: list[str], app: str) -> str:
    names = ", ".join(unknown)
    verb = "is" if len(unknown) == 1 else "are"
    return f"{names} {verb} not set for application {app}"


def _variables_text(variables: dict[str, str]) -> str:
    return f"set: {', '.join(sorted(variables))}" if variables else "no variables are set"


def _store() -> StateStore:
    return StateStore(Settings.from_env().state_home)
