"""`logs`: the output of an application's containers, each line prefixed with its instance."""

from __future__ import annotations

import argparse
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from dotcloud_emulator.cli.commands.common import Subparsers
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.client import docker_client
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.target import parse_target

DEFAULT_LINES = 100


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="show the logs of an application, a service or an instance",
        description="Print the containers' logs, each line prefixed with its instance "
        "(`[www.0] ...`). With -f, keep following new lines until interrupted.",
    )
    parser.add_argument(
        "target", metavar="APP[.SERVICE[.N]]", help="e.g. tutorial, tutorial.www, tutorial.www.0"
    )
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument(
        "-n",
        "--lines",
        type=int,
        default=DEFAULT_LINES,
        metavar="N",
        help=f"how many past lines to show per instance (default: {DEFAULT_LINES})",
    )
    parser.set_defaults(handler=run_logs)


def run_logs(args: argparse.Namespace) -> int:
    target = parse_target(args.target)
    if args.lines < 0:
        raise UsageError("--lines must be 0 or more")
    client = docker_client()
    selected = inventory.instances(
        client, target.app, target.service, target.instance, include_gateway=target.service is None
    )
    if not selected:
        raise UsageError(f'no containers for "{target.text}": run `up` first')
    if args.follow:
        follow(client, selected, args.lines)
    else:
        for line in past_lines(client, selected, args.lines):
            print(line)
    return 0


def past_lines(client: Any, instances: Iterable[inventory.Instance], lines: int) -> list[str]:
    """Every instance's last lines, merged in time order, each prefixed `[www.0] `."""
    stamped: list[tuple[str, str]] = []
    for instance in instances:
        raw = client.containers.get(instance.container_id).logs(tail=lines, timestamps=True)
        for entry in decode(raw).splitlines():
            stamp, _, text = entry.partition(" ")
            stamped.append((stamp, prefixed(instance, text)))
    return [text for _, text in sorted(stamped, key=lambda pair: pair[0])]


def follow(client: Any, instances: Iterable[inventory.Instance], lines: int) -> None:
    output: queue.Queue[str] = queue.Queue()
    for instance in instances:
        stream = client.containers.get(instance.container_id).logs(
            stream=True, follow=True, tail=lines
        )
        threading.Thread(target=pump, args=(instance, stream, output), daemon=True).start()
    while True:
        print(output.get(), flush=True)


def pump(instance: inventory.Instance, stream: Iterable[bytes], output: queue.Queue[str]) -> None:
    for line in split_lines(stream):
        output.put(prefixed(instance, line))


def split_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    pending = ""
    for chunk in chunks:
        pending += decode(chunk)
        *complete, pending = pending.split("\n")
        yield from complete
    if pending:
        yield pending


def prefixed(instance: inventory.Instance, text: str) -> str:
    return f"[{instance.label}] {text}"


def decode(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
