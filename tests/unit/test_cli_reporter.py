"""The one progress reporter: every progress line on stderr, results left to stdout."""

from __future__ import annotations

import pytest

from dotcloud_emulator.cli.reporter import Console


def test_every_progress_line_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    console = Console(tty=False)

    console.announce("Scaling application tutorial")
    with console.activity("Building the application"):
        console.step("Application fully deployed")
        console.event("www.0", "Restarting...")

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "==> Scaling application tutorial\n"
        "==> Building the application\n"
        "---> Application fully deployed\n"
        "[www.0] Restarting...\n"
    )


def test_quiet_keeps_only_the_announcements(capsys: pytest.CaptureFixture[str]) -> None:
    console = Console(quiet=True, tty=False)

    console.announce("Service (www) instance #0 of application tutorial has been restarted.")
    with console.activity("Building the application"):
        console.step("Application fully deployed")
        console.event("www.0", "Restarting...")

    assert capsys.readouterr() == (
        "",
        "==> Service (www) instance #0 of application tutorial has been restarted.\n",
    )
