"""The `dashboard` command's arguments and a port it cannot have (no Docker, no serving)."""

from __future__ import annotations

import socket

import pytest

from dotcloud_emulator.cli import main as cli


def test_a_port_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dashboard", "--port", "70000", "--no-open"]) == 2
    assert capsys.readouterr().err == "error: --port must be from 0 to 65535\n"


def test_a_port_already_taken_is_one_line_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["dashboard", "--port", str(port), "--no-open"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["dashboard", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "127.0.0.1" in out
    assert "--no-open" in out
