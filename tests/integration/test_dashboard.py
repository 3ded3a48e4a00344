"""The dashboard in a real headless Chromium, against a copy of the sample under its own name:
it lists the services and instances, follows www.0's logs, masks the Redis password until it
is revealed, restarts www.0 and sees it come back, scales www; a cross-site POST is refused,
and the dashboard keeps answering while the application is pushed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import CLI, IN_CI, ROOT, Cli, RunningApp, copy_sample, poll, running_app
from .test_browser import CHROMIUM, FLAGS

STATE_TIMEOUT_MS = 120_000
# Docker's own healthcheck runs every 30 s: an instance the engine found ready is "healthy" in
# Docker's eyes at its next run.
DOCKER_HEALTH_MS = 70_000
# Set to a path (e.g. docs/dashboard.png) to keep the screenshot the test takes.
SCREENSHOT = os.environ.get("DASHBOARD_SCREENSHOT")


@dataclass
class Dashboard:
    url: str
    port: int
    process: subprocess.Popen[str]
    terminal: Path  # what it printed on stderr

    def said(self, text: str) -> bool:
        return text in self.terminal.read_text()


@pytest.fixture(scope="module")
def dash_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = copy_sample(tmp_path_factory.mktemp("dashapp"))
    with running_app(cli, "dash", appdir, cleanup_apps) as app:
        yield app


@pytest.fixture(scope="module")
def dashboard(
    cli: Cli, dash_app: RunningApp, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    terminal = tmp_path_factory.mktemp("dashboard") / "stderr.txt"
    with terminal.open("w") as stderr:
        process = subprocess.Popen(
            [*CLI, "dashboard", "--port", "0", "--no-open"],
            env=cli.env(),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url or terminal.read_text()
        yield Dashboard(url, int(url.rstrip("/").rsplit(":", 1)[1]), process, terminal)
    finally:
        process.terminate()
        process.wait(timeout=10)


def www0_state(app: str) -> dict[str, Any]:
    """Docker's State of the application's www.0 container."""
    import docker

    from dotcloud_emulator.platform import naming

    selector = [f"{naming.LABEL_APP}={app}", f"{naming.LABEL_SERVICE}=www"]
    found = docker.from_env().containers.list(filters={"label": selector})
    (container,) = [c for c in found if c.labels.get(naming.LABEL_INSTANCE) == "0"]
    return dict(container.attrs["State"])


def www0_started_at(app: str) -> str:
    return str(www0_state(app)["StartedAt"])


def redis_password(cli: Cli, app: str) -> str:
    environment = cli.state_home / "apps" / app / "instances" / "www-0" / "environment.json"
    return str(json.loads(environment.read_text())["DOTCLOUD_SESSION_REDIS_PASSWORD"])


def current_action(dashboard: Dashboard, app: str) -> Any:
    answer = requests.get(f"{dashboard.url}api/apps/{app}", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["action"]


def test_a_cross_site_post_is_refused(dashboard: Dashboard, dash_app: RunningApp) -> None:
    restart = f"{dashboard.url}api/apps/{dash_app.name}/instances/www.0/restart"
    own = f"http://127.0.0.1:{dashboard.port}"
    json_type = {"Content-Type": "application/json"}

    elsewhere = requests.post(
        restart, json={}, headers={"Origin": "http://evil.example"}, timeout=10
    )
    no_token = requests.post(restart, json={}, headers={"Origin": own, **json_type}, timeout=10)
    rebound = requests.get(
        f"{dashboard.url}api/apps", headers={"Host": f"evil.example:{dashboard.port}"}, timeout=10
    )

    assert (elsewhere.status_code, no_token.status_code, rebound.status_code) == (403, 403, 403)
    assert "cross-site request refused" in elsewhere.json()["error"]
    assert current_action(dashboard, dash_app.name) is None


def launch(playwright: Any) -> Any:
    if not shutil.which("chromium"):
        if IN_CI:
            pytest.fail("CI=true requires Debian's chromium (scripts/ensure-browser.sh)")
        pytest.skip("chromium is not installed; run scripts/ensure-browser.sh")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


@pytest.mark.browser
def test_a_page_of_another_site_cannot_restart_an_instance(
    dashboard: Dashboard, dash_app: RunningApp
) -> None:
    from playwright.sync_api import sync_playwright

    restart = f"{dashboard.url}api/apps/{dash_app.name}/instances/www.0/restart"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{dash_app.base}/", timeout=30_000)  # the application's own origin
            page.evaluate(
                """async (url) => {
                    await fetch(url, {method: "POST", mode: "no-cors", body: "{}",
                                      headers: {"Content-Type": "text/plain"}});
                }""",
                restart,
            )
            refusal = f'refused POST "/api/apps/{dash_app.name}/instances/www.0/restart"'
            poll(lambda: dashboard.said(refusal), 10, "the dashboard to refuse the POST")
        finally:
            browser.close()

    assert "its Origin is not this dashboard" in dashboard.terminal.read_text()
    assert current_action(dashboard, dash_app.name) is None


def instance_cell(label: str, cell: str) -> str:
    return f'tr[data-instance="{label}"] td.{cell}'


def wait_for_text(page: Any, selector: str, expected: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        "([selector, expected]) => document.querySelector(selector)?.textContent === expected",
        arg=[selector, expected],
        timeout=timeout,
    )


@pytest.mark.browser
def test_the_dashboard_shows_follows_reveals_and_restarts(
    dashboard: Dashboard, dash_app: RunningApp, cli: Cli
) -> None:
    from playwright.sync_api import sync_playwright

    password = redis_password(cli, dash_app.name)
    probe = f"dashboard-probe-{uuid.uuid4().hex[:8]}"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(dashboard.url, timeout=30_000)
            page.click(f'a[href="/app/{dash_app.name}"]')

            # services and instances, with state and health
            wait_for_text(page, instance_cell("www.0", "state"), "up")
            wait_for_text(page, instance_cell("session.0", "state"), "up")
            wait_for_text(page, instance_cell("www.0", "health"), "healthy", DOCKER_HEALTH_MS)
            services = page.eval_on_selector_all(
                "article.service", "a => a.map(e => e.dataset.service)"
            )
            assert services == ["www", "session"]
            www_url = f"http://www.{dash_app.name}.localhost:{dash_app.port}/"
            assert page.get_attribute(
                f'article[data-service="www"] a.open[href="{www_url}"]', "href"
            )

            # the live tail: a request made now shows up in www.0's log
            wait_for_text(page, "#log-state", "following")
            requests.get(f"{dash_app.base}/static/app.js?{probe}", timeout=10).raise_for_status()
            page.wait_for_function(
                "probe => document.querySelector('#log-lines').textContent.includes(probe)",
                arg=probe,
                timeout=30_000,
            )

            # the password is nowhere in the page until revealed
            secret_row = 'tr[data-variable="DOTCLOUD_SESSION_REDIS_PASSWORD"]'
            page.wait_for_selector(f"{secret_row} button.reveal", timeout=30_000)
            assert password not in page.content()
            if SCREENSHOT:
                page.screenshot(path=str(ROOT / SCREENSHOT), full_page=True)
            page.click(f"{secret_row} button.reveal")
            page.wait_for_selector(f"{secret_row} code.revealed", timeout=10_000)
            assert page.text_content(f"{secret_row} code.revealed") == password

            # restart www.0 from the page: restarting, then up, with the health Docker gives the
            # new container ("starting" until its next check, half a minute later)
            started_before = www0_started_at(dash_app.name)
            page.click('button.restart[data-instance="www.0"]')
            wait_for_text(page, instance_cell("www.0", "state"), "restarting", 10_000)
            wait_for_text(page, instance_cell("www.0", "state"), "up", STATE_TIMEOUT_MS)
            health_cell = instance_cell("www.0", "health")
            poll(
                lambda: (
                    page.text_content(health_cell)
                    == www0_state(dash_app.name).get("Health", {}).get("Status")
                ),
                timeout=30,
                what="the page showing www.0's health as Docker gives it",
            )
            wait_for_text(page, "#action-summary", "restart www.0: done", 10_000)

            # scale www to two instances from the page: www.1 appears and comes up
            page.fill('input.scale-count[data-service="www"]', "2")
            page.click('button.scale[data-service="www"]')
            wait_for_text(page, instance_cell("www.1", "state"), "up", STATE_TIMEOUT_MS)
            wait_for_text(page, "#action-summary", "scale www: done", STATE_TIMEOUT_MS)
            assert page.text_content(instance_cell("www.0", "state")) == "up"
        finally:
            browser.close()

    assert www0_started_at(dash_app.name) != started_before
    assert password not in dashboard.terminal.read_text()
    assert requests.get(f"{dash_app.base}/", timeout=10).status_code == 200


def test_the_dashboard_answers_while_the_application_is_pushed(
    dashboard: Dashboard, dash_app: RunningApp, cli: Cli
) -> None:
    wsgi = dash_app.appdir / "services" / "www" / "wsgi.py"
    wsgi.write_text(wsgi.read_text() + "\n# pushed again while the dashboard watches\n")
    push = subprocess.Popen(
        [*CLI, "up", str(dash_app.appdir), "-A", dash_app.name, "--port", str(dash_app.port)],
        env=cli.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    answers: list[requests.Response] = []
    try:
        while push.poll() is None:
            # A hung request fails here (timeout): the page must never wait for the push.
            answers.append(requests.get(f"{dashboard.url}api/apps/{dash_app.name}", timeout=15))
            time.sleep(0.5)  # the page's own pace, not a synchronisation
    finally:
        _, errors = push.communicate(timeout=900)
    assert push.returncode == 0, errors

    assert [
        a.status_code for a in answers if a.status_code != 200 and "error" not in a.json()
    ] == []
    assert all(a.status_code in (200, 404, 409, 503) for a in answers), [a.text for a in answers]
    assert sum(a.status_code == 200 for a in answers) >= 3, [a.text for a in answers]
    assert requests.get(f"{dashboard.url}", timeout=10).status_code == 200
