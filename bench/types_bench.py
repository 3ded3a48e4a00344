"""Cold and warm `up` of each example application against a hand-written Compose project.

For every example of `examples/` that has a baseline in `bench/handwritten/EXAMPLE/` (or those
named on the command line), in one run, on a copy of the example:

- emulator cold: `up` with no image of the application present and a new token in every
  approot (the application's own layers are cold), the stack's shared layers in the build cache
  (an untimed `up` first fills it, as a user's first application of that type would);
- emulator warm: `up` again with nothing changed (median of --warm-runs);
- baseline cold / warm: the same for `docker compose up -d --build` of the hand-written project,
  timed until its page answers 200 (bench/handwritten/README.md says what the baselines are).

Run: .venv/bin/python bench/types_bench.py [EXAMPLE ...] [--warm-runs N]
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (
    ROOT,
    BenchApp,
    free_port,
    header,
    machine_line,
    median,
    remove_images,
    remove_leftovers,
    table,
    timed,
)

from dotcloud_emulator.generate import ca_bundle_path

HANDWRITTEN = Path(__file__).resolve().parent / "handwritten"
EXAMPLES = ROOT / "examples"
TOKEN_FILE = "bench-token.txt"
COMPOSE_TIMEOUT = 1200.0
READY_TIMEOUT = 300.0
# The page each baseline is ready at (php-mysql's guestbook needs the mysql_* functions PHP 8
# no longer has: its baseline serves a ping.php of its own).
READY_PATHS = {"php-mysql": "/ping.php"}


@dataclass
class Figures:
    runs: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)

    def add(self, example: str, side: str, scenario: str, seconds: float) -> None:
        self.runs.setdefault((example, side, scenario), []).append(seconds)
        print(f"  {example:<16} {scenario:<5} {side:<9} {seconds:7.2f} s", flush=True)

    def median(self, example: str, side: str, scenario: str) -> float:
        return median(self.runs.get((example, side, scenario), []))


def approots(appdir: Path) -> list[Path]:
    """The directories of the copy that hold application code (everything but our own)."""
    return [path for path in appdir.iterdir() if path.is_dir() and not path.name.startswith(".")]


def write_tokens(appdir: Path) -> None:
    token = secrets.token_hex(8)
    for approot in approots(appdir):
        (approot / TOKEN_FILE).write_text(f"{token}\n")


class Handwritten:
    """The hand-written Compose project of one example, inside the example's copy."""

    def __init__(self, example: str, appdir: Path) -> None:
        self.example = example
        self.directory = appdir / ".handwritten"
        shutil.copytree(HANDWRITTEN / example, self.directory)
        self.port = free_port()
        self.project = f"handwritten-{example}-{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(18)
        template = (self.directory / "environment.json.in").read_text()
        environment = self.directory / "environment.json"
        environment.write_text(template.replace("@PASSWORD@", password))
        environment.chmod(0o644)
        bundle = ca_bundle_path() or "/etc/ssl/certs/ca-certificates.crt"
        (self.directory / ".env").write_text(
            f"PORT={self.port}\nPASSWORD={password}\nCA_BUNDLE={bundle}\n"
        )

    def compose(self, *args: str) -> None:
        argv = ["docker", "compose", "-p", self.project, "-f", "compose.yml", *args]
        result = subprocess.run(
            argv,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=COMPOSE_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"`{' '.join(argv)}` exited {result.returncode}\n{result.stderr}")

    def up(self) -> None:
        self.compose("up", "-d", "--build")
        wait_for_page(f"http://127.0.0.1:{self.port}{READY_PATHS.get(self.example, '/')}")

    def make_cold(self) -> None:
        self.compose("down", "--volumes", "--rmi", "local")

    def remove(self) -> None:
        self.compose("down", "--volumes", "--rmi", "local", "--remove-orphans")


def wait_for_page(url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except (OSError, urllib.error.URLError) as error:
            last = str(error)
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {READY_TIMEOUT:.0f} s ({last})")


@contextmanager
def example_copy(example: str) -> Iterator[BenchApp]:
    """A copy of examples/EXAMPLE with a unique name and state; destroyed with all it made."""
    with tempfile.TemporaryDirectory(prefix=f"types-{example}-") as root:
        base = Path(root)
        state_home = base / "state"
        state_home.mkdir()
        appdir = base / example
        shutil.copytree(EXAMPLES / example, appdir)
        builder = appdir / "build-wars.sh"  # an example whose WARs are built from its sources
        if builder.exists():
            subprocess.run([str(builder)], check=True, capture_output=True, timeout=900)
        app = BenchApp(
            name=f"tb{secrets.token_hex(3)}",
            port=free_port(),
            appdir=appdir,
            state_home=state_home,
        )
        try:
            yield app
        finally:
            app.cli("destroy", app.name, "-y", check=False)
            remove_leftovers(app.name)


def measure_emulator(example: str, app: BenchApp, figures: Figures, warm_runs: int) -> None:
    def up() -> object:
        return app.cli(*app.up_args())

    print(f"{example}: the emulator's stack layers into the build cache (not timed)...", flush=True)
    write_tokens(app.appdir)
    up()
    app.cli("destroy", app.name, "-y")
    remove_images(app.name)
    write_tokens(app.appdir)
    figures.add(example, "emulator", "cold", timed(up))
    for _ in range(warm_runs):
        figures.add(example, "emulator", "warm", timed(up))
    app.cli("destroy", app.name, "-y")


def measure_baseline(example: str, app: BenchApp, figures: Figures, warm_runs: int) -> None:
    baseline = Handwritten(example, app.appdir)
    try:
        print(f"{example}: the baseline's layers into the build cache (not timed)...", flush=True)
        write_tokens(app.appdir)
        baseline.up()
        baseline.make_cold()
        write_tokens(app.appdir)
        figures.add(example, "baseline", "cold", timed(baseline.up))
        for _ in range(warm_runs):
            figures.add(example, "baseline", "warm", timed(baseline.up))
    finally:
        baseline.remove()


def report(figures: Figures, examples: list[str], warm_runs: int) -> None:
    rows = []
    for example in examples:
        for scenario, title in (("cold", "cold"), ("warm", f"warm (median of {warm_runs})")):
            ours = figures.median(example, "emulator", scenario)
            theirs = figures.median(example, "baseline", scenario)
            rows.append([example, title, f"{ours:.2f}", f"{theirs:.2f}", f"{ours / theirs:.2f}x"])
    print()
    print(table(["example", "up", "emulator s", "hand-written s", "ratio"], rows))
    print("every run (s):")
    for (example, side, scenario), values in figures.runs.items():
        print(f"  {example:<16} {side:<9} {scenario:<5} " + " ".join(f"{v:.2f}" for v in values))
    print(f"after: {machine_line()}")


def main() -> int:
    available = sorted(path.name for path in HANDWRITTEN.iterdir() if path.is_dir())
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", nargs="*", metavar="EXAMPLE", help=f"of {available}")
    parser.add_argument("--warm-runs", type=int, default=3)
    args = parser.parse_args()
    examples = args.examples or available
    unknown = [name for name in examples if name not in available]
    if unknown:
        parser.error(f"no hand-written baseline for {', '.join(unknown)} (have: {available})")
    header("types benchmark")
    figures = Figures()
    for example in examples:
        with example_copy(example) as app:
            measure_emulator(example, app, figures, args.warm_runs)
            measure_baseline(example, app, figures, args.warm_runs)
    report(figures, examples, args.warm_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
