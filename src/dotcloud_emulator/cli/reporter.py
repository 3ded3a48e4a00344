"""The one object that prints progress: every `==>`, `--->` and `[www.0] ...` line goes through
it, to stderr. What a command produces (tables, YAML, JSON, URLs, the line saying what it did)
goes to stdout, printed by the command itself."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

DETAIL_WIDTH = 70


class Console:
    """Progress on stderr: a rich spinner on a terminal, else plain lines.

    `quiet` silences the deploy's steps and events; `announce` lines, which say what the
    command is doing, are always printed.
    """

    def __init__(self, *, quiet: bool = False, tty: bool | None = None) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty() if tty is None else tty
        self._console: Any = None
        self._status: Any = None
        self._activity = ""
        # Development mode reloads several instances at once, each from its own thread: one
        # line at a time, whole, whoever prints it.
        self._lock = threading.Lock()

    def announce(self, text: str) -> None:
        """`==> text`, as the dotCloud CLI printed what it was doing."""
        self._write(f"==> {text}")

    def step(self, text: str) -> None:
        self._print(f"---> {text}")

    def event(self, source: str, text: str) -> None:
        self._print(f"[{source}] {text}")

    def detail(self, line: str) -> None:
        if self._status is not None and line.strip():
            self._status.update(f"{self._activity}: {shorten(line.strip(), DETAIL_WIDTH)}")

    def activity(self, text: str) -> AbstractContextManager[None]:
        return self._activity_context(text)

    @contextlib.contextmanager
    def _activity_context(self, text: str) -> Iterator[None]:
        if self.quiet:
            yield
            return
        if not self.tty:
            self.announce(text)
            yield
            return
        self._activity = text
        with self._rich().status(text) as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def _print(self, line: str) -> None:
        if self.quiet:
            return
        if self.tty:
            with self._lock:
                self._rich().print(line)
        else:
            self._write(line)

    def _write(self, line: str) -> None:
        with self._lock:
            sys.stderr.write(f"{line}\n")
            sys.stderr.flush()

    def _rich(self) -> Any:
        if self._console is None:
            from rich.console import Console as RichConsole

            self._console = RichConsole(stderr=True, highlight=False, markup=False)
        return self._console


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
