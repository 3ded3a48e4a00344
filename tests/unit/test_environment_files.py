"""Renderings of an environment: environment.json, environment.yml/.yaml and dotcloud_profile."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.platform.environment import environment_files

ENV: dict[str, str | int] = {
    "DOTCLOUD_SERVICE_ID": "0",
    "DOTCLOUD_SESSION_REDIS_PORT": "6379",
    "DOTCLOUD_SESSION_REDIS_PASSWORD": 'a\'b "c" $HOME `x`',
    "PORT_HTTP": 8080,
    "FLAG": "true",
    "NOTHING": "null",
    "EMPTY": "",
    "OCTAL": "0755",
    "FLOAT": "1.5",
    "MULTI": "line one\nline two\n",
    "DOTCLOUD_PROJECT": "tutorial",
}


def test_the_four_files() -> None:
    files = environment_files(ENV)
    assert set(files) == {
        "environment.json",
        "environment.yml",
        "environment.yaml",
        "dotcloud_profile",
    }
    assert files["environment.yaml"] == files["environment.yml"]


def test_json_keeps_types_sorted_and_indented() -> None:
    text = environment_files(ENV)["environment.json"]
    assert json.loads(text) == ENV
    assert text.endswith("}\n")
    assert '\n    "DOTCLOUD_PROJECT": "tutorial",\n' in text
    assert '"DOTCLOUD_SERVICE_ID": "0"' in text
    assert '"PORT_HTTP": 8080' in text
    keys = [line.split('"')[1] for line in text.splitlines() if line.startswith('    "')]
    assert keys == sorted(ENV)


def test_yaml_round_trip_keeps_strings_that_look_like_scalars() -> None:
    text = environment_files(ENV)["environment.yml"]
    loaded = yaml.safe_load(text)
    assert loaded == ENV
    assert loaded["DOTCLOUD_SERVICE_ID"] == "0"
    assert loaded["DOTCLOUD_SESSION_REDIS_PORT"] == "6379"
    assert loaded["PORT_HTTP"] == 8080


def test_yaml_is_sorted_block_style() -> None:
    text = environment_files(ENV)["environment.yml"]
    assert "{" not in text
    assert "DOTCLOUD_SERVICE_ID: '0'\n" in text
    assert "PORT_HTTP: 8080\n" in text
    top_level = [line.split(":")[0] for line in text.splitlines() if line and not line[0].isspace()]
    assert top_level == sorted(ENV)


def test_yaml_quotes_strings_a_yaml_1_2_reader_would_take_for_numbers_or_booleans() -> None:
    # PyYAML (YAML 1.1) reads these as strings unquoted; a YAML 1.2 reader would not.
    text = environment_files({"OCTAL": "0o17", "EXPONENT": "1e3", "ANSWER": "y"})["environment.yml"]
    assert text == "ANSWER: 'y'\nEXPONENT: '1e3'\nOCTAL: '0o17'\n"


def test_yaml_writes_multiline_values_as_literal_blocks() -> None:
    text = environment_files(ENV)["environment.yml"]
    assert "MULTI: |\n  line one\n  line two\n" in text


def test_yaml_dumper_is_a_subclass_and_leaves_the_global_dumper_alone() -> None:
    environment_files(ENV)
    assert yaml.safe_dump({"MULTI": "a\nb"}) == "MULTI: 'a\n\n  b'\n"


def test_profile_lines_are_sorted_and_quoted() -> None:
    text = environment_files(ENV)["dotcloud_profile"]
    lines = text.splitlines()
    assert lines[0] == "export DOTCLOUD_PROJECT=tutorial"
    assert "export PORT_HTTP=8080" in lines
    assert "export EMPTY=''" in lines
    assert text.endswith("\n")


def test_profile_round_trips_through_a_shell() -> None:
    text = environment_files(ENV)["dotcloud_profile"]
    script = (
        text + 'printf "%s\\0" "$DOTCLOUD_SESSION_REDIS_PASSWORD" "$MULTI" "$PORT_HTTP" "$EMPTY"'
    )
    result = subprocess.run(["sh", "-c", script], capture_output=True, check=True, env={})
    assert result.stdout.split(b"\0")[:-1] == [
        b'a\'b "c" $HOME `x`',
        b"line one\nline two\n",
        b"8080",
        b"",
    ]


def test_profile_refuses_names_a_shell_cannot_export() -> None:
    with pytest.raises(UsageError, match='"BAD-NAME"'):
        environment_files({"BAD-NAME": "x"})
