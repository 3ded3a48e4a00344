"""Docker Swarm: `stack deploy`, `stack rm`, `images push`, and applying a changed state (scale,
variables) to a deployed stack. The commands call these; the engine modules do the Docker work.
"""

from __future__ import annotations

import re

from dotcloud_emulator import names
from dotcloud_emulator.api.connect import connect, require_application, settings, store
from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import swarm_engine
from dotcloud_emulator.engine.client import check_compose_available
from dotcloud_emulator.engine.context import Reporter
from dotcloud_emulator.engine.deploy import Deployment
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.engine.swarm_deploy import (
    SwarmTarget,
    deploy_stack,
    redeploy,
)
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.generate import check_output
from dotcloud_emulator.platform import naming
from dotcloud_emulator.render.gateway import http_services

__all__ = [
    "DEFAULT_TIMEOUT",
    "apply_to_stack",
    "deploy",
    "is_deployed",
    "parse_registry",
    "push_images",
    "remove",
]

# HOST[:PORT][/PREFIX]: a registry as Docker names it in an image reference.
REGISTRY = re.compile(
    r"(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<prefix>(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
)


def parse_registry(text: str) -> str:
    """`127.0.0.1:5000` or `registry.example.com/team`; a UsageError for anything else."""
    match = REGISTRY.fullmatch(text)
    if match is None or (match["port"] is not None and not 1 <= int(match["port"]) <= 65535):
        raise UsageError(
            f"{names.printable(text)} is not a registry: use HOST:PORT or HOST:PORT/PREFIX"
        )
    return text


def deploy(
    application: Application,
    port: int | None,
    timeout: float,
    progress: Progress,
    registry: str | None = None,
) -> Deployment:
    """Build the application's images, deploy them to the swarm and wait until they answer."""
    client = connect()
    check_compose_available()  # the images are built as `up` builds them
    config = settings()
    check_output(application, config, application.root)
    state = store().prepare(application)
    return deploy_stack(
        application,
        state,
        config,
        client=client,
        port=port or state.gateway_port,
        reporter=progress,
        target=SwarmTarget(registry),
        timeout=timeout,
    )


def remove(app: str) -> bool:
    """`docker stack rm`, keeping the data volumes; False when the application was not deployed."""
    return swarm_engine.remove_stack(connect(), app)


def is_deployed(app: str) -> bool:
    return swarm_engine.is_deployed(connect(), app)


def push_images(app: str, registry: str, progress: Progress) -> dict[str, str]:
    """Tag the application's built images with their content tags and push them to `registry`;
    service (and `gateway`) -> the pushed reference."""
    client = connect()
    application = require_application(app, client)
    images = swarm_engine.tag_images(
        client, app, application.service_names, bool(http_services(application))
    )
    pushed = swarm_engine.push_images(client, images, registry, progress)
    found = dict(pushed.services)
    if pushed.gateway:
        found[naming.GATEWAY_SERVICE] = pushed.gateway
    return found


def apply_to_stack(application: Application, progress: Reporter) -> None:
    """Roll a deployed stack onto the application's saved state (scale, variables, domains)."""
    client = connect()
    config = settings()
    state = store().prepare(application)
    redeploy(application, state, config, client=client, reporter=progress)
