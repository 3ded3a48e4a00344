"""Acceptance: the multi-service example (examples/jobs) runs unchanged.

The web service queues a job in Redis, the python-worker stores its result in PostgreSQL and
MariaDB, and the web service shows it. The data survives `down` + `up`; `destroy` removes it.
One application for the whole module, brought up once; each test queues its own job and starts
by bringing the application up if an earlier test (or its failure) left it down, so the tests
pass in any order.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import docker
import pytest
import requests

from dotcloud_emulator.platform.naming import LABEL_APP

from .conftest import (
    ROOT,
    Cli,
    RunningApp,
    poll,
    running_app,
)

EXAMPLE = ROOT / "examples" / "jobs"
JOB_TEXT = "hello from the dotCloud emulator"
RESULT_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def started_app(
    cli: Cli, tmp_path_factory: pytest.TempPathFactory, cleanup_apps: list[str]
) -> Iterator[RunningApp]:
    appdir = tmp_path_factory.mktemp("example") / "jobs"
    shutil.copytree(EXAMPLE, appdir, ignore=shutil.ignore_patterns("__pycache__", ".dotcloud"))
    with running_app(cli, "jobs", appdir, cleanup_apps) as app:
        yield app


def up(cli: Cli, app: RunningApp) -> None:
    cli.run("up", str(app.appdir), "-A", app.name, "--port", str(app.port))


def web(app: RunningApp, path: str) -> str:
    return f"{app.base}{path}"


def headers(app: RunningApp) -> dict[str, str]:
    return {"Host": app.host("web")}


def job_state(app: RunningApp, job_id: str) -> dict[str, Any]:
    response = requests.get(web(app, f"/jobs/{job_id}"), headers=headers(app), timeout=10)
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def both_databases_hold(app: RunningApp, job_id: str) -> bool:
    state = job_state(app, job_id)
    return state["postgresql"] is not None and state["mysql"] is not None


def is_serving(app: RunningApp) -> bool:
    try:
        return requests.get(web(app, "/"), headers=headers(app), timeout=10).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def jobs_app(started_app: RunningApp, cli: Cli) -> RunningApp:
    """The application, running: a test that took it down may have failed before its `up`."""
    if not is_serving(started_app):
        up(cli, started_app)
    return started_app


@pytest.fixture
def finished_job(jobs_app: RunningApp) -> str:
    """A job of this test's own, processed: another test may have destroyed the earlier ones."""
    response = requests.post(
        web(jobs_app, "/jobs"), data={"text": JOB_TEXT}, headers=headers(jobs_app), timeout=10
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    poll(
        lambda: both_databases_hold(jobs_app, job_id),
        timeout=RESULT_TIMEOUT,
        what=f"job {job_id} in PostgreSQL and MariaDB",
    )
    return job_id


def test_the_worker_processes_a_job_the_web_service_queued(
    jobs_app: RunningApp, finished_job: str
) -> None:
    state = job_state(jobs_app, finished_job)

    for database in ("postgresql", "mysql"):
        row = state[database]
        assert row["id"] == finished_job
        assert row["input"] == JOB_TEXT
        assert row["output"] == JOB_TEXT.upper()[::-1]
        assert row["words"] == len(JOB_TEXT.split())
        assert row["worker"] == "worker.0"
    page = requests.get(web(jobs_app, "/"), headers=headers(jobs_app), timeout=10)
    assert finished_job in page.text


def test_the_results_survive_down_and_up(jobs_app: RunningApp, finished_job: str, cli: Cli) -> None:
    cli.run("down", jobs_app.name)
    up(cli, jobs_app)

    state = job_state(jobs_app, finished_job)
    assert state["postgresql"]["output"] == JOB_TEXT.upper()[::-1]
    assert state["mysql"]["output"] == JOB_TEXT.upper()[::-1]


def labelled_volumes(app: str) -> list[str]:
    client = docker.from_env()
    return [v.name for v in client.volumes.list(filters={"label": f"{LABEL_APP}={app}"})]


def test_destroy_removes_the_data(jobs_app: RunningApp, finished_job: str, cli: Cli) -> None:
    assert len(labelled_volumes(jobs_app.name)) == 5  # one per instance: web, worker, queue...

    cli.run("destroy", jobs_app.name, "-y")
    assert labelled_volumes(jobs_app.name) == []

    up(cli, jobs_app)
    assert job_state(jobs_app, finished_job) == {
        "id": finished_job,
        "postgresql": None,
        "mysql": None,
    }
