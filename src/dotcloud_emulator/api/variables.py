"""Application-wide variables (`env set`/`unset`): checked, stored, then applied."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dotcloud_emulator import names
from dotcloud_emulator.api.connect import settings, store
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.appname import discover_app_name
from dotcloud_emulator.platform.environment import instance_environment
from dotcloud_emulator.platform.target import Target, resolve_instance

RESERVED_PREFIX = "DOTCLOUD_"


def parse_assignments(arguments: Sequence[str]) -> dict[str, str]:
    """`KEY=VALUE` arguments as a mapping; the value is everything after the first `=`."""
    assignments: dict[str, str] = {}
    for argument in arguments:
        key, equals, value = argument.partition("=")
        check_assignment(argument, key, equals)
        assignments[key] = value
    return assignments


def check_assignment(argument: str, key: str, equals: str) -> None:
    if not equals or not key:
        raise UsageError(
            f"{names.printable(argument)} is an invalid environment variable expression. "
            'Environment variables are set like "foo=bar".'
        )
    if not names.VARIABLE.is_valid(key):
        raise UsageError(
            f"{names.printable(key)} is not a valid variable name: use letters, digits and "
            "underscores, not starting with a digit"
        )
    if key.startswith(RESERVED_PREFIX):
        raise UsageError(
            f'"{key}": names starting with {RESERVED_PREFIX} are reserved for the platform'
        )


def set_variables(app: str, assignments: dict[str, str]) -> None:
    state_store = store()
    state = state_store.load(app)
    state.variables.update(assignments)
    state_store.save(state)


def unset_variables(app: str, keys: Sequence[str]) -> None:
    """Remove every key, or none when one is not set."""
    state_store = store()
    state = state_store.load(app)
    unknown = [key for key in keys if key not in state.variables]
    if unknown:
        raise UsageError(f"{_not_set_message(unknown, app)} ({_variables_text(state.variables)})")
    for key in keys:
        state.variables.pop(key, None)
    state_store.save(state)


def variables(app: str) -> dict[str, str]:
    return store().load(app).variables


def _not_set_message(unknown: list[str], app: str) -> str:
    listing = ", ".join(k if names.VARIABLE.is_valid(k) else names.printable(k) for k in unknown)
    verb = "is" if len(unknown) == 1 else "are"
    return f"{listing} {verb} not set for application {app}"


def _variables_text(variables: dict[str, str]) -> str:
    return f"set: {', '.join(sorted(variables))}" if variables else "no variables are set"


def check_appdir(app: str, appdir: Path) -> None:
    """APPDIR must hold APP: its own name, or the directory `up -A APP` last deployed it from."""
    found = discover_app_name(appdir)
    if found != app and not _deployed_from(app, appdir):
        raise UsageError(
            f'{appdir.resolve()} holds application "{found}", not "{app}"; '
            "pass --dir with the application's directory"
        )


def _deployed_from(app: str, appdir: Path) -> bool:
    recorded = store().load(app).appdir
    return recorded is not None and Path(recorded).resolve() == appdir.resolve()


def instance_variables(application: Application, target: Target) -> dict[str, object]:
    """Every variable the instance a target names sees, secrets included."""
    state_store = store()
    service, instance = resolve_instance(application, state_store.load(application.name), target)
    state = state_store.prepare(application)
    return dict(instance_environment(application, state, settings(), service.name, instance))
