"""Development mode (`up --dev`): deploy with the code services running from the working tree,
then watch the tree in the foreground and apply each save: reload, restart or redeploy.

Leaving (Ctrl-C) stops the watching only: the application keeps running as it is, and the next
plain `up` rebuilds it and recreates its instances from their images, without the mounts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import watchfiles

from dotcloud_emulator.api import lifecycle
from dotcloud_emulator.api.connect import connect, settings
from dotcloud_emulator.api.devchanges import Changes, plan_changes, service_files
from dotcloud_emulator.api.devreload import Reloads
from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.engine import devmode
from dotcloud_emulator.engine.deploy import Deployment
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.render import layout
from dotcloud_emulator.render.contexts import approot
from dotcloud_emulator.render.devmode import runs_from_tree

SHOWN_FILES = 5  # of a batch of changed files, in the terminal
STOP_CHECK_MS = 500  # how often the watching looks at its stop event (a SIGTERM sets it)


def start(
    application: Application,
    port: int | None,
    timeout: float,
    progress: Progress,
    pip_date: str | None = None,
) -> Deployment:
    """Deploy the application with its code services running from the working tree."""
    check_tree(application)
    return lifecycle.up(application, port, timeout, progress, pip_date, dev=True)


def check_tree(application: Application) -> None:
    """Refuse a mount that would show an instance more than its approot: a symbolic link on the
    way to an approot (it may lead out of the application), or the state directory inside one
    (it holds every application's secrets)."""
    state_home = settings().state_home.resolve()
    for service in application.services:
        if not runs_from_tree(service):
            continue
        path = application.root
        for part in approot(service).parts:
            path = path / part
            if path.is_symlink():
                raise UsageError(
                    f'service {service.name}: approot "{approot(service)}" goes through the '
                    f"symbolic link {path}; development mode mounts the approot into the "
                    "instances and refuses links (replace it with the folder)"
                )
        folder = path.resolve()
        if state_home == folder or folder in state_home.parents:
            raise UsageError(
                f"{state_home}: the state directory is inside the approot of service "
                f"{service.name}, which development mode mounts into the instances; set "
                f"{naming.STATE_ENV_VAR} to a folder outside it"
            )


def watch(
    application: Application,
    progress: Progress,
    *,
    timeout: float,
    stop: threading.Event | None = None,
    on_watching: Callable[[], None] | None = None,
) -> None:
    """Apply every change to the tree until Ctrl-C (or `stop`). `on_watching` is called once the
    notifier is live, so a save made after it is never missed."""
    root = application.root
    ignored = [root / ".dotcloud", root / layout.COMPOSE_FILE, settings().state_home]
    watch_filter = watchfiles.DefaultFilter(ignore_paths=[str(path) for path in ignored])
    # Its "KeyboardInterrupt caught" warning would follow every Ctrl-C; the CLI says it better.
    logging.getLogger("watchfiles").setLevel(logging.ERROR)
    reloads = Reloads(progress)
    watching = False
    try:
        # The notifier is made when the generator first runs; its first yield (a timeout's empty
        # batch, or the changes made since) says it is live.
        for batch in watchfiles.watch(
            root,
            watch_filter=watch_filter,
            stop_event=stop,
            raise_interrupt=False,
            rust_timeout=STOP_CHECK_MS,
            yield_on_timeout=True,
        ):
            if not watching:
                watching = True
                if on_watching is not None:
                    on_watching()
            if not batch:
                continue
            changes = plan_changes(application, changed_paths(batch))
            if changes.empty:
                continue
            try:
                application = apply(application, changes, reloads, timeout)
            except UserError as exc:  # an instance gone, Docker refusing: say so, keep watching
                progress.announce(f"Could not apply the change: {exc.message}")
    except KeyboardInterrupt:
        return
    reloads.join()


def changed_paths(batch: set[tuple[watchfiles.Change, str]]) -> list[Path]:
    """The paths of a batch, without an editor's temporary files (added, then gone)."""
    added = {path for change, path in batch if change == watchfiles.Change.added}
    return [Path(p) for p in {path for _, path in batch} if p not in added or Path(p).exists()]


def apply(
    application: Application, changes: Changes, reloads: Reloads, timeout: float
) -> Application:
    """Carry out one batch of changes; returns the application as the build file now says."""
    progress = reloads.progress
    more = " ..." if len(changes.files) > SHOWN_FILES else ""
    progress.announce(f"Changed: {', '.join(changes.files[:SHOWN_FILES])}{more}")
    if changes.redeploy:
        return redeploy(application, progress, timeout)
    client = connect()
    for service in changes.reload:
        reloads.reload(client, application.name, service, applied(application, service, changes))
    for service in changes.restart:
        restart_service(client, application, service, changes, progress)
    return application


def applied(application: Application, service: str, changes: Changes) -> str:
    """What the terminal says was applied to a service: its changed files, or "the change"."""
    files = service_files(application, service, changes.files)
    more = " ..." if len(files) > SHOWN_FILES else ""
    return f"{', '.join(files[:SHOWN_FILES])}{more}" if files else "the change"


def redeploy(application: Application, progress: Progress, timeout: float) -> Application:
    """Load the build file again and deploy it (a build, then the changed instances); a broken
    build file or a failed build is reported, and the watching goes on."""
    started = time.monotonic()
    try:
        application = load_application(application.root, application.name).application
        lifecycle.up(application, None, timeout, progress, dev=True)
    except UserError as exc:
        progress.announce(f"Redeploy failed (fix it and save again): {exc.message}")
        return application
    progress.announce(f"Redeployed in {time.monotonic() - started:.1f} s")
    return application


def restart_service(
    client: object, application: Application, service: str, changes: Changes, progress: Progress
) -> None:
    started = time.monotonic()
    outcomes = devmode.restart_programs(client, application.name, service)
    for outcome in outcomes:
        verdict = "programs restarted" if outcome.ok else "a program failed to restart"
        progress.event(outcome.instance, verdict)
        if not outcome.ok:
            for line in outcome.output.splitlines():
                progress.event(outcome.instance, f"  {line}")
    if outcomes and all(outcome.ok for outcome in outcomes):
        what = applied(application, service, changes)
        progress.step(f"{service}: {what} applied in {time.monotonic() - started:.1f} s")
