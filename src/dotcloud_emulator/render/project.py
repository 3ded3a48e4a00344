"""A whole project: the Compose file, every build context and the gateway; and writing it out.

`render_project` only looks at the disk to see which approots hold a requirements.txt.
`generate_project` writes the result through the one writer, and each instance's environment
files (the only place secrets go) through the state store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform.environment import (
    environment_files,
    instance_count,
    instance_environment,
)
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.compose import render_compose
from dotcloud_emulator.render.contexts import approot, render_build_context
from dotcloud_emulator.render.files import CodeSnapshot, Rendered, write_files
from dotcloud_emulator.render.gateway import http_services, render_gateway_context

# Where a user points tools at their CA bundle, most specific first.
CA_BUNDLE_VARIABLES = ("DOTCLOUD_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def render_project(
    application: Application, state: AppState, settings: Settings, ca_bundle: str
) -> list[Rendered]:
    items: list[Rendered] = [render_compose(application, state, settings)]
    for service in application.services:
        requirements = application.root / approot(service) / "requirements.txt"
        items.extend(
            render_build_context(
                application,
                service,
                settings,
                ca_bundle=ca_bundle,
                has_requirements_file=requirements.is_file(),
            )
        )
    if http_services(application):
        items.extend(render_gateway_context(application, state, settings))
    return items


def build_context_count(application: Application) -> int:
    return len(application.services) + (1 if http_services(application) else 0)


def generate_project(
    application: Application,
    state: AppState,
    settings: Settings,
    outdir: Path,
    ca_bundle: str,
) -> Path:
    """Write the project under `outdir` and each instance's environment; return the Compose file."""
    items = render_project(application, state, settings, ca_bundle)
    items = [_exclude_output(item, application.root, outdir) for item in items]
    write_files(outdir, items, prune=layout.GENERATED_ROOTS)
    write_environments(application, state, settings, StateStore(settings.state_home))
    return outdir / layout.COMPOSE_FILE


def write_environments(
    application: Application, state: AppState, settings: Settings, store: StateStore
) -> None:
    for service in application.services:
        for n in range(instance_count(service, state)):
            env = instance_environment(application, state, settings, service.name, n)
            store.write_instance_files(application.name, service.name, n, environment_files(env))


def _exclude_output(item: Rendered, root: Path, outdir: Path) -> Rendered:
    """Keep an output folder that sits inside the application out of its own code snapshot."""
    if not isinstance(item, CodeSnapshot):
        return item
    resolved_root, resolved_out = root.resolve(), outdir.resolve()
    if resolved_out == resolved_root or resolved_root not in resolved_out.parents:
        return item
    relative = PurePosixPath(resolved_out.relative_to(resolved_root).as_posix())
    return replace(item, exclude=(*item.exclude, f"/{relative}"))


def read_ca_bundle(environ: Mapping[str, str] | None = None) -> str:
    """The text of the CA bundle the user's tools trust, or "" when none is configured."""
    env = os.environ if environ is None else environ
    for variable in CA_BUNDLE_VARIABLES:
        path = env.get(variable)
        if not path:
            continue
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{variable}={path}: cannot read the CA bundle ({exc})") from exc
    return ""
