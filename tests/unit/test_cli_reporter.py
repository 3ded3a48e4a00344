"""The one progress reporter: every progress line on stderr, results left to stdout."""

from __future__ import annotations

import re
import sys
import threading
import time

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


class SlowStream:
    """A stream that yields to other threads inside every write, as a pipe under load may."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, chunk: str) -> int:
        for character in chunk:
            self.text += character
            time.sleep(0)
        return len(chunk)

    def flush(self) -> None:
        pass


def test_lines_printed_from_several_threads_stay_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = SlowStream()
    monkeypatch.setattr(sys, "stderr", stream)
    console = Console(tty=False)

    def report(instance: str) -> None:
        for number in range(20):
            console.event(instance, f"restarted the programs, line {number}")

    threads = [threading.Thread(target=report, args=(f"www.{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = stream.text.splitlines()
    assert len(lines) == 80
    pattern = re.compile(r"\[www\.[0-3]\] restarted the programs, line \d+")
    assert all(pattern.fullmatch(line) for line in lines), lines
