"""The ruby types run for real: examples/sinatra-redis (a 2012 classic-style Sinatra hit counter
on the platform's Redis, its Gemfile.lock of the time, and a ruby-worker taking jobs off a Redis
list) served through the gateway by two instances behind Passenger, pushed under load, healed
after a kill, then run from its tree by `up --dev`, where a saved app.rb is served; and a Rack
application that cannot boot fails `up` with its own error lines.

One application (one image build) for the module's tests, which run in the order written: the
push test changes the code the later tests see.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import (
    CLI,
    ROOT,
    Cli,
    RunningApp,
    free_port,
    poll,
    remove_app_leftovers,
    running_app,
    unique_app,
)
from .webapps import (
    answers_until,
    copy_with_two_instances,
    kill_www1_under_load,
    page,
    push_under_load,
)

EXAMPLE = ROOT / "examples" / "sinatra-redis"
GREETING = re.compile(r"<h1>(Hello from Sinatra(?: v\d)?, served by (www\.\d))</h1>")
HITS = re.compile(r'<strong id="hits">(\d+)</strong>')
DONE = re.compile(r'<strong id="done">(\d+)</strong>')
DEV_TIMEOUT = 600.0  # `up --dev` replaces the instances (no build: the images are there)
SERVE_TIMEOUT = 90.0  # a save restarts Passenger, which boots the application again (~15 s)


@pytest.fixture(scope="module")
def ruby_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """The example with two web instances."""
    appdir = copy_with_two_instances(
        EXAMPLE,
        tmp_path_factory.mktemp("ruby") / "sinatra-redis",
        "ruby",
        ignore=("build", "gateway", "healer"),
    )
    started = time.monotonic()
    with running_app(cli, "ruby", appdir, cleanup_apps) as app:
        print(
            f"ruby example: up (build and start, 2 instances) in {time.monotonic() - started:.1f}s"
        )
        yield app


def greeting(text: str) -> str:
    found = GREETING.search(text)
    assert found, text
    return found.group(1)


def figure(pattern: re.Pattern[str], text: str) -> int:
    found = pattern.search(text)
    assert found, text
    return int(found.group(1))


def test_the_page_is_served_by_both_instances_with_a_counter_in_redis(
    cli: Cli, ruby_app: RunningApp
) -> None:
    wanted = {"Hello from Sinatra, served by www.0", "Hello from Sinatra, served by www.1"}
    assert answers_until(ruby_app, greeting, wanted) == wanted
    hits = [figure(HITS, page(ruby_app)) for _ in range(4)]
    assert hits == sorted(hits)  # one counter, in Redis, for both instances
    assert len(set(hits)) == 4
    stored = cli.run(
        "run",
        f"{ruby_app.name}.data.0",
        "--",
        'redis-cli -a "$DOTCLOUD_DATA_REDIS_PASSWORD" --no-auth-warning get hits',
    ).stdout.strip()
    assert int(stored) >= hits[-1]
    # public/ is nginx's, the Rack environment the service's rack-env (production by default).
    assert "h1 { color:" in page(ruby_app, path="/style.css")
    assert page(ruby_app, path="/env") == "RACK_ENV=production\n"


def test_the_worker_takes_the_jobs_the_page_queues(ruby_app: RunningApp) -> None:
    before = figure(DONE, page(ruby_app))
    for number in range(3):
        assert page(ruby_app, path=f"/job?text=job{number}") == f"queued job{number}\n"
    poll(
        lambda: figure(DONE, page(ruby_app)) == before + 3,
        timeout=20,
        what="the worker to do the 3 jobs",
    )
    assert '<em id="last">JOB2</em>' in page(ruby_app)


def test_programs_run_as_dotcloud_with_the_gems_of_debian(cli: Cli, ruby_app: RunningApp) -> None:
    status = cli.run("run", f"{ruby_app.name}.www.0", "--", "supervisorctl", "status").stdout
    assert re.search(r"^nginx +RUNNING +pid \d+", status, re.MULTILINE), status
    assert re.search(r"^passenger +RUNNING +pid \d+", status, re.MULTILINE), status
    users = cli.run(
        "run", f"{ruby_app.name}.www.0", "--", "ps -o user= -C nginx,ruby,PassengerAgent | sort -u"
    ).stdout.split()
    assert users == ["dotcloud"]
    # Bundler's lock, in dotcloud's home, holds Debian's sinatra for the Gemfile's ~> 1.3.2.
    lock = cli.run("run", f"{ruby_app.name}.www.0", "--", "cat ~/Gemfile.lock").stdout
    assert re.search(r"^    sinatra \(2\.0\.\d", lock, re.MULTILINE), lock
    worker = cli.run("logs", f"{ruby_app.name}.worker", "-n", "200").stdout
    assert "worker: waiting for jobs (RACK_ENV=production)" in worker, worker


def test_a_push_with_two_instances_drops_no_request(cli: Cli, ruby_app: RunningApp) -> None:
    view = ruby_app.appdir / "www" / "views" / "index.erb"
    source = view.read_text(encoding="utf-8")
    assert "<h1>Hello from Sinatra, served by" in source, "the example changed: update this test"
    view.write_text(source.replace("Hello from Sinatra,", "Hello from Sinatra v2,"))
    client, pushed, seconds = push_under_load(cli, ruby_app)
    print(
        f"ruby push, 2 instances: {seconds:.1f}s, {client.sent} requests, "
        f"{len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]
    assert client.sent > 0
    assert "[www.1] Re-routing traffic to the new build..." in pushed
    seen = answers_until(
        ruby_app,
        greeting,
        {"Hello from Sinatra v2, served by www.0", "Hello from Sinatra v2, served by www.1"},
    )
    assert not {"Hello from Sinatra, served by www.0", "Hello from Sinatra, served by www.1"} & seen


def test_a_killed_instance_comes_back_and_loses_no_request(ruby_app: RunningApp) -> None:
    client, back_after = kill_www1_under_load(ruby_app, GREETING)
    print(
        f"ruby www.1 killed under load: back after {back_after:.1f}s; "
        f"{client.sent} requests, {len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]


def greeting_or_none(app: RunningApp) -> str | None:
    with contextlib.suppress(requests.RequestException, AssertionError):
        return greeting(page(app))
    return None


def test_in_development_mode_a_saved_app_is_served(cli: Cli, ruby_app: RunningApp) -> None:
    terminal = ruby_app.appdir.parent / "dev-terminal.txt"
    with terminal.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [
                *CLI,
                "up",
                str(ruby_app.appdir),
                "-A",
                ruby_app.name,
                "--port",
                str(ruby_app.port),
                "--dev",
            ],
            env=cli.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    try:
        poll(
            lambda: (
                "Development mode: watching" in terminal.read_text() or process.poll() is not None
            ),
            timeout=DEV_TIMEOUT,
            what="up --dev to start watching",
        )
        assert process.poll() is None, terminal.read_text()
        view = ruby_app.appdir / "www" / "views" / "index.erb"
        source = view.read_text(encoding="utf-8")
        saved_at = time.monotonic()
        view.write_text(source.replace("Hello from Sinatra v2,", "Hello from Sinatra v3,"))

        def both_serve_the_save() -> bool:
            seen = {greeting_or_none(ruby_app) for _ in range(4)}
            return seen == {
                "Hello from Sinatra v3, served by www.0",
                "Hello from Sinatra v3, served by www.1",
            }

        poll(both_serve_the_save, timeout=SERVE_TIMEOUT, what="the saved view")
        print(f"ruby up --dev: a saved view served {time.monotonic() - saved_at:.2f}s later")
        poll(
            lambda: "www" in terminal.read_text().split("Development mode: watching", 1)[1],
            timeout=SERVE_TIMEOUT,
            what="the reload line",
        )
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_a_rack_app_that_cannot_boot_fails_up_with_its_own_lines(cli: Cli, tmp_path: Path) -> None:
    appdir = tmp_path / "rubyboot"
    (appdir / "www").mkdir(parents=True)
    (appdir / "dotcloud.yml").write_text("www:\n  type: ruby\n  approot: www\n")
    (appdir / "www" / "Gemfile").write_text("source :rubygems\ngem 'sinatra'\n")
    (appdir / "www" / "config.ru").write_text(
        "require 'sinatra'\nrequire './settings_2012'\nrun Sinatra::Application\n"
    )
    name = unique_app("rubyboot")
    started = time.monotonic()
    try:
        failed = cli.run(
            "up", str(appdir), "-A", name, "--port", str(free_port()), check=False, timeout=600
        )
        print(f"ruby boot failure: up failed after {time.monotonic() - started:.1f}s")
        assert failed.returncode != 0, failed.stdout
        assert (
            "www.0 did not become responsive: health check failed with exit code 1: "
            "The application failed: GET / answered 500; Passenger's last lines:"
        ) in failed.stderr, failed.stderr
        assert "Could not spawn process for application" in failed.stderr, failed.stderr
        assert "cannot load such file -- ./settings_2012 (LoadError)" in failed.stderr
        assert "config.ru:2:in" in failed.stderr, failed.stderr
    finally:
        cli.run("destroy", name, "-y", check=False)
        remove_app_leftovers(name)
