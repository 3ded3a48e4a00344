"""The Docker Swarm stack file: a golden file of the tutorial's, and what `docker stack deploy`
accepts and the platform's contract needs (no secret in it, dnsrr, one environment per slot)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dotcloud_emulator.buildfile.loader import load_application
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.swarm import (
    MAX_OBJECT_NAME,
    STACK_FILE,
    StackImages,
    hashed_name,
    render_stack,
)
from dotcloud_emulator.render.templating import render_template

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "fixtures" / "swarm"
PASSWORD = "tHe-Redis-Password-0123456789abcdef"
IMAGES = StackImages(
    services={
        "www": "dotcloud-tutorial/www:img-000000000001",
        "session": "dotcloud-tutorial/session:img-000000000002",
    },
    gateway="dotcloud-tutorial/gateway-nginx:img-000000000003",
)
# Refused by Debian's 20.10 stack loader, or ignored by it (which would mislead a reader).
DATA_TYPES = {"redis", "mysql", "postgresql", "mongodb", "rabbitmq", "smtp", "postgis"}
REFUSED_SERVICE_KEYS = {"build", "depends_on", "profiles", "restart", "container_name"}


def tutorial() -> Application:
    return load_application(REPO, "tutorial").application


def tutorial_state(**changes: Any) -> AppState:
    state = AppState(app="tutorial", created_at=0.0, passwords={"session": PASSWORD})
    for key, value in changes.items():
        setattr(state, key, value)
    return state


def rendered(
    application: Application | None = None, state: AppState | None = None
) -> dict[str, str]:
    application = application or tutorial()
    images = StackImages(
        {name: f"{IMAGES.gateway}-{name}" for name in application.service_names}, IMAGES.gateway
    )
    files = render_stack(
        application,
        state or tutorial_state(),
        Settings(Path("/nonexistent-state")),
        IMAGES if application.name == "tutorial" else images,
        "node-1",
    )
    return {file.path.name: file.content for file in files}


def stack(application: Application | None = None, state: AppState | None = None) -> Any:
    return yaml.safe_load(rendered(application, state)[STACK_FILE.name])


@pytest.mark.parametrize("name", ["stack.yml", "routes.conf"])
def test_the_tutorial_matches_its_golden_file(name: str) -> None:
    golden = GOLDEN / f"tutorial-{name}"
    text = rendered()[name]
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == text, (
        f"{golden.name} is out of date: UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    )


def test_no_password_is_in_the_stack_file() -> None:
    files = rendered()
    assert all(PASSWORD not in text for text in files.values())


def test_the_version_key_is_one_the_20_10_cli_reads() -> None:
    version = stack()["version"]
    assert isinstance(version, str)
    assert (3, 0) <= tuple(int(part) for part in version.split(".")) <= (3, 9)


def test_nothing_the_stack_loader_refuses() -> None:
    document = stack()
    assert "name" not in document
    for definition in document["services"].values():
        assert not REFUSED_SERVICE_KEYS & set(definition)
        for port in definition.get("ports", []):
            assert "host_ip" not in port
            assert isinstance(port["published"], int)


def test_every_service_resolves_to_its_replicas() -> None:
    services = stack()["services"]
    assert {s["deploy"]["endpoint_mode"] for s in services.values()} == {"dnsrr"}


def test_every_referenced_secret_and_config_is_defined() -> None:
    document = stack()
    for definition in document["services"].values():
        for mount in definition.get("secrets", []):
            assert mount["source"] in document["secrets"]
        for mount in definition.get("configs", []):
            assert mount["source"] in document["configs"]
    for name, secret in document["secrets"].items():
        assert secret["name"] == name
        assert len(name) <= MAX_OBJECT_NAME
        assert secret["labels"]["io.dotcloud.emulator.app"] == "tutorial"


def test_each_replica_slot_has_its_own_environment() -> None:
    www = stack(state=tutorial_state(scale={"www": 2}))["services"]["www"]
    assert www["deploy"]["replicas"] == 2
    assert www["environment"]["DOTCLOUD_TASK_SLOT"] == "{{.Task.Slot}}"
    targets = {mount["target"] for mount in www["secrets"]}
    assert "/run/dotcloud/slot-1/environment.json" in targets
    assert "/run/dotcloud/slot-2/environment.json" in targets
    assert "/run/dotcloud/slot-2/dotcloud_profile" in targets
    assert len(targets) == len(www["secrets"])


def test_a_changed_environment_gets_new_secret_names() -> None:
    before = set(stack()["secrets"])
    after = set(stack(state=tutorial_state(variables={"GREETING": "hello"}))["secrets"])
    assert before != after
    assert len(before) == len(after)


def test_a_long_name_is_shortened_to_swarms_limit() -> None:
    name = hashed_name("dotcloud-" + "a" * 30 + "-" + "b" * 16 + "-10-profile", "text")
    assert len(name) <= MAX_OBJECT_NAME
    assert re.fullmatch(r"dotcloud-[0-9a-f]{12}-[0-9a-f]{12}", name)


def test_code_services_roll_one_replica_at_a_time_starting_the_new_one_first() -> None:
    deploy = stack()["services"]["www"]["deploy"]
    assert deploy["update_config"]["order"] == "start-first"
    assert deploy["update_config"]["parallelism"] == 1
    assert stack()["services"]["www"]["environment"]["DOTCLOUD_WAIT_FOR"] == "session"


def test_data_services_have_one_replica_a_volume_and_a_node() -> None:
    document = stack()
    session = document["services"]["session-0"]
    assert "session" not in document["services"]
    assert session["deploy"]["replicas"] == 1
    assert session["deploy"]["placement"]["constraints"] == ["node.hostname == node-1"]
    assert session["deploy"]["update_config"]["order"] == "stop-first"
    (volume,) = session["volumes"]
    assert volume == {"type": "volume", "source": "session-0-data", "target": "/home/dotcloud/data"}
    assert volume["source"] in document["volumes"]
    # The service's name is the instance's alias; an unscaled instance looks its role up itself.
    assert session["networks"] == {"default": {"aliases": ["session"]}}
    assert session["environment"] == {"DOTCLOUD_TASK_SLOT": "1"}
    assert session["labels"]["io.dotcloud.emulator.instance"] == "0"


def test_the_gateway_publishes_the_port_in_host_mode_from_one_replica() -> None:
    gateway = stack(state=tutorial_state(gateway_port=18080))["services"]["dotcloud-gateway"]
    assert gateway["ports"] == [
        {"target": 8080, "published": 18080, "protocol": "tcp", "mode": "host"}
    ]
    assert gateway["deploy"]["replicas"] == 1
    assert gateway["labels"]["io.dotcloud.emulator.role"] == "gateway"


def test_the_routes_resolve_service_names_at_request_time() -> None:
    routes = rendered(state=tutorial_state(domains={"www": ["example.com"]}))["routes.conf"]
    assert "resolver 127.0.0.11 valid=1s ipv6=off;" in routes
    assert "set $upstream www:8080;" in routes
    assert "proxy_pass http://$upstream;" in routes
    assert "www.tutorial.localhost example.com localhost 127.0.0.1;" in routes


def test_the_jobs_example_renders_a_service_per_code_service_and_per_data_instance() -> None:
    application = load_application(REPO / "examples" / "jobs", "jobs").application
    passwords = {s.name: PASSWORD for s in application.services}
    document = stack(application, AppState(app="jobs", created_at=0.0, passwords=passwords))
    data = {"db", "mdb", "queue"}  # one Swarm service per instance: `db-0`
    assert {s.name for s in application.services if s.type in DATA_TYPES} == data
    swarm_names = {name if name not in data else f"{name}-0" for name in application.service_names}
    assert swarm_names <= set(document["services"])
    for service in application.services:
        swarm_name = f"{service.name}-0" if service.name in data else service.name
        definition = document["services"][swarm_name]
        assert definition["labels"]["io.dotcloud.emulator.type"] == service.type


def run_init_functions(tmp_path: Path, script: str, **env: str) -> subprocess.CompletedProcess[str]:
    functions = render_template("common/init-functions.j2", instance_mount=str(tmp_path))
    return subprocess.run(
        ["/bin/sh", "-c", functions + script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_entrypoint_reads_its_own_slots_environment(tmp_path: Path) -> None:
    result = run_init_functions(
        tmp_path, 'echo "$ENV_DIR ${DOTCLOUD_TASK_SLOT:-unset}"', DOTCLOUD_TASK_SLOT="2"
    )
    assert result.stdout == f"{tmp_path}/slot-2 unset\n"
    assert run_init_functions(tmp_path, 'echo "$ENV_DIR"').stdout == f"{tmp_path}\n"


def test_the_entrypoint_refuses_a_slot_that_is_not_a_number(tmp_path: Path) -> None:
    result = run_init_functions(tmp_path, "echo reached", DOTCLOUD_TASK_SLOT="../x")
    assert result.returncode == 1
    assert "reached" not in result.stdout


def test_the_entrypoint_waits_for_its_dependencies_with_a_deadline(tmp_path: Path) -> None:
    script = "DEPENDENCY_TIMEOUT=1; wait_for_dependencies; echo started"
    found = run_init_functions(tmp_path, script, DOTCLOUD_WAIT_FOR="localhost")
    assert found.stdout == "started\n"
    missing = run_init_functions(tmp_path, script, DOTCLOUD_WAIT_FOR="no-such-host.invalid")
    assert missing.returncode == 1
    assert "no-such-host.invalid did not come up within 1 seconds" in missing.stderr


def test_a_scaled_data_service_runs_one_swarm_service_per_instance_on_its_own_volume() -> None:
    document = stack(state=tutorial_state(scale={"session": 3}))
    instances = [document["services"][f"session-{n}"] for n in range(3)]
    assert [i["volumes"][0]["source"] for i in instances] == [
        "session-0-data",
        "session-1-data",
        "session-2-data",
    ]
    assert {f"session-{n}-data" for n in range(3)} <= set(document["volumes"])
    assert [i["environment"]["DOTCLOUD_REPLICATION_ROLE"] for i in instances] == [
        "master",
        "replica",
        "replica",
    ]
    assert [i["environment"]["DOTCLOUD_TASK_SLOT"] for i in instances] == ["1", "2", "3"]
    assert [i.get("networks") for i in instances] == [
        {"default": {"aliases": ["session"]}},
        None,
        None,
    ]
    # Each instance mounts its own environment files only, in its own slot.
    for number, instance in enumerate(instances):
        targets = {secret["target"] for secret in instance["secrets"]}
        assert targets == {
            f"/run/dotcloud/slot-{number + 1}/{name}"
            for name in (
                "environment.json",
                "environment.yml",
                "environment.yaml",
                "dotcloud_profile",
            )
        }
    assert all(i["deploy"]["replicas"] == 1 for i in instances)


def test_the_master_a_failover_made_keeps_the_name() -> None:
    document = stack(state=tutorial_state(scale={"session": 3}, masters={"session": 2}))
    roles = [document["services"][f"session-{n}"]["environment"] for n in range(3)]
    assert [r["DOTCLOUD_REPLICATION_ROLE"] for r in roles] == ["replica", "replica", "master"]
    assert document["services"]["session-2"]["networks"] == {"default": {"aliases": ["session"]}}
    assert "networks" not in document["services"]["session-0"]


def test_the_role_given_by_the_stack_is_taken_without_looking_the_name_up(
    tmp_path: Path,
) -> None:
    functions = render_template(
        "common/role-functions.j2", host_variable="DOTCLOUD_SESSION_REDIS_HOST"
    )
    stubs = 'say() { echo "$*" >&2; }; profile_value() { echo other; }; master=no-such.invalid'
    script = f'HOME_DIR={tmp_path}; {stubs}\n{functions}\nfind_role; echo "$role"'

    def role(given: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "DOTCLOUD_REPLICATION_ROLE": given}
        return subprocess.run(
            ["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=30
        )

    assert role("replica").stdout == "replica\n"
    assert role("master").stdout == "master\n"
    wrong = role("leader")
    assert wrong.returncode == 1
    assert 'DOTCLOUD_REPLICATION_ROLE is "leader", neither master nor replica' in wrong.stderr
