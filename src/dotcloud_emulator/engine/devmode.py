"""Development mode's actions on running instances: reload uWSGI's workers through the master
FIFO, restart Supervisor's programs, and ask the loading wrapper whether the code loaded."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any

from dotcloud_emulator.catalogue.stacks import SUPERVISOR_CONF
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.client import docker_errors
from dotcloud_emulator.render.devmode import MASTER_FIFO, PROBE_HEADER

# Writing to a FIFO nobody reads (uWSGI is restarting) would block: give up after this long.
FIFO_WRITE_TIMEOUT = 5
RELOAD_WORKERS = "w"  # uWSGI's master FIFO: reload the workers gracefully, keep the master
# uWSGI reaps a worker that exited, and forks its replacement, when its master loop wakes up: on
# an event, else once a second (`check-interval` counts whole seconds). Waking it with a
# harmless command ("P": rewrite the pid file) every 50 ms for a second while the workers
# restart brings the replacements up at once: about 0.3 s from a save to the new code instead
# of 1.2 s for the sample (measured with both).
WAKE_MASTER = "P"
WAKES = 20
RELOAD_SCRIPT = (
    f"timeout {FIFO_WRITE_TIMEOUT} sh -c 'printf {RELOAD_WORKERS} > {MASTER_FIFO}' || exit 1; "
    f"(timeout 3 sh -c 'for i in $(seq {WAKES}); do sleep 0.05; "
    f"printf {WAKE_MASTER} > {MASTER_FIFO}; done' >/dev/null 2>&1 &)"
)
PROBE_INTERVAL = 0.05
USER = "dotcloud"


@dataclass(frozen=True)
class Outcome:
    instance: str  # "www.0"
    ok: bool
    output: str


def reload_workers(client: Any, app: str, service: str) -> list[Outcome]:
    """Ask each running instance's uWSGI master to replace its workers: with `lazy-apps` each new
    worker imports the application again, while the master keeps the socket nginx talks to."""
    argv = ["sh", "-c", RELOAD_SCRIPT]
    return [_exec(client, instance, argv) for instance in _running(client, app, service)]


def restart_programs(client: Any, app: str, service: str) -> list[Outcome]:
    """Restart every Supervisor program of each running instance (a worker's processes)."""
    argv = ["supervisorctl", "-c", SUPERVISOR_CONF.target, "restart", "all"]
    return [_exec(client, instance, argv) for instance in _running(client, app, service)]


def _running(client: Any, app: str, service: str) -> list[inventory.Instance]:
    return [i for i in inventory.instances(client, app, service) if i.running]


def _exec(client: Any, instance: inventory.Instance, argv: list[str]) -> Outcome:
    with docker_errors(instance.label):
        result = client.containers.get(instance.container_id).exec_run(argv, user=USER)
    output = result.output.decode("utf-8", "replace").strip()
    return Outcome(instance.label, result.exit_code == 0, output)


@dataclass(frozen=True)
class LoadState:
    loaded_at: float
    error: str | None  # the traceback of a failed load
    summary: str | None  # its one line: "SyntaxError: invalid syntax (wsgi.py, line 12)"


def wait_for_load(port: int, host: str, since: float, timeout: float) -> LoadState | None:
    """The load state of workers started after `since` (asked through the gateway, with the probe
    header the wrapper answers); None when none answered within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = probe(port, host)
        if state is not None and state.loaded_at >= since:
            return state
        time.sleep(PROBE_INTERVAL)
    return None


def probe(port: int, host: str) -> LoadState | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": host, PROBE_HEADER: "1"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            return None
        data = json.loads(body)
        return LoadState(float(data["loaded_at"]), data.get("error"), data.get("summary"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    finally:
        connection.close()
