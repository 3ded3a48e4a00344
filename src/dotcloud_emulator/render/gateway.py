"""The HTTP gateway: one nginx in front of every HTTP service, as dotCloud's gateway was.

`<svc>.<app>.<domain>` and the service's custom domains route to its instances; the plain
address (`localhost`, `127.0.0.1`) goes to the application's first HTTP service (build-file
order). Any other host name gets a 404, as the platform's gateway answered for a domain no
application claimed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import (
    HTTP_BIND_PORT,
    custom_port_numbers,
    instance_count,
    is_http_service,
)
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.templating import render_template

EXECUTABLE = 0o755
PLAIN_HOSTS = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Route:
    upstream: str
    members: tuple[str, ...]
    hosts: tuple[str, ...]


def http_services(application: Application) -> list[Service]:
    return [service for service in application.services if is_http_service(service)]


def http_port(service: Service) -> int:
    """The port the service's instances serve HTTP on: 8080, or its first `http` custom port."""
    if catalogue.serves_http(service.type):
        return HTTP_BIND_PORT
    ports = custom_port_numbers(service)
    return next(ports[name] for name, protocol in service.ports.items() if protocol == "http")


# Service -> the instance numbers the gateway sends traffic to (those not drained).
Rotation = Mapping[str, Collection[int]]
# (service, instance) -> the host names that instance's traffic goes to, in place of the
# instance's own name: while an instance is replaced beside itself, its containers' names pick
# the old or the new one (the instance's name resolves to both).
Pinned = Mapping[tuple[str, int], Sequence[str]]


def full_rotation(application: Application, state: AppState) -> dict[str, list[int]]:
    return {
        service.name: list(range(instance_count(service, state)))
        for service in http_services(application)
    }


def routes(
    application: Application,
    state: AppState,
    settings: Settings,
    rotation: Rotation | None = None,
    pinned: Pinned | None = None,
) -> list[Route]:
    """One route per HTTP service; `rotation` (default: every instance) picks the upstreams."""
    serving = full_rotation(application, state) if rotation is None else rotation
    found = []
    for index, service in enumerate(http_services(application)):
        port = http_port(service)
        members = tuple(
            f"{host}:{port}"
            for n in sorted(serving.get(service.name, ()))
            for host in (pinned or {}).get(
                (service.name, n), [naming.instance_service(service.name, n)]
            )
        )
        hosts = (
            naming.http_host(application.name, service.name, settings.domain),
            *state.domains.get(service.name, []),
            *(PLAIN_HOSTS if index == 0 else ()),
        )
        found.append(Route(f"service_{service.name}", members, hosts))
    return found


def render_gateway_routes(
    application: Application,
    state: AppState,
    settings: Settings,
    rotation: Rotation | None = None,
    pinned: Pinned | None = None,
) -> File:
    text = render_template(
        "gateway/routes.conf.j2",
        app=application.name,
        public_port=state.gateway_port,
        routes=routes(application, state, settings, rotation, pinned),
    )
    return File(layout.GATEWAY_ROUTES, text)


def render_gateway_image(settings: Settings) -> list[File]:
    """The gateway's Dockerfile and nginx.conf (the same for every application)."""
    context = layout.GATEWAY_CONTEXT
    return [
        File(
            context / "Dockerfile",
            render_template("gateway/Dockerfile.j2", base_image=settings.base_image),
        ),
        File(context / "nginx.conf", render_template("gateway/nginx.conf")),
        *(
            File(context / name, render_template(f"gateway/{name}"), EXECUTABLE)
            for name in ("dotcloud-health", "dotcloud-routes", "dotcloud-gateway")
        ),
    ]


def render_gateway_context(
    application: Application, state: AppState, settings: Settings
) -> list[File]:
    return [*render_gateway_image(settings), render_gateway_routes(application, state, settings)]
