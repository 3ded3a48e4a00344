"""Development mode (`up --dev`): how its Compose file and files differ from a plain `up`, as data.

A code service that can run from the working tree keeps the image a plain `up` builds; its
Compose service adds a read-only bind mount of the approot over the image's copy (what
`~/current` points to) and, for the python type, a uWSGI configuration that loads the
application through a small wrapper (a load error becomes a 500 page) and opens uWSGI's master
FIFO, through which the emulator reloads the workers when a file changes. Leaving development
mode is a plain `up`: the same images, Compose services without the mounts.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.catalogue import CONFIG_FILES_DIR, RUNTIME_DIR, SERVICE_TYPES
from dotcloud_emulator.platform import naming
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.contexts import approot, code_root, uwsgi_values
from dotcloud_emulator.render.files import File
from dotcloud_emulator.render.templating import render_template

DEV_MOUNT = f"{CONFIG_FILES_DIR}/dev"  # the service's development files, read-only
MASTER_FIFO = f"{RUNTIME_DIR}/uwsgi.fifo"
WRAPPER = "dotcloud_devmode.py"
# The emulator runs it in the instance to reload the workers and wait until each loaded the save.
RELOAD_SCRIPT = "dotcloud-dev-reload"
# Written by the instance: the generation of the last reload and what each worker loaded.
LOAD_STATE_DIR = f"{RUNTIME_DIR}/dev"
UWSGI_INI = "uwsgi.ini"

Mapping = dict[str, Any]


def runs_from_tree(service: Service) -> bool:
    """Python web and worker services, static sites and the stacks that say so (`from_tree`:
    nodejs) serve their approot as it is on disk.

    A service whose build writes into its code (prebuild, postbuild, a custom buildscript) keeps
    running from its image in development mode, and a change to its approot rebuilds it.
    """
    if not catalogue.runs_here(service.type) or catalogue.is_data(service):
        return False
    if service.prebuild or service.postbuild:
        return False
    stack = catalogue.stack_for(service)
    return (
        stack.python is not None or stack.from_tree or SERVICE_TYPES[service.type].kind == "static"
    )


def reloads_uwsgi(service: Service) -> bool:
    """uWSGI reloads its workers through the master FIFO, with the Python loading wrapper; a
    PSGI stack's (perl) save restarts its programs through Supervisor instead."""
    stack = catalogue.stack_for(service)
    return runs_from_tree(service) and stack.uwsgi is not None and stack.python is not None


def mounted_code(service: Service) -> PurePosixPath:
    """Where the image keeps the approot (`~/current` is a link to it): the mount's target."""
    return PurePosixPath(naming.HOME) / code_root(service)


def dev_volumes(service: Service) -> list[Mapping]:
    """The Compose volumes development mode adds to an instance of `service` (none when its code
    stays in the image). Sources are relative to the Compose file, in the application folder."""
    if not runs_from_tree(service):
        return []
    volumes = [_bind(f"./{approot(service).as_posix()}", mounted_code(service).as_posix())]
    if reloads_uwsgi(service):
        folder = f"./{layout.dev_folder(service.name).as_posix()}"
        volumes.append(_bind(folder, DEV_MOUNT))
        ini = catalogue.stack_for(service).config_files
        target = next(file.target for file in ini if file.name == UWSGI_INI)
        volumes.append(_bind(f"{folder}/{UWSGI_INI}", target))
    return volumes


def _bind(source: str, target: str) -> Mapping:
    return {"type": "bind", "source": source, "target": target, "read_only": True}


def render_dev_files(application: Application) -> list[File]:
    """`.dotcloud/dev/<svc>/`: uWSGI's development configuration, the loading wrapper and the
    reload script."""
    files: list[File] = []
    for service in application.services:
        if not reloads_uwsgi(service):
            continue
        folder = layout.dev_folder(service.name)
        uwsgi = catalogue.stack_for(service).uwsgi
        assert uwsgi is not None  # reloads_uwsgi
        ini = render_template(
            "code/uwsgi.ini.j2",
            app=application.name,
            service=service.name,
            uwsgi_plugin=uwsgi.plugin,
            dev=True,
            dev_mount=DEV_MOUNT,
            master_fifo=MASTER_FIFO,
            **uwsgi_values(service),
        )
        files.append(File(folder / UWSGI_INI, ini))
        wrapper = render_template(f"devmode/{WRAPPER}.j2", state_dir=LOAD_STATE_DIR)
        files.append(File(folder / WRAPPER, wrapper))
        script = render_template(
            f"devmode/{RELOAD_SCRIPT}.j2",
            app=application.name,
            service=service.name,
            master_fifo=MASTER_FIFO,
            state_dir=LOAD_STATE_DIR,
            processes=uwsgi_values(service)["processes"],
        )
        files.append(File(folder / RELOAD_SCRIPT, script))
    return files
