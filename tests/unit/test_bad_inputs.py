"""Inputs that used to misbehave: each is one line naming what is wrong (with its position in
the build file), exit 2, and nothing written; a value that is only echoed is escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from dotcloud_emulator.buildfile.validate import MAX_SERVICES
from dotcloud_emulator.cli.main import main

from .refusals import refused

NUL = 'a NUL character ("\\0") cannot be written into a configuration file, a command or a variable'


def nothing_written(appdir: Path, home: Path, *kept: str) -> None:
    assert not home.exists()
    assert sorted(path.name for path in appdir.iterdir()) == sorted(["dotcloud.yml", *kept])


@pytest.mark.parametrize("command", ["validate", "generate"])
def test_a_build_file_linking_outside_the_application_is_not_read(
    command: str, appdir: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (appdir / "dotcloud.yml").symlink_to(secret)
    line = refused([command], capsys)
    assert line == (
        "error: dotcloud.yml: a symbolic link to a file outside the application directory; "
        "refusing to read it"
    )
    nothing_written(appdir, home)


def test_a_build_file_linking_inside_the_application_is_read(
    appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "conf").mkdir()
    (appdir / "conf" / "dotcloud.yml").write_text("www:\n  type: static\n")
    (appdir / "dotcloud.yml").symlink_to(Path("conf/dotcloud.yml"))
    assert main(["validate"]) == 0
    assert 'application "app": 1 service' in capsys.readouterr().out


ESCAPES = "\\e]0;pwned\\a\\e[2J"  # YAML escapes: set the terminal's title, clear the screen


def test_an_unknown_key_with_terminal_escapes_is_printed_escaped(
    appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text(f'www:\n  type: static\n  "{ESCAPES}": 1\n')
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err
    assert "\x07" not in out + err
    assert err.startswith(
        'dotcloud.yml:3:3: warning: unknown key "\\x1b]0;pwned\\x07\\x1b[2J" in service "www"'
    )
    assert len(err.splitlines()) == 1


def test_a_duplicate_key_with_terminal_escapes_is_printed_escaped(
    appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text(
        f'www:\n  type: static\n  "{ESCAPES}": 1\n  "{ESCAPES}": 2\n'
    )
    assert main(["generate"]) == 2
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err
    assert "\x07" not in out + err
    assert (
        'dotcloud.yml:4:3: error: duplicate key "\\x1b]0;pwned\\x07\\x1b[2J" (first defined at '
        "line 3)"
    ) in err.splitlines()
    nothing_written(appdir, home)


NUL_BUILD_FILES = {
    "process": ('www:\n  type: python\n  process: "python\\0 app.py"\n', "3:12"),
    "prebuild": ('www:\n  type: python\n  prebuild: "make\\0"\n', "3:13"),
    "requirements": ('www:\n  type: python\n  requirements: ["flask\\0"]\n', "3:18"),
    "environment value": ('www:\n  type: python\n  environment:\n    A: "b\\0c"\n', "4:8"),
    "environment name": ('www:\n  type: python\n  environment:\n    "A\\0": b\n', "4:5"),
}


@pytest.mark.parametrize("command", ["validate", "generate"])
@pytest.mark.parametrize("case", NUL_BUILD_FILES)
def test_a_nul_in_the_build_file_is_refused_with_its_position(
    case: str, command: str, appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, where = NUL_BUILD_FILES[case]
    (appdir / "dotcloud.yml").write_text(text)
    assert refused([command], capsys) == f"dotcloud.yml:{where}: error: {NUL}"
    nothing_written(appdir, home)


@pytest.mark.parametrize(("folder", "special"), [("w$HOME", "$"), ("x*", "*"), ("y[1]", "[ ]")])
def test_an_approot_docker_would_expand_is_refused(
    folder: str, special: str, appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / folder).mkdir()
    (appdir / folder / "requirements.txt").write_text("flask\n")
    (appdir / "dotcloud.yml").write_text(f'www:\n  type: python\n  approot: "{folder}"\n')
    line = refused(["generate"], capsys)
    assert line == (
        f'dotcloud.yml:3:12: error: "approot" "{folder}": a folder name with {special} cannot be '
        "copied by a Dockerfile (Docker expands $ variables and * ? [ ] patterns in COPY); "
        "rename the folder"
    )
    nothing_written(appdir, home, folder)


def test_output_to_a_file_is_refused(
    appdir: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    target = tmp_path / "passwd"
    target.write_text("root:x:0:0\n")
    line = refused(["generate", "-o", str(target)], capsys)
    assert line == f"error: {target}: not a directory; the output goes into a folder"
    assert target.read_text() == "root:x:0:0\n"
    nothing_written(appdir, home)


def test_output_to_etc_passwd_is_refused(
    appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    line = refused(["generate", "-o", "/etc/passwd"], capsys)
    assert line == "error: /etc/passwd: not a directory; the output goes into a folder"
    nothing_written(appdir, home)


@pytest.mark.skipif(not Path("/proc/1").is_dir(), reason="no /proc on this system")
def test_output_to_a_folder_nobody_can_write_is_refused(
    appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    line = refused(["generate", "-o", "/proc/1"], capsys)
    assert line == "error: /proc/1: cannot write there (permission denied)"
    nothing_written(appdir, home)


def test_a_state_home_that_is_a_file_is_refused(
    appdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (appdir / "dotcloud.yml").write_text("www:\n  type: static\n")
    state_home = tmp_path / "statefile"
    state_home.write_text("not a folder\n")
    monkeypatch.setenv("DOTCLOUD_EMULATOR_HOME", str(state_home))
    line = refused(["generate"], capsys)
    assert line == (
        f"error: {state_home}: the state directory is not a directory; set "
        "DOTCLOUD_EMULATOR_HOME to a folder"
    )
    assert state_home.read_text() == "not a folder\n"
    assert sorted(path.name for path in appdir.iterdir()) == ["dotcloud.yml"]


def test_too_many_services_are_refused(
    appdir: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = MAX_SERVICES + 1
    text = "".join(f"s{number}:\n  type: static\n" for number in range(count))
    (appdir / "dotcloud.yml").write_text(text)
    line = refused(["generate"], capsys)
    assert line == (
        f'dotcloud.yml:{2 * MAX_SERVICES + 1}:1: error: "dotcloud.yml" defines {count} services: '
        f"the emulator runs at most {MAX_SERVICES} per application"
    )
    nothing_written(appdir, home)


def test_the_most_services_allowed_are_generated(
    appdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "".join(f"s{number}:\n  type: static\n" for number in range(MAX_SERVICES))
    (appdir / "dotcloud.yml").write_text(text)
    assert main(["generate"]) == 0
    assert len(list((appdir / ".dotcloud/build").iterdir())) == MAX_SERVICES
