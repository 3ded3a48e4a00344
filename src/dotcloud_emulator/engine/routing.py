"""The running gateway: new routes are checked, then nginx reloads gracefully, without a restart.

The emulator writes routes naming the instances; inside the gateway, `dotcloud-routes apply`
resolves the names to the instances' current addresses, has nginx check the result and reloads
it (and `dotcloud-routes watch` does the same by itself when an address changed, as after Docker
or the healer restarted a crashed instance: the healer tells it at the instance's start event).
A reload starts new workers with the new routes; the old ones finish their requests and exit.
Waiting until they are gone means no request is still on its way to an instance about to be
stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.readiness import container_log_tail
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.render.files import write_if_changed

ROUTES_MOUNT = "/etc/dotcloud-gateway"
APPLY_ROUTES = ("dotcloud-routes", "apply")  # resolve, check with `nginx -t`, reload
ROUTES_FILE = "routes.conf"
WORKER_TITLE = "nginx: worker process"
SHUTTING_DOWN = "is shutting down"
RELOAD_TIMEOUT = 30.0
POLL_INTERVAL = 0.1


class RoutesRefused(Exception):
    """nginx refused the resolved routes (`nginx -t`'s output is the message)."""


@dataclass(frozen=True)
class Worker:
    pid: str
    shutting_down: bool


def nginx_workers(processes: Iterable[tuple[str, str]]) -> list[Worker]:
    """The nginx workers among `(pid, command)` pairs, as `docker top` lists them."""
    return [
        Worker(pid, SHUTTING_DOWN in command)
        for pid, command in processes
        if command.startswith(WORKER_TITLE)
    ]


def top_processes(top: dict[str, Any]) -> list[tuple[str, str]]:
    """`(pid, command)` pairs from docker-py's `container.top()` answer."""
    titles: list[str] = list(top.get("Titles") or [])
    if "PID" not in titles or "CMD" not in titles:
        return []
    pid, command = titles.index("PID"), titles.index("CMD")
    return [(str(row[pid]), str(row[command])) for row in top.get("Processes") or []]


def reload_finished(before: Iterable[Worker], now: Iterable[Worker]) -> bool:
    """True once every worker from before the reload has exited and new ones serve."""
    old = {worker.pid for worker in before}
    current = list(now)
    return bool(current) and not any(worker.pid in old for worker in current)


def routes_source(attrs: dict[str, Any]) -> Path | None:
    """The host folder bind-mounted at the gateway's routes folder, from `docker inspect` data."""
    for mount in attrs.get("Mounts") or []:
        if mount.get("Destination") == ROUTES_MOUNT and mount.get("Source"):
            return Path(mount["Source"])
    return None


@dataclass
class GatewayControl:
    container: Any  # docker-py container of the running gateway
    routes_file: Path
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def find(cls, client: Any, app: str) -> GatewayControl | None:
        """The application's running gateway, or None."""
        from docker.errors import NotFound

        found = inventory.gateway(client, app)
        if found is None or not found.running:
            return None
        try:
            container = client.containers.get(found.container_id)
        except NotFound:  # removed since the listing: no gateway runs
            return None
        source = routes_source(container.attrs)
        if source is None:
            raise UserError(f"the gateway of {app} has no {ROUTES_MOUNT} mount: run `up` again")
        return cls(container, source / ROUTES_FILE)

    def apply(self, routes: str, timeout: float = RELOAD_TIMEOUT) -> None:
        """Install `routes` and reload; on a refused configuration, restore the previous one."""
        previous = (
            self.routes_file.read_text(encoding="utf-8") if self.routes_file.is_file() else ""
        )
        write_if_changed(self.routes_file, routes)
        try:
            self.reload(timeout)
        except RoutesRefused as refused:
            write_if_changed(self.routes_file, previous)
            raise UserError(f"the gateway refused its new routes:\n{refused}") from None

    def reload(self, timeout: float = RELOAD_TIMEOUT) -> None:
        """Resolve the routes again and reload nginx, then wait until its old workers are gone."""
        before = self._workers()
        code, output = self._run(*APPLY_ROUTES)
        if code != 0:
            raise RoutesRefused(output.strip())
        deadline = self.clock() + timeout
        while True:
            now = self._workers()
            if reload_finished(before, now):
                return
            if self.clock() >= deadline:
                break
            self.sleep(POLL_INTERVAL)
        stuck = [w for w in now if w.pid in {b.pid for b in before} and not w.shutting_down]
        if stuck or not now:
            log = "\n".join(f"    {line}" for line in container_log_tail(self.container, 20))
            raise UserError(f"the gateway did not reload within {timeout:.0f}s:\n{log}")
        # Old workers still hold long-lived connections (WebSockets): they end on their own.

    def _run(self, *argv: str) -> tuple[int, str]:
        result = self.container.exec_run(list(argv))
        output = result.output
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        return int(result.exit_code), text

    def _workers(self) -> list[Worker]:
        return nginx_workers(top_processes(self.container.top()))
