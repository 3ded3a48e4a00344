"""`scale APP SVC=N [SVC:instances=N ...]`: run N instances of code services behind the gateway."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import scaling
from dotcloud_emulator.cli.commands.common import (
    Console,
    Subparsers,
    add_json_flag,
    apply_or_announce_pending,
    print_json,
)
from dotcloud_emulator.platform.appname import check_app_name


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


def run_scale(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    requests = [scaling.parse_scale(argument) for argument in args.changes]
    application = scaling.scalable_application(app, requests)
    console = Console(quiet=args.json)
    console.announce(f"Scaling application {app}")
    for request in requests:
        console.announce(f"Changing instances of {request.service} to {request.instances}")
    scaling.store_scale(application, requests)
    apply_or_announce_pending(app, console)
    if args.json:
        print_json({request.service: {"instances": request.instances} for request in requests})
    else:
        print(f"==> Successfully scaled {app} to {scaling.describe(requests)}")
    return 0
