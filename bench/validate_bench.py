"""Time load_application on a generated 100-service dotcloud.yml against plain yaml.safe_load.

Run: .venv/bin/python bench/validate_bench.py [--services N] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from dotcloud_emulator.buildfile.loader import load_application

TARGET_MS = 500.0


def service(index: int) -> dict[str, object]:
    kind = index % 5
    if kind == 0:
        return {
            "type": "python",
            "approot": "www",
            "config": {"python_version": "v3.11", "uwsgi_processes": 4},
            "environment": {f"VAR_{n}": f"value {n}" for n in range(8)},
            "requirements": ["CherryPy", "redis", "requests"],
            "systempackages": ["libxml2-dev", "libpq-dev"],
            "processes": {"worker": "python worker.py", "beat": "python beat.py"},
            "postinstall": "./postinstall",
            "instances": 2,
        }
    if kind == 1:
        return {"type": "python-worker", "process": "python worker.py", "ports": {"admin": "tcp"}}
    if kind == 2:
        return {"type": "static", "approot": "static", "environment": {"DEBUG": True}}
    if kind == 3:
        return {"type": "redis"}
    return {"type": "postgresql", "config": {}}


def buildfile_text(count: int) -> str:
    return yaml.safe_dump(
        {f"svc{index}": service(index) for index in range(count)}, sort_keys=False
    )


def timings(action: Callable[[], object], runs: int) -> list[float]:
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        results.append((time.perf_counter() - start) * 1000)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    text = buildfile_text(args.services)
    with tempfile.TemporaryDirectory() as root:
        appdir = Path(root)
        (appdir / "www").mkdir()
        (appdir / "static").mkdir()
        (appdir / "dotcloud.yml").write_text(text)
        loaded = timings(lambda: load_application(appdir, "bench"), args.runs)
    baseline = timings(lambda: yaml.safe_load(text), args.runs)
    lines, size = text.count("\n"), len(text.encode())
    print(f"build file: {args.services} services, {lines} lines, {size} bytes; {args.runs} runs")
    print(f"load_application: median {statistics.median(loaded):.1f} ms, max {max(loaded):.1f} ms")
    print(
        f"yaml.safe_load:   median {statistics.median(baseline):.1f} ms, max {max(baseline):.1f} ms"
    )
    ratio = statistics.median(loaded) / statistics.median(baseline)
    print(f"ratio (median): {ratio:.2f}x; target < {TARGET_MS:.0f} ms: ", end="")
    print("met" if max(loaded) < TARGET_MS else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
