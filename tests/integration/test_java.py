"""The java type runs for real: examples/servlet-postgresql (a 2012 guestbook WAR at / on plain
JDBC through the platform's PostgreSQL, and a second WAR at /stats/) served through the gateway
by two instances of Jetty 9.4 on OpenJDK 17, its heap options on the JVM, pushed under load with a
replaced WAR, healed after a kill, then run from its tree by `up --dev`, where a replaced WAR is
served after Jetty's restart; and a WAR whose servlet init throws, or a JVM that cannot start,
fails `up` with Jetty's (or the JVM's) own lines.

One application (one image build) for the module's tests, which run in the order written: the
push test changes the code the later tests see.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
import zipfile
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

EXAMPLE = ROOT / "examples" / "servlet-postgresql"
BROKEN_WAR = Path(__file__).parent / "java" / "broken.war"
GREETING = re.compile(r"<h1>(Guestbook served by (www\.\d))</h1>")
COUNT = re.compile(r'<span id="count">(\d+)</span>')
DEV_TIMEOUT = 600.0  # `up --dev` replaces the instances (no build: the images are there)
SERVE_TIMEOUT = 60.0  # a saved WAR restarts Jetty, which deploys it in a few seconds


@pytest.fixture(scope="module")
def java_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    """The example with two web instances."""
    appdir = copy_with_two_instances(
        EXAMPLE,
        tmp_path_factory.mktemp("java") / "servlet-postgresql",
        "java",
        ignore=("build", "gateway", "healer", "*.war"),
    )
    # The WARs are built from the example's sources, as its README says (they are not committed).
    subprocess.run([str(appdir / "build-wars.sh")], check=True, capture_output=True, timeout=900)
    started = time.monotonic()
    with running_app(cli, "java", appdir, cleanup_apps) as app:
        print(
            f"java example: up (build and start, 2 instances) in {time.monotonic() - started:.1f}s"
        )
        yield app


def test_the_examples_wars_are_built_from_its_sources(java_app: RunningApp) -> None:
    wars = {path.name: path for path in (java_app.appdir / "www").glob("*.war")}
    assert sorted(wars) == ["ROOT.war", "stats.war"]
    with zipfile.ZipFile(wars["ROOT.war"]) as war:
        names = war.namelist()
        assert "WEB-INF/web.xml" in names
        assert "WEB-INF/lib/postgresql.jar" in names
        classes = [name for name in names if name.endswith(".class")]
        # Java 7 bytecode (major version 51), as the platform's java-7 ran it.
        assert classes
        assert all(war.read(name)[6:8] == b"\x00\x33" for name in classes)


def greeting(text: str) -> str:
    found = GREETING.search(text)
    assert found, text
    return found.group(1)


def entries(text: str) -> int:
    found = COUNT.search(text)
    assert found, text
    return int(found.group(1))


def jsp_war(path: Path, text: str) -> None:
    """A WAR of one JSP (Jetty compiles it at the first request), put in place at once (written
    outside the application, so the watcher sees the WAR only)."""
    partial = path.parents[2] / f"{path.name}.partial"
    with zipfile.ZipFile(partial, "w") as war:
        war.writestr(
            "index.jsp",
            f'<%@ page contentType="text/plain" %>{text} on <%= application.getServerInfo() %>',
        )
    partial.replace(path)


def test_both_wars_are_served_by_jetty_through_the_gateway(java_app: RunningApp) -> None:
    text = page(java_app)
    assert re.search(r'<span id="java">17\.\d[\d.]*</span>', text), text
    assert '<span id="server">jetty/9.4.' in text, text
    assert re.search(r'<span id="postgresql">15\.\d+', text), text
    wanted = {"Guestbook served by www.0", "Guestbook served by www.1"}
    assert answers_until(java_app, greeting, wanted) == wanted
    # thing.war at /thing/: the second WAR, a Servlet 3.0 annotation without web.xml servlets.
    assert page(java_app, path="/stats/").strip() == "stats at /stats/ of Guestbook statistics"


def test_entries_are_written_and_read_in_postgresql(java_app: RunningApp) -> None:
    host = {"Host": java_app.host("www")}
    for number in range(4):
        posted = requests.post(
            f"{java_app.base}/",
            data={"author": "ann", "message": f"entry {number} with a quote ' and a <tag>"},
            headers=host,
            timeout=10,
            allow_redirects=False,
        )
        # Back to the page at the gateway's public port (X-Forwarded-Port reached Jetty).
        assert posted.status_code == 302, posted.text
        assert posted.headers["Location"] == f"http://{host['Host']}:{java_app.port}/"
        assert f"entry {number} with a quote &#039; and a &lt;tag&gt;" in page(java_app)
    assert {entries(page(java_app)) for _ in range(4)} == {4}  # one database for both


def test_the_heap_options_reach_the_jvm_and_nothing_runs_as_root(
    cli: Cli, java_app: RunningApp
) -> None:
    assert '<span id="heap">192</span>' in page(java_app)  # Runtime.maxMemory(), in MB
    status = cli.run("run", f"{java_app.name}.www.0", "--", "supervisorctl", "status").stdout
    assert re.search(r"^jetty +RUNNING +pid \d+", status, re.MULTILINE), status
    assert re.search(r"^nginx +RUNNING +pid \d+", status, re.MULTILINE), status
    processes = cli.run(
        "run",
        f"{java_app.name}.www.0",
        "--",
        "for p in /proc/[0-9]*; do echo \"$(stat -c %U $p) $(tr '\\0' ' ' < $p/cmdline)\"; done",
    ).stdout.splitlines()
    java = [line for line in processes if " -jar /usr/share/jetty9/start.jar" in line]
    assert len(java) == 1, processes
    assert java[0].startswith("dotcloud java -Xms64m -Xmx192m "), java
    daemons = [line for line in processes if re.search(r"\b(java|nginx|supervisord)\b", line)]
    assert len(daemons) >= 4, processes  # supervisord, java, nginx's master and workers
    assert all(line.startswith("dotcloud ") for line in daemons), daemons
    logs = cli.run("logs", f"{java_app.name}.www.0", "-n", "1000").stdout
    started = r"^\[www\.0\] [-\d]+ [:.\d]+:INFO:oejs\.Server:main: Started @\d+ms$"
    assert re.search(started, logs, re.MULTILINE), logs  # Jetty's own lines, in `logs`


def test_a_push_with_two_instances_drops_no_request(cli: Cli, java_app: RunningApp) -> None:
    jsp_war(java_app.appdir / "www" / "stats.war", "stats v2")
    client, pushed, seconds = push_under_load(cli, java_app)
    print(
        f"java push, 2 instances: {seconds:.1f}s, {client.sent} requests, "
        f"{len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]
    assert client.sent > 0
    assert "[www.1] Re-routing traffic to the new build..." in pushed
    for _ in range(4):
        assert page(java_app, path="/stats/").startswith("stats v2 on jetty/9.4.")
    assert entries(page(java_app)) == 4


def test_a_killed_instance_comes_back_and_loses_no_request(java_app: RunningApp) -> None:
    client, back_after = kill_www1_under_load(java_app, GREETING)
    print(
        f"java www.1 killed under load: back after {back_after:.1f}s; "
        f"{client.sent} requests, {len(client.failures)} failed"
    )
    assert client.failures == [], client.failures[:10]


def stats_or_none(app: RunningApp) -> str | None:
    with contextlib.suppress(requests.RequestException, AssertionError):
        return page(app, path="/stats/")
    return None


def test_in_development_mode_a_replaced_war_is_served(cli: Cli, java_app: RunningApp) -> None:
    terminal = java_app.appdir.parent / "dev-terminal.txt"
    with terminal.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [
                *CLI,
                "up",
                str(java_app.appdir),
                "-A",
                java_app.name,
                "--port",
                str(java_app.port),
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
        saved_at = time.monotonic()
        jsp_war(java_app.appdir / "www" / "stats.war", "stats v3")

        def both_serve_the_save() -> bool:
            seen = {stats_or_none(java_app) for _ in range(4)}
            return all(text and text.startswith("stats v3 on jetty/") for text in seen)

        poll(both_serve_the_save, timeout=SERVE_TIMEOUT, what="the replaced WAR")
        seconds = time.monotonic() - saved_at
        print(f"java up --dev: a replaced stats.war served {seconds:.2f}s later")
        poll(
            lambda: "www: stats.war applied in" in terminal.read_text(),
            timeout=SERVE_TIMEOUT,
            what="the terminal to say the save was applied",
        )
        assert entries(page(java_app)) == 4  # the other WAR is deployed again too
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def failed_up(cli: Cli, appdir: Path, prefix: str) -> str:
    """`up` of an application that must fail: its stderr."""
    name = unique_app(prefix)
    started = time.monotonic()
    try:
        failed = cli.run(
            "up", str(appdir), "-A", name, "--port", str(free_port()), check=False, timeout=600
        )
        print(f"{prefix}: up failed after {time.monotonic() - started:.1f}s")
        assert failed.returncode != 0, failed.stdout
        return failed.stderr
    finally:
        cli.run("destroy", name, "-y", check=False)
        remove_app_leftovers(name)


def java_appdir(tmp_path: Path, name: str, config: str = "") -> Path:
    appdir = tmp_path / name
    (appdir / "www").mkdir(parents=True)
    (appdir / "dotcloud.yml").write_text(f"www:\n  type: java\n  approot: www\n{config}")
    return appdir


def test_a_servlet_whose_init_throws_fails_up_with_jettys_lines(cli: Cli, tmp_path: Path) -> None:
    appdir = java_appdir(tmp_path, "javabroken")
    jsp_war(appdir / "www" / "ROOT.war", "fine")
    shutil.copy(BROKEN_WAR, appdir / "www" / "guestbook.war")
    stderr = failed_up(cli, appdir, "javabroken")
    assert (
        "www.0 did not become responsive: health check failed with exit code 1: "
        "The application failed: Jetty could not deploy guestbook.war (at /guestbook); "
        "Jetty's last lines:"
    ) in stderr, stderr
    assert "javax.servlet.ServletException: guestbook_open_2012: no database configured" in stderr


def test_a_jvm_that_cannot_start_fails_up_naming_jetty_and_the_jvms_words(
    cli: Cli, tmp_path: Path
) -> None:
    config = "  config:\n    java_initial_heap_size: 512\n    java_maximum_heap_size: 256\n"
    appdir = java_appdir(tmp_path, "javaheap", config)
    jsp_war(appdir / "www" / "ROOT.war", "fine")
    stderr = failed_up(cli, appdir, "javaheap")
    assert "health check failed with exit code 1: Supervisor gave up: jetty" in stderr, stderr
    assert "Initial heap size set to a larger value than the maximum heap size" in stderr, stderr
