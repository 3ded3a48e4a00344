"""What the integration tests of an example web application share, whatever its type: a copy with
two web instances, its page through the gateway, and a push and a kill under load."""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

from .conftest import Cli, RunningApp, poll
from .test_self_healing import kill_www1_until_it_serves_again
from .test_zero_downtime import Client

# The bound of the wait for a killed instance to serve again (how long it took is printed): on a
# loaded machine Jetty, Passenger and Dancer take half a minute to start.
BACK_TIMEOUT = 150.0


def copy_with_two_instances(
    example: Path, destination: Path, service_type: str, ignore: tuple[str, ...]
) -> Path:
    """The example copied to `destination`, its `www` of `service_type` given 2 instances."""
    shutil.copytree(example, destination, ignore=shutil.ignore_patterns(*ignore))
    buildfile = destination / "dotcloud.yml"
    text = buildfile.read_text(encoding="utf-8")
    line = f"  type: {service_type}\n"
    buildfile.write_text(text.replace(line, f"{line}  instances: 2\n", 1))
    return destination


def page(app: RunningApp, session: requests.Session | None = None, path: str = "/") -> str:
    """`www`'s page through the gateway, which must answer 200."""
    getter = session or requests
    response = getter.get(f"{app.base}{path}", headers={"Host": app.host("www")}, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def answers_until(app: RunningApp, greeting: Callable[[str], str], wanted: set[str]) -> set[str]:
    """The greetings (`greeting` of each page) seen until every one of `wanted` was."""
    seen: set[str] = set()

    def all_seen() -> bool:
        seen.add(greeting(page(app)))
        return wanted <= seen

    poll(all_seen, what=f"answers {sorted(wanted)}")
    return seen


def served_by(client: Client, greeting: re.Pattern[str]) -> Counter[str]:
    """How many of the client's answers each instance gave (`greeting`'s group 2 names it)."""
    counts: Counter[str] = Counter()
    for text, count in client.counts().items():
        found = greeting.search(text)
        if found:
            counts[found.group(2)] += count
    return counts


@contextlib.contextmanager
def under_load(app: RunningApp) -> Iterator[Client]:
    """A client requesting the gateway's page for as long as the block runs."""
    client = Client(f"{app.base}/")
    thread = threading.Thread(target=client.run, daemon=True)
    thread.start()
    try:
        yield client
    finally:
        client.stop.set()
        thread.join(timeout=30)


def push_under_load(cli: Cli, app: RunningApp) -> tuple[Client, str, float]:
    """`push` while a client requests the page: the client, push's stderr and its seconds."""
    with under_load(app) as client:
        started = time.monotonic()
        pushed = cli.run("push", str(app.appdir), "-A", app.name)
        seconds = time.monotonic() - started
    return client, pushed.stderr, seconds


def kill_www1_under_load(app: RunningApp, greeting: re.Pattern[str]) -> tuple[Client, float]:
    """Kill www.1 while a client requests the page, until the gateway sends it requests again:
    the client and the seconds www.1 took to serve again."""
    with under_load(app) as client:
        poll(
            lambda: client.sent > 20 and served_by(client, greeting)["www.1"] > 0,
            what="the client's first requests, www.1 serving some",
        )
        back_after = kill_www1_until_it_serves_again(
            app, lambda: served_by(client, greeting)["www.1"], timeout=BACK_TIMEOUT
        )
    return client, back_after
