"""Throughput and latency of GET /hits through the gateway against uWSGI reached directly.

The sample app is started with the CLI; bench/loadgen.py (one generator, standard library only)
then runs inside the www container, as user dotcloud, against each path in turn:

- direct uWSGI: the uwsgi protocol on /var/dotcloud/uwsgi.sock (CherryPy + the Redis session);
- www nginx: HTTP to the instance's nginx on 127.0.0.1:8080 (nginx -> uWSGI), a breakdown row;
- gateway: HTTP to the gateway on the app's Docker network (gateway -> nginx -> uWSGI), the
  full path, compared with the direct row against the targets;
- host: the same generator on the host against 127.0.0.1:PORT (adds Docker's port publishing;
  informational, the generator runs in another place).

Every connection keeps its own session cookie, and a reply counts only if it is 200 with the
session's next count. Latency is measured with one connection (p50 added, target < 1 ms),
throughput with --concurrency connections (target: the full path keeps >= 90% of direct).
Each row runs --rounds times, interleaved; the table shows medians over the rounds.

Run: .venv/bin/python bench/http_bench.py [--duration S] [--rounds N] [--concurrency N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import BenchApp, bench_app, container_of, header, machine_line, table

LOADGEN = Path(__file__).resolve().parent / "loadgen.py"
UWSGI_SOCKET = "/var/dotcloud/uwsgi.sock"
THROUGHPUT_TARGET = 0.90
LATENCY_TARGET_MS = 1.0
FULL_PATH = "gateway -> nginx -> uWSGI"


@dataclass(frozen=True)
class Route:
    title: str
    target: str
    inside: bool  # run the generator inside the www container


def routes(app: BenchApp) -> list[Route]:
    return [
        Route("direct uWSGI (baseline)", f"uwsgi:{UWSGI_SOCKET}", inside=True),
        Route(FULL_PATH, "http://gateway:8080", inside=True),
        Route("www nginx -> uWSGI", "http://127.0.0.1:8080", inside=True),
        Route("host 127.0.0.1:PORT -> gateway", f"http://127.0.0.1:{app.port}", inside=False),
    ]


def loadgen(
    app: BenchApp, container: str, route: Route, concurrency: int, args: argparse.Namespace
) -> dict[str, Any]:
    options = [
        route.target,
        "--host",
        f"www.{app.name}.localhost",
        "--concurrency",
        str(concurrency),
        "--warmup",
        str(args.warmup),
        "--duration",
        str(args.duration),
    ]
    if route.inside:
        argv = ["docker", "exec", "-i", "-u", "dotcloud", container, "python3", "-", *options]
    else:
        argv = [sys.executable, "-", *options]
    result = subprocess.run(
        argv,
        input=LOADGEN.read_text(),
        capture_output=True,
        text=True,
        timeout=args.warmup + args.duration + 120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the load generator failed on {route.title}:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


@dataclass
class Row:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def summary(runs: list[dict[str, Any]]) -> Row:
    return Row(
        rps=statistics.median(run["rps"] for run in runs),
        p50_ms=statistics.median(run["p50_ms"] for run in runs),
        p99_ms=statistics.median(run["p99_ms"] for run in runs),
        errors=int(sum(run["errors"] for run in runs)),
    )


Runs = dict[str, list[dict[str, Any]]]  # route title -> one result per round, in round order


def measure(app: BenchApp, concurrency: int, args: argparse.Namespace) -> Runs:
    container = container_of(app.name, "www")
    runs: Runs = {route.title: [] for route in routes(app)}
    for round_number in range(1, args.rounds + 1):
        order = routes(app) if round_number % 2 else list(reversed(routes(app)))
        for route in order:
            figures = loadgen(app, container, route, concurrency, args)
            runs[route.title].append(figures)
            print(
                f"  c={concurrency} round {round_number} {route.title:<32} "
                f"{figures['rps']:7.1f} req/s  p50 {figures['p50_ms']:6.2f} ms  "
                f"p99 {figures['p99_ms']:6.2f} ms  errors {figures['errors']:.0f}",
                flush=True,
            )
            if figures["errors"]:
                print(f"    first error: {figures['last_error']}", flush=True)
    return runs


def paired(runs: Runs, title: str, figure: str, compare: Callable[[float, float], float]) -> float:
    """The median over rounds of `compare(route's figure, direct's figure)` in the same round."""
    direct = next(iter(runs.values()))
    return float(
        statistics.median(
            compare(run[figure], base[figure])
            for run, base in zip(runs[title], direct, strict=True)
        )
    )


def rps_ratio(runs: Runs, title: str) -> float:
    return paired(runs, title, "rps", lambda value, base: value / base)


def p50_added(runs: Runs, title: str) -> float:
    return paired(runs, title, "p50_ms", lambda value, base: value - base)


def print_table(concurrency: int, runs: Runs) -> None:
    lines = []
    for title, results in runs.items():
        row = summary(results)
        lines.append(
            [
                title,
                f"{row.rps:.1f}",
                f"{row.p50_ms:.2f}",
                f"{row.p99_ms:.2f}",
                str(row.errors),
                f"{rps_ratio(runs, title):.2f}",
                f"{p50_added(runs, title):+.2f}",
            ]
        )
    print(f"\nconcurrency {concurrency} (medians over rounds; ratios paired within a round):")
    headings = ["path", "req/s", "p50 ms", "p99 ms", "errors", "rps vs direct", "p50 added ms"]
    print(table(headings, lines))


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_targets(latency: Runs, throughput: Runs, concurrency: int) -> None:
    kept = rps_ratio(throughput, FULL_PATH)
    added = p50_added(latency, FULL_PATH)
    print()
    print(
        f"full path keeps {kept:.0%} of direct throughput at concurrency {concurrency}; "
        f"target >= {THROUGHPUT_TARGET:.0%}: {verdict(kept >= THROUGHPUT_TARGET)}"
    )
    print(
        f"full path adds {added:.2f} ms at p50 (one connection); "
        f"target < {LATENCY_TARGET_MS:.0f} ms: {verdict(added < LATENCY_TARGET_MS)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="for the throughput runs")
    args = parser.parse_args()
    header("HTTP benchmark")
    with bench_app() as app:
        print(f"application {app.name} on 127.0.0.1:{app.port}; starting it...", flush=True)
        app.cli(*app.up_args())
        latency = measure(app, 1, args)
        throughput = measure(app, args.concurrency, args)
    print_table(1, latency)
    print_table(args.concurrency, throughput)
    print_targets(latency, throughput, args.concurrency)
    print(f"after: {machine_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
