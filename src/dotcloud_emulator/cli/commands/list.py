"""`list`: the applications this machine knows, from their state and from Docker."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from dotcloud_emulator.api.lifecycle import applications
from dotcloud_emulator.cli.commands.common import Subparsers, add_json_flag, print_json


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list the applications and their services",
        description="List every application with state on this machine or containers in "
        "Docker, with each service's type, instance count and whether it is running.",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run_list)


def run_list(args: argparse.Namespace) -> int:
    listing = applications()
    if args.json:
        print_json(listing)
    else:
        print(render_listing(listing))
    return 0


def render_listing(listing: Mapping[str, Sequence[Mapping[str, object]]]) -> str:
    """As `dotcloud list APP` printed it in 0.4: `app:` then `  - svc (type: t; instances: n)`."""
    if not listing:
        return "No applications yet: run `up` in an application directory."
    lines: list[str] = []
    for app, services in listing.items():
        lines.append(f"{app}:")
        width = max((len(str(s["name"])) for s in services), default=0)
        for service in services:
            name = str(service["name"])
            lines.append(
                f"  - {name:<{width}} (type: {service['type'] or 'unknown'}; "
                f"instances: {service['instances']}; running: {service['running']})"
            )
    return "\n".join(lines)
