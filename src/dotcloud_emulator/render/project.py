"""A whole project: the Compose file, every build context and the gateway, as `File` objects.

Pure: what it needs from the disk (what each approot holds, the CA bundle) comes in
as arguments; `dotcloud_emulator.generate` reads it and writes the result.
"""

from __future__ import annotations

from collections.abc import Mapping

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import PIP_TODAY, AppState
from dotcloud_emulator.render.compose import render_compose
from dotcloud_emulator.render.contexts import ApprootFacts, render_build_context
from dotcloud_emulator.render.devmode import render_dev_files
from dotcloud_emulator.render.files import Rendered
from dotcloud_emulator.render.gateway import http_services, render_gateway_context
from dotcloud_emulator.render.healer import render_healer_context


def render_project(
    application: Application,
    state: AppState,
    settings: Settings,
    ca_bundle: str,
    approots: Mapping[str, ApprootFacts] | None = None,
) -> list[Rendered]:
    """Every file of the project; `approots`: what each service's approot holds on disk."""
    items: list[Rendered] = [render_compose(application, state, settings)]
    for service in application.services:
        items.extend(
            render_build_context(
                application,
                service,
                settings,
                ca_bundle=ca_bundle,
                approot_facts=(approots or {}).get(service.name),
                # npm's registry here dates every release by its re-publication, so npm gets
                # only a date the user named, never an inferred era (engine/era.py).
                packages_before=None if state.pip_date == PIP_TODAY else state.pip_date,
            )
        )
    if http_services(application):
        items.extend(render_gateway_context(application, state, settings))
    items.extend(render_healer_context(settings))
    if state.dev_mode:
        items.extend(render_dev_files(application))
    return items


def build_context_count(application: Application) -> int:
    return len(application.services) + (1 if http_services(application) else 0) + 1
