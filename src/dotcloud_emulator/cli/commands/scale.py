"""`scale APP SVC=N [SVC:instances=N ...]`: run N instances of code services behind the gateway."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.buildfile.schema import MAX_INSTANCES
from dotcloud_emulator.catalogue import SERVICE_TYPES
from dotcloud_emulator.cli.commands.common import (
    Subparsers,
    add_json_flag,
    announce,
    announce_pending,
    apply_to_running,
    find_application,
    print_json,
    settings,
)
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform.appname import check_app_name
from dotcloud_emulator.platform.state import StateStore

ACTIONS = ("instances", "memory")


@dataclass(frozen=True)
class ScaleRequest:
    service: str
    instances: int

    @property
    def text(self) -> str:
        return f"{self.service}:instances={self.instances}"


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "scale",
        help="change how many instances a code service runs",
        description="Run N instances of each named code service (SVC=N or SVC:instances=N). "
        "New instances start, then join the gateway; removed ones leave it before they stop; "
        "the others restart one at a time to see the new DOTCLOUD_*_<N> variables. Data "
        "services run one instance; memory is not emulated.",
    )
    parser.add_argument("app", metavar="APP")
    parser.add_argument("changes", metavar="SVC=N", nargs="+", help="e.g. www=3 or www:instances=3")
    add_json_flag(parser)
    parser.set_defaults(handler=run_scale)


def parse_scale(argument: str) -> ScaleRequest:
    """`www=3` or `www:instances=3`; the dotCloud CLI's errors for anything else."""
    target, equals, value = argument.partition("=")
    if not equals or not target:
        raise UsageError(f'"{argument}" is not a scaling request: use SVC=N or SVC:instances=N')
    service, _, action = target.partition(":")
    action = action or "instances"
    if action not in ACTIONS:
        raise UsageError(
            f'Invalid action for "{service}": Action must be either "instances" or "memory"'
        )
    if action == "memory":
        raise UsageError(
            f"{argument}: memory is not emulated (containers run without a memory limit); "
            "scale instances instead"
        )
    if not (value.isascii() and value.isdigit()):
        raise UsageError("Instance count must be a number")
    count = int(value)
    if not 1 <= count <= MAX_INSTANCES:
        raise UsageError(f"{argument}: the instance count must be from 1 to {MAX_INSTANCES}")
    return ScaleRequest(service, count)


def check_scalable(application: Application, request: ScaleRequest) -> None:
    if request.service not in application.service_names:
        known = ", ".join(application.service_names)
        raise UsageError(
            f'application {application.name} has no service "{request.service}" (services: {known})'
        )
    service_type = SERVICE_TYPES.get(application.service(request.service).type)
    if service_type is not None and service_type.is_data:
        raise UsageError(
            f"{request.service} is a {service_type.name} service: data services run 1 instance "
            "here and cannot be scaled"
        )


def run_scale(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    requests = [parse_scale(argument) for argument in args.changes]
    application = find_application(app, None)
    if application is None:
        raise UserError(
            f'cannot find the dotcloud.yml of "{app}": run `up APPDIR` once, or run scale from '
            "the application's directory"
        )
    for request in requests:
        check_scalable(application, request)
    announce(f"Scaling application {app}")
    store = StateStore(settings().state_home)
    state = store.prepare(application)
    for request in requests:
        announce(f"Changing instances of {request.service} to {request.instances}")
        state.scale[request.service] = request.instances
    store.save(state)
    if not apply_to_running(app, quiet=args.json):
        announce_pending(app)
    if args.json:
        print_json({request.service: {"instances": request.instances} for request in requests})
    else:
        print(f"==> Successfully scaled {app} to {describe(requests)}")
    return 0


def describe(requests: Sequence[ScaleRequest]) -> str:
    return ", ".join(request.text for request in requests)
