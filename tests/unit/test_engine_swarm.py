"""The Swarm engine's decisions, against docker-py-shaped fakes: readiness of a service, the
instance number of a task's container, image tags, the deploy command, registry names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.api.stack import parse_registry
from dotcloud_emulator.engine import inventory
from dotcloud_emulator.engine.swarm_engine import (
    check_not_failing,
    content_tag,
    deploy_argv,
    registry_reference,
    service_progress,
)
from dotcloud_emulator.errors import UsageError, UserError

TEMPLATE = {"Image": "dotcloud-t/www:img-new", "Env": ["DOTCLOUD_TASK_SLOT={{.Task.Slot}}"]}
OLD = {"Image": "dotcloud-t/www:img-old", "Env": TEMPLATE["Env"]}
SINCE = "2026-01-01T00:00:00Z"


@dataclass
class FakeService:
    tasks_found: list[dict[str, Any]]
    replicas: int = 2
    update: dict[str, str] = field(default_factory=dict)

    @property
    def attrs(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "Spec": {
                "Name": "dotcloud-t_www",
                "Labels": {"io.dotcloud.emulator.service": "www"},
                "Mode": {"Replicated": {"Replicas": self.replicas}},
                "TaskTemplate": {"ContainerSpec": TEMPLATE},
            }
        }
        if self.update:
            attrs["UpdateStatus"] = self.update
        return attrs

    def tasks(self) -> list[dict[str, Any]]:
        return self.tasks_found


def task(spec: dict[str, Any], state: str, desired: str = "running", err: str = "") -> Any:
    return {
        "Spec": {"ContainerSpec": spec},
        "DesiredState": desired,
        "CreatedAt": "2026-01-01T00:00:05Z",
        "Status": {"State": state, "Err": err, "ContainerStatus": {"ContainerID": "c1"}},
    }


def test_replicas_of_the_old_definition_do_not_count() -> None:
    service = FakeService([task(OLD, "running"), task(OLD, "running"), task(TEMPLATE, "running")])
    progress = service_progress(service, SINCE)
    assert (progress.name, progress.current, progress.wanted) == ("www", 1, 2)
    assert not progress.ready


def test_ready_when_every_replica_of_the_definition_runs_and_no_update_is_under_way() -> None:
    running = [task(TEMPLATE, "running"), task(TEMPLATE, "running")]
    assert service_progress(FakeService(running), SINCE).ready
    updating = FakeService(running, update={"State": "updating"})
    assert not service_progress(updating, SINCE).ready
    done = FakeService(running, update={"State": "completed"})
    assert service_progress(done, SINCE).ready


def test_starting_replicas_are_not_ready() -> None:
    service = FakeService([task(TEMPLATE, "starting"), task(TEMPLATE, "running")])
    assert service_progress(service, SINCE).current == 1


def test_failed_tasks_of_this_deployment_fail_the_wait() -> None:
    failed = [
        task(TEMPLATE, "failed", "shutdown", "task: non-zero exit (1)"),
        task(TEMPLATE, "failed", "shutdown", "task: non-zero exit (1)"),
    ]
    progress = service_progress(FakeService(failed), SINCE)
    assert progress.failed == 2
    with pytest.raises(UserError, match=r"www: 2 replicas failed to start \(task: non-zero exit"):
        check_not_failing(FakeClient(), progress)


def test_failures_before_this_deployment_are_history() -> None:
    failed = [task(TEMPLATE, "failed", "shutdown")] * 2
    assert service_progress(FakeService(failed), "2026-01-01T00:01:00Z").failed == 0


def test_a_rolled_back_update_fails_the_wait() -> None:
    service = FakeService([], update={"State": "rollback_completed", "Message": "rolled back"})
    with pytest.raises(UserError, match=r"the update failed \(rollback_completed: rolled back\)"):
        check_not_failing(FakeClient(), service_progress(service, SINCE))


class FakeClient:
    class containers:  # named as docker-py names it
        @staticmethod
        def get(container_id: str) -> Any:
            raise LookupError(container_id)


def test_a_tasks_container_is_the_instance_of_its_slot() -> None:
    labels = {
        "io.dotcloud.emulator.app": "t",
        "io.dotcloud.emulator.service": "www",
        inventory.SWARM_TASK_NAME: "dotcloud-t_www.2.abcdef",
    }
    instance = inventory.instance_from_attrs({"Config": {"Labels": labels}, "State": {}})
    assert instance.number == 1
    assert instance.label == "www.1"


def test_compose_containers_keep_their_instance_label() -> None:
    labels = {"io.dotcloud.emulator.service": "www", "io.dotcloud.emulator.instance": "3"}
    assert inventory.instance_from_attrs({"Config": {"Labels": labels}}).number == 3


def test_the_running_container_of_a_slot_wins_over_earlier_tasks() -> None:
    def container(status: str, task_id: str) -> inventory.Instance:
        labels = {
            "io.dotcloud.emulator.service": "www",
            inventory.SWARM_TASK_NAME: f"dotcloud-t_www.1.{task_id}",
        }
        return inventory.instance_from_attrs(
            {"Id": task_id, "Config": {"Labels": labels}, "State": {"Status": status}}
        )

    kept = inventory.current_tasks(
        [container("exited", "a"), container("running", "b"), container("exited", "c")]
    )
    assert [(i.container_id, i.number) for i in kept] == [("b", 0)]


def test_an_image_is_tagged_by_its_content() -> None:
    assert content_tag("sha256:0123456789abcdef0123") == "img-0123456789ab"


def test_a_local_stack_never_asks_a_registry_for_its_images() -> None:
    argv = deploy_argv(Path("/s/stack.yml"), "tutorial", from_registry=False)
    assert argv[:3] == ["docker", "stack", "deploy"]
    assert argv[argv.index("--resolve-image") + 1] == "never"
    assert argv[-1] == "dotcloud-tutorial"
    pulled = deploy_argv(Path("/s/stack.yml"), "tutorial", from_registry=True)
    assert pulled[pulled.index("--resolve-image") + 1] == "always"


@pytest.mark.parametrize(
    "registry", ["127.0.0.1:5000", "localhost:5000/team", "registry.example.com/a/b-c"]
)
def test_registries_docker_can_name(registry: str) -> None:
    assert parse_registry(registry) == registry
    reference = registry_reference("dotcloud-t/www:img-1", registry)
    assert reference == f"{registry}/dotcloud-t/www:img-1"


@pytest.mark.parametrize("text", ["", "http://127.0.0.1:5000", "host:99999", "a b", "host/UP"])
def test_anything_else_is_not_a_registry(text: str) -> None:
    with pytest.raises(UsageError, match="is not a registry"):
        parse_registry(text)


class SwarmClient:
    """An engine that manages a swarm in which application `t` has one service."""

    class services:  # named as docker-py names it
        @staticmethod
        def list(filters: dict[str, list[str]]) -> list[str]:
            return ["service"] if "io.dotcloud.emulator.app=t" in filters["label"] else []

    @staticmethod
    def info() -> dict[str, Any]:
        return {"Swarm": {"LocalNodeState": "active", "ControlAvailable": True}}


def test_compose_commands_leave_a_swarm_deployment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from dotcloud_emulator.api import lifecycle

    monkeypatch.setattr(lifecycle, "connect", SwarmClient)
    with pytest.raises(UserError, match=r"application t runs on Docker Swarm here: `stack rm t`"):
        lifecycle.down("t")
    lifecycle.check_not_on_swarm(SwarmClient(), "other", "")  # another application: no error


def test_without_a_swarm_nothing_is_deployed() -> None:
    from dotcloud_emulator.engine.swarm_engine import is_deployed

    class NoSwarm:
        @staticmethod
        def info() -> dict[str, Any]:
            return {"Swarm": {"LocalNodeState": "inactive"}}

    assert not is_deployed(NoSwarm(), "t")
    assert is_deployed(SwarmClient(), "t")


def test_slots_a_service_no_longer_runs_are_not_instances() -> None:
    class Service:
        attrs: dict[str, Any] = {
            "Spec": {
                "Labels": {
                    "io.dotcloud.emulator.service": "www",
                    "io.dotcloud.emulator.role": "service",
                },
                "Mode": {"Replicated": {"Replicas": 1}},
            }
        }

    class Client:
        class services:  # named as docker-py names it
            @staticmethod
            def list(filters: dict[str, list[str]]) -> list[Any]:
                return [Service()]

    def container(slot: int) -> inventory.Instance:
        labels = {
            "io.dotcloud.emulator.service": "www",
            inventory.SWARM_TASK_NAME: f"dotcloud-t_www.{slot}.x{slot}",
        }
        return inventory.instance_from_attrs({"Config": {"Labels": labels}})

    compose = inventory.instance_from_attrs(
        {"Config": {"Labels": {"io.dotcloud.emulator.service": "www"}}}
    )
    kept = inventory.within_replicas(Client(), "t", [container(1), container(2), compose])
    assert [i.label for i in kept] == ["www.0", "www.0"]
    assert [inventory.SWARM_TASK_NAME in i.labels for i in kept] == [True, False]


def test_each_instance_of_a_data_service_is_a_swarm_service_of_its_own() -> None:
    def swarm_service(number: int) -> Any:
        class Service:
            attrs: dict[str, Any] = {
                "Spec": {
                    "Labels": {
                        "io.dotcloud.emulator.service": "db",
                        "io.dotcloud.emulator.role": "service",
                        "io.dotcloud.emulator.instance": str(number),
                    },
                    "Mode": {"Replicated": {"Replicas": 1}},
                }
            }

        return Service()

    class Client:
        class services:  # named as docker-py names it
            @staticmethod
            def list(filters: dict[str, list[str]]) -> list[Any]:
                return [swarm_service(0), swarm_service(1)]  # db.2 was scaled away

    def container(number: int) -> inventory.Instance:
        labels = {
            "io.dotcloud.emulator.service": "db",
            "io.dotcloud.emulator.instance": str(number),
            inventory.SWARM_TASK_NAME: f"dotcloud-t_db-{number}.1.x{number}",
        }
        return inventory.instance_from_attrs({"Config": {"Labels": labels}})

    kept = inventory.within_replicas(Client(), "t", [container(0), container(1), container(2)])
    assert [i.label for i in kept] == ["db.0", "db.1"]
