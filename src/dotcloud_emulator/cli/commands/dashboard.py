"""`dashboard`: a web page on 127.0.0.1 showing the applications, until Ctrl-C."""

from __future__ import annotations

import argparse

from dotcloud_emulator.cli.commands.common import Console, Subparsers
from dotcloud_emulator.dashboard.server import DEFAULT_PORT, serve
from dotcloud_emulator.errors import UsageError


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "dashboard",
        help="serve a web page showing the applications (127.0.0.1 only)",
        description="Serve the dashboard on 127.0.0.1 and print its URL: applications, their "
        "services and instances with state and health, URLs, environments (secrets masked until "
        "revealed), live logs, and restart/scale actions. Runs in the foreground; Ctrl-C stops it.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="P",
        help=f"the port on 127.0.0.1 (default: {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--no-open", action="store_true", help="do not open the page in a web browser"
    )
    parser.set_defaults(handler=run_dashboard)


def run_dashboard(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be from 0 to 65535")
    console = Console()

    def ready(url: str) -> None:
        console.announce("Dashboard running (Ctrl-C to stop)")
        print(url, flush=True)

    serve(args.port, open_browser=not args.no_open, ready=ready)
    console.announce("Dashboard stopped")
    return 0
