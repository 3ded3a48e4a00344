"""ComposeEngine against a fake docker-py client: the argv it runs, restarts with the platform's
stop timeout, and whether the gateway serves on the application's port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.engine.compose_engine import ComposeEngine
from dotcloud_emulator.engine.context import DeployContext
from dotcloud_emulator.engine.lifecycle import restart
from dotcloud_emulator.errors import UserError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render import layout


class Image:
    def __init__(self, image_id: str) -> None:
        self.id = image_id


class Container:
    def __init__(
        self, service: str, number: int = 0, *, port: int = 0, image: str = "sha256:built"
    ) -> None:
        self.image = Image(image)
        role = naming.ROLE_GATEWAY if service == naming.GATEWAY_SERVICE else naming.ROLE_SERVICE
        self.id = f"{service}-{number}"
        self.status = "running"
        self.restarted_with: list[int] = []
        ports = {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]} if port else {}
        self.attrs: dict[str, Any] = {
            "Id": self.id,
            "Config": {
                "Labels": {
                    naming.LABEL_APP: "tutorial",
                    naming.LABEL_SERVICE: service,
                    naming.LABEL_INSTANCE: str(number),
                    naming.LABEL_ROLE: role,
                }
            },
            "State": {"Status": "running"},
            "NetworkSettings": {"Ports": ports},
            "Mounts": [{"Destination": "/etc/dotcloud-gateway", "Source": "/tmp/conf.d"}],
        }

    def restart(self, timeout: int) -> None:
        self.restarted_with.append(timeout)


class Images:
    """The engine's images by name: each image of the application is `sha256:built`."""

    def __init__(self, *missing: str) -> None:
        self.missing = missing

    def get(self, name: str) -> Image:
        from docker.errors import ImageNotFound

        if name in self.missing:
            raise ImageNotFound(name)
        return Image("sha256:built")


class Client:
    def __init__(self, *found: Container, images: Images | None = None) -> None:
        self.containers = self
        self.images = images or Images()
        self.found = list(found)

    def list(self, **kwargs: Any) -> list[Container]:
        return self.found

    def get(self, reference: str) -> Container:
        return next(c for c in self.found if c.id == reference)


def engine(tmp_path: Path, client: Client, port: int = 8080) -> ComposeEngine:
    application = Application(
        "tutorial", tmp_path, tmp_path / "dotcloud.yml", (Service("www", "python"),)
    )
    state = AppState(app="tutorial", created_at=0.0, gateway_port=port)
    return ComposeEngine(DeployContext.create(client, application, state, Settings(tmp_path)))


@pytest.fixture
def compose_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    ran: list[list[str]] = []
    monkeypatch.setattr(
        "dotcloud_emulator.engine.compose_engine.run_compose",
        lambda project, argv, on_line=None: ran.append(argv[argv.index("up") :]) or [],
    )
    return ran


def test_a_first_start_lets_compose_order_the_instances(
    tmp_path: Path, compose_runs: list[list[str]]
) -> None:
    compose = engine(tmp_path, Client())

    compose.start([("www", 0), ("www", 1)], first=True)
    compose.start_gateway(first=True)

    # The gateway alone: its instances were seen ready by the engine's own probes.
    assert compose_runs == [
        ["up", "--detach", "--remove-orphans", "--no-build", "www-0", "www-1"],
        ["up", "--detach", "--no-deps", "--no-build", "gateway"],
    ]


def test_a_running_application_is_changed_one_service_at_a_time(
    tmp_path: Path, compose_runs: list[list[str]]
) -> None:
    compose = engine(tmp_path, Client())

    compose.start([("www", 2)])
    compose.replace(("www", 1), "recreate")
    compose.start_gateway()

    assert compose_runs == [
        ["up", "--detach", "--no-deps", "--no-build", "www-2"],
        ["up", "--detach", "--no-deps", "--no-build", "--force-recreate", "www-1"],
        ["up", "--detach", "--no-deps", "--no-build", "--force-recreate", "gateway"],
    ]


def test_every_restart_waits_the_platforms_stop_timeout(tmp_path: Path) -> None:
    www0, www1 = Container("www", 0), Container("www", 1)
    client = Client(www0, www1)

    engine(tmp_path, client).replace(("www", 1), "restart")
    restart(client, "tutorial", "www", 0)

    assert www1.restarted_with == [naming.STOP_TIMEOUT] == [20]
    assert www0.restarted_with == [20]


def test_restarting_an_instance_without_a_container_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^www\.3 has no container: run `up` first$"):
        engine(tmp_path, Client()).replace(("www", 3), "restart")


@pytest.mark.parametrize(("published", "serves"), [(8080, True), (9090, False)])
def test_the_gateway_serves_only_on_the_applications_port(
    tmp_path: Path, published: int, serves: bool
) -> None:
    client = Client(Container("www"), Container(naming.GATEWAY_SERVICE, port=published))

    assert engine(tmp_path, client, port=8080).gateway_serves() is serves


def test_a_gateway_made_from_another_image_is_not_serving(tmp_path: Path) -> None:
    older = Container(naming.GATEWAY_SERVICE, port=8080, image="sha256:older")

    assert engine(tmp_path, Client(Container("www"), older)).gateway_serves() is False


def test_a_gateway_whose_image_is_gone_has_nothing_to_be_replaced_with(tmp_path: Path) -> None:
    older = Container(naming.GATEWAY_SERVICE, port=8080, image="sha256:older")
    images = Images(naming.image("tutorial", layout.GATEWAY_IMAGE))

    assert engine(tmp_path, Client(older, images=images)).gateway_serves() is True


def test_without_a_gateway_routing_does_nothing(tmp_path: Path) -> None:
    compose = engine(tmp_path, Client(Container("www")))

    compose.route({"www": [0]})

    assert compose.gateway_serves() is False
