"""The checkout entry point, run as a real subprocess, and `--help` on every command."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from dotcloud_emulator.cli.main import COMMAND_MODULES, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "tools" / "dotcloud_emulator.py"


def run_entry(*args: str, python: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(python or [sys.executable]), str(ENTRY), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_the_sample_from_a_checkout() -> None:
    result = run_entry("validate")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('dotcloud.yml: OK, application "tutorial"')


def test_missing_dependencies_are_explained_not_a_traceback() -> None:
    # -S leaves out site-packages: none of the project's dependencies can be imported.
    result = run_entry("validate", python=[sys.executable, "-S"])

    assert result.returncode == 1
    assert result.stderr.startswith("error: missing Python packages: PyYAML")
    assert "make setup" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_argument_is_one_line_and_exit_2() -> None:
    result = run_entry("status", "not a target!")

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    subparsers = parser._subparsers
    if subparsers is None:
        return {}
    return {
        name: child
        for action in subparsers._group_actions
        for name, child in (action.choices or {}).items()  # type: ignore[union-attr]
    }


def subcommand_paths() -> list[list[str]]:
    paths: list[list[str]] = []
    for name, command in _children(build_parser()).items():
        paths.append([name])
        paths.extend([name, nested] for nested in _children(command))
    return paths


@pytest.mark.parametrize("path", subcommand_paths(), ids=" ".join)
def test_every_command_has_help(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])

    assert exited.value.code == 0
    assert "usage: dotcloud-emulator" in capsys.readouterr().out


def test_every_listed_command_is_registered() -> None:
    assert set(COMMAND_MODULES) <= {path[0] for path in subcommand_paths()}
