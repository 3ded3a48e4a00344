"""What made a build or a start fail, found in its output: the lines a user needs first.

A failed build ends with the builder's summary and a tail that rarely names the package pip could
not install; a web service that cannot import its application ends with uWSGI's shutdown lines.
These pure functions pick out the failing step, pip's first error lines and the application's own
traceback, so a message can show them before the raw tail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_ERROR_LINES = 8
MAX_TRACEBACK_LINES = 30

# BuildKit's summary names the failing step as ` > [www build 6/6] RUN pip install ...:`; the
# classic builder announces each step as `Step 6/9 : RUN pip install ...`.
_BUILDKIT_STEP = re.compile(r"^\s*> \[(?P<stage>[^\]]+)\] (?P<command>.+?):?$")
_CLASSIC_STEP = re.compile(r"^Step \d+/\d+ : (?P<command>.+)$")
# `#12 3.456 ` (BuildKit plain progress) before a step's own output.
_PROGRESS_PREFIX = re.compile(r"^#\d+ (?:\d+\.\d+ )?")
_ERROR_LINE = re.compile(
    r"(^ERROR: |^error: |: error: |^\s*\w*Error: |^\s*\w+Error\b|No matching distribution|"
    r"Could not find a version|Command errored out|Failed building wheel|fatal error:)"
)
# The builder's own lines about the step, which the failing step already says.
_NOT_A_CAUSE = re.compile(
    r"^(ERROR: failed to solve|failed to solve|ERROR: Service |ERROR: process )"
)
_TRACEBACK_START = "Traceback (most recent call last):"


def failing_step(lines: Sequence[str]) -> str | None:
    """The Dockerfile step that failed (`www build: RUN pip install -r ...`), when named."""
    for line in reversed(lines):
        match = _BUILDKIT_STEP.match(line)
        if match:
            return f"{match['stage']}: {match['command']}"
    for line in reversed(lines):
        match = _CLASSIC_STEP.match(line)
        if match:
            return match["command"]
    return None


def error_lines(lines: Sequence[str], limit: int = MAX_ERROR_LINES) -> list[str]:
    """The first distinct lines that say what went wrong (pip's `ERROR:`, a compiler's `error:`,
    an exception), without the builder's own wrapping."""
    found: list[str] = []
    for raw in lines:
        line = _PROGRESS_PREFIX.sub("", raw).rstrip()
        if not _ERROR_LINE.search(line) or _NOT_A_CAUSE.match(line.strip()):
            continue
        if line not in found:
            found.append(line)
        if len(found) == limit:
            break
    return found


def last_traceback(lines: Sequence[str], limit: int = MAX_TRACEBACK_LINES) -> list[str]:
    """The last Python traceback in a log, up to its exception line; [] when there is none."""
    starts = [index for index, line in enumerate(lines) if line.strip() == _TRACEBACK_START]
    if not starts:
        return []
    block = [lines[starts[-1]]]
    for line in lines[starts[-1] + 1 :]:
        block.append(line)
        if line and not line[0].isspace():  # the exception line ends the traceback
            break
    return block[-limit:] if len(block) > limit else block


# uWSGI's PSGI plugin, when app.psgi dies as it loads: `Error while loading FILE: ...`, then
# Perl's own lines, then uWSGI's verdict. The text on uWSGI's own line is the error of its
# wrapper's `use strict` check (`Global symbol "$$" requires ...`), not the application's.
_PSGI_LOAD_ERROR = re.compile(r"^Error while loading (?P<file>\S+?): ?(?P<rest>.*)$")
_UWSGI_OWN = re.compile(
    r"^(Error while loading |unable to find PSGI function|\*\*\* |spawned |worker \d+ |"
    r"goodbye to uWSGI|VACUUM|SIGINT|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ )"
)
_UWSGI_WRAPPER_ERROR = 'Global symbol "$$" requires explicit package name'


def last_psgi_error(lines: Sequence[str], limit: int = MAX_TRACEBACK_LINES) -> list[str]:
    """Perl's lines about the last app.psgi that died while uWSGI loaded it; [] when none did."""
    starts = [index for index, line in enumerate(lines) if _PSGI_LOAD_ERROR.match(line.strip())]
    if not starts:
        return []
    first = _PSGI_LOAD_ERROR.match(lines[starts[-1]].strip())
    assert first is not None  # matched above
    block = [f"{first['file']} died while uWSGI loaded it:"]
    if first["rest"] and _UWSGI_WRAPPER_ERROR not in first["rest"]:
        block.append(first["rest"])
    for line in lines[starts[-1] + 1 :]:
        if _UWSGI_OWN.match(line.strip()):
            break
        if line.strip():
            block.append(line.rstrip())
    return block[:limit] if len(block) > 1 else []


def build_cause(lines: Sequence[str]) -> list[str]:
    """What to say first about a failed build: its failing step and the first error lines."""
    cause: list[str] = []
    step = failing_step(lines)
    if step:
        cause.append(f"failing step: {step}")
    errors = error_lines(lines)
    if errors:
        cause.append("first error lines:")
        cause.extend(f"    {line}" for line in errors)
    return cause
