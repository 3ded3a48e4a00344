"""Acting on running instances: their logs, a command inside one, restarting them."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from dotcloud_emulator.api.connect import (
    connect,
    docker_boundary,
    find_application,
    settings,
    store,
)
from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.engine import inventory, lifecycle
from dotcloud_emulator.engine.rollout import restart_instances
from dotcloud_emulator.errors import NoSuchInstance, NotRunning, UsageError, UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.target import Target

WORKDIR = f"{naming.HOME}/current"
USER = "dotcloud"

Instance = inventory.Instance


@dataclass(frozen=True)
class Selection:
    """The containers a target names, with the client that found them."""

    client: Any
    instances: list[Instance]


def select(
    target: Target, *, include_gateway: bool = False, whole_service: bool = False
) -> Selection:
    """The target's containers (running or not), or with `whole_service` those of its service;
    none at all means it is not running."""
    client = connect()
    number = None if whole_service else target.instance
    found = inventory.instances(
        client, target.app, target.service, number, include_gateway=include_gateway
    )
    if not found:
        raise NotRunning(target.text)
    return Selection(client, found)


# logs


def past_lines(selection: Selection, lines: int) -> list[str]:
    """Every instance's last lines, merged in time order, each prefixed `[www.0] `."""
    stamped: list[tuple[str, str]] = []
    for instance in selection.instances:
        with docker_boundary(instance.label):
            container = selection.client.containers.get(instance.container_id)
            raw = container.logs(tail=lines, timestamps=True)
        for entry in decode(raw).splitlines():
            stamp, _, text = entry.partition(" ")
            stamped.append((stamp, prefixed(instance, text)))
    return [text for _, text in sorted(stamped, key=lambda pair: pair[0])]


@dataclass(frozen=True)
class _Ended:
    instance: Instance
    error: BaseException | None = None


def follow(selection: Selection, lines: int, stop: threading.Event | None = None) -> Iterator[str]:
    """New lines of every instance as they come, until every stream has ended or `stop` is set.

    A stream ends when its container stops; when it was removed instead, that is an error
    naming the instance (the command was following something that is gone). Docker's streams
    are closed when the iteration ends, however it ends, so a follower that gives up (a closed
    dashboard page) does not keep them open.
    """
    output: queue.Queue[str | _Ended] = queue.Queue()
    streams: list[Any] = []
    try:
        for instance in selection.instances:
            with docker_boundary(instance.label):
                container = selection.client.containers.get(instance.container_id)
                streams.append(container.logs(stream=True, follow=True, tail=lines))
            pump_args = (instance, streams[-1], output)
            threading.Thread(target=_pump, args=pump_args, daemon=True).start()
        streaming = len(selection.instances)
        while streaming:
            item = _next_item(output, stop)
            if item is None:
                return
            if isinstance(item, str):
                yield item
                continue
            streaming -= 1
            _check_still_there(selection.client, item)
    finally:
        for stream in streams:
            _close(stream)


STOP_POLL = 0.5  # seconds between looks at `stop` while no line comes


def _next_item(
    output: queue.Queue[str | _Ended], stop: threading.Event | None
) -> str | _Ended | None:
    """The next line or end of a stream; None once `stop` is set."""
    while stop is None or not stop.is_set():
        try:
            return output.get(timeout=None if stop is None else STOP_POLL)
        except queue.Empty:
            continue
    return None


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # already closed, or its socket already gone
            close()


def _pump(instance: Instance, stream: Iterable[bytes], output: queue.Queue[str | _Ended]) -> None:
    try:
        for line in split_lines(stream):
            output.put(prefixed(instance, line))
    except Exception as exc:  # handed to the main thread, which reports it
        output.put(_Ended(instance, exc))
        return
    output.put(_Ended(instance))


def _check_still_there(client: Any, ended: _Ended) -> None:
    with docker_boundary(ended.instance.label):
        if ended.error is not None:
            raise ended.error
        client.containers.get(ended.instance.container_id)


def split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    pending = ""
    for chunk in chunks:
        pending += decode(chunk)
        *complete, pending = pending.split("\n")
        yield from complete
    if pending:
        yield pending


def prefixed(instance: Instance, text: str) -> str:
    return f"[{instance.label}] {text}"


def decode(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


# run


def pick_instance(selection: Selection, target: Target) -> Instance:
    """The one running instance `run` enters: APP.SVC when it has one, else APP.SVC.N."""
    found = selection.instances
    labels = [i.label for i in found]
    if target.instance is None and len(found) > 1:
        raise UsageError(
            f"{target.text} has several instances ({', '.join(labels)}): pick one, "
            f"e.g. {target.text}.0"
        )
    chosen = [i for i in found if target.instance is None or i.number == target.instance]
    if not chosen:
        raise NoSuchInstance(target.text, labels)
    if not chosen[0].running:
        raise NotRunning(f"{target.app}.{chosen[0].label}")
    return chosen[0]


def exec_argv(container: str, command: list[str], *, interactive: bool) -> list[str]:
    flags = ["-it"] if interactive else ["-i"]
    # Joined with spaces, not quoted, as `dotcloud run` did: one argument may be a whole pipeline.
    shell = ["bash", "-l", "-c", " ".join(command)] if command else ["bash", "-l"]
    return ["docker", "exec", *flags, "-u", USER, "-w", WORKDIR, container, *shell]


def run_in(instance: Instance, command: list[str], *, interactive: bool) -> int:
    """Run `command` (or a login shell) in the instance as dotcloud; its exit status."""
    argv = exec_argv(instance.container_name, command, interactive=interactive)
    try:
        return subprocess.run(argv, check=False).returncode
    except OSError as exc:
        raise UserError(f"cannot run `docker exec`: {exc}") from exc


# restart


def restart(
    selection: Selection, target: Target, progress: Progress, done: Callable[[int], None]
) -> None:
    """Restart the selected instances one at a time, each out of the gateway meanwhile; `done`
    hears each instance number once it answers again."""
    service = str(target.service)
    application = find_application(target.app, selection.client)
    for number in sorted(instance.number for instance in selection.instances):
        with docker_boundary(naming.instance_name(service, number)):
            if application is None:
                lifecycle.restart(selection.client, target.app, service, number)
            else:
                state = store().load(target.app)
                keys = [(service, number)]
                restart_instances(selection.client, application, state, settings(), keys, progress)
        done(number)


# mail


MAIL_COMMAND = "/usr/local/bin/mail"


def kept_mail(app: str, service: str) -> list[dict[str, object]]:
    """The messages an smtp service's relay kept (it sends none on), oldest first."""
    selection = select(Target(app, service, 0))
    instance = pick_instance(selection, Target(app, service, 0))
    if instance.type != "smtp":
        raise UsageError(f"{app}.{service} is a {instance.type} service: only smtp keeps mail")
    with docker_boundary(f"{app}.{instance.label}"):
        container = selection.client.containers.get(instance.container_id)
        result = container.exec_run([MAIL_COMMAND], user=USER)
    if result.exit_code != 0:
        raise UserError(
            f"{app}.{instance.label}: listing the kept mail failed: {decode(result.output)}"
        )
    listing = json.loads(decode(result.output))
    return [dict(message) for message in listing]
