"""The `up` pipeline: check the port, generate, build, start, wait until every instance answers."""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.compose import (
    ComposeError,
    ComposeProject,
    build_argv,
    run_compose,
    up_argv,
)
from dotcloud_emulator.engine.endpoints import service_web_urls, web_services
from dotcloud_emulator.engine.lifecycle import stop_containers
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT, first_failure, wait_until_ready
from dotcloud_emulator.engine.rollout import (
    InstanceKey,
    Rollout,
    changed_environments,
    desired_instances,
    environment_texts,
    is_data_service,
    plan_rollout,
    revision_name,
)
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render.project import generate_project, read_ca_bundle

GATEWAY_HOST = "127.0.0.1"


class Reporter(Protocol):
    """Where deploy progress goes; the CLI decides how it looks."""

    def step(self, text: str) -> None: ...  # `---> Building the application...`

    def event(self, source: str, text: str) -> None: ...  # `[www.0] Waiting for ...`

    def activity(self, text: str) -> AbstractContextManager[None]: ...  # a spinner while it runs

    def detail(self, line: str) -> None: ...  # one line of a tool's output during an activity


class SilentReporter:
    def step(self, text: str) -> None:
        pass

    def event(self, source: str, text: str) -> None:
        pass

    def activity(self, text: str) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def detail(self, line: str) -> None:
        pass


@dataclass(frozen=True)
class Deployment:
    app: str
    port: int
    urls: Mapping[str, list[str]]  # web service -> its URLs, in build-file order

    @property
    def main_url(self) -> str | None:
        for urls in self.urls.values():
            return urls[0] if urls else None
        return None


def deploy(
    application: Application,
    state: AppState,
    settings: Settings,
    *,
    client: Any,
    port: int,
    reporter: Reporter | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> Deployment:
    """Build, then start the application, or replace a running one instance by instance."""
    report = reporter or SilentReporter()
    app = application.name
    check_gateway_port(client, app, port)
    state.gateway_port = port
    state.appdir = str(application.root)
    StateStore(settings.state_home).save(state)
    project, changed = regenerate(application, state, settings, environ)
    build(client, application, project, report)
    if is_live(client, app):
        report.step("Deploying code, one instance at a time...")
        stale = stale_code_instances(client, application)
        roll_out(
            client, application, state, settings, project, report, timeout,
            recreate=stale, restart=changed,
        )  # fmt: skip
    else:
        start_fresh(client, application, state, project, report, timeout)
    report.step("Application fully deployed")
    return Deployment(app, port, deployment_urls(application, state, settings, port))


def reconfigure(
    application: Application,
    state: AppState,
    settings: Settings,
    *,
    client: Any,
    reporter: Reporter | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Apply a changed state (variables, scale) to the running application, without a build.

    New instances start, instances whose environment changed restart one at a time, extra ones
    stop. Returns False, changing nothing in Docker, when the application is not running.
    """
    report = reporter or SilentReporter()
    project, changed = regenerate(application, state, settings, environ)
    if not is_live(client, application.name):
        return False
    roll_out(client, application, state, settings, project, report, timeout, restart=changed)
    return True


def regenerate(
    application: Application,
    state: AppState,
    settings: Settings,
    environ: Mapping[str, str] | None,
) -> tuple[ComposeProject, set[str]]:
    """Write the Compose project and every instance's environment again; returns the project
    and the instances (`www-0`) whose environment changed, which must restart to see it."""
    instances_dir = StateStore(settings.state_home).app_dir(application.name) / "instances"
    before = environment_texts(instances_dir)
    compose_file = generate_project(
        application, state, settings, application.root, read_ca_bundle(environ)
    )
    changed = changed_environments(before, environment_texts(instances_dir))
    project = ComposeProject.for_app(
        application.name, compose_file, settings.state_home, state.gateway_port
    )
    return project, changed


def is_live(client: Any, app: str) -> bool:
    """True when any service instance of the application runs (the gateway alone does not count)."""
    return any(instance.running for instance in inventory.instances(client, app))


def roll_out(
    client: Any,
    application: Application,
    state: AppState,
    settings: Settings,
    project: ComposeProject,
    report: Reporter,
    timeout: float,
    *,
    recreate: set[str] | None = None,
    restart: set[str] | None = None,
) -> None:
    """Recreate the code instances named in `recreate` (`www-0`: a new image), restart those in
    `restart` (a new environment), start missing instances and retire extra ones."""
    live = running_keys(client, application.name)
    desired = desired_instances(application, state)

    def named(names: set[str] | None) -> list[InstanceKey]:
        return [key for key in desired if naming.instance_service(*key) in (names or set())]

    existing = [(i.service, i.number) for i in inventory.instances(client, application.name)]
    plan = plan_rollout(
        application,
        desired,
        live,
        recreate=named(recreate),
        restart=named(restart),
        existing=existing,
    )
    rollout = Rollout.begin(
        client, application, state, settings, project, report,
        timeout=timeout, revision=revision_name(),
    )  # fmt: skip
    rollout.run(plan)


def stale_code_instances(client: Any, application: Application) -> set[str]:
    """Running code instances whose container was made from another image than the one just
    built: only they need replacing, so a push of unchanged code recreates nothing."""
    stale: set[str] = set()
    for instance in inventory.instances(client, application.name):
        if is_data_service(application, instance.service):
            continue
        built = client.images.get(naming.image(application.name, instance.service)).id
        if client.containers.get(instance.container_id).image.id != built:
            stale.add(naming.instance_service(instance.service, instance.number))
    return stale


def running_keys(client: Any, app: str) -> list[tuple[str, int]]:
    return [(i.service, i.number) for i in inventory.instances(client, app) if i.running]


def build(client: Any, application: Application, project: ComposeProject, report: Reporter) -> None:
    report.step("Building the application...")
    names = ", ".join(application.service_names)
    with report.activity(f"Building {names}"):
        run_compose(project, build_argv(project), on_line=report.detail)
    for service in application.services:
        size = image_size(client, naming.image(application.name, service.name))
        suffix = f". Compiled image size is {size}" if size else ""
        report.event(service.name, f"Build completed successfully{suffix}")
    report.step("Application build is done")


def start_fresh(
    client: Any,
    application: Application,
    state: AppState,
    project: ComposeProject,
    report: Reporter,
    timeout: float,
) -> None:
    """Start every container; on a failure, stop what it started."""
    try:
        start(client, application, state, project, report, timeout)
    except UserError:
        stop_containers(inventory.containers(client, application.name))
        raise


def start(
    client: Any,
    application: Application,
    state: AppState,
    project: ComposeProject,
    report: Reporter,
    timeout: float,
) -> None:
    """Start the services' instances, wait until they answer, then start the gateway.

    The gateway comes last, on its own: Compose would otherwise block on its `depends_on`
    until a broken instance's healthcheck start period ran out, while our own polling stops as
    soon as Supervisor gives up on a program.
    """
    report.step("Initializing services... (This may take a few minutes)")
    instances = [naming.instance_service(*key) for key in desired_instances(application, state)]
    compose_up(client, application, project, report, "Starting services", instances)
    services = {i.label: i.container_id for i in inventory.instances(client, application.name)}
    wait_for(client, application, report, services, timeout)
    if web_services(application):
        gateway_service = naming.GATEWAY_SERVICE
        compose_up(client, application, project, report, "Starting the gateway", [gateway_service])
        gateway = inventory.gateway(client, application.name)
        if gateway is not None:
            wait_for(client, application, report, {gateway.label: gateway.container_id}, timeout)


def compose_up(
    client: Any,
    application: Application,
    project: ComposeProject,
    report: Reporter,
    activity: str,
    services: list[str],
) -> None:
    with report.activity(activity):
        try:
            run_compose(project, up_argv(project, *services), on_line=report.detail)
        except ComposeError as exc:
            # Compose stops at a dependency's failed healthcheck; name it, with its logs.
            failure = first_failure(client, started_instances(client, application.name))
            if failure is not None:
                raise failure from exc
            raise


def wait_for(
    client: Any,
    application: Application,
    report: Reporter,
    waiting: dict[str, str],
    timeout: float,
) -> None:
    for label in waiting:
        report.event(label, "Waiting for the instance to become responsive...")
    with report.activity(f"Waiting for {', '.join(waiting)} to become responsive"):
        wait_until_ready(
            client,
            waiting,
            timeout=timeout,
            on_ready=lambda label: report.event(label, "Instance is up and responsive"),
        )


def started_instances(client: Any, app: str) -> dict[str, str]:
    """`{"www.0": container id}` for every container of the application, the gateway included."""
    found = inventory.instances(client, app, include_gateway=True)
    return {instance.label: instance.container_id for instance in found}


def image_size(client: Any, reference: str) -> str:
    try:
        size = int(client.images.get(reference).attrs.get("Size", 0))
    except Exception:  # the size only decorates the line
        return ""
    return human_size(size)


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1000:
            return f"{size:.0f}{unit}"
        size //= 1000
    return f"{size}GB"


def deployment_urls(
    application: Application, state: AppState, settings: Settings, port: int
) -> dict[str, list[str]]:
    return {
        service.name: service_web_urls(
            application, service, settings.domain, port, state.domains.get(service.name, [])
        )
        for service in web_services(application)
    }


def check_gateway_port(client: Any, app: str, port: int) -> None:
    """Refuse a port held by anything but this application's own gateway."""
    holders = inventory.holders_of_host_port(client, port)
    own = [h for h in holders if h.app == app and h.role == naming.ROLE_GATEWAY]
    others = [h for h in holders if h not in own]
    if others:
        raise port_in_use_error(port, f" (by application {others[0].app})")
    if not own and not port_is_free(port):
        raise port_in_use_error(port)


def port_in_use_error(port: int, holder: str = "") -> UserError:
    return UserError(
        f"port {port} is already in use on {GATEWAY_HOST}{holder}; pick another with --port"
    )


def port_is_free(port: int, host: str = GATEWAY_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise UserError(f"cannot check port {port} on {host}: {exc}") from exc
    return True
