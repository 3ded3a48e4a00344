"""Pure helpers of the Docker-backed commands: info YAML, tables, URLs, exec argv, log lines."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from dotcloud_emulator import catalogue
from dotcloud_emulator.api.instances import exec_argv, split_lines
from dotcloud_emulator.api.services import (
    ServiceFacts,
    custom_ports,
    packages_before,
    service_document,
)
from dotcloud_emulator.buildfile.model import Service
from dotcloud_emulator.cli.commands.info import render_yaml, summary_table
from dotcloud_emulator.cli.commands.run import strip_separator
from dotcloud_emulator.cli.commands.url import print_url_lines
from dotcloud_emulator.engine.endpoints import data_url
from dotcloud_emulator.engine.inventory import Instance
from dotcloud_emulator.platform.state import AppState

SESSION = ServiceFacts(
    app="tutorial",
    name="session",
    type="redis",
    config={"redis_password": "s3cret"},
    created_at=1339191785.5,
    instances={0: True},
    ports=[("redis", "redis://root:s3cret@127.0.0.1:49153")],
)


def test_info_yaml_for_a_running_data_service() -> None:
    assert render_yaml(service_document(SESSION)) == (
        "cluster: local\n"
        "config:\n"
        "    redis_password: s3cret\n"
        "created_at: 1339191785.5\n"
        "instances:\n"
        "    tutorial.session.0:\n"
        "        state: running\n"
        "name: tutorial.session\n"
        "ports:\n"
        "-   name: redis\n"
        "    url: redis://root:s3cret@127.0.0.1:49153\n"
        "state: running\n"
        "type: redis\n"
    )


def test_info_of_a_stopped_service_has_no_ports() -> None:
    stopped = ServiceFacts("tutorial", "www", "python", {}, None, {0: False, 1: False}, [])

    document = service_document(stopped)

    assert document["state"] == "stopped"
    assert document["ports"] == []
    assert document["instances"] == {
        "tutorial.www.0": {"state": "stopped"},
        "tutorial.www.1": {"state": "stopped"},
    }
    assert "created_at" not in document
    assert "packages_before" not in document


@pytest.mark.parametrize(
    ("pip_date", "era_date", "expected"),
    [
        (None, "2011-10-29", {"date": "2011-10-29", "source": "newest pinned release: x"}),
        ("2012-06-01", "2011-10-29", {"date": "2012-06-01", "source": "--pip-date"}),
        ("today", "2011-10-29", {"date": None, "source": "--pip-date today"}),
    ],
)
def test_info_of_a_python_service_shows_the_date_its_requirements_resolve_as_of(
    pip_date: str | None, era_date: str, expected: dict[str, str | None]
) -> None:
    state = AppState(
        "oldapp", 0.0, pip_date=pip_date, era_date=era_date, era_source="newest pinned release: x"
    )
    assert packages_before(state) == expected
    web = ServiceFacts("oldapp", "web", "python", {}, None, {0: True}, [], packages_before(state))
    assert service_document(web)["packages_before"] == expected


def test_summary_table() -> None:
    rows = [
        {"name": "www", "type": "python", "instances": 2, "state": "running"},
        {"name": "session", "type": "redis", "instances": 1, "state": "stopped"},
    ]

    assert summary_table(rows) == (
        "+---------+--------+-----------+---------+\n"
        "| name    | type   | instances | state   |\n"
        "+---------+--------+-----------+---------+\n"
        "| www     | python | 2         | running |\n"
        "| session | redis  | 1         | stopped |\n"
        "+---------+--------+-----------+---------+"
    )


def test_data_url_uses_the_types_scheme_and_login() -> None:
    [redis] = catalogue.data_ports("redis")
    [postgresql] = catalogue.data_ports("postgresql")
    assert data_url(redis, "pw", 49153) == "redis://root:pw@127.0.0.1:49153"
    assert data_url(postgresql, "pw", 5) == "pgsql://root:pw@127.0.0.1:5"
    assert catalogue.data_ports("python") == ()


def test_url_lines_are_padded_and_skip_services_without_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_url_lines({"www": ["http://a/", "http://b/"], "worker": [], "session": ["redis://x"]})

    assert capsys.readouterr().out == "www:     http://a/ ; http://b/\nsession: redis://x\n"


def test_exec_argv_runs_a_login_shell_as_dotcloud_in_current() -> None:
    assert exec_argv("c1", ["cat", "/etc/hosts"], interactive=False) == [
        "docker", "exec", "-i", "-u", "dotcloud", "-w", "/home/dotcloud/current", "c1",
        "bash", "-l", "-c", "cat /etc/hosts",
    ]  # fmt: skip
    assert exec_argv("c1", [], interactive=True) == [
        "docker", "exec", "-it", "-u", "dotcloud", "-w", "/home/dotcloud/current", "c1",
        "bash", "-l",
    ]  # fmt: skip


def test_leading_separator_is_dropped() -> None:
    assert strip_separator(["--", "ls", "--", "-l"]) == ["ls", "--", "-l"]
    assert strip_separator(["ls"]) == ["ls"]


def test_log_chunks_are_split_into_lines() -> None:
    assert list(split_lines([b"one\ntw", b"o\n", b"three"])) == ["one", "two", "three"]


def running_instance(number: int, published: dict[str, int]) -> Instance:
    return Instance(
        app="tutorial", service="relay", number=number, role="service", type="custom",
        container_id=f"c{number}", container_name=f"relay-{number}", status="running",
        health="healthy", exit_code=0, published=published,
    )  # fmt: skip


def test_info_lists_each_instances_tcp_and_udp_ports_but_not_http() -> None:
    relay = Service(
        "relay", "custom", ports=MappingProxyType({"web": "http", "logs": "tcp", "dns": "udp"})
    )
    found = [
        running_instance(1, {"42801/tcp": 40002, "42802/udp": 40003}),
        running_instance(0, {"42801/tcp": 40000, "42802/udp": 40001}),
    ]

    assert custom_ports(relay, found) == [
        ("logs", "tcp://127.0.0.1:40000"),
        ("dns", "udp://127.0.0.1:40001"),
        ("logs", "tcp://127.0.0.1:40002"),
        ("dns", "udp://127.0.0.1:40003"),
    ]
