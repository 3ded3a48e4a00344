"""Build-file problems as data: each one carries the file, line and column it is about."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from dotcloud_emulator.errors import UsageError

# A note says how the emulator serves something valid (never an error, even with --strict).
Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    column: int
    severity: Severity
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def as_error(self) -> Diagnostic:
        return replace(self, severity="error")


class BuildFileError(UsageError):
    """The build file is wrong; `diagnostics` holds every error found, plus the warnings."""

    def __init__(self, path: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.diagnostics = tuple(sorted(diagnostics))
        errors = sum(1 for found in self.diagnostics if found.severity == "error")
        summary = f"{path}: {errors} error{'s' if errors != 1 else ''} in the build file"
        super().__init__("\n".join([summary, *(found.format() for found in self.diagnostics)]))


class Position(Protocol):
    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class Reporter:
    """Collects diagnostics for one file, so validation can report every problem, not the first."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def error(self, at: Position, message: str) -> None:
        self.add(at.line, at.column, "error", message)

    def warning(self, at: Position, message: str) -> None:
        self.add(at.line, at.column, "warning", message)

    def note(self, at: Position, message: str) -> None:
        self.add(at.line, at.column, "note", message)

    def add(self, line: int, column: int, severity: Severity, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.path, line, column, severity, message))

    def add_in(self, path: str, line: int, column: int, severity: Severity, message: str) -> None:
        """A diagnostic about another file the build reads (an approot's Makefile.PL)."""
        self.diagnostics.append(Diagnostic(path, line, column, severity, message))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(found for found in self.diagnostics if found.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(sorted(found for found in self.diagnostics if found.severity == "warning"))

    @property
    def notes(self) -> tuple[Diagnostic, ...]:
        return tuple(sorted(found for found in self.diagnostics if found.severity == "note"))
