"""The `stack deploy` pipeline: generate and build as `up` does, tag (and push), render the stack
file, `docker stack deploy`, wait until every service runs its replicas of the new definition.

Swarm carries out the rollout itself (`update_config`: start the new replica, wait for its
healthcheck, stop an old one), so the plan/executor rollout of the Compose engine is not used: the
stack file is the plan, rendered whole and diffed by Swarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import swarm_engine
from dotcloud_emulator.engine.context import DeployContext, Reporter
from dotcloud_emulator.engine.deploy import (
    Deployment,
    build,
    check_gateway_port,
    deployment_urls,
    regenerate,
    settle_era,
    suggest_pip_date,
)
from dotcloud_emulator.engine.endpoints import LOOPBACK
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render.files import write_files
from dotcloud_emulator.render.gateway import http_services
from dotcloud_emulator.render.swarm import (
    STACK_FILE,
    SWARM_DIR,
    StackImages,
    data_swarm_services,
    render_stack,
)


@dataclass(frozen=True)
class SwarmTarget:
    """Where the images come from: this engine, or a registry (`HOST:PORT[/PREFIX]`)."""

    registry: str | None = None


def deploy_stack(
    application: Application,
    state: AppState,
    settings: Settings,
    *,
    client: Any,
    port: int,
    reporter: Reporter,
    target: SwarmTarget,
    timeout: float = DEFAULT_TIMEOUT,
) -> Deployment:
    app = application.name
    swarm_engine.check_swarm_manager(client)
    swarm_engine.check_not_on_compose(client, app)
    if not (swarm_engine.is_deployed(client, app) and port == state.gateway_port):
        check_gateway_port(client, app, port)
    state.gateway_port = port
    state.appdir = str(application.root)
    settle_era(application, state, reporter)
    StateStore(settings.state_home).save(state)
    ctx = DeployContext.create(
        client, application, state, settings, reporter=reporter, timeout=timeout
    )
    regenerate(ctx, None)  # the build contexts, and every instance's environment files
    with suggest_pip_date(ctx):
        build(ctx)
    images = swarm_engine.tag_images(
        client, app, application.service_names, bool(http_services(application))
    )
    if target.registry:
        reporter.step(f"Pushing the images to {target.registry}...")
        images = swarm_engine.push_images(client, images, target.registry, reporter)
    apply_stack(ctx, images, from_registry=bool(target.registry))
    return Deployment(app, port, deployment_urls(application, state, settings, port))


def redeploy(
    application: Application,
    state: AppState,
    settings: Settings,
    *,
    client: Any,
    reporter: Reporter,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Apply a changed state (scale, variables, domains) to a deployed stack, without a build:
    the images stay those the services run."""
    ctx = DeployContext.create(
        client, application, state, settings, reporter=reporter, timeout=timeout
    )
    regenerate(ctx, None)
    images = current_images(client, application.name)
    missing = [name for name in application.service_names if name not in images.services]
    if missing:
        raise UserError(
            f"{application.name} has services the stack does not run yet ({', '.join(missing)}): "
            "run `stack deploy` to build and deploy them"
        )
    from_registry = any(
        not ref.startswith(naming.image_prefix(application.name))
        for ref in [*images.services.values(), images.gateway]
        if ref
    )
    apply_stack(ctx, images, from_registry=from_registry)


def apply_stack(ctx: DeployContext, images: StackImages, *, from_registry: bool) -> None:
    client, app = ctx.client, ctx.app
    files = render_stack(
        ctx.application, ctx.state, ctx.settings, images, swarm_engine.node_hostname(client)
    )
    app_dir = StateStore(ctx.settings.state_home).app_dir(app)
    write_files(app_dir, files, prune=(SWARM_DIR,))
    retired = swarm_engine.retire_data_services(
        client, app, data_swarm_services(ctx.application, ctx.state)
    )
    for name in retired:
        ctx.reporter.event(name, "removed (its volume is kept)")
    since = swarm_engine.swarm_now(client)
    ctx.reporter.step("Deploying the stack to Docker Swarm...")
    swarm_engine.deploy_stack(app_dir / STACK_FILE, app, ctx.reporter, from_registry=from_registry)
    swarm_engine.wait_until_deployed(
        client,
        app,
        ctx.reporter,
        since=since,
        gateway_url=gateway_url(ctx),
        timeout=ctx.timeout,
    )
    swarm_engine.prune_unused(client, app)
    ctx.reporter.step("Application fully deployed")


def gateway_url(ctx: DeployContext) -> str | None:
    if not http_services(ctx.application):
        return None
    return f"http://{LOOPBACK}:{ctx.state.gateway_port}/"


def current_images(client: Any, app: str) -> StackImages:
    """The image each deployed service runs, by its service label."""
    found: dict[str, str] = {}
    gateway = ""
    for service in swarm_engine.services(client, app):
        spec = service.attrs["Spec"]
        labels = spec.get("Labels") or {}
        image = str(spec["TaskTemplate"]["ContainerSpec"]["Image"]).split("@", 1)[0]
        if labels.get(naming.LABEL_ROLE) == naming.ROLE_GATEWAY:
            gateway = image
        else:
            found[labels.get(naming.LABEL_SERVICE, "")] = image
    return StackImages(services=found, gateway=gateway)


def stack_file(settings: Settings, app: str) -> Path:
    return StateStore(settings.state_home).app_dir(app) / STACK_FILE
