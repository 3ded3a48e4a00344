"""The DOTCLOUD_* environment of an instance, built from model objects (no loader, no disk)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from dotcloud_emulator.buildfile.model import Application, PortProtocol, Service
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform.environment import (
    custom_port_numbers,
    instance_count,
    instance_environment,
)
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import AppState

PASSWORD = "s3cr3t-Pw_0123456789abcdefghijklm"
SETTINGS = Settings(state_home=Path("/nonexistent"))


def application(*services: Service, name: str = "tutorial") -> Application:
    return Application(name, Path("/src"), Path("/src/dotcloud.yml"), services)


def www(**changes: Any) -> Service:
    return replace(Service("www", "python", approot="services/www"), **changes)


SESSION = Service("session", "redis")
TUTORIAL = application(www(), SESSION)


def state(**changes: object) -> AppState:
    base = AppState(app="tutorial", created_at=0.0, passwords={"session": PASSWORD})
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def ports(**entries: PortProtocol) -> MappingProxyType[str, PortProtocol]:
    return MappingProxyType(entries)


def env_of(
    app: Application, st: AppState, service: str = "www", instance: int = 0
) -> dict[str, str | int]:
    return instance_environment(app, st, SETTINGS, service, instance)


def test_application_and_instance_variables() -> None:
    env = env_of(TUTORIAL, state(), "www", 0)
    assert env["DOTCLOUD_PROJECT"] == "tutorial"
    assert env["DOTCLOUD_ENVIRONMENT"] == "default"
    assert env["DOTCLOUD_FLAVOR"] == "live"
    assert env["DOTCLOUD_SERVICE_NAME"] == "www"
    assert env["DOTCLOUD_SERVICE_ID"] == "0"


def test_service_id_is_the_instance_number_as_a_string() -> None:
    env = env_of(TUTORIAL, state(scale={"www": 3}), "www", 2)
    assert env["DOTCLOUD_SERVICE_ID"] == "2"


def test_http_services_bind_port_8080_as_an_integer() -> None:
    env = env_of(TUTORIAL, state())
    assert env["PORT_HTTP"] == 8080
    assert type(env["PORT_HTTP"]) is int


def test_data_services_have_no_port_http() -> None:
    assert "PORT_HTTP" not in env_of(TUTORIAL, state(), "session")


def test_no_ssh_variables() -> None:
    env = env_of(TUTORIAL, state())
    assert not [key for key in env if "SSH" in key]


def test_redis_variables_are_consistent() -> None:
    env = env_of(TUTORIAL, state())
    assert env["DOTCLOUD_SESSION_REDIS_HOST"] == "session"
    assert env["DOTCLOUD_SESSION_REDIS_PORT"] == "6379"
    assert env["DOTCLOUD_SESSION_REDIS_LOGIN"] == "root"
    assert env["DOTCLOUD_SESSION_REDIS_PASSWORD"] == PASSWORD
    assert env["DOTCLOUD_SESSION_REDIS_URL"] == f"redis://root:{PASSWORD}@session:6379"


@pytest.mark.parametrize(
    ("kind", "infix", "scheme", "port"),
    [("mysql", "MYSQL", "mysql", "3306"), ("postgresql", "SQL", "pgsql", "5432")],
)
def test_sql_data_services(kind: str, infix: str, scheme: str, port: str) -> None:
    app = application(www(), Service("db", kind))
    env = env_of(app, state(passwords={"db": "pw"}))
    prefix = f"DOTCLOUD_DB_{infix}"
    assert env[f"{prefix}_HOST"] == "db"
    assert env[f"{prefix}_PORT"] == port
    assert env[f"{prefix}_LOGIN"] == "root"
    assert env[f"{prefix}_PASSWORD"] == "pw"
    assert env[f"{prefix}_URL"] == f"{scheme}://root:pw@db:{port}"


def test_every_service_sees_every_service() -> None:
    from_session = env_of(TUTORIAL, state(), "session")
    assert from_session["DOTCLOUD_SERVICE_NAME"] == "session"
    assert from_session["DOTCLOUD_SESSION_REDIS_PASSWORD"] == PASSWORD
    assert from_session["DOTCLOUD_WWW_HTTP_URL"] == "http://www.tutorial.localhost:8080/"


def test_http_host_and_url_are_the_gateway_address() -> None:
    env = env_of(TUTORIAL, state())
    assert env["DOTCLOUD_WWW_HTTP_HOST"] == "www.tutorial.localhost"
    assert env["DOTCLOUD_WWW_HTTP_URL"] == "http://www.tutorial.localhost:8080/"
    assert "DOTCLOUD_WWW_HTTP_PORT" not in env


def test_http_url_follows_the_gateway_port_and_domain() -> None:
    settings = Settings(state_home=Path("/x"), domain="lvh.me")
    env = instance_environment(TUTORIAL, state(gateway_port=80), settings, "www", 0)
    assert env["DOTCLOUD_WWW_HTTP_URL"] == "http://www.tutorial.lvh.me/"


def test_every_value_is_a_string_except_bind_ports() -> None:
    app = application(www(ports=ports(logs="tcp")), SESSION)
    env = env_of(app, state(scale={"session": 2}))
    integers = {key for key, value in env.items() if isinstance(value, int)}
    assert integers == {"PORT_HTTP", "PORT_LOGS"}
    assert all(isinstance(value, str) for key, value in env.items() if key not in integers)


def test_custom_ports_are_numbered_in_build_file_order() -> None:
    service = Service("proxy", "custom", ports=ports(www="http", control="tcp", metrics="udp"))
    assert custom_port_numbers(service) == {"www": 42800, "control": 42801, "metrics": 42802}
    env = env_of(application(service), state(), "proxy")
    assert env["PORT_WWW"] == 42800
    assert env["PORT_CONTROL"] == 42801
    assert env["PORT_METRICS"] == 42802
    assert "PORT_HTTP" not in env


def test_custom_tcp_and_udp_ports_are_addressed_per_instance() -> None:
    service = Service("proxy", "custom", ports=ports(logs="tcp", stats="udp"))
    env = env_of(application(www(), service), state())
    assert env["DOTCLOUD_PROXY_LOGS_HOST"] == "proxy-0"
    assert env["DOTCLOUD_PROXY_LOGS_PORT"] == "42800"
    assert env["DOTCLOUD_PROXY_LOGS_URL"] == "tcp://proxy-0:42800"
    assert env["DOTCLOUD_PROXY_STATS_URL"] == "udp://proxy-0:42801"
    assert "PORT_LOGS" not in env  # the bind port is the owning service's own variable


def test_a_custom_http_port_makes_the_service_an_http_service() -> None:
    service = Service("proxy", "custom", ports=ports(www="http"))
    env = env_of(application(service), state(), "proxy")
    assert env["DOTCLOUD_PROXY_HTTP_HOST"] == "proxy.tutorial.localhost"
    assert env["DOTCLOUD_PROXY_HTTP_URL"] == "http://proxy.tutorial.localhost:8080/"
    assert "DOTCLOUD_PROXY_WWW_HOST" not in env


def test_workers_have_no_http_variables() -> None:
    app = application(Service("worker", "python-worker"), SESSION)
    env = env_of(app, state(), "worker")
    assert "PORT_HTTP" not in env
    assert not [key for key in env if key.startswith("DOTCLOUD_WORKER_")]


def test_unscaled_services_have_no_suffixed_copies() -> None:
    env = env_of(TUTORIAL, state())
    assert "DOTCLOUD_SESSION_REDIS_HOST_0" not in env
    assert "DOTCLOUD_WWW_HTTP_URL_0" not in env


def test_scaled_data_service_has_per_instance_copies() -> None:
    env = env_of(TUTORIAL, state(scale={"session": 2}))
    for field in ("HOST", "PORT", "LOGIN", "PASSWORD", "URL"):
        key = f"DOTCLOUD_SESSION_REDIS_{field}"
        assert env[f"{key}_0"] == env[key]
    assert env["DOTCLOUD_SESSION_REDIS_HOST_1"] == "session-1"
    assert env["DOTCLOUD_SESSION_REDIS_URL_1"] == f"redis://root:{PASSWORD}@session-1:6379"
    assert "DOTCLOUD_SESSION_REDIS_HOST_2" not in env


def test_scaled_http_service_copies_name_the_gateway() -> None:
    env = env_of(application(www(instances=3), SESSION), state())
    for n in range(3):
        assert env[f"DOTCLOUD_WWW_HTTP_URL_{n}"] == env["DOTCLOUD_WWW_HTTP_URL"]
        assert env[f"DOTCLOUD_WWW_HTTP_HOST_{n}"] == "www.tutorial.localhost"


def test_scaled_custom_ports_name_each_instance() -> None:
    service = Service("proxy", "custom", instances=2, ports=ports(logs="tcp"))
    env = env_of(application(service), state(), "proxy", 1)
    assert (
        env["DOTCLOUD_PROXY_LOGS_URL"] == env["DOTCLOUD_PROXY_LOGS_URL_0"] == "tcp://proxy-0:42800"
    )
    assert env["DOTCLOUD_PROXY_LOGS_URL_1"] == "tcp://proxy-1:42800"
    assert env["DOTCLOUD_SERVICE_ID"] == "1"


def test_instance_count_prefers_the_scale_override() -> None:
    assert instance_count(www(instances=2), state()) == 2
    assert instance_count(www(instances=2), state(scale={"www": 5})) == 5
    assert instance_count(www(), state(scale={"other": 5})) == 1


def test_merge_order_platform_then_yml_then_env_set() -> None:
    service = www(environment=MappingProxyType({"MODE": "yml", "ONLY_YML": "1", "PORT_HTTP": "9"}))
    app = application(service, SESSION)
    env = env_of(app, state(variables={"MODE": "env-set", "ONLY_SET": "x"}))
    assert env["MODE"] == "env-set"
    assert env["ONLY_YML"] == "1"
    assert env["ONLY_SET"] == "x"
    assert env["PORT_HTTP"] == "9"  # the yml overrides a platform variable, as on the platform


def test_yml_environment_is_per_service() -> None:
    service = www(environment=MappingProxyType({"MODE": "yml"}))
    env = env_of(application(service, SESSION), state(), "session")
    assert "MODE" not in env


def test_yml_values_are_stringified() -> None:
    service = www(environment=MappingProxyType({"WORKERS": 4, "DEBUG": True}))
    env = env_of(application(service), state())
    assert env["WORKERS"] == "4"
    assert env["DEBUG"] == "True"


def test_unknown_service_is_a_usage_error_listing_services() -> None:
    with pytest.raises(UsageError, match=r'no service "nope" \(services: www, session\)'):
        env_of(TUTORIAL, state(), "nope")


def test_instance_out_of_range_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no instance 1"):
        env_of(TUTORIAL, state(), "www", 1)


def test_missing_password_says_the_state_was_not_prepared() -> None:
    with pytest.raises(UserError, match="not prepared"):
        env_of(TUTORIAL, state(passwords={}))


def test_environment_is_pure() -> None:
    st = state(variables={"A": "1"})
    first = env_of(TUTORIAL, st)
    assert env_of(TUTORIAL, st) == first
    assert st.variables == {"A": "1"}


def test_upper_case_port_names_give_the_platforms_variables() -> None:
    service = Service("game", "custom", ports=ports(MC="tcp", TS3="udp"))
    env = env_of(application(www(), service), state(), "game")
    assert env["PORT_MC"] == 42800
    assert env["PORT_TS3"] == 42801
    assert env["DOTCLOUD_GAME_MC_URL"] == "tcp://game-0:42800"
    assert env["DOTCLOUD_GAME_TS3_URL"] == "udp://game-0:42801"
