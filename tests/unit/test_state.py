"""Per-application state: where it lives, its permissions, and stable secrets."""

from __future__ import annotations

import json
import math
import stat
from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.model import Application, Service
from dotcloud_emulator.errors import UsageError, UserError
from dotcloud_emulator.platform.state import AppState, StateStore


def tutorial(*extra: Service) -> Application:
    services = (Service("www", "python", approot="services/www"), Service("session", "redis"))
    return Application(
        "tutorial", Path("/src/tutorial"), Path("/src/tutorial/dotcloud.yml"), services + extra
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "home")


def test_app_dir_is_under_apps(store: StateStore) -> None:
    assert store.app_dir("tutorial") == store.home / "apps" / "tutorial"
    assert store.instance_dir("tutorial", "www", 1) == store.home / "apps/tutorial/instances/www-1"


def test_app_dir_refuses_names_that_escape_the_state_home(store: StateStore) -> None:
    with pytest.raises(UsageError, match="invalid application name"):
        store.app_dir("../etc")


def test_load_without_state_gives_an_unsaved_default(store: StateStore) -> None:
    state = store.load("tutorial")
    assert state.app == "tutorial"
    assert (state.passwords, state.variables, state.scale) == ({}, {}, {})
    assert state.gateway_port == 8080
    assert not store.exists("tutorial")
    assert not store.app_dir("tutorial").exists()


def test_save_and_load_round_trip(store: StateStore) -> None:
    state = AppState(
        app="tutorial",
        created_at=1310511988.25,
        passwords={"session": "pw"},
        variables={"MODE": "production"},
        scale={"www": 3},
        domains={"www": ["example.com"]},
        gateway_port=9090,
        service_created={"www": 1310511990.5},
    )
    store.save(state)
    assert store.load("tutorial") == state
    assert store.apps() == ["tutorial"]


def test_state_file_is_private(store: StateStore) -> None:
    store.save(store.load("tutorial"))
    state_file = store.app_dir("tutorial") / "state.json"
    assert mode(state_file) == 0o600
    assert mode(store.app_dir("tutorial")) == 0o700
    assert mode(store.home / "apps") == 0o700
    assert mode(store.home) == 0o700


def test_save_leaves_no_temporary_file(store: StateStore) -> None:
    store.save(store.load("tutorial"))
    store.save(store.load("tutorial"))
    assert [p.name for p in store.app_dir("tutorial").iterdir()] == ["state.json"]


def test_prepare_generates_a_strong_password_per_data_service(store: StateStore) -> None:
    state = store.prepare(tutorial())
    assert set(state.passwords) == {"session"}
    password = state.passwords["session"]
    alphabet = 64  # token_urlsafe's alphabet
    assert len(password) * math.log2(alphabet) >= 128
    assert len(set(password)) > 10


def test_passwords_differ_between_applications(tmp_path: Path) -> None:
    first = StateStore(tmp_path / "a").prepare(tutorial())
    second = StateStore(tmp_path / "b").prepare(tutorial())
    assert first.passwords["session"] != second.passwords["session"]


def test_prepare_is_stable_across_runs(store: StateStore) -> None:
    first = store.prepare(tutorial())
    written = (store.app_dir("tutorial") / "state.json").stat().st_mtime_ns
    second = store.prepare(tutorial())
    assert second == first
    assert (store.app_dir("tutorial") / "state.json").stat().st_mtime_ns == written


def test_prepare_records_creation_times_once(store: StateStore) -> None:
    first = store.prepare(tutorial())
    assert set(first.service_created) == {"www", "session"}
    second = store.prepare(tutorial(Service("db", "mysql")))
    assert second.created_at == first.created_at
    assert second.service_created["www"] == first.service_created["www"]
    assert set(second.passwords) == {"session", "db"}
    assert second.passwords["session"] == first.passwords["session"]


def test_prepare_saves_a_new_state_even_without_data_services(store: StateStore) -> None:
    app = Application("web", Path("/w"), Path("/w/dotcloud.yml"), (Service("www", "static"),))
    store.prepare(app)
    assert store.exists("web")


def test_prepare_keeps_env_set_variables(store: StateStore) -> None:
    state = store.load("tutorial")
    state.variables["MODE"] = "production"
    store.save(state)
    assert store.prepare(tutorial()).variables == {"MODE": "production"}


def test_write_instance_files_are_private(store: StateStore) -> None:
    directory = store.write_instance_files(
        "tutorial", "www", 0, {"environment.json": "{}\n", "dotcloud_profile": "export A=b\n"}
    )
    assert directory == store.instance_dir("tutorial", "www", 0)
    assert (directory / "environment.json").read_text() == "{}\n"
    assert mode(directory) == 0o700
    assert mode(directory.parent) == 0o700
    assert mode(directory / "environment.json") == 0o600
    assert mode(directory / "dotcloud_profile") == 0o600


def test_destroy_forgets_secrets(store: StateStore) -> None:
    first = store.prepare(tutorial())
    store.write_instance_files("tutorial", "www", 0, {"environment.json": "{}\n"})
    store.destroy("tutorial")
    assert not store.app_dir("tutorial").exists()
    assert store.apps() == []
    assert store.prepare(tutorial()).passwords["session"] != first.passwords["session"]


def test_destroy_of_an_unknown_application_is_a_no_op(store: StateStore) -> None:
    store.destroy("nothing")
    assert store.apps() == []


def test_apps_lists_only_directories_with_state(store: StateStore) -> None:
    store.save(store.load("beta"))
    store.save(store.load("alpha"))
    (store.home / "apps" / "stray").mkdir()
    assert store.apps() == ["alpha", "beta"]


def test_corrupt_state_is_a_user_error_naming_the_file(store: StateStore) -> None:
    store.save(store.load("tutorial"))
    state_file = store.app_dir("tutorial") / "state.json"
    state_file.write_text("{not json")
    with pytest.raises(UserError, match=r"state\.json: unreadable state file"):
        store.load("tutorial")
    state_file.write_text(json.dumps({"passwords": {}}))
    with pytest.raises(UserError, match="malformed state file"):
        store.load("tutorial")


def test_a_stored_domain_that_is_not_a_host_name_is_one_line_naming_it(store: StateStore) -> None:
    state = store.load("tutorial")
    state.domains["www"] = ["www.example.com", "evil\n.example.com"]
    store.save(state)
    with pytest.raises(UserError) as caught:
        store.load("tutorial")
    assert "\n" not in caught.value.message
    assert caught.value.message.endswith(
        ': the domain "evil\\n.example.com" stored for service "www" is not a valid host name; '
        "delete it from this file"
    )


def test_an_application_name_with_a_trailing_newline_is_refused(store: StateStore) -> None:
    with pytest.raises(UsageError, match=r'invalid application name "tutorial\\n"'):
        store.app_dir("tutorial\n")


def test_a_stored_variable_name_with_a_newline_is_one_line_naming_it(store: StateStore) -> None:
    state = store.load("tutorial")
    state.variables["FOO\n"] = "bar"
    store.save(state)
    with pytest.raises(UserError) as caught:
        store.load("tutorial")
    assert caught.value.message.endswith(
        ': the variable "FOO\\n" stored by `env set` is not a valid variable name; '
        "delete it from this file"
    )


def test_the_pip_date_is_kept_and_cleared(store: StateStore) -> None:
    state = store.prepare(tutorial())
    assert state.pip_date is None
    state.pip_date = "2012-06-01"
    store.save(state)
    assert store.load("tutorial").pip_date == "2012-06-01"
    state.pip_date = None
    store.save(state)
    assert store.load("tutorial").pip_date is None
