"""Development mode's reload of a python service after a save, and the line that says it was
applied.

A reload is sent as soon as a save is seen, and the wait until every worker loaded it runs in a
thread, so a save that lands meanwhile is sent at once too. A worker still importing the previous
save when the new reload comes ignores it (uWSGI installs its signal handler after the load): the
instance's script stops such a worker (its load is wasted) and signals again one that loaded
older code, so every save reaches every worker. The wait of a reload that a later one overtook
ends there, and the later one's line names both saves.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.engine import devmode, inventory
from dotcloud_emulator.errors import UserError

# How long the new workers may take to load the application before the terminal says the save
# could not be applied (a worker the reload missed is replaced meanwhile).
LOAD_TIMEOUT = 30
JOIN_TIMEOUT = LOAD_TIMEOUT + devmode.KILL_AFTER + 5


@dataclass(frozen=True)
class Save:
    number: int  # in the order the reloads were sent
    what: str  # "wsgi.py"
    sent_at: float  # time.monotonic()


@dataclass(frozen=True)
class Reported:
    """Saves a reload's line reports: its own and those whose reloads it overtook."""

    saves: tuple[Save, ...]

    @property
    def what(self) -> str:
        names: list[str] = []
        for save in self.saves:
            names.extend(name for name in save.what.split(", ") if name not in names)
        count = f" ({len(self.saves)} saves)" if len(self.saves) > 1 else ""
        return ", ".join(names) + count

    @property
    def sent_at(self) -> float:
        return min(save.sent_at for save in self.saves)


class Reloads:
    """The reloads sent whose workers are still loading, each waited for in a thread."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self._lock = threading.Lock()
        self._pending: dict[str, list[Save]] = {}  # by service: sent, not yet reported
        self._sent = 0
        self._waits: list[threading.Thread] = []

    def reload(self, client: Any, app: str, service: str, what: str) -> None:
        """Reload the workers of every running instance of `service`; `what` names the save in
        the terminal ("wsgi.py")."""
        with self._lock:
            self._sent += 1
            number = self._sent
            self._pending.setdefault(service, []).append(Save(number, what, time.monotonic()))
        sent, failures = [], []
        for instance in devmode.running_instances(client, app, service):
            outcome = devmode.reload_workers(client, instance)
            answer = outcome.output.splitlines()[-1] if outcome.output else ""
            if outcome.ok and answer.isdigit():
                sent.append((instance, int(answer)))
            else:
                failures.append(f"{outcome.instance}: {outcome.output or 'no answer'}")
        if not sent:
            # Earlier saves whose waits this reload ended are reported with it: nothing else will.
            reported = self._reported(service, number)
            why = "; ".join(failures) or "no instance of it is running"
            not_applied(service, reported.what or what, why, self.progress)
            return
        for why in failures:
            not_applied(service, what, why, self.progress)
        wait = threading.Thread(
            target=self._wait,
            args=(client, service, number, sent),
            name=f"devmode-{service}",
            daemon=True,  # Ctrl-C leaves at once; the instance's script ends by itself
        )
        self._waits = [thread for thread in self._waits if thread.is_alive()] + [wait]
        wait.start()

    def join(self) -> None:
        """Until every wait has ended (a SIGTERM leaves once the saves being applied are)."""
        for thread in self._waits:
            thread.join(JOIN_TIMEOUT)

    def _wait(
        self,
        client: Any,
        service: str,
        number: int,
        sent: list[tuple[inventory.Instance, int]],
    ) -> None:
        try:
            loads = [(devmode.wait_for_workers(client, i, g, LOAD_TIMEOUT), g) for i, g in sent]
        except UserError as exc:  # the instance went away meanwhile (a redeploy)
            loads, failure = [], exc.message
        if any(loaded.superseded for loaded, _ in loads):
            return  # the later reload's wait reports this save with its own
        reported = self._reported(service, number)
        if not reported.saves:
            return
        if loads:
            report(service, reported.what, loads, reported.sent_at, self.progress)
        else:
            not_applied(service, reported.what, failure, self.progress)

    def _reported(self, service: str, number: int) -> Reported:
        """The saves up to `number`, forgotten from the pending ones."""
        with self._lock:
            pending = self._pending.pop(service, [])
            later = [save for save in pending if save.number > number]
            if later:
                self._pending[service] = later
            return Reported(tuple(save for save in pending if save.number <= number))


def report(
    service: str,
    what: str,
    loads: list[tuple[devmode.Loaded, int]],
    started: float,
    progress: Progress,
) -> None:
    """One line: the save applied, its load error, or the workers it did not reach."""
    for loaded, generation in loads:
        if not loaded.complete:
            not_applied(service, what, lagging(loaded, generation), progress)
            return
    failed = [worker for loaded, _ in loads for worker in loaded.workers if worker.error]
    if failed:
        report_load_error(service, failed[0].summary or "", failed[0].error or "", progress)
    else:
        progress.step(f"{service}: {what} applied in {time.monotonic() - started:.1f} s")


def lagging(loaded: devmode.Loaded, generation: int) -> str:
    """Why a reload did not complete: the workers still on older code, or what the script said."""
    if loaded.output:
        return f"{loaded.instance}: {loaded.output}"
    behind = ", ".join(str(worker.worker) for worker in loaded.behind(generation))
    return (
        f"{loaded.instance}: uWSGI worker {behind} still ran older code after "
        f"{LOAD_TIMEOUT} s (save again to retry)"
    )


def not_applied(service: str, what: str, why: str, progress: Progress) -> None:
    progress.announce(f"{service}: {what} could not be applied: {why}")


def report_load_error(service: str, summary: str, error: str, progress: Progress) -> None:
    """One clear line (the exception and where; an error, so printed even with --quiet), then
    the traceback."""
    lines = error.rstrip().splitlines()
    clear = summary or (lines[-1] if lines else "unknown error")
    progress.announce(f"{service}: wsgi.py failed to load: {clear}")
    for line in lines:
        progress.event(service, f"  {line}")
