"""Waiting for instances to answer: Docker healthchecks polled with a deadline, never slept for."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dotcloud_emulator.engine.causes import last_psgi_error, last_traceback
from dotcloud_emulator.engine.client import docker_errors
from dotcloud_emulator.errors import UserError

DEFAULT_TIMEOUT = 300.0
POLL_INTERVAL = 0.5
LOG_TAIL_LINES = 20  # shown
LOG_SEARCH_LINES = 400  # read, to find the application's traceback in

Verdict = Literal["ready", "waiting", "failed"]


@dataclass(frozen=True)
class Readiness:
    verdict: Verdict
    reason: str = ""  # why it failed, or what it is still waiting for


def readiness_from_attrs(attrs: Mapping[str, Any]) -> Readiness:
    """Judge one container from its `docker inspect` data."""
    state: Mapping[str, Any] = attrs.get("State") or {}
    status = state.get("Status", "unknown")
    exit_code = state.get("ExitCode", 0)
    if status in ("exited", "dead"):
        return Readiness("failed", f"exited with status {exit_code}")
    # Docker restarts a dead instance by itself (its restart policy): one that died while it
    # was waited for is a crash to report, not a start to wait out.
    if status == "restarting":
        return Readiness("failed", f"exited with status {exit_code}; Docker is restarting it")
    restarts = int(attrs.get("RestartCount") or 0)
    if restarts:
        return Readiness("failed", f"died and was restarted by Docker {restarts} time(s)")
    if status != "running":
        return Readiness("waiting", f"container is {status}")
    health: Mapping[str, Any] = state.get("Health") or {}
    health_status = health.get("Status")
    if health_status in (None, "healthy"):
        return Readiness("ready")
    if health_status == "unhealthy" or gave_up(health):
        return Readiness("failed", f"health check failed{last_check_text(health)}")
    return Readiness("waiting", f"health check {health_status}{last_check_text(health)}")


# How a readiness check says the instance will not come up by itself: Supervisor gave up on a
# program (FATAL, or crashing again and again), or the application failed on its first request
# (php: a 5xx on /). Waiting out the healthcheck's start period would not help.
GAVE_UP = ("Supervisor gave up:", "The application failed:")


def is_starting(attrs: Mapping[str, Any]) -> bool:
    """Running, with a healthcheck that has not passed yet."""
    state: Mapping[str, Any] = attrs.get("State") or {}
    health: Mapping[str, Any] = state.get("Health") or {}
    return (
        state.get("Status") == "running" and health.get("Status") == "starting"
    )  # how a probe says a program will not come back by itself


def gave_up(health: Mapping[str, Any]) -> bool:
    """The last probe said the instance will not come up by itself (GAVE_UP)."""
    log: Sequence[Mapping[str, Any]] = health.get("Log") or []
    return bool(log) and says_gave_up(str(log[-1].get("Output", "")))


def says_gave_up(output: str) -> bool:
    return output.strip().startswith(GAVE_UP)


def last_check_text(health: Mapping[str, Any]) -> str:
    """The last probe's verdict: its first line, then the program's log lines it added."""
    log: Sequence[Mapping[str, Any]] = health.get("Log") or []
    if not log:
        return ""
    last = log[-1]
    first, *rest = str(last.get("Output", "")).strip().splitlines() or [""]
    text = f" with exit code {last.get('ExitCode')}"
    text = f"{text}: {' '.join(first.split())}" if first.strip() else text
    return "\n".join([text, *(f"    {line}" for line in rest)])


def failure_message(instance: str, reason: str, log_lines: Sequence[str]) -> str:
    lines = [f"{instance} did not become responsive: {reason}"]
    traceback = last_traceback(log_lines)
    # An app.psgi's error is shown whatever follows it: every uWSGI worker repeats it, amid
    # uWSGI's own lines, and a long @INC pushes it out of the tail.
    error = last_psgi_error(log_lines)
    if not error and traceback and traceback[-1] not in log_lines[-LOG_TAIL_LINES:]:
        # The application's own error, which shutdown lines after it would otherwise hide.
        error = traceback
    if error:
        lines.append(f"the application's error in the log of {instance}:")
        lines.extend(f"    {line}" for line in error)
    log_lines = log_lines[-LOG_TAIL_LINES:]
    if log_lines:
        lines.append(f"last {len(log_lines)} log lines of {instance}:")
        lines.extend(f"    {line}" for line in log_lines)
    else:
        lines.append(f"{instance} logged nothing")
    return "\n".join(lines)


def container_log_tail(container: Any, lines: int = LOG_SEARCH_LINES) -> list[str]:
    try:
        raw = container.logs(tail=lines)
    except Exception:  # the logs only decorate the real error
        return []
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text.splitlines()[-lines:]


def first_failure(client: Any, containers: Mapping[str, str]) -> UserError | None:
    """The error for the first failed container (`{"www.0": container id}`), if any failed."""
    for label, container_id in containers.items():
        with docker_errors(label):
            container = client.containers.get(container_id)
        readiness = readiness_from_attrs(container.attrs)
        if readiness.verdict == "failed":
            return UserError(
                failure_message(label, readiness.reason, container_log_tail(container))
            )
    return None


HEALTH_PROBE = ["/usr/local/bin/dotcloud-health"]  # every image's readiness check


def probe_now(container: Any) -> Readiness | None:
    """Run the instance's readiness check at once, rather than wait up to a healthcheck interval
    for Docker's next run of it; None when it cannot be run (then Docker's verdict stands)."""
    try:
        exit_code, output = container.exec_run(HEALTH_PROBE, user="root")
    except Exception:  # a container that is stopping, an engine that refuses: Docker's verdict
        return None
    text = (output or b"").decode("utf-8", "replace").strip()
    if exit_code == 0:
        return Readiness("ready")
    if says_gave_up(text):
        first, *rest = text.splitlines()
        details = "".join(f"\n    {line}" for line in rest)
        return Readiness(
            "failed", f"health check failed with exit code {exit_code}: {first}{details}"
        )
    return None


def wait_until_ready(
    client: Any,
    containers: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    on_ready: Callable[[str], None] | None = None,
    poll_interval: float = POLL_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    probe: Callable[[Any], Readiness | None] = probe_now,
) -> None:
    """Poll containers (`{"www.0": container id}`) until all are ready; raise on a failure.

    While Docker's healthcheck says "starting", the check is also run directly (`probe`), so a
    start is noticed as soon as it is ready, not at Docker's next healthcheck.
    """
    pending = dict(containers)
    deadline = clock() + timeout
    while pending:
        for label, container_id in list(pending.items()):
            with docker_errors(label):
                container = client.containers.get(container_id)
            attrs = container.attrs  # one inspection per round
            readiness = readiness_from_attrs(attrs)
            if readiness.verdict == "waiting" and is_starting(attrs):
                readiness = probe(container) or readiness
            if readiness.verdict == "failed":
                raise UserError(
                    failure_message(label, readiness.reason, container_log_tail(container))
                )
            if readiness.verdict == "ready":
                del pending[label]
                if on_ready is not None:
                    on_ready(label)
                continue
            if clock() >= deadline:
                reason = f"not ready after {timeout:.0f}s ({readiness.reason})"
                raise UserError(failure_message(label, reason, container_log_tail(container)))
        if pending:
            sleep(poll_interval)
