"""`url`: the URLs that reach an application's services from this machine."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api.services import AppView
from dotcloud_emulator.cli.commands.common import Subparsers, add_json_flag, print_json
from dotcloud_emulator.platform.target import parse_target


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "url",
        help="print the URLs of an application's services",
        description="With APP.SERVICE, print that service's URLs separated by spaces; with APP, "
        "one `service: url ; url` line per service that has URLs.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial or tutorial.www")
    add_json_flag(parser)
    parser.set_defaults(handler=run_url)


def run_url(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    view = AppView.open(target.app)
    view.check_service(target.service)
    urls = view.urls([target.service] if target.service else view.names)
    if args.json:
        print_json(urls[target.service] if target.service else urls)
    elif target.service:
        print(" ".join(urls[target.service]))
    else:
        print_url_lines(urls)
    return 0


def print_url_lines(urls: dict[str, list[str]]) -> None:
    shown = {name: found for name, found in urls.items() if found}
    width = max((len(name) for name in shown), default=0) + 2
    for name, found in shown.items():
        print(f"{name + ':':<{width}}{' ; '.join(found)}")
