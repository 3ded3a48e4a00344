"""Named user errors, values that would break a file, and Docker errors at one boundary.

Every case runs the CLI in-process; Docker is a fake client whose containers vanish on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError, NotFound

from dotcloud_emulator.api import instances
from dotcloud_emulator.cli import main as cli
from dotcloud_emulator.engine import client as engine_client
from dotcloud_emulator.engine.client import docker_errors
from dotcloud_emulator.errors import ContainerGone, DockerRefused, UserError
from dotcloud_emulator.platform.state import AppState, StateStore
from dotcloud_emulator.platform.target import Target

BUILDFILE = "www:\n  type: python\nsession:\n  type: redis\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def state_bytes(home: Path, app: str = "tutorial") -> bytes | None:
    path = StateStore(home).state_file(app)
    return path.read_bytes() if path.is_file() else None


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "tutorial"
    directory.mkdir()
    (directory / "dotcloud.yml").write_text(BUILDFILE)
    monkeypatch.chdir(directory)
    return directory


# Values with a newline: exit 2, one line naming the value escaped, nothing stored.


def test_env_set_refuses_a_name_with_a_newline(
    private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "env", "set", "tutorial", "KEPT=1")[0] == 0
    before = state_bytes(private_state_home)

    code, out, err = run(capsys, "env", "set", "tutorial", "FOO\n=bar")

    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith('error: "FOO\\n" is not a valid variable name')
    assert state_bytes(private_state_home) == before


def test_env_set_refuses_a_newline_name_before_anything_is_stored(
    private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "env", "set", "tutorial", "FOO\n=bar")

    assert code == 2
    assert err == (
        'error: "FOO\\n" is not a valid variable name: use letters, digits and underscores, '
        "not starting with a digit\n"
    )
    assert state_bytes(private_state_home) is None


def test_domain_add_refuses_a_host_name_with_a_newline(
    appdir: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "domain", "add", "tutorial", "www", "kept.example")[0] == 0
    before = state_bytes(private_state_home)

    code, out, err = run(capsys, "domain", "add", "tutorial", "www", "evil\n.example.com")

    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith('error: "evil\\n.example.com" is not a valid domain name')
    assert state_bytes(private_state_home) == before


# Named errors: one text, one exit code.


def test_an_unknown_service_is_a_usage_error_spelled_once(
    appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "domain", "add", "tutorial", "db", "db.example")

    assert code == 2
    assert err == 'error: application tutorial has no service "db" (services: www, session)\n'


def test_a_build_file_nowhere_to_be_found_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    code, _, err = run(capsys, "scale", "ghost", "www=2")

    assert code == 2
    assert err == (
        'error: cannot find the dotcloud.yml of "ghost": run `up APPDIR` once, or run this '
        "from the application's directory\n"
    )


# A fake engine: containers listed by label, one of which can vanish.


def container_attrs(service: str, number: int) -> dict[str, Any]:
    return {
        "Id": f"{service}-{number}-id",
        "Name": f"/dotcloud-tutorial-{service}-{number}-1",
        "Config": {
            "Labels": {
                "io.dotcloud.emulator.app": "tutorial",
                "io.dotcloud.emulator.service": service,
                "io.dotcloud.emulator.instance": str(number),
                "io.dotcloud.emulator.role": "service",
                "io.dotcloud.emulator.type": "python",
            }
        },
        "State": {"Status": "running", "ExitCode": 0},
        "NetworkSettings": {"Ports": {}},
    }


class FakeContainer:
    def __init__(self, attrs: dict[str, Any], log_chunks: list[bytes]) -> None:
        self.attrs = attrs
        self.id = attrs["Id"]
        self.log_chunks = log_chunks

    def logs(self, **options: Any) -> Any:
        if options.get("stream"):
            return iter(self.log_chunks)
        return b"2026-01-01T00:00:00Z hello\n"

    def restart(self, **options: Any) -> None:
        raise NotFound("No such container: " + self.id)


class FakeEngine:
    """docker-py's client, with containers that can be removed between a listing and a get."""

    def __init__(self, *containers: FakeContainer) -> None:
        self.containers = self
        self.volumes = self
        self.found = {c.id: c for c in containers}
        self.remove_on_get: set[str] = set()

    def list(self, **options: Any) -> list[Any]:
        return list(self.found.values()) if "ignore_removed" in options else []

    def get(self, container_id: str) -> FakeContainer:
        if container_id in self.remove_on_get:
            self.found.pop(container_id, None)
        if container_id not in self.found:
            raise NotFound(f"No such container: {container_id}")
        return self.found[container_id]


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine(FakeContainer(container_attrs("www", 0), [b"one\n", b"two\n"]))
    monkeypatch.setattr(engine_client, "docker_client", lambda: fake)
    return fake


def test_logs_of_a_container_removed_meanwhile_is_one_line_naming_it(
    engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    engine.remove_on_get.add("www-0-id")

    code, out, err = run(capsys, "logs", "tutorial.www")

    assert (code, out) == (1, "")
    assert err == "error: www.0: its container was removed while the command ran\n"


def test_following_logs_ends_with_the_streams_and_names_a_removed_container(
    engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    selection = instances.select(Target("tutorial", "www"))
    assert list(instances.follow(selection, 10)) == ["[www.0] one", "[www.0] two"]

    engine.remove_on_get.add("www-0-id")
    followed = instances.follow(instances.Selection(engine, selection.instances), 10)
    with pytest.raises(ContainerGone, match=r"^www\.0: its container was removed"):
        list(followed)


def test_restart_of_a_container_removed_meanwhile_is_one_line_naming_it(
    engine: FakeEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)

    code, _, err = run(capsys, "restart", "tutorial.www")

    assert code == 1
    assert err == "error: www.0: its container was removed while the command ran\n"


def test_a_target_without_containers_is_not_running_exit_1(
    engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "logs", "tutorial.session")

    assert code == 1
    assert err == 'error: "tutorial.session" is not running: run `up` first\n'


def test_an_instance_the_service_does_not_have_is_a_usage_error(
    engine: FakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "run", "tutorial.www.3", "--", "true")

    assert code == 2
    assert err == 'error: "tutorial.www.3" names no instance here (instances: www.0)\n'


# The boundary itself.


@pytest.mark.parametrize(
    ("instance", "exc", "expected"),
    [
        (
            "www.0",
            NotFound("No such container: abc"),
            ContainerGone("www.0"),
        ),
        (None, NotFound("No such container: abc"), ContainerGone(None)),
        (None, NotFound("network dotcloud-x not found"), DockerRefused(None, "network")),
        ("www.0", APIError("conflict"), DockerRefused("www.0", "conflict")),
    ],
)
def test_docker_errors_become_one_user_error(
    instance: str | None, exc: Exception, expected: UserError
) -> None:
    with pytest.raises(UserError) as caught, docker_errors(instance):
        raise exc

    assert type(caught.value) is type(expected)
    assert "\n" not in caught.value.message
    assert caught.value.message.split(":")[0] == expected.message.split(":")[0]


def test_container_gone_names_the_instance() -> None:
    assert ContainerGone("www.0").message == (
        "www.0: its container was removed while the command ran"
    )
    assert ContainerGone("www.0").exit_code == 1


def test_forget_service_drops_what_the_state_keeps_about_it() -> None:
    state = AppState(
        app="tutorial",
        created_at=0.0,
        passwords={"session": "pw", "db": "x"},
        scale={"session": 1},
        domains={"session": ["a.test"]},
        service_created={"session": 1.0, "db": 2.0},
    )

    state.forget_service("session")

    assert (state.passwords, state.scale, state.domains) == ({"db": "x"}, {}, {})
    assert state.service_created == {"db": 2.0}
