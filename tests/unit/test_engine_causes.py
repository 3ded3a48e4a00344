"""Finding the cause of a failed build or start in its output."""

from __future__ import annotations

from dotcloud_emulator.engine.causes import (
    build_cause,
    error_lines,
    failing_step,
    last_traceback,
)
from dotcloud_emulator.engine.readiness import failure_message

REQUIREMENTS = "/tmp/requirements/requirements.txt"
BUILDKIT_OUTPUT = """\
#14 [www build 5/6] RUN /home/dotcloud/env/bin/pip install -r /tmp/requirements/requirements.txt
#14 1.203 Collecting psycopg2==2.4.5
#14 2.118     ERROR: Command errored out with exit status 1:
#14 2.119     Error: pg_config executable not found.
#14 2.301 ERROR: Could not find a version that satisfies the requirement nosuch==1.0
#14 2.302 ERROR: No matching distribution found for nosuch==1.0
#14 ERROR: process "/bin/sh -c /home/dotcloud/env/bin/pip install -r /tmp/requirements/requirements.txt" did not complete successfully: exit code: 1
------
 > [www build 5/6] RUN /home/dotcloud/env/bin/pip install -r /tmp/requirements/requirements.txt:
#14 2.302 ERROR: No matching distribution found for nosuch==1.0
------
failed to solve: process "/bin/sh -c /home/dotcloud/env/bin/pip install" did not complete successfully: exit code: 1
""".splitlines()  # noqa: E501


def test_the_failing_buildkit_step_is_named() -> None:
    step = failing_step(BUILDKIT_OUTPUT)
    assert step == "www build 5/6: RUN /home/dotcloud/env/bin/pip install -r " + REQUIREMENTS


def test_the_failing_classic_step_is_named() -> None:
    lines = ["Step 4/9 : RUN useradd dotcloud", " ---> abc", "Step 5/9 : RUN pip install x", "boom"]
    assert failing_step(lines) == "RUN pip install x"
    assert failing_step(["nothing", "here"]) is None


def test_pips_first_error_lines_come_first_without_the_builders_wrapping() -> None:
    assert error_lines(BUILDKIT_OUTPUT) == [
        "    ERROR: Command errored out with exit status 1:",
        "    Error: pg_config executable not found.",
        "ERROR: Could not find a version that satisfies the requirement nosuch==1.0",
        "ERROR: No matching distribution found for nosuch==1.0",
    ]
    cause = build_cause(BUILDKIT_OUTPUT)
    assert cause[0].startswith("failing step: www build 5/6: RUN ")
    assert cause[1] == "first error lines:"
    assert "        Error: pg_config executable not found." in cause


UWSGI_LOG = """\
*** Operational MODE: preforking ***
Traceback (most recent call last):
  File "/home/dotcloud/current/wsgi.py", line 3, in <module>
    from werkzeug.contrib.securecookie import SecureCookie
ImportError: No module named contrib.securecookie
unable to load app 0 (mountpoint='') (callable not found or import error)
*** no app loaded. GAME OVER ***
""".splitlines()


def test_the_last_traceback_ends_at_its_exception() -> None:
    assert last_traceback(UWSGI_LOG) == UWSGI_LOG[1:5]
    assert last_traceback(["no", "traceback"]) == []


def test_a_start_failure_shows_the_applications_error_before_the_shutdown_noise() -> None:
    noise = [f"uwsgi shutdown line {n}" for n in range(30)]
    message = failure_message("www.0", "Supervisor gave up: uwsgi FATAL", [*UWSGI_LOG, *noise])
    lines = message.splitlines()
    assert lines[1] == "the application's error in the log of www.0:"
    assert "    ImportError: No module named contrib.securecookie" in lines
    assert lines[-1] == "    uwsgi shutdown line 29"
    assert len([line for line in lines if "shutdown line" in line]) == 20
