"""What the API reports while it works; the CLI supplies the one object that prints it."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol


class Progress(Protocol):
    def announce(self, text: str) -> None: ...  # `==> Stopping application "tutorial"`

    def step(self, text: str) -> None: ...  # `---> Building the application...`

    def event(self, source: str, text: str) -> None: ...  # `[www.0] Restarting...`

    def activity(self, text: str) -> AbstractContextManager[None]: ...  # a spinner meanwhile

    def detail(self, line: str) -> None: ...  # one line of a tool's output during an activity
