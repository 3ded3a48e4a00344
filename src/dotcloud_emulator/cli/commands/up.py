"""`up` (alias `push`): build and start an application, then print where it is live."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from dotcloud_emulator.api import devmode, lifecycle
from dotcloud_emulator.api.lifecycle import DEFAULT_TIMEOUT, Deployment
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.commands.common import (
    Console,
    Subparsers,
    add_appdir_arguments,
    add_json_flag,
    load_buildfile,
    print_json,
)
from dotcloud_emulator.errors import UsageError


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "up",
        aliases=["push"],
        help="build and start an application (alias: push)",
        description="Build every service of APPDIR's dotcloud.yml, start them behind the gateway "
        "on 127.0.0.1:PORT, wait until every instance answers, and print the application's URL. "
        "Run it again to deploy changes: the new images are built while the old instances "
        "serve, then each code instance in turn leaves the gateway, is recreated, answers, and "
        "comes back. With 2 instances or more of a service no request fails; a service with 1 "
        "instance is briefly unavailable while it is replaced. Data services keep their data and "
        "are recreated only when their definition changed.",
    )
    add_appdir_arguments(parser)
    parser.add_argument(
        "--port",
        type=port_number,
        metavar="PORT",
        help="the gateway's port on 127.0.0.1 (default: the application's last one, else 8080)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for instances to answer (default: {DEFAULT_TIMEOUT:.0f})",
    )
    parser.add_argument(
        "--pip-date",
        type=pip_date,
        metavar="DATE",
        help="install requirements as pip resolved them on that date (only releases out before "
        "it); kept for later pushes. Without it, the date is inferred from the application (its "
        "last git commit, else its newest exact pin); `--pip-date today` uses today's releases",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="development mode: run the code services from APPDIR (no build for a code change), "
        "then keep watching it in the foreground: a save reloads the Python code or restarts the "
        "worker's programs, a change to requirements.txt or dotcloud.yml redeploys; Ctrl-C stops "
        "watching and leaves the application running, the next plain `up` deploys from images",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the URLs and errors")
    add_json_flag(parser)
    parser.set_defaults(handler=run_up)


def port_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: use a number from 1 to 65535")
    return int(text)


def pip_date(text: str) -> str:
    try:
        return lifecycle.parse_pip_date(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from exc


def run_up(args: argparse.Namespace) -> int:
    appdir: Path = args.appdir
    application = load_buildfile(appdir, args.application)
    console = Console(quiet=args.quiet or args.json)
    if args.dev:
        return run_dev(args, application, console)
    deployment = lifecycle.up(application, args.port, args.timeout, console, args.pip_date)
    if args.json:
        print_json({"app": deployment.app, "port": deployment.port, "urls": deployment.urls})
    else:
        print_live(deployment)
    return 0


def run_dev(args: argparse.Namespace, application: Application, console: Console) -> int:
    deployment = devmode.start(application, args.port, args.timeout, console, args.pip_date)
    print_live(deployment)
    stop = threading.Event()
    # `kill` leaves as Ctrl-C does, once the change being applied is done.
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    devmode.watch(
        application,
        console,
        timeout=args.timeout,
        stop=stop,
        on_watching=lambda: console.announce(
            f"Development mode: watching {application.root} (Ctrl-C to stop watching)"
        ),
    )
    console.announce(
        "Stopped watching: the application keeps running from the working tree until the next "
        "`up`, which deploys it from images again"
    )
    return 0


def print_live(deployment: Deployment) -> None:
    main_url = deployment.main_url
    if main_url is None:
        print(f"==> Application {deployment.app} is running (it has no web service)")
        return
    print(f"==> Application is live at {main_url}")
    for urls in deployment.urls.values():
        for url in urls:
            if url != main_url:
                print(f"    {url}")
