"""Time a save in development mode against a push, on the same application, in the same run.

What is timed, for both: from the moment `services/www/wsgi.py` is written with a new title to
the first response of the gateway that carries it (polled every 10 ms).

- push: `up` (not in development mode) after the change, then the first response
  (median of --pushes).
- development mode: `up --dev` runs in the background; the change alone, then the first
  response (median of --saves). Each save waits for the previous reload to be reported.

Run: .venv/bin/python bench/dev_bench.py [--saves N] [--pushes N]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from benchlib import CLI, ROOT, BenchApp, bench_app, header, machine_line, median, table

TARGET_SECONDS = 1.0
POLL_INTERVAL = 0.01
SERVE_TIMEOUT = 120.0
START_TIMEOUT = 600.0
WSGI = Path("services/www/wsgi.py")
TITLE = re.compile(r"<title>[^<]*</title>")


def page(app: BenchApp) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{app.port}/", headers={"Host": f"www.{app.name}.localhost"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.read().decode("utf-8", "replace"))
    except OSError as exc:
        return str(exc)


def save_new_title(app: BenchApp, marker: str) -> None:
    path = app.appdir / WSGI
    text = path.read_text(encoding="utf-8")
    path.write_text(TITLE.sub(f"<title>{marker}</title>", text, count=1), encoding="utf-8")


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_INTERVAL)


def save_to_response(app: BenchApp, marker: str, after_save: Callable[[], object]) -> float:
    start = time.perf_counter()
    save_new_title(app, marker)
    after_save()
    wait_until(lambda: marker in page(app), SERVE_TIMEOUT, f"the page with {marker}")
    return time.perf_counter() - start


def measure_pushes(app: BenchApp, runs: int) -> list[float]:
    figures = []
    for number in range(runs):
        seconds = save_to_response(app, f"push {number}", lambda: app.cli(*app.up_args()))
        print(f"  push  {number}: {seconds:6.2f} s", flush=True)
        figures.append(seconds)
    return figures


def measure_saves(app: BenchApp, runs: int, terminal: Path) -> list[float]:
    figures: list[float] = []
    for number in range(runs):
        seconds = save_to_response(app, f"save {number}", lambda: None)
        print(f"  save  {number}: {seconds:6.3f} s", flush=True)
        figures.append(seconds)
        wait_for_reports(terminal, len(figures))
    return figures


def wait_for_reports(terminal: Path, count: int) -> None:
    """Until the terminal reported `count` reloads: a save never lands in the previous reload."""
    wait_until(
        lambda: terminal.read_text().count(" applied in ") >= count, SERVE_TIMEOUT, "the report"
    )


def start_dev(app: BenchApp, terminal: Path) -> subprocess.Popen[bytes]:
    with terminal.open("w") as stderr:
        process = subprocess.Popen(
            # Not --quiet: the terminal's "applied in" lines pace the saves.
            [*CLI, "up", str(app.appdir), "-A", app.name, "--port", str(app.port), "--dev"],
            cwd=ROOT,
            env=app.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    wait_until(
        lambda: "Development mode: watching" in terminal.read_text() or process.poll() is not None,
        START_TIMEOUT,
        "up --dev to start watching",
    )
    if process.poll() is not None:
        raise RuntimeError(f"up --dev exited:\n{terminal.read_text()}")
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--pushes", type=int, default=3)
    args = parser.parse_args(argv)
    header("dev_bench")
    with bench_app("devb") as app:
        print("first up (not timed)...", flush=True)
        app.cli(*app.up_args())
        pushes = measure_pushes(app, args.pushes)
        terminal = app.appdir.parent / "dev-terminal.txt"
        process = start_dev(app, terminal)
        try:
            saves = measure_saves(app, args.saves, terminal)
        finally:
            process.terminate()
            process.wait(timeout=60)
    dev, push = median(saves), median(pushes)
    rows = [
        [f"development mode, save (median of {len(saves)})", f"{dev:.3f}", f"<= {TARGET_SECONDS}"],
        [f"push: up after the save (median of {len(pushes)})", f"{push:.2f}", "-"],
    ]
    print()
    print(table(["save -> first response with the new code", "seconds", "target"], rows))
    print(f"push / development mode: {push / dev:.1f}x")
    verdict = "met" if dev <= TARGET_SECONDS else "NOT met"
    print(f"target (development mode <= {TARGET_SECONDS} s): {verdict}")
    print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
