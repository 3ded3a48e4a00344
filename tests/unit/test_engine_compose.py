"""Compose commands: argv lists naming the project, file and state home; failures keep the tail."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dotcloud_emulator.engine.compose import (
    ComposeError,
    ComposeProject,
    build_argv,
    run_compose,
    up_argv,
)


@pytest.fixture
def project(tmp_path: Path) -> ComposeProject:
    return ComposeProject.for_app("tutorial", tmp_path / "docker-compose.yml", tmp_path / "home")


def test_build_and_up_argv(project: ComposeProject) -> None:
    common = ["docker", "compose", "--ansi", "never", "--progress", "plain"]
    target = ["-f", str(project.file), "-p", "dotcloud-tutorial"]

    assert build_argv(project) == [*common, *target, "build"]
    assert up_argv(project) == [
        *common,
        *target,
        "up",
        "--detach",
        "--remove-orphans",
        "--no-build",
    ]
    assert up_argv(project, "www-1", alone=True, recreate=True) == [
        *common,
        *target,
        "up",
        "--detach",
        "--no-deps",
        "--no-build",
        "--force-recreate",
        "www-1",
    ]


@pytest.mark.parametrize(("buildkit", "flag"), [(True, "1"), (False, "0")])
def test_environment_names_the_state_home_gateway_port_and_builder(
    project: ComposeProject, buildkit: bool, flag: str
) -> None:
    env = project.environment({"PATH": "/usr/bin"}, buildkit=buildkit)

    assert env == {
        "PATH": "/usr/bin",
        "DOTCLOUD_EMULATOR_HOME": str(project.state_home),
        "DOTCLOUD_GATEWAY_PORT": "8080",
        "DOCKER_BUILDKIT": flag,
    }


def test_a_failed_command_reports_argv_status_and_output_tail(
    project: ComposeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dotcloud_emulator.engine.compose.buildkit_available", lambda: False)
    argv = [sys.executable, "-c", "print('step 1'); print('boom'); raise SystemExit(3)"]
    seen: list[str] = []

    with pytest.raises(ComposeError) as caught:
        run_compose(project, argv, on_line=seen.append)

    assert seen == ["step 1", "boom"]
    assert caught.value.returncode == 3
    assert caught.value.message.endswith(
        "failed with exit code 3\nlast output lines:\n    step 1\n    boom"
    )
    assert caught.value.exit_code == 1


def test_the_healer_watches_the_engine_docker_host_names() -> None:
    from dotcloud_emulator.engine.compose import engine_socket

    assert engine_socket("unix:///run/user/1000/docker.sock") == "/run/user/1000/docker.sock"
    assert engine_socket("tcp://127.0.0.1:2375") == ""
    assert engine_socket("") == ""
