"""The Python 2 stack: how long it takes to build cold, and how fast an app on it comes up warm.

Figures, each against a baseline measured in the same run:

- cold stack: `docker build --no-cache --target stack` of a Python 2.7 web service's build
  context (the bullseye tooling layer, the CA trust stage, uWSGI built by pip, nginx and
  Supervisor), against the same for the Python 3.11 stack (bookworm). Target: under 120 s.
- warm up: `up` of the CherryPy 3.2 fixture app (tests/fixtures/apps/py2-cherrypy: Python 2, Redis)
  after `down`, its images built, against the same for the sample (Python 3.11, Redis). Median of
  --runs. Target: under 10 s.

Run: .venv/bin/python bench/py2_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchlib import ROOT, BenchApp, bench_app, header, median, table, timed

COLD_TARGET_SECONDS = 120.0
WARM_TARGET_SECONDS = 10.0
BUILD_TIMEOUT = 1200.0
PY2_FIXTURE = ROOT / "tests" / "fixtures" / "apps" / "py2-cherrypy"


def use_fixture(app: BenchApp) -> None:
    """Replace the sample copy in `app.appdir` with the Python 2 fixture application."""
    shutil.rmtree(app.appdir)
    shutil.copytree(PY2_FIXTURE, app.appdir, ignore=shutil.ignore_patterns("__pycache__"))


def cold_stack(app: BenchApp, service: str) -> float:
    """Seconds of a `--no-cache` build of the service's `stack` stage, from a generated context."""
    with tempfile.TemporaryDirectory(prefix="py2-bench-") as out:
        app.cli("generate", str(app.appdir), "-A", app.name, "-o", out)
        context = Path(out) / ".dotcloud" / "build" / service
        tag = f"dotcloud-bench-stack/{app.name}:{service}"
        argv = ["docker", "build", "--no-cache", "--target", "stack", "-t", tag, str(context)]
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}

        def build() -> None:
            subprocess.run(
                argv, env=env, capture_output=True, text=True, check=True, timeout=BUILD_TIMEOUT
            )

        try:
            return timed(build)
        finally:
            subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)


def warm_ups(app: BenchApp, runs: int) -> list[float]:
    app.cli(*app.up_args())  # builds the images
    seconds = []
    for _ in range(runs):
        app.cli("down", app.name)
        seconds.append(timed(lambda: app.cli(*app.up_args())))
    return seconds


def measure(prepare: Callable[[BenchApp], None], runs: int) -> tuple[float, float]:
    with bench_app("pybench") as app:
        prepare(app)
        cold = cold_stack(app, "www")
        print(f"  cold stack build {cold:6.1f} s", flush=True)
        warm = median(warm_ups(app, runs))
        print(f"  warm up (median) {warm:6.2f} s", flush=True)
        return cold, warm


def verdict(seconds: float, target: float) -> str:
    return f"< {target:.0f} s: {'met' if seconds < target else 'MISSED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm `up` runs per app (median)")
    args = parser.parse_args()
    header("Python 2 stack benchmark")
    print("Python 2.7 (tests/fixtures/apps/py2-cherrypy):")
    py2_cold, py2_warm = measure(use_fixture, args.runs)
    print("Python 3.11 baseline (the sample):")
    py3_cold, py3_warm = measure(lambda app: None, args.runs)
    rows = [
        [
            "cold stack build",
            f"{py2_cold:.1f} s",
            f"{py3_cold:.1f} s",
            f"{py2_cold / py3_cold:.2f}x",
            verdict(py2_cold, COLD_TARGET_SECONDS),
        ],
        [
            "warm up",
            f"{py2_warm:.2f} s",
            f"{py3_warm:.2f} s",
            f"{py2_warm / py3_warm:.2f}x",
            verdict(py2_warm, WARM_TARGET_SECONDS),
        ],
    ]
    print(table(["figure", "Python 2.7", "Python 3.11", "ratio", "target"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
