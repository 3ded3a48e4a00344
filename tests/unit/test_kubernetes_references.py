"""What the schemas do not check in a Kubernetes export: names, and that every reference
(selector, Secret, claim, Service, port, ServiceAccount, ConfigMap) finds what it names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.render.files import File
from tests.unit.kubernetes_support import (
    EXAMPLES,
    assorted,
    example,
    example_state,
    kustomization,
    objects,
    of_kind,
    render,
)

DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-.]{0,251}[a-z0-9])?")
PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9](?:[a-z0-9-]{0,13}[a-z0-9])?")


def exports() -> list[tuple[str, list[File]]]:
    """Both examples as they are, and scaled (www and web to 3 instances), and ASSORTED."""
    cases = [("assorted", assorted())]
    for name in sorted(EXAMPLES):
        application = example(name)
        cases.append((name, render(application)))
        scale = {
            service.name: 3 for service in application.services if service.name in ("www", "web")
        }
        cases.append(
            (f"{name}-scaled", render(application, example_state(application, scale=scale)))
        )
    return cases


EXPORTS = exports()
IDS = [name for name, _ in EXPORTS]


def pod_specs(files: list[File]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(StatefulSet, its pod spec) for every workload."""
    return [(sts, sts["spec"]["template"]["spec"]) for sts in of_kind(files, "StatefulSet")]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_selector_matches_its_pod_template_labels(name: str, files: list[File]) -> None:
    for sts in of_kind(files, "StatefulSet"):
        selector = sts["spec"]["selector"]["matchLabels"]
        labels = sts["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), sts["metadata"]["name"]


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_service_selects_exactly_its_own_statefulset(name: str, files: list[File]) -> None:
    workloads = of_kind(files, "StatefulSet")
    for service in of_kind(files, "Service"):
        selected = [
            sts["metadata"]["name"]
            for sts in workloads
            if service["spec"]["selector"].items()
            <= sts["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert selected == [service["metadata"]["name"]]


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_statefulset_is_governed_by_a_headless_service(name: str, files: list[File]) -> None:
    services = {svc["metadata"]["name"]: svc for svc in of_kind(files, "Service")}
    for sts in of_kind(files, "StatefulSet"):
        governing = services[sts["spec"]["serviceName"]]
        assert governing["spec"]["clusterIP"] == "None"


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_referenced_secret_and_key_is_generated(name: str, files: list[File]) -> None:
    generated = {
        generator["name"]: {entry.split("=", 1)[0] for entry in generator["files"]}
        for generator in kustomization(files)["secretGenerator"]
    }
    sources = {
        entry.split("=", 1)[1]
        for generator in kustomization(files)["secretGenerator"]
        for entry in generator["files"]
    }
    rendered = {file.path.as_posix() for file in files}
    assert sources <= rendered, "a secretGenerator reads a file the export does not write"
    referenced = 0
    for _, pod in pod_specs(files):
        for volume in pod["volumes"]:
            secret = volume.get("secret")
            if secret is None:
                continue
            referenced += 1
            assert secret["secretName"] in generated
            keys = {item["key"] for item in secret["items"]}
            assert keys <= generated[secret["secretName"]]
    assert referenced == len(of_kind(files, "StatefulSet"))


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_mount_names_a_volume_or_a_claim(name: str, files: list[File]) -> None:
    for sts, pod in pod_specs(files):
        volumes = {volume["name"] for volume in pod["volumes"]}
        claims = {claim["metadata"]["name"] for claim in sts["spec"]["volumeClaimTemplates"]}
        for container in containers(pod):
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes | claims, (sts["metadata"]["name"], mount)
        for volume in pod["volumes"]:
            claim = volume.get("persistentVolumeClaim")
            assert claim is None, "claims come from volumeClaimTemplates only"


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_no_configmap_or_service_account_is_referenced(name: str, files: list[File]) -> None:
    """The export makes none: a reference to one would name something that does not exist."""
    for _, pod in pod_specs(files):
        assert "serviceAccountName" not in pod
        assert all("configMap" not in volume for volume in pod["volumes"])
        for container in containers(pod):
            assert "envFrom" not in container
            for variable in container.get("env", []):
                source = variable.get("valueFrom", {})
                assert set(source) <= {"fieldRef"}, variable


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_ingress_backend_is_a_service_port(name: str, files: list[File]) -> None:
    ports = {
        svc["metadata"]["name"]: {port["name"] for port in svc["spec"].get("ports", [])}
        for svc in of_kind(files, "Service")
    }
    backends = [
        path["backend"]["service"]
        for ingress in of_kind(files, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends
    for backend in backends:
        assert backend["port"]["name"] in ports[backend["name"]]


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_name_is_dns_1123(name: str, files: list[File]) -> None:
    for obj in objects(files):
        assert DNS_LABEL.fullmatch(obj["metadata"]["name"]), obj["metadata"]["name"]
    for sts, pod in pod_specs(files):
        replicas = sts["spec"]["replicas"]
        # The last pod's name, and the hash label the controller adds, stay within a label.
        assert len(f"{sts['metadata']['name']}-{replicas - 1}") <= 63
        for container in containers(pod):
            assert DNS_LABEL.fullmatch(container["name"])
            for port in container.get("ports", []):
                assert PORT_NAME.fullmatch(port["name"]), port
    for ingress in of_kind(files, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            assert DNS_SUBDOMAIN.fullmatch(rule["host"])
            assert ".." not in rule["host"]
    for generator in kustomization(files)["secretGenerator"]:
        assert DNS_LABEL.fullmatch(generator["name"])


@pytest.mark.parametrize(("name", "files"), EXPORTS, ids=IDS)
def test_every_instance_has_its_environment(name: str, files: list[File]) -> None:
    for sts, pod in pod_specs(files):
        paths = {item["path"] for item in pod["volumes"][0]["secret"]["items"]}
        for ordinal in range(sts["spec"]["replicas"]):
            assert f"{sts['metadata']['name']}-{ordinal}/environment.json" in paths


def test_the_assorted_ports_are_named_and_routed() -> None:
    files = assorted()
    ports = {
        svc["metadata"]["name"]: [
            (p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]
        ]
        for svc in of_kind(files, "Service")
    }
    assert ports["front-end"] == [
        ("http", 8080, "TCP"),
        ("tcp-42800", 42800, "TCP"),
        ("udp-42801", 42801, "UDP"),
    ]
    assert ports["api-worker"] == [("http", 42800, "TCP"), ("http-42801", 42801, "TCP")]
    assert ports["my-db"] == [("sql", 5432, "TCP")]
    (ingress,) = of_kind(files, "Ingress")
    routed = {
        rule["host"]: rule["http"]["paths"][0]["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
    }
    assert routed == {
        "front-end.assorted-app.apps.example.com": "front-end",
        "api-worker.assorted-app.apps.example.com": "api-worker",
    }


def test_an_application_without_http_gets_no_ingress(tmp_path: Path) -> None:
    (tmp_path / "dotcloud.yml").write_text(
        "worker:\n  type: python-worker\n  process: python w.py\nq:\n  type: redis\n",
        encoding="utf-8",
    )
    application = load_application(tmp_path, "quiet").application
    files = render(application, example_state(application))
    assert not of_kind(files, "Ingress")
    assert "ingress.yaml" not in kustomization(files)["resources"]
