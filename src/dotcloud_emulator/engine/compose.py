"""`docker compose` for one application's project, always through an argv list (never a shell)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dotcloud_emulator.engine.causes import build_cause
from dotcloud_emulator.engine.client import buildkit_available
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import DEFAULT_GATEWAY_PORT

ERROR_TAIL_LINES = 25
# How much of a command's output is kept to find the cause of a failure in (a build's pip output).
KEPT_OUTPUT_LINES = 4000
LineSink = Callable[[str], None]


@dataclass(frozen=True)
class ComposeProject:
    """One application's Compose file and project name, and the state home it interpolates."""

    file: Path
    name: str
    state_home: Path
    gateway_port: int = DEFAULT_GATEWAY_PORT

    @classmethod
    def for_app(
        cls, app: str, file: Path, state_home: Path, gateway_port: int = DEFAULT_GATEWAY_PORT
    ) -> ComposeProject:
        return cls(
            file=file,
            name=naming.compose_project(app),
            state_home=state_home,
            gateway_port=gateway_port,
        )

    def argv(self, *args: str) -> list[str]:
        return [
            "docker",
            "compose",
            "--ansi",
            "never",
            "--progress",
            "plain",
            "-f",
            str(self.file),
            "-p",
            self.name,
            *args,
        ]

    def environment(
        self, base: Mapping[str, str] | None = None, *, buildkit: bool | None = None
    ) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env[naming.STATE_ENV_VAR] = str(self.state_home)
        env[naming.GATEWAY_PORT_ENV_VAR] = str(self.gateway_port)
        socket = engine_socket(env.get("DOCKER_HOST", ""))
        if socket and naming.DOCKER_SOCKET_ENV_VAR not in env:
            env[naming.DOCKER_SOCKET_ENV_VAR] = socket  # the healer's, for a non-default engine
        use_buildkit = buildkit_available() if buildkit is None else buildkit
        env["DOCKER_BUILDKIT"] = "1" if use_buildkit else "0"
        return env


def engine_socket(docker_host: str) -> str:
    """The engine's socket file when DOCKER_HOST names one (`unix:///run/user/1000/docker.sock`)."""
    return docker_host.removeprefix("unix://") if docker_host.startswith("unix:///") else ""


def build_argv(project: ComposeProject) -> list[str]:
    return project.argv("build")


def up_argv(
    project: ComposeProject, *services: str, alone: bool = False, recreate: bool = False
) -> list[str]:
    """Start `services` from the built images.

    By default Compose starts their dependencies first (waiting on their healthchecks) and drops
    containers of services the file no longer has: a first start. `alone` touches nothing but
    `services` (`--no-deps`), as a change to a running application must; `recreate` replaces
    their containers even when Compose sees no change.
    """
    scope = ["--no-deps"] if alone else ["--remove-orphans"]
    replace = ["--force-recreate"] if recreate else []
    return project.argv("up", "--detach", *scope, "--no-build", *replace, *services)


def beside_argv(project: ComposeProject, service: str, count: int) -> list[str]:
    """Start one more container of `service` (the new image and configuration) beside its
    `count` running ones, which stay as they are: a replacement that never leaves it unserved."""
    return project.argv(
        "up", "--detach", "--no-deps", "--no-build", "--no-recreate",
        "--scale", f"{service}={count + 1}", service,
    )  # fmt: skip


class ComposeError(UserError):
    """A `docker compose` command failed; the message has the command, status and output tail."""

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int,
        tail: Sequence[str],
        cause: Sequence[str] = (),
    ) -> None:
        super().__init__(compose_failure_message(argv, returncode, tail, cause))
        self.argv = list(argv)
        self.returncode = returncode
        self.tail = list(tail)


def compose_failure_message(
    argv: Sequence[str], returncode: int, tail: Sequence[str], cause: Sequence[str] = ()
) -> str:
    lines = [f"`{shlex.join(argv)}` failed with exit code {returncode}", *cause]
    if tail:
        lines.append("last output lines:")
        lines.extend(f"    {line}" for line in tail)
    return "\n".join(lines)


def run_compose(
    project: ComposeProject,
    argv: Sequence[str],
    *,
    on_line: LineSink | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> list[str]:
    """Run one compose command, passing each output line to `on_line`; returns the output tail.
    `extra_env` adds variables to its environment (build arguments Compose takes from it)."""
    kept: deque[str] = deque(maxlen=KEPT_OUTPUT_LINES)
    try:
        process = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**project.environment(), **(extra_env or {})},
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise UserError(f"cannot run `{shlex.join(argv)}`: {exc}") from exc
    with process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            kept.append(line)
            if on_line is not None:
                on_line(line)
    tail = list(kept)[-ERROR_TAIL_LINES:]
    if process.returncode != 0:
        raise ComposeError(argv, process.returncode, tail, build_cause(list(kept)))
    return tail
