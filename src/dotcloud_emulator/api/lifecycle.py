"""Starting, stopping and removing applications, and listing what this machine holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dotcloud_emulator.api import stack
from dotcloud_emulator.api.connect import (
    connect,
    connect_if_up,
    find_application,
    require_application,
    settings,
    store,
)
from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import inventory, lifecycle, swarm_engine
from dotcloud_emulator.engine.client import check_compose_available
from dotcloud_emulator.engine.deploy import Deployment, deploy, is_live, reconfigure
from dotcloud_emulator.engine.failover import note_masters_of
from dotcloud_emulator.engine.readiness import DEFAULT_TIMEOUT
from dotcloud_emulator.engine.timetravel import parse_cutoff
from dotcloud_emulator.errors import NoSuchApplication, UserError
from dotcloud_emulator.generate import check_output
from dotcloud_emulator.platform.state import PIP_TODAY

# `--pip-date today` (or the older spelling "none"): today's releases, no era inferred.
PIP_DATE_OFF = frozenset({PIP_TODAY, "none"})

__all__ = ["DEFAULT_TIMEOUT", "Deployment", "apply_to_running", "destroy", "down", "up"]


def up(
    application: Application,
    port: int | None,
    timeout: float,
    progress: Progress,
    pip_date: str | None = None,
    *,
    dev: bool = False,
) -> Deployment:
    """Build and start the application, or roll a running one onto the new build.

    `pip_date` (`up --pip-date`): a date pip resolves requirements as of from now on, or "today"
    for today's releases; None keeps what the application had (at first: the era inferred from
    the application, `engine.era`). `dev`: the code
    services run from the working tree (`up --dev`); a plain `up` runs them from their images.
    """
    client = connect()
    check_not_on_swarm(client, application.name, "`stack deploy` pushes to it")
    check_compose_available()
    config = settings()
    check_output(application, config, application.root)  # before the state is written
    state = store().prepare(application)
    if pip_date is not None:
        state.pip_date = pip_date
        store().save(state)
    state.dev_mode = dev  # saved by deploy
    return deploy(
        application,
        state,
        config,
        client=client,
        port=port or state.gateway_port,
        reporter=progress,
        timeout=timeout,
    )


def parse_pip_date(text: str) -> str:
    """`--pip-date`'s value: a date as YYYY-MM-DD, or "today"; a UsageError names a bad one."""
    if text in PIP_DATE_OFF:
        return PIP_TODAY
    return parse_cutoff(text).date().isoformat()


def down(app: str) -> int:
    """Stop the application, keeping its data; how many containers were removed."""
    client = connect()
    check_not_on_swarm(client, app, f"`stack rm {app}` stops it")
    state_store = store()
    if state_store.exists(app):  # the next `up` gives each service's name to the same master
        state = state_store.load(app)
        if note_masters_of(client, state):
            state_store.save(state)
    return lifecycle.down(client, app).containers


def check_not_on_swarm(client: Any, app: str, instead: str) -> None:
    """Compose commands leave a Swarm deployment alone: Swarm would restart what they stop."""
    if swarm_engine.is_deployed(client, app):
        raise UserError(f"application {app} runs on Docker Swarm here: {instead}")


def destroy(app: str, service: str | None = None) -> None:
    """Remove the application (or one service) with its data, and forget its state."""
    client = connect()
    state_store = store()
    if service is None:
        # A Swarm deployment first: its services would otherwise start the containers again.
        swarm_engine.remove_everything(client, app)
        swarm_engine.untag_registry_images(client, app)
        lifecycle.destroy_app(client, app)
        state_store.destroy(app)
        return
    check_not_on_swarm(
        client, app, f"remove {service} from dotcloud.yml and `stack deploy`, or `destroy {app}`"
    )
    lifecycle.destroy_service(client, app, service)
    if state_store.exists(app):
        state = state_store.load(app)
        state.forget_service(service)
        state_store.save(state)


def apply_to_running(app: str, progress: Progress) -> bool:
    """Roll the running application onto its saved state (variables, scale): True when it ran.

    When Docker or the application is not running, the state waits for the next `up`.
    """
    client = connect_if_up()
    if client is None:
        return False
    if swarm_engine.is_deployed(client, app):
        stack.apply_to_stack(require_application(app, client), progress)
        return True
    if not is_live(client, app):
        return False
    application = find_application(app, client)
    if application is None:
        raise NoSuchApplication(app)
    check_compose_available()
    config = settings()
    state = store().prepare(application)
    return reconfigure(application, state, config, client=client, reporter=progress)


def applications() -> dict[str, list[dict[str, object]]]:
    """Every application with state here or containers in Docker, and its services."""
    client = connect()
    known = store()
    apps = sorted(set(known.apps()) | set(inventory.app_names(client)))
    return {app: services_of(client, app, known.load(app).service_created) for app in apps}


def services_of(client: Any, app: str, remembered: Iterable[str]) -> list[dict[str, object]]:
    found = inventory.instances(client, app)
    types = inventory.volume_types(client, app)
    types.update({i.service: i.type for i in found})
    names = sorted({i.service for i in found} | set(remembered))
    return [
        {
            "name": name,
            "type": types.get(name, ""),
            "instances": sum(1 for i in found if i.service == name),
            "running": sum(1 for i in found if i.service == name and i.running),
        }
        for name in names
    ]
