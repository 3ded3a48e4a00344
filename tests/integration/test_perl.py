"""The perl types run for real: examples/dancer-mysql (a 2012 Dancer 1 guestbook on DBI, through
the platform's MySQL, and a perl-worker counting its entries) served by uWSGI's PSGI plugin
through the gateway by two instances, its entries in MariaDB, pushed under load, healed after a
kill, then run from its tree by `up --dev`, where a saved module is served after its programs
restart; and an app.psgi that dies as it loads fails `up` with Perl's own lines.

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

EXAMPLE = ROOT / "examples" / "dancer-mysql"
GREETING = re.compile(r"<h1>(Guestbook(?: v\d)? served by (www\.\d))</h1>")
ENTRIES = re.compile(r'<span id="entries-count">(\d+)</span>')
COUNTED = re.compile(r'<span id="count">([^<]+)</span>')
DEV_TIMEOUT = 600.0  # `up --dev` replaces the instances (no build: the images are there)
SERVE_TIMEOUT = 90.0  # a save restarts nginx and uWSGI, which load Dancer again (4 s when idle)


@pytest.fixture(scope="module")
def perl_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """The example with two web instances."""
    appdir = copy_with_two_instances(
        EXAMPLE,
        tmp_path_factory.mktemp("perl") / "dancer-mysql",
        "perl",
        ignore=("build", "gateway", "healer", "docker-compose.yml"),
    )
    started = time.monotonic()
    with running_app(cli, "perl", appdir, cleanup_apps) as app:
        print(
            f"perl example: up (build and start, 2 instances) in {time.monotonic() - started:.1f}s"
        )
        yield app


def greeting(text: str) -> str:
    found = GREETING.search(text)
    assert found, text
    return found.group(1)


def entries(text: str) -> int:
    found = ENTRIES.search(text)
    assert found, text
    return int(found.group(1))


def counted(text: str) -> str:
    found = COUNTED.search(text)
    assert found, text
    return found.group(1)


def test_the_page_is_served_by_dancer_on_perl_through_the_gateway(perl_app: RunningApp) -> None:
    text = page(perl_app)
    assert '<span id="dancer">1.3521</span>' in text, text  # Debian's Dancer 1, from Makefile.PL
    assert '<span id="perl">v5.36.0</span>' in text, text
    assert re.search(r'<span id="mysql">10\.11\.\d+-MariaDB', text), text
    wanted = {"Guestbook served by www.0", "Guestbook served by www.1"}
    assert answers_until(perl_app, greeting, wanted) == wanted
    # static/ is nginx's, at /static, as on the platform: Dancer is not asked.
    style = requests.get(
        f"{perl_app.base}/static/style.css", headers={"Host": perl_app.host("www")}, timeout=10
    )
    assert style.status_code == 200
    assert style.headers["Content-Type"] == "text/css"
    assert "X-Powered-By" not in style.headers
    assert "font-family" in style.text


def test_entries_are_written_and_read_in_mysql(cli: Cli, perl_app: RunningApp) -> None:
    url = f"{perl_app.base}/sign"
    host = {"Host": perl_app.host("www")}
    for number in range(4):
        message = f"entry {number} with a quote ' and a <tag>"
        posted = requests.post(
            url,
            data={"author": "ann", "message": message},
            headers=host,
            timeout=10,
            allow_redirects=False,
        )
        # Dancer redirects to the page at the host name it was asked for.
        assert posted.status_code == 302, posted.text
        assert posted.headers["Location"] == f"http://{perl_app.host('www')}/"
        assert f"entry {number} with a quote ' and a &lt;tag&gt;" in page(perl_app)
    assert {entries(page(perl_app)) for _ in range(4)} == {4}  # both read the same database
    query = (
        'mysql -h "$DOTCLOUD_DB_MYSQL_HOST" -P "$DOTCLOUD_DB_MYSQL_PORT" -u root '
        '-p"$DOTCLOUD_DB_MYSQL_PASSWORD" -N -B '
        '-e "SELECT author, message, written_by FROM guestbook.entries ORDER BY id"'
    )
    rows = cli.run("run", f"{perl_app.name}.www.1", "--", query).stdout.strip().splitlines()
    assert [row.split("\t")[:2] for row in rows] == [
        ["ann", f"entry {number} with a quote ' and a <tag>"] for number in range(4)
    ]
    assert {row.split("\t")[2] for row in rows} <= {"www.0", "www.1"}
    # The perl-worker (DBI on the command line, its modules from `requirements:`) counts them.
    poll(lambda: counted(page(perl_app)) == "4", timeout=20, what="the counter to count 4")


def test_run_shows_the_programs_all_running_as_dotcloud(cli: Cli, perl_app: RunningApp) -> None:
    status = cli.run("run", f"{perl_app.name}.www.0", "--", "supervisorctl", "status").stdout
    assert re.search(r"^nginx +RUNNING +pid \d+", status, re.MULTILINE), status
    assert re.search(r"^uwsgi +RUNNING +pid \d+", status, re.MULTILINE), status
    users = cli.run(
        "run",
        f"{perl_app.name}.www.0",
        "--",
        "cat /proc/[0-9]*/status 2>/dev/null | awk '/^Uid:/ {print $2}' | sort -u",
    ).stdout.split()
    assert users == ["1000"]  # supervisord, nginx, uWSGI and its workers: no root
    worker = cli.run("run", f"{perl_app.name}.counter.0", "--", "supervisorctl", "status").stdout
    assert re.search(r"^counter +RUNNING +pid \d+", worker, re.MULTILINE), worker
    assert "nginx" not in worker  # a worker has no web front


def test_a_push_with_two_instances_drops_no_request(cli: Cli, perl_app: RunningApp) -> None:
    module = perl_app.appdir / "www" / "lib" / "guestbook.pm"
    source = module.read_text(encoding="utf-8")
    assert "<h1>Guestbook served by" in source, "the example's greeting changed: update this test"
    module.write_text(source.replace("<h1>Guestbook served by", "<h1>Guestbook v2 served by"))
    client, pushed, seconds = push_under_load(cli, perl_app)
    print(
        f"perl push, 2 instances: {seconds:.1f}s, {client.sent} requests, "
        f"{len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]
    assert client.sent > 0
    assert "[www.1] Re-routing traffic to the new build..." in pushed
    seen = answers_until(
        perl_app, greeting, {"Guestbook v2 served by www.0", "Guestbook v2 served by www.1"}
    )
    assert not {"Guestbook served by www.0", "Guestbook served by www.1"} & seen
    assert entries(page(perl_app)) == 4


def test_a_killed_instance_comes_back_and_loses_no_request(perl_app: RunningApp) -> None:
    client, back_after = kill_www1_under_load(perl_app, GREETING)
    print(
        f"perl www.1 killed under load: back after {back_after:.1f}s; "
        f"{client.sent} requests, {len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]


def greetings_or_none(app: RunningApp) -> set[str] | None:
    with contextlib.suppress(requests.RequestException, AssertionError):
        return {greeting(page(app)) for _ in range(4)}
    return None


def test_in_development_mode_a_saved_module_is_served(cli: Cli, perl_app: RunningApp) -> None:
    terminal = perl_app.appdir.parent / "dev-terminal.txt"
    with terminal.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [
                *CLI,
                "up",
                str(perl_app.appdir),
                "-A",
                perl_app.name,
                "--port",
                str(perl_app.port),
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
        module = perl_app.appdir / "www" / "lib" / "guestbook.pm"
        source = module.read_text(encoding="utf-8")
        saved_at = time.monotonic()
        module.write_text(source.replace("Guestbook v2 served by", "Guestbook v3 served by"))
        wanted = {"Guestbook v3 served by www.0", "Guestbook v3 served by www.1"}
        seen: list[set[str] | None] = []
        try:
            poll(
                lambda: seen.append(greetings_or_none(perl_app)) or seen[-1] == wanted,
                timeout=SERVE_TIMEOUT,
                what="the saved module",
            )
        except AssertionError as exc:
            last = seen[-1] if seen else None
            raise AssertionError(f"{exc}; last served {last}\n{terminal.read_text()}") from None
        seconds = time.monotonic() - saved_at
        print(f"perl up --dev: a saved guestbook.pm served {seconds:.2f}s later")
        poll(
            lambda: "www: lib/guestbook.pm" in terminal.read_text(),
            timeout=SERVE_TIMEOUT,
            what="the terminal's line for the save",
        )
        assert "www: lib/guestbook.pm" in terminal.read_text()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_an_app_psgi_that_dies_fails_up_with_perls_words(cli: Cli, tmp_path: Path) -> None:
    appdir = tmp_path / "perldies"
    (appdir / "www").mkdir(parents=True)
    (appdir / "dotcloud.yml").write_text("www:\n  type: perl\n  approot: www\n")
    (appdir / "www" / "app.psgi").write_text(
        "use strict;\nuse Guestbook::Settings;\nsub { [200, [], ['never']] };\n"
    )
    name = unique_app("perldies")
    started = time.monotonic()
    try:
        failed = cli.run(
            "up", str(appdir), "-A", name, "--port", str(free_port()), check=False, timeout=600
        )
        print(f"perl app.psgi dying: up failed after {time.monotonic() - started:.1f}s")
        assert failed.returncode != 0, failed.stdout
        assert "www.0 did not become responsive: health check failed" in failed.stderr
        assert "Supervisor gave up: uwsgi" in failed.stderr, failed.stderr
        assert (
            "the application's error in the log of www.0:\n"
            "    /home/dotcloud/current/app.psgi died while uWSGI loaded it:\n"
            "    Can't locate Guestbook/Settings.pm in @INC"
        ) in failed.stderr, failed.stderr
        assert "BEGIN failed--compilation aborted at /home/dotcloud/current/app.psgi line 2." in (
            failed.stderr
        )
    finally:
        cli.run("destroy", name, "-y", check=False)
        remove_app_leftovers(name)
