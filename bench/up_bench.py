"""Time the emulator's `up` against plain `docker compose up` on the same generated files.

Scenarios, each measured for the emulator (`tools/dotcloud_emulator.py up`) and for the baseline
(`docker compose -f docker-compose.yml -p dotcloud-APP up -d --build --wait`, with the environment
the engine gives Compose), in the same run, on the same application:

- cold: no image of this application exists. The shared layers (the Debian stack, the pip
  install) come from the build cache, which a priming build fills first so neither side pays for
  them; a token file unique to each cold run makes the application's own code layers cold.
- warm: the application is running and nothing changed (median of --warm-runs). Each side's runs
  follow a run of the same side: Compose recreates the containers the emulator's rollout made,
  so one untimed Compose run comes first.
- change: one line appended to services/www/wsgi.py (median of --change-runs), same order.
- full cold (--full-cold, baseline only): `docker compose build --no-cache`, then up. The CLI has
  no such flag, and pruning the build cache would remove other people's cache, so the emulator's
  figure is the cold one plus the difference between the two baseline rows.

Run: .venv/bin/python bench/up_bench.py [--warm-runs N] [--change-runs N] [--full-cold]
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import (
    BenchApp,
    app_image_tags,
    bench_app,
    container_of,
    header,
    machine_line,
    median,
    remove_images,
    table,
    timed,
)

from dotcloud_emulator.engine.compose import ComposeProject

TOKEN_FILE = "bench-token.txt"
CHANGED_FILE = Path("services/www/wsgi.py")
WARM_TARGET_RATIO = 1.5
WARM_TARGET_SECONDS = 5.0
CHANGE_TARGET_SECONDS = 20.0
COMPOSE_TIMEOUT = 900.0


@dataclass
class Figures:
    emulator: dict[str, list[float]] = field(default_factory=dict)
    compose: dict[str, list[float]] = field(default_factory=dict)

    def add(self, side: str, scenario: str, seconds: float) -> None:
        figures = self.emulator if side == "emulator" else self.compose
        figures.setdefault(scenario, []).append(seconds)
        print(f"  {scenario:<10} {side:<8} {seconds:6.2f} s", flush=True)


class Baseline:
    """Plain `docker compose` on the files the emulator generated, with the engine's environment."""

    def __init__(self, app: BenchApp) -> None:
        self.project = ComposeProject.for_app(app.name, app.compose_file, app.state_home, app.port)
        self.env = self.project.environment(app.env())

    def run(self, *args: str) -> None:
        argv = ["docker", "compose", "-f", str(self.project.file), "-p", self.project.name, *args]
        result = subprocess.run(
            argv, env=self.env, capture_output=True, text=True, timeout=COMPOSE_TIMEOUT, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"`{' '.join(argv)}` exited {result.returncode}\n{result.stderr}")

    def up(self) -> None:
        self.run("up", "-d", "--build", "--wait")


def write_tokens(root: Path) -> None:
    """A new token in every copy of the token file under `root`: the code layers are cold again."""
    token = secrets.token_hex(8)
    for path in root.rglob(TOKEN_FILE):
        path.write_text(f"{token}\n")


def append_line(path: Path) -> str:
    marker = f"# bench change {secrets.token_hex(4)}"
    with path.open("a", encoding="utf-8") as file:
        file.write(f"{marker}\n")
    return marker


def snapshot_of(app: BenchApp, relative: Path) -> list[Path]:
    """The copies of an application file inside the generated build contexts."""
    return list((app.appdir / ".dotcloud" / "build").glob(f"*/code/{relative}"))


def check_deployed(app: BenchApp, marker: str) -> None:
    name = container_of(app.name, "www")
    result = subprocess.run(
        ["docker", "exec", name, "grep", "-c", marker, "/home/dotcloud/current/wsgi.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the running www does not have the change {marker!r}")


def make_cold(app: BenchApp, baseline: Baseline) -> None:
    baseline.run("down", "--volumes", "--remove-orphans")
    remove_images(app.name)
    if app_image_tags(app.name):
        raise RuntimeError(f"images of {app.name} are still present: {app_image_tags(app.name)}")


def prime(app: BenchApp) -> Baseline:
    """Generate the files, fill the build cache with their shared layers, leave no image behind."""
    for service in ("www", "session"):
        (app.appdir / "services" / service / TOKEN_FILE).write_text("prime\n")
    app.cli("generate", str(app.appdir), "-A", app.name)
    baseline = Baseline(app)
    baseline.run("build")
    remove_images(app.name)
    return baseline


def emulator_up(app: BenchApp) -> Callable[[], object]:
    return lambda: app.cli(*app.up_args())


def measure(app: BenchApp, args: argparse.Namespace) -> Figures:
    figures = Figures()
    print("priming the build cache (not timed)...", flush=True)
    baseline = prime(app)
    write_tokens(app.appdir / "services")
    figures.add("emulator", "cold", timed(emulator_up(app)))
    for _ in range(args.warm_runs):
        figures.add("emulator", "warm", timed(emulator_up(app)))
    settle(baseline)
    for _ in range(args.warm_runs):
        figures.add("compose", "warm", timed(baseline.up))
    for _ in range(args.change_runs):
        marker = append_line(app.appdir / CHANGED_FILE)
        figures.add("emulator", "change", timed(emulator_up(app)))
        check_deployed(app, marker)
    settle(baseline)
    for _ in range(args.change_runs):
        marker = append_line(app.appdir / CHANGED_FILE)
        for copy in snapshot_of(app, CHANGED_FILE):
            copy.write_text((app.appdir / CHANGED_FILE).read_text())
        figures.add("compose", "change", timed(baseline.up))
        check_deployed(app, marker)
    make_cold(app, baseline)
    write_tokens(app.appdir / ".dotcloud" / "build")
    figures.add("compose", "cold", timed(baseline.up))
    if args.full_cold:
        make_cold(app, baseline)
        figures.add("compose", "full-cold", timed(lambda: full_cold(baseline)))
    return figures


def settle(baseline: Baseline) -> None:
    """An untimed Compose run first: it recreates the containers the emulator's rollout made."""
    print("  (Compose takes over the emulator's containers: not timed)", flush=True)
    baseline.up()


def full_cold(baseline: Baseline) -> None:
    baseline.run("build", "--no-cache")
    baseline.up()


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(figures: Figures, args: argparse.Namespace) -> None:
    scenarios = [
        ("cold", "cold up (app images absent, stack cached)", "-"),
        ("warm", f"warm up (median of {args.warm_runs})", "<= 1.5x and < 5 s"),
        ("change", f"up after a one-line change (median of {args.change_runs})", "< 20 s"),
        ("full-cold", "fully cold (compose build --no-cache)", "-"),
    ]
    rows = []
    for key, title, target in scenarios:
        ours = median(figures.emulator.get(key, []))
        theirs = median(figures.compose.get(key, []))
        if key not in figures.emulator and key not in figures.compose:
            continue
        ratio = f"{ours / theirs:.2f}x" if key in figures.emulator else "n/a"
        emulator = f"{ours:.2f}" if key in figures.emulator else "n/a"
        rows.append([title, emulator, f"{theirs:.2f}", ratio, target])
    print()
    print(table(["scenario", "emulator s", "compose s", "ratio", "target"], rows))
    warm = median(figures.emulator["warm"])
    warm_ratio = warm / median(figures.compose["warm"])
    change = median(figures.emulator["change"])
    print()
    print(
        f"warm up: {warm:.2f} s, {warm_ratio:.2f}x the baseline; target <= "
        f"{WARM_TARGET_RATIO}x and < {WARM_TARGET_SECONDS:.0f} s: "
        f"{verdict(warm_ratio <= WARM_TARGET_RATIO and warm < WARM_TARGET_SECONDS)}"
    )
    print(
        f"up after a code change: {change:.2f} s; target < {CHANGE_TARGET_SECONDS:.0f} s: "
        f"{verdict(change < CHANGE_TARGET_SECONDS)}"
    )
    print("every run (s):")
    for side, runs in (("emulator", figures.emulator), ("compose", figures.compose)):
        for key, values in runs.items():
            print(f"  {side:<8} {key:<10} " + " ".join(f"{value:.2f}" for value in values))
    print(f"after: {machine_line()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--change-runs", type=int, default=3)
    parser.add_argument(
        "--full-cold",
        action="store_true",
        help="also time `docker compose build --no-cache` (apt and pip from the network)",
    )
    args = parser.parse_args()
    header("up benchmark")
    with bench_app() as app:
        print(f"application {app.name} on 127.0.0.1:{app.port}, state in {app.state_home}")
        figures = measure(app, args)
    report(figures, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
