"""The `up` pipeline: check the port, generate, build, start, wait until every instance answers."""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine import era, inventory
from dotcloud_emulator.engine.compose import build_argv, run_compose
from dotcloud_emulator.engine.compose_engine import ComposeEngine
from dotcloud_emulator.engine.context import DeployContext, Reporter, SilentReporter
from dotcloud_emulator.engine.endpoints import service_web_urls, web_services
from dotcloud_emulator.engine.executor import Executor
from dotcloud_emulator.engine.failover import note_masters_of
from dotcloud_emulator.engine.lifecycle import stop_containers
from dotcloud_emulator.engine.plan import (
    InstanceKey,
    desired_instances,
    plan_rollout,
    revision_name,
)
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.engine.rollout import Rollout
from dotcloud_emulator.engine.timetravel import (
    TimeTravelIndex,
    Upstream,
    exact_pins,
    parse_cutoff,
    pip_date_hint,
)
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.generate import ca_bundle_path, read_ca_bundle, write_project
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import PIP_TODAY, AppState, StateStore
from dotcloud_emulator.render.compose import LEGACY_DOWNLOADS_ARG
from dotcloud_emulator.render.contexts import base_images

__all__ = ["Deployment", "Reporter", "SilentReporter", "deploy", "is_live", "reconfigure"]

GATEWAY_HOST = "127.0.0.1"


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
    app = application.name
    check_gateway_port(client, app, port)
    state.gateway_port = port
    state.appdir = str(application.root)
    settle_era(application, state, reporter or SilentReporter(), environ)
    StateStore(settings.state_home).save(state)
    ctx = DeployContext.create(
        client, application, state, settings, reporter=reporter, timeout=timeout
    )
    changed = regenerate(ctx, environ)
    with suggest_pip_date(ctx):
        build(ctx, environ)
        engine = ComposeEngine(ctx)
        if is_live(client, app):
            ctx.reporter.step("Deploying code, one instance at a time...")
            roll_out(ctx, engine, recreate=engine.outdated(), restart=changed)
        else:
            start_fresh(ctx, engine)
        engine.keep_healing()
    ctx.reporter.step("Application fully deployed")
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
    ctx = DeployContext.create(
        client, application, state, settings, reporter=reporter, timeout=timeout
    )
    changed = regenerate(ctx, environ)
    if not is_live(client, application.name):
        return False
    roll_out(ctx, ComposeEngine(ctx), restart=changed)
    return True


def regenerate(ctx: DeployContext, environ: Mapping[str, str] | None) -> frozenset[InstanceKey]:
    """Write the Compose project and every instance's environment again; returns the instances
    whose environment changed, which must restart to see it. The master of each scaled service
    is read from Docker first: a failover may have moved it."""
    if note_masters_of(ctx.client, ctx.state):
        StateStore(ctx.settings.state_home).save(ctx.state)
    generated = write_project(
        ctx.application, ctx.state, ctx.settings, ctx.application.root, read_ca_bundle(environ)
    )
    return generated.changed_environments


def is_live(client: Any, app: str) -> bool:
    """True when any service instance of the application runs (the gateway alone does not count)."""
    return any(instance.running for instance in inventory.instances(client, app))


def roll_out(
    ctx: DeployContext,
    engine: Executor,
    *,
    recreate: Iterable[InstanceKey] = (),
    restart: Iterable[InstanceKey] = (),
) -> None:
    """Recreate the code instances in `recreate` (a new image), restart those in `restart` (a new
    environment), start missing instances and retire extra ones."""
    plan = plan_rollout(
        ctx.application,
        desired_instances(ctx.application, ctx.state),
        engine.running(),
        recreate=recreate,
        restart=restart,
        existing=engine.existing(),
    )
    Rollout.begin(ctx, engine, revision=revision_name()).run(plan)


def start_fresh(ctx: DeployContext, engine: Executor) -> None:
    """Start every instance, then the gateway once they answer; on a failure, stop what started.

    The gateway comes last, on its own: Compose would otherwise block on its `depends_on`
    until a broken instance's healthcheck start period ran out, while our own polling stops as
    soon as Supervisor gives up on a program.
    """
    ctx.reporter.step("Initializing services... (This may take a few minutes)")
    try:
        rollout = Rollout.begin(ctx, engine)
        rollout.first_start(desired_instances(ctx.application, ctx.state))
    except UserError:
        stop_containers(inventory.containers(ctx.client, ctx.app))
        raise


def settle_era(
    application: Application,
    state: AppState,
    reporter: Reporter,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Decide the date requirements resolve as of, before the build files are written (they
    depend on it), and say it in one line. An inferred era is kept in the state and inferred
    again only when what it came from changed."""
    if state.pip_date == PIP_TODAY:
        reporter.step("Resolving requirements as released today (--pip-date today)")
        return
    if state.pip_date:
        reporter.step(f"Resolving requirements as released before {state.pip_date} (--pip-date)")
        return
    if not era.pip_services(application):
        return
    key = era.era_key(application)
    if key != state.era_key or state.era_source is None:
        upstream = Upstream(era.environment_index(environ), ca_bundle_path(environ))
        found = era.infer(application, upstream)
        state.era_date = found.cutoff.isoformat() if found.cutoff else None
        state.era_source, state.era_key = found.source, key
    inferred = era.era_from_state(state.era_date, state.era_source)
    if inferred is not None:
        reporter.step(f"Resolving requirements as {inferred.describe()}")


@contextlib.contextmanager
def suggest_pip_date(ctx: DeployContext) -> Iterator[None]:
    """A Python 2 service that fails to build or start: the error ends with the date its
    requirements resolved as of, and how to choose another."""
    try:
        yield
    except UserError as exc:
        if not any(runs_python_2(s) for s in ctx.application.services):
            raise
        state = ctx.state
        if state.pip_date and state.pip_date != PIP_TODAY:
            raise
        if state.packages_before:
            hint = (
                f"Requirements resolved as released before {state.packages_before}, a date "
                f"inferred from the application ({state.era_source}); name the application's "
                "own date with `up --pip-date YYYY-MM-DD`, or use today's releases with "
                "`--pip-date today`."
            )
        else:
            hint = pip_date_hint()
        raise UserError(f"{exc.message}\n{hint}", exit_code=exc.exit_code) from exc


def runs_python_2(service: Service) -> bool:
    stack = catalogue.stack_for(service) if catalogue.runs_here(service.type) else None
    return stack is not None and stack.python is not None and stack.python.version.startswith("2")


@contextlib.contextmanager
def pip_index(ctx: DeployContext, environ: Mapping[str, str] | None) -> Iterator[dict[str, str]]:
    """With a date to resolve as of: a time-travel index for the build's pip, as `PIP_INDEX_URL`.

    A project whose versions of the time had to be guessed (`timetravel.Visible.guess`) is named
    after the build, with the guess."""
    before = ctx.state.packages_before
    if not before:
        yield {}
        return
    cutoff = parse_cutoff(before)
    upstream = era.environment_index(environ)
    cafile = ca_bundle_path(environ)
    pinned = exact_pins(era.requirement_lines(ctx.application))
    with TimeTravelIndex(cutoff, upstream=upstream, cafile=cafile, pinned=pinned) as index:
        try:
            yield {"PIP_INDEX_URL": index.url, LEGACY_DOWNLOADS_ARG: index.proxy_url}
        finally:
            for project, guess in sorted(index.guesses.items()):
                ctx.reporter.event("build", f"{project}: {guess}")


def check_base_images(ctx: DeployContext) -> None:
    """Every stack's base image must be in the engine: with no registry it cannot be pulled."""
    from docker.errors import ImageNotFound

    for image in base_images(ctx.application, ctx.settings):
        try:
            ctx.client.images.get(image)
        except ImageNotFound:
            raise UserError(
                f"the base image {image} is not in the Docker engine: make it with "
                f"`bash scripts/ensure-base-image.sh {image}` (or `make docker`)"
            ) from None


def build(ctx: DeployContext, environ: Mapping[str, str] | None = None) -> None:
    report, application = ctx.reporter, ctx.application
    check_base_images(ctx)
    report.step("Building the application...")
    names = ", ".join(application.service_names)
    with report.activity(f"Building {names}"), pip_index(ctx, environ) as index_env:
        run_compose(
            ctx.project, build_argv(ctx.project), on_line=report.detail, extra_env=index_env
        )
    for service in application.services:
        size = image_size(ctx.client, naming.image(application.name, service.name))
        suffix = f". Compiled image size is {size}" if size else ""
        report.event(service.name, f"Build completed successfully{suffix}")
    report.step("Application build is done")


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
