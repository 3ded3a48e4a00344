"""One dotCloud service as Kubernetes objects: a headless Service and a StatefulSet.

Why a StatefulSet for code services too, and not a Deployment: a StatefulSet's pods have stable
ordinals (`www-0`, `www-1`), so each replica mounts its own instance's environment
(`DOTCLOUD_SERVICE_ID`, the `_<n>` variables of the others), is reachable under its own name
(`www-1.www`) and keeps its own `~/data` volume, as each Compose instance does. A Deployment's
pods have random names: nothing would tell a replica which instance it is.

The headless Service (no cluster IP) gives every service a name in DNS, ports or not: it answers
with the ready pods, so a name resolves once its instance passes its readiness check, and the
StatefulSet's pods get their own names under it.
"""

from __future__ import annotations

import math
from typing import Any

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.environment import custom_port_numbers
from dotcloud_emulator.render.gateway import http_port
from dotcloud_emulator.render.kubernetes import names as k8s

Mapping = dict[str, Any]

HEALTH_COMMAND = ["/usr/local/bin/dotcloud-health"]
PROBE_PERIOD = 5
PROBE_TIMEOUT = 10
LIVENESS_PERIOD = 30  # as Docker's healthcheck interval in the Compose file
LIVENESS_FAILURES = 3
# dotcloud-init gives postinstall this long before the instance gives up (code/dotcloud-init.j2).
POSTINSTALL_TIMEOUT = 600
# A data service's first start creates its database; slow volumes need more than the start period.
DATA_STARTUP_BUDGET = 300
DATA_STORAGE = "1Gi"
POD_NAME_VARIABLE = "KUBERNETES_POD_NAME"
ENVIRONMENT_VOLUME = "environment"
DATA_VOLUME = "data"
SECRET_FILE_MODE = 0o400
PROTOCOLS = {"http": "TCP", "tcp": "TCP", "udp": "UDP"}
ENVIRONMENT_FILES = ("environment.json", "environment.yml", "environment.yaml", "dotcloud_profile")

# Waits, for each HOST PORT pair in turn, until the name resolves and accepts a connection: a
# headless Service answers only once its instance passes its readiness check, so this is
# Compose's `condition: service_healthy`.
WAIT_SCRIPT = """\
while [ "$#" -ge 2 ]; do
    host=$1 port=$2 tries=0
    shift 2
    until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
        if [ $((tries % 15)) -eq 0 ]; then echo "waiting for $host:$port to be ready"; fi
        tries=$((tries + 1))
        sleep 2
    done
    echo "$host:$port is ready"
done
"""
WAIT_CONTAINER = "wait-for-data"


def selector(application: Application, service: Service) -> Mapping:
    return {
        k8s.LABEL_NAME: k8s.dns_label(service.name),
        k8s.LABEL_PART_OF: k8s.dns_label(application.name),
    }


def labels(application: Application, service: Service) -> Mapping:
    component = "data" if catalogue.is_data(service) else "code"
    return {
        **selector(application, service),
        k8s.LABEL_COMPONENT: component,
        k8s.LABEL_MANAGED_BY: k8s.MANAGER,
    }


def metadata(application: Application, service: Service) -> Mapping:
    return {
        "name": k8s.dns_label(service.name),
        "labels": labels(application, service),
        "annotations": {
            k8s.ANNOTATION_APP: application.name,
            k8s.ANNOTATION_SERVICE: service.name,
        },
    }


def container_ports(service: Service) -> list[Mapping]:
    """Every port an instance listens on, named so Services and the Ingress refer to them."""
    data_ports = catalogue.data_ports(service.type)
    if data_ports:
        return [_port(port.name, port.port, "TCP") for port in data_ports]
    ports = []
    if catalogue.serves_http(service.type):
        ports.append(_port("http", http_port(service), "TCP"))
    for name, number in custom_port_numbers(service).items():
        protocol = service.ports[name]
        routed = protocol == "http" and number == http_port(service)
        if routed and catalogue.serves_http(service.type):
            continue  # the type's own HTTP port, named `http` above (a nodejs `www: http`)
        name = "http" if routed else f"{protocol}-{number}"
        ports.append(_port(name, number, PROTOCOLS[protocol]))
    return ports


def _port(name: str, number: int, protocol: str) -> Mapping:
    return {"name": name, "containerPort": number, "protocol": protocol}


def render_service(application: Application, service: Service) -> Mapping:
    spec: Mapping = {"clusterIP": "None", "selector": selector(application, service)}
    ports = [
        {"name": p["name"], "port": p["containerPort"], "protocol": p["protocol"]}
        for p in container_ports(service)
    ]
    if ports:
        spec["ports"] = ports
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(application, service),
        "spec": spec,
    }


def render_statefulset(
    application: Application, service: Service, replicas: int, image: str
) -> Mapping:
    name = k8s.dns_label(service.name)
    pod_spec: Mapping = {
        # Kubernetes' Docker-link variables (SESSION_PORT=tcp://…) are no part of the contract.
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,  # the application never talks to the API server
        "terminationGracePeriodSeconds": naming.STOP_TIMEOUT,
    }
    waits = _wait_containers(application, service, image)
    if waits:
        pod_spec["initContainers"] = waits
    pod_spec["containers"] = [_main_container(service, image)]
    pod_spec["volumes"] = [_environment_volume(service, replicas)]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(application, service),
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "selector": {"matchLabels": selector(application, service)},
            "template": {
                "metadata": {
                    "labels": labels(application, service),
                    "annotations": metadata(application, service)["annotations"],
                },
                "spec": pod_spec,
            },
            "volumeClaimTemplates": [_data_claim(application, service)],
        },
    }


def _main_container(service: Service, image: str) -> Mapping:
    container: Mapping = {
        "name": k8s.dns_label(service.name),
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        # The image's entrypoint (dotcloud-init) installs the environment, runs postinstall, then
        # drops to `dotcloud`: it starts as root, as in the Compose run.
        "env": [
            {"name": POD_NAME_VARIABLE, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
        ],
    }
    ports = container_ports(service)
    if ports:
        container["ports"] = ports
    container.update(_probes(service))
    container["volumeMounts"] = [
        {
            "name": ENVIRONMENT_VOLUME,
            "mountPath": naming.INSTANCE_MOUNT,
            # Each pod mounts the folder of its own instance: www-1 reads www-1/environment.json.
            "subPathExpr": f"$({POD_NAME_VARIABLE})",
            "readOnly": True,
        },
        {"name": DATA_VOLUME, "mountPath": f"{naming.HOME}/data"},
    ]
    return container


def _probes(service: Service) -> Mapping:
    """The platform's readiness check (the script the Compose healthcheck runs) decides when an
    instance gets traffic, and, once started, whether it still lives."""
    start = catalogue.start_period(service)
    budget = DATA_STARTUP_BUDGET if catalogue.is_data(service) else POSTINSTALL_TIMEOUT + start
    check = {"exec": {"command": HEALTH_COMMAND}, "timeoutSeconds": PROBE_TIMEOUT}
    return {
        "startupProbe": {
            **check,
            "periodSeconds": PROBE_PERIOD,
            "failureThreshold": math.ceil(budget / PROBE_PERIOD),
        },
        "readinessProbe": {**check, "periodSeconds": PROBE_PERIOD, "failureThreshold": 2},
        "livenessProbe": {
            **check,
            "periodSeconds": LIVENESS_PERIOD,
            "failureThreshold": LIVENESS_FAILURES,
        },
    }


def _wait_containers(application: Application, service: Service, image: str) -> list[Mapping]:
    """Code instances start once every data service answers, as `up` orders them."""
    if catalogue.is_data(service):
        return []
    targets = []
    for other in application.services:
        data_port = catalogue.data_port(other.type)
        if data_port is not None:
            targets += [k8s.data_host(other.name, 0), str(data_port.port)]
    if not targets:
        return []
    return [
        {
            "name": WAIT_CONTAINER,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["/bin/bash", "-c", WAIT_SCRIPT, WAIT_CONTAINER, *targets],
            "securityContext": {
                "runAsUser": naming.DOTCLOUD_UID,
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
            },
        }
    ]


def secret_key(service: str, instance: int, filename: str) -> str:
    return f"{k8s.pod_name(service, instance)}.{filename}"


def _environment_volume(service: Service, replicas: int) -> Mapping:
    items = [
        {
            "key": secret_key(service.name, n, filename),
            "path": f"{k8s.pod_name(service.name, n)}/{filename}",
        }
        for n in range(replicas)
        for filename in ENVIRONMENT_FILES
    ]
    return {
        "name": ENVIRONMENT_VOLUME,
        "secret": {
            "secretName": k8s.environment_secret(service.name),
            "defaultMode": SECRET_FILE_MODE,
            "items": items,
        },
    }


def _data_claim(application: Application, service: Service) -> Mapping:
    """Every instance keeps its own `~/data`, as each Compose instance has its own volume."""
    return {
        "metadata": {"name": DATA_VOLUME, "labels": labels(application, service)},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": DATA_STORAGE}},
        },
    }
