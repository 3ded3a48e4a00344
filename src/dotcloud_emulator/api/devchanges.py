"""What a saved file means in development mode: decided from the build file alone, no Docker.

A change to the build file, or to what a build installs (`requirements*.txt`, `postinstall`),
redeploys; so does any change to a service whose code stays in its image. Otherwise a python
service reloads its uWSGI workers (its `static/` folder is served live by nginx and needs
nothing), a php service needs nothing (PHP reads its scripts at each request), a worker
restarts its programs, and the web server's own snippets (and php.ini) restart the instance's
programs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile import heroku
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.render.contexts import approot
from dotcloud_emulator.render.devmode import reloads_uwsgi, runs_from_tree

BUILD_FILE = "dotcloud.yml"
# Files of an approot the build or the start of an instance reads (the Dockerfile copies
# `requirements*.txt`; the entrypoint runs `postinstall`), and those a stack adds (nodejs:
# `package.json`): a change needs a new image.
BUILD_INPUTS = ("requirements*.txt", "postinstall")
# Files Supervisor or nginx read when they start, included from the approot.
SERVER_SNIPPETS = ("*nginx.conf", "*uwsgi.conf", "supervisord.conf")
LIVE_FOLDER = "static"  # nginx serves it from the mount


@dataclass
class Changes:
    redeploy: bool = False
    reload: list[str] = field(default_factory=list)  # services whose uWSGI workers reload
    restart: list[str] = field(default_factory=list)  # services whose programs restart
    files: list[str] = field(default_factory=list)  # what changed, relative to the application

    def add(self, service: str, action: str) -> None:
        listed = self.reload if action == "reload" else self.restart
        if service not in listed:
            listed.append(service)

    @property
    def empty(self) -> bool:
        return not (self.redeploy or self.reload or self.restart)


def plan_changes(application: Application, paths: Iterable[Path]) -> Changes:
    """What to do about the files at `paths` (absolute) having changed."""
    root = application.root.resolve()
    changes = Changes()
    for path in sorted(set(paths)):
        try:
            relative = PurePosixPath(path.resolve().relative_to(root).as_posix())
        except ValueError:
            continue  # outside the application
        changes.files.append(relative.as_posix())
        if relative.as_posix() in application_inputs(application):
            changes.redeploy = True
            continue
        for service in application.services:
            action = action_for(service, relative)
            if action == "redeploy":
                changes.redeploy = True
            elif action:
                changes.add(service.name, action)
    return changes


def application_inputs(application: Application) -> tuple[str, ...]:
    """The files every service is made from: dotcloud.yml, or a Procfile application's."""
    return heroku.INPUTS if application.is_procfile else (BUILD_FILE,)


def action_for(service: Service, relative: PurePosixPath) -> str:
    """ "redeploy", "reload", "restart" or "" for one service and one changed file."""
    root = approot(service)
    if catalogue.is_data(service) or not is_within(relative, root):
        return ""  # a push leaves data services alone too
    inside = relative.relative_to(root)
    stack = catalogue.stack_for(service)
    if not runs_from_tree(service) or matches(inside, (*BUILD_INPUTS, *stack.build_inputs)):
        return "redeploy"
    if matches(inside, (*SERVER_SNIPPETS, *stack.start_inputs)):
        return "restart"
    if inside.parts and inside.parts[0] == LIVE_FOLDER:
        return ""
    if reloads_uwsgi(service):
        return "reload"
    live = stack.live_code or catalogue.SERVICE_TYPES[service.type].kind == "static"
    return "" if live else "restart"


def service_files(application: Application, service: str, files: Iterable[str]) -> list[str]:
    """Of `files` (relative to the application), those in the service's approot, relative to it
    ("wsgi.py"), as the terminal names what a reload applied."""
    root = approot(application.service(service))
    return [
        PurePosixPath(name).relative_to(root).as_posix()
        for name in files
        if is_within(PurePosixPath(name), root) and PurePosixPath(name) != root
    ]


def is_within(path: PurePosixPath, folder: PurePosixPath) -> bool:
    return folder == PurePosixPath(".") or path == folder or folder in path.parents


def matches(inside: PurePosixPath, patterns: tuple[str, ...]) -> bool:
    """A file at the top of the approot whose name matches one of `patterns`."""
    return len(inside.parts) == 1 and any(fnmatch.fnmatch(inside.name, p) for p in patterns)
