"""The one writer of a generated project: what render/ returns goes to disk here.

`render/` turns the build file and the state into `File` objects without touching the disk; this
module gathers what they need from it (what each approot holds, the user's CA bundle), writes
the project under the output folder, and writes each instance's environment (the only place
secrets go) into the state directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform.envfiles import environment_files
from dotcloud_emulator.platform.environment import instance_count, instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.contexts import ApprootFacts, approot
from dotcloud_emulator.render.files import CodeSnapshot, Rendered, write_files
from dotcloud_emulator.render.project import render_project

# Where a user points tools at their CA bundle, most specific first.
CA_BUNDLE_VARIABLES = ("DOTCLOUD_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
# The file whose text tells whether an instance's environment changed since the last write.
ENVIRONMENT_FILE = "environment.json"

InstanceKey = tuple[str, int]  # ("www", 0)


@dataclass(frozen=True)
class GeneratedProject:
    compose_file: Path
    # Instances whose environment differs from what was written before (new ones included):
    # a running instance reads its environment when it starts, so these must restart.
    changed_environments: frozenset[InstanceKey]


def write_project(
    application: Application,
    state: AppState,
    settings: Settings,
    outdir: Path,
    ca_bundle: str,
) -> GeneratedProject:
    """Write the project under `outdir` and each instance's environment into the state directory."""
    items = render_project(application, state, settings, ca_bundle, approot_facts(application))
    items = [exclude_output(item, application.root, outdir) for item in items]
    write_files(outdir, items, prune=layout.GENERATED_ROOTS)
    changed = write_environments(application, state, settings, StateStore(settings.state_home))
    return GeneratedProject(outdir / layout.COMPOSE_FILE, frozenset(changed))


def generate_project(
    application: Application,
    state: AppState,
    settings: Settings,
    outdir: Path,
    ca_bundle: str,
) -> Path:
    """Write the project and the environments; return the Compose file."""
    return write_project(application, state, settings, outdir, ca_bundle).compose_file


def approot_facts(application: Application) -> dict[str, ApprootFacts]:
    """What each service's approot holds that its build context depends on."""
    facts = {}
    for service in application.services:
        folder = application.root / approot(service)
        facts[service.name] = ApprootFacts(
            has_requirements_file=(folder / "requirements.txt").is_file(),
            serves_static=(folder / "static").is_dir() and not defines_static_location(folder),
        )
    return facts


# `location /static`, `location /static/`, `location ^~ /static/`, ... in an nginx snippet.
STATIC_LOCATION = re.compile(r"^\s*location\s+(?:[=~^*]+\s*)?/static(?:/|\s|\{)", re.MULTILINE)


def defines_static_location(folder: Path) -> bool:
    """True when one of the approot's `*nginx.conf` snippets (which nginx includes in the
    server block) has its own /static location."""
    for snippet in sorted(folder.glob("*nginx.conf")):
        try:
            text = snippet.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if STATIC_LOCATION.search(text):
            return True
    return False


def write_environments(
    application: Application, state: AppState, settings: Settings, store: StateStore
) -> set[InstanceKey]:
    """Write every instance's environment files; return the instances whose environment changed."""
    changed: set[InstanceKey] = set()
    for service in application.services:
        for number in range(instance_count(service, state)):
            env = instance_environment(application, state, settings, service.name, number)
            files = environment_files(env)
            previous = store.instance_dir(application.name, service.name, number) / ENVIRONMENT_FILE
            if not previous.is_file() or previous.read_text("utf-8") != files[ENVIRONMENT_FILE]:
                changed.add((service.name, number))
            store.write_instance_files(application.name, service.name, number, files)
    return changed


def exclude_output(item: Rendered, root: Path, outdir: Path) -> Rendered:
    """Keep an output folder that sits inside the application out of its own code snapshot."""
    if not isinstance(item, CodeSnapshot):
        return item
    resolved_root, resolved_out = root.resolve(), outdir.resolve()
    if resolved_out == resolved_root or resolved_root not in resolved_out.parents:
        return item
    relative = PurePosixPath(resolved_out.relative_to(resolved_root).as_posix())
    return replace(item, exclude=(*item.exclude, f"/{relative}"))


def ca_bundle_setting(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, path) of the CA bundle the user's tools trust, or None when none is set."""
    env = os.environ if environ is None else environ
    for variable in CA_BUNDLE_VARIABLES:
        path = env.get(variable)
        if path:
            return variable, path
    return None


def ca_bundle_path(environ: Mapping[str, str] | None = None) -> str | None:
    setting = ca_bundle_setting(environ)
    return setting[1] if setting else None


def read_ca_bundle(environ: Mapping[str, str] | None = None) -> str:
    """The text of the CA bundle the user's tools trust, or "" when none is configured."""
    setting = ca_bundle_setting(environ)
    if setting is None:
        return ""
    variable, path = setting
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{variable}={path}: cannot read the CA bundle ({exc})") from exc
