"""`docker compose config` accepts the generated file (Compose only parses it: no engine needed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.generate import generate_project
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore


def compose_cli() -> list[str]:
    reason = "Docker Compose v2 is not installed (`docker compose version` failed)"
    docker = shutil.which("docker")
    works = docker is not None and (
        subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False, timeout=30
        ).returncode
        == 0
    )
    if not works:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it")
        pytest.skip(reason)
    assert docker is not None
    return [docker, "compose"]


def test_docker_compose_config_accepts_the_generated_project(
    tmp_path: Path, private_state_home: Path
) -> None:
    command = compose_cli()
    root = tmp_path / "app"
    (root / "www").mkdir(parents=True)
    (root / "www" / "wsgi.py").write_text("application = None\n")
    services = (
        Service("www", "python", approot="www", instances=2, processes={"beat": "sleep 1"}),  # type: ignore[arg-type]
        Service("cache", "redis"),
        Service("jobs", "python-worker", process="python -c 'print(1)'"),
    )
    application = Application("demo", root, root / "dotcloud.yml", services)
    settings = Settings(private_state_home)
    state = StateStore(private_state_home).prepare(application)
    compose_file = generate_project(application, state, settings, root, ca_bundle="")
    env = {**os.environ, "DOTCLOUD_EMULATOR_HOME": str(private_state_home)}
    result = subprocess.run(
        [*command, "-f", str(compose_file), "config", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_config_accepts_the_committed_sample(tmp_path: Path) -> None:
    command = compose_cli()
    sample = Path(__file__).resolve().parents[2] / "docker-compose.yml"

    result = subprocess.run(
        [*command, "-f", str(sample), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "DOTCLOUD_EMULATOR_HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr


def test_docker_compose_config_accepts_a_php_application_with_rabbitmq(
    tmp_path: Path, private_state_home: Path
) -> None:
    """The shape of the corpus's rabbitmq file: a php front end and its queue (docs/corpus.md)."""
    command = compose_cli()
    root = tmp_path / "app"
    root.mkdir()
    (root / "index.php").write_text("<?php echo getenv('DOTCLOUD_QUEUE_AMQP_PORT');\n")
    services = (Service("www", "php"), Service("queue", "rabbitmq"))
    application = Application("demo", root, root / "dotcloud.yml", services)
    settings = Settings(private_state_home)
    state = StateStore(private_state_home).prepare(application)
    compose_file = generate_project(application, state, settings, root, ca_bundle="")
    env = {**os.environ, "DOTCLOUD_EMULATOR_HOME": str(private_state_home)}
    result = subprocess.run(
        [*command, "-f", str(compose_file), "config", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    queue = json.loads(result.stdout)["services"]["queue-0"]
    published = [(port["target"], port["host_ip"]) for port in queue["ports"]]
    assert published == [(5672, "127.0.0.1"), (15672, "127.0.0.1")]
