"""The php types run for real: examples/php-mysql (a 2012 guestbook on mysql_*, through the
platform's MySQL, and a php-worker counting its entries) served through the gateway by two
instances, its entries in MariaDB, pushed under load, healed after a kill, then run from its tree
by `up --dev`, where a saved script is served at once; and a PHP fatal error on / fails `up` with
PHP's own lines.

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

EXAMPLE = ROOT / "examples" / "php-mysql"
GREETING = re.compile(r"<h1>(Guestbook(?: v\d)? served by (www\.\d))</h1>")
COUNT = re.compile(r'<span id="count">(\d+)</span>')
COUNTED = re.compile(r'<span id="counted">([-\d]+)</span>')
DEV_TIMEOUT = 600.0  # `up --dev` replaces the instances (no build: the images are there)
SERVE_TIMEOUT = 10.0  # far above what a saved script takes to be served


@pytest.fixture(scope="module")
def php_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """The example with two web instances."""
    appdir = copy_with_two_instances(
        EXAMPLE,
        tmp_path_factory.mktemp("php") / "php-mysql",
        "php",
        ignore=("build", "gateway", "healer"),
    )
    started = time.monotonic()
    with running_app(cli, "php", appdir, cleanup_apps) as app:
        print(
            f"php example: up (build and start, 2 instances) in {time.monotonic() - started:.1f}s"
        )
        yield app


def greeting(text: str) -> str:
    found = GREETING.search(text)
    assert found, text
    return found.group(1)


def entries(text: str) -> int:
    found = COUNT.search(text)
    assert found, text
    return int(found.group(1))


def test_the_page_is_served_by_php_8_through_the_gateway(php_app: RunningApp) -> None:
    text = page(php_app)
    assert re.search(r'<span id="php">8\.2\.\d+</span>', text), text
    assert re.search(r'<span id="mysql">10\.11\.\d+-MariaDB', text), text
    wanted = {"Guestbook served by www.0", "Guestbook served by www.1"}
    assert answers_until(php_app, greeting, wanted) == wanted
    # The application's nginx.conf (a rewrite in the server block) is the platform's too.
    assert greeting(page(php_app, path="/entries")).startswith("Guestbook served by")


def test_entries_are_written_and_read_in_mysql(cli: Cli, php_app: RunningApp) -> None:
    url = f"{php_app.base}/"
    host = {"Host": php_app.host("www")}
    for number in range(4):
        message = f"entry {number} with a quote ' and a <tag>"
        posted = requests.post(
            url, data={"author": "ann", "message": message}, headers=host, timeout=10
        )
        assert posted.status_code == 200, posted.text  # after the redirect to /entries
        assert f"entry {number} with a quote &#039; and a &lt;tag&gt;" in posted.text
    counts = {entries(page(php_app)) for _ in range(4)}
    assert counts == {4}  # both instances read the same database
    query = (
        'mysql -h "$DOTCLOUD_DB_MYSQL_HOST" -P "$DOTCLOUD_DB_MYSQL_PORT" -u root '
        '-p"$DOTCLOUD_DB_MYSQL_PASSWORD" -N -B '
        '-e "SELECT author, message, written_by FROM guestbook.entries ORDER BY id"'
    )
    rows = cli.run("run", f"{php_app.name}.www.1", "--", query).stdout.strip().splitlines()
    assert [row.split("\t")[:2] for row in rows] == [
        ["ann", f"entry {number} with a quote ' and a <tag>"] for number in range(4)
    ]
    assert {row.split("\t")[2] for row in rows} <= {"www.0", "www.1"}
    # The php-worker's counter (mysql_* on the command line) counts them too.
    poll(lambda: counted(page(php_app)) == "4", timeout=20, what="the counter to count 4")


def counted(text: str) -> str:
    found = COUNTED.search(text)
    assert found, text
    return found.group(1)


def test_run_shows_the_programs_and_php_ini_as_applied(cli: Cli, php_app: RunningApp) -> None:
    status = cli.run("run", f"{php_app.name}.www.0", "--", "supervisorctl", "status").stdout
    assert re.search(r"^nginx +RUNNING +pid \d+", status, re.MULTILINE), status
    assert re.search(r"^php-fpm +RUNNING +pid \d+", status, re.MULTILINE), status
    script = (
        "<?php echo ini_get('date.timezone'), ' ', function_exists('mysql_connect') ? 'y' : 'n';"
    )
    shell = cli.run(
        "run",
        f"{php_app.name}.www.0",
        "--",
        f"echo {script!r} > /tmp/ini.php; php /tmp/ini.php; echo; ps -o user= -C nginx,php-fpm8.2"
        " | sort -u",
    ).stdout.split()
    # The approot's php.ini came last; mysql_* is there for a script; nginx and FPM run as dotcloud.
    assert shell == ["Europe/Paris", "y", "dotcloud"]
    logs = cli.run("logs", f"{php_app.name}.www.0", "-n", "1000").stdout
    assert "php.ini line 2: magic_quotes_gpc = Off: left out" in logs


def test_a_push_with_two_instances_drops_no_request(cli: Cli, php_app: RunningApp) -> None:
    index = php_app.appdir / "www" / "index.php"
    source = index.read_text(encoding="utf-8")
    assert "<h1>Guestbook served by" in source, "the example's greeting changed: update this test"
    index.write_text(source.replace("<h1>Guestbook served by", "<h1>Guestbook v2 served by"))
    client, pushed, seconds = push_under_load(cli, php_app)
    print(
        f"php push, 2 instances: {seconds:.1f}s, {client.sent} requests, "
        f"{len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]
    assert client.sent > 0
    assert "[www.1] Re-routing traffic to the new build..." in pushed
    seen = answers_until(
        php_app, greeting, {"Guestbook v2 served by www.0", "Guestbook v2 served by www.1"}
    )
    assert not {"Guestbook served by www.0", "Guestbook served by www.1"} & seen
    assert entries(page(php_app)) == 4


def test_a_killed_instance_comes_back_and_loses_no_request(php_app: RunningApp) -> None:
    client, back_after = kill_www1_under_load(php_app, GREETING)
    print(
        f"php www.1 killed under load: back after {back_after:.1f}s; "
        f"{client.sent} requests, {len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]


def page_or_none(app: RunningApp, path: str) -> str | None:
    with contextlib.suppress(requests.RequestException, AssertionError):
        return page(app, path=path)
    return None


def fpm_pids(cli: Cli, app: RunningApp, instance: int) -> str:
    status = cli.run("run", f"{app.name}.www.{instance}", "--", "supervisorctl", "status").stdout
    return " ".join(re.findall(r"pid (\d+)", status))


def test_in_development_mode_a_saved_script_is_served_at_once(
    cli: Cli, php_app: RunningApp
) -> None:
    terminal = php_app.appdir.parent / "dev-terminal.txt"
    with terminal.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [
                *CLI,
                "up",
                str(php_app.appdir),
                "-A",
                php_app.name,
                "--port",
                str(php_app.port),
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
        pids = [fpm_pids(cli, php_app, 0), fpm_pids(cli, php_app, 1)]
        index = php_app.appdir / "www" / "index.php"
        source = index.read_text(encoding="utf-8")
        saved_at = time.monotonic()
        index.write_text(source.replace("<h1>Guestbook v2 served by", "<h1>Guestbook v3 served by"))

        def both_serve_the_save() -> bool:
            with contextlib.suppress(requests.RequestException, AssertionError):
                seen = {greeting(page(php_app)) for _ in range(4)}
                return seen == {"Guestbook v3 served by www.0", "Guestbook v3 served by www.1"}
            return False

        poll(both_serve_the_save, timeout=SERVE_TIMEOUT, what="the saved script")
        print(f"php up --dev: a saved index.php served {time.monotonic() - saved_at:.2f}s later")
        # Nothing was restarted: PHP read the saved file at the next request.
        assert [fpm_pids(cli, php_app, 0), fpm_pids(cli, php_app, 1)] == pids
        assert "restarted" not in terminal.read_text()
        # A new script is served too, with the platform's variables in its environment.
        (php_app.appdir / "www" / "env.php").write_text(
            "<?php echo getenv('DOTCLOUD_DB_MYSQL_LOGIN'), '@', getenv('DOTCLOUD_PROJECT');\n"
        )
        poll(
            lambda: page_or_none(php_app, "/env.php") == f"root@{php_app.name}",
            timeout=SERVE_TIMEOUT,
            what="the new script",
        )
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def test_a_php_fatal_error_on_the_page_fails_up_with_phps_words(cli: Cli, tmp_path: Path) -> None:
    appdir = tmp_path / "phpfatal"
    (appdir / "www").mkdir(parents=True)
    (appdir / "dotcloud.yml").write_text("www:\n  type: php\n  approot: www\n")
    (appdir / "www" / "index.php").write_text(
        "<?php\nrequire 'config.php';\nguestbook_open_2012();\n"
    )
    (appdir / "www" / "config.php").write_text("<?php\n$title = 'Guestbook';\n")
    # Fatal at PHP 8's start if PHP got it: the copy leaves it out, and the page is reached.
    (appdir / "www" / "php.ini").write_text("magic_quotes_gpc = On\n")
    name = unique_app("phpfatal")
    started = time.monotonic()
    try:
        failed = cli.run(
            "up", str(appdir), "-A", name, "--port", str(free_port()), check=False, timeout=600
        )
        print(f"php fatal error: up failed after {time.monotonic() - started:.1f}s")
        assert failed.returncode != 0, failed.stdout
        assert (
            "www.0 did not become responsive: health check failed with exit code 1: "
            "The application failed: GET / answered 500; PHP's last lines:"
        ) in failed.stderr, failed.stderr
        assert (
            "PHP Fatal error:  Uncaught Error: Call to undefined function guestbook_open_2012()"
        ) in failed.stderr, failed.stderr
        assert "magic_quotes_gpc = On: left out" in failed.stderr, failed.stderr
    finally:
        cli.run("destroy", name, "-y", check=False)
        remove_app_leftovers(name)
