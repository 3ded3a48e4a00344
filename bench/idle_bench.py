"""What an idle application costs the host: CPU over a quiet window, with the tutorial up and down.

The host's CPU time comes from /proc/stat (every process, dockerd and the containers' health
checks included). Baseline: the same window with the application stopped, in the same run. The
application's cost is the difference, in % of one core. Target: under 2% of one core.

Run: .venv/bin/python bench/idle_bench.py [--seconds N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchlib import bench_app, header, table

TARGET_PERCENT_OF_A_CORE = 2.0
SETTLE_SECONDS = 10.0  # let the start's own work finish before the window opens


def cpu_busy_seconds() -> float:
    """Seconds every core spent on anything but idle and iowait since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def busy_percent_of_a_core(seconds: float) -> float:
    start, began = cpu_busy_seconds(), time.monotonic()
    time.sleep(seconds)  # the measuring window itself, not a synchronisation
    return 100.0 * (cpu_busy_seconds() - start) / (time.monotonic() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each window")
    args = parser.parse_args()
    header("Idle cost benchmark")
    with bench_app("idle") as app:
        app.cli(*app.up_args())
        time.sleep(SETTLE_SECONDS)
        running = busy_percent_of_a_core(args.seconds)
        print(f"  tutorial up, idle   {running:5.2f} % of a core", flush=True)
        app.cli("down", app.name)
        time.sleep(SETTLE_SECONDS)
        stopped = busy_percent_of_a_core(args.seconds)
        print(f"  tutorial down       {stopped:5.2f} % of a core", flush=True)
    cost = running - stopped
    verdict = "met" if cost < TARGET_PERCENT_OF_A_CORE else "NOT met"
    print(
        table(
            ["window", "up, idle", "down (baseline)", "the app's cost", "target"],
            [
                [
                    f"{args.seconds:.0f} s",
                    f"{running:.2f} %",
                    f"{stopped:.2f} %",
                    f"{cost:.2f} % of a core",
                    f"< {TARGET_PERCENT_OF_A_CORE:.0f} %: {verdict}",
                ]
            ],
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
