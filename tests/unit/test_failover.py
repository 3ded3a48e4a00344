"""Failover bookkeeping without Docker: which instance holds a scaled service's name, what the
state remembers of it, where the Compose project puts the name, and what `scale` refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dotcloud_emulator.api import scaling
from dotcloud_emulator.api.scaling import ScaleRequest, check_keeps_masters
from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine.failover import (
    master_of,
    masters,
    note_masters,
    replica_set_primary,
)
from dotcloud_emulator.engine.inventory import Instance
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.render.compose import master_instance, render_compose


def instance(service: str, number: int, kind: str, *aliases: str, role: str = "") -> Instance:
    return Instance(
        app="shop",
        service=service,
        number=number,
        role=role or naming.ROLE_SERVICE,
        type=kind,
        container_id=f"id-{service}-{number}",
        container_name=f"dotcloud-shop-{service}-{number}-1",
        status="running",
        health="healthy",
        exit_code=0,
        aliases=frozenset(aliases),
    )


def shop(root: Path) -> Application:
    services = (
        Service("www", "python", approot="www"),
        Service("db", "mysql"),
        Service("cache", "redis"),
    )
    return Application("shop", root, root / "dotcloud.yml", services)


def state_of(**changes: Any) -> AppState:
    state = AppState(app="shop", created_at=1.0, passwords={"db": "pw", "cache": "pw"})
    for key, value in changes.items():
        setattr(state, key, value)
    return state


def test_the_master_is_the_replicated_instance_holding_its_services_name() -> None:
    found = [
        instance("db", 0, "mysql"),
        instance("db", 1, "mysql", "db"),
        instance("db", 2, "mysql"),
        instance("cache", 0, "redis", "cache"),
        # A code service's instance 0 holds its name too; it has no master.
        instance("www", 0, "python", "www"),
        instance("gateway", 0, "gateway", "db", role=naming.ROLE_GATEWAY),
    ]
    assert masters(found) == {"db": 1, "cache": 0}
    assert master_of(found, "db") == 1
    assert master_of(found, "cache") == 0


def test_a_service_none_of_whose_instances_holds_the_name_has_master_0() -> None:
    assert master_of([instance("db", 0, "mysql"), instance("db", 1, "mysql")], "db") == 0


def test_the_state_remembers_a_failover_and_forgets_it_when_0_is_master_again() -> None:
    state = state_of()
    assert note_masters([instance("db", 2, "mysql", "db")], state)
    assert state.masters == {"db": 2}
    assert not note_masters([instance("db", 2, "mysql", "db")], state)  # nothing new

    assert note_masters([instance("db", 0, "mysql", "db")], state)
    assert state.masters == {}


def test_a_service_without_a_named_instance_keeps_what_was_recorded() -> None:
    state = state_of(masters={"db": 1})
    assert not note_masters([instance("db", 0, "mysql"), instance("db", 1, "mysql")], state)
    assert state.masters == {"db": 1}


@pytest.mark.parametrize(
    ("scale", "recorded", "expected"),
    [
        ({"db": 3}, {"db": 2}, 2),  # since a failover
        ({"db": 3}, {}, 0),  # never failed over
        ({"db": 2}, {"db": 2}, 0),  # an instance that no longer exists: back to 0
    ],
)
def test_the_name_goes_to_the_recorded_master_while_it_exists(
    tmp_path: Path, scale: dict[str, int], recorded: dict[str, int], expected: int
) -> None:
    application = shop(tmp_path)
    assert master_instance(application.service("db"), state_of(scale=scale, masters=recorded)) == (
        expected
    )


def test_the_compose_project_gives_the_services_name_to_the_master(tmp_path: Path) -> None:
    state = state_of(scale={"db": 3}, masters={"db": 1})
    text = render_compose(shop(tmp_path), state, Settings(tmp_path)).content
    services = yaml.safe_load(text)["services"]
    named = [name for name in ("db-0", "db-1", "db-2") if "networks" in services[name]]
    assert named == ["db-1"]
    assert services["db-1"]["networks"] == {"default": {"aliases": ["db"]}}


@pytest.fixture
def stored_master(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Application:
    """The shop, db.1 its database's master since a failover, no engine answering."""
    application = shop(tmp_path)
    state_store = StateStore(tmp_path / "home")
    state = state_store.prepare(application)
    state.scale["db"], state.masters["db"] = 3, 1
    state_store.save(state)
    monkeypatch.setattr(scaling, "store", lambda: state_store)
    monkeypatch.setattr(scaling, "connect_if_up", lambda: None)
    return application


def test_scale_refuses_to_remove_the_master_a_failover_made(stored_master: Application) -> None:
    with pytest.raises(UsageError) as caught:
        check_keeps_masters(stored_master, [ScaleRequest("db", 1)])
    assert caught.value.message == (
        "db:instances=1: db.1 is the master of db since a failover, and scaling to 1 would "
        "remove it; scale to 2 or more"
    )


def test_scale_keeping_the_master_is_allowed(stored_master: Application) -> None:
    check_keeps_masters(stored_master, [ScaleRequest("db", 2), ScaleRequest("cache", 1)])


def test_a_member_that_publishes_no_port_is_asked_in_its_container() -> None:
    """Under Swarm no member publishes its port: each is asked `hello` by the server's Python in
    its container, as dotcloud; the one answering "primary" is the primary."""
    asked: list[tuple[str, list[str], dict[str, str], str]] = []

    class Result:
        def __init__(self, output: str) -> None:
            self.exit_code, self.output = 0, output.encode()

    class Container:
        def __init__(self, container_id: str) -> None:
            self.id = container_id

        def exec_run(self, argv: list[str], environment: dict[str, str], user: str) -> Result:
            asked.append((self.id, argv, environment, user))
            return Result("primary\n" if self.id == "id-mdb-1" else "not primary\n")

    class Client:
        class containers:  # named as docker-py names it
            @staticmethod
            def get(container_id: str) -> Container:
                return Container(container_id)

    members = [instance("mdb", number, "mongodb") for number in range(3)]
    assert replica_set_primary(members, 27017, Client()) == 1
    assert [container_id for container_id, *_ in asked] == ["id-mdb-0", "id-mdb-1"]
    _, argv, environment, user = asked[0]
    assert argv[0] == "/usr/bin/python3"
    assert "replset.hello('127.0.0.1:27017')" in argv[2]
    assert (environment, user) == ({"PYTHONPATH": "/usr/local/lib/dotcloud"}, "dotcloud")
    assert replica_set_primary(members, 27017) is None  # no port, no client: no answer
