"""The text files of a Heroku-style application, read as Heroku and foreman read them: the
`Procfile`, `.env` and `runtime.txt`. Pure: text in, data and diagnostics out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dotcloud_emulator import names
from dotcloud_emulator.buildfile.diagnostics import Reporter

# Heroku's and foreman's line: a process type, a colon, its command.
PROCFILE_LINE = re.compile(r"([A-Za-z0-9_-]+):[ \t]*(.*)")
# Each process type becomes a service here; a Procfile of the time had a handful.
MAX_PROCESS_TYPES = 20
DOTENV_LINE = re.compile(r"(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)")
RUNTIME = re.compile(r"python-(2\.7|3)(?:\.\d+){0,2}")


@dataclass(frozen=True)
class ProcessType:
    name: str
    command: str
    line: int


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    line: int


def parse_procfile(text: str, path: str, reporter: Reporter) -> tuple[ProcessType, ...]:
    """Every process type of the Procfile, in file order; every bad line is an error."""
    found: dict[str, ProcessType] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = PROCFILE_LINE.fullmatch(line.rstrip())
        if match is None:
            reporter.add_in(
                path,
                number,
                1,
                "error",
                f"{names.printable(truncated(line))} is not a process line: "
                "write PROCESS_TYPE: COMMAND (web: python manage.py runserver 0.0.0.0:$PORT)",
            )
            continue
        name, command = match.group(1), match.group(2).strip()
        if problem := process_type_problem(name, found):
            reporter.add_in(path, number, 1, "error", problem)
        elif not command:
            reporter.add_in(
                path, number, len(name) + 2, "error", f"process type {name} has no command"
            )
        elif len(found) == MAX_PROCESS_TYPES:
            reporter.add_in(
                path,
                number,
                1,
                "error",
                f"more than {MAX_PROCESS_TYPES} process types: each runs as a service here",
            )
            break
        else:
            found[name] = ProcessType(name, command, number)
    if not found and not reporter.errors:
        reporter.add_in(path, 1, 1, "error", "no process type: write at least web: COMMAND")
    return tuple(found.values())


def process_type_problem(name: str, found: dict[str, ProcessType]) -> str:
    if name in found:
        return f"process type {name} is defined twice (first at line {found[name].line})"
    if not names.SERVICE.is_valid(name):
        return (
            f'process type "{name}" cannot be a service name here: '
            f"{names.SERVICE.explanation} (each process type runs as the service of its name)"
        )
    return ""


def parse_dotenv(text: str, path: str, reporter: Reporter) -> tuple[Variable, ...]:
    """`KEY=VALUE` lines as foreman and `heroku local` read them: `#` comments, blank lines,
    `export KEY=…`, values in single quotes (taken as written) or double quotes (`\\n` escapes)."""
    found: dict[str, Variable] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = DOTENV_LINE.fullmatch(stripped)
        if match is None:
            reporter.add_in(
                path,
                number,
                1,
                "error",
                f"{names.printable(truncated(line))} is not a variable line: write KEY=VALUE",
            )
            continue
        value = dotenv_value(match.group(2))
        if value is None:
            column = line.index("=") + 2
            reporter.add_in(path, number, column, "error", "the value's quote is not closed")
            continue
        found[match.group(1)] = Variable(match.group(1), value, number)
    return tuple(found.values())


def dotenv_value(raw: str) -> str | None:
    """The value of `KEY=raw`; None for a quote left open."""
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        if end < 0:
            return None
        inner = raw[1:end]
        if quote == '"':
            inner = inner.replace("\\n", "\n").replace('\\"', '"')
        return inner
    return re.sub(r"[ \t]+#.*", "", raw).strip()


def parse_runtime(text: str, path: str, reporter: Reporter) -> str | None:
    """The python_version of runtime.txt (`python-2.7.3` → v2.7, `python-3.3.0` → v3)."""
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    match = RUNTIME.fullmatch(first)
    if match is None:
        reporter.add_in(
            path,
            1,
            1,
            "error",
            f"{names.printable(truncated(first))} is not a runtime here: write python-2.7.x "
            "(Python 2.7) or python-3.x (Python 3.11)",
        )
        return None
    return "v2.7" if match.group(1) == "2.7" else "v3"


def truncated(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"
