"""The dashboard's actions (restart, scale), each run in a thread of its own.

A request starts an action and returns at once; the page then watches the application's state.
One action at a time per application (two rollouts of one application would fight over its
gateway); the lock is the dashboard's own and never waits: nothing here blocks a page or a
push started elsewhere.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from dotcloud_emulator.api.progress import Progress
from dotcloud_emulator.dashboard.shaping import ActionView
from dotcloud_emulator.errors import UserError

KEPT_LINES = 40


@dataclass
class Action:
    """One action and what it reported; a `Progress` the API writes to."""

    kind: str
    target: str
    running: bool = True
    error: str | None = None
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEPT_LINES))

    def announce(self, text: str) -> None:
        self.lines.append(f"==> {text}")

    def step(self, text: str) -> None:
        self.lines.append(f"---> {text}")

    def event(self, source: str, text: str) -> None:
        self.lines.append(f"[{source}] {text}")

    def activity(self, text: str) -> AbstractContextManager[None]:
        self.announce(text)
        return contextlib.nullcontext()

    def detail(self, line: str) -> None:
        """A tool's output line by line is too much for the page; the activity says enough."""

    def view(self) -> ActionView:
        return ActionView(self.kind, self.target, self.running, self.error, tuple(self.lines))


class Busy(UserError):
    def __init__(self, app: str, action: Action) -> None:
        super().__init__(f"{app} is busy: {action.kind} {action.target} is still running")


class Actions:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the table only, never held while an action runs
        self._latest: dict[str, Action] = {}

    def view(self, app: str) -> ActionView | None:
        with self._lock:
            action = self._latest.get(app)
        return action.view() if action else None

    def start(self, app: str, kind: str, target: str, work: Callable[[Progress], None]) -> None:
        """Run `work` in a thread; `Busy` when the application already has an action running."""
        action = Action(kind, target)
        with self._lock:
            current = self._latest.get(app)
            if current is not None and current.running:
                raise Busy(app, current)
            self._latest[app] = action
        threading.Thread(target=_run, args=(action, work), daemon=True).start()


def _run(action: Action, work: Callable[[Progress], None]) -> None:
    try:
        work(action)
    except UserError as exc:
        action.error = exc.message
    except Exception as exc:  # the page shows it; the dashboard keeps serving
        action.error = f"internal error: {exc.__class__.__name__}: {exc}"
        print(f"dashboard: {action.kind} {action.target} failed: {action.error}", file=sys.stderr)
    finally:
        action.running = False
