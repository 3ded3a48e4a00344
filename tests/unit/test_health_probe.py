"""The instances' readiness probe: every program RUNNING and settled, crash loops seen at once."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.render.contexts import render_build_context
from dotcloud_emulator.render.files import File

NOW = datetime.datetime(2026, 11, 29, 12, 0, 0)


def probe(tmp_path: Path, type_name: str) -> dict[str, Any]:
    """The rendered dotcloud-health of a service, loaded as a module (it runs nothing on import)."""
    service = Service("w", type_name)
    application = Application("app", tmp_path, tmp_path / "dotcloud.yml", (service,))
    items = render_build_context(application, service, Settings(tmp_path))
    source = next(
        i.content for i in items if isinstance(i, File) and i.path.name == "dotcloud-health"
    )
    namespace: dict[str, Any] = {"__name__": "probe"}
    exec(compile(source, "dotcloud-health", "exec"), namespace)
    return namespace


def status(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def crash(seconds_ago: int, program: str = "worker", code: int = 3) -> str:
    when = (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%d %H:%M:%S")
    return f"{when},123 WARN exited: {program} (exit status {code}; not expected)\n"


@pytest.fixture(params=["python", "python-worker"])
def judge(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return probe(tmp_path, request.param)["judge_programs"]


def test_settled_programs_are_ready(judge: Any) -> None:
    running = status(
        "nginx                            RUNNING   pid 10, uptime 0:00:09",
        "worker                           RUNNING   pid 12, uptime 1 day, 0:00:01",
    )
    assert judge(running, [], NOW) == (None, None)


def test_a_program_up_for_less_than_the_settle_time_is_waited_for(judge: Any) -> None:
    problem, program = judge(status("worker RUNNING pid 12, uptime 0:00:02"), [], NOW)
    assert problem == "starting: worker (up 2 s) not yet up for 4 s"
    assert program is None


def test_a_program_not_running_yet_is_waited_for(judge: Any) -> None:
    problem, _ = judge(
        status("worker BACKOFF Exited too quickly (process log may have details)"), [], NOW
    )
    assert problem.startswith("not RUNNING: worker BACKOFF")


def test_fatal_means_supervisor_gave_up(judge: Any) -> None:
    problem, program = judge(status("worker FATAL Exited too quickly"), [], NOW)
    assert problem == "Supervisor gave up: worker FATAL Exited too quickly"
    assert program == "worker"


def test_a_program_crashing_again_and_again_is_a_failure_even_while_running(judge: Any) -> None:
    log = [crash(20), crash(12), crash(4)]
    problem, program = judge(status("worker RUNNING pid 40, uptime 0:00:03"), log, NOW)
    assert problem == (
        "Supervisor gave up: worker keeps crashing (3 unexpected exits in 60 s, "
        "last: exit status 3)"
    )
    assert program == "worker"


def test_old_crashes_and_crashes_before_the_last_start_do_not_count(judge: Any) -> None:
    before_restart = [
        crash(30),
        crash(25),
        "2026-11-29 11:59:40,000 INFO supervisord started with pid 1\n",
    ]
    old = [crash(300), crash(200), crash(100)]
    settled = status("worker RUNNING pid 40, uptime 0:00:30")
    assert judge(settled, [*before_restart, crash(10)], NOW) == (None, None)
    assert judge(settled, old, NOW) == (None, None)


@pytest.mark.parametrize("type_name", ["python", "python-worker"])
def test_states_come_from_supervisord_as_supervisorctl_shows_them(
    tmp_path: Path, type_name: str
) -> None:
    line = probe(tmp_path, type_name)["status_line"]
    running = {"name": "uwsgi", "group": "uwsgi", "statename": "RUNNING", "pid": 12}
    assert line({**running, "now": 10_000, "start": 10_000 - 3_725}) == (
        "uwsgi RUNNING pid 12, uptime 1:02:05"
    )
    member = {"name": "w_0", "group": "w", "statename": "BACKOFF", "now": 5, "start": 4}
    assert line(member) == "w:w_0 BACKOFF"
