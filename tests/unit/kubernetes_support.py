"""What the Kubernetes export tests share: the two examples rendered with known passwords."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.kubernetes import KubernetesOptions, render_kubernetes
from dotcloud_emulator.render.kubernetes.export import SECRETS_DIR

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "fixtures" / "k8s"
# The sample (app "tutorial") and examples/jobs, each with the folder it is loaded from.
EXAMPLES = {"tutorial": REPO, "jobs": REPO / "examples" / "jobs"}
DOMAIN = "apps.example.com"


def fake_password(service: str) -> str:
    return f"Secret{service.capitalize()}Pw0rd"


def example(name: str) -> Application:
    return load_application(EXAMPLES[name], name).application


def example_state(application: Application, **changes: Any) -> AppState:
    passwords = {
        service.name: fake_password(service.name)
        for service in application.services
        if catalogue.is_data(service)
    }
    return AppState(app=application.name, created_at=0.0, passwords=passwords, **changes)


def render(
    application: Application,
    state: AppState | None = None,
    registry: str | None = None,
    domain: str = DOMAIN,
) -> list[File]:
    return render_kubernetes(
        application,
        state or example_state(application),
        Settings(Path("/nonexistent-state-home")),
        KubernetesOptions(domain=domain, registry=registry),
    )


def manifests(files: list[File]) -> list[File]:
    """The files meant to be committed."""
    return [file for file in files if file.path.parts[0] != SECRETS_DIR.as_posix()]


def secrets(files: list[File]) -> dict[str, str]:
    return {
        file.path.as_posix(): file.content
        for file in files
        if file.path.parts[0] == SECRETS_DIR.as_posix()
    }


def objects(files: list[File]) -> Iterator[dict[str, Any]]:
    """Every Kubernetes object of the manifests (the kustomization is not one)."""
    for file in manifests(files):
        if file.path.suffix != ".yaml" or file.path.name == "kustomization.yaml":
            continue
        yield from (doc for doc in yaml.safe_load_all(file.content) if doc)


def kustomization(files: list[File]) -> Mapping[str, Any]:
    file = next(f for f in files if f.path.as_posix() == "kustomization.yaml")
    loaded: Mapping[str, Any] = yaml.safe_load(file.content)
    return loaded


def of_kind(files: list[File], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects(files) if obj["kind"] == kind]


def write(files: list[File], directory: Path) -> None:
    for file in files:
        path = directory / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.content, encoding="utf-8")


VALIDATE = [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet"]


def validate_strictly(
    files: list[File], directory: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """kubernetes-validate --strict on the export's resources, written under `directory`."""
    write(files, directory)
    resources = [
        str(directory / file.path)
        for file in files
        if file.path.suffix == ".yaml" and file.path.name != "kustomization.yaml"
    ]
    return subprocess.run(
        [*VALIDATE, *options, *resources], capture_output=True, text=True, check=False
    )


# Every kind of port and name the renderer handles, beside the examples.
ASSORTED = """\
front_end:
  type: python
  instances: 2
  ports:
    admin: tcp
    stats_udp: udp
api_worker:
  type: python-worker
  process: python -m api
  ports:
    web: http
    other_web: http
my_db:
  type: postgresql
cache:
  type: redis
maria:
  type: mysql
queue:
  type: rabbitmq
"""


def assorted() -> list[File]:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "dotcloud.yml").write_text(ASSORTED, encoding="utf-8")
        application = load_application(Path(folder), "assorted_app").application
        return render(application, example_state(application))
