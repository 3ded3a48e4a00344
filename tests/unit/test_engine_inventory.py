"""Reading instances back from `docker inspect` data, as docker-py returns it."""

from __future__ import annotations

from dotcloud_emulator.engine.inventory import instance_from_attrs, published_ports

SESSION_ATTRS = {
    "Id": "abc123",
    "Name": "/dotcloud-tutorial-session-0-1",
    "Config": {
        "Labels": {
            "io.dotcloud.emulator.app": "tutorial",
            "io.dotcloud.emulator.service": "session",
            "io.dotcloud.emulator.instance": "0",
            "io.dotcloud.emulator.type": "redis",
            "io.dotcloud.emulator.role": "service",
        }
    },
    "State": {"Status": "running", "ExitCode": 0, "Health": {"Status": "healthy"}},
    "NetworkSettings": {
        "Ports": {
            "6379/tcp": [
                {"HostIp": "::1", "HostPort": "49999"},
                {"HostIp": "127.0.0.1", "HostPort": "49153"},
            ]
        }
    },
}


def test_instance_from_inspect_data() -> None:
    instance = instance_from_attrs(SESSION_ATTRS)

    assert (instance.app, instance.service, instance.number, instance.type) == (
        "tutorial",
        "session",
        0,
        "redis",
    )
    assert instance.label == "session.0"
    assert instance.container_name == "dotcloud-tutorial-session-0-1"
    assert instance.state == "up"
    assert instance.host_port(6379) == 49153


def test_an_exited_or_unhealthy_instance_is_down() -> None:
    exited = {**SESSION_ATTRS, "State": {"Status": "exited", "ExitCode": 1}}
    unhealthy = {**SESSION_ATTRS, "State": {"Status": "running", "Health": {"Status": "unhealthy"}}}

    assert instance_from_attrs(exited).state == "down"
    assert instance_from_attrs(exited).exit_code == 1
    assert instance_from_attrs(unhealthy).state == "down"


def test_the_gateway_is_labelled_by_its_role() -> None:
    attrs = {"Config": {"Labels": {"io.dotcloud.emulator.role": "gateway"}}, "State": {}}

    assert instance_from_attrs(attrs).label == "gateway"


def test_unpublished_ports_are_left_out() -> None:
    assert published_ports({"8080/tcp": None, "6379/tcp": [{"HostIp": "", "HostPort": "5"}]}) == {
        "6379/tcp": 5
    }


def test_a_code_instance_cannot_serve_while_a_data_service_is_down() -> None:
    from dotcloud_emulator.api.services import with_dependencies

    statuses = {
        ("www", "www.0"): "up",
        ("www", "www.1"): "down",
        ("session", "session.0"): "down",
        ("db", "db.0"): "up",
    }

    assert with_dependencies(statuses, {"session", "db"}) == {
        ("www", "www.0"): "down (session.0 is down)",
        ("www", "www.1"): "down",
        ("session", "session.0"): "down",
        ("db", "db.0"): "up",
    }
    healthy = {**statuses, ("session", "session.0"): "up"}
    assert with_dependencies(healthy, {"session", "db"}) == healthy
