"""docker-compose.yml: labels, ports, mounts, dependencies, healthchecks; no secret or host path."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform import naming
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState
from dotcloud_emulator.render.compose import render_compose

PASSWORD = "s3cret-Password-that-must-not-leak"
LABELS = (
    naming.LABEL_APP,
    naming.LABEL_SERVICE,
    naming.LABEL_INSTANCE,
    naming.LABEL_TYPE,
    naming.LABEL_ROLE,
)


def tutorial(root: Path, *extra: Service) -> Application:
    services = (
        Service("www", "python", approot="services/www"),
        Service("session", "redis", approot="services/session"),
        *extra,
    )
    return Application("tutorial", root, root / "dotcloud.yml", services)


def state_of(**changes: Any) -> AppState:
    state = AppState(app="tutorial", created_at=1234.5, passwords={"session": PASSWORD})
    for key, value in changes.items():
        setattr(state, key, value)
    return state


def compose(application: Application, state: AppState | None = None) -> dict[str, Any]:
    text = render_compose(application, state or state_of(), Settings(Path("/state"))).content
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def test_the_file_is_named_and_projected_after_the_app(tmp_path: Path) -> None:
    rendered = render_compose(tutorial(tmp_path), state_of(), Settings(tmp_path))
    assert str(rendered.path) == "docker-compose.yml"
    assert yaml.safe_load(rendered.content)["name"] == "dotcloud-tutorial"


def test_one_compose_service_per_instance_plus_the_gateway_and_the_healer(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path), state_of(scale={"www": 3}))["services"]
    assert list(services) == ["www-0", "www-1", "www-2", "session-0", "gateway", "healer-engine"]


def test_every_instance_and_volume_carries_the_five_labels(tmp_path: Path) -> None:
    document = compose(tutorial(tmp_path))
    for name in ("www-0", "session-0"):
        labels = document["services"][name]["labels"]
        assert set(labels) == set(LABELS)
        assert labels[naming.LABEL_INSTANCE] == "0"
        assert labels[naming.LABEL_ROLE] == "service"
    for volume in document["volumes"].values():
        assert set(volume["labels"]) == set(LABELS)
        assert volume["labels"][naming.LABEL_ROLE] == "data"
    gateway = document["services"]["gateway"]["labels"]
    assert gateway[naming.LABEL_ROLE] == "gateway"
    assert gateway[naming.LABEL_APP] == "tutorial"
    assert document["networks"]["default"]["labels"] == {naming.LABEL_APP: "tutorial"}


def test_no_secret_and_no_host_path_in_the_file(tmp_path: Path) -> None:
    text = render_compose(tutorial(tmp_path), state_of(), Settings(tmp_path)).content
    assert PASSWORD not in text
    assert str(tmp_path) not in text
    assert "1234.5" not in text


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    first = render_compose(tutorial(tmp_path), state_of(), Settings(tmp_path)).content
    other_secrets = state_of(passwords={"session": "another"}, created_at=99.0)
    second = render_compose(tutorial(tmp_path), other_secrets, Settings(tmp_path)).content
    assert first == second


def test_ports_are_published_on_loopback_only(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path), state_of(gateway_port=8123))["services"]
    assert services["session-0"]["ports"] == [
        {"target": 6379, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert services["gateway"]["ports"] == [
        {
            "target": 8080,
            "host_ip": "127.0.0.1",
            "published": "${DOTCLOUD_GATEWAY_PORT:-8080}",
            "protocol": "tcp",
        }
    ]
    assert "ports" not in services["www-0"]


def test_the_environment_folder_is_mounted_read_only_from_the_state_home(tmp_path: Path) -> None:
    mount = compose(tutorial(tmp_path))["services"]["www-0"]["volumes"][0]
    assert mount == {
        "type": "bind",
        "source": "${DOTCLOUD_EMULATOR_HOME:-${HOME}/.local/state/dotcloud-emulator}"
        "/apps/tutorial/instances/www-0",
        "target": "/run/dotcloud",
        "read_only": True,
    }


def test_each_instance_has_its_own_data_volume(tmp_path: Path) -> None:
    document = compose(tutorial(tmp_path), state_of(scale={"www": 2}))
    data = document["services"]["www-1"]["volumes"][1]
    assert data == {"type": "volume", "source": "www-1-data", "target": "/home/dotcloud/data"}
    assert list(document["volumes"]) == ["www-0-data", "www-1-data", "session-0-data"]


def test_instance_zero_builds_the_image_and_carries_the_alias(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path), state_of(scale={"www": 2}))["services"]
    first, second = services["www-0"], services["www-1"]
    assert first["image"] == second["image"] == "dotcloud-tutorial/www:latest"
    assert first["build"]["context"] == ".dotcloud/build/www"
    assert "build" not in second
    assert second["pull_policy"] == "never"
    assert first["networks"] == {"default": {"aliases": ["www"]}}
    assert "networks" not in second


def test_code_waits_for_healthy_data_and_the_gateway_for_healthy_web(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path), state_of(scale={"www": 2}))["services"]
    for name in ("www-0", "www-1"):
        assert services[name]["depends_on"] == {"session-0": {"condition": "service_healthy"}}
    assert "depends_on" not in services["session-0"]
    assert services["gateway"]["depends_on"] == {
        "www-0": {"condition": "service_healthy"},
        "www-1": {"condition": "service_healthy"},
    }


def test_every_service_has_a_healthcheck_and_a_restart_policy(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path))["services"]
    healer = services.pop("healer-engine")
    assert healer["restart"] == "unless-stopped"
    for name, service in services.items():
        assert service["healthcheck"]["test"] == ["CMD", "/usr/local/bin/dotcloud-health"], name
        assert service["healthcheck"]["interval"] == "30s"
        assert service["restart"] == "unless-stopped"


def test_the_gateway_mounts_its_routes_read_only(tmp_path: Path) -> None:
    gateway = compose(tutorial(tmp_path))["services"]["gateway"]
    assert gateway["build"]["context"] == ".dotcloud/gateway"
    assert gateway["volumes"] == [
        {
            "type": "bind",
            "source": "./.dotcloud/gateway/conf.d",
            "target": "/etc/dotcloud-gateway",
            "read_only": True,
        }
    ]


def test_no_gateway_without_a_web_service(tmp_path: Path) -> None:
    application = Application(
        "jobs",
        tmp_path,
        tmp_path / "dotcloud.yml",
        (Service("worker", "python-worker", process="python work.py"),),
    )
    assert list(compose(application)["services"]) == ["worker-0", "healer-engine"]


def test_the_healer_sees_the_engine_and_nothing_else(tmp_path: Path) -> None:
    healer = compose(tutorial(tmp_path))["services"]["healer-engine"]
    assert healer["network_mode"] == "none"
    assert "ports" not in healer
    assert healer["environment"] == {"DOTCLOUD_APP": "tutorial"}
    assert [volume["target"] for volume in healer["volumes"]] == ["/var/run/docker.sock"]
    assert healer["labels"][naming.LABEL_ROLE] == "healer"


def test_pip_settings_reach_only_virtualenv_builds(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path))["services"]
    assert services["www-0"]["build"]["args"] == [
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_TRUSTED_HOST",
        "DOTCLOUD_LEGACY_DOWNLOADS",  # the time-travel index as the pip stage's http_proxy
    ]
    assert "args" not in services["session-0"]["build"]


def test_a_type_without_a_runtime_is_refused_by_name(tmp_path: Path) -> None:
    application = tutorial(tmp_path, Service("db", "opa"))
    with pytest.raises(UsageError, match=r'service db: type "opa" is not runnable yet'):
        render_compose(application, state_of(), Settings(tmp_path))


def test_instance_labels_stay_strings_in_yaml(tmp_path: Path) -> None:
    text = render_compose(tutorial(tmp_path), state_of(), Settings(tmp_path)).content
    assert "io.dotcloud.emulator.instance: '0'" in text
    assert "restart: unless-stopped" in text
    assert "&id" not in text


def test_config_keys_do_not_change_the_compose_file(tmp_path: Path) -> None:
    tuned = Service(
        "www", "python", approot="services/www", config=MappingProxyType({"uwsgi_processes": 8})
    )
    plain = tutorial(tmp_path)
    other = Application(plain.name, plain.root, plain.buildfile, (tuned, plain.services[1]))
    assert compose(plain) == compose(other)


def test_every_image_is_labelled_with_its_app_and_service(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path))["services"]
    built = {name: s["build"]["labels"] for name, s in services.items() if "build" in s}

    assert built == {
        name: {
            "io.dotcloud.emulator.app": "tutorial",
            "io.dotcloud.emulator.service": name.removesuffix("-0"),
        }
        for name in ("www-0", "session-0", "gateway")
    } | {
        "healer-engine": {
            "io.dotcloud.emulator.app": "tutorial",
            "io.dotcloud.emulator.service": "healer-engine",
            "io.dotcloud.emulator.role": "healer",
        }
    }


def databases(root: Path) -> Application:
    return tutorial(root, Service("db", "postgresql"), Service("mdb", "mysql"))


def database_state() -> AppState:
    return state_of(passwords={"session": PASSWORD, "db": PASSWORD + "pg", "mdb": PASSWORD + "my"})


def test_databases_publish_their_port_on_loopback_only(tmp_path: Path) -> None:
    services = compose(databases(tmp_path), database_state())["services"]
    assert services["db-0"]["ports"] == [
        {"target": 5432, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert services["mdb-0"]["ports"] == [
        {"target": 3306, "host_ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert services["db-0"]["labels"][naming.LABEL_TYPE] == "postgresql"
    assert services["mdb-0"]["labels"][naming.LABEL_TYPE] == "mysql"


def test_databases_keep_their_data_in_labelled_named_volumes(tmp_path: Path) -> None:
    document = compose(databases(tmp_path), database_state())
    mounts = {v["target"]: v for v in document["services"]["db-0"]["volumes"]}
    assert mounts["/home/dotcloud/data"] == {
        "type": "volume",
        "source": "db-0-data",
        "target": "/home/dotcloud/data",
    }
    assert document["volumes"]["mdb-0-data"]["labels"][naming.LABEL_SERVICE] == "mdb"
    assert document["volumes"]["db-0-data"]["labels"][naming.LABEL_ROLE] == "data"


def test_databases_get_a_longer_start_period_and_code_waits_for_them(tmp_path: Path) -> None:
    services = compose(databases(tmp_path), database_state())["services"]
    assert services["db-0"]["healthcheck"]["start_period"] == "120s"
    assert services["mdb-0"]["healthcheck"]["start_period"] == "120s"
    assert services["session-0"]["healthcheck"]["start_period"] == "30s"
    assert services["db-0"]["healthcheck"]["test"] == ["CMD", "/usr/local/bin/dotcloud-health"]
    assert set(services["www-0"]["depends_on"]) == {"session-0", "db-0", "mdb-0"}


def test_no_database_password_in_the_file(tmp_path: Path) -> None:
    text = render_compose(databases(tmp_path), database_state(), Settings(tmp_path)).content
    assert PASSWORD not in text


def custom_service(instances: int = 1) -> Service:
    ports = MappingProxyType({"admin": "http", "feed": "tcp", "stats": "udp"})
    return Service("svc", "custom", ports=ports, instances=instances)  # type: ignore[arg-type]


def test_custom_tcp_and_udp_ports_are_published_on_loopback_per_instance(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path, custom_service(instances=2)))["services"]
    expected = [
        {"target": 42801, "host_ip": "127.0.0.1", "protocol": "tcp"},
        {"target": 42802, "host_ip": "127.0.0.1", "protocol": "udp"},
    ]
    assert services["svc-0"]["ports"] == expected
    assert services["svc-1"]["ports"] == expected
    assert "ports" not in services["www-0"]


def test_a_custom_http_port_goes_through_the_gateway(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path, custom_service()))["services"]
    assert "svc-0" in services["gateway"]["depends_on"]
    assert services["svc-0"]["healthcheck"]["start_period"] == "120s"


def test_a_custom_service_without_ports_publishes_nothing(tmp_path: Path) -> None:
    services = compose(tutorial(tmp_path, Service("job", "custom")))["services"]
    assert "ports" not in services["job-0"]
    assert "job-0" not in services["gateway"]["depends_on"]


def test_with_a_pip_date_code_builds_reach_the_hosts_loopback(tmp_path: Path) -> None:
    application = tutorial(tmp_path, Service("web", "static"))
    plain = compose(application)["services"]
    assert "network" not in plain["www-0"]["build"]
    travelling = compose(application, state_of(pip_date="2012-06-01"))["services"]
    assert travelling["www-0"]["build"]["network"] == "host"
    assert "PIP_INDEX_URL" in travelling["www-0"]["build"]["args"]
    # Only builds that run pip: the data and static ones keep the default network.
    assert "network" not in travelling["session-0"]["build"]
    assert "network" not in travelling["web-0"]["build"]
