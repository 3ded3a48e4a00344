"""`run`: a command (or a login shell) inside an instance, as user dotcloud, like `dotcloud run`."""

from __future__ import annotations

import argparse
import subprocess
import sys

from dotcloud_emulator.cli.commands.common import Subparsers
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.target import parse_target

WORKDIR = f"{naming.HOME}/current"
USER = "dotcloud"


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a command, or open a shell, in an instance",
        description="Run COMMAND in a login shell (`bash -l -c`) as user dotcloud in "
        "~/current of the instance, or open an interactive login shell without COMMAND. "
        "Exits with the command's status.",
    )
    parser.add_argument(
        "target", metavar="APP.SERVICE[.N]", help="e.g. tutorial.www or tutorial.www.1"
    )
    parser.add_argument(
        "command",
        metavar="COMMAND",
        nargs=argparse.REMAINDER,
        help="the command and its arguments (put -- before it if it starts with a dash)",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    target = parse_target(args.target, require_service=True)
    command = strip_separator(args.command)
    client = docker_client()
    instance = pick_instance(
        inventory.instances(client, target.app, target.service), target.text, target.instance
    )
    where = f"service ({instance.service}) instance #{instance.number} (application {target.app})"
    if command:
        print(f'==> Executing "{" ".join(command)}" on {where}', file=sys.stderr)
    else:
        print(f"==> Opening a shell on {where}", file=sys.stderr)
    argv = exec_argv(instance.container_name, command, interactive=sys.stdin.isatty())
    try:
        return subprocess.run(argv, check=False).returncode
    except OSError as exc:
        raise UserError(f"cannot run `docker exec`: {exc}") from exc


def strip_separator(command: list[str]) -> list[str]:
    return command[1:] if command[:1] == ["--"] else command


def pick_instance(
    found: list[inventory.Instance], target: str, number: int | None
) -> inventory.Instance:
    if not found:
        raise UsageError(f'no containers for "{target}": run `up` first')
    if number is None and len(found) > 1:
        labels = ", ".join(i.label for i in found)
        raise UsageError(f"{target} has several instances ({labels}): pick one, e.g. {target}.0")
    chosen = [i for i in found if number is None or i.number == number]
    if not chosen:
        raise UsageError(
            f'"{target}" names no instance here (instances: {", ".join(i.label for i in found)})'
        )
    if not chosen[0].running:
        raise UserError(f"{chosen[0].label} is not running: run `up` first")
    return chosen[0]


def exec_argv(container: str, command: list[str], *, interactive: bool) -> list[str]:
    flags = ["-it"] if interactive else ["-i"]
    # Joined with spaces, not quoted, as `dotcloud run` did: one argument may be a whole pipeline.
    shell = ["bash", "-l", "-c", " ".join(command)] if command else ["bash", "-l"]
    return ["docker", "exec", *flags, "-u", USER, "-w", WORKDIR, container, *shell]
