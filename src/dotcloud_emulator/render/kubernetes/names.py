"""Names in a Kubernetes export: every object, label and host a DNS-1123 label.

dotCloud names may hold `_` (`my_db`), which no Kubernetes object name, DNS name or Ingress host
may. `_` becomes `-` (a dotCloud name has no `-`, so two services cannot meet), and an underscore
at either end is dropped. The platform's own spelling stays in the environment
(`DOTCLOUD_SERVICE_NAME`) and in an annotation on each object.
"""

from __future__ import annotations

import re

from dotcloud_emulator import names
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming

DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
LABEL_NAME = "app.kubernetes.io/name"
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "dotcloud-emulator"
ANNOTATION_SERVICE = "dotcloud.io/service"  # the platform's spelling of the service's name
ANNOTATION_APP = "dotcloud.io/application"


def dns_label(name: str) -> str:
    """`my_db` -> `my-db`; a name that cannot become a label is refused, naming it."""
    label = name.replace("_", "-").strip("-")
    if DNS_LABEL.fullmatch(label) is None:
        raise UsageError(
            f"{names.printable(name)} cannot be written as a Kubernetes name (a DNS-1123 label: "
            "lowercase letters, digits and '-'); rename it in dotcloud.yml"
        )
    return label


def check_distinct(application: Application) -> None:
    """Two services that map to one label would share their objects: refuse the export."""
    seen: dict[str, str] = {}
    for service in application.services:
        label = dns_label(service.name)
        if label in seen:
            raise UsageError(
                f"services {names.printable(seen[label])} and {names.printable(service.name)} "
                f"would both be named {label} in Kubernetes; rename one in dotcloud.yml"
            )
        seen[label] = service.name


def namespace(app: str) -> str:
    return dns_label(naming.compose_project(app))


def pod_name(service: str, instance: int) -> str:
    """A StatefulSet's pods are `<name>-<ordinal>`: `www-0`, the Compose spelling too."""
    return naming.instance_service(dns_label(service), instance)


def environment_secret(service: str) -> str:
    return f"{dns_label(service)}-environment"


# What the environment hands out, as cluster DNS answers it inside the application's namespace.


def data_host(service: str, instance: int) -> str:
    """The headless Service answers with its ready pod; other instances by their pod names."""
    label = dns_label(service)
    return label if instance == 0 else f"{pod_name(service, instance)}.{label}"


def instance_host(service: str, instance: int) -> str:
    """One pod of a StatefulSet, through its headless Service: `www-0.www`."""
    return f"{pod_name(service, instance)}.{dns_label(service)}"


def http_host(app: str, service: str, domain: str) -> str:
    return naming.http_host(dns_label(app), dns_label(service), domain)
