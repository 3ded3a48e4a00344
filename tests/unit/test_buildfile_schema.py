"""Per-service rules: names, types, approot, config, environment, instances, ports, processes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dotcloud_emulator import catalogue
from dotcloud_emulator.buildfile.diagnostics import BuildFileError
from dotcloud_emulator.buildfile.loader import load_application

FIXTURES = Path(__file__).parent / "fixtures" / "buildfiles"
RUNS = (
    "python, python-worker, static, custom, redis, postgresql, mysql, ruby, ruby-worker, perl,"
    " perl-worker, php, php-worker, nodejs, java, mysql-masterslave, postgis, mongodb, rabbitmq,"
    " smtp"
)


@pytest.fixture
def appdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(tmp_path / "home"))
    app = tmp_path / "app"
    for folder in ("www", "42", "scripts"):
        (app / folder).mkdir(parents=True)
    (app / "scripts" / "build").write_text("#!/bin/sh\n")
    monkeypatch.chdir(app)
    return app


def problems(fixture: str, *, strict: bool = False) -> list[str]:
    shutil.copy(FIXTURES / f"{fixture}.yml", "dotcloud.yml")
    with pytest.raises(BuildFileError) as caught:
        load_application(Path("."), "app", strict=strict)
    return [found.format() for found in caught.value.diagnostics]


CASES = {
    "service_names": [
        'dotcloud.yml:1:1: error: invalid service name "a_very_long_service_name": it must be at '
        "most 16 characters (it has 24)",
        'dotcloud.yml:2:1: error: invalid characters in service name "Web-Front": use lowercase '
        "letters, digits and underscores only",
    ],
    "types": [
        'dotcloud.yml:1:1: error: missing mandatory entry "type" in service "notype"',
        "dotcloud.yml:4:9: error: unrecognized service type \"pyhton\" (did you mean 'python'?)",
        f'dotcloud.yml:6:9: error: unrecognized service type "lolita" (the emulator runs: {RUNS})',
        "dotcloud.yml:8:9: error: 'opa' is a dotCloud service type this emulator does not run "
        f"(it runs: {RUNS})",
        'dotcloud.yml:10:9: error: "type" must be a service type such as python, '
        "found a number (42)",
    ],
    "approot": [
        'dotcloud.yml:3:12: error: "approot" must be relative to the application directory, '
        'found "/etc"',
        'dotcloud.yml:6:12: error: "approot" "../.." points outside the application directory',
        'dotcloud.yml:9:12: error: "approot" "nowhere" is not a directory in the application '
        "directory",
        'dotcloud.yml:12:12: error: "approot" must be a string, found a boolean (yes)',
    ],
    "config": [
        'dotcloud.yml:5:22: error: config "uwsgi_processes" must be a whole number from 1 to 64, '
        "found 0",
        'dotcloud.yml:6:27: error: config "uwsgi_enable_threads" must be true or false, found a '
        "number (1)",
        'dotcloud.yml:7:5: warning: unknown config key "uwsgi_proceses" for a python service: did '
        "you mean 'uwsgi_processes'?",
        "dotcloud.yml:11:21: warning: python_version v3.1 runs on Python 3.11 here",
        'dotcloud.yml:15:5: error: config "redis_password" is set by the platform (it generates '
        "the password); remove it",
        'dotcloud.yml:16:5: warning: unknown config key "maxmemory" for a redis service (it takes '
        "none); it is ignored",
    ],
    "environment": [
        'dotcloud.yml:4:5: error: environment variable "DOTCLOUD_PROJECT": names starting with '
        "DOTCLOUD_ belong to the platform",
        'dotcloud.yml:5:5: error: invalid environment variable name "1ST": use letters, digits and '
        "underscores, not starting with a digit",
        'dotcloud.yml:6:5: error: invalid environment variable name "MY-VAR": use letters, digits '
        "and underscores, not starting with a digit",
        'dotcloud.yml:7:11: warning: "LIST" in "environment" is a list: a variable holds text, '
        "so it is set to its JSON text",
    ],
    "instances": [
        'dotcloud.yml:3:14: error: "instances" must be a whole number from 1 to 10, found a '
        "boolean (yes)",
        'dotcloud.yml:6:14: error: "instances" must be a whole number from 1 to 10, found 0',
        'dotcloud.yml:9:14: error: "instances" must be a whole number from 1 to 10, found 11',
        "dotcloud.yml:12:14: warning: a postgresql service runs 1 instance here (of the data "
        "services only mongodb (a replica set of 3 or 5), mysql (a master and replicas) and redis "
        "(a master and replicas) scale), so it starts one instead of 2",
        "dotcloud.yml:15:14: error: a mongodb service runs 1, 3 or 5 instances (a replica set has "
        "an odd number of members), not 2",
        "dotcloud.yml:18:14: error: a mongodb service runs 1, 3 or 5 instances (a replica set has "
        "an odd number of members), not 7",
        'dotcloud.yml:23:5: error: config "mongodb_replset" is set by the platform (it names the '
        "replica set); remove it",
    ],
    "ports": [
        'dotcloud.yml:4:10: error: unrecognized port type "htp" for "web" in "ports": expected '
        "http, tcp or udp (did you mean 'http'?)",
        'dotcloud.yml:5:5: error: invalid port name "ad-min": use letters, digits and underscores',
        'dotcloud.yml:7:5: error: port "OK" and port "ok" would both set PORT_OK: rename one',
        'dotcloud.yml:11:5: error: "ports" is only for code services; a mysql service has its own '
        "port",
    ],
    "process": [
        'dotcloud.yml:4:3: error: You can\'t have both "process" and "processes" at the same time '
        'in service "www"',
        'dotcloud.yml:6:5: error: invalid process name "bad name": use letters, digits, "_", "-" '
        'and "."',
        'dotcloud.yml:7:12: error: "empty" in "processes" must not be empty',
        'dotcloud.yml:10:12: error: "process" must be a string, found a boolean (true)',
    ],
    "lists": [
        'dotcloud.yml:3:17: error: "requirements" must be a list, found a string ("flask")',
        'dotcloud.yml:4:31: error: "systempackages" entry 2: invalid Debian package name '
        '"Bad_Name" (use lowercase letters, digits, +, - and .)',
        'dotcloud.yml:4:41: error: "systempackages" entry 3 must be a string, found a number (7)',
        'dotcloud.yml:5:13: error: "prebuild" must be a string, found a list',
        'dotcloud.yml:8:25: error: "requirements" entry 2 must be a string, found a number (1.0)',
    ],
    "buildscript": [
        'dotcloud.yml:6:16: error: "buildscript" "nope" is not a file in the application directory',
        'dotcloud.yml:9:16: warning: "buildscript" is only used by custom services; ignored for '
        "python",
    ],
}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_service_problem_messages(appdir: Path, fixture: str) -> None:
    assert problems(fixture) == CASES[fixture]


def test_symlinked_approot_escaping_the_app_is_refused(appdir: Path, tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", appdir / "link")
    Path("dotcloud.yml").write_text("www:\n  type: static\n  approot: link\n")
    with pytest.raises(BuildFileError) as caught:
        load_application(Path("."), "app")
    assert [found.format() for found in caught.value.diagnostics] == [
        'dotcloud.yml:3:12: error: "approot" "link" points outside the application directory'
    ]


def test_numeric_approot_is_coerced_like_the_platform(appdir: Path) -> None:
    Path("dotcloud.yml").write_text("www:\n  type: static\n  approot: 42\n")
    assert load_application(Path("."), "app").application.service("www").approot == "42"


def test_numeric_service_name_is_a_string(appdir: Path) -> None:
    Path("dotcloud.yml").write_text("2:\n  type: static\n")
    assert load_application(Path("."), "app").application.service_names == ("2",)


def test_warnings_alone_load(appdir: Path) -> None:
    shutil.copy(FIXTURES / "warnings.yml", "dotcloud.yml")
    result = load_application(Path("."), "app")
    assert [found.format() for found in result.warnings] == [
        'dotcloud.yml:3:3: warning: unknown key "aproot" in service "www": '
        "did you mean 'approot'?",
        "dotcloud.yml:5:21: warning: python_version v3.2 runs on Python 3.11 here",
        'dotcloud.yml:6:5: warning: unknown config key "uwsgi_proceses" for a python service: '
        "did you mean 'uwsgi_processes'?",
    ]
    assert result.application.service("www").extra["aproot"] == "www"


def test_strict_turns_warnings_into_errors(appdir: Path) -> None:
    assert problems("warnings", strict=True) == [
        'dotcloud.yml:3:3: error: unknown key "aproot" in service "www": did you mean \'approot\'?',
        "dotcloud.yml:5:21: error: python_version v3.2 runs on Python 3.11 here",
        'dotcloud.yml:6:5: error: unknown config key "uwsgi_proceses" for a python service: '
        "did you mean 'uwsgi_processes'?",
    ]


def test_errors_come_with_the_warnings(appdir: Path) -> None:
    Path("dotcloud.yml").write_text("www:\n  type: python\n  instances: 0\n  aproot: www\n")
    assert problems_text() == [
        'dotcloud.yml:3:14: error: "instances" must be a whole number from 1 to 10, found 0',
        'dotcloud.yml:4:3: warning: unknown key "aproot" in service "www": '
        "did you mean 'approot'?",
    ]


def problems_text() -> list[str]:
    with pytest.raises(BuildFileError) as caught:
        load_application(Path("."), "app")
    return [found.format() for found in caught.value.diagnostics]


def test_python_2_runs_on_27_and_v26_only_gets_a_note(appdir: Path) -> None:
    Path("dotcloud.yml").write_text(
        "old:\n  type: python\n  config:\n    python_version: v2.6\n"
        "new:\n  type: python\n  config:\n    python_version: v2.7\n"
        "bare:\n  type: python-worker\n"
    )
    loaded = load_application(Path("."), "app", strict=True)
    assert [found.format() for found in loaded.notes] == [
        "dotcloud.yml:4:21: note: python_version v2.6 runs on Python 2.7 here"
    ]
    assert loaded.warnings == ()
    stacks = {s.name: catalogue.stack_for(s) for s in loaded.application.services}
    assert {name: stack.base_image for name, stack in stacks.items()} == {
        "old": "debian:bullseye-slim",
        "new": "debian:bullseye-slim",
        "bare": "debian:bullseye-slim",
    }
