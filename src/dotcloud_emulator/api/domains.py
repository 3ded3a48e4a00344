"""Custom host names the gateway routes to an HTTP service (`domain add|list|rm`)."""

from __future__ import annotations

from dataclasses import dataclass

from dotcloud_emulator import names
from dotcloud_emulator.api import stack
from dotcloud_emulator.api.connect import (
    connect_if_up,
    find_application,
    require_application,
    settings,
    store,
)
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import swarm_engine
from dotcloud_emulator.engine.context import SilentReporter
from dotcloud_emulator.engine.routing import GatewayControl
from dotcloud_emulator.errors import NoSuchService, UsageError
from dotcloud_emulator.platform.environment import is_http_service
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.gateway import render_gateway_routes


@dataclass(frozen=True)
class DomainChange:
    domain: str
    gateway_port: int
    pending: bool  # no gateway runs: it reads the routes at the next `up`


def check_domain(text: str) -> str:
    """A host name (`www.example.com`), lower-cased; anything else is a usage error."""
    name = text.strip().lower().rstrip(".")
    if not names.is_host_name(name):
        raise UsageError(
            f"{names.printable(text)} is not a valid domain name: use host names like "
            "www.example.com (letters, digits and hyphens, dot-separated)"
        )
    return name


def domains(app: str) -> dict[str, list[str]]:
    return store().load(app).domains


def add_domain(app: str, service: str, text: str) -> DomainChange:
    domain = check_domain(text)
    application = web_application(app, service)
    state_store = store()
    state = state_store.prepare(application)
    owner = state.domain_owner(domain)
    if owner is not None:
        raise UsageError(f'domain "{domain}" is already routed to "{owner}"')
    state.add_domain(service, domain)
    state_store.save(state)
    return DomainChange(domain, state.gateway_port, pending=not route_now(application, state))


def remove_domain(app: str, service: str, text: str) -> DomainChange:
    domain = text.strip().lower().rstrip(".")
    state_store = store()
    state = state_store.load(app)
    routed = state.domains.get(service, [])
    if domain not in routed:
        raise UsageError(
            f"domain {names.printable(domain)} is not routed to {names.printable(service)} "
            f"(its domains: {', '.join(routed) or 'none'})"
        )
    state.remove_domain(service, domain)
    state_store.save(state)
    application = find_application(app)
    pending = application is not None and not route_now(application, state)
    return DomainChange(domain, state.gateway_port, pending)


def web_application(app: str, service: str) -> Application:
    application = require_application(app)
    if service not in application.service_names:
        raise NoSuchService(app, service, application.service_names)
    if not is_http_service(application.service(service)):
        raise UsageError(f"{service} serves no HTTP: only web services can have domains")
    return application


def route_now(application: Application, state: AppState) -> bool:
    """Give the running gateway its new routes (True); a stopped one reads them at the next
    `up` (False)."""
    client = connect_if_up()
    if client is not None and swarm_engine.is_deployed(client, application.name):
        stack.apply_to_stack(application, SilentReporter())  # the routes are a Swarm config
        return True
    gateway = None if client is None else GatewayControl.find(client, application.name)
    if gateway is None:
        return False
    gateway.apply(render_gateway_routes(application, state, settings()).content)
    return True
