"""The pure parts of `up`: the gateway port check, the CA bundle, URLs, sizes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine.deploy import (
    check_gateway_port,
    deployment_urls,
    human_size,
    port_is_free,
)
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.generate import GeneratedProject
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def container_attrs(app: str, role: str, host_port: int) -> dict[str, Any]:
    return {
        "Id": f"{app}-{role}",
        "Name": f"/dotcloud-{app}-{role}-1",
        "Config": {"Labels": {"io.dotcloud.emulator.app": app, "io.dotcloud.emulator.role": role}},
        "State": {"Status": "running"},
        "NetworkSettings": {
            "Ports": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(host_port)}]}
        },
    }


class FakeContainer:
    def __init__(self, attrs: dict[str, Any]) -> None:
        self.attrs = attrs


class FakeClient:
    def __init__(self, *attrs: dict[str, Any]) -> None:
        self.containers = self
        self._found = [FakeContainer(a) for a in attrs]

    def list(self, **kwargs: Any) -> list[FakeContainer]:
        return self._found


def test_a_port_held_by_a_socket_is_not_free(held_port: int) -> None:
    assert port_is_free(held_port) is False


def test_a_released_port_is_free() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])

    assert port_is_free(port) is True


def test_taken_port_is_a_clear_error(held_port: int) -> None:
    with pytest.raises(UserError) as caught:
        check_gateway_port(FakeClient(), "tutorial", held_port)

    assert caught.value.message == (
        f"port {held_port} is already in use on 127.0.0.1; pick another with --port"
    )
    assert caught.value.exit_code == 1


def test_the_apps_own_gateway_may_hold_the_port(held_port: int) -> None:
    client = FakeClient(container_attrs("tutorial", "gateway", held_port))

    check_gateway_port(client, "tutorial", held_port)


def test_another_apps_gateway_is_named(held_port: int) -> None:
    client = FakeClient(container_attrs("blog", "gateway", held_port))

    with pytest.raises(UserError, match=r"in use on 127\.0\.0\.1 \(by application blog\); pick"):
        check_gateway_port(client, "tutorial", held_port)


@pytest.mark.parametrize(
    ("size", "text"), [(512, "512B"), (427_000, "427KB"), (11_400_000, "11MB"), (2 * 10**9, "2GB")]
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_deployment_urls_serve_the_first_web_service_on_the_plain_address(tmp_path: Path) -> None:
    application = Application(
        name="tutorial",
        root=tmp_path,
        buildfile=tmp_path / "dotcloud.yml",
        services=(
            Service("session", "redis"),
            Service("www", "python"),
            Service("admin", "python"),
        ),
    )
    state = AppState(app="tutorial", created_at=0.0, domains={"admin": ["admin.example.com"]})

    urls = deployment_urls(application, state, Settings(state_home=tmp_path), 8080)

    assert urls == {
        "www": ["http://www.tutorial.localhost:8080/", "http://localhost:8080/"],
        "admin": ["http://admin.tutorial.localhost:8080/", "http://admin.example.com:8080/"],
    }


class RecordingContainer:
    def __init__(self, attrs: dict[str, Any]) -> None:
        self.attrs = attrs
        self.status = attrs["State"]["Status"]
        self.id = attrs["Id"]
        self.stopped = False

    def stop(self, timeout: int) -> None:
        self.stopped = True

    def logs(self, tail: int) -> bytes:
        return b"Traceback: boom\n"


class DeployClient:
    """Just enough of docker-py for `deploy`: listing, getting and stopping containers."""

    def __init__(self, *containers: RecordingContainer) -> None:
        self.containers = self
        self.images = self
        self.found = list(containers)

    def list(self, **kwargs: Any) -> list[RecordingContainer]:
        return self.found

    def get(self, reference: str) -> Any:
        if reference.startswith("debian:"):
            return reference  # a base image the engine has
        for container in self.found:
            if container.id == reference:
                return container
        raise LookupError(reference)


def www_container(status: str, exit_code: int = 0) -> RecordingContainer:
    attrs = container_attrs("tutorial", "service", 0)
    attrs["Config"]["Labels"].update(
        {"io.dotcloud.emulator.service": "www", "io.dotcloud.emulator.instance": "0"}
    )
    attrs["State"] = {"Status": status, "ExitCode": exit_code}
    attrs["NetworkSettings"] = {"Ports": {}}
    return RecordingContainer(attrs)


@pytest.fixture
def no_compose(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """Record compose commands instead of running them, and generate nothing."""
    ran: list[list[str]] = []
    for module in ("deploy", "compose_engine"):
        monkeypatch.setattr(
            f"dotcloud_emulator.engine.{module}.run_compose",
            lambda project, argv, on_line=None, extra_env=None: ran.append(argv[-4:]) or [],
        )
    monkeypatch.setattr(
        "dotcloud_emulator.engine.deploy.write_project",
        lambda *args: GeneratedProject(tmp_path / "docker-compose.yml", frozenset()),
    )
    return ran


def tutorial_app(root: Path, python_version: str = "v3.11") -> Application:
    www = Service("www", "python", config=MappingProxyType({"python_version": python_version}))
    return Application("tutorial", root, root / "dotcloud.yml", (www,))


def test_a_failed_first_start_stops_what_started(
    no_compose: list[list[str]], tmp_path: Path
) -> None:
    from dotcloud_emulator.engine.deploy import deploy

    www = www_container("exited", exit_code=3)
    gateway = RecordingContainer(container_attrs("tutorial", "gateway", 1))
    settings = Settings(state_home=tmp_path / "home")
    state = AppState(app="tutorial", created_at=0.0)

    client = DeployClient(www, gateway)

    with pytest.raises(UserError) as caught:
        deploy(tutorial_app(tmp_path), state, settings, client=client, port=free_port())

    assert caught.value.message == (
        "www.0 did not become responsive: exited with status 3\n"
        "last 1 log lines of www.0:\n    Traceback: boom"
    )
    # Built, then the instances started; the gateway is never started for a failed instance.
    assert [argv[-1] for argv in no_compose] == ["build", "www-0"]
    assert gateway.stopped is True


@pytest.mark.parametrize(("pip_date", "hinted"), [(None, True), ("2012-06-01", False)])
def test_a_python_2_failure_suggests_a_pip_date_unless_one_is_set(
    no_compose: list[list[str]], tmp_path: Path, pip_date: str | None, hinted: bool
) -> None:
    from dotcloud_emulator.engine.deploy import deploy

    client = DeployClient(
        www_container("exited", exit_code=3),
        RecordingContainer(container_attrs("tutorial", "gateway", 1)),
    )
    state = AppState(app="tutorial", created_at=0.0, pip_date=pip_date)
    with pytest.raises(UserError) as caught:
        deploy(
            tutorial_app(tmp_path, "v2.7"),
            state,
            Settings(state_home=tmp_path / "home"),
            client=client,
            port=free_port(),
        )
    assert caught.value.message.startswith("www.0 did not become responsive")
    assert ("`up --pip-date 2012-06-01`" in caught.value.message) is hinted


def test_a_taken_port_stops_before_anything_is_built(
    no_compose: list[list[str]], tmp_path: Path, held_port: int
) -> None:
    from dotcloud_emulator.engine.deploy import deploy

    settings = Settings(state_home=tmp_path / "home")
    state = AppState(app="tutorial", created_at=0.0)

    with pytest.raises(UserError, match="already in use"):
        deploy(tutorial_app(tmp_path), state, settings, client=DeployClient(), port=held_port)

    assert no_compose == []
    assert not (tmp_path / "home").exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_missing_base_image_is_named_before_the_build(
    no_compose: list[list[str]], tmp_path: Path
) -> None:
    from docker.errors import ImageNotFound

    from dotcloud_emulator.engine.deploy import deploy

    class NoBullseye(DeployClient):
        def get(self, reference: str) -> Any:
            if reference == "debian:bullseye-slim":
                raise ImageNotFound(reference)
            return super().get(reference)

    with pytest.raises(UserError) as caught:
        deploy(
            tutorial_app(tmp_path, "v2.7"),
            AppState(app="tutorial", created_at=0.0, pip_date="2012-06-01"),
            Settings(state_home=tmp_path / "home"),
            client=NoBullseye(),
            port=free_port(),
        )
    assert caught.value.message == (
        "the base image debian:bullseye-slim is not in the Docker engine: make it with "
        "`bash scripts/ensure-base-image.sh debian:bullseye-slim` (or `make docker`)"
    )
    assert no_compose == []
