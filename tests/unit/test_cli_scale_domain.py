"""`scale` and `domain` without Docker: parsing, refusals, the state they store, their output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dotcloud_emulator.api.domains import check_domain
from dotcloud_emulator.api.scaling import ScaleRequest, parse_scale
from dotcloud_emulator.cli import main as cli
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.state import StateStore

BUILDFILE = (
    "www:\n  type: python\nsession:\n  type: redis\nworker:\n  type: python-worker\n"
    "mongo:\n  type: mongodb\n"
)


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "tutorial"
    directory.mkdir()
    (directory / "dotcloud.yml").write_text(BUILDFILE)
    monkeypatch.chdir(directory)
    return directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stored(home: Path) -> StateStore:
    return StateStore(home)


@pytest.mark.parametrize(
    ("argument", "expected"),
    [("www=3", ScaleRequest("www", 3)), ("www:instances=2", ScaleRequest("www", 2))],
)
def test_scale_requests(argument: str, expected: ScaleRequest) -> None:
    assert parse_scale(argument) == expected


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("www:memory=512M", "www:memory=512M: memory is not emulated"),
        ("www:cpu=2", 'Invalid action for "www": Action must be either "instances" or "memory"'),
        ("www=lots", "Instance count must be a number"),
        ("www=0", "www=0: the instance count must be from 1 to 10"),
        ("www", '"www" is not a scaling request: use SVC=N or SVC:instances=N'),
    ],
)
def test_scale_refusals(argument: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_scale(argument)
    assert caught.value.message.startswith(message)


def test_scale_stores_the_count_and_waits_for_the_next_up(
    appdir: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "scale", "tutorial", "www=3", "worker:instances=2")

    assert code == 0
    assert out == "==> Successfully scaled tutorial to www:instances=3, worker:instances=2\n"
    assert err == (
        "==> Scaling application tutorial\n"
        "==> Changing instances of www to 3\n"
        "==> Changing instances of worker to 2\n"
        "==> tutorial is not running: the change applies at its next `up`\n"
    )
    assert stored(private_state_home).load("tutorial").scale == {"www": 3, "worker": 2}


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "db=2",
            'application tutorial has no service "db" (services: www, session, worker, mongo)',
        ),
        (
            "mongo=2",
            "mongo:instances=2: a mongodb service runs 1, 3 or 5 instances (a replica set has an "
            "odd number of members), not 2",
        ),
        ("mongo=4", "not 4"),
    ],
)
def test_scale_refuses_data_and_unknown_services_and_stores_nothing(
    appdir: Path,
    private_state_home: Path,
    capsys: pytest.CaptureFixture[str],
    argument: str,
    message: str,
) -> None:
    code, _, err = run(capsys, "scale", "tutorial", "www=2", argument)

    assert code == 2
    assert message in err
    assert stored(private_state_home).load("tutorial").scale == {}


def test_a_redis_service_scales_to_a_master_and_replicas(
    appdir: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "scale", "tutorial", "session=3")

    assert code == 0
    assert stored(private_state_home).load("tutorial").scale == {"session": 3}


def test_a_mongodb_service_scales_to_a_replica_set_of_3_or_5(
    appdir: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "scale", "tutorial", "mongo=5")

    assert code == 0
    assert stored(private_state_home).load("tutorial").scale == {"mongo": 5}


def test_scale_json(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scale", "tutorial", "www=2", "--json")

    assert code == 0
    assert json.loads(out) == {"www": {"instances": 2}}


@pytest.mark.parametrize("name", ["example.test", "WWW.Example.COM.", "a-b.c1.example"])
def test_valid_domains_are_lower_cased(name: str) -> None:
    assert check_domain(name) == name.lower().rstrip(".")


@pytest.mark.parametrize(
    "name",
    ["bad_name.test", "localhost", "-a.test", "a..test", "10.0.0.1", "x.test; include", "*.test"],
)
def test_invalid_domains(name: str) -> None:
    with pytest.raises(UsageError, match="is not a valid domain name"):
        check_domain(name)


def test_domain_add_list_rm(
    appdir: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "domain", "add", "tutorial", "www", "example.test")
    assert code == 0
    assert out.startswith('==> domain "example.test" created for "www"\n')
    assert "curl -H 'Host: example.test' http://127.0.0.1:8080/" in out
    assert "tutorial is not running: the gateway routes it at the next `up`" in err

    assert run(capsys, "domain", "list", "tutorial")[1] == "www: example.test\n"
    assert json.loads(run(capsys, "domain", "list", "tutorial", "--json")[1]) == {
        "www": ["example.test"]
    }

    code, out, _ = run(capsys, "domain", "rm", "tutorial", "www", "example.test")
    assert (code, out) == (0, '==> domain "example.test" deleted from "www"\n')
    assert stored(private_state_home).load("tutorial").domains == {}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("add", "tutorial", "session", "db.test"), "session serves no HTTP"),
        (("add", "tutorial", "www", "bad_name"), '"bad_name" is not a valid domain name'),
        (("rm", "tutorial", "www", "nope.test"), 'domain "nope.test" is not routed to "www"'),
    ],
)
def test_domain_refusals_exit_2(
    appdir: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, "domain", *argv)

    assert code == 2
    assert message in err


def test_a_domain_belongs_to_one_service(appdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (appdir / "dotcloud.yml").write_text(BUILDFILE + "site:\n  type: static\n")
    run(capsys, "domain", "add", "tutorial", "www", "example.test")

    code, _, err = run(capsys, "domain", "add", "tutorial", "site", "EXAMPLE.test")

    assert code == 2
    assert 'domain "example.test" is already routed to "www"' in err
