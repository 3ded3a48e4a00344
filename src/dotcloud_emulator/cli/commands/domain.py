"""`domain add|list|rm`: custom host names the gateway routes to an HTTP service."""

from __future__ import annotations

import argparse

from dotcloud_emulator.api import domains
from dotcloud_emulator.cli.commands.common import Console, Subparsers, add_json_flag, print_json
from dotcloud_emulator.platform.appname import check_app_name


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "domain",
        help="route custom domains to a web service",
        description="Add, list or remove host names the gateway routes to a service, as "
        "`dotcloud domain` did. A running gateway takes the change at once (a graceful reload). "
        "Host names nothing routes reach the application's first web service.",
    )
    actions = parser.add_subparsers(dest="domain_action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="print each service's domains")
    listing.add_argument("app", metavar="APP")
    add_json_flag(listing)
    listing.set_defaults(handler=list_domains)
    for name, handler, text in (
        ("add", add_domain, "route DOMAIN to SERVICE"),
        ("rm", remove_domain, "stop routing DOMAIN to SERVICE"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("app", metavar="APP")
        action.add_argument("service", metavar="SERVICE")
        action.add_argument("domain", metavar="DOMAIN")
        action.set_defaults(handler=handler)


def list_domains(args: argparse.Namespace) -> int:
    routed = domains.domains(check_app_name(args.app))
    if args.json:
        print_json(routed)
        return 0
    for service in sorted(routed):
        for domain in routed[service]:
            print(f"{service}: {domain}")
    return 0


def add_domain(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    change = domains.add_domain(app, args.service, args.domain)
    announce_if_pending(app, change)
    port, domain = change.gateway_port, change.domain
    print(f'==> domain "{domain}" created for "{args.service}"')
    print(
        f"==> The gateway on 127.0.0.1:{port} routes it to {args.service}; point "
        f"{domain} at 127.0.0.1 (e.g. in /etc/hosts), or try: "
        f"curl -H 'Host: {domain}' http://127.0.0.1:{port}/"
    )
    return 0


def remove_domain(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    change = domains.remove_domain(app, args.service, args.domain)
    announce_if_pending(app, change)
    print(f'==> domain "{change.domain}" deleted from "{args.service}"')
    return 0


def announce_if_pending(app: str, change: domains.DomainChange) -> None:
    if change.pending:
        Console().announce(f"{app} is not running: the gateway routes it at the next `up`")
