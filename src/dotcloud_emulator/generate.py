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

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile import heroku
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.envfiles import environment_files
from dotcloud_emulator.platform.environment import instance_count, instance_environment
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.contexts import ApprootFacts, approot
from dotcloud_emulator.render.files import CodeSnapshot, Rendered, check_no_symlink, write_files
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
    check_output(application, settings, outdir)
    items = render_project(application, state, settings, ca_bundle, approot_facts(application))
    kept_out = kept_out_of_snapshots(outdir, settings.state_home)
    items = [
        exclude_from_snapshot(item, application.root, kept_out, kept_secret(application))
        for item in items
    ]
    try:
        write_files(outdir, items, prune=layout.GENERATED_ROOTS)
        changed = write_environments(application, state, settings, StateStore(settings.state_home))
    except OSError as exc:
        raise UsageError(f"{exc.filename or outdir}: cannot write there ({exc.strerror})") from exc
    return GeneratedProject(outdir / layout.COMPOSE_FILE, frozenset(changed))


def check_output(application: Application, settings: Settings, outdir: Path) -> None:
    """Refuse, before anything is written, an output the writer could not keep to itself:
    a file in place of the folder, a link on the way into it, an approot or a state directory
    inside the folders it deletes and rewrites."""
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir}: not a directory; the output goes into a folder")
    if outdir.is_dir() and not os.access(outdir, os.W_OK | os.X_OK):
        raise UsageError(f"{outdir}: cannot write there (permission denied)")
    for folder in output_folders(application):
        check_no_symlink(outdir, folder)
    generated = [(outdir / root).resolve() for root in layout.GENERATED_ROOTS]
    check_state_home_apart(settings.state_home, generated)
    kept = [(root, "generate's output") for root in generated]
    check_approots_apart(
        application, [*kept, (settings.state_home.resolve(), "the state directory")]
    )


def check_state_home_apart(state_home: Path, generated: list[Path]) -> None:
    for root in generated:
        if is_within(state_home.resolve(), root):
            raise UsageError(
                f"{state_home}: the state directory is inside {root}, which generate deletes "
                f"and rewrites; set {naming.STATE_ENV_VAR} to a folder outside it"
            )


def check_approots_apart(application: Application, kept: list[tuple[Path, str]]) -> None:
    """No approot inside a folder no build context may hold: its snapshot would copy it."""
    for service in application.services:
        source = (application.root / approot(service)).resolve()
        for folder, what in kept:
            if is_within(source, folder):
                raise UsageError(
                    f'service {service.name}: approot "{approot(service)}" is inside {what} '
                    f"({folder}), which no build context may hold: choose another approot"
                )


def output_folders(application: Application) -> list[PurePosixPath]:
    """The folders of the output the writer goes into, known before rendering."""
    folders = [*layout.GENERATED_ROOTS, layout.GATEWAY_ROUTES_DIR]
    for service in application.services:
        context = layout.build_context(service.name)
        folders += [context / "code", context / "platform" / "shims"]
    return folders


def is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def kept_out_of_snapshots(outdir: Path, state_home: Path) -> list[Path]:
    """What no code snapshot may copy: the output (when it sits inside the application, the
    whole of it; its generated folders in any case) and the state directory, which holds every
    instance's secrets and would otherwise end up in image layers."""
    generated = [outdir / root for root in (*layout.GENERATED_ROOTS, layout.COMPOSE_FILE)]
    return [path.resolve() for path in (outdir, *generated, state_home)]


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
            has_package_json=(folder / "package.json").is_file(),
            file_requirements=file_requirements(service, folder),
            gemfile=read_small_text(folder / "Gemfile"),
        )
    return facts


def file_requirements(service: Service, folder: Path) -> tuple[str, ...]:
    """What the approot's requirements file of the service's stack lists (perl: Makefile.PL)."""
    if not catalogue.runs_here(service.type) or catalogue.is_data(service):
        return ()
    stack = catalogue.stack_for(service)
    path = folder / stack.requirements_file
    if not stack.requirements_file or stack.read_requirements is None or not path.is_file():
        return ()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(name for name, _, _ in stack.read_requirements(text))


def read_small_text(path: Path) -> str:
    """A file of the approot the build context depends on, "" when there is none."""
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        return ""


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


def kept_secret(application: Application) -> tuple[str, ...]:
    """Files of the tree whose values reach the instances' environment, never an image layer:
    a Procfile application's `.env` (kept out of Heroku's slugs by its .gitignore)."""
    return (f"/{heroku.DOTENV}",) if application.is_procfile else ()


def exclude_from_snapshot(
    item: Rendered, root: Path, kept_out: list[Path], patterns_too: tuple[str, ...] = ()
) -> Rendered:
    """A code snapshot that leaves out each of `kept_out` that lies inside the application,
    and what `patterns_too` matches."""
    if not isinstance(item, CodeSnapshot):
        return item
    resolved_root = root.resolve()
    patterns = [
        f"/{PurePosixPath(path.relative_to(resolved_root).as_posix())}"
        for path in kept_out
        if resolved_root in path.parents
    ]
    patterns.extend(patterns_too)
    new = [pattern for pattern in dict.fromkeys(patterns) if pattern not in item.exclude]
    return replace(item, exclude=(*item.exclude, *new)) if new else item


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
