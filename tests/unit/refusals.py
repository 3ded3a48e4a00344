"""The check shared by the tests of refused input: one line on stderr, nothing on stdout."""

from __future__ import annotations

import pytest

from dotcloud_emulator.cli.main import main


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a refused command printed on stderr (it printed nothing on stdout)."""
    status = main(argv)
    out, err = capsys.readouterr()
    assert (status, out) == (2, ""), err
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")
