"""The URLs that reach an application's services from this machine."""

from __future__ import annotations

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import DataPort
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import is_http_service

LOOPBACK = "127.0.0.1"
PLAIN_HOST = "localhost"


def web_services(application: Application) -> list[Service]:
    return [service for service in application.services if is_http_service(service)]


def service_web_urls(
    application: Application, service: Service, domain: str, port: int, custom_domains: list[str]
) -> list[str]:
    """`http://www.tutorial.localhost:8080/`, the custom domains, and for the first web service the
    plain `http://localhost:8080/`."""
    if not is_http_service(service):
        return []
    hosts = [naming.http_host(application.name, service.name, domain), *custom_domains]
    first = web_services(application)[0]
    if service.name == first.name:
        hosts.append(PLAIN_HOST)
    return [naming.http_url(host, port) for host in hosts]


def data_url(port: DataPort, password: str, host_port: int) -> str:
    """`redis://root:PASSWORD@127.0.0.1:49153` for a data service's port published on loopback."""
    return f"{port.scheme}://{port.login}:{password}@{LOOPBACK}:{host_port}"
