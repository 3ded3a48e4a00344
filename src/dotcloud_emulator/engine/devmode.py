"""Development mode's actions on running instances: reload uWSGI's workers (through the master
FIFO, with the reload script development mode mounts) and wait until each worker loaded the
save, restart Supervisor's programs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from dotcloud_emulator.catalogue.stacks import SUPERVISOR_CONF
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.causes import last_psgi_error, last_traceback
from dotcloud_emulator.engine.client import docker_errors
from dotcloud_emulator.engine.readiness import container_log_tail
from dotcloud_emulator.render.devmode import DEV_MOUNT, RELOAD_SCRIPT

RELOAD = ["sh", f"{DEV_MOUNT}/{RELOAD_SCRIPT}"]
# The reload script's exit codes for a wait that did not end with every worker loaded.
WAIT_TIMED_OUT = 3  # `timeout` stopped it
WAIT_SUPERSEDED = 4  # a later reload was asked for: its own wait takes over
KILL_AFTER = 5  # seconds after the bound, should the script not stop on SIGTERM
USER = "dotcloud"


@dataclass(frozen=True)
class Outcome:
    instance: str  # "www.0"
    ok: bool
    output: str


def running_instances(client: Any, app: str, service: str) -> list[inventory.Instance]:
    return [i for i in inventory.instances(client, app, service) if i.running]


def reload_workers(client: Any, instance: inventory.Instance) -> Outcome:
    """Ask the instance's uWSGI master to replace its workers: with `lazy-apps` each new worker
    imports the application again, while the master keeps the socket nginx talks to. The
    output of a success is the reload's generation, to wait for."""
    return _exec(client, instance, [*RELOAD, "reload"])


@dataclass(frozen=True)
class WorkerState:
    worker: int  # uWSGI's worker id, from 1
    generation: int  # of the last reload the worker had seen when it started loading
    status: str  # "loading", "loaded" or "failed"; "" when the worker recorded nothing yet
    error: str | None = None  # the traceback of a failed load
    summary: str | None = None  # its one line: "SyntaxError: invalid syntax (wsgi.py, line 12)"


@dataclass(frozen=True)
class Loaded:
    instance: str  # "www.0"
    complete: bool  # every worker loaded the generation (or failed to), within the time
    workers: tuple[WorkerState, ...]
    output: str = ""  # what the script said when it did not run as expected
    superseded: bool = False  # a later reload came before every worker had this one

    def behind(self, generation: int) -> list[WorkerState]:
        return [w for w in self.workers if w.generation < generation or w.status == "loading"]


def wait_for_workers(
    client: Any, instance: inventory.Instance, generation: int, timeout: int
) -> Loaded:
    """Until every worker of the instance has loaded `generation` or a later one (the tree as it
    was when it was written, or newer), or a later reload was asked for; the script replaces a
    worker that missed the reload."""
    bound = ["timeout", "--preserve-status", "-k", str(KILL_AFTER), str(timeout)]
    argv = [*bound, *RELOAD, "wait", str(generation)]
    with docker_errors(instance.label):
        result = client.containers.get(instance.container_id).exec_run(argv, user=USER)
    output = result.output.decode("utf-8", "replace")
    workers = parse_workers(output)
    if result.exit_code not in (0, WAIT_TIMED_OUT, WAIT_SUPERSEDED) or not workers:
        return Loaded(instance.label, False, workers, output.strip())
    superseded = result.exit_code == WAIT_SUPERSEDED
    return Loaded(instance.label, result.exit_code == 0, workers, superseded=superseded)


def parse_workers(output: str) -> tuple[WorkerState, ...]:
    """The reload script's "worker N" lines, each followed by the worker's record (the
    generation, status and pid, then a line of JSON), or by nothing yet."""
    workers: list[WorkerState] = []
    lines = output.splitlines()
    for index, line in enumerate(lines):
        words = line.split()
        if len(words) != 2 or words[0] != "worker" or not words[1].isdigit():
            continue
        record = lines[index + 1 : index + 3]
        workers.append(_worker_state(int(words[1]), record))
    return tuple(workers)


def _worker_state(worker: int, record: list[str]) -> WorkerState:
    fields = record[0].split() if record else []
    if len(fields) != 3 or not fields[0].isdigit():
        return WorkerState(worker, 0, "")
    details: dict[str, Any] = {}
    if len(record) > 1:
        try:
            details = dict(json.loads(record[1]))
        except (ValueError, TypeError):
            details = {}
    return WorkerState(
        worker, int(fields[0]), fields[1], details.get("error"), details.get("summary")
    )


def restart_programs(client: Any, app: str, service: str) -> list[Outcome]:
    """Restart every Supervisor program of each running instance (a worker's processes)."""
    argv = ["supervisorctl", "-c", SUPERVISOR_CONF.target, "restart", "all"]
    instances = running_instances(client, app, service)
    # All at once: each restart waits for its programs to settle (uWSGI's start seconds), so one
    # instance after another made a save take that long per instance.
    with ThreadPoolExecutor(max_workers=max(1, len(instances))) as pool:
        outcomes = list(pool.map(lambda instance: _exec(client, instance, argv), instances))
    return [
        outcome if outcome.ok else with_application_error(client, instance, outcome)
        for instance, outcome in zip(instances, outcomes, strict=True)
    ]


def with_application_error(client: Any, instance: inventory.Instance, outcome: Outcome) -> Outcome:
    """A failed restart with the application's own error from the instance's log (an app.psgi
    that died as uWSGI loaded the save, a Python traceback) after Supervisor's words."""
    with docker_errors(instance.label):
        lines = container_log_tail(client.containers.get(instance.container_id))
    error = last_psgi_error(lines) or last_traceback(lines)
    if not error:
        return outcome
    return replace(outcome, output="\n".join([outcome.output, *error]))


def _exec(client: Any, instance: inventory.Instance, argv: list[str]) -> Outcome:
    with docker_errors(instance.label):
        result = client.containers.get(instance.container_id).exec_run(argv, user=USER)
    output = result.output.decode("utf-8", "replace").strip()
    return Outcome(instance.label, result.exit_code == 0, output)
