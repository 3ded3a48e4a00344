"""`domain add|list|rm`: custom host names the gateway routes to an HTTP service."""

from __future__ import annotations

import argparse
import re
from typing import Any

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.commands.common import (
    Subparsers,
    add_json_flag,
    announce,
    find_application,
    print_json,
    settings,
)
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform.appname import check_app_name
from dotcloud_emulator.platform.environment import is_http_service
from dotcloud_emulator.platform.state import AppState, StateStore

HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_HOST_LENGTH = 253


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


def check_domain(text: str) -> str:
    """A host name (`www.example.com`), lower-cased; anything else is a usage error."""
    name = text.strip().lower().rstrip(".")
    labels = name.split(".")
    valid = (
        len(name) <= MAX_HOST_LENGTH
        and len(labels) >= 2
        and all(HOST_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
    )
    if not valid:
        raise UsageError(
            f'"{text}" is not a valid domain name: use host names like www.example.com '
            "(letters, digits and hyphens, dot-separated)"
        )
    return name


def list_domains(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    domains = StateStore(settings().state_home).load(app).domains
    if args.json:
        print_json(domains)
        return 0
    for service in sorted(domains):
        for domain in domains[service]:
            print(f"{service}: {domain}")
    return 0


def add_domain(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    domain = check_domain(args.domain)
    application = load_web_application(app, args.service)
    store = StateStore(settings().state_home)
    state = store.prepare(application)
    owner = next((s for s, names in state.domains.items() if domain in names), None)
    if owner is not None:
        raise UsageError(f'domain "{domain}" is already routed to "{owner}"')
    state.domains.setdefault(args.service, []).append(domain)
    store.save(state)
    route_now(application, state)
    print(f'==> domain "{domain}" created for "{args.service}"')
    print(
        f"==> The gateway on 127.0.0.1:{state.gateway_port} routes it to {args.service}; point "
        f"{domain} at 127.0.0.1 (e.g. in /etc/hosts), or try: "
        f"curl -H 'Host: {domain}' http://127.0.0.1:{state.gateway_port}/"
    )
    return 0


def remove_domain(args: argparse.Namespace) -> int:
    app = check_app_name(args.app)
    domain = args.domain.strip().lower().rstrip(".")
    store = StateStore(settings().state_home)
    state = store.load(app)
    names = state.domains.get(args.service, [])
    if domain not in names:
        routed = ", ".join(names) or "none"
        raise UsageError(
            f'domain "{domain}" is not routed to "{args.service}" (its domains: {routed})'
        )
    names.remove(domain)
    if not names:
        del state.domains[args.service]
    store.save(state)
    application = find_application(app, None)
    if application is not None:
        route_now(application, state)
    print(f'==> domain "{domain}" deleted from "{args.service}"')
    return 0


def load_web_application(app: str, service: str) -> Application:
    application = find_application(app, None)
    if application is None:
        raise UserError(
            f'cannot find the dotcloud.yml of "{app}": run `up APPDIR` once, or run this from '
            "the application's directory"
        )
    if service not in application.service_names:
        known = ", ".join(application.service_names)
        raise UsageError(f'application {app} has no service "{service}" (services: {known})')
    if not is_http_service(application.service(service)):
        raise UsageError(f"{service} serves no HTTP: only web services can have domains")
    return application


def route_now(application: Application, state: AppState) -> None:
    """Give the running gateway its new routes; a stopped one reads them at the next `up`."""
    gateway = running_gateway(application.name)
    if gateway is None:
        announce(f"{application.name} is not running: the gateway routes it at the next `up`")
        return
    from dotcloud_emulator.render.gateway import render_gateway_routes

    gateway.apply(render_gateway_routes(application, state, settings()).content)


def running_gateway(app: str) -> Any:
    from dotcloud_emulator.engine.client import docker_client
    from dotcloud_emulator.engine.routing import GatewayControl

    try:
        client = docker_client()
    except UserError:
        return None
    return GatewayControl.find(client, app)
