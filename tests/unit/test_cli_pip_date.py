"""`up --pip-date`: what it accepts, and what it refuses before anything runs."""

from __future__ import annotations

import pytest

from dotcloud_emulator.api.lifecycle import parse_pip_date
from dotcloud_emulator.cli.main import main
from dotcloud_emulator.errors import UsageError


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2012-06-01", "2012-06-01"),
        ("2012-06-01T10:00:00Z", "2012-06-01"),
        ("today", "today"),
        ("none", "today"),
    ],
)
def test_accepted_dates(text: str, stored: str) -> None:
    assert parse_pip_date(text) == stored


@pytest.mark.parametrize("text", ["yesterday", "2012-13-01", "2012-06-01\n", "2999-01-01"])
def test_a_bad_date_is_one_line_and_exit_2(
    text: str, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    with pytest.raises(UsageError):
        parse_pip_date(text)
    with pytest.raises(SystemExit) as exited:
        main(["up", str(tmp_path), "--pip-date", text])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "invalid pip date" in err
