"""`status`: whether each instance of a service (or of every service) is up."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api.dynos import dynos, ps_lines
from dotcloud_emulator.api.services import AppView
from dotcloud_emulator.cli.commands.common import Console, Subparsers, add_json_flag, print_json
from dotcloud_emulator.errors import NoSuchService, NotRunning
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show whether each instance is up",
        description="Probe every instance of a service (or of every service) and print "
        "`www.0: up` or `down`; for a Procfile application, `heroku ps`'s format "
        "(`=== web: `COMMAND``, then `web.1: up 2013/03/05 06:28:13 (~ 21m ago)`).",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial or tutorial.www")
    add_json_flag(parser)
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    view = AppView.open(target.app)
    if is_dyno_target(view, target.service):
        return print_dynos(view, target.service, as_json=args.json)
    statuses = view.statuses()
    known = list(dict.fromkeys(service for service, _ in statuses))
    if target.service is not None and target.service not in known:
        raise NoSuchService(target.app, target.service, known)
    services = [target.service] if target.service else known
    if not services:
        raise NotRunning(target.app)
    if args.json:
        print_json({label: state for (svc, label), state in statuses.items() if svc in services})
        return 0
    console = Console()
    for service in services:
        console.announce(f'Probing status for service "{service}"...')
        for (svc, label), state in statuses.items():
            if svc == service:
                print(f"{label}: {state}", flush=True)
    return 0


def is_dyno_target(view: AppView, service: str | None) -> bool:
    """A Procfile application, or one of its process types (an add-on's service is not a dyno:
    its status is printed as for any service)."""
    application = view.application
    if application is None or not application.is_procfile:
        return False
    return service is None or any(s.name == service and s.process for s in application.services)


def print_dynos(view: AppView, service: str | None, *, as_json: bool) -> int:
    """`heroku ps`: the dynos of every process type, or of one."""
    view.check_service(service)
    found = dynos(view, view.application, service) if view.application else []
    if not found:
        raise NotRunning(view.app)
    if as_json:
        print_json([dyno.document() for dyno in found])
    else:
        print("\n".join(ps_lines(found)), flush=True)
    return 0
