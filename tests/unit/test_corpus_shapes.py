"""Shapes found in public dotcloud.yml files that the platform accepted (docs/corpus.md), and the
corpus checker's own rules (scripts/check_corpus.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from dotcloud_emulator.cli.main import main

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_corpus.py"

LIST_IN_ENVIRONMENT = """\
tiles:
  type: nodejs
  environment:
    SOURCES:
      - http://example.invalid/a.mbtiles
      - http://example.invalid/b.mbtiles
    LIMITS: {width: 256, label: café}
    PLAIN: yes
"""

SCALED_DATABASE = """\
db:
  type: mysql
  instances: 2
tool:
  type: custom
  buildscript: tool/builder
"""


def write_app(root: Path, buildfile: str) -> Path:
    root.mkdir(parents=True)
    (root / "dotcloud.yml").write_text(buildfile)
    return root


def test_a_list_in_environment_is_set_to_its_json_text(
    tmp_path: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path / "tiles", LIST_IN_ENVIRONMENT)

    assert main(["generate", str(app), "-o", str(tmp_path / "out")]) == 0

    stderr = capsys.readouterr().err.splitlines()
    assert stderr == [
        f'{app / "dotcloud.yml"}:5:7: warning: "SOURCES" in "environment" is a list: a variable '
        "holds text, so it is set to its JSON text",
        f'{app / "dotcloud.yml"}:7:13: warning: "LIMITS" in "environment" is a mapping: a '
        "variable holds text, so it is set to its JSON text",
    ]
    env_file = private_state_home / "apps/tiles/instances/tiles-0/environment.json"
    env = json.loads(env_file.read_text())
    assert json.loads(env["SOURCES"]) == [
        "http://example.invalid/a.mbtiles",
        "http://example.invalid/b.mbtiles",
    ]
    assert env["LIMITS"] == '{"width":256,"label":"café"}'
    assert env["PLAIN"] == "true"


def test_a_scaled_data_service_starts_one_instance_with_a_warning(
    tmp_path: Path, private_state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(tmp_path / "pair", SCALED_DATABASE)
    (app / "tool").mkdir()
    (app / "tool" / "builder").write_text("#!/bin/sh\n")

    assert main(["generate", str(app), "-o", str(tmp_path / "out")]) == 0

    assert capsys.readouterr().err == (
        f"{app / 'dotcloud.yml'}:3:14: warning: a mysql service runs 1 instance here (of the data "
        "services only mongodb (a replica set of 3 or 5) and redis (a master and replicas) scale), "
        "so it starts one instead of 2\n"
    )
    instances = sorted(p.name for p in (private_state_home / "apps/pair/instances").iterdir())
    assert instances == ["db-0", "tool-0"]


def test_a_config_key_beside_type_is_kept_and_placed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write_app(
        tmp_path / "recipe",
        "www:\n  type: custom\n  buildscript: builder\n  node_version: v0.10.25\n",
    )
    (app / "builder").write_text("#!/bin/sh\n")

    assert main(["validate", str(app)]) == 0

    assert capsys.readouterr().err == (
        f'{app / "dotcloud.yml"}:4:3: warning: unknown key "node_version" in service "www"; it is '
        "kept as is (custom buildscripts see it as SERVICE_NODE_VERSION); nodejs services take "
        'it under "config:"\n'
    )


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_corpus", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_corpus"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("buildfile", "klass"),
    [
        # A code type the emulator may not run yet is still one of the platform's.
        ("www:\n  type: ruby\ndb:\n  type: postgresql\n", "target"),
        ("www:\n  type: python\ndb:\n  type: mongodb\n", "other"),
        ("www:\n  type: python\ndb:\n  type: sqlite\n", "other"),
        ("www:\n  type: python\ndata: redis\n", "malformed"),
        ("www:\n\ttype: static\n", "malformed"),
    ],
)
def test_the_checker_classes_a_file_by_its_declared_types(
    checker: ModuleType, buildfile: str, klass: str
) -> None:
    assert checker.declared_types(buildfile)[0] == klass


def test_the_checker_takes_the_code_types_from_the_catalogue(checker: ModuleType) -> None:
    assert set(checker.code_types()) == {
        "python",
        "python-worker",
        "nodejs",
        "php",
        "php-worker",
        "ruby",
        "ruby-worker",
        "perl",
        "perl-worker",
        "java",
        "static",
        "custom",
    }


def test_the_checker_stubs_only_what_the_loader_says_is_missing(
    checker: ModuleType, tmp_path: Path
) -> None:
    made = checker.stub_tree(
        tmp_path,
        [
            '"buildscript" "tools/build" is not a file in the application directory',
            '"approot" "web" is not a directory in the application directory',
            '"instances" must be a whole number from 1 to 10, found 0',
        ],
    )

    assert made == ["tools/build", "web/", ""]
    assert (tmp_path / "tools" / "build").stat().st_mode & 0o111
    assert (tmp_path / "web").is_dir()
