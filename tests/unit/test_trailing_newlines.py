"""A name with a trailing newline is refused whole: exit 2, one line naming it, nothing written.

`^…$` patterns used to accept "db\\n" (a `$` anchor matches before a final newline), and the
name then broke the Dockerfile, profile or configuration it was written into, sometimes after
half of the output had been written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dotcloud_emulator import names

from .refusals import refused

APP_NAME_RULE = (
    "use 1 to 30 lowercase letters, digits and underscores, starting with a letter or digit"
)

# dotcloud.yml texts, each with one name ending in a newline (YAML's "\n" escape), and the one
# line `validate` and `generate` must print for it.
BUILD_FILES = {
    "service name": (
        '"db\\n":\n  type: redis\n',
        'dotcloud.yml:1:1: error: invalid characters in service name "db\\n": use lowercase '
        "letters, digits and underscores only",
    ),
    "Debian package": (
        'www:\n  type: python\n  systempackages: ["curl\\n"]\n',
        'dotcloud.yml:3:20: error: "systempackages" entry 1: invalid Debian package name '
        '"curl\\n" (use lowercase letters, digits, +, - and .)',
    ),
    "process name": (
        'www:\n  type: python\n  processes:\n    "worker\\n": python worker.py\n',
        'dotcloud.yml:4:5: error: invalid process name "worker\\n": use letters, digits, "_", '
        '"-" and "."',
    ),
    "port name": (
        'www:\n  type: python\n  ports:\n    "http\\n": http\n',
        'dotcloud.yml:4:5: error: invalid port name "http\\n": use letters, digits and underscores',
    ),
    "environment variable": (
        'www:\n  type: python\n  environment:\n    "FOO\\n": bar\n',
        'dotcloud.yml:4:5: error: invalid environment variable name "FOO\\n": use letters, '
        "digits and underscores, not starting with a digit",
    ),
}


def nothing_written(appdir: Path, home: Path, outdir: Path) -> None:
    assert not home.exists()
    assert not outdir.exists()
    assert sorted(path.name for path in appdir.iterdir()) == ["dotcloud.yml"]


@pytest.mark.parametrize(
    "argv", [["validate"], ["generate", "-o", "../out"]], ids=["validate", "generate"]
)
def test_an_application_name_with_a_newline(
    argv: list[str], appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    line = refused([*argv, "-A", "app\n"], capsys)
    assert line == f'error: invalid application name "app\\n": {APP_NAME_RULE}'
    nothing_written(appdir, home, appdir.parent / "out")


def test_env_show_of_an_application_name_with_a_newline(
    appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    line = refused(["env", "show", "app\n.www"], capsys)
    assert line == f'error: invalid application name "app\\n": {APP_NAME_RULE}'
    nothing_written(appdir, home, appdir.parent / "out")


@pytest.mark.parametrize("command", ["validate", "generate"])
@pytest.mark.parametrize("case", BUILD_FILES)
def test_a_name_with_a_newline_in_the_build_file(
    case: str, command: str, appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = BUILD_FILES[case]
    (appdir / "dotcloud.yml").write_text(text)
    argv = [command, "-o", "../out"] if command == "generate" else [command]
    assert refused(argv, capsys) == expected
    nothing_written(appdir, home, appdir.parent / "out")


# Each rule with a name it accepts: the same name with a newline after it must be refused.
VALID_NAMES = [
    (names.SERVICE, "db"),
    (names.APPLICATION, "tutorial"),
    (names.VARIABLE, "FOO"),
    (names.PORT, "http"),
    (names.PROGRAM, "worker"),
    (names.DEBIAN_PACKAGE, "curl"),
    (names.HOST_LABEL, "www"),
    (names.NGINX_WORD, "www.example.com"),
]


@pytest.mark.parametrize(("rule", "name"), VALID_NAMES, ids=[r.what for r, _ in VALID_NAMES])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_every_name_rule_refuses_a_line_ending(
    rule: names.NameRule, name: str, ending: str
) -> None:
    assert rule.is_valid(name)
    assert not rule.is_valid(name + ending)
    assert not rule.has_valid_characters(name + ending)


def test_a_host_name_with_a_line_ending_is_refused() -> None:
    assert names.is_host_name("www.example.com")
    assert not names.is_host_name("www.example.com\n")
    assert not names.is_host_name("evil\n.example.com")


def test_a_long_service_name_is_too_long_but_made_of_valid_characters() -> None:
    name = "a_very_long_service_name"
    assert not names.SERVICE.is_short_enough(name)
    assert names.SERVICE.has_valid_characters(name)


def test_escaped_values_stay_on_one_line() -> None:
    assert names.escaped('db\n"x"\\\x85\u2028') == 'db\\n\\"x\\"\\\\\\x85\\u2028'
    assert names.printable("db\n") == '"db\\n"'
