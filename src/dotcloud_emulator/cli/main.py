"""Entry point: `dotcloud-emulator COMMAND ...`.

Each command lives in its own module under `cli/commands/` and exposes `register(subparsers)`,
which adds its parser and sets `handler` to a function `(args) -> int`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from dotcloud_emulator import __version__
from dotcloud_emulator.api.connect import docker_boundary
from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.errors import EXIT_USAGE, UserError

COMMAND_MODULES = (
    "validate",
    "generate",
    "up",
    "down",
    "destroy",
    "status",
    "restart",
    "info",
    "env",
    "logs",
    "run",
    "url",
    "list",
    "scale",
    "domain",
    "export",
    "dashboard",
    "stack",
    "images",
)


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> Parser:
    import importlib

    parser = Parser(
        prog="dotcloud-emulator",
        description="Run a dotCloud application locally, in Docker, as the platform ran it.",
    )
    parser.add_argument("--version", action="version", version=f"dotcloud-emulator {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"dotcloud_emulator.cli.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with docker_boundary():
            return int(args.handler(args))
    except BuildFileError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return exc.exit_code
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
